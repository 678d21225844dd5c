/**
 * Hostile and strange inputs: a file that never finishes, exhausts memory or kills the process costs
 * that file, never the run. The per-file watchdog, the sandboxed reader, files in flight across a
 * crash, SIGTERM, and the peer corpus (test/fixtures/peer).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import { ingest, type IngestEvent, type IngestOptions, type RunSummary } from '../src/pipeline.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { PEER_FILES } from '../scripts/peer-fixtures.js';
import { tempDir } from './helpers.js';

const ROOT = resolve(__dirname, '..');
const BIN = join(ROOT, 'src/cli/bin.js');
const SEED = readFileSync(join(ROOT, 'corpus/000_32a9fff0cf960181.txt'), 'utf8');

/** A folder of small decision texts (distinct content), named as given. */
function batch(names: string[]): string {
  const dir = join(tempDir(), 'batch');
  mkdirSync(dir, { recursive: true });
  names.forEach((name, i) => writeFileSync(join(dir, name), `${SEED}\nLöpnummer ${i} ${name}\n`));
  return dir;
}

function rows<T>(db: string, sql: string, ...args: unknown[]): T[] {
  const raw = new BetterSqlite3(db, { readonly: true, fileMustExist: true });
  try {
    return raw.prepare(sql).all(...args) as T[];
  } finally {
    raw.close();
  }
}

async function run(paths: string[], options: Omit<IngestOptions, 'onEvent'>): Promise<{ summary: RunSummary; events: IngestEvent[]; byFile: Map<string, IngestEvent[]> }> {
  const events: IngestEvent[] = [];
  const summary = await ingest(paths, { concurrency: 2, ...options, onEvent: (e) => events.push(e) });
  const byFile = new Map<string, IngestEvent[]>();
  for (const e of events) if (e.event === 'file') byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  return { summary, events, byFile };
}

const outcome = (byFile: Map<string, IngestEvent[]>, file: string) => byFile.get(file)?.[0] as (IngestEvent & { event: 'file' }) | undefined;

/** Child processes of a process (from /proc). */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) found.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The CLI ingesting `dir`, with reader faults injected (BESLUTSARKIV_TEST_FAULT). */
function startCli(dir: string, db: string, fault: string, extra: string[] = []): ChildProcess {
  return spawn(process.execPath, [BIN, 'ingest', dir, '--db', db, '--log-format', 'json', '--concurrency', '1', ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, BESLUTSARKIV_TEST_FAULT: fault },
  });
}

function stored(db: string): number {
  try {
    return rows<{ n: number }>(db, 'SELECT count(*) AS n FROM documents')[0]!.n;
  } catch {
    return 0;
  }
}

/** Paths marked in flight (none while the database is still being created). */
function inFlight(db: string): string[] {
  try {
    return rows<{ path: string }>(db, 'SELECT path FROM in_flight').map((r) => r.path);
  } catch {
    return [];
  }
}

afterEach(() => {
  delete process.env.BESLUTSARKIV_TEST_FAULT;
});

