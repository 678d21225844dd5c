/**
 * The native OCR engine (the system's tesseract, `--ocr-engine native`): real scans rendered from a
 * report's text are read by native tesseract processes through the same OCR stage as tesseract.js,
 * the engine is recorded with the pages and the run, the OCR cache is keyed by engine (a run with
 * the other engine OCRs again), one process reads page after page as separate processes would, a
 * page past its timeout or whose process dies fails alone, and asking for native tesseract where
 * there is none is a clear error with the install command.
 *
 * Skipped, with the reason printed, where native tesseract 5 with Swedish is not installed
 * (apt-get install tesseract-ocr tesseract-ocr-swe; CI installs it).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocumentFile } from '../src/document-file.js';
import { readSource } from '../src/ingest/read-source.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { createOcrEngine, resolveOcrEngine } from '../src/ocr/engine.js';
import { detectNativeTesseract, NativeOcrEngine, NativeOcrMissingError } from '../src/ocr/native.js';
import { ocrPages } from '../src/ocr/ocr-pages.js';
import { prepareForOcr } from '../src/ocr/prepare-image.js';
import { OcrPool } from '../src/ocr/worker-pool.js';
import { ingest, sha256 } from '../src/pipeline.js';
import { openDatabase } from '../src/store/database.js';
import { status } from '../src/store/read.js';
import { paginate, renderScan, toPng, turned, type ScanOptions } from '../scripts/fixtures.js';
import { SEED_TEXT, tempDir, wordAccuracy } from './helpers.js';

const LINES = paginate(SEED_TEXT, 22)[0]!;
const TRUTH = LINES.join('\n');
/** A 200-dpi office scan: grey paper, a little blur and noise (as the orientation tests use). */
const SCAN: ScanOptions = { dpi: 200, blur: 0.5, noise: 12, paper: 240, seed: 7 };
const UPRIGHT = renderScan(LINES, SCAN);
const ROOT = join(import.meta.dirname, '..');

const found = detectNativeTesseract();
if (!found.ok) console.warn(`test/native-ocr.test.ts skipped: ${found.reason} (apt-get install tesseract-ocr tesseract-ocr-swe)`);

