/**
 * Board lineages from data: the shipped successions of Stockholm's stadsdelsnämnder (each with its
 * source) and an archivist's own JSON or CSV, declared through addSuccessions (one recompute). Importing twice
 * changes nothing; after importing, a unit under a board and under the board it merged into is one
 * distinct unit, while the same name under an unrelated board stays another.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ShippedLineageSchema, SuccessionRowSchema } from '../schemas/lineage.js';
import type { Extracted } from '../schemas/record.js';
import { main } from '../src/cli/main.js';
import type { DocumentFile } from '../src/document-file.js';
import { participation } from '../src/query/queries.js';
import { Archive } from '../src/store/archive.js';
import { openDatabase } from '../src/store/database.js';
import { importSuccessions, LineageFileError, parseLineageCsv, parseLineageJson, readLineageFile, stockholmBoards, STOCKHOLM_BOARDS_FILE } from '../src/store/lineage-data.js';
import { addSuccession, addSuccessions, boardKey, listSuccessions, type Succession } from '../src/store/units.js';
import { EMPTY_RECORD as EMPTY, tempDir } from './helpers.js';


/** An archive of extracted reports (year, board, unit names) written through the store. */
function archiveOf(reports: Array<{ year: number; board: string; units: string[] }>): string {
  const path = join(tempDir(), 'archive.sqlite');
  const db = openDatabase(path);
  const archive = new Archive(db);
  const run = archive.startRun('test', [], {});
  reports.forEach((r, i) => {
    const record: Extracted = {
      ...EMPTY,
      year: r.year,
      board: r.board,
      units: r.units.map((name) => ({ name, department: null, operator: 'municipal', provider: null, class: null })),
    };
    const file: DocumentFile = {
      path: `/test/${i}.txt`,
      name: `${i}.txt`,
      size: 100,
      mtimeMs: 0,
      sha256: (i + 1).toString(16).padStart(64, '0'),
      format: 'txt',
      mediaType: 'text/plain',
      pages: [{ number: 1, text: `Tjänsteutlåtande ${r.board} ${r.year} nummer ${i}`, source: 'text', confidence: null }],
      messages: [],
      extraction: { record, evidence: {} },
    };
    archive.saveDocument(file, run);
  });
  archive.refreshSummaries();
  archive.finishRun(run, 'completed', { seen: reports.length, ingested: reports.length, changed: 0, unchanged: 0, reprocessed: 0, moved: 0, duplicate: 0, missing: 0, skipped: 0, failed: 0 });
  db.close();
  return path;
}

/** A table row holding these cells in order (between the table's borders). */
const row = (...cells: string[]) => new RegExp(cells.map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[\\s│]+'));

/** Runs the CLI in this process, capturing what it prints. */
async function cli(db: string, ...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { isTTY: false, write: (c: string | Uint8Array) => ((stdout += String(c)), true) } as unknown as NodeJS.WriteStream,
    stderr: { isTTY: false, write: (c: string | Uint8Array) => ((stderr += String(c)), true) } as unknown as NodeJS.WriteStream,
  };
  const status = await main(['node', 'beslutsarkiv', ...args, '--db', db], io);
  return { status, stdout, stderr };
}

/** Reports of 2020: one unit name under Älvsjö's board (before the July merger), under Hägersten-Älvsjö's (after) and under Farsta's (unrelated). */
const REPORTS_2020 = [
  { year: 2020, board: 'Älvsjö stadsdelsnämnd', units: ['Förskolan Ekorren'] },
  { year: 2020, board: 'Hägersten-Älvsjö stadsdelsnämnd', units: ['Förskolan Ekorren', 'Hemtjänsten Liljeholmen'] },
  { year: 2020, board: 'Farsta stadsdelsnämnd', units: ['Förskolan Ekorren'] },
  // Spelled without the genitive -s in this archive: the import must still find it.
  { year: 2019, board: 'Hägersten-Liljeholmen stadsdelsnämnd', units: ['Hemtjänsten Liljeholmen'] },
];