describe('the per-file watchdog', () => {
  it('ends a stage that never finishes with timeout, naming the stage; the rest of the batch lands', async () => {
    const dir = batch(['a.txt', 'b.txt', 'c.txt', 'd.txt']);
    const db = join(dir, '..', 'w.sqlite');
    const started = Date.now();
    const { summary, byFile } = await run([dir], {
      db,
      limits: { fileTimeoutMs: 6000 },
      stageHook: (stage, path) => (stage === 'normalize' && path.endsWith('b.txt') ? new Promise<void>(() => {}) : undefined),
    });
    expect(summary.status).toBe('completed');
    expect(summary.counts).toMatchObject({ seen: 4, ingested: 3, failed: 1 });
    expect(outcome(byFile, 'b.txt')).toMatchObject({ status: 'failed', code: 'timeout' });
    expect((outcome(byFile, 'b.txt') as { reason: string }).reason).toMatch(/^b\.txt: no outcome within 6 s \(--file-timeout 6 s\): stopped in the normalize stage/);
    for (const f of ['a.txt', 'c.txt', 'd.txt']) expect(outcome(byFile, f)?.status).toBe('ingested');
    expect([...byFile.values()].every((events) => events.length === 1)).toBe(true);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(inFlight(db)).toEqual([]);
  });

  it('kills a reader whose event loop is blocked (timeout in the parse stage) and goes on with a new one', async () => {
    process.env.BESLUTSARKIV_TEST_FAULT = 'spin:stuck';
    const dir = batch(['a.txt', 'stuck.txt', 'c.txt', 'd.txt', 'e.txt']);
    const { summary, byFile } = await run([dir], { db: join(dir, '..', 'w.sqlite'), limits: { fileTimeoutMs: 6000 } });
    expect(summary.status).toBe('completed');
    expect(summary.counts).toMatchObject({ seen: 5, ingested: 4, failed: 1 });
    expect(outcome(byFile, 'stuck.txt')).toMatchObject({ status: 'failed', code: 'timeout' });
    expect((outcome(byFile, 'stuck.txt') as { reason: string }).reason).toMatch(/stopped in the parse stage/);
  });
});

describe('the sandboxed reader', () => {
  it('fails a file that exhausts the reader memory with resource-limit, naming the limit; the rest lands', async () => {
    process.env.BESLUTSARKIV_TEST_FAULT = 'allocate:hog';
    const dir = batch(['a.txt', 'hog.txt', 'c.txt']);
    for (const f of ['flate-bomb.pdf', 'ifd-loop.tif']) writeFileSync(join(dir, f), readFileSync(join(PEER_FILES, f)));
    const { summary, byFile } = await run([dir], { db: join(dir, '..', 'w.sqlite'), limits: { readerMemoryBytes: 512 * 2 ** 20, fileTimeoutMs: 60_000 } });
    expect(summary.status).toBe('completed');
    expect(summary.counts).toMatchObject({ seen: 5, ingested: 2, failed: 3 });
    const reason = (f: string) => (outcome(byFile, f) as { code: string; reason: string });
    // V8 gives up at the heap cap (half of --reader-memory): the reader dies, not the run.
    expect(reason('hog.txt')).toMatchObject({ code: 'resource-limit' });
    expect(reason('hog.txt').reason).toMatch(/^hog\.txt: (heap: the reader ran out of its heap of 256 MiB|memory: the readers used \d+ MiB together)/);
    // A TIFF whose directory chain loops: the reader's heap fills up.
    expect(reason('ifd-loop.tif')).toMatchObject({ code: 'resource-limit' });
    // 1 KB that would inflate to 256 MiB: refused before pdf.js sees it.
    expect(reason('flate-bomb.pdf')).toMatchObject({ code: 'resource-limit' });
    expect(reason('flate-bomb.pdf').reason).toMatch(/inflates to more than 64 MiB \(--max-stream-size\)/);
    for (const f of ['a.txt', 'c.txt']) expect(outcome(byFile, f)?.status).toBe('ingested');
  });

  it('fails a file whose reader crashes (reader-crashed) and goes on', async () => {
    process.env.BESLUTSARKIV_TEST_FAULT = 'crash:boom';
    const dir = batch(['a.txt', 'boom.txt', 'c.txt']);
    const { summary, byFile } = await run([dir], { db: join(dir, '..', 'w.sqlite') });
    expect(summary.counts).toMatchObject({ ingested: 2, failed: 1 });
    expect(outcome(byFile, 'boom.txt')).toMatchObject({ code: 'reader-crashed' });
    expect((outcome(byFile, 'boom.txt') as { reason: string }).reason).toMatch(/the reader process died \(signal SIGSEGV\) while parsing/);
  });
});

