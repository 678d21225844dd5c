import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { ingest, reprocess, type IngestEvent } from '../src/pipeline.js';
import { openDatabase } from '../src/store/database.js';
import { exportRecords, status } from '../src/store/read.js';
import { EXIT } from '../src/errors.js';
import { OcrPool } from '../src/ocr/worker-pool.js';
import { makeFixtures, tempDir } from './helpers.js';
import type { FixtureSet } from '../scripts/make-fixtures.js';

const ROOT = resolve(__dirname, '..');
const BIN = join(ROOT, 'src/cli/bin.js');
let fx: FixtureSet;

beforeAll(async () => {
  fx = await makeFixtures();
});

function rows<T>(db: string, sql: string, ...args: unknown[]): T[] {
  const raw = new BetterSqlite3(db, { readonly: true });
  try {
    return raw.prepare(sql).all(...args) as T[];
  } finally {
    raw.close();
  }
}

/** A folder with the corpus texts and one scanned image. */
function archiveFolder(): string {
  const dir = join(tempDir(), 'archive');
  mkdirSync(dir, { recursive: true });
  cpSync(join(ROOT, 'corpus'), dir, { recursive: true });
  copyFileSync(join(fx.good, '2012-page1.png'), join(dir, 'scan-2012.png'));
  return dir;
}

describe('an archive that changes between runs', () => {
  it('records moves, copies, changes and missing files, and loses nothing', async () => {
    const dir = archiveFolder();
    const db = join(dir, '..', 'a.sqlite');
    await ingest([dir], { db });
    // Between runs: one file moved, one copied, one changed, one deleted.
    mkdirSync(join(dir, '2017'));
    renameSync(join(dir, '001_91a3c1650f19c566.txt'), join(dir, '2017', '001_91a3c1650f19c566.txt'));
    copyFileSync(join(dir, '002_3e46df6f17c46d2f.txt'), join(dir, 'kopia.txt'));
    writeFileSync(join(dir, '000_32a9fff0cf960181.txt'), `${readFileSync(join(dir, '000_32a9fff0cf960181.txt'), 'utf8')}\nTillägg: justerat den 1 juli 2012.\n`);
    unlinkSync(join(dir, '004_6306731b55b2ba86.txt'));
    const events: IngestEvent[] = [];
    const again = await ingest([dir], { db, onEvent: (e) => events.push(e) });
    // The moved file's old path counts as moved, not also as missing.
    expect(again.counts).toMatchObject({ ingested: 0, changed: 1, moved: 1, duplicate: 1, missing: 1, unchanged: 3, failed: 0 });
    const byFile = Object.fromEntries(events.filter((e) => e.event === 'file').map((e) => [(e as { file: string }).file, (e as { status: string }).status]));
    expect(byFile).toMatchObject({ '000_32a9fff0cf960181.txt': 'changed', '001_91a3c1650f19c566.txt': 'moved', 'kopia.txt': 'duplicate' });

    const files = rows<{ name: string; missing: number; moved_to: string | null }>(
      db,
      'SELECT name, missing_since IS NOT NULL AS missing, moved_to FROM files ORDER BY path',
    );
    expect(files.filter((f) => f.missing).map((f) => f.name).sort()).toEqual(['001_91a3c1650f19c566.txt', '004_6306731b55b2ba86.txt']);
    expect(files.find((f) => f.moved_to)?.moved_to).toBe(join(dir, '2017', '001_91a3c1650f19c566.txt'));
    // The old version of the changed file and the deleted file are still in the archive.
    const docs = rows<{ file_name: string; superseded: number }>(db, 'SELECT file_name, superseded_by IS NOT NULL AS superseded FROM documents ORDER BY id');
    expect(docs).toHaveLength(7);
    expect(docs.filter((d) => d.superseded).map((d) => d.file_name)).toEqual(['000_32a9fff0cf960181.txt']);
    const s = status(openDatabase(db, { readonly: true }));
    expect(s).toMatchObject({ missing_files: 2, superseded_documents: 1, last_run: { status: 'completed', moved: 1, missing: 1 } });
    // A missing file that comes back is no longer missing.
    writeFileSync(join(dir, '004_6306731b55b2ba86.txt'), readFileSync(join(ROOT, 'corpus/004_6306731b55b2ba86.txt')));
    const third = await ingest([dir], { db });
    expect(third.counts.missing).toBe(0);
    expect(rows(db, `SELECT 1 FROM files WHERE name = '004_6306731b55b2ba86.txt' AND missing_since IS NULL`)).toHaveLength(1);
  });
});

