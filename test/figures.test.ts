/**
 * Figures analysts can trust: reports counted once (not their files), distinct units within board
 * lineages, filters that filter (or refuse), incomplete reports made visible, spreadsheets, the
 * database in other tools, the report, and the synthetic archive's shape.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLASS_KEYS, DATE_KINDS, type Extracted } from '../schemas/record.js';
import { makeSyntheticArchive } from '../scripts/make-synthetic-archive.js';
import { DEGRADED_SCAN, makeScannedPdf, makeTextPdf, paginate, renderScan, toJpeg, toTiff } from '../scripts/fixtures.js';
import type { DocumentFile } from '../src/document-file.js';
import { main } from '../src/cli/main.js';
import { ingest } from '../src/pipeline.js';
import * as q from '../src/query/queries.js';
import { runNamedQuery } from '../src/query/named.js';
import { renderReport } from '../src/query/report.js';
import { Archive } from '../src/store/archive.js';
import { openDatabase } from '../src/store/database.js';
import { SCHEMA_VERSION } from '../src/store/migrations.js';
import { iterateRecords } from '../src/store/read.js';
import { rescopeUnits } from '../src/store/units.js';
import { unitIdentityKey } from '../src/query/unit-identity.js';
import { EMPTY_RECORD as EMPTY, tempDir } from './helpers.js';

const ROOT = resolve(__dirname, '..');

/** Runs the CLI in this process (as src/cli/bin.js does), capturing what it prints. */
async function cli(db: string, ...args: string[]): Promise<{ status: number; stdout: string; stderr: string; bytes: Buffer }> {
  const chunks: Buffer[] = [];
  let stderr = '';
  const stdout = { isTTY: false, write: (c: string | Uint8Array) => (chunks.push(Buffer.from(c)), true) } as unknown as NodeJS.WriteStream;
  const err = { isTTY: false, write: (c: string | Uint8Array) => ((stderr += String(c)), true) } as unknown as NodeJS.WriteStream;
  const status = await main(['node', 'beslutsarkiv', ...args, '--db', db], { stdout, stderr: err });
  const bytes = Buffer.concat(chunks);
  return { status, stdout: bytes.toString('utf8'), stderr, bytes };
}


export interface StoredDoc {
  name: string;
  record: Partial<Extracted> & { unitNames?: string[] };
  text?: string;
  ocr?: boolean;
}

/** An archive of extracted records written through the store (no text processing), then grouped and summarised. */
export function storeRecords(dbPath: string, docs: StoredDoc[]): void {
  const db = openDatabase(dbPath);
  const archive = new Archive(db);
  const run = archive.startRun('test', [], {});
  docs.forEach((d, i) => {
    const { unitNames, ...rest } = d.record;
    const record: Extracted = { ...EMPTY, ...rest };
    if (unitNames) record.units = unitNames.map((name) => ({ name, department: null, operator: 'municipal', provider: null, class: null }));
    const file: DocumentFile = {
      path: `/test/${d.name}`,
      name: d.name,
      size: 100,
      mtimeMs: 0,
      sha256: (i + 1).toString(16).padStart(64, '0'),
      format: 'txt',
      mediaType: 'text/plain',
      pages: [{ number: 1, text: d.text ?? `Handling ${d.name}`, source: d.ocr ? 'ocr' : 'text', confidence: d.ocr ? 85 : null }],
      messages: [],
      extraction: { record, evidence: {} },
    };
    archive.saveDocument(file, run);
  });
  archive.refreshSummaries();
  archive.finishRun(run, 'completed', { seen: docs.length, ingested: docs.length, changed: 0, unchanged: 0, reprocessed: 0, moved: 0, duplicate: 0, missing: 0, skipped: 0, failed: 0 });
  db.close();
}

const REPORT_2019 = `Farsta stadsdelsförvaltning
Avdelningen för äldreomsorg

Tjänsteutlåtande
Dnr 1.5.2-318/2019

Till
Farsta stadsdelsnämnd
2019-06-13

Anmälan till Stockholms stads kvalitetsutmärkelse 2019

Förslag till beslut
Stadsdelsnämnden godkänner att Äldreboendet Lönnen, Hemtjänsten Farsta och Förskolan Ekorren deltar i Stockholms stads kvalitetsutmärkelse 2019.

Bakgrund
Kvalitetsutmärkelsen delas ut den 26 november 2019. Syftet med utmärkelsen är att stimulera och uppmuntra arbetet med en långsiktigt hållbar kvalitetsutveckling. Den ger samtidigt staden möjlighet att lyfta fram förebilder och goda exempel. Genom att delta synliggör verksamheterna sitt systematiska kvalitetsarbete.
Äldreboendet Lönnen deltar i klassen äldreomsorg. Hemtjänsten Farsta deltar i klassen äldreomsorg och Förskolan Ekorren i klassen förskola.
Tävlingsbidraget ska vara inlämnat senast den 17 maj 2019 och protokollsutdrag ska skickas in senast den 28 juni 2019.

Anna Berg                          Lars Holm
Stadsdelsdirektör                  Avdelningschef`;

/** The same template filled in for another board: another report, however alike the text. */
const OTHER_2019 = REPORT_2019.replaceAll('Farsta', 'Skarpnäcks')
  .replace('Skarpnäcks stadsdelsförvaltning', 'Skarpnäcks stadsdelsförvaltning')
  .replace('1.5.2-318/2019', '1.5.2-407/2019')
  .replace('Äldreboendet Lönnen, Hemtjänsten Skarpnäcks och Förskolan Ekorren', 'Förskolan Tallen och Gruppbostaden Björken')
  .replace('Äldreboendet Lönnen deltar i klassen äldreomsorg. Hemtjänsten Skarpnäcks deltar i klassen äldreomsorg och Förskolan Ekorren i klassen förskola.', 'Förskolan Tallen deltar i klassen förskola.');

