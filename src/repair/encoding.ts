/**
 * Encoding damage: what old systems and careless exports do to Swedish text, which OCR never does.
 * Reversed before the word-level repair, and only when the text as a whole shows it:
 *
 *   - **mojibake**: UTF-8 read as Windows-1252 or Latin-1 (`fÃ¶rslag`, `SocialnÃ¤mnden`, `Ã…`),
 *     possibly twice (`fÃƒÂ¶rslag`). Each run of characters that Windows-1252/Latin-1 can encode is
 *     encoded back to bytes and every valid UTF-8 sequence in it decoded (as ftfy's "sloppy"
 *     windows-1252 does: the five bytes Windows-1252 leaves undefined, 0x81 0x8D 0x8F 0x90 0x9D, and
 *     Latin-1's C1 controls map to themselves), up to three rounds. As in ftfy, a fix must make the
 *     text less weird: a sequence is decoded only to a Latin letter or common punctuation, and the
 *     document is changed only when the decoded words are lexicon words where the mojibake was not
 *     (or when it has unmistakable three-byte mojibake such as `â€“`); a run whose letters were
 *     words and whose decoding is not (`PÅ` + no-break space → `PŠ`) is never changed.
 *   - **7-bit Swedish** (SIS E47 / ISO 646-SE, old mainframe exports): `}` å, `{` ä, `|` ö, `]` Å,
 *     `[` Ä, `\` Ö. Only characters that sit in a word are candidates, and only when most candidate
 *     words become lexicon words; then every such word is reversed, except that a bracket or pipe at
 *     the edge of a word stays when the word is a word without it (`|Indikator|` in a table).
 *     Braces, pipes and brackets between spaces, next to punctuation, in e-mail addresses and URLs
 *     are never candidates: Markdown tables, JSON and code stay as they are.
 *   - **U+FFFD** from a lossy decode inside a word (`f�rslag`, `f��rslag`): the letter (å ä ö é)
 *     that makes a lexicon word; where several do (`f�r`: för, får), the one the context model
 *     prefers. A replacement character that no letter explains is left alone.
 *   - **invisible characters**: no-break spaces become spaces, soft hyphens are removed (one at a
 *     line end becomes a hyphen, so the word repair joins the word), zero-width spaces and stray
 *     byte-order marks are removed.
 *
 * Clean text comes out unchanged (the same string). The fixed text comes with a map back to the
 * text as read, so the word repair's offsets still point into the text as read. Linear in text size.
 */
import { WINDOWS_1252_HIGH } from '../ingest/decode-text.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR, gazetteerNames } from './lexicon.js';
import type { RepairModels } from './repair-text.js';

/** Windows-1252 bytes 0x80–0x9F that are not C1 controls: character → byte. */
const CP1252_SPECIAL: Record<string, number> = Object.fromEntries(
  [...WINDOWS_1252_HIGH].map((ch, i) => [ch, 0x80 + i] as const).filter(([ch, b]) => ch.charCodeAt(0) !== b),
);

/** The byte "sloppy" Windows-1252 writes for a character (Latin-1 and C1 controls map to themselves), or -1. */
function sloppyByte(ch: string): number {
  const c = ch.charCodeAt(0);
  if (c < 0x100) return c;
  return CP1252_SPECIAL[ch] ?? -1;
}

/** Runs of non-ASCII characters Windows-1252/Latin-1 can encode: where mojibake can be. */
const ENCODABLE_RUN = new RegExp(`[\\u0080-\\u00ff${Object.keys(CP1252_SPECIAL).join('')}]{2,}`, 'gu');

/** A decoded character that mojibake plausibly hid: a Latin letter or sign, or common punctuation. */
function plausible(ch: string): boolean {
  const c = ch.codePointAt(0)!;
  return (c >= 0xa0 && c <= 0x17f) || (c >= 0x2010 && c <= 0x203a) || c === 0x20ac || c === 0x2122 || c === 0x192 || c === 0x2c6 || c === 0x2dc;
}

/** While decoding a round, C1 controls may appear (Latin-1 mojibake read twice); they never survive to the end. */
const C1 = /[\u0080-\u009f]/u;

