import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { ingest, reprocess } from '../src/pipeline.js';
import { migrate, openDatabase } from '../src/store/database.js';
import { extractionFromRows } from '../src/review/store.js';
import { unitKey } from '../src/store/units.js';
import { acquireWriterLock } from '../src/store/lock.js';
import { exportRecords, status } from '../src/store/read.js';
import * as q from '../src/query/queries.js';
import { renderReport } from '../src/query/report.js';
import { OcrPool } from '../src/ocr/worker-pool.js';
import {
  applyCorrections, carryOver, correctFromCsv, CorrectionError, listCorrections, machineExtraction, makeCorrections, reviewDocument, reviewQueue, undoCorrection, withCorrectionLock,
  type Correction, type DocumentRecord, type Extraction,
} from '../src/index.js';
import { makeFixtures, tempDir } from './helpers.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { SCHEMA_FILE } from '../scripts/make-schema.js';

const ROOT = resolve(__dirname, '..');
const BIN = join(ROOT, 'src/cli/bin.js');
/** The corpus ingested once; each test works on a copy. */
let pristine: string;
let corpusDir: string;

const D004 = '004_6306731b55b2ba86.txt';
const D001 = '001_91a3c1650f19c566.txt';

beforeAll(async () => {
  const dir = tempDir();
  corpusDir = join(dir, 'corpus');
  cpSync(join(ROOT, 'corpus'), corpusDir, { recursive: true });
  pristine = join(dir, 'pristine.sqlite');
  await ingest([corpusDir], { db: pristine });
});

/** A fresh copy of the ingested corpus database. */
function copyDb(): string {
  const db = join(tempDir(), 'a.sqlite');
  copyFileSync(pristine, db);
  return db;
}

function cli(db: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args, '--db', db], { encoding: 'utf8', cwd: ROOT });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function rows<T>(db: string, sql: string, ...args: unknown[]): T[] {
  const raw = new BetterSqlite3(db, { readonly: true });
  try {
    return raw.prepare(sql).all(...args) as T[];
  } finally {
    raw.close();
  }
}

function record(db: string, file: string, withEvidence = false): DocumentRecord & { corrections?: unknown[] } {
  const d = openDatabase(db, { readonly: true });
  try {
    return exportRecords(d, { withEvidence }).find((r) => r.source.file === file)!;
  } finally {
    d.close();
  }
}

const correct = (db: string, requests: Parameters<typeof makeCorrections>[1], defaults: { by?: string; reason?: string } = { by: 'anna', reason: 'checked against the paper copy' }) =>
  withCorrectionLock(db, (d) => makeCorrections(d, requests, defaults));

