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
  /**
   * A file with no outcome after this long (plus, for each page it OCRs, a third of ocrTimeoutMs)
   * ends failed with code `timeout`, whatever stage it is in.
   */
  fileTimeoutMs: number;
  /**
   * Resident memory of the sandboxed readers together (the child processes that parse and render
   * PDFs and decode images), checked from outside: when they go over it, the reader using the most
   * is killed and its file fails with code `resource-limit`. Each reader's V8 heap, and the
   * text-stage worker's, is capped at half of it.
   */
  readerMemoryBytes: number;
  /** A PDF stream (other than an image) that inflates to more than this is refused before pdf.js reads it. */
  maxStreamBytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxFileBytes: 512 * 1024 * 1024,
  // A 300-page report is about 1 MB of text; 20 MiB is far beyond any real one.
  maxTextBytes: 20 * 1024 * 1024,
  maxPages: 2000,
  // A4 at 600 dpi is about 35 megapixels; 120 leaves room for A3 and large-format scans.
  maxPixels: 120_000_000,
  ocrTimeoutMs: 180_000,
  fileTimeoutMs: 300_000,
  // With the main process (OCR workers, the text-stage worker, SQLite: under 1 GB), a batch's peak
  // RSS stays under 2 GB whatever the inputs; one reader alone may use most of it (a large-format
  // page rendered at the pixel limit needs about 700 MiB).
  readerMemoryBytes: 1024 * 2 ** 20,
  maxStreamBytes: 64 * 2 ** 20,
};

/** Time a file is given, on top of fileTimeoutMs, for each page it OCRs: 60 s by default. */
export function ocrPageAllowanceMs(limits: Pick<Limits, 'ocrTimeoutMs'>): number {
  return Math.round(limits.ocrTimeoutMs / 3);
}

/** Resolution at which PDF pages without a text layer are rendered for OCR. */
export const RENDER_DPI = 300;

/**
 * A text layer with fewer non-space characters than this is kept as the page's text ("Bilaga 1", a
 * page number) unless the page also shows a large image: then it is a stamp or page number over a
 * scan, and the page is OCRed as shown. Longer layers are judged by their words (ingest/text-layer.ts).
 */
export const MIN_TEXT_LAYER_CHARS = 16;

/** A size in bytes: a whole number, optionally with k, M or G (KiB, MiB, GiB): `20M`, `500k`, `1048576`. */
export function parseByteSize(value: string): number | null {
  const m = /^\s*(\d+)\s*([kmg])?(?:i?b)?\s*$/i.exec(value);
  if (!m) return null;
  const n = Number(m[1]) * 1024 ** ' kmg'.indexOf((m[2] ?? ' ').toLowerCase());
  return n >= 1 ? n : null;
}
