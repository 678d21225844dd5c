/**
 * The OCR engines behind one interface: tesseract.js in WebAssembly (worker-pool.ts, the default
 * everywhere: nothing to install) and the system's native tesseract (native.ts, where it is
 * installed: it recognises a prepared page in about 0.6 of the time; end to end, on 2 cores, 0.290
 * against 0.245 pages/s per core, docs/scale.md). The OCR stage, the orientation check and the
 * pipeline use either one through OcrEngine.
 *
 * `auto` picks native tesseract when a tesseract 5 or later with Swedish (swe) is on PATH, and
 * tesseract.js otherwise; `native` insists on it (NativeOcrMissingError, with the install command).
 */
import type { OcrBlock } from '../document-file.js';
import { detectNativeTesseract, NativeOcrMissingError, NativeOcrEngine, nativeMissingMessage } from './native.js';
import type { PreparedImage } from './prepare-image.js';
import { OcrPool } from './worker-pool.js';

export interface OcrResult {
  text: string;
  confidence: number;
  blocks: OcrBlock[];
  /** The page had no ink and was not recognised. */
  blank?: boolean;
}

export interface OcrEngine {
  /** Pages recognized at once. */
  readonly size: number;
  /**
   * Engine, its version, model and settings: part of every OCR cache key and stored with every
   * OCRed page (a page OCRed by another engine is stale). Throws when the engine cannot run
   * (TrainedDataMissingError).
   */
  readonly engineId: string;
  /** Short name and version for people (status, the run record): `tesseract-native 5.3.0 swe`. Never throws. */
  readonly label: string;
  /** Recognises a prepared page image (see prepareForOcr); the signal abandons it. */
  recognize(image: PreparedImage, signal?: AbortSignal): Promise<OcrResult>;
  /** Starts what is slow to start (workers, models) ahead of `pages` pages; may do nothing. */
  prestart(pages: number): void;
  /** Stops everything still running; recognize refuses afterwards. */
  close(): Promise<void>;
  /** Pages recognized, for reports and tests. */
  readonly recognized: number;
}

export const OCR_ENGINES = ['auto', 'wasm', 'native'] as const;
export type OcrEngineChoice = (typeof OCR_ENGINES)[number];

export interface OcrEngineOptions {
  /** Pages recognized at once (workers or processes). */
  size: number;
  /** A page's recognition is abandoned after this many milliseconds. */
  timeoutMs: number;
}

/** The engine `choice` stands for on this machine: `auto` is native when it is installed. */
export function resolveOcrEngine(choice: OcrEngineChoice = 'auto'): 'wasm' | 'native' {
  if (choice === 'wasm') return 'wasm';
  const found = detectNativeTesseract();
  if (found.ok) return 'native';
  if (choice === 'native') throw new NativeOcrMissingError(nativeMissingMessage(found.reason));
  return 'wasm';
}

/** A new engine of the kind `choice` stands for (see resolveOcrEngine). */
export function createOcrEngine(choice: OcrEngineChoice, options: OcrEngineOptions): OcrEngine {
  return resolveOcrEngine(choice) === 'native' ? new NativeOcrEngine(options) : new OcrPool(options);
}
