/**
 * Word repair: restores damaged Swedish spelling (å/ä/ö, 1 for i, lost letters), joins line-end
 * hyphenation, and never touches what is protected (e-mail, URLs, numbers, dates, Dnr, phone
 * numbers, all-caps abbreviations) or what is right.
 *
 * Per token:
 *   - a word the lexicon knows is kept, except in a damaged document where a diacritic twin
 *     (for → för) fits its neighbours clearly better (context model);
 *   - an unknown token is looked up under the folded variants the confusion model allows, every
 *     candidate is costed by the confusion model and the context model, and the best is taken
 *     when it is cheap enough; otherwise the token is kept.
 * How damaged a document is (the share of its tokens that are unknown but cheaply repairable)
 * decides how far to go: in clean text only unknown tokens with one cheap diacritic repair change.
 */
import { createRequire } from 'node:module';
import type { Message } from '../document-file.js';
import { editCost, foldedVariants, type ConfusionModel } from './confusion.js';
import { fold, hasDiacritic, matchCase } from './fold.js';
import type { LanguageModel } from './language-model.js';
import type { Lexicon } from './lexicon.js';

export interface RepairModels {
  lexicon: Lexicon;
  confusion: ConfusionModel;
  lm: LanguageModel;
}

export interface Edit {
  start: number;
  end: number;
  actual: string;
  replacement: string;
  rule: 'diacritic' | 'ocr-confusion' | 'context' | 'digit-as-letter' | 'hyphenation';
  confidence: number;
  reason: string;
}

// natural, by module path: its index loads database drivers and prints dotenv lines.
const { DamerauLevenshteinDistance } = createRequire(import.meta.url)('natural/lib/natural/distance/levenshtein_distance.js') as {
  DamerauLevenshteinDistance: (a: string, b: string) => number;
};

/**
 * However cheap the confusion model makes it, a reading more than this many plain edits
 * (Damerau–Levenshtein) away from the token is too far-fetched to be its repair.
 */
const MAX_PLAIN_EDITS = 4;

/** A confusion reading this cheap may replace a valid word when context demands it. */
const CHEAP_CONFUSION = 1.6;

/** Share of repairable unknown tokens above which a document counts as damaged. */
export const DAMAGED_RATE = 0.02;

/**
 * Fewer repairable tokens than this never make a document damaged, whatever their share: in a
 * short text one foreign or technical word ("link", "svg") is 5 % of its words, and damaged mode
 * would then let context change valid words. Real damage (OCR, stripped å/ä/ö) repeats.
 */
export const MIN_DAMAGED_TOKENS = 3;

export interface DamageEstimate {
  /** Share of word tokens that are unknown but have a cheap repair. */
  rate: number;
  words: number;
  repairable: number;
  /** Repaired as damaged text: the rate is at least DAMAGED_RATE over at least MIN_DAMAGED_TOKENS tokens. */
  damaged: boolean;
}

