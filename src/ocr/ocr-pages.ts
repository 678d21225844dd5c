/**
 * The OCR stage: every page the ingest stage could not read as text is OCRed (or taken from the
 * cache, keyed by the file's sha256, the page and the engine settings, so that an unchanged file is
 * never OCRed twice). Each page image is prepared first (decoded once, grey, at the resolution OCR
 * needs); a blank page stops there. Pages of one document go through the pool together; preparing
 * the next page overlaps with recognizing this one.
 */
import pLimit from 'p-limit';
import { addMessage, type DocumentFile, type Page } from '../document-file.js';
import type { Source } from '../ingest/read-source.js';
import type { OcrCache } from '../store/archive.js';
import { prepareForOcr } from './prepare-image.js';
import type { OcrPool, OcrResult } from './worker-pool.js';

export interface OcrStageOptions {
  pool: OcrPool;
  cache?: OcrCache;
  signal?: AbortSignal;
}

/** Below this mean confidence a page is flagged for an archivist to look at. */
const LOW_CONFIDENCE = 60;

export function ocrCacheKey(sha256: string, page: number, engineId: string): string {
  return `${sha256}:${page}:${engineId}`;
}

export async function ocrPages(source: Source, options: OcrStageOptions): Promise<DocumentFile> {
  const { file } = source;
  const needOcr = source.pages.filter((p) => p.text === null);
  const results = new Map<number, { result: OcrResult; cached: boolean; engine: string }>();
  if (needOcr.length > 0) {
    const { pool, cache, signal } = options;
    const engine = pool.engine.engineId;
    const misses = needOcr
      .map((page) => ({ page, key: ocrCacheKey(file.sha256, page.number, engine) }))
      .filter(({ page, key }) => {
        const hit = cache?.get(key);
        if (hit) results.set(page.number, { result: hit, cached: true, engine });
        return !hit;
      });
    // Workers load while the first images are read and prepared.
    pool.prestart(misses.length);
    // One page more than the pool in flight, so the next image is ready when a worker frees up.
    const limit = pLimit(pool.size + 1);
    await Promise.all(
      misses.map(({ page, key }) =>
        limit(async () => {
          signal?.throwIfAborted();
          const image = await page.loadImage!();
          const started = performance.now();
          const prepared = await prepareForOcr(image);
          const what = `${image.origin} image ${image.width}×${image.height} at ${image.dpi} dpi`;
          if (prepared.blank) {
            const result: OcrResult = { text: '', confidence: 0, blocks: [], blank: true };
            cache?.put(key, engine, result);
            results.set(page.number, { result, cached: false, engine });
            addMessage(file, { stage: 'ocr', rule: 'ocr-blank', severity: 'info', page: page.number, reason: `page ${page.number} is blank (no ink in the ${what}): not OCRed` });
            return;
          }
          const result = await pool.recognize(prepared, signal);
          cache?.put(key, engine, result);
          results.set(page.number, { result, cached: false, engine });
          addMessage(file, {
            stage: 'ocr',
            rule: 'ocr-page',
            severity: 'info',
            page: page.number,
            confidence: result.confidence,
            reason: `page ${page.number} OCRed from ${what} (${prepared.steps.join(', ')}) in ${Math.round(performance.now() - started)} ms, confidence ${Math.round(result.confidence)}`,
          });
        }),
      ),
    );
  }
  file.pages = source.pages.map((p): Page => {
    if (p.text !== null) return { number: p.number, text: p.text, source: p.source, confidence: null };
    const { result, cached, engine } = results.get(p.number)!;
    if (cached) {
      addMessage(file, { stage: 'ocr', rule: 'ocr-cache', severity: 'info', page: p.number, reason: `page ${p.number} OCR text taken from the cache` });
    }
    if (result.blank) {
      return { number: p.number, text: '', source: 'ocr', confidence: null, ocrEngine: engine, blocks: [] };
    }
    if (result.text.trim() === '') {
      addMessage(file, { stage: 'ocr', rule: 'ocr-empty', severity: 'warning', page: p.number, reason: `page ${p.number}: OCR found no text (blank page, or an image beyond the limits)` });
    } else if (result.confidence < LOW_CONFIDENCE) {
      addMessage(file, { stage: 'ocr', rule: 'ocr-low-confidence', severity: 'warning', page: p.number, confidence: result.confidence, reason: `page ${p.number}: low OCR confidence (${Math.round(result.confidence)})` });
    }
    return { number: p.number, text: result.text, source: 'ocr', confidence: result.confidence, ocrEngine: engine, blocks: result.blocks };
  });
  return file;
}