/** Native tesseract processes started by this process and still alive (Linux /proc). */
function tesseractChildren(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (comm === 'tesseract' && ppid === process.pid) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

// The engines of this file make their folders here, so other test files OCRing at the same time
// (with the system's temp folder) do not show up as left behind.
const OCR_TEMP = tempDir('native-ocr-test-');
const ocrTemps = () => readdirSync(OCR_TEMP).filter((f) => f.startsWith('beslutsarkiv-ocr-'));
/** Page images left in the engines' folders (each holds the marker image while its engine is open). */
const pageFiles = () => ocrTemps().flatMap((d) => readdirSync(join(OCR_TEMP, d)).filter((f) => f !== 'marker.pgm'));
const alive = (pid: number) => existsSync(`/proc/${pid}/stat`) && readFileSync(`/proc/${pid}/stat`, 'utf8').includes('(tesseract)');

/** PATH without any tesseract on it, for the duration of `fn`. */
async function withoutTesseract<T>(fn: () => Promise<T> | T): Promise<T> {
  const saved = process.env.PATH;
  process.env.PATH = '';
  try {
    return await fn();
  } finally {
    process.env.PATH = saved;
  }
}

describe.skipIf(!found.ok)('native tesseract as the OCR engine', () => {
  let engine: NativeOcrEngine;
  beforeAll(() => {
    engine = new NativeOcrEngine({ size: 2, timeoutMs: 120_000, tempDir: OCR_TEMP });
  });
  afterAll(async () => {
    await engine.close();
    // Closed engines leave no process and no folder.
    expect(tesseractChildren()).toEqual([]);
    expect(ocrTemps()).toEqual([]);
  });

  async function ocr(bytes: Buffer, name: string): Promise<DocumentFile> {
    const source = await readSource({ path: `/in/${name}`, name, size: bytes.length, mtimeMs: 0, bytes, sha256: sha256(bytes) }, DEFAULT_LIMITS);
    try {
      return await ocrPages(source, { pool: engine });
    } finally {
      await source.close();
    }
  }

  it('reads a rendered scan as well as the built-in engine must, into the same blocks, and names itself', async () => {
    const before = engine.recognized;
    const file = await ocr(toPng(UPRIGHT), 'scan.png');
    const page = file.pages[0]!;
    expect(engine.recognized).toBe(before + 1);
    expect(wordAccuracy(page.text, TRUTH)).toBeGreaterThanOrEqual(0.95);
    expect(page.confidence).toBeGreaterThan(80);
    expect(page.ocrEngine).toMatch(/^tesseract-native@5\.\d+\.\d+ swe@\d+ oem=lstm psm=3 /);
    expect(page.ocrEngine).toBe(engine.engineId);
    // Blocks from tesseract's TSV, in the page's pixels, their text the page's words.
    expect(page.blocks!.length).toBeGreaterThanOrEqual(1);
    for (const b of page.blocks!) {
      expect(b.bbox[2]).toBeGreaterThan(b.bbox[0]);
      expect(b.bbox[3]).toBeGreaterThan(b.bbox[1]);
      expect(b.bbox[2]).toBeLessThanOrEqual(UPRIGHT.width);
      expect(b.text.trim()).not.toBe('');
    }
    expect(wordAccuracy(page.blocks!.map((b) => b.text).join('\n'), TRUTH)).toBeGreaterThanOrEqual(0.95);
    expect(file.messages.some((m) => m.rule === 'ocr-page')).toBe(true);
    expect(engine.label).toBe(`tesseract-native ${found.ok && found.version} swe`);
    expect(pageFiles()).toEqual([]);
  });

  it('one process reads page after page, each exactly as a process of its own reads it, at its own resolution', async () => {
    const upright = await prepareForOcr({ data: toPng(UPRIGHT), width: UPRIGHT.width, height: UPRIGHT.height, dpi: 200, origin: 'file' });
    const other = renderScan(paginate(SEED_TEXT, 22)[1]!, { ...SCAN, dpi: 150, seed: 3 });
    const small = await prepareForOcr({ data: toPng(other), width: other.width, height: other.height, dpi: 150, origin: 'file' });
    expect(small.dpi).toBe(150);
    const alone = async (image: typeof upright) => {
      const fresh = new NativeOcrEngine({ size: 1, timeoutMs: 120_000, tempDir: OCR_TEMP });
      try {
        return await fresh.recognize(image);
      } finally {
        await fresh.close();
      }
    };
    const one = new NativeOcrEngine({ size: 1, timeoutMs: 120_000, tempDir: OCR_TEMP });
    const before = tesseractChildren();
    try {
      const first = await one.recognize(small);
      const started = tesseractChildren().filter((pid) => !before.includes(pid));
      expect(started.length).toBe(1);
      const second = await one.recognize(upright);
      const third = await one.recognize(small);
      // Still the same process, and nothing of the pages left in its folder.
      expect(tesseractChildren().filter((pid) => !before.includes(pid))).toEqual(started);
      expect(one.started).toBe(1);
      expect(pageFiles()).toEqual([]);
      expect(wordAccuracy(second.text, TRUTH)).toBeGreaterThanOrEqual(0.95);
      expect(third).toEqual(first);
      expect(first).toEqual(await alone(small));
      expect(second).toEqual(await alone(upright));
    } finally {
      await one.close();
    }
    expect(tesseractChildren().filter((pid) => !before.includes(pid))).toEqual([]);
    // A process is replaced after its share of pages, and its successor reads the same.
    const short = new NativeOcrEngine({ size: 1, timeoutMs: 120_000, tempDir: OCR_TEMP, pagesPerProcess: 1 });
    try {
      const a = await short.recognize(small);
      const b = await short.recognize(small);
      expect(short.started).toBe(2);
      expect(b).toEqual(a);
    } finally {
      await short.close();
    }
  });

  it('a process that dies costs only its page: the next page gets a new process', async () => {
    const prepared = await prepareForOcr({ data: toPng(UPRIGHT), width: UPRIGHT.width, height: UPRIGHT.height, dpi: 200, origin: 'file' });
    const one = new NativeOcrEngine({ size: 1, timeoutMs: 120_000, tempDir: OCR_TEMP });
    const before = tesseractChildren();
    try {
      const failed = one.recognize(prepared).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 100));
      const [pid] = tesseractChildren().filter((p) => !before.includes(p));
      process.kill(pid!, 'SIGKILL');
      const error = (await failed) as { code?: string; message?: string };
      expect(error.code).toBe('ocr-failed');
      expect(error.message).toMatch(/^OCR failed: native tesseract was killed \(SIGKILL\)/);
      const next = await one.recognize(prepared);
      expect(wordAccuracy(next.text, TRUTH)).toBeGreaterThanOrEqual(0.95);
      expect(tesseractChildren().filter((p) => !before.includes(p) && p !== pid).length).toBe(1);
    } finally {
      await one.close();
    }
    expect(pageFiles()).toEqual([]);
  });

  it('turns a page that is upside down: the orientation check reads its bands with the same engine', async () => {
    const file = await ocr(toPng(turned(UPRIGHT, 180)), 'upside-down.png');
    const turnedMessage = file.messages.find((m) => m.rule === 'ocr-orientation');
    expect(turnedMessage?.actual).toBe('turned 180°');
    expect(wordAccuracy(file.pages[0]!.text, TRUTH)).toBeGreaterThanOrEqual(0.95);
  });

  it('kills the process of a page past its timeout, and of a page whose run is interrupted; nothing is left behind', async () => {
    const prepared = await prepareForOcr({ data: toPng(UPRIGHT), width: UPRIGHT.width, height: UPRIGHT.height, dpi: 200, origin: 'file' });
    const before = tesseractChildren();
    const slow = new NativeOcrEngine({ size: 1, timeoutMs: 150, tempDir: OCR_TEMP });
    try {
      const started = performance.now();
      const failed = slow.recognize(prepared).catch((e: unknown) => e);
      // The process runs (tesseract needs about a second for the page) …
      await new Promise((r) => setTimeout(r, 60));
      const running = tesseractChildren().filter((pid) => !before.includes(pid));
      expect(running.length).toBe(1);
      const error = (await failed) as { code?: string; message?: string };
      // … and is gone when the page fails as a timeout, its image removed.
      expect(error.code).toBe('ocr-timeout');
      expect(error.message).toMatch(/OCR did not finish within 0 s \(--ocr-timeout\)/);
      expect(performance.now() - started).toBeLessThan(5000);
      expect(alive(running[0]!)).toBe(false);
      expect(pageFiles()).toEqual([]);
    } finally {
      await slow.close();
    }
    expect(tesseractChildren().filter((pid) => !before.includes(pid))).toEqual([]);
    const controller = new AbortController();
    const interrupted = engine.recognize(prepared, controller.signal).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 60));
    const reading = tesseractChildren();
    controller.abort();
    expect(((await interrupted) as { code?: string }).code).toBe('interrupted');
    // The process of the interrupted page is gone (the engine's idle one, if any, stays until close).
    expect(tesseractChildren().length).toBe(reading.length - 1);
    expect(pageFiles()).toEqual([]);
  });

  it('records the engine with the run and in status; the cache is keyed by engine, so the other engine OCRs again', async () => {
    const dir = tempDir();
    const input = join(dir, 'in');
    spawnSync('mkdir', ['-p', input]);
    writeFileSync(join(input, 'scan.png'), toPng(UPRIGHT));
    const db = join(dir, 'archive.sqlite');
    const pagesOf = () => {
      const d = openDatabase(db, { readonly: true });
      try {
        return {
          engine: d.prepare("SELECT ocr_engine FROM pages WHERE source = 'ocr'").pluck().all() as string[],
          cached: d.prepare('SELECT engine FROM ocr_cache ORDER BY engine').pluck().all() as string[],
          runs: d.prepare('SELECT ocr_engine FROM runs ORDER BY id').pluck().all() as string[],
          status: status(d),
        };
      } finally {
        d.close();
      }
    };
    const first = await ingest([input], { db, concurrency: 2, ocrEngine: 'native' });
    expect(first.counts.ingested).toBe(1);
    let seen = pagesOf();
    expect(seen.engine).toEqual([engine.engineId]);
    expect(seen.cached).toEqual([engine.engineId]);
    expect(seen.runs).toEqual([engine.label]);
    expect(seen.status.last_run!.ocr_engine).toBe(engine.label);

    // Same engine again: nothing is OCRed.
    const again = await ingest([input], { db, concurrency: 2, ocrEngine: 'native' });
    expect(again.counts.unchanged).toBe(1);
    expect(pagesOf().engine).toEqual([engine.engineId]);

    // The built-in engine: the page was OCRed by another engine, so it is OCRed again, and cached beside.
    const wasm = new OcrPool({ size: 1, timeoutMs: 120_000 });
    try {
      const other = await ingest([input], { db, concurrency: 1, pool: wasm });
      expect(other.counts.reprocessed).toBe(1);
      expect(wasm.recognized).toBeGreaterThanOrEqual(1);
      seen = pagesOf();
      expect(seen.engine).toEqual([wasm.engineId]);
      expect(seen.engine[0]).toMatch(/^tesseract\.js@/);
      expect(seen.cached).toEqual([engine.engineId, wasm.engineId].sort());
      expect(seen.runs).toEqual([engine.label, engine.label, wasm.label]);
      expect(seen.status.last_run!.ocr_engine).toMatch(/^tesseract\.js \S+ swe \(WebAssembly\)$/);
    } finally {
      await wasm.close();
    }
    // And back to native: taken from its cache entry, not OCRed.
    const back = new NativeOcrEngine({ size: 1, timeoutMs: 120_000 });
    await ingest([input], { db, concurrency: 1, pool: back });
    await back.close();
    expect(back.recognized).toBe(0);
    expect(pagesOf().engine).toEqual([engine.engineId]);
  });

  it('auto picks native tesseract where it is installed', () => {
    expect(resolveOcrEngine('auto')).toBe('native');
    expect(resolveOcrEngine('wasm')).toBe('wasm');
    expect(createOcrEngine('auto', { size: 1, timeoutMs: 1000 })).toBeInstanceOf(NativeOcrEngine);
  });
});