const PROTECTED = [
  /(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+/gu, // e-mail (from the start of its run: linear on long runs)
  /\b(?:https?:\/\/|www\.)\S+/giu, // URL
  /\b[\w-]+(?:\.[\w-]+)*\.(?:se|com|nu|org|net|eu|stockholm)\b/giu, // bare domain
  /\b(?:Dnr|dnr|DNR|Diarienummer|diarienummer)[\s.:]*[\w.\-/ ]*?\d{4}\b/gu, // registry number
  /\b\d+(?:\.\d+)+-\d+\/\d{2,4}\b/gu, // registry number without its label
  /\b\d{4}-\d{2}-\d{2}\b/gu, // ISO date
  /(?:\+46|\b0)\d{1,3}[- ]?\d{2,3}[ ]?\d{2}[ ]?\d{2,3}\b/gu, // phone number
];

/** Token: letters and digits, hyphen- or apostrophe-joined, or broken over a line by a hyphen. */
const TOKEN_RE = /[\p{L}\d]+(?:(?:[-'’]|-[ \t]*\n\s*)[\p{L}\d]+)*/gu;
const LINE_BREAK_HYPHEN = /-[ \t]*\n\s*/;

interface Token {
  start: number;
  end: number;
  text: string;
  /** Text with a line-end hyphen joined (kept as a hyphen after an all-caps abbreviation). */
  joined: string;
  broken: boolean;
  /** Capitalized where a sentence does not start: probably a name. */
  midSentenceCapital: boolean;
}

/** The protected spans of a text, sorted and merged (so one cursor can walk them with the tokens). */
function protectedRanges(text: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const re of PROTECTED) for (const m of text.matchAll(re)) ranges.push([m.index, m.index + m[0].length]);
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const r of ranges) {
    const last = merged.at(-1);
    if (last && r[0] < last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push(r);
  }
  return merged;
}

/** A bullet OCR reads at the start of a line: o, •, *, -, –, ·, ►. */
const BULLET = /(?:^|\n)[ \t]*[o•*\-–·►][ \t]+$/;

/**
 * Whether a capital here is explained by the start of a sentence (or list item, or the text).
 * Line breaks do not count: extracted and OCRed text breaks lines mid-sentence.
 */
function isSentenceStart(text: string, at: number): boolean {
  if (BULLET.test(text.slice(Math.max(0, at - 8), at))) return true;
  let i = at - 1;
  while (i >= 0 && /\s/.test(text[i]!)) i--;
  if (i < 0) return true;
  const c = text[i]!;
  return '.!?:•–-"”('.includes(c);
}

function isLineStart(text: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
  return i < 0 || text[i] === '\n';
}

/**
 * The tokens of a text, left to right, one at a time: time and memory stay linear in the text's
 * size (a 10 MB text file is one page).
 */
function* tokenize(text: string, ranges = protectedRanges(text), capitals = true): Generator<Token> {
  let r = 0;
  for (const m of text.matchAll(TOKEN_RE)) {
    const start = m.index;
    const end = start + m[0].length;
    while (r < ranges.length && ranges[r]![1] <= start) r++;
    if (r < ranges.length && ranges[r]![0] < end) continue;
    const broken = LINE_BREAK_HYPHEN.test(m[0]);
    const joined = broken ? m[0].replace(/(\b[A-ZÅÄÖ]{2,})-[ \t]*\n\s*/gu, '$1-').replace(/-[ \t]*\n\s*/gu, '') : m[0];
    const first = m[0][0]!;
    yield {
      start,
      end,
      text: m[0],
      joined,
      broken,
      midSentenceCapital: capitals && first !== first.toLowerCase() && !isSentenceStart(text, start),
    };
  }
}

const ALL_CAPS = /^[\p{Lu}\d]{2,}$/u;
const HAS_DIGIT = /\d/;
const ONLY_DIGITS = /^\d+$/;
/** Digits OCR makes of letters; a token mixing letters with other digits is a code, not a word. */
const LETTERLIKE_DIGITS = /^[\p{L}10]+$/u;

interface Choice {
  word: string;
  cost: number;
  confidence: number;
}

export class TextRepairer {
  private readonly candidateMemo = new Map<string, Array<{ word: string; cost: number }>>();

  constructor(private readonly m: RepairModels) {}

  /** Words (lowercase) a damaged token may stand for, with their confusion cost, cheapest first. */
  candidates(token: string, maxEdits = token.length > 3 ? 2 : 1): Array<{ word: string; cost: number }> {
    const lower = token.toLowerCase();
    const memoKey = `${maxEdits}:${lower}`;
    const memo = this.candidateMemo.get(memoKey);
    if (memo) return memo;
    const found = new Map<string, number>();
    const { lexicon, confusion } = this.m;
    for (const [key, edits] of foldedVariants(lower, confusion, maxEdits)) {
      const forms = lexicon.formsByFold(key);
      // Compounds are analysed for the cheaper variants only: enough for real damage, and fast.
      const all = edits <= 1 && forms.length === 0 && key.length >= 6 ? lexicon.compoundsByFold(key) : forms;
      for (const w of all) {
        if (found.has(w) || DamerauLevenshteinDistance(lower, w) > MAX_PLAIN_EDITS) continue;
        found.set(w, editCost(lower, w, confusion));
      }
    }
    found.delete(lower);
    const list = [...found].map(([word, cost]) => ({ word, cost })).sort((a, b) => a.cost - b.cost).slice(0, 12);
    if (this.candidateMemo.size > 50_000) this.candidateMemo.clear();
    this.candidateMemo.set(memoKey, list);
    return list;
  }

  private readonly strings = new Map<string, string>();

  /**
   * One copy of each replacement and reason: a damaged text repeats its damaged words, and a
   * 10 MB one has hundreds of thousands of edits, each kept as a message.
   */
  private intern(s: string): string {
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    if (this.strings.size > 50_000) this.strings.clear();
    this.strings.set(s, s);
    return s;
  }

  private readonly knownMemo = new Map<string, boolean>();

  /** Whether the lexicon knows a word; remembered, since running text repeats its words. */
  private isKnown(word: string): boolean {
    let known = this.knownMemo.get(word);
    if (known === undefined) {
      known = this.m.lexicon.isWord(word);
      if (this.knownMemo.size > 100_000) this.knownMemo.clear();
      this.knownMemo.set(word, known);
    }
    return known;
  }

  /**
   * The protected spans of the texts {@link damageEstimate} read, for {@link repair} to take rather
   * than find again (each taken once; cleared when the next document's rate is estimated).
   */
  private readonly rangesOf = new Map<string, Array<[number, number]>>();

  /** How damaged the texts of one document are (the share of word tokens that are unknown but have a cheap repair), and whether to repair them as damaged. */
  damageEstimate(texts: string[]): DamageEstimate {
    let words = 0;
    let repairable = 0;
    this.rangesOf.clear();
    for (const text of texts) {
      const ranges = protectedRanges(text);
      this.rangesOf.set(text, ranges);
      // Whether a capital starts a sentence is not read here.
      for (const t of tokenize(text, ranges, false)) {
        const w = t.joined;
        if (w.length < 2 || ONLY_DIGITS.test(w) || ALL_CAPS.test(w)) continue;
        words++;
        if (this.isKnown(w) || w.includes('-')) continue;
        if (!LETTERLIKE_DIGITS.test(w)) continue;
        const best = this.candidates(w)[0];
        if (best && best.cost <= 2.0) repairable++;
      }
    }
    const rate = words === 0 ? 0 : repairable / words;
    return { rate, words, repairable, damaged: rate >= DAMAGED_RATE && repairable >= MIN_DAMAGED_TOKENS };
  }

  private choose(token: string, prev: string | null, next: string | null, damaged: boolean, nameLike: boolean): Choice | null {
    const cands = this.candidates(token);
    if (cands.length === 0) return null;
    // In clean text an unknown word is more likely a rare word or a name than damage.
    // Clean text: one diacritic-like repair at most (cheaper than a doubled consonant).
    const maxCost = nameLike ? (damaged ? 2.2 : 1.2) : damaged ? 4.6 : 1.5;
    // A capitalized unknown word may be a name the lexicon lacks: only letter-for-letter repairs
    // (damaged diacritics), or cheap ones, never letters added or taken away at a cost.
    const capital = token[0] !== token[0]!.toLowerCase();
    const allowed = (c: { word: string; cost: number }) =>
      c.cost <= maxCost && (!capital || !damaged || c.cost <= 2.2 || (c.word.length === token.length && c.cost <= 3.2));
    const { lm } = this.m;
    let best: Choice | null = null;
    let second = -Infinity;
    for (const c of cands) {
      if (!allowed(c)) continue;
      const score = -c.cost + 0.45 * lm.score(c.word, prev, next);
      const choice = { word: c.word, cost: c.cost, confidence: score };
      if (!best || score > best.confidence) {
        if (best) second = Math.max(second, best.confidence);
        best = choice;
      } else second = Math.max(second, score);
    }
    if (!best) return null;
    const margin = second === -Infinity ? 3 : best.confidence - second;
    return { word: best.word, cost: best.cost, confidence: Math.round((1 / (1 + Math.exp(-margin))) * 100) / 100 };
  }

  /**
   * A valid word that another reading fits clearly better (damaged documents only): a diacritic
   * twin (for → för) or a cheap confusion reading (dr → är, lirande → lärande).
   */
  private readonly readingsMemo = new Map<string, Map<string, number>>();

  /** The other words a valid word may be a damaged reading of, with their cost (they depend on the word alone). */
  private swapReadings(lower: string): Map<string, number> {
    const memo = this.readingsMemo.get(lower);
    if (memo) return memo;
    const readings = new Map<string, number>();
    const { confusion } = this.m;
    for (const t of this.m.lexicon.twins(lower)) readings.set(t, editCost(lower, t, confusion));
    // Confusable valid words are short (dr/är, far/får); one edit finds every cheap reading.
    // Only forms the dictionary lists: an analysed compound (resurs|ser) is no reason to doubt a word.
    if (lower.length <= 8) {
      for (const c of this.candidates(lower, 1)) if (c.cost <= CHEAP_CONFUSION && !readings.has(c.word) && this.m.lexicon.hasForm(c.word)) readings.set(c.word, c.cost);
    }
    // A long compound may end in the stripped twin of a common word (stadsdelsdirektor).
    const parts = lower.length > 8 && !hasDiacritic(lower) ? this.m.lexicon.compound(lower) : null;
    if (parts) for (const c of this.m.lexicon.compoundsByFold(lower)) if (c !== lower && !readings.has(c)) readings.set(c, editCost(lower, c, confusion));
    if (this.readingsMemo.size > 50_000) this.readingsMemo.clear();
    this.readingsMemo.set(lower, readings);
    return readings;
  }

  private contextSwap(word: string, prev: string | null, next: string | null): Choice | null {
    const lower = word.toLowerCase();
    const readings = this.swapReadings(lower);
    if (readings.size === 0) return null;
    const own = this.fit(lower, prev, next);
    let best: Choice | null = null;
    for (const [t, cost] of readings) {
      const gain = this.fit(t, prev, next) - own - cost;
      if (gain > 1.0 && (!best || gain > best.confidence)) best = { word: t, cost, confidence: gain };
    }
    if (!best) return null;
    return { ...best, confidence: Math.round((1 / (1 + Math.exp(-best.confidence))) * 100) / 100 };
  }

  /** Context fit of a word; a compound the model has never seen is judged by its last part. */
  private fit(word: string, prev: string | null, next: string | null): number {
    const { lm, lexicon } = this.m;
    if (word.length > 8 && lm.logUnigram(word) < -17) {
      const parts = lexicon.compound(word);
      if (parts) return lm.score(parts[parts.length - 1]!, prev, next);
    }
    return lm.score(word, prev, next);
  }

  /** The edits that repair `text`; `damaged` from {@link damageEstimate} over the whole document. */
  /** The text being repaired (for edits that look past their token). */
  private text = '';

  repair(text: string, damaged: boolean): Edit[] {
    this.text = text;
    const edits: Edit[] = [];
    let prevWord: string | null = null;
    // One token of lookahead and one behind: the context model needs no more.
    const ranges = this.rangesOf.get(text);
    this.rangesOf.delete(text);
    const tokens = tokenize(text, ranges ?? protectedRanges(text));
    let before: Token | undefined;
    let t = tokens.next().value as Token | undefined;
    while (t) {
      const nextTok = tokens.next().value as Token | undefined;
      const next = nextTok && this.isKnown(nextTok.joined) ? nextTok.joined.toLowerCase() : null;
      const edit = this.repairToken(t, prevWord, next, damaged, before, nextTok);
      if (edit) edits.push(edit);
      const final = edit ? edit.replacement : t.joined;
      prevWord = /^[\p{L}]+$/u.test(final) ? final.toLowerCase() : null;
      before = t;
      t = nextTok;
    }
    return edits;
  }

  private repairToken(t: Token, prev: string | null, next: string | null, damaged: boolean, before?: Token, after?: Token): Edit | null {
    const word = t.joined;
    const edit = (replacement: string, rule: Edit['rule'], confidence: number, reason: string): Edit | null => {
      if (replacement === t.text) return null;
      replacement = this.intern(replacement);
      reason = this.intern(reason);
      if (!t.broken) return { start: t.start, end: t.end, actual: this.intern(t.text), replacement, rule, confidence, reason };
      // A word joined over a line break keeps the text's lines: the break moves to after the
      // word (taking the place of the space that followed it).
      const lineBreak = t.text.match(/-[ \t]*(\n\s*)/u)![1]!.replace(/[ \t]+$/u, '');
      const tail = /^[ \t]+/u.exec(this.text.slice(t.end))?.[0].length ?? 0;
      const end = t.end + tail;
      const atLineEnd = tail > 0 || end >= this.text.length || this.text[end] === '\n';
      return {
        start: t.start,
        end,
        actual: this.text.slice(t.start, end),
        replacement: atLineEnd && this.text[end] !== '\n' && end < this.text.length ? replacement + lineBreak : replacement,
        rule,
        confidence,
        reason,
      };
    };
    const joinNote = t.broken ? ' (line-end hyphen joined)' : '';

    // "vinnarna 1 årets": a lone 1 between words is an i.
    if (word === '1') {
      const wordy = (x?: Token) => !!x && /^[\p{L}]+$/u.test(x.joined) && !/^(?:och|eller|till|av|sida|punkt|bilaga|kapitel|nr)$/i.test(x.joined);
      // "1." and "1)" number a list, as does a 1 that starts a line.
      const numbering = /^[.)]/.test(this.text.slice(t.end, t.end + 1)) || isLineStart(this.text, t.start);
      if (damaged && !numbering && wordy(before) && wordy(after)) {
        return edit('i', 'digit-as-letter', 0.9, 'a lone "1" between words is the preposition "i"');
      }
      return null;
    }
    if (ONLY_DIGITS.test(word) || ALL_CAPS.test(word)) return null;
    if (HAS_DIGIT.test(word) && !LETTERLIKE_DIGITS.test(word)) return null;

    // Hyphen-joined words: repair each part (LSS-hélsan → LSS-hälsan).
    if (word.includes('-') || word.includes("'") || word.includes('’')) {
      const parts = word.split(/([-'’])/);
      let changed = false;
      const fixed = parts.map((p, k) => {
        if (k % 2 === 1 || p.length < 2 || ALL_CAPS.test(p) || this.isKnown(p)) return p;
        const c = this.choose(p, k === 0 ? prev : null, k === parts.length - 1 ? next : null, damaged, false);
        if (!c) return p;
        changed = true;
        return matchCase(c.word, p);
      });
      const out = fixed.join('');
      if (changed) return edit(out, out.toLowerCase() === word.toLowerCase() ? 'hyphenation' : fold(out) === fold(word) ? 'diacritic' : 'ocr-confusion', 0.8, `repaired part of a hyphenated word${joinNote}`);
      return t.broken ? this.hyphenJoin(t, edit) : null;
    }

    if (this.isKnown(word)) {
      if (damaged) {
        const swap = this.contextSwap(word, prev, next);
        if (swap) return edit(matchCase(swap.word, word), 'context', swap.confidence, `"${word}" is a word, but "${swap.word}" fits its context far better in this damaged text${joinNote}`);
      }
      return t.broken ? this.hyphenJoin(t, edit) : null;
    }

    const choice = this.choose(word, prev, next, damaged, t.midSentenceCapital);
    if (!choice) return t.broken ? this.hyphenJoin(t, edit) : null;
    const replacement = matchCase(choice.word, word);
    const rule: Edit['rule'] = fold(choice.word) === fold(word) ? 'diacritic' : 'ocr-confusion';
    return edit(replacement, rule, choice.confidence, `unknown word; "${replacement}" is the cheapest reading under the confusion model (cost ${choice.cost.toFixed(1)})${joinNote}`);
  }

  /** A word broken over a line: joined when the joined form is a word, else the hyphen stays. */
  private hyphenJoin(t: Token, edit: (r: string, rule: Edit['rule'], c: number, reason: string) => Edit | null): Edit | null {
    const joined = t.joined;
    // A suspended compound ("vård- och omsorgsboende", "sim- och idrottshall"): the hyphen ends the
    // first part and the conjunction is a word of its own.
    const suspended = /^([\p{L}]+)-[ \t]*\n\s*(och|eller|samt|respektive|resp)$/iu.exec(t.text);
    if (suspended) return edit(`${suspended[1]}- ${suspended[2]}`, 'hyphenation', 0.95, `suspended compound: "${suspended[1]}-" stays, "${suspended[2]}" is a word of its own`);
    // A capital after the break starts another word (a side column's name merged into the line), not a compound's end.
    if (/-[ \t]*\n\s*\p{Lu}/u.test(t.text) && !/^\p{Lu}+-/u.test(t.text)) return null;
    if (this.isKnown(joined)) return edit(joined, 'hyphenation', 0.95, `line-end hyphenation joined: "${joined}" is a word`);
    // Not a word when joined: keep the hyphen, but on one line.
    const kept = t.text.replace(/-[ \t]*\n\s*/u, '-');
    return this.isKnown(kept) ? edit(kept, 'hyphenation', 0.7, 'hyphen kept: the parts are words, the joined form is not') : null;
  }
}

/** Applies edits (non-overlapping, any order) to a text. */
export function applyEdits(text: string, edits: Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const e of sorted) {
    if (e.start < at) continue;
    out += text.slice(at, e.start) + e.replacement;
    at = e.end;
  }
  return out + text.slice(at);
}

export function editToMessage(e: Edit, page: number): Message {
  return {
    stage: 'normalize',
    rule: e.rule,
    severity: 'info',
    reason: e.reason,
    page,
    start: e.start,
    end: e.end,
    actual: e.actual,
    expected: [e.replacement],
    confidence: e.confidence,
  };
}