describe('reports, not files', () => {
  let dir: string;
  let db: string;
  beforeAll(async () => {
    dir = tempDir();
    db = join(dir, 'a.sqlite');
    const lines = paginate(REPORT_2019)[0]!;
    writeFileSync(join(dir, 'farsta-2019.pdf'), await makeTextPdf(REPORT_2019));
    writeFileSync(join(dir, 'farsta-2019-skannad.pdf'), await makeScannedPdf([toJpeg(renderScan(lines, { ...DEGRADED_SCAN, seed: 5 }), 70)]));
    writeFileSync(join(dir, 'farsta-2019.tif'), toTiff([renderScan(lines, { dpi: 200, rotateDeg: 0.3, noise: 6, paper: 245 })]));
    writeFileSync(join(dir, 'skarpnack-2019.txt'), OTHER_2019);
    await ingest([dir], { db, concurrency: 2 });
  });
  const open = () => openDatabase(db, { readonly: true });

  it('a text PDF, its scan and a TIFF of the same pages are one report, counted once', async () => {
    const groups = open().prepare('SELECT report, document, is_primary, joined_by, ocr FROM report_groups ORDER BY report, is_primary DESC, document').all() as q.Row[];
    const farsta = groups.filter((g) => String(g.document).startsWith('farsta'));
    expect(farsta.map((g) => g.document)).toEqual(['farsta-2019.pdf', 'farsta-2019-skannad.pdf', 'farsta-2019.tif']);
    expect(new Set(farsta.map((g) => g.report)).size).toBe(1);
    // The born-digital PDF is the one counted; the scans were joined by their Dnr or their text.
    expect(farsta[0]).toMatchObject({ is_primary: 1, ocr: 0, joined_by: expect.stringMatching(/dnr|text/) });
    for (const g of farsta.slice(1)) expect(g).toMatchObject({ is_primary: 0, ocr: 1, joined_by: expect.stringMatching(/dnr|text/) });
    // The same template for another board stays a report of its own.
    expect(groups.find((g) => g.document === 'skarpnack-2019.txt')?.report).not.toBe(farsta[0]!.report);
    expect(q.participation(open(), ['year'])).toEqual([{ year: 2019, reports: 2, units: 5, participations: 5 }]);
    expect(q.participation(open(), ['year', 'board'], { board: 'farsta' })).toEqual([{ year: 2019, board: 'Farsta stadsdelsnämnd', reports: 1, units: 3, participations: 3 }]);
    const history = q.unitHistory(open(), 'Lönnen');
    expect(history).toHaveLength(1);
    expect(history[0]!.documents).toBe('farsta-2019.pdf; farsta-2019-skannad.pdf; farsta-2019.tif');
  });

  it('the archivist splits and joins report groups from the command line, and the decision stays', async () => {
    const show = await cli(db, 'group', 'show', 'farsta-2019.tif');
    expect(show.status).toBe(0);
    expect(show.stdout).toMatch(/^report \d+: 2019, Farsta stadsdelsnämnd, 3 units, 3 documents\n/);
    expect(show.stdout).toMatch(/counted +pdf +farsta-2019\.pdf/);

    const split = await cli(db, 'group', 'split', 'farsta-2019.tif');
    expect(split.status, split.stderr).toBe(0);
    expect(split.stdout).toMatch(/1 document\n.*farsta-2019\.tif/);
    expect(q.participation(open(), ['year'])).toEqual([{ year: 2019, reports: 3, units: 5, participations: 8 }]);

    // A nightly run over the same folder keeps the archivist's decision.
    await ingest([dir], { db, concurrency: 2 });
    expect(q.participation(open(), ['year'])[0]!.reports).toBe(3);

    const join_ = await cli(db, 'group', 'join', 'farsta-2019.pdf', 'farsta-2019.tif');
    expect(join_.status, join_.stderr).toBe(0);
    expect(join_.stdout).toMatch(/3 documents/);
    expect(q.participation(open(), ['year'])[0]).toMatchObject({ reports: 2, participations: 5 });

    expect(await cli(db, 'group', 'split', 'nothing-like-this.pdf')).toMatchObject({ status: 2, stderr: expect.stringMatching(/no document matches "nothing-like-this.pdf"/) });
    expect((await cli(db, 'group', 'join', 'farsta-2019.pdf')).status).toBe(2);
  });
});

describe('reports by Dnr and board', () => {
  it('documents with the same Dnr under the same board are one report; the same Dnr under another board is not', async () => {
    const db = join(tempDir(), 'dnr.sqlite');
    const r = (board: string, dnr: string, unitNames: string[]) => ({ year: 2021, board, diarienummer: dnr, unitNames });
    storeRecords(db, [
      { name: 'a.pdf', record: r('Bromma stadsdelsnämnd', '1.2-33/2021', ['Förskolan Ugglan', 'Hemtjänsten Bromma']) },
      // Its scan: OCR read one unit differently and the Dnr with a letter O for a zero.
      { name: 'a-scan.pdf', record: r('Bromma stadsdelsnämnd', '1.2-33/2O21', ['Förskolan Ugglan', 'Hemtjansten Brornma']), ocr: true },
      { name: 'b.pdf', record: r('Farsta stadsdelsnämnd', '1.2-33/2021', ['Förskolan Ugglan']) },
    ]);
    const d = openDatabase(db, { readonly: true });
    expect(d.prepare('SELECT document, is_primary, joined_by FROM report_groups ORDER BY document').all()).toEqual([
      { document: 'a-scan.pdf', is_primary: 0, joined_by: 'dnr' },
      { document: 'a.pdf', is_primary: 1, joined_by: 'dnr' },
      { document: 'b.pdf', is_primary: 1, joined_by: 'self' },
    ]);
    // The scan's misread unit does not count: the report's units are those of its best document.
    expect(q.participation(d, ['year'])).toEqual([{ year: 2021, reports: 2, units: 3, participations: 3 }]);
    expect(q.unitHistory(d, 'Hemtjansten Brornma')).toEqual([]);
    // The export carries each document's report group: a program counts reports, not files.
    const nd = (await cli(db, 'export', '--format', 'ndjson')).stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { source: { file: string }; report: { id: number; documents: number; counted: boolean } });
    expect(nd.map((r) => [r.source.file, r.report.documents, r.report.counted])).toEqual([['a-scan.pdf', 2, false], ['a.pdf', 2, true], ['b.pdf', 1, true]]);
    expect(nd[0]!.report.id).toBe(nd[1]!.report.id);
    expect(new Set(nd.map((r) => r.report.id)).size).toBe(2);
    expect(nd.filter((r) => r.report.counted)).toHaveLength(2);
    const csv = (await cli(db, 'export', '--format', 'csv')).stdout.split('\n').slice(1, 4).map((l) => l.split(',').slice(9, 12));
    expect(csv).toEqual([[String(nd[0]!.report.id), '2', '0'], [String(nd[0]!.report.id), '2', '1'], [String(nd[2]!.report.id), '1', '1']]);
  });
});