describe('a run that dies', () => {
  it('leaves the files in flight as suspects: the next run records them crashed-before instead of reading them blindly', async () => {
    const dir = batch(['a-suspect.txt', 'b.txt', 'c.txt']);
    const db = join(dir, '..', 'w.sqlite');
    // The reader spins on a-suspect.txt (a blocked event loop), as pdf.js on a hostile file would.
    const cli = startCli(dir, db, 'spin:a-suspect');
    await until(() => inFlight(db).some((p) => p.endsWith('a-suspect.txt')), 60_000, 'a-suspect.txt in flight');
    // The other files pass it (a second reader) and are stored.
    await until(() => stored(db) === 2, 60_000, 'b.txt and c.txt stored');
    const readers = childrenOf(cli.pid!);
    expect(readers.length).toBeGreaterThan(0);
    cli.kill('SIGKILL');
    // The orphaned reader notices that its parent is gone, blocked event loop and all.
    await until(() => readers.every((pid) => !alive(pid)), 10_000, 'the orphaned reader to end');

    const next = await run([dir], { db });
    expect(next.summary.status).toBe('completed');
    expect(outcome(next.byFile, 'a-suspect.txt')).toMatchObject({ status: 'failed', code: 'crashed-before' });
    expect((outcome(next.byFile, 'a-suspect.txt') as { reason: string }).reason).toMatch(/was being read when run 1 died .* --retry-failed/);
    expect(outcome(next.byFile, 'b.txt')?.status).toBe('unchanged');
    expect(outcome(next.byFile, 'c.txt')?.status).toBe('unchanged');
    // Still a suspect on the run after (it has not changed) …
    const again = await run([dir], { db });
    expect(outcome(again.byFile, 'a-suspect.txt')).toMatchObject({ code: 'crashed-before' });
    // … until it is retried on request.
    const retried = await run([dir], { db, retryFailed: true });
    expect(outcome(retried.byFile, 'a-suspect.txt')?.status).toBe('ingested');
    expect(inFlight(db)).toEqual([]);
  });

  it('SIGTERM ends a run with a hung file within seconds: interrupted, lock released, reader gone', async () => {
    const dir = batch(['a.txt', 'b-hung.txt', 'c.txt']);
    const db = join(dir, '..', 'w.sqlite');
    const cli = startCli(dir, db, 'spin:b-hung', ['--file-timeout', '600']);
    let stderr = '';
    cli.stderr!.setEncoding('utf8');
    cli.stderr!.on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<{ code: number | null; signal: string | null }>((done) => cli.once('exit', (code, signal) => done({ code, signal })));
    await until(() => inFlight(db).some((p) => p.endsWith('b-hung.txt')), 60_000, 'b-hung.txt in flight');
    await until(() => childrenOf(cli.pid!).length > 0, 10_000, 'the reader process');
    const readers = childrenOf(cli.pid!);
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    cli.kill('SIGTERM');
    const { code } = await exited;
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(code).toBe(EXIT.interrupted);
    expect(existsSync(`${db}.lock`)).toBe(false);
    expect(readers.filter(alive)).toEqual([]);
    const runs = rows<{ status: string }>(db, 'SELECT status FROM runs ORDER BY id DESC LIMIT 1');
    expect(runs[0]!.status).toBe('interrupted');
    // Interrupted is not crashed: nothing stays in flight, and the next run reads b-hung.txt.
    expect(inFlight(db)).toEqual([]);
    const lines = stderr.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { event: string; status?: string });
    expect(lines.at(-1)).toMatchObject({ event: 'run-end', status: 'interrupted' });
  });
});

