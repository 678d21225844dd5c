/**
 * The object that travels through the pipeline (in the spirit of vfile): the source file's
 * identity, its pages, and the messages every stage records about what it read, decided or changed.
 * Problems that stop a document are thrown as {@link DocumentError}; everything else is a message.
 */
import type { Evidence, Extracted } from '../schemas/record.js';

export interface Extraction {
  record: Extracted;
  /** Keyed by the value's path in the record: `board`, `units[0]`, `dates[2]`, … */
  evidence: Record<string, Evidence>;
}

export type Format = 'txt' | 'md' | 'pdf' | 'png' | 'jpeg' | 'tiff';

/** Where a page's text came from. */
export type PageSource = 'text' | 'text-layer' | 'ocr';

export type Stage = 'ingest' | 'ocr' | 'normalize' | 'layout' | 'extract' | 'store' | 'review';

export interface Message {
  stage: Stage;
  /** Stable rule id, e.g. `ocr-page`, `extension-mismatch`, `encoding`. */
  rule: string;
  severity: 'info' | 'warning' | 'error';
  /** One human sentence. */
  reason: string;
  /** 1-based page number, when the message is about one page. */
  page?: number;
  /** Character offsets into that page's text. */
  start?: number;
  end?: number;
  /** What was there, and what it became or should be. */
  actual?: string;
  expected?: string[];
  confidence?: number;
}

export interface OcrBlock {
  /** Bounding box in pixels of the OCRed image: x0, y0, x1, y1. */
  bbox: [number, number, number, number];
  text: string;
  confidence: number;
}

export interface Page {
  /** 1-based. */
  number: number;
  /** The text as read (text layer, file or OCR). */
  text: string;
  /** The text after the normalize stage (repaired spelling, joined hyphenation). */
  repaired?: string;
  source: PageSource;
  /** OCR mean confidence 0–100; null for text that was not OCRed. */
  confidence: number | null;
  /** Engine, model and settings that produced OCR text. */
  ocrEngine?: string;
  /** OCR blocks in reading order (letterhead side columns come out as their own blocks). */
  blocks?: OcrBlock[];
}

export interface DocumentFile {
  path: string;
  /** File name without folders: the `source.file` of the export. */
  name: string;
  size: number;
  mtimeMs: number;
  sha256: string;
  format: Format;
  mediaType: string;
  pages: Page[];
  /** The text as stored in the file when it differs from the page text (e.g. Markdown source). */
  raw?: string;
  /** The blocks the layout stage rebuilt from the repaired text (not stored: rebuilt from it). */
  layout?: import('./layout/blocks.js').Layout & { text: string };
  /** The record the extract stage found, with the evidence of each value. */
  extraction?: Extraction;
  messages: Message[];
}

export function addMessage(file: { messages: Message[] }, message: Message): Message {
  file.messages.push(message);
  return message;
}

/** The whole text of a document (repaired where repaired), pages separated by form feeds (as pdftotext does). */
export function fullText(file: Pick<DocumentFile, 'pages'>, which: 'repaired' | 'raw' = 'repaired'): string {
  return file.pages.map((p) => (which === 'repaired' ? (p.repaired ?? p.text) : p.text)).join('\f');
}

export function isOcred(file: Pick<DocumentFile, 'pages'>): boolean {
  return file.pages.some((p) => p.source === 'ocr');
}