describe('the effective record (pure)', () => {
  const machine: Extraction = {
    record: {
      topic: 'award_participation', year: 2017, board: 'Socialnämnden', administration: null, diarienummer: null, document_date: null, meeting_date: null,
      units: [
        { name: 'Förskolan Lärkan', department: null, operator: 'municipal', provider: null, class: null },
        { name: 'Stödboendet Lönnen', department: null, operator: 'municipal', provider: null, class: 'annan_vard_omsorg' },
      ],
      classes: ['forskola'],
      dates: [{ kind: 'award', date: '2017-10-01', text: '1 oktober' }],
      signatories: [],
      case_officer: null,
      target_units: null,
    },
    evidence: { 'units[0]': { page: 1, start: 0, end: 5, snippet: 'Lärkan', rule: 'r', confidence: 0.6 }, 'units[1]': { page: 1, start: 6, end: 9, snippet: 'Lönnen', rule: 'r', confidence: 0.9 } },
  };
  const c = (id: number, x: Partial<Correction>): Correction =>
    ({ id, sha256: 'a'.repeat(64), path: '', action: 'set', old_value: null, new_value: null, by: 'anna', at: '2026-01-01', reason: null, carried_from: null, undone_at: null, undone_by: null, ...x }) as Correction;

  it('finds a unit by its identity key, not its index, and moves its evidence with it', () => {
    const fix = c(1, { path: 'units[1].class', target: { kind: 'unit', key: unitKey('Stödboendet Lönnen'), name: 'Stödboendet Lönnen', field: 'class' }, new_value: 'socialtjanst_funktionsnedsattning' });
    // The re-extraction lists the units the other way round and spells the name another way (genitive, word order).
    const again: Extraction = {
      record: { ...machine.record, units: [{ ...machine.record.units[1]!, name: 'Lönnens stödboende' }, machine.record.units[0]!] },
      evidence: { 'units[0]': machine.evidence['units[1]']!, 'units[1]': machine.evidence['units[0]']! },
    };
    const a = applyCorrections(again, [fix]);
    expect(a.extraction.record.units.map((u) => [u.name, u.class])).toEqual([['Lönnens stödboende', 'socialtjanst_funktionsnedsattning'], ['Förskolan Lärkan', null]]);
    expect(a.outcomes.get(1)).toBe('applied');
    // Removing the first unit: the second's evidence is now under units[0].
    const b = applyCorrections(machine, [c(2, { action: 'remove', path: 'units[0]', target: { kind: 'unit', key: unitKey('Förskolan Lärkan'), name: 'Förskolan Lärkan' } })]);
    expect(b.extraction.record.units.map((u) => u.name)).toEqual(['Stödboendet Lönnen']);
    expect(b.extraction.evidence['units[0]']!.snippet).toBe('Lönnen');
    expect(b.extraction.evidence['units[1]']).toBeUndefined();
    expect(b.notes[0]).toMatchObject({ path: 'units[0]', machine: { name: 'Förskolan Lärkan' }, value: null, evidence: { snippet: 'Lärkan' } });
    // A rename then a class: the class correction, made on the old name, follows the unit.
    const renamed = applyCorrections(machine, [
      c(3, { path: 'units[0].name', target: { kind: 'unit', key: unitKey('Förskolan Lärkan'), name: 'Förskolan Lärkan', field: 'name' }, new_value: 'Förskolan Näktergalen' }),
      c(4, { path: 'units[0].class', target: { kind: 'unit', key: unitKey('Förskolan Lärkan'), name: 'Förskolan Lärkan', field: 'class' }, new_value: 'forskola' }),
    ]);
    expect(renamed.extraction.record.units[0]).toMatchObject({ name: 'Förskolan Näktergalen', class: 'forskola' });
    expect([renamed.outcomes.get(3), renamed.outcomes.get(4)]).toEqual(['applied', 'applied']);
  });

  it('keeps a correction whose value is gone as orphaned, and leaves the machine record untouched', () => {
    const before = JSON.stringify(machine);
    const a = applyCorrections(machine, [
      c(1, { path: 'units[5].class', target: { kind: 'unit', key: 'blaklockan', field: 'class' }, new_value: 'forskola' }),
      c(2, { path: 'dates[0].date', target: { kind: 'date', date_kind: 'award', date: '2017-10-01', field: 'date' }, new_value: '2017-10-02' }),
    ]);
    expect(a.outcomes.get(1)).toBe('orphaned');
    expect(a.extraction.record.dates[0]!.date).toBe('2017-10-02');
    expect(JSON.stringify(machine)).toBe(before);
  });
});

