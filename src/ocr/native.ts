/**
 * OCR by the system's native tesseract (Debian: `apt-get install tesseract-ocr tesseract-ocr-swe`),
 * when it is installed: the same recognizer as tesseract.js, compiled for the machine (AVX2) rather
 * than to WebAssembly, so the same prepared image reads in about 0.6 of the time (docs/benchmarks.md).
 *
 * One `tesseract` process per page, at most `size` at a time, each on one thread
 * (OMP_THREAD_LIMIT=1: the pages run in parallel, not the threads of one page). It is fed the page
 * exactly as prepared for tesseract.js (grey, at most 200 dpi, a PGM on stdin) with the same
 * settings, and writes its text and its TSV into a temporary folder that is always removed; the TSV
 * gives the blocks and the confidence as the WebAssembly engine does. A page that takes longer than
 * the timeout has its process killed and fails as `ocr-timeout`; an abort kills it too.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { DocumentError, TrainedDataMissingError } from '../errors.js';
import type { OcrEngine, OcrEngineOptions, OcrResult } from './engine.js';
import type { PreparedImage } from './prepare-image.js';
import { LANGUAGE } from './trained-data.js';
import { blocksFromTsv, OCR_SETTINGS } from './worker-pool.js';

/** The oldest tesseract whose LSTM recognizer reads as tesseract.js 5 does. */
const MIN_MAJOR = 5;
export const INSTALL_COMMAND = 'apt-get install tesseract-ocr tesseract-ocr-swe';

/** `--ocr-engine native` asked for, and no usable native tesseract on PATH. */
export class NativeOcrMissingError extends TrainedDataMissingError {
  override name = 'NativeOcrMissingError';
}

export function nativeMissingMessage(reason: string): string {
  return `--ocr-engine native needs tesseract ${MIN_MAJOR} or later with Swedish (swe) on PATH, but ${reason}: install it with "${INSTALL_COMMAND}" (Debian, Ubuntu), or use --ocr-engine wasm (the built-in engine)`;
}

export type NativeTesseract =
  | { ok: true; version: string; tessdata: string; model: string }
  | { ok: false; reason: string };

/** Checked once per PATH (a test changes PATH to simulate a machine without it). */
const detected = new Map<string, NativeTesseract>();

/** Whether a tesseract ≥ 5 with `swe` is on PATH: `tesseract --version` and `tesseract --list-langs`, once. */
export function detectNativeTesseract(): NativeTesseract {
  const path = process.env.PATH ?? '';
  let found = detected.get(path);
  if (!found) {
    found = detect();
    detected.set(path, found);
  }
  return found;
}

function detect(): NativeTesseract {
  const run = (arg: string) => spawnSync('tesseract', [arg], { encoding: 'utf8', timeout: 10_000, env: { ...process.env, OMP_THREAD_LIMIT: '1' } });
  const v = run('--version');
  if (v.error || v.status !== 0) {
    const code = (v.error as NodeJS.ErrnoException | undefined)?.code;
    return { ok: false, reason: code === 'ENOENT' ? 'no tesseract command is on PATH' : `"tesseract --version" failed (${code ?? `exit ${v.status}`})` };
  }
  const version = /tesseract\s+v?(\d+\.\d+(?:\.\d+)?)/i.exec(`${v.stdout}\n${v.stderr}`)?.[1];
  if (!version) return { ok: false, reason: 'the version of the tesseract on PATH cannot be told from "tesseract --version"' };
  if (Number(version.split('.')[0]) < MIN_MAJOR) return { ok: false, reason: `the tesseract on PATH is version ${version}` };
  const l = run('--list-langs');
  const listing = `${l.stdout ?? ''}\n${l.stderr ?? ''}`;
  const langs = listing.split('\n').map((s) => s.trim());
  if (l.status !== 0 || !langs.includes(LANGUAGE)) return { ok: false, reason: `tesseract ${version} is installed without Swedish (the package tesseract-ocr-swe)` };
  const tessdata = /"([^"]+)"/.exec(listing)?.[1] ?? '';
  // The model's size stands for its version: Debian's swe.traineddata changes with its package.
  let model = LANGUAGE;
  try {
    model = `${LANGUAGE}@${statSync(join(tessdata, `${LANGUAGE}.traineddata`)).size}`;
  } catch {
    // Found through TESSDATA_PREFIX or a build of its own: the language is all that is known.
  }
  return { ok: true, version, tessdata, model };
}

/** The arguments that make native tesseract read as the WebAssembly engine does (see OCR_SETTINGS). */
function tesseractArgs(outBase: string, dpi: number): string[] {
  return [
    'stdin', outBase,
    '-l', LANGUAGE,
    '--oem', '1', // LSTM only
    '--psm', '3',
    '--dpi', String(dpi),
    '-c', 'tessedit_do_invert=0',
    '-c', 'preserve_interword_spaces=1',
    '-c', 'page_separator=',
    'txt', 'tsv',
  ];
}