describe('no native tesseract on PATH', () => {
  it('auto falls back to the built-in engine; native is a clear error with the install command', async () => {
    await withoutTesseract(async () => {
      expect(resolveOcrEngine('auto')).toBe('wasm');
      expect(createOcrEngine('auto', { size: 1, timeoutMs: 1000 })).toBeInstanceOf(OcrPool);
      expect(() => resolveOcrEngine('native')).toThrow(NativeOcrMissingError);
      expect(() => resolveOcrEngine('native')).toThrow(
        '--ocr-engine native needs tesseract 5 or later with Swedish (swe) on PATH, but no tesseract command is on PATH: install it with "apt-get install tesseract-ocr tesseract-ocr-swe"',
      );
      // The library refuses before it creates or locks anything.
      const db = join(tempDir(), 'never.sqlite');
      await expect(ingest([ROOT], { db, ocrEngine: 'native' })).rejects.toThrow(NativeOcrMissingError);
      expect(existsSync(db)).toBe(false);
    });
  });

  it('the CLI says so and exits 2', () => {
    const dir = tempDir();
    const r = spawnSync(process.execPath, [join(ROOT, 'src/cli/bin.js'), 'ingest', join(ROOT, 'corpus'), '--db', join(dir, 'a.sqlite'), '--ocr-engine', 'native'], {
      encoding: 'utf8',
      env: { ...process.env, PATH: '', FORCE_COLOR: '0' },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--ocr-engine native needs tesseract 5 or later with Swedish (swe) on PATH, but no tesseract command is on PATH');
    expect(r.stderr).toContain('apt-get install tesseract-ocr tesseract-ocr-swe');
    expect(existsSync(join(dir, 'a.sqlite'))).toBe(false);
  });
});