describe('a correction everywhere', () => {
  it('stores the machine extraction as made; without corrections the record tables read back the same (what migration 10 backfills from)', () => {
    const d = openDatabase(copyDb());
    try {
      const ids = d.prepare('SELECT document_id FROM extractions').pluck().all() as number[];
      expect(ids).toHaveLength(5);
      for (const id of ids) expect(extractionFromRows(d, id)).toEqual(machineExtraction(d, id));
      // Migration 10 on a database of schema 9: the machine extractions come from the record tables.
      d.exec('DELETE FROM machine_extractions');
      d.prepare('DELETE FROM schema_migrations WHERE version = 10').run();
      d.exec('DROP TABLE machine_extractions; DROP TABLE corrections');
      expect(migrate(d)).toEqual([10]);
      expect(d.prepare('SELECT count(*) FROM machine_extractions').pluck().get()).toBe(5);
    } finally {
      d.close();
    }
  });

  it('shows in export, every view, query participation and unit, the report and status; the machine value stays reachable', async () => {
    const db = copyDb();
    const before = record(db, D004);
    const machineUnits = before.units!.map((u) => u.name);
    expect(machineUnits).toContain('Utvecklingsenheten');
    const r = openDatabase(db, { readonly: true });
    const viewsBefore = {
      byClass: r.prepare(`SELECT * FROM participation_by_year_class WHERE year = 2024 AND class = 'forskola'`).all(),
      classes: r.prepare(`SELECT * FROM classes_by_year WHERE year = 2024 AND class = 'skola'`).all(),
      needsReview: status(r).review.map((x) => x.file),
    };
    r.close();
    expect(viewsBefore.byClass).toEqual([]);
    expect(viewsBefore.classes).toEqual([]);
    expect(viewsBefore.needsReview).toContain(D004);

    const made = correct(db, [
      { document: D004, input: { action: 'set', path: 'units[0].class', value: 'aldreomsorg' } },
      { document: D004, input: { action: 'add', path: 'units[+]', value: 'Förskolan Blåklockan', class: 'forskola', department: 'förskoleavdelningen' } },
      { document: D004, input: { action: 'remove', path: `units[${machineUnits.indexOf('Utvecklingsenheten')}]` } },
      { document: D004, input: { action: 'set', path: 'dates[1].date', value: '2024-03-15' } },
      { document: D004, input: { action: 'add', path: 'classes[+]', value: 'skola' } },
    ]);
    expect(made).toHaveLength(5);

    const after = record(db, D004);
    expect(after.units!.map((u) => u.name)).toEqual([...machineUnits.filter((n) => n !== 'Utvecklingsenheten'), 'Förskolan Blåklockan']);
    expect(after.units![0]!.class).toBe('aldreomsorg');
    expect(after.dates![1]!.date).toBe('2024-03-15');
    expect(after.classes).toContain('skola');
    // The corrected low-confidence unit no longer flags the document.
    expect(after.needs_review).toBe(false);

    const d = openDatabase(db, { readonly: true });
    try {
      expect(d.prepare(`SELECT units FROM participation_by_year_class WHERE year = 2024 AND class = 'forskola'`).all()).toEqual([{ units: 1 }]);
      expect(d.prepare(`SELECT count(*) AS n FROM participation_by_year_class WHERE year = 2024 AND class = 'aldreomsorg'`).get()).toEqual({ n: 1 });
      expect(d.prepare(`SELECT name, class, department FROM unit_history WHERE name = 'Förskolan Blåklockan'`).all()).toEqual([{ name: 'Förskolan Blåklockan', class: 'forskola', department: 'förskoleavdelningen' }]);
      expect(d.prepare(`SELECT 1 FROM unit_history WHERE name = 'Utvecklingsenheten'`).all()).toEqual([]);
      expect(d.prepare(`SELECT earliest FROM deadlines_by_year WHERE year = 2024 AND kind = 'registration_deadline'`).get()).toEqual({ earliest: '2024-03-15' });
      expect(d.prepare(`SELECT reports FROM classes_by_year WHERE year = 2024 AND class = 'skola'`).get()).toEqual({ reports: 1 });
      const group = d.prepare(`SELECT r.units FROM reports r JOIN report_documents rd ON rd.report_id = r.id JOIN documents x ON x.id = rd.document_id WHERE x.file_name = ?`).get(D004) as { units: number };
      expect(group.units).toBe(machineUnits.length);
      expect(q.unitHistory(d, 'Blåklockan').map((x) => x.class)).toEqual(['forskola']);
      expect(q.participation(d, ['year', 'class']).find((x) => x.year === 2024 && x.class === 'forskola')).toMatchObject({ units: 1 });
      expect(status(d).review.map((x) => x.file)).not.toContain(D004);
      expect(status(d).corrections).toEqual({ active: 5, undone: 0, documents: 1 });
      const html = renderReport(d, { dbPath: db });
      expect(html).toContain('Förskolan Blåklockan');
      // Neither in the unit histories nor as a value in the evidence (other units' snippets may quote the document's text).
      expect(html).not.toContain('<td>Utvecklingsenheten</td>');
    } finally {
      d.close();
    }
    // The CLI's query participation and query unit read the same tables.
    const unit = JSON.parse(cli(db, 'query', 'unit', 'Blåklockan', '--format', 'json').stdout) as Array<{ class: string }>;
    expect(unit.map((u) => u.class)).toEqual(['forskola']);
    const part = JSON.parse(cli(db, 'query', 'participation', '--by', 'year,class', '--format', 'json').stdout) as Array<{ year: number; class: string; units: number }>;
    expect(part.find((x) => x.year === 2024 && x.class === 'forskola')).toMatchObject({ units: 1 });

    // export --with-evidence: each corrected value with the machine's value, its evidence and the correction.
    const evidence = record(db, D004, true);
    const notes = evidence.corrections as Array<{ id: number; path: string; machine: unknown; value: unknown; evidence: { snippet: string } | null; by: string; reason: string }>;
    expect(notes.find((n) => n.path === 'units[0].class')).toMatchObject({ machine: before.units![0]!.class, value: 'aldreomsorg', by: 'anna', reason: 'checked against the paper copy', evidence: { snippet: expect.stringContaining('Södermalms dagverksamheter') } });
    expect(notes.find((n) => n.path === 'dates[1].date')).toMatchObject({ machine: before.dates![1]!.date, value: '2024-03-15' });
    expect(notes.find((n) => n.value === null)).toMatchObject({ action: 'remove', machine: { name: 'Utvecklingsenheten' } });
    const cliEvidence = (JSON.parse(cli(db, 'export', '--with-evidence').stdout) as Array<{ source: { file: string }; corrections: unknown[] }>).find((x) => x.source.file === D004)!;
    expect(cliEvidence.corrections).toHaveLength(5);
    // The corrected export is valid against the published JSON Schema; an uncorrected record has no corrections key.
    const validate = new Ajv2020({ strict: false }).compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')));
    const all = JSON.parse(cli(db, 'export', '--with-evidence').stdout) as Array<{ source: { file: string }; corrections?: unknown[] }>;
    expect(validate(all), JSON.stringify(validate.errors)).toBe(true);
    expect(all.filter((x) => x.corrections).map((x) => x.source.file)).toEqual([D004]);

    // The audit trail: one review message per correction, with actual, expected, who and why.
    const audit = rows<{ rule: string; actual: string; expected: string; reason: string }>(
      db, `SELECT rule, actual, expected, reason FROM messages m JOIN documents d ON d.id = m.document_id WHERE d.file_name = ? AND m.stage = 'review' ORDER BY m.id`, D004,
    );
    expect(audit).toHaveLength(5);
    expect(audit[0]).toMatchObject({ rule: 'correction', actual: '(none)', expected: '["aldreomsorg"]', reason: expect.stringMatching(/units\[0\]\.class: corrected \(#\d+\) by anna: checked against the paper copy/) });
  });
});

describe('corrections survive every re-run', () => {
  it('reprocess --all, an EXTRACT_VERSION bump and --force-ocr (a scan OCRed again) keep them', async () => {
    const fx = await makeFixtures();
    const dir = join(tempDir(), 'archive');
    mkdirSync(dir, { recursive: true });
    cpSync(corpusDir, dir, { recursive: true });
    copyFileSync(join(fx.good, '2012-page1.png'), join(dir, 'scan-2012.png'));
    const db = join(dir, '..', 'a.sqlite');
    const pool = new OcrPool({ size: 1, timeoutMs: 120_000 });
    try {
      await ingest([dir], { db, pool });
      const scan = record(db, 'scan-2012.png');
      expect(scan.source.ocr).toBe(true);
      correct(db, [
        { document: D004, input: { action: 'set', path: 'units[0].class', value: 'aldreomsorg' } },
        { document: D004, input: { action: 'add', path: 'units[+]', value: 'Förskolan Blåklockan', class: 'forskola' } },
        { document: 'scan-2012.png', input: { action: 'set', path: 'year', value: '2013' } },
        { document: 'scan-2012.png', input: { action: 'set', path: 'board', value: 'Socialnämnden i Stockholm' } },
      ]);
      const check = (when: string) => {
        const r4 = record(db, D004);
        expect(r4.units![0]!.class, when).toBe('aldreomsorg');
        expect(r4.units!.map((u) => u.name), when).toContain('Förskolan Blåklockan');
        expect(record(db, 'scan-2012.png'), when).toMatchObject({ year: 2013, board: 'Socialnämnden i Stockholm' });
        expect(rows(db, `SELECT 1 FROM unit_history WHERE name = 'Förskolan Blåklockan'`), when).toHaveLength(1);
        expect(rows<{ rule: string }>(db, `SELECT rule FROM messages WHERE stage = 'review'`), when).toHaveLength(4);
      };
      check('after correcting');
      const all = reprocess({ db, all: true });
      expect(all.reprocessed).toBe(6);
      check('after reprocess --all');
      // A new extractor version: every record is extracted again from the stored text.
      const raw = new BetterSqlite3(db);
      raw.prepare(`UPDATE extractions SET extract_version = 'old', extracted_at = '2000-01-01'`).run();
      raw.close();
      expect(reprocess({ db }).reprocessed).toBe(6);
      expect(rows(db, `SELECT 1 FROM extractions WHERE extract_version = 'old'`)).toEqual([]);
      check('after an EXTRACT_VERSION bump');
      const recognizedBefore = pool.recognized;
      const forced = await ingest([dir], { db, pool, forceOcr: true });
      expect(forced.counts.reprocessed).toBe(6);
      expect(pool.recognized).toBe(recognizedBefore + 1);
      check('after --force-ocr');
      // The machine's own values are still there, under the corrections.
      expect(JSON.parse(rows<{ record: string }>(db, `SELECT m.record FROM machine_extractions m JOIN documents d ON d.id = m.document_id WHERE d.file_name = 'scan-2012.png'`)[0]!.record)).toMatchObject({ year: scan.year, board: scan.board });
    } finally {
      await pool.close();
    }
  });

  it('keeps a correction whose value the new extraction no longer has, and lists it as orphaned', () => {
    const db = copyDb();
    const units = record(db, D004).units!.map((u) => u.name);
    const i = units.indexOf('Utvecklingsenheten');
    const [made] = correct(db, [{ document: D004, input: { action: 'set', path: `units[${i}].class`, value: 'andra_verksamheter' } }]);
    // The text the extractor reads now names the unit differently (as a new repair or OCR might).
    const raw = new BetterSqlite3(db);
    raw.prepare(`UPDATE pages SET repaired_text = replace(repaired_text, 'Utvecklingsenheten', 'Utvecklingsgruppen') WHERE document_id = (SELECT id FROM documents WHERE file_name = ?)`).run(D004);
    raw.close();
    reprocess({ db, stage: 'extract' });
    const after = record(db, D004);
    expect(after.units!.map((u) => u.name)).toContain('Utvecklingsgruppen');
    expect(after.units!.find((u) => u.name === 'Utvecklingsgruppen')!.class).not.toBe('andra_verksamheter');
    const d = openDatabase(db, { readonly: true });
    try {
      expect(listCorrections(d, after.source.sha256).map((c) => c.id)).toEqual([made!.id]);
      expect(reviewDocument(d, D004).corrections).toMatchObject([{ id: made!.id, outcome: 'orphaned' }]);
      expect(reviewQueue(d).find((r) => r.file === D004 && String(r.status).startsWith('orphaned'))).toMatchObject({ path: `units[${i}].class`, value: 'andra_verksamheter', status: `orphaned #${made!.id}` });
    } finally {
      d.close();
    }
    expect(cli(db, 'review', D004, '--format', 'table').stdout).toMatch(new RegExp(`#${made!.id} orphaned`));
  });

  it("offers a changed file's corrections as carried over?, and applies them only when a person carries them over", async () => {
    const dir = join(tempDir(), 'archive');
    cpSync(corpusDir, dir, { recursive: true });
    const db = join(dir, '..', 'a.sqlite');
    await ingest([dir], { db });
    const [made] = correct(db, [{ document: D004, input: { action: 'set', path: 'units[0].class', value: 'aldreomsorg' } }]);
    writeFileSync(join(dir, D004), `${readFileSync(join(dir, D004), 'utf8')}\nTillägg: justerat den 1 juli 2024.\n`);
    const run = await ingest([dir], { db });
    expect(run.counts.changed).toBe(1);
    const current = () => {
      const d = openDatabase(db, { readonly: true });
      try {
        return exportRecords(d).find((r) => r.source.file === D004 && r.source.superseded_by === null)!;
      } finally {
        d.close();
      }
    };
    const fresh = current();
    expect(fresh.units![0]!.class).toBeNull();
    const d = openDatabase(db, { readonly: true });
    const offered = reviewDocument(d, fresh.source.sha256).carried_over;
    expect(offered.map((o) => [o.correction.id, o.outcome])).toEqual([[made!.id, 'applied']]);
    expect(reviewQueue(d).find((r) => r.sha256 === fresh.source.sha256 && String(r.status).startsWith('carried over?'))).toMatchObject({ path: 'units[0].class', value: 'aldreomsorg', status: `carried over? #${made!.id}` });
    d.close();
    withCorrectionLock(db, (w) => carryOver(w, fresh.source.sha256, 'all', { by: 'anna' }));
    expect(current().units![0]!.class).toBe('aldreomsorg');
    const d2 = openDatabase(db, { readonly: true });
    expect(reviewDocument(d2, fresh.source.sha256).carried_over).toEqual([]);
    d2.close();
  });
});

describe('making and undoing corrections', () => {
  it('a bad value writes nothing and names the allowed values', () => {
    const db = copyDb();
    const count = () => rows<{ c: number; m: number }>(db, `SELECT (SELECT count(*) FROM corrections) AS c, (SELECT count(*) FROM messages WHERE stage = 'review') AS m`)[0];
    const before = record(db, D004);
    // One good correction and one bad in the same call: neither is written.
    expect(() =>
      correct(db, [
        { document: D004, input: { action: 'set', path: 'year', value: '2023' } },
        { document: D004, input: { action: 'set', path: 'units[1].class', value: 'skol' } },
      ]),
    ).toThrow(/units\[1\]\.class: "skol" is not allowed; allowed values: forskola, skola, aldreomsorg/);
    expect(() => correct(db, [{ document: D004, input: { action: 'set', path: 'dates[0].date', value: '2024-02-30' } }])).toThrow(/a date is ISO YYYY-MM-DD/);
    expect(() => correct(db, [{ document: D004, input: { action: 'set', path: 'units[40].class', value: 'skola' } }])).toThrow(CorrectionError);
    expect(count()).toEqual({ c: 0, m: 0 });
    expect(record(db, D004)).toEqual(before);
    const r = cli(db, 'correct', D004, '--set', 'units[1].class=skol');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/allowed values: forskola, skola, aldreomsorg, annan_vard_omsorg, socialtjanst_funktionsnedsattning, andra_verksamheter/);
    expect(count()).toEqual({ c: 0, m: 0 });
  });

  it('--undo restores the machine value; --confirm takes a document out of the queue', () => {
    const db = copyDb();
    const machine = record(db, D004);
    const set = cli(db, 'correct', D004, '--set', 'board=Farsta stadsdelsnämnd', '--by', 'erik', '--reason', 'fel nämnd');
    expect(set.status).toBe(0);
    const id = Number(/correction #(\d+)/.exec(set.stdout)![1]);
    expect(record(db, D004).board).toBe('Farsta stadsdelsnämnd');
    expect(rows(db, `SELECT 1 FROM participations WHERE board = 'Farsta stadsdelsnämnd'`).length).toBe(machine.units!.length);
    const undo = cli(db, 'correct', '--undo', String(id), '--by', 'erik');
    expect(undo.status).toBe(0);
    expect(record(db, D004)).toEqual(machine);
    expect(rows(db, `SELECT 1 FROM participations WHERE board = 'Farsta stadsdelsnämnd'`)).toEqual([]);
    // The correction is kept, marked undone, and the trail says so.
    expect(rows(db, 'SELECT by, undone_by FROM corrections WHERE id = ?', id)).toEqual([{ by: 'erik', undone_by: 'erik' }]);
    expect(rows<{ rule: string }>(db, `SELECT rule FROM messages WHERE stage = 'review' ORDER BY id`).map((m) => m.rule)).toEqual(['correction', 'correction-undone']);
    expect(cli(db, 'correct', '--undo', String(id)).stderr).toMatch(/already undone/);

    const inQueue = () => (JSON.parse(cli(db, 'review', '--format', 'json').stdout) as Array<{ file: string }>).some((r) => r.file === D001);
    expect(inQueue()).toBe(true);
    expect(cli(db, 'correct', D001, '--confirm').status).toBe(0);
    expect(inQueue()).toBe(false);
    expect(record(db, D001).needs_review).toBe(false);
  });

  it('takes the writer lock (exit 75 when held); review reads meanwhile', () => {
    const db = copyDb();
    const lock = acquireWriterLock(db);
    try {
      const r = cli(db, 'correct', D004, '--set', 'year=2023');
      expect(r.status).toBe(75);
      expect(r.stderr).toMatch(/locked by another beslutsarkiv writer/);
      const review = cli(db, 'review', '--format', 'json');
      expect(review.status).toBe(0);
      expect((JSON.parse(review.stdout) as unknown[]).length).toBeGreaterThan(0);
    } finally {
      lock.release();
    }
    expect(rows(db, 'SELECT 1 FROM corrections')).toEqual([]);
  });
});

describe('bulk corrections from CSV', () => {
  it('round trip: review --format csv, edited, loaded back with correct --from', () => {
    const db = copyDb();
    const csv = cli(db, 'review', '--format', 'csv').stdout;
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).toBe('sha256,file,path,machine,value,action,reason,by,status,confidence,evidence');
    const edited = lines.map((line) => {
      if (line.includes(`,${D001},units[3].class,`)) return line.replace(',socialtjanst_funktionsnedsattning,socialtjanst_funktionsnedsattning,,', ',socialtjanst_funktionsnedsattning,andra_verksamheter,,Misa är en daglig verksamhet,');
      if (line.includes(`,${D001},units[4].name,`)) return line.replace(',Misa Bondegatan,Misa Bondegatan,,', ',Misa Bondegatan,Misa Bondegatan,delete,dubblett,');
      return line;
    });
    expect(edited).not.toEqual(lines);
    const file = join(tempDir(), 'corrections.csv');
    writeFileSync(file, `${edited.join('\n')}\n`);
    const before = record(db, D001).units!;
    const r = cli(db, 'correct', '--from', file, '--by', 'anna');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/2 corrections made/);
    const after = record(db, D001).units!;
    expect(after).toHaveLength(before.length - 1);
    expect(after.find((u) => u.name === 'Misa Blackeberg')!.class).toBe('andra_verksamheter');
    expect(after.map((u) => u.name)).not.toContain('Misa Bondegatan');
    expect(rows(db, 'SELECT by, reason FROM corrections ORDER BY id')).toEqual([
      { by: 'anna', reason: 'Misa är en daglig verksamhet' },
      { by: 'anna', reason: 'dubblett' },
    ]);
    // The same file loaded again is refused whole: the unit its removal row names is gone (the file is older than the record).
    const again = cli(db, 'correct', '--from', file);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/line \d+: /);
  });

  it('a bad row rolls back the whole file and names its line', () => {
    const db = copyDb();
    const sha = record(db, D004).source.sha256;
    const file = join(tempDir(), 'corrections.csv');
    writeFileSync(
      file,
      [
        'sha256,path,value,reason',
        `${sha},year,2023,rätt år`,
        `${sha},units[+],Förskolan Blåklockan,saknades`,
        `${sha},units[0].class,äldreomsorg,fel klass`,
        '',
      ].join('\n'),
    );
    const r = cli(db, 'correct', '--from', file);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/line 4: units\[0\]\.class: "äldreomsorg" is not allowed; allowed values: forskola, skola, aldreomsorg/);
    expect(rows(db, 'SELECT 1 FROM corrections')).toEqual([]);
    expect(record(db, D004).units!.map((u) => u.name)).not.toContain('Förskolan Blåklockan');
    // Fixed, the same file goes in whole, in one transaction.
    writeFileSync(file, readFileSync(file, 'utf8').replace('äldreomsorg,fel', 'aldreomsorg,fel'));
    const d = openDatabase(db);
    try {
      expect(correctFromCsv(d, readFileSync(file, 'utf8'), { by: 'anna' })).toHaveLength(3);
    } finally {
      d.close();
    }
    expect(record(db, D004)).toMatchObject({ year: 2023, units: expect.arrayContaining([expect.objectContaining({ name: 'Förskolan Blåklockan' })]) });
  });

  it('undo of a correction made from CSV works like any other', () => {
    const db = copyDb();
    const machine = record(db, D004);
    const d = openDatabase(db);
    try {
      const [made] = correctFromCsv(d, `sha256,path,value\n${machine.source.sha256},year,2022\n`, { by: 'anna' });
      expect(record(db, D004).year).toBe(2022);
      undoCorrection(d, made!.id, { by: 'anna' });
    } finally {
      d.close();
    }
    expect(record(db, D004)).toEqual(machine);
  });
});

