/**
 * Limits that keep hostile or broken files from exhausting memory or time.
 * Each can be changed from the CLI; the README lists them.
 */
export interface Limits {
  /** Files larger than this are refused before they are read. */
  maxFileBytes: number;
  /** PDFs with more pages are refused before any page is processed. */
  maxPages: number;
  /** Images (files, embedded scans, renders) whose width × height exceeds this are refused before decoding. */
  maxPixels: number;
  /** One page's OCR is abandoned (and its worker killed) after this long. */
  ocrTimeoutMs: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxFileBytes: 512 * 1024 * 1024,
  maxPages: 2000,
  // A4 at 600 dpi is about 35 megapixels; 120 leaves room for A3 and large-format scans.
  maxPixels: 120_000_000,
  ocrTimeoutMs: 180_000,
};

/** Resolution at which PDF pages without a text layer are rendered for OCR. */
export const RENDER_DPI = 300;

/** A page whose text layer has fewer non-space characters than this has no usable text layer. */
export const MIN_TEXT_LAYER_CHARS = 16;
