/**
 * OCR by the system's native tesseract (Debian: `apt-get install tesseract-ocr tesseract-ocr-swe`),
 * when it is installed: the same recognizer as tesseract.js, compiled for the machine (AVX2) rather
 * than to WebAssembly, so the same prepared image reads in about 0.6 of the time (docs/benchmarks.md).
 *
 * A `tesseract` process per slot (at most `size` at once, each on one thread: OMP_THREAD_LIMIT=1,
 * so the pages run in parallel, not the threads of one page), kept for page after page: it takes
 * image file names on stdin (`stream_filelist`) and writes each page's TSV and text to stdout. A
 * process per page spent about 0.2 CPU-s of every page loading the model, and the main thread 36 ms
 * starting it; kept, the 16 bench pages run in 25–28 s instead of 30–33 (docs/scale.md). Each page
 * is the image as prepared for tesseract.js (grey, at most 200 dpi) with the same settings, written
 * as an uncompressed TIFF that carries its resolution, and read exactly as a process of its own
 * reads it (the tests compare). The TSV gives the blocks and the confidence as the WebAssembly
 * engine does. A page that takes longer than the timeout has its process killed and fails as
 * `ocr-timeout`; an abort kills it too; a process that dies costs its page, and the next page gets
 * a new one. Page images are removed as soon as they are read, the folder when the engine closes.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { open, rm } from 'node:fs/promises';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { DocumentError, TrainedDataMissingError } from '../errors.js';
import type { OcrEngine, OcrEngineOptions, OcrResult } from './engine.js';
import type { PreparedImage } from './prepare-image.js';
import { fromPgm, toPgm } from './orientation.js';
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

/**
 * The arguments of a long-lived tesseract that reads as the WebAssembly engine does (see
 * OCR_SETTINGS): it takes image file names on stdin, one a line (`stream_filelist`), and writes
 * each page's TSV and then its text to stdout, flushed page by page.
 */
const TESSERACT_ARGS = [
  '-', 'stdout',
  '-l', LANGUAGE,
  '--oem', '1', // LSTM only
  '--psm', '3',
  '-c', 'stream_filelist=1',
  '-c', 'tessedit_do_invert=0',
  '-c', 'preserve_interword_spaces=1',
  '-c', 'page_separator=',
  'tsv', 'txt',
];

/** A process is replaced after this many pages, so that nothing it keeps can grow without end. */
const PAGES_PER_PROCESS = 200;

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

/**
 * An uncompressed 8-bit grey TIFF of a prepared page, with its resolution: tesseract reads the
 * pixels as it reads the PGM, and the resolution (which a PGM cannot carry) as it would take
 * `--dpi`, so pages of different resolutions share one process. Header, one IFD of 12 entries, the
 * two resolutions, then the pixels as one strip.
 */
function greyTiff(image: Pick<PreparedImage, 'pgm' | 'width' | 'height' | 'dpi'>): Uint8Array[] {
  const { width, height, dpi } = image;
  const pixels = fromPgm(image.pgm, width, height);
  const head = Buffer.alloc(174);
  head.write('II*\0', 0, 'latin1');
  head.writeUInt32LE(8, 4);
  const entries: Array<[tag: number, type: 3 | 4 | 5, value: number]> = [
    [256, 4, width],
    [257, 4, height],
    [258, 3, 8], // bits per sample
    [259, 3, 1], // no compression
    [262, 3, 1], // black is zero
    [273, 4, head.length], // the strip's offset
    [277, 3, 1], // samples per pixel
    [278, 4, height], // rows per strip
    [279, 4, pixels.length], // the strip's length
    [282, 5, 158], // x resolution: a rational at 158
    [283, 5, 166], // y resolution: a rational at 166
    [296, 3, 2], // resolution unit: inch
  ];
  head.writeUInt16LE(entries.length, 8);
  entries.forEach(([tag, type, value], i) => {
    const at = 10 + i * 12;
    head.writeUInt16LE(tag, at);
    head.writeUInt16LE(type, at + 2);
    head.writeUInt32LE(1, at + 4);
    if (type === 3) head.writeUInt16LE(value, at + 8);
    else head.writeUInt32LE(value, at + 8);
  });
  head.writeUInt32LE(0, 154); // no next IFD
  for (const at of [158, 166]) {
    head.writeUInt32LE(Math.round(dpi), at);
    head.writeUInt32LE(1, at + 4);
  }
  return [head, pixels];
}