describe('distinct units', () => {
  const districts = Array.from({ length: 43 }, (_, i) => `Distrikt ${String.fromCharCode(65 + (i % 26))}${i >= 26 ? 'x' : ''} stadsdelsnämnd`);

  it('the same name in 43 boards is 43 units, and participations are counted beside them', async () => {
    const db = join(tempDir(), 'units.sqlite');
    storeRecords(db, [
      ...districts.map((board, i) => ({ name: `r${i}.txt`, record: { year: 2024, board, unitNames: ['Äldreboendet Lönnen'] } })),
      // One board names it twice in a year (a report and a complement): one unit, two participations.
      { name: 'extra.txt', record: { year: 2024, board: districts[0]!, diarienummer: 'x-2', unitNames: ['äldreboendet Lönnen', 'Hemtjänsten A'] } },
    ]);
    const d = openDatabase(db, { readonly: true });
    expect(q.participation(d, ['year'])).toEqual([{ year: 2024, reports: 44, units: 44, participations: 45 }]);
    expect(q.participation(d, ['year'], { board: districts[0] })).toEqual([{ year: 2024, reports: 2, units: 2, participations: 3 }]);
    expect(q.boards(d).find((b) => b.board === districts[0])).toMatchObject({ reports: 2, units: 2, participations: 3 });
    expect(new Set(q.unitHistory(d, 'Lönnen').map((r) => r.unit_id)).size).toBe(43);
    // The view gives the same answer.
    expect(d.prepare('SELECT year, reports, units, participations FROM participation_by_year').all()).toEqual([{ year: 2024, reports: 44, units: 44, participations: 45 }]);
  });

  it('a unit is one across its board lineage (renamed, merged), and across boards only through a confirmed alias', async () => {
    const db = join(tempDir(), 'lineage.sqlite');
    storeRecords(db, [
      { name: 'h2006.txt', record: { year: 2006, board: 'Hässelby stadsdelsnämnd', unitNames: ['Förskolan Ekorren', 'Hemtjänsten Hässelby'] } },
      { name: 'v2006.txt', record: { year: 2006, board: 'Vällingby stadsdelsnämnd', unitNames: ['Fritidsgården Tornet'] } },
      { name: 'hv2007.txt', record: { year: 2007, board: 'Hässelby-Vällingby stadsdelsnämnd', unitNames: ['Förskolan Ekorren', 'Fritidsgården Tornet'] } },
      { name: 'f2007.txt', record: { year: 2007, board: 'Farsta stadsdelsnämnd', unitNames: ['Förskolan Ekorren'] } },
      { name: 's2008.txt', record: { year: 2008, board: 'Socialnämnden', unitNames: ['Hemtjänsten Hässelby'] } },
    ]);
    const units = () => (openDatabase(db, { readonly: true }).prepare('SELECT count(DISTINCT unit_id) AS n FROM participations WHERE counted').get() as { n: number }).n;
    expect(units()).toBe(7);
    for (const [from, to] of [['hässelby stadsdelsnämnd', 'hässelby-vällingby'], ['vällingby stadsdelsnämnd', 'hässelby-vällingby']] as const) {
      const r = await cli(db, 'lineage', 'add', from, to, '--year', '2007');
      expect(r.status, r.stderr).toBe(0);
    }
    expect((await cli(db, 'lineage', 'list')).stdout).toMatch(/Hässelby stadsdelsnämnd.*Hässelby-Vällingby stadsdelsnämnd.*2007.*merged/);
    // Ekorren and Tornet are one unit each across the merger; Farsta's Ekorren is another unit.
    expect(units()).toBe(5);
    const ekorren = q.unitHistory(openDatabase(db, { readonly: true }), 'Ekorren');
    expect(ekorren.map((r) => [r.year, r.board, r.unit_id === ekorren[0]!.unit_id])).toEqual([
      [2006, 'Hässelby stadsdelsnämnd', true],
      [2007, 'Farsta stadsdelsnämnd', false],
      [2007, 'Hässelby-Vällingby stadsdelsnämnd', true],
    ]);
    // The home-care unit moved from the district to Socialnämnden: one unit only once the archivist confirms it.
    const alias = await cli(db, 'alias', 'add', 'Hemtjänsten Hässelby', 'hemtjänsten hässelby', '--board', 'hässelby stadsdelsnämnd', '--other-board', 'socialnämnden');
    expect(alias.status, alias.stderr).toBe(0);
    expect(units()).toBe(4);
    expect((await cli(db, 'alias', 'list')).stdout).toMatch(/Hässelby stadsdelsnämnd.*Hemtjänsten Hässelby.*Socialnämnden/);
    expect((await cli(db, 'alias', 'remove', 'Hemtjänsten Hässelby', 'Hemtjänsten Hässelby', '--board', 'hässelby stadsdelsnämnd', '--other-board', 'socialnämnden')).status).toBe(0);
    expect(units()).toBe(5);
    expect((await cli(db, 'lineage', 'remove', 'vällingby stadsdelsnämnd', 'hässelby-vällingby')).status).toBe(0);
    expect(units()).toBe(6);
    expect(await cli(db, 'alias', 'add', 'Finns inte', 'Förskolan Ekorren', '--board', 'farsta')).toMatchObject({ status: 2, stderr: expect.stringMatching(/no unit named "Finns inte" took part under Farsta stadsdelsnämnd/) });
  });
});

describe('unit identity keeps the type word', () => {
  it('Förskolan Ekorren and Äldreboendet Ekorren in one lineage are two units; spellings of one unit are one', () => {
    const db = join(tempDir(), 'types.sqlite');
    const board = 'Hässelby-Vällingby stadsdelsnämnd';
    storeRecords(db, [
      { name: 'a2019.txt', record: { year: 2019, board, unitNames: ['Förskolan Ekorren', 'Äldreboendet Ekorren'] } },
      // The same two units, spelled otherwise: lower-case type word, genitive before an indefinite type word, no å/ä/ö.
      { name: 'a2020.txt', record: { year: 2020, board, unitNames: ['förskolan Ekorren', 'Ekorrens äldreboende'] } },
      { name: 'a2021.txt', record: { year: 2021, board, unitNames: ['Forskolan Ekorren', 'Korttidshemmet Tallen'] } },
      { name: 'a2022.txt', record: { year: 2022, board, unitNames: ['Korttidshem Tallen', 'Ekorren'] } },
    ]);
    const d = openDatabase(db, { readonly: true });
    // Förskolan Ekorren, Äldreboendet Ekorren, Korttidshemmet Tallen, and a bare Ekorren (which of the two it is, the name does not say).
    expect(q.participation(d, ['year'])).toEqual([
      { year: 2019, reports: 1, units: 2, participations: 2 },
      { year: 2020, reports: 1, units: 2, participations: 2 },
      { year: 2021, reports: 1, units: 2, participations: 2 },
      { year: 2022, reports: 1, units: 2, participations: 2 },
    ]);
    expect(d.prepare('SELECT count(DISTINCT unit_id) FROM participations WHERE counted').pluck().get()).toBe(4);
    const history = q.unitHistory(d, 'Förskolan Ekorren');
    expect(history.map((r) => [r.year, r.name])).toEqual([[2019, 'Förskolan Ekorren'], [2020, 'förskolan Ekorren'], [2021, 'Forskolan Ekorren']]);
    expect(new Set(history.map((r) => r.unit_id)).size).toBe(1);
    expect(q.unitHistory(d, 'äldreboendet ekorren').map((r) => [r.year, r.name])).toEqual([[2019, 'Äldreboendet Ekorren'], [2020, 'Ekorrens äldreboende']]);
    // One word finds every unit named with it, each with its own unit_id; the beginning of a word does too.
    expect(new Set(q.unitHistory(d, 'Ekorren').map((r) => r.unit_id)).size).toBe(3);
    expect(new Set(q.unitHistory(d, 'tall').map((r) => r.unit_id)).size).toBe(1);
    expect(q.unitHistory(d, 'korttids').map((r) => r.year)).toEqual([2021, 2022]);
    expect(unitIdentityKey('Korttidshemmet Tallen')).toBe(unitIdentityKey('Korttidshem Tallen'));
    expect(unitIdentityKey('Förskolan Ekorren 1')).not.toBe(unitIdentityKey('Förskolan Ekorren 2'));
    expect(unitIdentityKey('Förskolan Ekorren')).not.toBe(unitIdentityKey('Äldreboendet Ekorren'));
  });

  it('migration 11 recomputes stored keys and brings back the participation the old key lost', () => {
    const db = join(tempDir(), 'rekey.sqlite');
    storeRecords(db, [
      { name: 'a.txt', record: { year: 2019, board: 'Farsta stadsdelsnämnd', unitNames: ['Förskolan Ekorren', 'Äldreboendet Ekorren'] } },
      { name: 'b.txt', record: { year: 2020, board: 'Farsta stadsdelsnämnd', unitNames: ['Äldreboendet Ekorren'] } },
    ]);
    // The archive as schema version 10 left it: one identity "ekorren", the second unit of a.txt dropped.
    const raw = openDatabase(db);
    raw.exec(`
      DELETE FROM participations WHERE document_id = 1 AND name = 'Äldreboendet Ekorren';
      UPDATE participations SET identity_id = (SELECT id FROM unit_identities WHERE name = 'Förskolan Ekorren') WHERE name = 'Äldreboendet Ekorren';
      DELETE FROM unit_identities WHERE name = 'Äldreboendet Ekorren';
      UPDATE unit_identities SET key = 'ekorren';
      DELETE FROM schema_migrations WHERE version >= 11;
      ALTER TABLE runs DROP COLUMN pages_failed; -- migration 12's, so that it can run again
      DROP TABLE summary_pages; DROP INDEX participations_unit_rows; DROP INDEX participations_identity_unit; DROP INDEX reports_incomplete; DROP INDEX summary_classes_year; -- migration 13's
      DROP INDEX IF EXISTS documents_superseded_by; -- migration 15's
    `);
    rescopeUnits(raw);
    raw.pragma('user_version = 10');
    expect(raw.prepare('SELECT count(DISTINCT unit_id) FROM participations').pluck().get()).toBe(1);
    raw.close();
    openDatabase(db).close(); // a writer opens it: migration 11 runs
    const d = openDatabase(db, { readonly: true, current: true });
    expect(d.prepare('SELECT key FROM unit_identities ORDER BY key').pluck().all()).toEqual([unitIdentityKey('Äldreboendet Ekorren'), unitIdentityKey('Förskolan Ekorren')].sort());
    expect(q.participation(d, ['year'])).toEqual([
      { year: 2019, reports: 1, units: 2, participations: 2 },
      { year: 2020, reports: 1, units: 1, participations: 1 },
    ]);
    expect(q.unitHistory(d, 'Äldreboendet Ekorren').map((r) => r.year)).toEqual([2019, 2020]);
  });
});