describe('the review queue, read a page at a time', () => {
  const queue = (db: string, limit?: number) => {
    const d = openDatabase(db, { readonly: true });
    try {
      return reviewQueue(d, limit === undefined ? { limit: 100_000 } : { limit });
    } finally {
      d.close();
    }
  };
  const section = (status: unknown) => (/^(orphaned|carried over\?)/.test(String(status)) ? 0 : String(status).startsWith('needs review:') ? 1 : 2);

  it('stops early without changing what it lists: every shorter queue is the start of the full one', async () => {
    // The corpus (every report flagged) and the devset texts (most not): the queue has flagged values
    // and unsure values of the others.
    const dir = tempDir();
    cpSync(join(ROOT, 'test/devset/texts'), join(dir, 'devset'), { recursive: true });
    const db = join(dir, 'q.sqlite');
    await ingest([corpusDir, join(dir, 'devset')], { db });
    // A correction (so a document is read with its corrections applied), a removal that moves the
    // units after it, and a confirmed document (out of the queue).
    const d0 = openDatabase(db, { readonly: true });
    // A document (not flagged) with unsure dates after its first: removing dates[0] moves them.
    const first = d0
      .prepare(
        `SELECT d.file_name FROM evidence x JOIN extractions e ON e.document_id = x.document_id JOIN documents d ON d.id = x.document_id
         WHERE e.current AND NOT e.needs_review AND x.confidence < 0.9 AND x.path GLOB 'dates[[][1-9]]' AND d.file_name <> ? ORDER BY d.file_name LIMIT 1`,
      )
      .pluck()
      .get(D001) as string | undefined;
    const unsureDates = (d0
      .prepare(`SELECT x.path FROM evidence x JOIN documents d ON d.id = x.document_id WHERE d.file_name = ? AND x.confidence < 0.9 AND x.path LIKE 'dates[%'`)
      .pluck()
      .all(first) as string[]).map((p) => Number(/\d+/.exec(p)![0]));
    d0.close();
    expect(first).toBeDefined();
    correct(db, [{ document: first!, input: { action: 'remove', path: 'dates[0]' } }, { document: D001, input: { action: 'confirm' } }]);
    const full = queue(db);
    expect(full.length).toBeGreaterThan(10);
    expect(new Set(full.map((r) => section(r.status)))).toEqual(new Set([1, 2]));
    for (const k of [1, 2, 3, 5, 8, 13, 21, full.length - 1, full.length, full.length + 5]) expect(queue(db, k)).toEqual(full.slice(0, k));
    // Its three parts in order; unsure values least sure first.
    const parts = full.map((r) => section(r.status));
    expect(parts).toEqual([...parts].sort((a, b) => a - b));
    const confidences = full.filter((r) => section(r.status) === 2).map((r) => r.confidence as number);
    expect(confidences).toEqual([...confidences].sort((a, b) => a - b));
    expect(full.some((r) => r.file === D001)).toBe(false);
    // Values of the corrected document are shown as corrected: the path and value of its record now.
    const d = openDatabase(db, { readonly: true });
    try {
      const ofFirst = full.filter((x) => x.file === first && String(x.path).startsWith('dates['));
      expect(ofFirst.length).toBeGreaterThan(0);
      // Its unsure dates are listed where they are now: one place earlier, the first date removed.
      const listedDates = [...new Set(ofFirst.map((x) => Number(/\d+/.exec(String(x.path))![0])))].sort();
      expect(listedDates).toEqual(unsureDates.filter((i) => i > 0).map((i) => i - 1).sort());
      // Every correctable value (what review <document> lists) as the document's record has it now.
      for (const r of full.filter((x) => !String(x.path).startsWith('signatories') && !String(x.path).endsWith('[+]'))) {
        const now = reviewDocument(d, String(r.sha256)).values.find((v) => v.path === r.path);
        expect(now, `${r.file} ${r.path}`).toBeDefined();
        expect(r.value).toBe(now!.value);
      }
      // Every unsure value of the archive is listed (of documents not flagged, not confirmed).
      const expected = d
        .prepare(
          `SELECT d.sha256 || ' ' || x.path FROM evidence x JOIN extractions e ON e.document_id = x.document_id JOIN documents d ON d.id = x.document_id
           WHERE e.current AND NOT e.needs_review AND x.confidence < 0.9 AND d.file_name NOT IN (?, ?)`,
        )
        .pluck()
        .all(first!, D001) as string[];
      const listed = new Set(full.filter((r) => section(r.status) === 2).map((r) => `${r.sha256} ${/^(units|dates)\[\d+\]/.exec(String(r.path))?.[0] ?? (String(r.path).startsWith('classes[') ? 'classes' : r.path)}`));
      for (const key of expected) expect(listed.has(key), key).toBe(true);
    } finally {
      d.close();
    }
  });
});
