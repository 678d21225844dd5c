/**
 * A pool of tesseract.js workers. Workers start on first use (a run over text files never loads
 * tesseract.js), at most `size` recognize at once (p-limit), a page that takes longer than the
 * timeout gets its worker killed and replaced, and workers are recycled after a number of pages
 * because the wasm heap only grows.
 */
import pLimit from 'p-limit';
import type { OcrBlock } from '../document-file.js';
import { DocumentError } from '../errors.js';
import type { OcrEngine, OcrResult } from './engine.js';
import { CHECK_ORIENTATION_BELOW, DESKEW_FROM } from './orientation.js';
import { OCR_DPI, type PreparedImage } from './prepare-image.js';
import { locateTrainedData, LANGUAGE, packageVersion, type TrainedData } from './trained-data.js';

type TesseractWorker = import('tesseract.js').Worker;

export type { OcrResult } from './engine.js';

export interface OcrPoolOptions {
  /** Workers (and pages recognized at once). Default: number of cores. */
  size: number;
  /** A page's recognition is abandoned after this many milliseconds. */
  timeoutMs: number;
  /** Replace a worker after this many pages. */
  recycleAfter?: number;
}

/** Page segmentation mode 3 (automatic layout): side columns and signature columns become separate blocks. */
const PSM_AUTO = '3';
/**
 * Tesseract recognises a poorly read line a second time, inverted, in case it is light text on
 * dark ground. Decision documents have none; the second pass only costs time on noisy lines.
 */
const INVERT = '0';
/** Everything that decides the OCR text: part of the engine id, so the cache is keyed by it. */
export const OCR_SETTINGS = `oem=lstm psm=${PSM_AUTO} invert=${INVERT} input=grey<=${OCR_DPI}dpi deskew>=${DESKEW_FROM}° orient<${CHECK_ORIENTATION_BELOW}`;

/**
 * Blocks (bounding box, text, mean word confidence) from tesseract's TSV output, which tesseract
 * writes itself; asking tesseract.js for its block tree instead walks every symbol in JavaScript
 * (about 4 % of a page's time).
 */
export function blocksFromTsv(tsv: string): OcrBlock[] {
  const blocks = new Map<number, { bbox: [number, number, number, number]; lines: Map<string, string[]>; confs: number[] }>();
  for (const row of tsv.split('\n')) {
    const f = row.split('\t');
    if (f.length < 12) continue;
    const [level, , block, par, line, , left, top, width, height, conf] = f.map(Number) as number[];
    const b = Number(block);
    if (level === 2) blocks.set(b, { bbox: [left!, top!, left! + width!, top! + height!], lines: new Map(), confs: [] });
    if (level !== 5) continue;
    const entry = blocks.get(b);
    const text = f.slice(11).join('\t').trim();
    if (!entry || text === '') continue;
    const key = `${par}:${line}`;
    const words = entry.lines.get(key);
    if (words) words.push(text);
    else entry.lines.set(key, [text]);
    if (conf! >= 0) entry.confs.push(conf!);
  }
  return [...blocks.values()]
    .filter((b) => b.lines.size > 0)
    .map((b) => ({
      bbox: b.bbox,
      text: [...b.lines.values()].map((words) => words.join(' ')).join('\n'),
      confidence: b.confs.length ? Math.round((b.confs.reduce((x, y) => x + y, 0) / b.confs.length) * 10) / 10 : 0,
    }));
}

interface PooledWorker {
  worker: TesseractWorker;
  pages: number;
}

/** tesseract.js (WebAssembly) workers: the engine that needs nothing installed (`--ocr-engine wasm`). */
export class OcrPool implements OcrEngine {
  readonly size: number;
  private readonly timeoutMs: number;
  private readonly recycleAfter: number;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly idle: PooledWorker[] = [];
  /** Workers being started ahead of need (see prestart). */
  private readonly starting: Array<Promise<PooledWorker>> = [];
  private readonly all = new Set<PooledWorker>();
  private data: TrainedData | undefined;
  private closed = false;
  /** Pages recognized, for reports and tests. */
  recognized = 0;

