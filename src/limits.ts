/**
 * Limits that keep hostile or broken files from exhausting memory or time.
 * Each can be changed from the CLI; the README lists them.
 */
export interface Limits {
  /** Files larger than this are refused before they are read. */
  maxFileBytes: number;
  /**
   * Text files (plain text, Markdown) larger than this are skipped: a text file is one page whose
   * repair and extraction take time and memory in proportion to it (about 1 s and 30 MB a MB).
   */
  maxTextBytes: number;
  /** PDFs with more pages are refused before any page is processed. */
  maxPages: number;
  /** Images (files, embedded scans, renders) whose width × height exceeds this are refused before decoding. */
  maxPixels: number;
  /** One page's OCR is abandoned (and its worker killed) after this long. */
  ocrTimeoutMs: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxFileBytes: 512 * 1024 * 1024,
  // A 300-page report is about 1 MB of text; 20 MiB is far beyond any real one.
  maxTextBytes: 20 * 1024 * 1024,
  maxPages: 2000,
  // A4 at 600 dpi is about 35 megapixels; 120 leaves room for A3 and large-format scans.
  maxPixels: 120_000_000,
  ocrTimeoutMs: 180_000,
};

/** Resolution at which PDF pages without a text layer are rendered for OCR. */
export const RENDER_DPI = 300;

/** A page whose text layer has fewer non-space characters than this has no usable text layer. */
export const MIN_TEXT_LAYER_CHARS = 16;

/** A size in bytes: a whole number, optionally with k, M or G (KiB, MiB, GiB): `20M`, `500k`, `1048576`. */
export function parseByteSize(value: string): number | null {
  const m = /^\s*(\d+)\s*([kmg])?(?:i?b)?\s*$/i.exec(value);
  if (!m) return null;
  const n = Number(m[1]) * 1024 ** ' kmg'.indexOf((m[2] ?? ' ').toLowerCase());
  return n >= 1 ? n : null;
}
