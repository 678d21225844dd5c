import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { ingest } from '../src/pipeline.js';
import { openDatabase } from '../src/store/database.js';
import * as q from '../src/query/queries.js';
import { renderReport } from '../src/query/report.js';
import { exportRecords, iterateRecords } from '../src/store/read.js';
import { unitIdentityKey } from '../src/query/unit-identity.js';
import { tempDir } from './helpers.js';

const ROOT = resolve(__dirname, '..');
const BIN = join(ROOT, 'src/cli/bin.js');
let db: string;

interface Gold {
  topic: string;
  year: number;
  board: string;
  units: Array<{ name: string; class: string | null }>;
  classes: string[];
}
const expectedIn = (dir: string): Gold[] =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(ROOT, dir, f), 'utf8')));
const gold = expectedIn('test/gold');
/** The seeds and the variant documents: the archive the trend tests run on. */
const expected = [...gold, ...expectedIn('test/variants')];

/**
 * What the gold records imply for participation grouped by `key`: reports, distinct units (a name
 * within its board), participations (a unit in a report).
 */
function implied(key: (g: Gold, u: Gold['units'][number]) => string) {
  const out = new Map<string, { reports: Set<Gold>; units: Set<string>; participations: number }>();
  for (const g of expected.filter((x) => x.topic === 'award_participation')) {
    for (const u of g.units) {
      const k = key(g, u);
      const e = out.get(k) ?? { reports: new Set(), units: new Set(), participations: 0 };
      e.reports.add(g);
      e.units.add(`${g.board} ${unitIdentityKey(u.name)}`);
      e.participations++;
      out.set(k, e);
    }
  }
  return [...out].map(([k, v]) => [k, v.reports.size, v.units.size, v.participations]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
}

beforeAll(async () => {
  db = join(tempDir(), 'a.sqlite');
  await ingest([join(ROOT, 'corpus'), join(ROOT, 'test/variants')], { db });
});

const open = () => openDatabase(db, { readonly: true });

describe('trend queries on the seeds and variants agree with what their expected records imply', () => {
  it('participation by year (2024: 6 units from 2 documents)', () => {
    const rows = q.participation(open(), ['year']);
    expect(rows.map((r) => [String(r.year), r.reports, r.units, r.participations])).toEqual(implied((g) => String(g.year)));
    // The seeds alone: 2024 has 6 units from 2 documents.
    expect(q.participation(open(), ['year'], { board: 'Socialnämnden', from: 2024 })[0]).toEqual({ year: 2024, reports: 1, units: 2, participations: 2 });
    expect(q.participation(open(), ['year', 'board'], { from: 2024, to: 2024 }).filter((r) => /Social|Söder/.test(String(r.board))).reduce((n, r) => n + Number(r.units), 0)).toBe(6);
  });

  it('participation by year and board, and by year and class', () => {
    const cells = (r: q.Row, k: string) => [k, r.reports, r.units, r.participations];
    expect(q.participation(open(), ['year', 'board']).map((r) => cells(r, `${r.year} ${r.board}`))).toEqual(implied((g) => `${g.year} ${g.board}`));
    expect(q.participation(open(), ['year', 'class']).map((r) => cells(r, `${r.year} ${r.class}`))).toEqual(implied((g, u) => `${g.year} ${u.class ?? 'unknown'}`));
    expect(q.participation(open(), ['year', 'board', 'class']).map((r) => cells(r, `${r.year} ${r.board} ${r.class}`))).toEqual(implied((g, u) => `${g.year} ${g.board} ${u.class ?? 'unknown'}`));
  });

  it('gives the same answers from the summaries and from the detail tables and views', () => {
    const fresh = open();
    const answers = (d: BetterSqlite3.Database) => [
      q.participation(d, ['year']),
      q.participation(d, ['year', 'class'], { board: 'socialnämnden' }),
      q.participation(d, ['year'], { class: 'forskola' }),
      q.participation(d, ['year', 'board'], { class: 'äldreomsorg', from: 2017 }),
      q.classesOffered(d),
      q.deadlines(d),
      q.boards(d),
      q.boards(d, { class: 'unknown' }),
      q.unitAliases(d),
    ];
    expect(q.summariesFresh(fresh)).toBe(true);
    const fromSummaries = answers(fresh);
    const raw = new BetterSqlite3(db);
    raw.prepare('UPDATE summary_state SET dirty = 1').run();
    expect(q.summariesFresh(raw)).toBe(false);
    expect(answers(raw)).toEqual(fromSummaries);
    expect(raw.prepare('SELECT year, reports, units, participations FROM participation_by_year').all()).toEqual(fromSummaries[0]);
    raw.prepare('UPDATE summary_state SET dirty = 0').run();
    raw.close();
  });

  it('lists the classes offered per year, showing the 2017 change', () => {
    const rows = q.classesOffered(open());
    const byYear = (y: number) => rows.filter((r) => r.year === y).map((r) => r.class).sort();
    for (const g of gold.filter((x) => x.classes.length)) expect(byYear(g.year)).toEqual(expect.arrayContaining([...g.classes].sort()));
    expect(byYear(2012)).toContain('annan_vard_omsorg');
    expect(byYear(2017)).toContain('socialtjanst_funktionsnedsattning');
    expect(byYear(2017)).not.toContain('annan_vard_omsorg');
  });

  it('lists deadlines per year', () => {
    const kinds = ['award', 'minutes_deadline', 'registration_deadline', 'submission_deadline'];
    const wanted = new Map<string, { earliest: string; latest: string; reports: number }>();
    for (const g of expected.filter((x) => x.topic === 'award_participation')) {
      const seen = new Set<string>();
      for (const d of (g as unknown as { dates: Array<{ kind: string; date: string }> }).dates) {
        if (!kinds.includes(d.kind)) continue;
        const k = `${g.year} ${d.kind}`;
        const w = wanted.get(k) ?? { earliest: d.date, latest: d.date, reports: 0 };
        if (d.date < w.earliest) w.earliest = d.date;
        if (d.date > w.latest) w.latest = d.date;
        if (!seen.has(k)) w.reports++;
        seen.add(k);
        wanted.set(k, w);
      }
    }
    const rows = q.deadlines(open());
    expect(rows.map((r) => [`${r.year} ${r.kind}`, { earliest: r.earliest, latest: r.latest, reports: r.reports }])).toEqual(
      [...wanted].sort((a, b) => a[0].localeCompare(b[0])),
    );
    expect(q.deadlines(open(), { from: 2024, to: 2024, board: 'Socialnämnden' })).toContainEqual({
      year: 2024,
      kind: 'minutes_deadline',
      label: 'Sista dag för protokollsutdrag',
      earliest: '2024-06-28',
      latest: '2024-06-28',
      reports: 1,
    });
  });
});

describe('units', () => {
  it('are found forgivingly: case, diacritics, a leading type word, an abbreviation in brackets', () => {
    for (const name of ['Stödboendet Lönnen', 'stödboendet lönnen', 'Lönnen', 'LONNEN', 'stodboendet Lonnen']) {
      expect(q.unitHistory(open(), name).map((r) => [r.year, r.name]), name).toEqual([[2012, 'Stödboendet Lönnen']]);
    }
    expect(q.unitHistory(open(), 'Relationsvardscentrum innerstaden')).toHaveLength(1);
    expect(unitIdentityKey('Relationsvårdscentrum Innerstaden -RVCI')).toBe(unitIdentityKey('Relationsvårdscentrum Innerstaden (RVCi)'));
    expect(q.unitHistory(open(), 'Finns inte')).toEqual([]);
  });

  it('suggest likely renames without merging them', () => {
    expect(q.unitAliases(open())).toEqual([
      { board: 'Socialnämnden', name: 'LSS-hälsan', years: '2023–2023', possibly_renamed_to: 'LSS/SoL-hälsan', to_board: 'Socialnämnden', from: 2024, similarity: expect.any(Number) },
    ]);
    expect(q.unitHistory(open(), 'LSS-hälsan').map((r) => r.year)).toEqual([2023]);
  });

  it('count only the current version of a changed report', async () => {
    const dir = tempDir();
    const file = join(dir, 'beslut.txt');
    const report = (units: string) =>
      `Deltagande i kvalitetsutmärkelsen 2024\n\nFörvaltningens förslag till beslut\nKulturnämnden godkänner att ${units} deltar i kvalitetsutmärkelsen.\n\nSammanfattning\nDen 26 november 2024 utses vinnarna i årets kvalitetsutmärkelse.\n`;
    writeFileSync(file, report('Biblioteket Tornet och Musikskolan Lyran'));
    const d = join(dir, 'a.sqlite');
    await ingest([dir], { db: d });
    expect(q.participation(openDatabase(d, { readonly: true }), ['year'])).toEqual([{ year: 2024, reports: 1, units: 2, participations: 2 }]);
    writeFileSync(file, report('Biblioteket Tornet'));
    await ingest([dir], { db: d });
    const rows = q.participation(openDatabase(d, { readonly: true }), ['year']);
    expect(rows).toEqual([{ year: 2024, reports: 1, units: 1, participations: 1 }]);
  });
});

describe('sql and search', () => {
  it('answers SELECTs and refuses statements that write', () => {
    expect(q.sql(open(), 'SELECT count(*) AS n FROM documents')).toEqual([{ n: 12 }]);
    for (const bad of ['DELETE FROM documents', 'UPDATE documents SET bytes = 0', 'DROP TABLE pages', 'PRAGMA journal_mode = DELETE']) {
      expect(() => q.sql(open(), bad), bad).toThrow(q.ReadOnlyQueryError);
    }
  });

  it('searches repaired text with or without å/ä/ö', () => {
    expect(q.search(open(), 'stadsovergripande').map((r) => r.file)).toEqual(['003_5dc16642857d16cb.txt']);
  });
});

describe('beslutsarkiv query and report', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args, '--db', db], { encoding: 'utf8' });

  it('prints JSON in a pipe, CSV and tables on request', () => {
    expect(JSON.parse(cli('query', 'participation', '--by', 'year,board', '--from', '2024').stdout)).toEqual([
      { year: 2024, board: 'Skärholmens stadsdelsnämnd', reports: 1, units: 3, participations: 3 },
      { year: 2024, board: 'Socialnämnden', reports: 1, units: 2, participations: 2 },
      { year: 2024, board: 'Södermalms stadsdelsnämnd', reports: 1, units: 4, participations: 4 },
    ]);
    expect(cli('query', 'participation', '--format', 'csv').stdout.split('\n')[0]).toBe('year,reports,units,participations');
    const table = cli('query', 'unit', 'lönnen', '--format', 'table').stdout;
    expect(table).toMatch(/│ 2012 │ Stödboendet Lönnen │ \d+ +│ Socialnämnden/);
    expect(table).toMatch(/\n1 row\n$/);
    expect(cli('query', 'boards', '--board', 'SOCIALNÄMNDEN').stdout).toContain('"units": 11');
  });

  it('exports the records with their evidence as exportRecords() has them, keys in the schema\'s order', () => {
    const cliRecords = JSON.parse(cli('export', '--with-evidence').stdout) as Array<Record<string, unknown>>;
    const library = Array.from(iterateRecords(open(), { withEvidence: true }));
    expect(exportRecords(open(), { withEvidence: true })).toEqual(library.map(({ report: _r, ...rest }) => rest));
    expect(cliRecords).toEqual(library);
    expect(cliRecords.map((r) => Object.keys(r))).toEqual(library.map((r) => Object.keys(r)));
    expect(Object.keys(cliRecords[0]!.evidence as object).length).toBeGreaterThan(3);
  });

  it('refuses writes and unknown queries with exit code 2 and a clear message', () => {
    const w = cli('query', 'sql', 'DELETE FROM documents');
    expect(w.status).toBe(2);
    expect(w.stderr).toMatch(/only statements that read are allowed/);
    const u = cli('query', 'popularity');
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/no query named "popularity": use one of participation, unit/);
  });

  it('writes a self-contained HTML report with charts, histories, timelines and evidence', () => {
    const html = renderReport(open(), { dbPath: db });
    // Self-contained: no external scripts, styles or fetches (the one script, sorting the boards table, is inline).
    expect(html).not.toMatch(/<script[^>]*\ssrc=|<link|@import|src="http|href="http/i);
    expect((html.match(/<svg /g) ?? []).length).toBe(3);
    for (const text of ['Stödboendet Lönnen', 'LSS/SoL-hälsan', 'Södermalms stadsdelsnämnd', 'Annan vård och omsorg', 'Sista dag för protokollsutdrag', 'date-under-addressee']) expect(html).toContain(text);
    expect(html).toMatch(/href="file:\/\/[^"]*004_6306731b55b2ba86\.txt"/);
    const out = join(tempDir(), 'r.html');
    expect(cli('report', '--html', out).status).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('<svg ');
    // Evidence shows the value and the text around it, cut at word boundaries, the value marked; not field paths.
    expect(html).toMatch(/<td>datum \d+<\/td><td>2024-05-23 \(Nämndens sammanträde\)<\/td><td>1<\/td><td>…[^<]*Södermalms stadsdelsnämnd <mark>23 maj 2024<\/mark> Deltagande[^<]*…<\/td>/);
    expect(html).not.toMatch(/<td>(units|dates)\[\d\]/);
    for (const m of html.matchAll(/<td>(…[^<]*)<mark>/g)) expect(m[1], m[1]).toMatch(/^…\S/);
    // Written beside the archive's files, the report links them relatively.
    const beside = renderReport(open(), { dbPath: db, htmlPath: join(ROOT, 'corpus', 'rapport.html') });
    expect(beside).toMatch(/<a href="004_6306731b55b2ba86\.txt">/);
    expect(beside).not.toContain('file://');
  });
});