  constructor(options: OcrPoolOptions) {
    this.size = Math.max(1, options.size);
    this.timeoutMs = options.timeoutMs;
    this.recycleAfter = options.recycleAfter ?? 300;
    this.limit = pLimit(this.size);
  }

  /** Engine, model and settings, checked to exist on disk. Throws TrainedDataMissingError. */
  get engine(): TrainedData {
    this.data ??= locateTrainedData(OCR_SETTINGS);
    return this.data;
  }

  get engineId(): string {
    return this.engine.engineId;
  }

  get label(): string {
    return `tesseract.js ${packageVersion('tesseract.js')} ${LANGUAGE} (WebAssembly)`;
  }

  /** Recognises a prepared page image (see prepareForOcr). */
  recognize(image: PreparedImage, signal?: AbortSignal): Promise<OcrResult> {
    return this.limit(() => this.run(image, signal));
  }

  /**
   * Starts up to `pages` workers (at most the pool size) in the background, so that loading
   * tesseract and the model overlaps with reading and preparing the first pages.
   */
  prestart(pages: number): void {
    if (this.closed) return;
    const wanted = Math.min(pages, this.size) - this.all.size - this.starting.length;
    for (let i = 0; i < wanted; i++) {
      const started = this.start();
      started.catch(() => undefined);
      this.starting.push(started);
    }
  }

  private async acquire(): Promise<PooledWorker> {
    const ready = this.idle.pop();
    if (ready) return ready;
    const starting = this.starting.shift();
    if (starting) return starting;
    return this.start();
  }

  private async start(): Promise<PooledWorker> {
    const { createWorker, OEM } = await import('tesseract.js');
    const { langPath } = this.engine;
    const worker = await createWorker(LANGUAGE, OEM.LSTM_ONLY, { langPath, gzip: true, cacheMethod: 'none' }, {
      // tesseract prints diagnostics ("Estimating resolution as …") to stdout unless told otherwise.
      debug_file: '/dev/null',
    } as Record<string, string>);
    await worker.setParameters({
      tessedit_pageseg_mode: PSM_AUTO as never,
      preserve_interword_spaces: '1',
      tessedit_do_invert: INVERT,
      debug_file: '/dev/null',
    } as Record<string, string>);
    const pooled = { worker, pages: 0 };
    this.all.add(pooled);
    return pooled;
  }

  private async discard(pooled: PooledWorker): Promise<void> {
    this.all.delete(pooled);
    await pooled.worker.terminate().catch(() => undefined);
  }

  private async run(image: PreparedImage, signal?: AbortSignal): Promise<OcrResult> {
    if (this.closed) throw new Error('OCR pool is closed');
    signal?.throwIfAborted();
    const pooled = await this.acquire();
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      await pooled.worker.setParameters({ user_defined_dpi: String(image.dpi) });
      const job = pooled.worker.recognize(image.pgm, {}, { text: true, tsv: true });
      const stop = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new DocumentError('ocr-timeout', `OCR did not finish within ${Math.round(this.timeoutMs / 1000)} s (--ocr-timeout)`)),
          this.timeoutMs,
        );
        onAbort = () => reject(new DocumentError('interrupted', 'interrupted'));
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      const { data } = await Promise.race([job, stop]);
      pooled.pages++;
      this.recognized++;
      if (pooled.pages >= this.recycleAfter) await this.discard(pooled);
      else this.idle.push(pooled);
      return {
        text: data.text,
        confidence: data.confidence,
        blocks: blocksFromTsv(data.tsv ?? ''),
      };
    } catch (error) {
      // A worker that timed out, was interrupted or failed is in an unknown state: replace it.
      await this.discard(pooled);
      if (error instanceof DocumentError) throw error;
      throw new DocumentError('ocr-failed', `OCR failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.idle.length = 0;
    // Workers still starting are waited for, so that they are terminated too.
    await Promise.all(this.starting.splice(0).map((p) => p.catch(() => undefined)));
    await Promise.all([...this.all].map((w) => this.discard(w)));
  }
}