describe('filters that filter', () => {
  let db: string;
  beforeAll(() => {
    db = join(tempDir(), 'filters.sqlite');
    const report = (year: number, board: string, unitNames: string[], text: string) => ({ name: `${board.split(' ')[0]}-${year}.txt`, record: { year, board, unitNames }, text });
    storeRecords(db, [
      report(2016, 'Södermalms stadsdelsnämnd', ['Förskolan Solrosen'], 'Södermalm anmäler Förskolan Solrosen till kvalitetsutmärkelsen 2016.'),
      report(2018, 'Södermalms stadsdelsnämnd', ['Förskolan Solrosen', 'Hemtjänsten Söder'], 'Södermalm anmäler Förskolan Solrosen och Hemtjänsten Söder till kvalitetsutmärkelsen 2018.'),
      report(2018, 'Socialnämnden', ['Stödboendet Lönnen'], 'Socialnämnden anmäler Stödboendet Lönnen till kvalitetsutmärkelsen 2018.'),
      report(2018, 'Socialdistriktsnämnden Söder', ['Mottagningen Fyren'], 'Mottagningen Fyren anmäls till kvalitetsutmärkelsen 2018.'),
    ]);
  });

  it('search honours --from, --to and --board', async () => {
    const all = JSON.parse((await cli(db, 'query', 'search', 'kvalitetsutmarkelsen')).stdout) as q.Row[];
    expect(all).toHaveLength(4);
    const from = await cli(db, 'query', 'search', 'kvalitetsutmarkelsen', '--from', '2017');
    expect(from.status, from.stderr).toBe(0);
    expect((JSON.parse(from.stdout) as q.Row[]).map((r) => r.year)).toEqual([2018, 2018, 2018]);
    expect((JSON.parse((await cli(db, 'query', 'search', 'kvalitetsutmarkelsen', '--to', '2016')).stdout) as q.Row[]).map((r) => r.file)).toEqual(['Södermalms-2016.txt']);
    expect((JSON.parse((await cli(db, 'query', 'search', 'solrosen', '--board', 'södermalm', '--from', '2018')).stdout) as q.Row[]).map((r) => r.file)).toEqual(['Södermalms-2018.txt']);
    // Filtered, the pages are ranked among themselves (BM25) and cut at --limit with the total said; snippets mark the words.
    const filtered = await cli(db, 'query', 'search', 'solrosen', '--board', 'södermalm', '--limit', '1');
    expect(JSON.parse(filtered.stdout)).toEqual([
      expect.objectContaining({ file: 'Södermalms-2016.txt', year: 2016, board: 'Södermalms stadsdelsnämnd', snippet: 'Södermalm anmäler Förskolan [Solrosen] till kvalitetsutmärkelsen 2016' }),
    ]);
    expect(filtered.stderr).toMatch(/showing the best 1 of 2 matching pages; --limit 2 shows them all/);
    expect(q.search(openDatabase(db, { readonly: true }), 'kvalitets*', { to: 2016 }).map((r) => r.snippet)).toEqual(['Södermalm anmäler Förskolan Solrosen till [kvalitetsutmärkelsen] 2016']);
    const limited = await cli(db, 'query', 'search', 'kvalitetsutmarkelsen', '--limit', '2');
    expect(JSON.parse(limited.stdout)).toHaveLength(2);
    expect(limited.stderr).toMatch(/showing the best 2 of 4 matching pages; --limit 4 shows them all/);
  });

  it('--board matches folded and partial names, says which board it took, and lists candidates when ambiguous', async () => {
    const r = await cli(db, 'query', 'participation', '--board', 'sodermalm', '--format', 'csv');
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('beslutsarkiv: --board "sodermalm": Södermalms stadsdelsnämnd\n');
    expect(r.stdout).toBe('year,reports,units,participations\n2016,1,1,1\n2018,1,2,2\n');
    expect(q.participation(openDatabase(db, { readonly: true }), ['year'], { board: 'SÖDERMALMS STADSDELSNÄMND' })).toHaveLength(2);
    const ambiguous = await cli(db, 'query', 'boards', '--board', 'social');
    expect(ambiguous.status).toBe(2);
    expect(ambiguous.stderr).toMatch(/--board "social" matches 2 boards; give more of the name:\n {2}Socialdistriktsnämnden Söder\n {2}Socialnämnden\n/);
    const none = await cli(db, 'query', 'boards', '--board', 'Sodertalje');
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/no board matches --board "Sodertalje"; the closest names:\n {2}Södermalms stadsdelsnämnd/);
  });

  it('years have four digits and --from comes before --to', async () => {
    for (const [args, message] of [
      [['--from', '17'], /argument '17' is invalid. a year has four digits/],
      [['--to', '20180'], /argument '20180' is invalid/],
      [['--from', '2019', '--to', '2017'], /--from 2019 is after --to 2017/],
    ] as const) {
      const r = await cli(db, 'query', 'participation', ...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('every query honours --from/--to/--board/--class or refuses them with exit 2 and a reason', async () => {
    const d = openDatabase(db, { readonly: true });
    // The units of these records name no class: class "unknown" ("Klass ej angiven").
    expect(q.participation(d, ['year'], { class: 'förskola' })).toEqual([]);
    expect(q.participation(d, ['year', 'class'], { class: 'ej angiven', to: 2016 })).toEqual([{ year: 2016, class: 'unknown', reports: 1, units: 1, participations: 1 }]);
    expect(q.unitHistory(d, 'Solrosen', { from: 2017 }).map((r) => r.year)).toEqual([2018]);
    expect(() => q.boards(d, { from: 2017, board: 'söder' })).toThrow(/--board "söder" matches 2 boards/);
    expect(q.boards(d, { from: 2017, board: 'södermalms' })).toEqual([{ board: 'Södermalms stadsdelsnämnd', years: 1, first: 2018, last: 2018, reports: 1, units: 2, participations: 2 }]);
    // One year: from the year-and-board summary, the same as counted from the participations.
    expect(q.summariesFresh(d)).toBe(true);
    const oneYear = (extra: string, ...args: string[]) =>
      d
        .prepare(
          `SELECT board, count(DISTINCT year) AS years, min(year) AS first, max(year) AS last, count(DISTINCT document_id) AS reports, count(DISTINCT unit_id) AS units,
                  count(DISTINCT document_id << 32 | unit_id) AS participations
           FROM participations WHERE counted AND year = 2018${extra} GROUP BY board ORDER BY units DESC, board IS NULL, board`,
        )
        .all(...args);
    expect(q.boards(d, { from: 2018, to: 2018 })).toEqual(oneYear(''));
    expect(q.boards(d, { from: 2018, to: 2018 }).map((r) => r.board)).toEqual(['Södermalms stadsdelsnämnd', 'Socialdistriktsnämnden Söder', 'Socialnämnden']);
    expect(q.boards(d, { from: 2018, to: 2018, class: 'unknown' })).toEqual(oneYear(" AND coalesce(class, 'unknown') = ?", 'unknown'));
    expect(q.boards(d, { from: 2018, to: 2018, board: 'socialnämnden' })).toEqual(oneYear(' AND board = ?', 'Socialnämnden'));
    expect(q.signatories(d, { to: 2016 })).toEqual([]);
    for (const [args, message] of [
      [['deadlines', '--class', 'skola'], /query deadlines does not take --class \(it is not about units\); it takes --from, --to, --board/],
      [['signatories', '--class', 'skola'], /query signatories does not take --class/],
      [['boards', '--by', 'year,board'], /query boards does not take --by \(only participation is grouped\)/],
      [['sql', 'SELECT 1', '--from', '2018'], /query sql does not take --from \(write the condition into the SELECT\); it takes no filters/],
      [['participation', '--limit', '5'], /query participation does not take --limit \(only search, unit, signatories and incomplete are cut at a limit\)/],
      [['participation', '--class', 'simhall'], /no class matches --class "simhall"; the classes:\n {2}forskola \(Förskola\)/],
      [['participation', '--by', 'board'], /--by takes year, year,board, year,class, year,board,class, not "board"/],
      [['participation', '--format', 'json', '--excel'], /--excel goes with --format csv, not json/],
    ] as const) {
      const r = await cli(db, 'query', ...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('signatories and incomplete are cut at --limit (default 100) and say how many rows there are', async () => {
    const sigDb = join(tempDir(), 'signatories.sqlite');
    const signed = (year: number) => ({ ...EMPTY, year, board: 'Bromma stadsdelsnämnd', signatories: [{ name: 'Anna Berg', title: 'Stadsdelsdirektör' }, { name: 'Per Lind', title: 'Avdelningschef' }] });
    storeRecords(sigDb, [2019, 2017, 2018].map((year) => ({ name: `s${year}.txt`, record: signed(year) })));
    const all = JSON.parse((await cli(sigDb, 'query', 'signatories')).stdout) as q.Row[];
    expect(all.map((r) => [r.year, r.name])).toEqual([2017, 2018, 2019].flatMap((y) => [[y, 'Anna Berg'], [y, 'Per Lind']]));
    const cut = await cli(sigDb, 'query', 'signatories', '--limit', '3');
    expect(cut.status).toBe(0);
    expect(JSON.parse(cut.stdout)).toEqual(all.slice(0, 3));
    expect(cut.stderr).toBe('beslutsarkiv: showing the first 3 of 6 rows; --limit 6 shows them all\n');
    expect((await cli(sigDb, 'query', 'signatories', '--limit', '6')).stderr).toBe('');
    expect(q.signatoriesCount(openDatabase(sigDb, { readonly: true }), { from: 2018 })).toBe(4);
    expect(q.DEFAULT_LIST_LIMIT).toBe(100);
  });

  it('CSV always has its header row; tables say 1 row, 2 rows', async () => {
    expect((await cli(db, 'query', 'participation', '--from', '2030', '--format', 'csv')).stdout).toBe('year,reports,units,participations\n');
    expect((await cli(db, 'query', 'unit', 'Finns inte', '--format', 'csv')).stdout).toBe('year,name,unit_id,board,department,class,operator,report,documents\n');
    expect((await cli(db, 'query', 'sql', 'SELECT id AS n, file_name FROM documents WHERE 0', '--format', 'csv')).stdout).toBe('n,file_name\n');
    expect((await cli(db, 'query', 'participation', '--to', '2016', '--format', 'table')).stdout).toMatch(/\n1 row\n$/);
    expect((await cli(db, 'query', 'participation', '--format', 'table')).stdout).toMatch(/\n2 rows\n$/);
    expect((await cli(db, 'query', 'participation', '--from', '2030', '--format', 'table')).stdout).toBe('year  reports  units  participations\n0 rows\n');
  });
});

describe('incomplete is visible', () => {
  let db: string;
  beforeAll(() => {
    db = join(tempDir(), 'incomplete.sqlite');
    storeRecords(db, [
      { name: 'complete.txt', record: { year: 2020, board: 'Bromma stadsdelsnämnd', unitNames: ['Förskolan Ugglan', 'Biblioteket Tornet'] } },
      { name: 'no-year.txt', record: { year: null, board: 'Bromma stadsdelsnämnd', unitNames: ['Träffpunkten Ängen'] } },
      { name: 'no-board.txt', record: { year: 2020, board: null, unitNames: ['Mottagningen Fyren'] } },
      { name: 'no-units.txt', record: { year: 2021, board: 'Farsta stadsdelsnämnd', unitNames: [] } },
      // A report about something else is not incomplete for lacking these.
      { name: 'remiss.txt', record: { topic: 'other', year: null, board: null } },
    ]);
  });

  it('query incomplete lists participation reports without year, board or units; status counts them', async () => {
    const rows = JSON.parse((await cli(db, 'query', 'incomplete')).stdout) as q.Row[];
    expect(rows.map((r) => [r.files, r.missing, r.units])).toEqual([
      ['no-board.txt', 'board', 1],
      ['no-units.txt', 'units', 0],
      ['no-year.txt', 'year', 1],
    ]);
    expect(q.incomplete(openDatabase(db, { readonly: true }), { board: 'bromma' }).map((r) => r.files)).toEqual(['no-year.txt']);
    const status = JSON.parse((await cli(db, 'status', '--format', 'json')).stdout);
    expect(status).toMatchObject({ documents: 5, reports: 5, incomplete_reports: 3, reports_in_several_documents: 0 });
    expect((await cli(db, 'status')).stdout).toMatch(/5 reports \(0 of them in more than one document\), 3 incomplete/);
    // The trend keeps them where it can: no year sorts last, no board is its own row.
    expect(q.participation(openDatabase(db, { readonly: true }), ['year', 'board'])).toEqual([
      { year: 2020, board: 'Bromma stadsdelsnämnd', reports: 1, units: 2, participations: 2 },
      { year: 2020, board: null, reports: 1, units: 1, participations: 1 },
      { year: null, board: 'Bromma stadsdelsnämnd', reports: 1, units: 1, participations: 1 },
    ]);
  });

  it('the report shows them as okänd nämnd / okänt år and says how many are outside the charts', () => {
    const html = renderReport(openDatabase(db, { readonly: true }), { dbPath: db });
    expect(html).toContain('3 rapporter om deltagande saknar år, nämnd eller enheter. <b>2 står utanför diagrammen</b> (1 utan år, 1 utan enheter); 1 utan nämnd räknas per år men visas som okänd nämnd.');
    expect(html).toMatch(/<td>okänt år<\/td><td>Bromma stadsdelsnämnd<\/td>/);
    expect(html).toMatch(/<td>2020<\/td><td>okänd nämnd<\/td>/);
    expect(html).toContain('<span><i style="background:#1f5fa8"></i>Bromma stadsdelsnämnd</span><span><i style="background:#d1495b"></i>okänd nämnd</span>');
    expect(html).not.toMatch(/\bnull\b|undefined|NaN/);
  });
});

describe('spreadsheets and export', () => {
  let db: string;
  beforeAll(() => {
    db = join(tempDir(), 'sheets.sqlite');
    storeRecords(db, [
      { name: 'b2019.txt', record: { year: 2019, board: 'Bromma stadsdelsnämnd', diarienummer: '1.1-1/2019', unitNames: ['Förskolan Ugglan', 'Biblioteket Tornet'] } },
      { name: 'b2021.txt', record: { year: 2021, board: 'Bromma stadsdelsnämnd', diarienummer: '1.1-9/2021', unitNames: ['Förskolan Ugglan'] } },
      { name: 'f2021.txt', record: { year: 2021, board: 'Farsta stadsdelsnämnd', unitNames: ['Hemtjänsten "Farsta", syd'] } },
      { name: 'remiss.txt', record: { topic: 'other' } },
    ]);
  });

  it('--excel: CSV with a byte-order mark, ";" between fields, CRLF and decimal commas', async () => {
    const r = await cli(db, 'query', 'participation', '--by', 'year,board', '--format', 'csv', '--excel');
    expect(r.bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(r.stdout).toBe('\ufeffyear;board;reports;units;participations\r\n2019;Bromma stadsdelsnämnd;1;2;2\r\n2021;Bromma stadsdelsnämnd;1;1;1\r\n2021;Farsta stadsdelsnämnd;1;1;1\r\n');
    expect((await cli(db, 'query', 'sql', 'SELECT 0.5 AS share, \'a;b\' AS text', '--excel')).stdout).toBe('\ufeffshare;text\r\n0,5;"a;b"\r\n');
    expect((await cli(db, 'query', 'participation', '--from', '2030', '--excel')).stdout).toBe('\ufeffyear;reports;units;participations\r\n');
  });

  it('--format xlsx writes a workbook that reads back', async () => {
    const r = await cli(db, 'query', 'participation', '--by', 'year,board', '--format', 'xlsx');
    expect(r.status, r.stderr).toBe(0);
    const { default: ExcelJS } = await import('exceljs');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(r.bytes as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('participation')!;
    const values = ws.getSheetValues().slice(1).map((row) => (row as unknown[]).slice(1));
    expect(values).toEqual([
      ['year', 'board', 'reports', 'units', 'participations'],
      [2019, 'Bromma stadsdelsnämnd', 1, 2, 2],
      [2021, 'Bromma stadsdelsnämnd', 1, 1, 1],
      [2021, 'Farsta stadsdelsnämnd', 1, 1, 1],
    ]);
    const empty = await cli(db, 'query', 'unit', 'Finns inte', '--format', 'xlsx');
    const wb2 = new ExcelJS.Workbook();
    await wb2.xlsx.load(empty.bytes as unknown as ArrayBuffer);
    expect((wb2.getWorksheet('unit')!.getRow(1).values as unknown[]).slice(1)).toEqual(['year', 'name', 'unit_id', 'board', 'department', 'class', 'operator', 'report', 'documents']);
  });

  it('export streams json, ndjson and csv, with the query filters', async () => {
    const all = Array.from(iterateRecords(openDatabase(db, { readonly: true })));
    expect(all.map((r) => r.report)).toEqual([1, 2, 3, 4].map((id) => ({ id, documents: 1, counted: true })));
    expect(JSON.parse((await cli(db, 'export')).stdout)).toEqual(all);
    const nd = (await cli(db, 'export', '--format', 'ndjson')).stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(nd).toEqual(all);
    expect(JSON.parse((await cli(db, 'export', '--from', '2021')).stdout).map((r: { source: { file: string } }) => r.source.file)).toEqual(['b2021.txt', 'f2021.txt']);
    expect(JSON.parse((await cli(db, 'export', '--board', 'bromma', '--to', '2020')).stdout).map((r: { source: { file: string } }) => r.source.file)).toEqual(['b2019.txt']);
    expect(JSON.parse((await cli(db, 'export', '--class', 'unknown', '--from', '2030')).stdout)).toEqual([]);
    const csv = (await cli(db, 'export', '--format', 'csv', '--board', 'farsta')).stdout.split('\n');
    expect(csv[0]).toBe('file,path,sha256,format,pages,ocr,ocr_confidence,missing,superseded_by,report,report_documents,counted,topic,year,board,administration,diarienummer,document_date,meeting_date,units,classes,target_units,case_officer');
    expect(csv[1]).toMatch(/^f2021\.txt,\/test\/f2021\.txt,0+3,txt,1,0,,0,,3,1,1,award_participation,2021,Farsta stadsdelsnämnd,,,,,"Hemtjänsten ""Farsta"", syd",,,$/);
    expect(csv).toHaveLength(3);
    const excel = (await cli(db, 'export', '--format', 'csv', '--excel')).stdout;
    expect(excel.startsWith('\ufefffile;path;')).toBe(true);
    expect(excel.split('\r\n')).toHaveLength(6);
    expect((await cli(db, 'export', '--format', 'csv', '--with-evidence'))).toMatchObject({ status: 2, stderr: expect.stringMatching(/--with-evidence needs --format json or ndjson/) });
    expect((await cli(db, 'export', '--excel'))).toMatchObject({ status: 2, stderr: expect.stringMatching(/--excel goes with --format csv/) });
  });
});

describe('the database in other tools', () => {
  let db: string;
  beforeAll(() => {
    db = join(tempDir(), 'tools.sqlite');
    storeRecords(db, [
      { name: 'a.txt', record: { year: 2020, board: 'Bromma stadsdelsnämnd', unitNames: ['Förskolan Ugglan'] }, text: 'Förvaltningen föreslår att Förskolan Ugglan deltar i kvalitetsutmärkelsen.' },
      { name: 'b.txt', record: { year: 2021, board: 'Farsta stadsdelsnämnd', unitNames: ['Hemtjänsten Farsta'] }, text: 'Nämnden godkänner att Hemtjänsten Farsta deltar.' },
    ]);
  });

  const hasSqliteUtils = spawnSync('sqlite-utils', ['--version'], { encoding: 'utf8' }).status === 0;
  // CI installs Debian's sqlite-utils (apt-get install -y sqlite-utils); elsewhere this test says it was skipped.
  it.skipIf(!hasSqliteUtils)('sqlite-utils finds the full-text index and searches it, with or without å/ä/ö', () => {
    const run = (...args: string[]) => spawnSync('sqlite-utils', args, { encoding: 'utf8' });
    expect(JSON.parse(run('tables', db, '--fts5').stdout)).toEqual([{ table: 'pages_fts' }]);
    for (const word of ['förvaltningen', 'forvaltningen', 'forvaltning*']) {
      const r = run('search', db, 'pages', word, '-c', 'document_id', '-c', 'page');
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual([{ document_id: 1, page: 1 }]);
    }
    // Every view parses in Debian's SQLite (3.40), which Python's sqlite3 uses.
    const views = run('query', db, "SELECT name FROM sqlite_master WHERE type = 'view'");
    for (const { name } of JSON.parse(views.stdout) as Array<{ name: string }>) expect(run('query', db, `SELECT * FROM ${name} LIMIT 1`).status, name).toBe(0);
  });

  it('the FTS table is declared the way sqlite-utils and Datasette look for it', () => {
    const sql = openDatabase(db, { readonly: true }).prepare("SELECT sql FROM sqlite_master WHERE name = 'pages_fts'").pluck().get() as string;
    expect(sql).toMatch(/USING fts5\(.*content="pages"/);
  });

  it('Swedish labels for class keys, date kinds and topics are in a table', () => {
    const d = openDatabase(db, { readonly: true });
    const labels = d.prepare('SELECT kind, key, label FROM labels ORDER BY kind, key').all() as Array<{ kind: string; key: string; label: string }>;
    const of = (kind: string) => Object.fromEntries(labels.filter((l) => l.kind === kind).map((l) => [l.key, l.label]));
    expect(Object.keys(of('class')).sort()).toEqual([...CLASS_KEYS, 'unknown'].sort());
    expect(Object.keys(of('date_kind')).sort()).toEqual([...DATE_KINDS].sort());
    expect(of('topic')).toEqual({ award_participation: 'Deltagande i Kvalitetsutmärkelsen', other: 'Annat ärende' });
    expect(of('class').aldreomsorg).toBe('Äldreomsorg');
    expect(d.prepare("SELECT class_label FROM participation_by_year_class WHERE year = 2020").pluck().get()).toBe('Klass ej angiven');
  });

  it('datasette-metadata prints a metadata.json', async () => {
    const r = await cli(db, 'datasette-metadata');
    expect(r.status).toBe(0);
    const meta = JSON.parse(r.stdout);
    expect(meta.title).toBe('beslutsarkiv: Kvalitetsutmärkelsen');
    const tables = meta.databases.tools.tables;
    expect(tables.pages).toMatchObject({ fts_table: 'pages_fts', fts_pk: 'rowid' });
    expect(tables.participation_by_year.description).toMatch(/distinkta enheter/);
    expect(tables.pages_fts.hidden).toBe(true);
    expect(tables.labels.description).toMatch(/Svenska etiketter/);
  });
});

describe('the report', () => {
  it('lists every unit, titles its axes, leaves gaps for missing years, is in Swedish and prints no null', () => {
    const db = join(tempDir(), 'report.sqlite');
    const many = Array.from({ length: 350 }, (_, i) => `Förskolan Nummer ${i + 1}`);
    storeRecords(db, [
      { name: 'a2016.txt', record: { year: 2016, board: 'Bromma stadsdelsnämnd', unitNames: many.slice(0, 200) } },
      { name: 'a2017.txt', record: { year: 2017, board: 'Bromma stadsdelsnämnd', unitNames: many.slice(100, 300) } },
      // No report at all in 2018.
      { name: 'a2019.txt', record: { year: 2019, board: 'Bromma stadsdelsnämnd', unitNames: many.slice(250) } },
    ]);
    const html = renderReport(openDatabase(db, { readonly: true }), { dbPath: db });
    expect(html).toMatch(/^<!doctype html>\n<html lang="sv">/);
    expect(html).toContain('Alla 350 distinkta enheter');
    for (const name of many) expect(html).toContain(`<td>${name}</td>`);
    expect(html).toContain('<td>Förskolan Nummer 120</td><td>Bromma stadsdelsnämnd</td><td>2</td><td>2016, 2017</td>');
    expect((html.match(/class="axis-title" text-anchor="middle">År</g) ?? []).length).toBe(3);
    expect(html).toContain('transform="rotate(-90 16 132)">Antal</text>');
    expect(html).toContain('<title>2018: inga rapporter</title>');
    expect(html).toContain('År utan rapporter visas som luckor (grått): 2018.');
    // The line stops before 2018 and starts again after it: 2016–2017 joined, 2019 a point of its own.
    const first = html.slice(html.indexOf('<figure>'), html.indexOf('</figure>'));
    expect((first.match(/<polyline [^>]*points="([^"]*)"/g) ?? []).map((p) => p.split(' ').length - 4)).toEqual([2, 2, 2]);
    expect(first).toContain('<title>distinkta enheter 2019: 100</title>');
    expect(first).not.toContain('2018: 0');
    expect(html).not.toMatch(/\bnull\b|undefined|NaN/);
  });
});

describe('the synthetic archive has the real shape', () => {
  it('boards live for their years, lineages carry units across 1997, 2007 and 2020, some reports are archived twice, some are incomplete', () => {
    const db = join(tempDir(), 'synthetic.sqlite');
    const s = makeSyntheticArchive(db, 2500);
    expect(Math.abs(s.documents - 2500) / 2500).toBeLessThan(0.05);
    const d = openDatabase(db, { readonly: true });
    const span = (board: string) => d.prepare('SELECT min(year) AS first, max(year) AS last FROM reports WHERE board = ?').get(board);
    expect(span('Hässelby socialdistriktsnämnd')).toEqual({ first: 1995, last: 1996 });
    expect(span('Hässelby stadsdelsnämnd')).toEqual({ first: 1997, last: 2006 });
    expect(span('Hässelby-Vällingby stadsdelsnämnd')).toEqual({ first: 2007, last: 2024 });
    expect(span('Hägersten-Älvsjö stadsdelsnämnd')).toEqual({ first: 2020, last: 2024 });
    expect((span('Äldrenämnden') as { first: number }).first).toBeGreaterThanOrEqual(2019);
    // No year has every board: a board's years are its own.
    const perYear = d.prepare('SELECT year, count(DISTINCT board) AS n FROM reports WHERE year IS NOT NULL GROUP BY year').all() as Array<{ year: number; n: number }>;
    expect(new Set(perYear.map((r) => r.n)).size).toBeGreaterThan(3);
    // Units persist for years, across the lineage: the same unit_id before and after a merger.
    const carried = d
      .prepare(
        `SELECT count(DISTINCT a.unit_id) FROM participations a JOIN participations b ON b.unit_id = a.unit_id
         WHERE a.counted AND b.counted AND a.board = 'Hässelby stadsdelsnämnd' AND b.board = 'Hässelby-Vällingby stadsdelsnämnd'`,
      )
      .pluck()
      .get() as number;
    expect(carried).toBeGreaterThan(0);
    const years = d.prepare('SELECT avg(n) FROM (SELECT count(DISTINCT year) AS n FROM participations WHERE counted GROUP BY unit_id)').pluck().get() as number;
    expect(years).toBeGreaterThan(3);
    // Reports archived twice (a scan beside the file, grouped by Dnr and board), incomplete ones, units named by several reports.
    const twice = d.prepare('SELECT count(*) FROM reports WHERE documents > 1').pluck().get() as number;
    expect(twice / s.reports).toBeGreaterThan(0.02);
    expect(d.prepare("SELECT count(*) FROM report_documents WHERE joined_by = 'dnr'").pluck().get()).toBeGreaterThan(0);
    const missing = Object.fromEntries(d.prepare('SELECT missing, count(*) AS n FROM reports WHERE missing IS NOT NULL GROUP BY missing').all().map((r) => [(r as q.Row).missing, (r as q.Row).n]));
    expect(Object.keys(missing).sort()).toEqual(['board', 'units', 'year']);
    const total = q.participation(d, ['year']).filter((r) => r.year !== null);
    expect(total.every((r) => Number(r.units) <= Number(r.participations))).toBe(true);
    expect(d.prepare('SELECT count(*) FROM board_successions').pluck().get()).toBe(19 + 10 + 2);
  });
});

describe('search with common words and a broad filter ranks a bounded set and says so', () => {
  it('ranks the newest matches of the filter, with a note; a narrow filter is searched exactly', () => {
    const path = join(tempDir(), 'bounded.sqlite');
    makeSyntheticArchive(path, 1500);
    const d = openDatabase(path, { readonly: true });
    // "hållbar" is in every synthetic report: more than RANK_BOUND pages match, and --from 2000 keeps most reports.
    const a = q.searchPaged(d, 'hallbar', { from: 2000 });
    expect(a.bounded).toBeDefined();
    expect(a.total).toBe(q.RANK_BOUND);
    expect(a.rows).toHaveLength(q.DEFAULT_SEARCH_LIMIT);
    expect(q.DEFAULT_SEARCH_LIMIT).toBe(20);
    const latest = d.prepare('SELECT max(year) FROM reports').pluck().get() as number;
    expect(a.rows.every((r) => Number(r.year) >= a.bounded!.from && Number(r.year) <= latest)).toBe(true);
    expect(a.rows.some((r) => r.year === latest)).toBe(true);
    const named = runNamedQuery(d, 'search', 'hallbar', { filters: { from: 2000 } }, ['from']);
    expect(named.notes).toEqual([`ranked the ${q.RANK_BOUND} matches among the ${a.bounded!.pages} newest pages the filter keeps (${a.bounded!.from} on); older pages were not searched: --from/--to narrow the search`]);
    // A narrow filter (one board, one year) is searched whole: the same pages FTS5 finds, no note.
    const board = d.prepare('SELECT board FROM reports WHERE year = 2020 AND board IS NOT NULL GROUP BY board ORDER BY count(*) DESC LIMIT 1').pluck().get() as string;
    const exact = q.searchPaged(d, 'hallbar', { board, from: 2020, to: 2020 }, { limit: 1000 });
    expect(exact.bounded).toBeUndefined();
    const fts = d
      .prepare(
        `SELECT p.rowid FROM pages_fts JOIN pages p ON p.rowid = pages_fts.rowid JOIN documents dd ON dd.id = p.document_id
         LEFT JOIN report_documents rd ON rd.document_id = dd.id LEFT JOIN reports r ON r.id = rd.report_id LEFT JOIN extractions e ON e.document_id = dd.id
         WHERE pages_fts MATCH 'hallbar' AND coalesce(r.board, e.board) = ? AND coalesce(r.year, e.year) = 2020`,
      )
      .pluck()
      .all(board) as number[];
    expect(fts.length).toBeGreaterThan(1);
    expect(exact.total).toBe(fts.length);
    expect(exact.rows.every((r) => r.board === board && r.year === 2020)).toBe(true);
    expect(runNamedQuery(d, 'search', 'hallbar', { filters: { board, from: 2020, to: 2020 } }, []).notes).toEqual([]);
    d.close();
  });
});

describe('an archive from an older beslutsarkiv', () => {
  it('is refused by a reader with how to upgrade it, instead of failing on a missing table', async () => {
    const db = join(tempDir(), 'old.sqlite');
    storeRecords(db, [{ name: 'a.txt', record: { year: 2020, board: 'Bromma stadsdelsnämnd', unitNames: ['Förskolan Ugglan'] } }]);
    const raw = openDatabase(db);
    raw.pragma(`user_version = ${SCHEMA_VERSION - 1}`);
    raw.close();
    const r = await cli(db, 'query', 'participation');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`has schema version ${SCHEMA_VERSION - 1}; this beslutsarkiv reads version ${SCHEMA_VERSION}: upgrade it once with "beslutsarkiv reprocess --db `));
  });
});

describe('--board prefers a name that begins with the words typed', () => {
  it('vantör is Vantörs stadsdelsnämnd, not Enskede-Årsta-Vantörs; hägersten is still ambiguous', () => {
    const db = join(tempDir(), 'boards.sqlite');
    storeRecords(
      db,
      ['Vantörs stadsdelsnämnd', 'Enskede-Årsta-Vantörs stadsdelsnämnd', 'Hägerstens stadsdelsnämnd', 'Hägersten-Älvsjö stadsdelsnämnd'].map((board, i) => ({
        name: `${i}.txt`,
        record: { year: 2006 + i, board, unitNames: ['Förskolan Ugglan'] },
      })),
    );
    const d = openDatabase(db, { readonly: true });
    expect(q.matchBoard(d, 'vantor')).toEqual({ board: 'Vantörs stadsdelsnämnd', how: 'partial' });
    expect(q.matchBoard(d, 'årsta')).toEqual({ board: 'Enskede-Årsta-Vantörs stadsdelsnämnd', how: 'partial' });
    expect(q.matchBoard(d, 'hägersten älvsjö')).toEqual({ board: 'Hägersten-Älvsjö stadsdelsnämnd', how: 'partial' });
    expect(() => q.matchBoard(d, 'hägersten')).toThrow(/matches 2 boards/);
  });
});

describe('rename suggestions', () => {
  it('are not made between names that differ in their numbers', () => {
    const db = join(tempDir(), 'renames.sqlite');
    storeRecords(db, [
      { name: 'a.txt', record: { year: 2015, board: 'Farsta stadsdelsnämnd', unitNames: ['Förskolan Ekorren 1', 'LSS-hälsan'] } },
      { name: 'b.txt', record: { year: 2016, board: 'Farsta stadsdelsnämnd', unitNames: ['Förskolan Ekorren 2', 'LSS/SoL-hälsan'] } },
    ]);
    expect(q.unitAliases(openDatabase(db, { readonly: true })).map((r) => [r.name, r.possibly_renamed_to])).toEqual([['LSS-hälsan', 'LSS/SoL-hälsan']]);
  });

  it('are not made between units of different types, but are within a type', () => {
    const db = join(tempDir(), 'renames-types.sqlite');
    storeRecords(db, [
      { name: 'a.txt', record: { year: 2015, board: 'Farsta stadsdelsnämnd', unitNames: ['Förskolan Ekorren', 'Förskolan Tallen'] } },
      { name: 'b.txt', record: { year: 2016, board: 'Farsta stadsdelsnämnd', unitNames: ['Träffpunkten Ekorren', 'Förskolan Tallen Nord'] } },
    ]);
    expect(q.unitAliases(openDatabase(db, { readonly: true })).map((r) => [r.name, r.possibly_renamed_to])).toEqual([['Förskolan Tallen', 'Förskolan Tallen Nord']]);
  });
});
