/**
 * A pool of tesseract.js workers. Workers start on first use (a run over text files never loads
 * tesseract.js), at most `size` recognize at once (p-limit), a page that takes longer than the
 * timeout gets its worker killed and replaced, and workers are recycled after a number of pages
 * because the wasm heap only grows.
 */
import pLimit from 'p-limit';
import type { OcrBlock } from '../document-file.js';
import { DocumentError } from '../errors.js';
import { OCR_DPI, type PreparedImage } from './prepare-image.js';
import { locateTrainedData, LANGUAGE, type TrainedData } from './trained-data.js';

type TesseractWorker = import('tesseract.js').Worker;

export interface OcrResult {
  text: string;
  confidence: number;
  blocks: OcrBlock[];
  /** The page had no ink and was not recognised. */
  blank?: boolean;
}

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
/** Everything that decides the OCR text: part of the engine id, so the cache is keyed by it. */
export const OCR_SETTINGS = `oem=lstm psm=${PSM_AUTO} input=grey<=${OCR_DPI}dpi`;

interface PooledWorker {
  worker: TesseractWorker;
  pages: number;
}

export class OcrPool {
  readonly size: number;
  private readonly timeoutMs: number;
  private readonly recycleAfter: number;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly idle: PooledWorker[] = [];
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

  /** Recognises a prepared page image (see prepareForOcr). */
  recognize(image: PreparedImage, signal?: AbortSignal): Promise<OcrResult> {
    return this.limit(() => this.run(image, signal));
  }

  private async acquire(): Promise<PooledWorker> {
    const ready = this.idle.pop();
    if (ready) return ready;
    const { createWorker, OEM } = await import('tesseract.js');
    const { langPath } = this.engine;
    const worker = await createWorker(LANGUAGE, OEM.LSTM_ONLY, { langPath, gzip: true, cacheMethod: 'none' }, {
      // tesseract prints diagnostics ("Estimating resolution as …") to stdout unless told otherwise.
      debug_file: '/dev/null',
    } as Record<string, string>);
    await worker.setParameters({ tessedit_pageseg_mode: PSM_AUTO as never, preserve_interword_spaces: '1', debug_file: '/dev/null' });
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
      const job = pooled.worker.recognize(image.pgm, {}, { text: true, blocks: true });
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
        blocks: (data.blocks ?? []).map((b) => ({
          bbox: [b.bbox.x0, b.bbox.y0, b.bbox.x1, b.bbox.y1],
          text: b.text,
          confidence: Math.round(b.confidence * 10) / 10,
        })),
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
    await Promise.all([...this.all].map((w) => this.discard(w)));
  }
}
