/**
 * The ingest stage: bytes in, a Source out — the DocumentFile plus, for each page, either its
 * text (text files, Markdown, PDF text layers) or a way to load the image the OCR stage will read.
 */
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { addMessage, type DocumentFile, type PageSource } from '../document-file.js';
import { DocumentError } from '../errors.js';
import type { Limits } from '../limits.js';
import { canonicalText, decodeText, TextTooLargeError } from './decode-text.js';
import { readRasterImage, tiffPages, type OcrImage } from './image.js';
import { markdownToText } from './markdown.js';
import { openPdf } from './pdf.js';
import { DOCUMENT_EXTENSIONS, extensionMismatch, sniffBytes } from './sniff.js';

export interface SourcePage {
  number: number;
  /** The page's text, or null when it must be OCRed. */
  text: string | null;
  source: PageSource;
  loadImage?: () => Promise<OcrImage>;
}

export interface Source {
  file: DocumentFile;
  pages: SourcePage[];
  /** Releases the parser (pdf.js) once OCR is done. */
  close(): Promise<void>;
}

export interface FileBytes {
  path: string;
  name: string;
  size: number;
  mtimeMs: number;
  sha256: string;
  bytes: Buffer;
}

const TEXTUAL_EXTENSIONS = new Set(['.txt', '.text', '.md', '.markdown', '.ocr', '']);

/** A file this tool does not read: recorded as skipped, not as a failure. */
export class UnsupportedFileError extends DocumentError {
  constructor(message: string) {
    super('unsupported-format', message);
  }
}

/** How much of a file {@link refuseLargeText} reads to know it is text (what the sniffer samples). */
const HEAD_BYTES = 64 * 1024;

/**
 * A text file above --max-text-bytes is refused from its first bytes, before the whole of it is
 * read (a 300 MB log would otherwise be read, hashed and sent to a reader only to be refused).
 * Throws TextTooLargeError when `path` is a text file of more than `limits.maxTextBytes`; does
 * nothing for smaller files and for other formats (a PDF with junk before its header included).
 */
export async function refuseLargeText(path: string | Buffer, size: number, limits: Pick<Limits, 'maxTextBytes'>, name: string): Promise<void> {
  if (size <= limits.maxTextBytes) return;
  const ext = extname(typeof path === 'string' ? path : path.toString('latin1')).toLowerCase();
  if (!TEXTUAL_EXTENSIONS.has(ext)) return;
  let head: Buffer;
  try {
    const handle = await open(path, 'r');
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(HEAD_BYTES), 0, HEAD_BYTES, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch {
    return; // unreadable: the ordinary read reports it
  }
  if (head.subarray(0, 1024).includes('%PDF-')) return; // whether it is a PDF depends on its end too
  const sniffed = sniffBytes(head, typeof path === 'string' ? path : path.toString('latin1'));
  if (sniffed.kind === 'document' && (sniffed.format === 'txt' || sniffed.format === 'md')) {
    throw new TextTooLargeError(size, limits.maxTextBytes, name);
  }
}

export async function readSource(input: FileBytes, limits: Limits): Promise<Source> {
  const { bytes, name } = input;
  const sniffed = sniffBytes(bytes, input.path);
  const ext = extname(input.path).toLowerCase();
  if (sniffed.kind === 'unsupported') {
    // A file whose extension promises a document but whose bytes are something else is broken;
    // any other file is simply not ours.
    if (DOCUMENT_EXTENSIONS.has(ext)) {
      throw new DocumentError('unsupported-format', `${name}: the extension says ${ext} but the content is ${sniffed.description}`);
    }
    throw new UnsupportedFileError(`${name}: not a document type beslutsarkiv reads (${sniffed.description})`);
  }
  const { format, mediaType } = sniffed;
  if ((format === 'txt' || format === 'md') && !TEXTUAL_EXTENSIONS.has(ext)) {
    throw new UnsupportedFileError(`${name}: a text file with extension ${ext}, not a document type beslutsarkiv reads`);
  }
  const file: DocumentFile = {
    path: input.path,
    name,
    size: input.size,
    mtimeMs: input.mtimeMs,
    sha256: input.sha256,
    format,
    mediaType,
    pages: [],
    messages: [],
  };
  const mismatch = extensionMismatch(input.path, format);
  if (mismatch) addMessage(file, { stage: 'ingest', rule: 'extension-mismatch', severity: 'warning', reason: `${mismatch}: read as ${format.toUpperCase()}` });

  switch (format) {
    case 'txt':
    case 'md':
      return readText(file, bytes, limits);
    case 'pdf':
      return readPdf(file, bytes, limits);
    case 'png':
    case 'jpeg': {
      const image = readRasterImage(bytes, limits, name);
      return { file, pages: [{ number: 1, text: null, source: 'ocr', loadImage: async () => image }], close: async () => {} };
    }
    case 'tiff': {
      const pages = await tiffPages(bytes, limits, name);
      if (pages.length > limits.maxPages) {
        throw new DocumentError('too-many-pages', `${name} has ${pages.length} pages, above the limit of ${limits.maxPages} (--max-pages)`);
      }
      return { file, pages: pages.map((p, i) => ({ number: i + 1, text: null, source: 'ocr', loadImage: p.load })), close: async () => {} };
    }
  }
}

function readText(file: DocumentFile, bytes: Buffer, limits: Limits): Source {
  const { text: decoded, encoding } = decodeText(bytes, { maxBytes: limits.maxTextBytes, name: file.name });
  if (encoding !== 'utf-8') {
    addMessage(file, { stage: 'ingest', rule: 'encoding', severity: 'info', reason: `decoded as ${encoding}` });
  }
  const raw = canonicalText(decoded);
  let text = raw;
  if (file.format === 'md') {
    file.raw = raw;
    text = markdownToText(raw, { name: file.name });
    addMessage(file, { stage: 'ingest', rule: 'markdown', severity: 'info', reason: 'Markdown markup and link targets removed; the source is kept as raw text' });
  }
  if (text.replace(/\s+/g, '').length === 0) {
    throw new DocumentError('no-text', `${file.name} contains no text (only whitespace)`);
  }
  // Old OCR exports separate pages with form feeds.
  const pages = text.split('\f').map((t, i) => ({ number: i + 1, text: t, source: 'text' as const }));
  return { file, pages, close: async () => {} };
}

async function readPdf(file: DocumentFile, bytes: Buffer, limits: Limits): Promise<Source> {
  const pdf = await openPdf(bytes, limits, file.name);
  const pages: SourcePage[] = pdf.pages.map((p) => {
    if (p.note) addMessage(file, { stage: 'ingest', page: p.number, ...p.note });
    if (p.text !== null) return { number: p.number, text: p.text, source: 'text-layer' };
    if (!p.note) addMessage(file, { stage: 'ingest', rule: 'no-text-layer', severity: 'info', page: p.number, reason: `page ${p.number} has no text layer: OCR` });
    return { number: p.number, text: null, source: 'ocr', loadImage: p.loadImage };
  });
  return { file, pages, close: pdf.close };
}