describe('the shipped successions of Stockholm', () => {
  const text = readFileSync(STOCKHOLM_BOARDS_FILE, 'utf8');

  it('validate against the schema, each with the URL of its source', () => {
    const parsed = ShippedLineageSchema.safeParse(JSON.parse(text));
    expect(parsed.success, parsed.error?.message).toBe(true);
    const rows = stockholmBoards();
    expect(rows).toHaveLength(parsed.data!.successions.length);
    for (const r of rows) {
      expect(new URL(r.source!).protocol).toMatch(/^https?:$/);
      expect(boardKey(r.board)).not.toBe(boardKey(r.successor));
      expect(r.board).toMatch(/ stadsdelsnämnd$/);
      expect(r.successor).toMatch(/ stadsdelsnämnd$/);
      // The line given for a row is where its object starts, with its board on the next line.
      const lines = text.split('\n');
      expect(lines[r.line - 1]).toMatch(/^\s*\{\s*$/);
      expect(lines[r.line]).toContain(JSON.stringify(r.board));
    }
    // The reforms: 1999 (24 to 18 districts), 2007 (18 to 14), 2020 (Hägersten-Älvsjö), 2023 (Järva, Norra innerstaden).
    expect([...new Set(rows.map((r) => r.year))].sort()).toEqual([1999, 2007, 2020, 2023, null].sort());
    expect(rows.filter((r) => r.successor === 'Hägersten-Älvsjö stadsdelsnämnd').map((r) => r.board).sort()).toEqual(['Hägersten-Liljeholmens stadsdelsnämnd', 'Älvsjö stadsdelsnämnd']);
  });
});

describe('importing successions', () => {
  it('is idempotent, and keeps the archive spelling of a board', () => {
    const path = archiveOf(REPORTS_2020);
    const db = openDatabase(path);
    const shipped = stockholmBoards();
    const first = importSuccessions(db, shipped);
    expect(first.map((r) => r.status)).toEqual(shipped.map(() => 'added'));
    expect(listSuccessions(db)).toHaveLength(shipped.length);
    // The archive says "Hägersten-Liljeholmen stadsdelsnämnd": that is the name declared.
    expect(first.find((r) => r.successor === 'Hägersten-Älvsjö stadsdelsnämnd' && r.board.startsWith('Hägersten-Liljeholmen'))).toMatchObject({
      board: 'Hägersten-Liljeholmen stadsdelsnämnd',
      in_archive: 'both',
    });
    expect(first.find((r) => r.board === 'Hornstulls stadsdelsnämnd')).toMatchObject({ in_archive: 'neither' });
    const before = db.prepare('SELECT board, successor, year, kind, decided_at FROM board_successions ORDER BY board, successor').all();
    const again = importSuccessions(db, shipped);
    expect(again.map((r) => r.status)).toEqual(shipped.map(() => 'unchanged'));
    expect(db.prepare('SELECT board, successor, year, kind, decided_at FROM board_successions ORDER BY board, successor').all()).toEqual(before);
    // A year corrected in a later file updates the declared succession, under its declared names.
    const corrected = importSuccessions(db, [{ board: 'Hägersten-Liljeholmens stadsdelsnämnd', successor: 'Hägersten-Älvsjö stadsdelsnämnd', year: 2021, kind: 'merged', line: 2 }]);
    expect(corrected).toMatchObject([{ status: 'updated', board: 'Hägersten-Liljeholmen stadsdelsnämnd', year: 2021 }]);
    expect(listSuccessions(db)).toHaveLength(shipped.length);
    // A year the file leaves open keeps the year declared before.
    const open = importSuccessions(db, [{ board: 'Älvsjö stadsdelsnämnd', successor: 'Hägersten-Älvsjö stadsdelsnämnd', year: null, kind: 'merged', line: 2 }]);
    expect(open).toMatchObject([{ status: 'unchanged', year: 2020 }]);
    expect(listSuccessions(db).find((x) => x.board === 'Älvsjö stadsdelsnämnd')).toMatchObject({ year: 2020 });
    db.close();
  });

  it('makes a unit under a board and under its successor one distinct unit in query participation; the same name elsewhere stays another', async () => {
    const path = archiveOf(REPORTS_2020);
    const units2020 = async () => {
      const r = await cli(path, 'query', 'participation', '--format', 'json');
      expect(r.status, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as Array<{ year: number; units: number; participations: number }>).find((row) => row.year === 2020);
    };
    // Before: Ekorren under Älvsjö, Hägersten-Älvsjö and Farsta is three units; Liljeholmen one.
    expect(await units2020()).toMatchObject({ units: 4, participations: 4 });

    const dry = await cli(path, 'lineage', 'import', '--stockholm', '--dry-run');
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/would add 20, would update 0, unchanged 0 \(dry run: nothing written\)/);
    expect(await units2020()).toMatchObject({ units: 4, participations: 4 });

    const r = await cli(path, 'lineage', 'import', '--stockholm');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(row('Älvsjö stadsdelsnämnd', 'Hägersten-Älvsjö stadsdelsnämnd', '2020', 'merged', 'added', 'both'));
    expect(r.stdout).toMatch(/added 20, updated 0, unchanged 0\n$/);
    expect(r.stderr.split('\n')[0]).toBe('beslutsarkiv: declaring 1 of 20: Årsta stadsdelsnämnd → Enskede-Årsta stadsdelsnämnd');
    // All twenty are written, then distinct units are recomputed once.
    expect(r.stderr.match(/recomputing distinct units/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/declaring 20 of 20: [^\n]+\nbeslutsarkiv: recomputing distinct units\n/);
    // After: Älvsjö's Ekorren and Hägersten-Älvsjö's Ekorren are one unit; Farsta's is another.
    expect(await units2020()).toMatchObject({ units: 3, participations: 4 });
    const db = openDatabase(path, { readonly: true });
    const ids = db.prepare("SELECT board, unit_id FROM participations WHERE name = 'Förskolan Ekorren' ORDER BY board").all() as Array<{ board: string; unit_id: number }>;
    const id = Object.fromEntries(ids.map((x) => [x.board, x.unit_id]));
    expect(id['Älvsjö stadsdelsnämnd']).toBe(id['Hägersten-Älvsjö stadsdelsnämnd']);
    expect(id['Farsta stadsdelsnämnd']).not.toBe(id['Älvsjö stadsdelsnämnd']);
    // Liljeholmen's home care of 2019 (board spelled without -s) is the same unit as in 2020.
    expect(participation(db, [])).toContainEqual({ year: 2019, reports: 1, units: 1, participations: 1 });
    expect(new Set((db.prepare("SELECT unit_id FROM participations WHERE name = 'Hemtjänsten Liljeholmen'").pluck().all() as number[])).size).toBe(1);
    db.close();

    const again = await cli(path, 'lineage', 'import', '--stockholm');
    expect(again.stdout).toMatch(/added 0, updated 0, unchanged 20\n$/);
    expect(await units2020()).toMatchObject({ units: 3, participations: 4 });
  });
});

describe('addSuccessions', () => {
  /** Which participations share a distinct unit: each as board and name, grouped by unit. */
  const partition = (db: ReturnType<typeof openDatabase>) => {
    const rows = db.prepare('SELECT board, name, unit_id FROM participations').all() as Array<{ board: string; name: string; unit_id: number }>;
    const groups = new Map<number, string[]>();
    for (const r of rows) groups.set(r.unit_id, [...(groups.get(r.unit_id) ?? []), `${r.board} / ${r.name}`].sort());
    return [...groups.values()].map((g) => g.join(' + ')).sort();
  };
  const list: Succession[] = [
    { board: 'Älvsjö stadsdelsnämnd', successor: 'Hägersten-Älvsjö stadsdelsnämnd', year: 2020, kind: 'merged' },
    { board: 'Hägersten-Liljeholmen stadsdelsnämnd', successor: 'Hägersten-Älvsjö stadsdelsnämnd', year: 2020, kind: 'merged' },
  ];

  it('declares a list at once with the distinct units that declaring each in turn gives', () => {
    const one = openDatabase(archiveOf(REPORTS_2020));
    const batch = openDatabase(archiveOf(REPORTS_2020));
    const unscoped = partition(batch);
    for (const s of list) addSuccession(one, s);
    addSuccessions(batch, list);
    expect(partition(batch)).toEqual(partition(one));
    expect(partition(batch)).not.toEqual(unscoped);
    expect(partition(batch)).toContain('Hägersten-Älvsjö stadsdelsnämnd / Förskolan Ekorren + Älvsjö stadsdelsnämnd / Förskolan Ekorren');
    expect(listSuccessions(batch).map((s) => s.board).sort()).toEqual(list.map((s) => s.board).sort());
    one.close();
    batch.close();
  });

  it('writes nothing when one of the list has a board succeeding itself', () => {
    const db = openDatabase(archiveOf(REPORTS_2020));
    const before = partition(db);
    expect(() => addSuccessions(db, [...list, { board: 'Farsta stadsdelsnämnd', successor: 'FARSTA  stadsdelsnämnd', year: null, kind: 'renamed' }])).toThrow(
      /cannot succeed itself \(Farsta stadsdelsnämnd\)/,
    );
    expect(listSuccessions(db)).toEqual([]);
    expect(partition(db)).toEqual(before);
    db.close();
  });
});

describe("an archivist's own file", () => {
  it('imports JSON and CSV, named as the archive names its boards', async () => {
    const path = archiveOf(REPORTS_2020);
    const dir = tempDir();
    const csv = join(dir, 'nämnder.csv');
    writeFileSync(csv, '\ufeffboard;successor;year;kind;note\nälvsjö stadsdelsnämnd;Hägersten-Älvsjö stadsdelsnämnd;2020;merged;"sammanslagning; 1 juli"\n');
    const r = await cli(path, 'lineage', 'import', csv);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(row('Älvsjö stadsdelsnämnd', 'Hägersten-Älvsjö stadsdelsnämnd', '2020', 'merged', 'added', 'both'));
    expect((await cli(path, 'lineage', 'list')).stdout).toMatch(row('Älvsjö stadsdelsnämnd', 'Hägersten-Älvsjö stadsdelsnämnd', '2020', 'merged'));

    const json = join(dir, 'boards.json');
    writeFileSync(json, JSON.stringify([{ board: 'Farsta stadsdelsnämnd', successor: 'Södra stadsdelsnämnd', year: 2030 }], null, 2));
    const j = await cli(path, 'lineage', 'import', json);
    expect(j.status, j.stderr).toBe(0);
    expect(j.stdout).toMatch(row('Farsta stadsdelsnämnd', 'Södra stadsdelsnämnd', '2030', 'merged', 'added', 'board'));
  });

  it('refuses a file with a bad row, exit 2, naming the file and the line; nothing is imported', async () => {
    const path = archiveOf(REPORTS_2020);
    const dir = tempDir();
    const csv = join(dir, 'bad.csv');
    writeFileSync(csv, 'board,successor,year\nÄlvsjö stadsdelsnämnd,Hägersten-Älvsjö stadsdelsnämnd,2020\nVantörs stadsdelsnämnd,Enskede-Årsta-Vantörs stadsdelsnämnd,07\n');
    const r = await cli(path, 'lineage', 'import', csv);
    expect(r.status).toBe(2);
    expect(r.stderr.startsWith(`beslutsarkiv: ${csv} line 3: year "07" is not a year of four digits (leave it empty when unknown); nothing was imported`)).toBe(true);
    expect((await cli(path, 'lineage', 'list')).stdout).not.toMatch(/Älvsjö/);

    const json = join(dir, 'bad.json');
    writeFileSync(json, JSON.stringify({ successions: [{ board: 'A stadsdelsnämnd', successor: 'B stadsdelsnämnd' }, { board: 'C stadsdelsnämnd', successor: 'D stadsdelsnämnd', kind: 'split' }] }, null, 2));
    const j = await cli(path, 'lineage', 'import', json);
    expect(j.status).toBe(2);
    expect(j.stderr).toMatch(new RegExp(`${json.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} line 7: kind "split" is neither renamed nor merged`));

    expect(await cli(path, 'lineage', 'import', join(dir, 'gone.json'))).toMatchObject({ status: 2, stderr: expect.stringMatching(/gone\.json does not exist/) });
    expect(await cli(path, 'lineage', 'import')).toMatchObject({ status: 2, stderr: expect.stringMatching(/give a file of successions, or --stockholm/) });
    expect(await cli(path, 'lineage', 'import', csv, '--stockholm')).toMatchObject({ status: 2, stderr: expect.stringMatching(/give a file or --stockholm, not both/) });
  });

  it('names every problem of a file with its line', () => {
    expect(() => parseLineageJson('[\n  {"board": "A stadsdelsnämnd",\n   "successor": "A  STADSDELSNÄMND"}\n]', 'self.json')).toThrow(/self\.json line 2: "A stadsdelsnämnd" cannot succeed itself/);
    expect(() => parseLineageJson('{"successions": [\n {"board": "A",\n }]}', 'broken.json')).toThrow(/broken\.json line 3: not valid JSON/);
    expect(() => parseLineageJson('{"rows": []}', 'empty.json')).toThrow(/empty\.json holds no list of successions/);
    let error: unknown;
    try {
      parseLineageCsv('board;successor;year;colour\n', 'cols.csv');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LineageFileError);
    expect((error as LineageFileError).problems).toEqual([{ line: 1, reason: 'unknown column "colour" (the columns are board, successor, year, kind, source, note; board and successor are needed)' }]);
    try {
      parseLineageCsv('board,successor,year\nA,B,2007\nC,D,2008\nA,B,2009\n,E,\n', 'twice.csv');
    } catch (e) {
      error = e;
    }
    expect((error as LineageFileError).problems).toEqual([{ line: 5, reason: 'board is missing' }]);
    expect(() => parseLineageCsv('board,successor,year\nA,B,2007\nC,D,2008\nA,B,2009\n', 'twice.csv')).toThrow(/twice\.csv line 4: A → B is given on line 2 too, with 2007 merged/);
    // A row the schema accepts as written by hand: year and kind may be left out.
    expect(SuccessionRowSchema.parse({ board: 'A', successor: 'B' })).toEqual({ board: 'A', successor: 'B', year: null, kind: 'merged' });
    expect(readLineageFile(STOCKHOLM_BOARDS_FILE)).toEqual(stockholmBoards());
  });
});
