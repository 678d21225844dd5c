/**
 * The OCR stage: every page the ingest stage could not read as text is OCRed (or taken from the
 * cache, keyed by the file's sha256, the page and the engine settings, so that an unchanged file is
 * never OCRed twice). Each page image is prepared first (decoded once, grey, at the resolution OCR
 * needs); a blank page stops there. Pages of one document go through the pool together; preparing
 * the next page overlaps with recognizing this one.
 *
 * A page that cannot be decoded, rendered or OCRed costs that page only: it is stored empty, with a
 * `page-failed` error message naming the file and the page, and the other pages are kept. Only a
 * document of which no page could be read fails as a whole.
 */
import pLimit from 'p-limit';
import { addMessage, type DocumentFile, type Page } from '../document-file.js';
import { DocumentError, TrainedDataMissingError, type DocumentErrorCode } from '../errors.js';
import type { OcrImage } from '../ingest/image.js';
import type { Source } from '../ingest/read-source.js';
import type { OcrCache } from '../store/archive.js';
import { CHECK_ORIENTATION_BELOW, fromPgm, judgeOrientation, toPgm, turnGrey, TURN_NAMES, type QuarterTurns } from './orientation.js';
import { preloadDecoder, prepareForOcr, type PreparedImage } from './prepare-image.js';
import type { OcrEngine, OcrResult } from './engine.js';

export interface OcrStageOptions {
  /** The OCR engine (tesseract.js workers or native tesseract). */
  pool: OcrEngine;
  cache?: OcrCache;
  signal?: AbortSignal;
}

/** Below this mean confidence a page is flagged for an archivist to look at. */
const LOW_CONFIDENCE = 60;

/** Rule of the message recording a page that could not be read (counted as a page failure of the run). */
export const PAGE_FAILED = 'page-failed';

/**
 * A failure of one page (its image cannot be decoded, rendered or OCRed), as opposed to one that
 * stops the run: an interruption, or OCR that cannot start at all.
 */
function isPageFailure(error: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted || error instanceof TrainedDataMissingError) return false;
  return !(error instanceof DocumentError && error.code === 'interrupted');
}

/** The code and our sentence for a page's failure; errors that are not ours are bugs, said so. */
function describe(error: unknown): { code: DocumentErrorCode; detail: string } {
  if (error instanceof DocumentError) return { code: error.code, detail: error.message };
  const e = error as Error;
  return { code: 'ocr-failed', detail: `the page could not be processed (${e?.name ?? 'Error'}: ${e?.message ?? String(error)})` };
}

/**
 * Page images are prepared one at a time, in the order their pages ask. Preparing is work of the
 * main thread (decoding, scaling, the skew and blank checks); several pages prepared at once only
 * interleave, so at the start of a run the first page reached OCR after all six or seven in flight
 * were ready (about 1.5 s later on 2 cores). One at a time, each page goes to OCR as soon as it is.
 * A page whose file is stopped (its deadline, an interrupt) gives up its turn at once, so a decode
 * that never finishes holds up no other file.
 */