/** A white 16×16 image read after every page: its (empty) page row on stdout says the page before is complete. */
const MARKER = toPgm(new Uint8Array(16 * 16).fill(255), 16, 16);

type PageWaiter = {
  /** The TSV page number of the page and of the marker after it. */
  page: number;
  marker: number;
  resolve: (result: { text: string; tsv: string }) => void;
  reject: (error: Error) => void;
};

/**
 * One tesseract process, one page at a time. A page is written as a file, its name sent on stdin
 * followed by the marker's; its TSV and text are what stdout carries from its page row up to the
 * marker's page row (tesseract writes a page's TSV, then its text, and flushes each).
 */
class TesseractProcess {
  readonly child: ChildProcess;
  /** Pages sent. Each is followed by the marker, so tesseract's TSV numbers page n 2n − 1 and its marker 2n. */
  pages = 0;
  private out = '';
  private stderr = '';
  private waiter: PageWaiter | undefined;
  /** Why the process was stopped, when it was (the page in flight fails with it). */
  private stopped: DocumentError | undefined;
  readonly exited: Promise<void>;
  dead = false;

  constructor(private readonly markerPath: string) {
    this.child = spawn('tesseract', TESSERACT_ARGS, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, OMP_THREAD_LIMIT: '1' } });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.onOutput(chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    // A process that dies before reading all of its input closes the pipe: its exit says why.
    this.child.stdin!.on('error', () => undefined);
    this.exited = new Promise<void>((resolve) => {
      this.child.on('error', (error: NodeJS.ErrnoException) => {
        // Not started at all (no close event follows).
        if (this.child.pid !== undefined) return;
        this.dead = true;
        this.fail(new DocumentError('ocr-failed', `OCR failed: native tesseract could not be started (${error.code ?? error.message})`, { cause: error }));
        resolve();
      });
      this.child.on('close', (code, signal) => {
        this.dead = true;
        if (this.stopped) this.fail(this.stopped);
        else {
          const said = this.stderr
            .split('\n')
            .map((l) => l.trim())
            .filter((l) => l && !/^(Page \d+ : |Estimating resolution|Detected \d+ diacritics|Warning: Invalid resolution)/.test(l))
            .at(-1);
          this.fail(new DocumentError('ocr-failed', `OCR failed: native tesseract ${signal ? `was killed (${signal})` : `exited with code ${code}`}${said ? ` (${said})` : ''}`));
        }
        resolve();
      });
    });
  }

  /** Reads the page in `file`; settles when its output is complete, or the process is stopped or dies. */
  read(file: string): Promise<{ text: string; tsv: string }> {
    return new Promise((resolve, reject) => {
      if (this.dead) return reject(new DocumentError('ocr-failed', 'OCR failed: native tesseract has exited'));
      this.pages++;
      this.waiter = { page: 2 * this.pages - 1, marker: 2 * this.pages, resolve, reject };
      this.child.stdin!.write(`${file}\n${this.markerPath}\n`);
    });
  }

  private onOutput(chunk: string): void {
    this.out += chunk;
    const w = this.waiter;
    if (!w) return;
    const end = this.out.indexOf(`\n1\t${w.marker}\t`);
    if (end === -1) return;
    const start = this.out.indexOf(`\n1\t${w.page}\t`);
    const page = start === -1 || start > end ? '' : this.out.slice(start + 1, end + 1);
    // The output before the marker is settled: only what comes after it is kept.
    this.out = this.out.slice(end);
    this.waiter = undefined;
    // TSV rows all carry tabs, text lines never do; the text follows the rows.
    let text = page.length;
    for (let at = 0; at < page.length; ) {
      const eol = page.indexOf('\n', at);
      const line = page.slice(at, eol === -1 ? page.length : eol);
      if (!line.includes('\t')) {
        text = at;
        break;
      }
      at = eol === -1 ? page.length : eol + 1;
    }
    w.resolve({ tsv: page.slice(0, text), text: page.slice(text) });
  }

  private fail(error: Error): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(error);
  }

  /** Kills the process; the page in flight fails with `why`. */
  stop(why: DocumentError): void {
    this.stopped ??= why;
    this.child.kill('SIGKILL');
  }

  /** Neither dead nor being stopped: it can take a page. */
  get usable(): boolean {
    return !this.dead && !this.stopped;
  }

  /** Ends the process once it has read what it was sent. */
  end(): void {
    this.child.stdin!.end();
  }
}