describe('the peer corpus (test/fixtures/peer)', () => {
  it('gives every file exactly one outcome and completes the run', async () => {
    const files = readdirSync(PEER_FILES).sort();
    expect(files.length).toBeGreaterThanOrEqual(25);
    const db = join(tempDir(), 'peer.sqlite');
    // Short limits: hostile files end in seconds, not minutes.
    const { summary, byFile } = await run([PEER_FILES], { db, limits: { ...DEFAULT_LIMITS, fileTimeoutMs: 20_000, ocrTimeoutMs: 30_000 } });
    expect(summary.status).toBe('completed');
    expect([...byFile.keys()].sort()).toEqual(files);
    for (const [file, events] of byFile) expect(events.length, file).toBe(1);
    const c = summary.counts;
    expect(c.ingested + c.changed + c.unchanged + c.reprocessed + c.moved + c.duplicate + c.skipped + c.failed).toBe(files.length);
    // Valid files every reader must read, whatever else the corpus does to it.
    for (const f of ['text-winansi.pdf', 'incremental-update.pdf', 'object-streams.pdf', 'xref-wrong-offsets.pdf', 'encrypted-empty-password.pdf']) {
      expect(outcome(byFile, f)?.status, f).toBe('ingested');
    }
    const text = rows<{ text: string }>(db, `SELECT p.text FROM pages p JOIN files f ON f.document_id = p.document_id WHERE f.name = 'encrypted-empty-password.pdf'`);
    expect(text[0]!.text).toContain('Socialnämnden godkänner');
    expect(outcome(byFile, 'flate-bomb.pdf')).toMatchObject({ status: 'failed', code: 'resource-limit' });
  }, 600_000);
});

describe('page images from the readers', () => {
  /** An incompressible PNG (random noise) of w×h pixels: its file is about 3·w·h bytes. */
  async function noisePng(path: string, w: number, h: number): Promise<Buffer> {
    const { createCanvas } = await import('@napi-rs/canvas');
    const { randomBytes } = await import('node:crypto');
    const canvas = createCanvas(w, h);
    const ctx = canvas.getContext('2d');
    const img = ctx.createImageData(w, h);
    img.data.set(randomBytes(img.data.length));
    for (let i = 3; i < img.data.length; i += 4) img.data[i] = 255;
    ctx.putImageData(img, 0, 0);
    const bytes = canvas.toBuffer('image/png');
    writeFileSync(path, bytes);
    return bytes;
  }

  it('come through a spill file (removed once read, the folder at close), byte for byte; a reader is kept after a large scan', async () => {
    const { ReaderPool } = await import('../src/ingest/sandbox.js');
    const { SPILL_BYTES } = await import('../src/ingest/reader-process.js');
    const { createHash } = await import('node:crypto');
    const dir = tempDir();
    const spillRoot = join(dir, 'tmp');
    mkdirSync(spillRoot);
    const before = process.env.TMPDIR;
    process.env.TMPDIR = spillRoot;
    const pool = new ReaderPool({ limits: DEFAULT_LIMITS });
    try {
      // Two scans of about 6.5 MB each: above the spill size and above the 4 MB at which a reader
      // that read a text file is replaced.
      for (const name of ['a.png', 'b.png']) {
        const path = join(dir, name);
        const bytes = await noisePng(path, 1500, 1450);
        expect(bytes.length).toBeGreaterThan(Math.max(SPILL_BYTES, 4 * 2 ** 20));
        const source = await pool.open({ path, name, size: bytes.length, mtimeMs: 0, sha256: createHash('sha256').update(bytes).digest('hex') }, new AbortController().signal);
        const image = await source.pages[0]!.loadImage!();
        expect(Buffer.compare(image.data!, bytes)).toBe(0);
        const spills = readdirSync(spillRoot).filter((f) => f.startsWith('beslutsarkiv-images-'));
        expect(spills).toHaveLength(1);
        expect(readdirSync(join(spillRoot, spills[0]!))).toEqual([]);
        await source.close();
      }
      expect(pool.started).toBe(1);
    } finally {
      await pool.close();
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
    }
    expect(readdirSync(spillRoot).filter((f) => f.startsWith('beslutsarkiv-images-'))).toEqual([]);
  });
});