/** The character a valid two- or three-byte UTF-8 sequence stands for, or null. */
function utf8Char(b0: number, b1: number, b2: number): string | null {
  if (b0 >= 0xc2 && b0 <= 0xdf) return String.fromCharCode(((b0 & 0x1f) << 6) | (b1 & 0x3f));
  const cp = ((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f);
  // Overlong forms and surrogates are not UTF-8.
  return cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff) ? null : String.fromCharCode(cp);
}

const isContinuation = (b: number) => b >= 0x80 && b <= 0xbf;

/**
 * One round: every valid UTF-8 sequence of the characters' bytes that decodes to a plausible
 * character, decoded; everything else kept. (Four-byte sequences decode to nothing plausible.)
 * Returns the string and whether a three-byte sequence was decoded.
 */
function decodeRound(s: string): { text: string; long: boolean } {
  let out = '';
  let long = false;
  for (let i = 0; i < s.length; i++) {
    const b = sloppyByte(s[i]!);
    const need = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : 0;
    if (need && i + need < s.length) {
      const b1 = sloppyByte(s[i + 1]!);
      const b2 = need === 2 ? sloppyByte(s[i + 2]!) : 0x80;
      if (isContinuation(b1) && isContinuation(b2)) {
        const decoded = utf8Char(b, b1, b2);
        if (decoded !== null && (plausible(decoded) || C1.test(decoded))) {
          out += decoded;
          if (need === 2) long = true;
          i += need;
          continue;
        }
      }
    }
    out += s[i]!;
  }
  return { text: out, long };
}

/** Spans of a text replaced by other text, in order, as parallel arrays (millions fit in little memory). */
class Replacements {
  readonly start: number[] = [];
  readonly end: number[] = [];
  readonly text: string[] = [];

  get length(): number {
    return this.start.length;
  }

  add(start: number, end: number, text: string): void {
    this.start.push(start);
    this.end.push(end);
    this.text.push(text);
  }

  /** The replacements `keep` accepts. */
  filter(keep: (i: number) => boolean): Replacements {
    const out = new Replacements();
    for (let i = 0; i < this.length; i++) if (keep(i)) out.add(this.start[i]!, this.end[i]!, this.text[i]!);
    return out;
  }

  apply(text: string): string {
    if (this.length === 0) return text;
    const parts: string[] = [];
    let at = 0;
    for (let i = 0; i < this.length; i++) {
      parts.push(text.slice(at, this.start[i]), this.text[i]!);
      at = this.end[i]!;
    }
    parts.push(text.slice(at));
    return parts.join('');
  }
}

/**
 * From offsets in a rewritten text back to offsets in the text it was made from. A position
 * inside a replaced span maps to the start of the original span (as a start) or its end (as an end).
 */
export class OffsetMap {
  /** Per replacement: start and end in the new text (the old ones are the replacements'). */
  private readonly newStart: number[] = [];
  private readonly newEnd: number[] = [];

  constructor(
    private readonly replacements: Replacements = new Replacements(),
    /** The map of the text this one's old text was made from, if any. */
    private readonly inner?: OffsetMap,
  ) {
    let shift = 0;
    for (let i = 0; i < replacements.length; i++) {
      const start = replacements.start[i]!;
      const end = replacements.end[i]!;
      this.newStart.push(start + shift);
      shift += replacements.text[i]!.length - (end - start);
      this.newEnd.push(end + shift);
    }
  }

  get identity(): boolean {
    return this.newStart.length === 0 && (this.inner?.identity ?? true);
  }

