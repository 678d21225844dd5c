/**
 * A document's text fingerprint, for finding the same report archived twice (a text PDF and its
 * scan, a TIFF of the same pages): MinHash over the pairs of consecutive words of the repaired
 * text, folded (case, å/ä/ö) and with OCR debris dropped (tokens that are neither words nor
 * numbers, one-letter tokens). Two documents' signatures agree in about the share of positions
 * that their word-pair sets overlap (Jaccard), so a misread word costs two pairs, not the match.
 */
import { fold } from '../repair/fold.js';

/** Positions in a signature. 64 gives the Jaccard estimate a standard error of about 0.05 near 0.7. */
export const MINHASH_SIZE = 64;
/** LSH: 16 bands of 4 positions; two documents with Jaccard 0.6 share a band with probability 0.88, at 0.7 0.99. */
export const BANDS = 16;
export const ROWS_PER_BAND = MINHASH_SIZE / BANDS;
/** Fewer word pairs than this is too little text to call two documents the same by their text alone. */
export const MIN_SHINGLES = 20;

const SEEDS = (() => {
  const out = new Uint32Array(MINHASH_SIZE);
  let s = 0x2545f491;
  for (let i = 0; i < MINHASH_SIZE; i++) {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    out[i] = s;
  }
  return out;
})();

/** FNV-1a over UTF-16 code units: a 32-bit hash of a string. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A 32-bit mix (murmur3's finalizer) of a hash with a seed: one independent hash function per position. */
function mix(h: number, seed: number): number {
  let x = (h ^ seed) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** The words of a text as compared: folded, letters or digits, at least two characters. */
export function comparableWords(text: string): string[] {
  return (fold(text).match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length > 1 && (/^\p{L}+$/u.test(w) || /^\p{N}+$/u.test(w)));
}

export interface Fingerprint {
  minhash: Uint32Array;
  /** Distinct word pairs the signature was made from. */
  shingles: number;
}

export function fingerprint(text: string): Fingerprint {
  const words = comparableWords(text);
  const shingles = new Set<number>();
  for (let i = 0; i + 1 < words.length; i++) shingles.add(hash32(`${words[i]} ${words[i + 1]}`));
  const minhash = new Uint32Array(MINHASH_SIZE).fill(0xffffffff);
  for (const h of shingles) {
    for (let k = 0; k < MINHASH_SIZE; k++) {
      const v = mix(h, SEEDS[k]!);
      if (v < minhash[k]!) minhash[k] = v;
    }
  }
  return { minhash, shingles: shingles.size };
}

/** The estimated Jaccard similarity of the word-pair sets of two documents. */
export function similarity(a: Uint32Array, b: Uint32Array): number {
  let same = 0;
  for (let k = 0; k < MINHASH_SIZE; k++) if (a[k] === b[k]) same++;
  return same / MINHASH_SIZE;
}

/** One 32-bit key per band (a collision only adds a candidate, which is then checked). */
export function bandKeys(minhash: Uint32Array): number[] {
  const keys: number[] = [];
  for (let b = 0; b < BANDS; b++) {
    let h = 0x811c9dc5 ^ b;
    for (let r = 0; r < ROWS_PER_BAND; r++) h = Math.imul(h ^ minhash[b * ROWS_PER_BAND + r]!, 0x01000193);
    keys.push(h >>> 0);
  }
  return keys;
}

export const toBlob = (m: Uint32Array): Buffer => Buffer.from(m.buffer, m.byteOffset, m.byteLength);
export const fromBlob = (b: Buffer): Uint32Array => {
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new Uint32Array(copy.buffer);
};