export class NativeOcrEngine implements OcrEngine {
  readonly size: number;
  private readonly timeoutMs: number;
  /** Where the engine's temporary folder is made (the system's temp folder unless given). */
  private readonly tempDir: string;
  private readonly limit: ReturnType<typeof pLimit>;
  /** The pages being read and the marker image: made at first use, removed at close. */
  private folder: string | undefined;
  private readonly idle: TesseractProcess[] = [];
  private readonly all = new Set<TesseractProcess>();
  private next = 0;
  private closed = false;
  recognized = 0;
  /** Processes started (for tests). */
  started = 0;

  /** Pages a process reads before it is replaced (PAGES_PER_PROCESS unless given). */
  private readonly pagesPerProcess: number;

  constructor(options: OcrEngineOptions & { tempDir?: string; pagesPerProcess?: number }) {
    this.size = Math.max(1, options.size);
    this.pagesPerProcess = options.pagesPerProcess ?? PAGES_PER_PROCESS;
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

  /** Starts the processes (each loads the model: about 0.2 CPU-s) while the first pages are prepared. */
  prestart(pages: number): void {
    if (this.closed || !detectNativeTesseract().ok) return;
    while (this.all.size < Math.min(this.size, pages)) this.idle.push(this.start());
  }

  private start(): TesseractProcess {
    if (!this.folder) {
      this.folder = mkdtempSync(join(this.tempDir, 'beslutsarkiv-ocr-'));
      writeFileSync(join(this.folder, 'marker.pgm'), MARKER);
    }
    const p = new TesseractProcess(join(this.folder, 'marker.pgm'));
    this.started++;
    this.all.add(p);
    void p.exited.then(() => {
      this.all.delete(p);
      const i = this.idle.indexOf(p);
      if (i !== -1) this.idle.splice(i, 1);
    });
    return p;
  }

  recognize(image: PreparedImage, signal?: AbortSignal): Promise<OcrResult> {
    return this.limit(() => this.run(image, signal));
  }

  private async run(image: PreparedImage, signal?: AbortSignal): Promise<OcrResult> {
    if (this.closed) throw new Error('OCR engine is closed');
    signal?.throwIfAborted();
    // Throws NativeOcrMissingError when tesseract has gone from PATH.
    void this.found;
    let p = this.idle.pop();
    while (p && !p.usable) p = this.idle.pop();
    p ??= this.start();
    const file = join(this.folder!, `page-${++this.next}.tif`);
    const timer = setTimeout(
      () => p.stop(new DocumentError('ocr-timeout', `OCR did not finish within ${Math.round(this.timeoutMs / 1000)} s (--ocr-timeout)`)),
      this.timeoutMs,
    );
    const onAbort = () => p.stop(new DocumentError('interrupted', 'interrupted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const handle = await open(file, 'w');
      try {
        await handle.writev(greyTiff(image));
      } finally {
        await handle.close();
      }
      const { text, tsv } = await p.read(file);
      this.recognized++;
      return { text: text.replace(/\f/g, ''), confidence: meanWordConfidence(tsv), blocks: blocksFromTsv(tsv) };
    } catch (error) {
      // A page that failed leaves its process stopped, or dead by itself: it is not used again.
      p.stop(new DocumentError('ocr-failed', 'OCR failed'));
      await p.exited;
      throw error;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      await rm(file, { force: true });
      if (p.usable) {
        if (this.closed || p.pages >= this.pagesPerProcess) p.end();
        else this.idle.push(p);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.all];
    for (const p of all) {
      if (this.idle.includes(p)) p.end();
      else p.stop(new DocumentError('interrupted', 'interrupted'));
    }
    this.idle.length = 0;
    await Promise.all(all.map((p) => p.exited));
    if (this.folder) await rm(this.folder, { recursive: true, force: true });
    this.folder = undefined;
  }
}