describe('versioned stages', () => {
  it('reruns only extraction when the extract version changed, from stored text, without OCR', async () => {
    const dir = archiveFolder();
    const db = join(dir, '..', 'a.sqlite');
    await ingest([dir], { db });
    const ocrMessages = () => rows<{ n: number }>(db, `SELECT count(*) AS n FROM messages WHERE stage = 'ocr'`)[0]!.n;
    const before = { ocr: ocrMessages(), cache: rows<{ n: number }>(db, 'SELECT count(*) AS n FROM ocr_cache')[0]!.n };
    const raw = new BetterSqlite3(db);
    raw.prepare(`UPDATE extractions SET extract_version = 'old', extracted_at = '2000-01-01'`).run();
    raw.close();
    const again = await ingest([dir], { db });
    expect(again.counts).toMatchObject({ reprocessed: 6, unchanged: 0, ingested: 0 });
    expect(rows(db, `SELECT 1 FROM extractions WHERE extracted_at = '2000-01-01' OR extract_version = 'old'`)).toEqual([]);
    expect(ocrMessages()).toBe(before.ocr);
    expect(rows<{ n: number }>(db, 'SELECT count(*) AS n FROM ocr_cache')[0]!.n).toBe(before.cache);
    // The records are as before the rerun.
    const records = exportRecords(openDatabase(db, { readonly: true }));
    expect(records.find((r) => r.source.file.startsWith('004'))!.units).toHaveLength(4);
  });

  it('re-repairs when the repair version changed, and re-OCRs only when the OCR engine changed', async () => {
    const dir = archiveFolder();
    const db = join(dir, '..', 'a.sqlite');
    await ingest([dir], { db });
    const raw = new BetterSqlite3(db);
    raw.prepare(`UPDATE extractions SET repair_version = 'old'`).run();
    raw.prepare(`UPDATE pages SET repaired_text = 'stale' WHERE document_id = (SELECT id FROM documents WHERE file_name LIKE '003%')`).run();
    raw.close();
    await ingest([dir], { db });
    expect(rows<{ repaired_text: string }>(db, `SELECT repaired_text FROM pages p JOIN documents d ON d.id = p.document_id WHERE d.file_name LIKE '003%'`)[0]!.repaired_text).toContain('Socialnämnden godkänner');

    const scan = () => rows<{ ocr_engine: string; text: string }>(db, `SELECT ocr_engine, text FROM pages p JOIN documents d ON d.id = p.document_id WHERE d.file_name = 'scan-2012.png'`)[0]!;
    const engine = scan().ocr_engine;
    const raw2 = new BetterSqlite3(db);
    raw2.prepare(`UPDATE pages SET ocr_engine = 'tesseract.js@0 old-model', text = 'stale' WHERE source = 'ocr'`).run();
    raw2.close();
    const events: IngestEvent[] = [];
    await ingest([dir], { db, onEvent: (e) => events.push(e) });
    expect(events.filter((e) => e.event === 'file' && e.status === 'reprocessed').map((e) => (e as { file: string }).file)).toEqual(['scan-2012.png']);
    expect(scan()).toMatchObject({ ocr_engine: engine, text: expect.stringContaining('Socialnämnden') });
  });

  it('--force-ocr recognizes scanned pages again instead of taking them from the cache', async () => {
    const dir = tempDir();
    copyFileSync(join(fx.good, '2012-page1.png'), join(dir, 'scan.png'));
    const db = join(dir, 'a.sqlite');
    const pool = new OcrPool({ size: 1, timeoutMs: 120_000 });
    try {
      await ingest([dir], { db, pool });
      expect(pool.recognized).toBe(1);
      const plain = await ingest([dir], { db, pool });
      expect([plain.counts.unchanged, pool.recognized]).toEqual([1, 1]);
      const forced = await ingest([dir], { db, pool, forceOcr: true });
      expect([forced.counts.reprocessed, pool.recognized]).toEqual([1, 2]);
    } finally {
      await pool.close();
    }
  });

  it('reprocess reruns stages on request, and by default only where versions are stale', () => {
    const dir = tempDir();
    const db = join(dir, 'a.sqlite');
    return ingest([join(ROOT, 'corpus')], { db }).then(() => {
      expect(reprocess({ db })).toMatchObject({ reprocessed: 0, unchanged: 5 });
      expect(reprocess({ db, stage: 'extract', all: true })).toMatchObject({ reprocessed: 5 });
      const r = spawnSync(process.execPath, [BIN, 'reprocess', '--db', db, '--stage', 'repair'], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/5 documents reprocessed/);
    });
  });
});

