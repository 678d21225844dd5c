/**
 * Text files in old archives come in UTF-8, UTF-16 or Windows-1252 (Latin-1); decode them
 * without mangling å/ä/ö and say which encoding was used.
 */

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

export function decodeText(bytes: Uint8Array): DecodedText {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { text: new TextDecoder('utf-8').decode(bytes.subarray(3)), encoding: 'utf-8' };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le' };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'utf-16be' };
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