/** The mean word confidence of a TSV, as tesseract's MeanTextConf computes it (0 without words). */
export function meanWordConfidence(tsv: string): number {
  let sum = 0;
  let n = 0;
  for (const row of tsv.split('\n')) {
    const f = row.split('\t');
    if (f[0] !== '5' || f.length < 12) continue;
    const conf = Number(f[10]);
    if (!(conf >= 0)) continue;
    sum += conf;
    n++;
  }
  return n ? Math.round(sum / n) : 0;
}

export class NativeOcrEngine implements OcrEngine {
  readonly size: number;
  private readonly timeoutMs: number;
  /** Where each page's temporary folder is made (the system's temp folder unless given). */
  private readonly tempDir: string;
  private readonly limit: ReturnType<typeof pLimit>;
  /** Processes running, each with what stops it. */
  private readonly running = new Map<ChildProcess, (error: DocumentError) => void>();
  private closed = false;
  recognized = 0;

  constructor(options: OcrEngineOptions & { tempDir?: string }) {
    this.size = Math.max(1, options.size);
    this.timeoutMs = options.timeoutMs;
    this.tempDir = options.tempDir ?? tmpdir();
    this.limit = pLimit(this.size);
  }

  private get found(): Extract<NativeTesseract, { ok: true }> {
    const found = detectNativeTesseract();
    if (!found.ok) throw new NativeOcrMissingError(nativeMissingMessage(found.reason));
    return found;
  }

  get engineId(): string {
    const { version, model } = this.found;
    return `tesseract-native@${version} ${model} ${OCR_SETTINGS}`;
  }

  get label(): string {
    const found = detectNativeTesseract();
    return found.ok ? `tesseract-native ${found.version} ${LANGUAGE}` : 'tesseract-native (missing)';
  }

  /** Nothing to start ahead: a process starts per page (about 0.2 CPU-s of it, the model loaded; docs/scale.md). */
  prestart(): void {}

  recognize(image: PreparedImage, signal?: AbortSignal): Promise<OcrResult> {
    return this.limit(() => this.run(image, signal));
  }

  private async run(image: PreparedImage, signal?: AbortSignal): Promise<OcrResult> {
    if (this.closed) throw new Error('OCR engine is closed');
    signal?.throwIfAborted();
    // Throws NativeOcrMissingError when tesseract has gone from PATH.
    void this.found;
    const dir = await mkdtemp(join(this.tempDir, 'beslutsarkiv-ocr-'));
    try {
      const out = join(dir, 'page');
      await this.tesseract(tesseractArgs(out, image.dpi), image.pgm, signal);
      const [text, tsv] = await Promise.all([readFile(`${out}.txt`, 'utf8'), readFile(`${out}.tsv`, 'utf8')]);
      this.recognized++;
      return { text: text.replace(/\f/g, ''), confidence: meanWordConfidence(tsv), blocks: blocksFromTsv(tsv) };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Runs tesseract on `input` (stdin) to completion. On timeout, abort or close the process is
   * killed, and the promise settles once it is gone (so that its folder can be removed).
   */
  private tesseract(args: string[], input: Buffer, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const child = spawn('tesseract', args, { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, OMP_THREAD_LIMIT: '1' } });
      let stderr = '';
      /** Why the process was stopped, when it was. */
      let stopped: DocumentError | undefined;
      const stop = (error: DocumentError) => {
        stopped ??= error;
        child.kill('SIGKILL');
      };
      this.running.set(child, stop);
      const timer = setTimeout(
        () => stop(new DocumentError('ocr-timeout', `OCR did not finish within ${Math.round(this.timeoutMs / 1000)} s (--ocr-timeout)`)),
        this.timeoutMs,
      );
      const onAbort = () => stop(new DocumentError('interrupted', 'interrupted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      let settled = false;
      const done = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.running.delete(child);
        if (error) reject(error);
        else resolve();
      };
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        if (stderr.length < 4000) stderr += chunk;
      });
      child.on('error', (error: NodeJS.ErrnoException) => {
        // Not started at all (no close event follows).
        if (child.pid === undefined) done(new DocumentError('ocr-failed', `OCR failed: native tesseract could not be started (${error.code ?? error.message})`, { cause: error }));
      });
      child.on('close', (code, sig) => {
        if (stopped) return done(stopped);
        if (code === 0) return done();
        const said = stderr
          .split('\n')
          .map((s) => s.trim())
          .filter((s) => s && !/^(Estimating resolution|Detected \d+ diacritics|Warning: Invalid resolution)/.test(s))
          .at(-1);
        done(new DocumentError('ocr-failed', `OCR failed: native tesseract ${sig ? `was killed (${sig})` : `exited with code ${code}`}${said ? ` (${said})` : ''}`));
      });
      // A process that dies before reading all of its input closes the pipe: its exit says why.
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(input);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const running = [...this.running];
    const gone = running.map(([child]) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('close', () => resolve()))));
    for (const [, stop] of running) stop(new DocumentError('interrupted', 'interrupted'));
    await Promise.all(gone);
  }
}
