/**
 * Text files in old archives come in UTF-8, UTF-16 (with or without a byte-order mark) or
 * Windows-1252 (Latin-1); decode them without mangling å/ä/ö and say which encoding was used.
 */
import { DocumentError } from '../errors.js';
import { DEFAULT_LIMITS } from '../limits.js';

export interface DecodedText {
  text: string;
  encoding: 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';
}

/**
 * What Windows-1252 bytes 0x80–0x9F stand for (WHATWG Encoding Standard: the five bytes the code
 * page leaves undefined, 0x81 0x8D 0x8F 0x90 0x9D, are the C1 controls of the same value).
 * Node's own `TextDecoder('windows-1252')` decodes these as Latin-1 since 20.18.3
 * (nodejs/node#60888): curly quotes and dashes would come out as control characters.
 */
export const WINDOWS_1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/** Windows-1252, byte for byte. */
export function decodeWindows1252(bytes: Uint8Array): string {
  const latin1 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  return latin1.replace(/[\u0080-\u009f]/gu, (c) => WINDOWS_1252_HIGH[c.charCodeAt(0) - 0x80]!);
}

/** How much of a file the UTF-16 check looks at. */
const UTF16_SAMPLE = 64 * 1024;

/**
 * UTF-16 without a byte-order mark, from its NUL bytes: text in a Latin script written as UTF-16
 * has a NUL as the high byte of nearly every character (å/ä/ö too), so NULs fill every other
 * position, and the decoded sample must read as text (no stray controls or lone surrogates).
 */
export function detectUtf16(bytes: Uint8Array): 'utf-16le' | 'utf-16be' | null {
  const n = Math.min(bytes.length, UTF16_SAMPLE) & ~1;
  if (n < 4) return null;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) even++;
    if (bytes[i + 1] === 0) odd++;
  }
  const pairs = n / 2;
  const encoding = odd >= 0.4 * pairs && even <= 0.02 * pairs ? 'utf-16le' : even >= 0.4 * pairs && odd <= 0.02 * pairs ? 'utf-16be' : null;
  if (!encoding) return null;
  const sample = new TextDecoder(encoding).decode(bytes.subarray(0, n));
  const controls = sample.match(/[\u0000-\u0008\u000b\u000e-\u001f\ufffd]/gu)?.length ?? 0;
  return controls <= 0.01 * sample.length ? encoding : null;
}

/** 20 MiB, 300 KiB, 900 bytes (rounded down, so a size just over a limit does not read as equal to it). */
function size(n: number): string {
  const floor1 = (x: number) => Math.floor(x * 10) / 10;
  return n >= 2 ** 20 ? `${floor1(n / 2 ** 20)} MiB` : n >= 1024 ? `${floor1(n / 1024)} KiB` : `${n} bytes`;
}

/** A text file too large to repair and extract in reasonable time and memory. */
export class TextTooLargeError extends DocumentError {
  constructor(
    readonly bytes: number,
    readonly limit: number,
    name?: string,
  ) {
    super('file-too-large', `${name ? `${name}: ` : ''}${size(bytes)} of text, above the limit of ${size(limit)} (--max-text-bytes): not read`);
  }
}

export interface DecodeOptions {
  /** Text files larger than this are refused (the repair and extraction of text are linear, but not free). */
  maxBytes?: number;
  /** The file's name, for the message. */
  name?: string;
}

export function decodeText(bytes: Uint8Array, options: DecodeOptions = {}): DecodedText {
  const limit = options.maxBytes ?? DEFAULT_LIMITS.maxTextBytes;
  if (bytes.length > limit) throw new TextTooLargeError(bytes.length, limit, options.name);
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { text: new TextDecoder('utf-8').decode(bytes.subarray(3)), encoding: 'utf-8' };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le' };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'utf-16be' };
  const utf16 = detectUtf16(bytes);
  if (utf16) return { text: new TextDecoder(utf16).decode(bytes), encoding: utf16 };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    // Not valid UTF-8: the single-byte code page Swedish Windows machines wrote.
    return { text: decodeWindows1252(bytes), encoding: 'windows-1252' };
  }
}

/** Line endings to \n, Unicode to NFC (so ä is one code point whatever the source wrote). */
export function canonicalText(text: string): string {
  return text.replace(/\r\n?/g, '\n').normalize('NFC');
}