const preparing = pLimit(1);
function prepare(image: OcrImage, signal?: AbortSignal): Promise<PreparedImage> {
  return preparing(async () => {
    signal?.throwIfAborted();
    if (!signal) return prepareForOcr(image);
    let onAbort = () => {};
    const stopped = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([prepareForOcr(image), stopped]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  });
}

export function ocrCacheKey(sha256: string, page: number, engineId: string): string {
  return `${sha256}:${page}:${engineId}`;
}

export async function ocrPages(source: Source, options: OcrStageOptions): Promise<DocumentFile> {
  const { file } = source;
  const needOcr = source.pages.filter((p) => p.text === null);
  const results = new Map<number, { result: OcrResult; cached: boolean; engine: string }>();
  const failed = new Map<number, { code: DocumentErrorCode; reason: string }>();
  if (needOcr.length > 0) {
    const { pool, cache, signal } = options;
    const engine = pool.engineId;
    const misses = needOcr
      .map((page) => ({ page, key: ocrCacheKey(file.sha256, page.number, engine) }))
      .filter(({ page, key }) => {
        const hit = cache?.get(key);
        if (hit) results.set(page.number, { result: hit, cached: true, engine });
        return !hit;
      });
    // Workers load while the first images are read and prepared.
    pool.prestart(misses.length);
    if (misses.length) preloadDecoder();
    // One page more than the pool in flight, so the next image is ready when a worker frees up.
    const limit = pLimit(pool.size + 1);
    await Promise.all(
      misses.map(({ page, key }) =>
        limit(async () => {
          signal?.throwIfAborted();
          try {
            await ocrPage(page.number, page.loadImage!, key);
          } catch (error) {
            if (!isPageFailure(error, signal)) throw error;
            const { code, detail } = describe(error);
            failed.set(page.number, { code, reason: `${file.name} page ${page.number}: ${detail}` });
          }
        }),
      ),
    );
    const ocred = needOcr.length - failed.size;
    if (failed.size > 0 && ocred === 0 && source.pages.every((p) => p.text === null)) {
      // Nothing of the document could be read: the document fails, for the first page's reason.
      const [first] = [...failed.values()];
      const more = failed.size > 1 ? ` (and ${failed.size - 1} more page${failed.size > 2 ? 's' : ''})` : '';
      throw new DocumentError(first!.code, `${first!.reason}${more}`);
    }
    for (const [page, { code, reason }] of failed) {
      addMessage(file, { stage: 'ocr', rule: PAGE_FAILED, severity: 'error', page, actual: code, reason: `${reason}: the page is stored without text, the other pages are kept` });
    }

    async function ocrPage(number: number, loadImage: () => Promise<OcrImage>, key: string): Promise<void> {
      let image = await loadImage();
      if (image.note) addMessage(file, { stage: 'ocr', page: number, rule: image.note.rule, severity: image.note.severity, reason: `page ${number}: ${image.note.reason}` });
      const started = performance.now();
      let prepared: PreparedImage;
      try {
        prepared = await prepare(image, signal);
      } catch (error) {
        if (!(image.fallback && error instanceof DocumentError && error.code === 'corrupt-image')) throw error;
        // Skia refused the bytes: the other decoder is asked before the page is given up.
        const first = error.message;
        try {
          image = await image.fallback();
          prepared = await prepare(image, signal);
        } catch (second) {
          throw new DocumentError('corrupt-image', `${first}, and pdf.js cannot decode it either (${(second as Error)?.message ?? String(second)})`, { cause: second });
        }
        // pdf.js fills what it cannot decode with nothing: a page without ink here is a lost page, not a blank one.
        if (prepared.blank) throw new DocumentError('corrupt-image', `${first}, and pdf.js decodes it to an empty page`);
        addMessage(file, { stage: 'ocr', rule: 'ocr-decoder', severity: 'warning', page: number, reason: `page ${number}: ${first}; decoded by pdf.js instead` });
      }
      const what = `${image.origin} image ${image.width}×${image.height} at ${image.dpi} dpi${image.nominalDpi ? ' (by its page size)' : ''}`;
      if (prepared.blank) {
        const result: OcrResult = { text: '', confidence: 0, blocks: [], blank: true };
        cache?.put(key, engine, result);
        results.set(number, { result, cached: false, engine });
        addMessage(file, { stage: 'ocr', rule: 'ocr-blank', severity: 'info', page: number, reason: `page ${number} is blank (no ink in the ${what}): not OCRed` });
        return;
      }
      /** Reads a band of the page in each candidate turn (see judgeOrientation); the page turned as judged. */
      const judge = async (page: PreparedImage, candidates: QuarterTurns[]) => {
        const checkStarted = performance.now();
        const grey = fromPgm(page.pgm, page.width, page.height);
        const verdict = await judgeOrientation({ grey, width: page.width, height: page.height, dpi: page.dpi }, candidates, async (band) => {
          const read = await pool.recognize({ ...page, pgm: toPgm(band.grey, band.width, band.height), width: band.width, height: band.height, blank: false }, signal);
          return read.confidence;
        });
        const tried = candidates.map((t) => `${t * 90}° ${Math.round(verdict.confidences[t]!)}`).join(', ');
        const turned = turnGrey(grey, page.width, page.height, verdict.turns);
        const image = verdict.turns === 0 ? page : { ...page, pgm: toPgm(turned.grey, turned.width, turned.height), width: turned.width, height: turned.height };
        return { turns: verdict.turns, tried, image, ms: Math.round(performance.now() - checkStarted) };
      };
      // The net turn from the image as stored: a page found lying on its side was turned once already.
      const netTurn = (turns: QuarterTurns) => (((prepared.sideways ? 1 : 0) + turns) % 4) as QuarterTurns;
      let checked = '';
      let judged = false;
      if (prepared.sideways) {
        // Lines running down the page: which way round it lies is even odds, so it is judged before
        // the first reading rather than after a poor one (the turn back is a candidate too, for a
        // page that only looked sideways).
        const { turns, tried, image: upright, ms } = await judge(prepared, [0, 2, 3]);
        const net = netTurn(turns);
        prepared = upright;
        judged = true;
        if (net !== 0) {
          addMessage(file, { stage: 'ocr', rule: 'ocr-orientation', severity: 'info', page: number, actual: TURN_NAMES[net], reason: `page ${number} lay on its side (its text lines ran down the page): ${TURN_NAMES[net]} before OCR (a band of it read at ${tried}; ${ms} ms)` });
        } else {
          checked = `; its lines seemed to run down the page, but it reads best as scanned (a band of it read at ${tried}; ${ms} ms)`;
        }
      }
      let result = await pool.recognize(prepared, signal);
      if (!judged && result.confidence < CHECK_ORIENTATION_BELOW && result.text.trim() !== '') {
        // A poor first reading may be a page the wrong way up: a band of it is read in the other turns.
        const candidates: QuarterTurns[] = prepared.linesAcross ? [0, 2] : [0, 1, 2, 3];
        const { turns, tried, image: turnedImage, ms } = await judge(prepared, candidates);
        const turnedResult = turns !== 0 ? await pool.recognize(turnedImage, signal) : undefined;
        if (turnedResult && turnedResult.confidence > result.confidence) {
          addMessage(file, {
            stage: 'ocr',
            rule: 'ocr-orientation',
            severity: 'info',
            page: number,
            actual: TURN_NAMES[turns],
            reason: `page ${number} was the wrong way up: ${TURN_NAMES[turns]} before OCR (confidence ${Math.round(result.confidence)} as first read, ${Math.round(turnedResult.confidence)} turned; a band of it read at ${tried}; ${ms} ms before the second reading)`,
          });
          result = turnedResult;
        } else {
          checked = `; orientation checked, kept (a band of it read at ${tried}; ${ms} ms)`;
        }
      }
      if (prepared.deskewed !== undefined) {
        const skew = prepared.deskewed;
        addMessage(file, {
          stage: 'ocr',
          rule: 'ocr-deskew',
          severity: 'info',
          page: number,
          actual: `${skew.toFixed(1)}°`,
          reason: `page ${number} was skewed by ${Math.abs(skew).toFixed(1)}° (its lines ${skew > 0 ? 'fell' : 'rose'} to the right): turned back ${skew > 0 ? 'counter-clockwise' : 'clockwise'} before OCR`,
        });
      }
      cache?.put(key, engine, result);
      results.set(number, { result, cached: false, engine });
      addMessage(file, {
        stage: 'ocr',
        rule: 'ocr-page',
        severity: 'info',
        page: number,
        confidence: result.confidence,
        reason: `page ${number} OCRed from ${what} (${prepared.steps.join(', ')}) in ${Math.round(performance.now() - started)} ms, confidence ${Math.round(result.confidence)}${checked}`,
      });
    }
  }
  file.pages = source.pages.map((p): Page => {
    if (p.text !== null) return { number: p.number, text: p.text, source: p.source, confidence: null };
    // A failed page keeps its place, empty; it carries the engine so that it is not taken for stale.
    if (failed.has(p.number)) return { number: p.number, text: '', source: 'ocr', confidence: null, ocrEngine: options.pool.engineId, blocks: [] };
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