  /** The last replacement whose new start is at most `pos` (strictly before it when `strict`), or -1. */
  private find(pos: number, strict: boolean): number {
    let lo = 0;
    let hi = this.newStart.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (strict ? this.newStart[mid]! < pos : this.newStart[mid]! <= pos) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  private own(pos: number, side: 'start' | 'end'): number {
    const i = this.find(pos, side === 'end');
    if (i < 0) return pos;
    const { start, end } = this.replacements;
    if (side === 'start' ? pos < this.newEnd[i]! : pos <= this.newEnd[i]!) return side === 'start' ? start[i]! : end[i]!;
    return end[i]! + (pos - this.newEnd[i]!);
  }

  toOriginal(pos: number, side: 'start' | 'end'): number {
    const p = this.own(pos, side);
    return this.inner ? this.inner.toOriginal(p, side) : p;
  }
}

const LETTER = /\p{L}/u;
/** Words are looked at no further than this many characters either side (a long run of letters is no word). */
const MAX_REACH = 64;

/** [start, end) widened over characters `inWord` accepts, at most MAX_REACH either side. */
function spanAround(text: string, start: number, end: number, inWord: (ch: string) => boolean): [number, number] {
  let a = start;
  let b = end;
  while (a > 0 && start - a < MAX_REACH && inWord(text[a - 1]!)) a--;
  while (b < text.length && b - end < MAX_REACH && inWord(text[b]!)) b++;
  return [a, b];
}

const isLetter = (ch: string) => LETTER.test(ch);

/** The letters around [start, end) in `text`, with the span itself. */
function wordAround(text: string, start: number, end: number): string {
  const [a, b] = spanAround(text, start, end, isLetter);
  return text.slice(a, b);
}

/** Whether every run of letters in `s` is a word (of one letter: i, å, ö), and there is one. */
function allWords(s: string, isWord: (w: string) => boolean): boolean {
  const parts = s.match(/\p{L}+/gu);
  return !!parts && parts.every((p) => (p.length === 1 ? /^[iåö]$/iu.test(p) : isWord(p)));
}

/** E-mail addresses and URLs: never rewritten. */
const PROTECTED = /(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\b(?:https?:\/\/|www\.)\S+/giu;

function protectedRanges(text: string): Array<[number, number]> {
  return [...text.matchAll(PROTECTED)].map((m) => [m.index, m.index + m[0].length] as [number, number]);
}

/** Whether [start, end) overlaps a range; `ranges` sorted, `cursor` advanced monotonically. */
function overlaps(ranges: Array<[number, number]>, cursor: { i: number }, start: number, end: number): boolean {
  while (cursor.i < ranges.length && ranges[cursor.i]![1] <= start) cursor.i++;
  return cursor.i < ranges.length && ranges[cursor.i]![0] < end;
}

interface PassResult {
  /** Per page. */
  replacements: Replacements[];
  /** Per page, the texts with the replacements made, when the pass has them already. */
  texts?: string[];
  /** What the pass found and did, for the document's message (null: nothing). */
  summary: string | null;
}

const quote = (s: string) => JSON.stringify(s);

const STRONG = 4;
const IMPROVED = 8;
const WORSENED = 16;

/** Mojibake: UTF-8 read as Windows-1252 or Latin-1, once or more. */
function mojibakePass(texts: string[], isWord: (w: string) => boolean): PassResult {
  // Per page: every run that decodes, and per run its rounds (bits 0–1) and what the words say.
  const found = texts.map(() => ({ replacements: new Replacements(), flags: [] as number[] }));
  let cp1252 = false;
  let c1 = false;
  texts.forEach((text, page) => {
    const { replacements, flags } = found[page]!;
    for (const m of text.matchAll(ENCODABLE_RUN)) {
      let current = m[0];
      let rounds = 0;
      let long = false;
      for (; rounds < 3; rounds++) {
        const next = decodeRound(current);
        if (next.text === current) break;
        long ||= next.long;
        current = next.text;
      }
      if (rounds === 0 || C1.test(current)) continue;
      let start = m.index;
      let replacement = current.normalize('NFC');
      // A decoded combining mark (from NFD text) joins the letter before the run.
      if (/^\p{M}/u.test(replacement) && start > 0 && LETTER.test(text[start - 1]!)) {
        start--;
        replacement = (text[start]! + current).normalize('NFC');
      }
      if (!c1 && C1.test(m[0])) c1 = true;
      if (!cp1252 && [...m[0]].some((ch) => ch in CP1252_SPECIAL)) cp1252 = true;
      replacements.add(start, m.index + m[0].length, replacement);
      // Three-byte mojibake (â€“) and Â before a Latin-1 sign (Â§, Â°, Â + no-break space) are unmistakable.
      flags.push(rounds | (long || /\u00c2[\u0080-\u00bf]/u.test(m[0]) ? STRONG : 0));
    }
  });
  const none = { replacements: texts.map(() => new Replacements()), summary: null };
  if (found.every((f) => f.replacements.length === 0)) return none;

  // Judge each decoded run by the word it lands in, in the text with every run decoded.
  let improved = 0;
  let strong = 0;
  let worsened = 0;
  let total = 0;
  let rounds = 0;
  let example = null as [string, string] | null;
  const fixedTexts = found.map(({ replacements: r, flags }, p) => {
    const text = texts[p]!;
    const fixed = r.apply(text);
    let shift = 0;
    for (let i = 0; i < r.length; i++) {
      const start = r.start[i]!;
      const end = r.end[i]!;
      const replacement = r.text[i]!;
      const ns = start + shift;
      shift += replacement.length - (end - start);
      const before = wordAround(text, start, end);
      const after = wordAround(fixed, ns, ns + replacement.length);
      const afterKnown = LETTER.test(replacement) && after.length >= 2 && isWord(after);
      const beforeKnown = allWords(before, isWord);
      total++;
      if (beforeKnown && !afterKnown) {
        flags[i]! |= WORSENED;
        worsened++;
        continue;
      }
      if (afterKnown && !beforeKnown) {
        flags[i]! |= IMPROVED;
        improved++;
        example ??= [before, after];
      }
      if (flags[i]! & STRONG) strong++;
      rounds = Math.max(rounds, flags[i]! & 3);
    }
    return fixed;
  });
  // The document must be less weird decoded: words appear where mojibake was, far more often
  // than words are lost.
  if (improved + strong === 0 || improved + strong < 3 * worsened) return none;
  const accepted = total - worsened;
  const as = c1 && !cp1252 ? 'Latin-1 (ISO-8859-1)' : cp1252 ? 'Windows-1252' : 'Windows-1252 or Latin-1';
  const [exBefore, exAfter]: [string, string] = example ?? ['', ''];
  return {
    replacements: found.map(({ replacements: r, flags }) => (worsened ? r.filter((i) => !(flags[i]! & WORSENED)) : r)),
    texts: worsened ? undefined : fixedTexts,
    summary:
      `UTF-8 read as ${as}${rounds > 1 ? (rounds === 2 ? ' twice' : ` ${rounds} times`) : ''}: ` +
      `${accepted} sequence${accepted === 1 ? '' : 's'} decoded${example ? ` (e.g. ${quote(exBefore)} → ${quote(exAfter)})` : ''}` +
      (worsened ? `, ${worsened} left as written (their letters are words as they are)` : ''),
  };
}

const SEVEN_BIT: Record<string, string> = { '}': 'å', '{': 'ä', '|': 'ö', ']': 'Å', '[': 'Ä', '\\': 'Ö' };
const SEVEN_BIT_CHAR = /[{}|[\]\\]/u;
const SEVEN_BIT_CHARS = /[{}|[\]\\]/gu;
const inSevenBitWord = (ch: string) => LETTER.test(ch) || SEVEN_BIT_CHAR.test(ch);
const sevenBitDecode = (s: string) => s.replace(SEVEN_BIT_CHARS, (c) => SEVEN_BIT[c]!);
/** A letter next to one of the characters: the characters sit in a word. */
const SEVEN_BIT_IN_WORD = /\p{L}[{}|[\]\\]|[{}|[\]\\]\p{L}/u;

/**
 * Each word (letters and 7-bit characters) that has a 7-bit character next to a letter, once,
 * left to right: found from the characters, so a long run of letters costs no more than its length.
 */
function* wordsWith(text: string, chars: RegExp, inWord: (ch: string) => boolean, inWordTest: RegExp): Generator<[number, string]> {
  let end = 0;
  for (const m of text.matchAll(chars)) {
    if (m.index < end) continue;
    const [a, b] = spanAround(text, m.index, m.index + 1, inWord);
    end = b;
    const word = text.slice(a, b);
    if (inWordTest.test(word)) yield [a, word];
  }
}

/** 7-bit Swedish (ISO 646-SE): `}{|][\` for åäöÅÄÖ. */
function sevenBitPass(texts: string[], isWord: (w: string) => boolean): PassResult {
  interface Candidate { page: number; start: number; word: string; fixed: string; known: boolean }
  const candidates: Candidate[] = [];
  texts.forEach((text, page) => {
    if (!/[{}|[\]\\]/u.test(text)) return;
    const ranges = protectedRanges(text);
    const cursor = { i: 0 };
    for (const [start, word] of wordsWith(text, SEVEN_BIT_CHARS, inSevenBitWord, SEVEN_BIT_IN_WORD)) {
      if (overlaps(ranges, cursor, start, start + word.length)) continue;
      const fixed = sevenBitDecode(word);
      candidates.push({ page, start, word, fixed, known: isWord(fixed) });
    }
  });
  const known = candidates.filter((c) => c.known).length;
  // Most words with these characters in them must become words: then the text is 7-bit Swedish.
  if (known === 0 || known < 0.5 * candidates.length) return { replacements: texts.map(() => new Replacements()), summary: null };
  const replacements: Replacements[] = texts.map(() => new Replacements());
  let changed = 0;
  for (const c of candidates) {
    let { word, fixed, start } = c;
    // Words joined by pipes or brackets (|Indikator|Utfall|, a[i]) are no word decoded: they stay.
    if (!c.known && allWords(word, isWord)) continue;
    if (!c.known) {
      // A bracket or pipe at the edge of a word that is a word without it is real (|övrigt|).
      const core = /^[{}|[\]\\]*(.*?)[{}|[\]\\]*$/u.exec(word)![1]!;
      if (core !== word && core.length >= 2 && isWord(sevenBitDecode(core))) {
        start += word.indexOf(core);
        word = core;
        fixed = sevenBitDecode(core);
        if (fixed === word) continue;
      }
    }
    replacements[c.page]!.add(start, start + word.length, fixed);
    changed++;
  }
  const example = candidates.find((c) => c.known)!;
  return {
    replacements,
    summary: `7-bit Swedish (ISO 646-SE, } { | ] [ \\ for å ä ö Å Ä Ö): ${changed} word${changed === 1 ? '' : 's'} decoded (e.g. ${quote(example.word)} → ${quote(example.fixed)})`,
  };
}

const FFFD = /\uFFFD/gu;
const inFffdWord = (ch: string) => ch === '\uFFFD' || LETTER.test(ch);
const FFFD_IN_WORD = /\p{L}\uFFFD|\uFFFD\p{L}/u;
const FFFD_RUN = /\uFFFD{1,2}/gu;
const LOST_LETTERS = ['ä', 'ö', 'å', 'é'];
/** Words with more lost letters than this are not guessed (4^n readings). */
const MAX_LOST = 3;

/** Whether a word at `at` starts a sentence: the text, a paragraph or a line after one that ends one. */
function sentenceStart(text: string, at: number): boolean {
  let i = at - 1;
  let newlines = 0;
  while (i >= 0 && /\s/u.test(text[i]!)) {
    if (text[i] === '\n') newlines++;
    i--;
  }
  return i < 0 || newlines >= 2 || '.!?:'.includes(text[i]!);
}

/** Below this log frequency a word is rare enough that, capitalized in the gazetteer, it is a name. */
const RARE_WORD = -11;

/**
 * The reading the context model prefers; among readings it has never seen (compounds, mostly),
 * the one whose parts are commonest (stöd|boendet over städ|boendet).
 */
function bestReading(readings: string[], prev: string | null, next: string | null, { lm, lexicon }: RepairModels): string {
  const parts = (w: string) => (lexicon.compound(w) ?? [w]).reduce((s, p) => s + lm.logUnigram(p), 0);
  let best = readings[0]!;
  let bestScore = [lm.score(best, prev, next), parts(best)] as const;
  for (const r of readings.slice(1)) {
    const score = [lm.score(r, prev, next), parts(r)] as const;
    if (score[0] > bestScore[0] + 1e-9 || (Math.abs(score[0] - bestScore[0]) <= 1e-9 && score[1] > bestScore[1])) {
      best = r;
      bestScore = score;
    }
  }
  return best;
}

/** Letters lost to U+FFFD in a lossy decode. */
function replacementCharPass(texts: string[], models: RepairModels): PassResult {
  const { lexicon, lm } = models;
  const names = gazetteerNames();
  const replacements: Replacements[] = texts.map(() => new Replacements());
  let fixed = 0;
  let guesses = 0;
  let left = 0;
  let example = null as [string, string] | null;
  texts.forEach((text, page) => {
    if (!text.includes('\uFFFD')) return;
    const ranges = protectedRanges(text);
    const cursor = { i: 0 };
    for (const [start, word] of wordsWith(text, FFFD, inFffdWord, FFFD_IN_WORD)) {
      const runs = word.match(FFFD_RUN) ?? [];
      if (/\uFFFD{3}/u.test(word) || runs.length > MAX_LOST || overlaps(ranges, cursor, start, start + word.length)) {
        left++;
        continue;
      }
      const pieces = word.split(FFFD_RUN);
      const letters = pieces.join('');
      // All capitals, or a capital lost at the start of a sentence (or of a capitalized word).
      const upper = letters.length > 1 && letters === letters.toUpperCase();
      const capital = pieces[0] === '' && (/^\p{Lu}/u.test(pieces[1] ?? '') || sentenceStart(text, start));
      let readings = [''];
      for (let k = 0; k < pieces.length; k++) {
        readings = readings.map((r) => r + pieces[k]!);
        if (k < pieces.length - 1) {
          const big = upper || (k === 0 && capital);
          readings = readings.flatMap((r) => LOST_LETTERS.map((l) => r + (big ? l.toUpperCase() : l)));
        }
      }
      // A word broken over a line (`�ld-` / `reomsorg`) is judged whole.
      const before = /(\p{L}+)-[ \t]*\n\s*$/u.exec(text.slice(Math.max(0, start - MAX_REACH), start))?.[1] ?? '';
      const after = /^-[ \t]*\n\s*(\p{L}+)/u.exec(text.slice(start + word.length, start + word.length + MAX_REACH))?.[1] ?? '';
      let words = readings.filter((r) => lexicon.isWord(before + r + after));
      let guessed = false;
      if (words.length === 0) {
        // No letter makes a word (a name, a misspelling): the letter its neighbours most often
        // stand around in Swedish words.
        words = [guessLetters(pieces, upper || capital)];
        guessed = true;
      }
      const prev = /(\p{L}+)[^\p{L}]*$/u.exec(text.slice(Math.max(0, start - 40), start))?.[1]?.toLowerCase() ?? null;
      const next = /^[^\p{L}]*(\p{L}+)/u.exec(text.slice(start + word.length, start + word.length + 40))?.[1]?.toLowerCase() ?? null;
      let best = words.length === 1 ? words[0]! : bestReading(words, prev, next, models);
      // A lost capital in the middle of a sentence: a name (Älvsjö, Öberg) rather than a word (är, över).
      if (pieces[0] === '' && !capital && !upper && names.has(best) && lm.logUnigram(best) < RARE_WORD) best = best[0]!.toUpperCase() + best.slice(1);
      replacements[page]!.add(start, start + word.length, best);
      if (guessed) guesses++;
      else fixed++;
      example ??= [word, best];
    }
  });
  if (fixed + guesses + left === 0) return { replacements, summary: null };
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  const [w, b] = example ?? ['', ''];
  const notes = [
    guesses && `${plural(guesses, 'word')} no letter makes a word of, the likeliest letter put back`,
    left && `${plural(left, 'word')} left as written`,
  ].filter(Boolean);
  return {
    replacements,
    summary:
      `U+FFFD (a lossy decode) in ${plural(fixed + guesses + left, 'word')}` +
      (fixed + guesses ? `: the lost letter restored (e.g. ${quote(w)} → ${quote(b)})` : '') +
      (notes.length ? `; ${notes.join(', ')}` : ''),
  };
}

let letterContext: Map<string, number> | undefined;

/** How often each lost letter stands between two letters in Swedish words (sv_50k: word types). */
function letterContexts(): Map<string, number> {
  if (letterContext) return letterContext;
  const counts = new Map<string, number>();
  const add = (k: string) => counts.set(k, (counts.get(k) ?? 0) + 1);
  for (const line of readFileSync(join(DATA_DIR, 'sv_50k.txt'), 'utf8').split('\n')) {
    const w = line.slice(0, line.lastIndexOf(' '));
    for (let i = 0; i < w.length; i++) {
      if (!LOST_LETTERS.includes(w[i]!)) continue;
      const a = w[i - 1] ?? '^';
      const b = w[i + 1] ?? '$';
      add(`${a}${w[i]}${b}`);
      add(`${a}${w[i]}`);
      add(`${w[i]}${b}`);
    }
  }
  letterContext = counts;
  return counts;
}

/** The pieces of a word around its lost letters, each gap filled with the letter likeliest between its neighbours. */
function guessLetters(pieces: string[], capital: boolean): string {
  const counts = letterContexts();
  let out = pieces[0]!;
  for (let k = 1; k < pieces.length; k++) {
    const a = (out.at(-1) ?? '^').toLowerCase();
    const b = (pieces[k]![0] ?? '$').toLowerCase();
    const score = (l: string) => 100 * (counts.get(`${a}${l}${b}`) ?? 0) + (counts.get(`${a}${l}`) ?? 0) + (counts.get(`${l}${b}`) ?? 0);
    const letter = LOST_LETTERS.reduce((x, y) => (score(y) > score(x) ? y : x));
    out += (capital && k === 1 && pieces[0] === '') || (out.length > 1 && out === out.toUpperCase()) ? letter.toUpperCase() : letter;
    out += pieces[k]!;
  }
  return out;
}

const INVISIBLE = /[\u00a0\u2007\u202f]|\u00ad(?:[ \t]*\n)?|[\u200b\u2060\ufeff]/gu;

/** No-break spaces, soft hyphens, zero-width spaces, stray byte-order marks. */
function invisiblePass(texts: string[]): PassResult {
  const counts = { nbsp: 0, shy: 0, zw: 0 };
  const replacements = texts.map((text) => {
    const list = new Replacements();
    if (!/[\u00a0\u2007\u202f\u00ad\u200b\u2060\ufeff]/u.test(text)) return list;
    for (const m of text.matchAll(INVISIBLE)) {
      const ch = m[0][0]!;
      let out = '';
      if (ch === '\u00ad') {
        counts.shy++;
        // A soft hyphen where the line broke: the word was hyphenated there.
        if (m[0].length > 1) out = `-${m[0].slice(1)}`;
      } else if (/[\u200b\u2060\ufeff]/u.test(ch)) counts.zw++;
      else {
        counts.nbsp++;
        out = ' ';
      }
      list.add(m.index, m.index + m[0].length, out);
    }
    return list;
  });
  const parts = [
    counts.nbsp && `${counts.nbsp} no-break space${counts.nbsp === 1 ? '' : 's'} made spaces`,
    counts.shy && `${counts.shy} soft hyphen${counts.shy === 1 ? '' : 's'} removed`,
    counts.zw && `${counts.zw} zero-width character${counts.zw === 1 ? '' : 's'} removed`,
  ].filter(Boolean);
  return { replacements, summary: parts.length ? parts.join(', ') : null };
}

export interface EncodingRepair {
  /** Per page: the text with encoding damage reversed (the same string where there was none). */
  texts: string[];
  /** Per page: offsets in that text back to the text as read. */
  maps: OffsetMap[];
  /** What was detected and reversed, one sentence per kind; empty for clean text. */
  findings: string[];
}

/** Detects and reverses encoding damage across a document's pages (see the module comment). */
export function repairEncoding(pages: string[], models: RepairModels): EncodingRepair {
  const known = new Map<string, boolean>();
  const isWord = (w: string) => {
    let k = known.get(w);
    if (k === undefined) {
      k = models.lexicon.isWord(w);
      if (known.size > 100_000) known.clear();
      known.set(w, k);
    }
    return k;
  };
  let texts = pages;
  let maps = pages.map(() => new OffsetMap());
  const findings: string[] = [];
  const passes: Array<(t: string[]) => PassResult> = [
    // Mojibake first: it hides no-break spaces and soft hyphens (Â + U+00A0) the next pass reads.
    (t) => mojibakePass(t, isWord),
    // Then the invisible characters, which split the words the last two passes look up.
    (t) => invisiblePass(t),
    (t) => sevenBitPass(t, isWord),
    (t) => replacementCharPass(t, models),
  ];
  for (const pass of passes) {
    const result = pass(texts);
    if (result.summary) findings.push(result.summary);
    if (result.replacements.every((r) => r.length === 0)) continue;
    const current = texts;
    texts = result.texts ?? current.map((t, i) => result.replacements[i]!.apply(t));
    maps = maps.map((m, i) => (result.replacements[i]!.length ? new OffsetMap(result.replacements[i], m) : m));
  }
  return { texts, maps, findings };
}
