/**
 * Decompression bombs, found from outside pdf.js. pdf.js keeps every stream it decodes whole in
 * memory (and turns a content stream into an operator list), so a few megabytes of Flate data that
 * inflate to gigabytes of operators exhaust any heap. Before pdf.js sees a file, every
 * Flate-compressed stream that is not an image is inflated here by zlib, natively, with a cap on its
 * output: a stream over the cap refuses the file. Images are bounded by their declared size
 * (--max-pixels) instead, and pdf.js decodes only the bytes an image needs.
 *
 * The scan reads the file's bytes, not its structure (a damaged cross-reference table does not hide a
 * stream from it). Streams inside encrypted files are ciphertext and do not inflate: those, and
 * streams zlib cannot read, are left to the sandbox's memory limits.
 */
import { constants, inflateSync } from 'node:zlib';

export interface OversizedStream {
  /** Byte offset of the stream's data in the file. */
  offset: number;
  /** The object the stream belongs to (`12 0`), when it could be found. */
  object: string | null;
  /** Compressed size. */
  compressed: number;
}

const STREAM = Buffer.from('stream');
const END_STREAM = Buffer.from('endstream');
/** How far before `stream` its dictionary may begin. */
const DICT_WINDOW = 16 * 1024;

/** The first non-image Flate stream that inflates to more than `maxBytes`, or null. */
export function findOversizedStream(bytes: Buffer, maxBytes: number): OversizedStream | null {
  let at = 0;
  while ((at = bytes.indexOf(STREAM, at)) !== -1) {
    const keyword = at;
    at += STREAM.length;
    // `endstream`, or `stream` inside some other word.
    if (keyword >= 3 && bytes.toString('latin1', keyword - 3, keyword) === 'end') continue;
    let data = at;
    if (bytes[data] === 0x0d) data++;
    if (bytes[data] === 0x0a) data++;
    if (data === at) continue; // `stream` must end its line
    const dict = dictionaryBefore(bytes, keyword);
    if (!dict || /\/Subtype\s*\/Image\b/.test(dict.text)) continue;
    const flates = leadingFlateFilters(dict.text);
    if (flates === 0) continue;
    const end = bytes.indexOf(END_STREAM, data);
    const compressed = bytes.subarray(data, end === -1 ? bytes.length : end);
    if (inflatesBeyond(compressed, flates, maxBytes)) return { offset: data, object: dict.object, compressed: compressed.length };
    if (end !== -1) at = end + END_STREAM.length;
  }
  return null;
}

/** The dictionary that ends right before `stream` (`<< … >>` and whitespace), with its object number. */
function dictionaryBefore(bytes: Buffer, keyword: number): { text: string; object: string | null } | null {
  let i = keyword - 1;
  while (i > 0 && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09 || bytes[i] === 0x0c)) i--;
  if (bytes[i] !== 0x3e || bytes[i - 1] !== 0x3e) return null; // `>>`
  const text = bytes.toString('latin1', Math.max(0, keyword - DICT_WINDOW), keyword);
  const obj = text.lastIndexOf(' obj');
  const object = obj === -1 ? null : (/(\d+)\s+(\d+)\s*$/.exec(text.slice(Math.max(0, obj - 24), obj))?.slice(1, 3).join(' ') ?? null);
  return { text: obj === -1 ? text : text.slice(obj), object };
}

/** How many FlateDecode filters the stream's filter chain starts with. */
function leadingFlateFilters(dict: string): number {
  const filter = /\/Filter\s*(\[[^\]]*\]|\/[A-Za-z0-9]+)/.exec(dict)?.[1];
  if (!filter) return 0;
  let n = 0;
  for (const name of filter.match(/\/[A-Za-z0-9]+/g) ?? []) {
    if (name !== '/FlateDecode' && name !== '/Fl') break;
    n++;
  }
  return n;
}

/** Inflates (each Flate layer in turn) with zlib, stopping as soon as the output passes `maxBytes`. */
function inflatesBeyond(compressed: Buffer, layers: number, maxBytes: number): boolean {
  let data = compressed;
  for (let layer = 0; layer < layers; layer++) {
    try {
      // Z_SYNC_FLUSH: a stream cut off (or followed by junk) yields what it has instead of failing.
      // Output chunks of up to 1 MiB: with zlib's 16 KiB default a large stream takes twice as long.
      const chunkSize = Math.min(2 ** 20, Math.max(2 ** 16, data.length * 8));
      data = inflateSync(data, { maxOutputLength: maxBytes + 1, finishFlush: constants.Z_SYNC_FLUSH, chunkSize });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) return true;
      return false; // not zlib data (encrypted, damaged): left to the sandbox's limits
    }
    if (data.length > maxBytes) return true;
  }
  return false;
}
