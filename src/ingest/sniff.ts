/**
 * Decide a file's format from its bytes (magic numbers), using the extension only to tell
 * Markdown from plain text and to notice mislabelled files.
 */
import { extname } from 'node:path';
import type { Format } from '../document-file.js';
import { decodeText, detectUtf16 } from './decode-text.js';

export type Sniffed =
  | { kind: 'document'; format: Format; mediaType: string }
  | { kind: 'unsupported'; description: string };

const TEXT_EXTENSIONS = new Set(['.txt', '.text', '.md', '.markdown', '.ocr', '']);
/** Extensions this tool reads. */
export const DOCUMENT_EXTENSIONS = new Set(['.txt', '.text', '.md', '.markdown', '.pdf', '.png', '.jpg', '.jpeg', '.tif', '.tiff']);

const EXPECTED_FORMAT: Record<string, Format[]> = {
  '.pdf': ['pdf'],
  '.png': ['png'],
  '.jpg': ['jpeg'],
  '.jpeg': ['jpeg'],
  '.tif': ['tiff'],
  '.tiff': ['tiff'],
  '.txt': ['txt', 'md'],
  '.text': ['txt', 'md'],
  '.md': ['md', 'txt'],
  '.markdown': ['md', 'txt'],
};

function startsWith(bytes: Uint8Array, magic: number[], offset = 0): boolean {
  if (bytes.length < offset + magic.length) return false;
  return magic.every((b, i) => bytes[offset + i] === b);
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.subarray(start, end)).toString('latin1');
}

/** Formats recognised only to say clearly what they are. */
const KNOWN_UNSUPPORTED: Array<[number[], string, number?]> = [
  [[0x50, 0x4b, 0x03, 0x04], 'a ZIP container (e.g. .docx, .odt or .zip)'],
  [[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], 'a legacy Microsoft Office file (.doc/.xls)'],
  [[0x47, 0x49, 0x46, 0x38], 'a GIF image'],
  [[0x42, 0x4d], 'a BMP image'],
  [[0x7b, 0x5c, 0x72, 0x74, 0x66], 'an RTF document'],
  [[0x53, 0x51, 0x4c, 0x69, 0x74, 0x65, 0x20, 0x66], 'an SQLite database'],
  [[0x1f, 0x8b], 'a gzip archive'],
];

export function sniffBytes(bytes: Uint8Array, path: string): Sniffed {
  const ext = extname(path).toLowerCase();
  if (isPdf(bytes)) return { kind: 'document', format: 'pdf', mediaType: 'application/pdf' };
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { kind: 'document', format: 'png', mediaType: 'image/png' };
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { kind: 'document', format: 'jpeg', mediaType: 'image/jpeg' };
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) {
    return { kind: 'document', format: 'tiff', mediaType: 'image/tiff' };
  }
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && ascii(bytes, 8, 12) === 'WEBP') {
    return { kind: 'unsupported', description: 'a WebP image' };
  }
  for (const [magic, description] of KNOWN_UNSUPPORTED) {
    if (startsWith(bytes, magic)) return { kind: 'unsupported', description };
  }
  if (looksLikeText(bytes)) {
    const markdown = ext === '.md' || ext === '.markdown' || (TEXT_EXTENSIONS.has(ext) && looksLikeMarkdown(bytes));
    return markdown
      ? { kind: 'document', format: 'md', mediaType: 'text/markdown' }
      : { kind: 'document', format: 'txt', mediaType: 'text/plain' };
  }
  return { kind: 'unsupported', description: 'binary data of no supported format' };
}

/**
 * A PDF starts with `%PDF-`. Readers tolerate junk before the header within the first 1024 bytes
 * (a mail or MacBinary header, a byte-order mark), so a header further in still makes a PDF when
 * the file is not text (its streams are binary) or when, on a line of its own, it opens a file that
 * ends in the `%%EOF` trailer. A text file that mentions `%PDF-` near its top, in prose, is text.
 */
export function isPdf(bytes: Uint8Array): boolean {
  const at = ascii(bytes, 0, Math.min(bytes.length, 1024)).indexOf('%PDF-');
  if (at === 0) return true;
  if (at < 0) return false;
  if (!looksLikeText(bytes)) return true;
  const lineStart = bytes[at - 1] === 0x0a || bytes[at - 1] === 0x0d;
  const tail = ascii(bytes, Math.max(0, bytes.length - 1024), bytes.length);
  return lineStart && /%%EOF\s*$/.test(tail);
}

/** True when the extension promises something other than what the bytes are. */
export function extensionMismatch(path: string, format: Format): string | null {
  const ext = extname(path).toLowerCase();
  const expected = EXPECTED_FORMAT[ext];
  if (!expected || expected.includes(format)) return null;
  return `the extension says ${ext} but the content is ${format.toUpperCase()}`;
}

/**
 * Text if the sample has a byte-order mark, is UTF-16 without one (NULs at every other byte,
 * see {@link detectUtf16}), or has no NUL bytes and few control characters. Works for UTF-8 and
 * single-byte encodings (Windows-1252, ISO-8859-1) alike.
 */
export function looksLikeText(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  if (startsWith(bytes, [0xef, 0xbb, 0xbf]) || startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff])) return true;
  if (detectUtf16(bytes)) return true;
  const sample = bytes.subarray(0, 64 * 1024);
  let control = 0;
  for (const b of sample) {
    if (b === 0) return false;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) control++;
  }
  return control / sample.length < 0.01;
}

/** Markdown in a .txt file (conversions are often saved so): at least two kinds of Markdown syntax. */
export function looksLikeMarkdown(bytes: Uint8Array): boolean {
  // Decoded as the file will be (UTF-16 too); a sample cut mid-character is fine for this.
  const text = decodeText(bytes.subarray(0, 256 * 1024)).text;
  let signals = 0;
  if (/^#{1,6} \S/m.test(text)) signals++;
  if (/\*\*[^*\n]+\*\*/.test(text)) signals++;
  if (/\[[^\]\n]+\]\([^)\s]+\)/.test(text)) signals++;
  if (/^\|.*\|\s*$\n^\|[\s:|-]+\|\s*$/m.test(text)) signals++;
  return signals >= 2;
}