describe('crash safety', () => {
  it('kill -9 mid-run leaves a sound database with no half document; readers work during the run; the next run completes', async () => {
    const dir = join(tempDir(), 'many');
    mkdirSync(dir, { recursive: true });
    const seeds = ['000_32a9fff0cf960181', '001_91a3c1650f19c566', '002_3e46df6f17c46d2f', '004_6306731b55b2ba86'].map((s) => readFileSync(join(ROOT, 'corpus', `${s}.txt`), 'utf8'));
    for (let i = 0; i < 120; i++) writeFileSync(join(dir, `doc-${String(i).padStart(3, '0')}.txt`), `${seeds[i % 4]}\nLöpnummer ${i}\n`);
    copyFileSync(join(fx.good, '2017-scan.pdf'), join(dir, 'zz-scan.pdf'));
    const db = join(dir, '..', 'a.sqlite');

    const child = spawn(process.execPath, [BIN, 'ingest', dir, '--db', db, '--log-format', 'json', '--concurrency', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stored = 0;
    let readerChecked = false;
    await new Promise<void>((done, fail) => {
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        stored += (chunk.match(/"status":"ingested"/g) ?? []).length;
        if (stored >= 10 && !readerChecked) {
          readerChecked = true;
          // A reader while the writer runs: export answers.
          const r = spawnSync(process.execPath, [BIN, 'export', '--db', db], { encoding: 'utf8' });
          if (r.status !== 0 || JSON.parse(r.stdout).length < 10) fail(new Error(`export during a run failed: ${r.stderr}`));
          // A second writer is refused at once.
          const w = spawnSync(process.execPath, [BIN, 'ingest', dir, '--db', db], { encoding: 'utf8' });
          if (w.status !== EXIT.locked) fail(new Error(`second writer got ${w.status}`));
          child.kill('SIGKILL');
        }
      });
      child.on('exit', () => done());
    });
    expect(readerChecked).toBe(true);

    const raw = new BetterSqlite3(db);
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    // Every stored document is whole: its pages, its record.
    const half = raw
      .prepare(
        `SELECT d.file_name FROM documents d
         WHERE d.page_count <> (SELECT count(*) FROM pages p WHERE p.document_id = d.id)
            OR NOT EXISTS (SELECT 1 FROM extractions e WHERE e.document_id = d.id)
            OR NOT EXISTS (SELECT 1 FROM files f WHERE f.document_id = d.id)`,
      )
      .all();
    const count = (raw.prepare('SELECT count(*) AS n FROM documents').get() as { n: number }).n;
    raw.close();
    expect(half).toEqual([]);
    expect(count).toBeGreaterThanOrEqual(10);
    expect(count).toBeLessThan(121);
    expect(existsSync(`${db}.lock`)).toBe(true);
    expect(status(openDatabase(db, { readonly: true })).last_run!.status).toBe('crashed');

    // The files the killed run was reading are suspects: the next run takes over the stale lock,
    // stores every other file and records those as crashed-before instead of reading them blindly.
    const suspects = rows<{ path: string }>(db, 'SELECT path FROM in_flight ORDER BY path').map((r) => r.path);
    expect(suspects.length).toBeLessThanOrEqual(2); // --concurrency 1: at most two files in flight
    const next = await ingest([dir], { db });
    expect(next.counts).toMatchObject({ ingested: 121 - count - suspects.length, unchanged: count, failed: suspects.length });
    expect(next.failures.map((f) => [f.path, f.code]).sort()).toEqual(suspects.map((p) => [p, 'crashed-before']));
    // --retry-failed reads them, and the work is complete.
    const retried = await ingest([dir], { db, retryFailed: true });
    expect(retried.failures).toEqual([]);
    expect(retried.counts).toMatchObject({ ingested: suspects.length, unchanged: 121 - suspects.length, failed: 0 });
    expect(rows<{ n: number }>(db, 'SELECT count(*) AS n FROM documents')[0]!.n).toBe(121);
    expect(rows<{ n: number }>(db, 'SELECT count(*) AS n FROM in_flight')[0]!.n).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });
});
