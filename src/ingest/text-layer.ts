/**
 * Is a PDF text layer language? A layer is judged by how many of its words are words, not by its
 * length: a short valid layer ("Bilaga 1", a page number) is kept, while a layer of valid glyphs
 * and nonsense letters (a font whose ToUnicode map is broken, a scanner's bad OCR layer) is not
 * text, and the page is OCRed instead, as OCRmyPDF's `--redo-ocr` does.
 *
 * The words: the 50,000 commonest Swedish word forms (src/data/sv_50k.txt, which holds the common
 * English words too), the administrative words of src/data/admin-sv.txt and the gazetteer's names,
 * and compounds of two of them. Not the repair lexicon itself: it costs about 130 MB and seconds to
 * load, in every sandboxed reader; this list costs a few MB and some tens of milliseconds, and a
 * garbled layer is nowhere near either.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR, gazetteerNames, WORD_RE } from '../repair/lexicon.js';

/** Below this share of known words, a layer with enough words to judge is not language. */
export const TEXT_LAYER_MIN_HIT_RATE = 0.35;
/** A page with fewer words than this is judged with its document (the same font, the same map). */
export const TEXT_LAYER_MIN_WORDS = 5;
/** Words looked at per page: enough for a rate, and the judgement stays cheap on long pages. */
const SAMPLE_WORDS = 400;
/** Shortest part of a compound (keeps "ar|ets" and the like out). */
const MIN_PART = 3;

export interface LayerCount {
  /** Words of two letters or more, in Latin script, looked at. */
  words: number;
  /** Of them, words of the word list (or compounds of two). */
  known: number;
  /** Characters no text has: control characters, private-use code points, U+FFFD. */
  junk: number;
  /** Non-space characters. */
  chars: number;
}

export type LayerVerdict = { garbled: false } | { garbled: true; why: string };

let words: Set<string> | undefined;

function wordList(): Set<string> {
  if (words) return words;
  const set = new Set<string>();
  for (const line of readFileSync(join(DATA_DIR, 'sv_50k.txt'), 'utf8').split('\n')) {
    const word = line.slice(0, line.indexOf(' ')).toLowerCase();
    if (word.length > 1) set.add(word);
  }
  for (const m of readFileSync(join(DATA_DIR, 'admin-sv.txt'), 'utf8').matchAll(WORD_RE)) for (const part of m[0].split('-')) set.add(part.toLowerCase());
  for (const name of gazetteerNames()) set.add(name);
  words = set;
  return set;
}

function isKnown(word: string, list: Set<string>): boolean {
  if (list.has(word)) return true;
  // Genitive of a known word (förvaltningens), or a compound of two known words (kvalitets|utmärkelsen).
  if (word.endsWith('s') && list.has(word.slice(0, -1))) return true;
  for (let i = MIN_PART; i <= word.length - MIN_PART; i++) {
    const tail = word.slice(i);
    if (!list.has(tail)) continue;
    const head = word.slice(0, i);
    if (list.has(head) || (head.endsWith('s') && head.length > MIN_PART && list.has(head.slice(0, -1)))) return true;
  }
  return false;
}

// Control characters other than white space, private-use code points and the replacement character.
const JUNK = /[\u0000-\u0008\u000e-\u001f\u007f-\u009f\ue000-\uf8ff\ufffd]/gu;

const LATIN = /^\p{Script=Latin}+$/u;

/** Counts the words and the known words of one page's text layer. */
export function countLayer(text: string): LayerCount {
  const list = wordList();
  let words = 0;
  let known = 0;
  for (const m of text.matchAll(WORD_RE)) {
    for (const part of m[0].split(/[-']/)) {
      // Words in other scripts (Cyrillic, Greek, CJK) are no evidence either way: OCR for Swedish would not read them better.
      if (part.length < 2 || !LATIN.test(part)) continue;
      words++;
      if (isKnown(part.toLowerCase(), list)) known++;
    }
    if (words >= SAMPLE_WORDS) break;
  }
  return { words, known, junk: text.match(JUNK)?.length ?? 0, chars: text.replace(/\s+/g, '').length };
}

export function hitRate(count: Pick<LayerCount, 'words' | 'known'>): number {
  return count.words === 0 ? 1 : count.known / count.words;
}

/**
 * Whether a page's layer is garbled: by its own words when it has enough of them, else by its
 * document's (all text layers of the file together), since a broken font map garbles every page
 * that uses the font. A layer of only digits and punctuation (a page number, a table of figures)
 * is language enough; one mostly of control or private-use characters is not.
 */
export function judgeLayer(page: LayerCount, document: LayerCount): LayerVerdict {
  const percent = (n: number) => `${Math.round(n * 100)} %`;
  if (page.chars > 0 && page.junk / page.chars > 0.3) {
    return { garbled: true, why: `${percent(page.junk / page.chars)} of its characters are control or private-use characters` };
  }
  if (page.words === 0) return { garbled: false };
  const rate = hitRate(page);
  const describe = (c: LayerCount, whose: string) =>
    `${percent(hitRate(c))} of ${whose}${c.words} words are words (below ${percent(TEXT_LAYER_MIN_HIT_RATE)})`;
  if (page.words >= TEXT_LAYER_MIN_WORDS) {
    return rate < TEXT_LAYER_MIN_HIT_RATE ? { garbled: true, why: describe(page, 'its ') } : { garbled: false };
  }
  // Too short to judge alone: a page none of whose words is known, in a document whose text is not language.
  if (page.known === 0 && document.words >= TEXT_LAYER_MIN_WORDS && hitRate(document) < TEXT_LAYER_MIN_HIT_RATE) {
    return { garbled: true, why: `none of its ${page.words} words is a word, and ${describe(document, "the document's ")}` };
  }
  return { garbled: false };
}

/** The start of a rejected layer, on one line, for the audit trail. */
export function excerpt(text: string, max = 200): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}
