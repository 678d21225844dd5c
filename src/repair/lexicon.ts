/**
 * The Swedish lexicon: every inflected form of the hunspell dictionary in dictionary-sv (with the
 * roles a form may take in a compound), the gazetteer of Stockholm names and Swedish personal
 * names, and the words of clean documents of the corpus and of data/admin-sv.txt. Built once into
 * a cached file (node_modules/.cache/beslutsarkiv) that loads in well under a second.
 *
 * Compounds are analysed, not listed: kvalitets|utmärkelsen, stads|övergripande, nämnd|möte.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fold } from './fold.js';
import { expandDic, parseAff, ROLE } from './hunspell.js';

const require = createRequire(import.meta.url);
/** The package root: the nearest folder above this module with a package.json (from src/repair, or compiled in dist/src/repair). */
export const ROOT_DIR = packageRoot(dirname(fileURLToPath(import.meta.url)));
function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return resolve(from, '../..');
  }
}
export const DATA_DIR = join(ROOT_DIR, 'src', 'data');
/** Bump when the build changes. */
const BUILD_VERSION = '2';

/** Minimum length of each part of a compound (keeps "ar|ets" and the like out). */
const MIN_PART = 3;

export const WORD_RE = /[\p{L}]+(?:[-'][\p{L}]+)*/gu;

export interface LexiconSources {
  /** Extra clean texts whose words are added (e.g. the clean documents of a corpus). */
  cleanTexts?: string[];
}

/**
 * Sorted `key TAB value…` lines searched by binary search, kept as the one text they were read as
 * with the offset of each line: loading makes no string per line (a million of them took most of
 * the text worker's start-up in allocation and garbage collection), and a look-up compares
 * characters in place. Lines compare by UTF-16 code units, as JavaScript's default sort orders them.
 */
class SortedLines {
  /** Where each line starts; one more entry, the end of the text plus one. */
  private readonly starts: Uint32Array;

  constructor(readonly text: string) {
    let n = text.length === 0 ? 0 : 1;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
    const starts = new Uint32Array(n + 1);
    let k = 0;
    if (n > 0) {
      starts[k++] = 0;
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts[k++] = i + 1;
    }
    starts[k] = text.length + 1;
    this.starts = starts;
  }

  static fromLines(lines: string[]): SortedLines {
    return new SortedLines(lines.join('\n'));
  }

  get length(): number {
    return this.starts.length - 1;
  }

  /** Line i against `key TAB`: negative when the line sorts before it, 0 when the line starts with it, positive after. */
  private compare(i: number, key: string): number {
    const { text } = this;
    const start = this.starts[i]!;
    const end = this.starts[i + 1]! - 1;
    const n = key.length;
    for (let j = 0; j <= n; j++) {
      const want = j < n ? key.charCodeAt(j) : 9; // the tab after the key
      if (start + j >= end) return -1; // the line is a prefix of the target: it sorts first
      const have = text.charCodeAt(start + j);
      if (have !== want) return have - want;
    }
    return 0;
  }

  /** Index of the first line whose key is `key`, or -1. */
  private first(key: string): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(mid, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.length && this.compare(lo, key) === 0 ? lo : -1;
  }

  /** The text of line i after `key TAB`. */
  private rest(i: number, key: string): string {
    return this.text.slice(this.starts[i]! + key.length + 1, this.starts[i + 1]! - 1);
  }

  /** The values (text after the first tab) of every line with this key. */
  values(key: string): string[] {
    let i = this.first(key);
    if (i < 0) return [];
    const out: string[] = [];
    for (; i < this.length && this.compare(i, key) === 0; i++) out.push(this.rest(i, key));
    return out;
  }

  value(key: string): string | undefined {
    const i = this.first(key);
    return i < 0 ? undefined : this.rest(i, key);
  }
}

export class Lexicon {
  /** `form TAB roles`, sorted. Forms are lowercase. */
  private readonly forms: SortedLines;
  /** `fold TAB form TAB roles` for forms whose fold differs from the form (they carry diacritics), sorted. */
  private readonly folds: SortedLines;
  private readonly compoundMemo = new Map<string, string[] | null>();

  private constructor(forms: SortedLines, folds: SortedLines) {
    this.forms = forms;
    this.folds = folds;
  }

  static fromRoles(roles: Map<string, number>): Lexicon {
    const forms: string[] = [];
    const folds: string[] = [];
    for (const [form, r] of roles) {
      forms.push(`${form}\t${r}`);
      const key = fold(form);
      if (key !== form) folds.push(`${key}\t${form}\t${r}`);
    }
    // Default sort compares UTF-16 code units, as the binary search does.
    return new Lexicon(SortedLines.fromLines(forms.sort()), SortedLines.fromLines(folds.sort()));
  }

  /** The cache file: the forms table, a NUL line, the folds table. */
  serialize(): string {
    return `${this.forms.text}\n\u0000\n${this.folds.text}`;
  }

  static deserialize(text: string): Lexicon {
    const sep = text.indexOf('\n\u0000\n');
    if (sep < 0) return new Lexicon(new SortedLines(text), new SortedLines(''));
    return new Lexicon(new SortedLines(text.slice(0, sep)), new SortedLines(text.slice(sep + 3)));
  }

  get size(): number {
    return this.forms.length;
  }

  /** Words added at run time (e.g. from clean documents of the corpus), on top of the cached tables. */
  private readonly extra = new Map<string, number>();
  private readonly extraByFold = new Map<string, string[]>();

  addWords(words: Iterable<string>): void {
    for (const word of words) {
      const w = word.toLowerCase();
      if (w.length < 2 || this.rolesOf(w) & ROLE.word) continue;
      this.extra.set(w, ROLE.word | ROLE.end);
      const key = fold(w);
      if (key !== w) this.extraByFold.set(key, [...(this.extraByFold.get(key) ?? []), w]);
    }
    this.compoundMemo.clear();
  }

  private rolesOf(form: string): number {
    const v = this.forms.value(form);
    return (v === undefined ? 0 : +v) | (this.extra.get(form) ?? 0);
  }

  /** A form standing on its own (not counting compounds). */
  hasForm(word: string): boolean {
    return (this.rolesOf(word.toLowerCase()) & ROLE.word) !== 0;
  }

  /** A word: a form, a compound of forms, or hyphen-joined parts that are words or abbreviations. */
  isWord(word: string): boolean {
    const w = word.toLowerCase();
    if (this.rolesOf(w) & ROLE.word) return true;
    if (w.includes('-')) {
      const parts = word.split('-');
      return parts.every((p, i) => (p === '' ? i < parts.length - 1 : this.isWord(p) || /^[A-ZÅÄÖ]{2,}$/.test(p) || /^[A-ZÅÄÖ][a-zåäö]?[A-ZÅÄÖ]/.test(p)));
    }
    return this.compound(w) !== null;
  }

  /** The parts of a compound (lowercase), or null. */
  compound(word: string): string[] | null {
    const w = word.toLowerCase();
    const memo = this.compoundMemo.get(w);
    if (memo !== undefined) return memo;
    const result = this.splitCompound(w, true);
    if (this.compoundMemo.size > 200_000) this.compoundMemo.clear();
    this.compoundMemo.set(w, result);
    return result;
  }

  private splitCompound(w: string, first: boolean): string[] | null {
    for (let i = w.length - MIN_PART; i >= MIN_PART; i--) {
      const head = w.slice(0, i);
      if (!(this.rolesOf(head) & (first ? ROLE.begin : ROLE.middle))) continue;
      const tail = w.slice(i);
      if (this.rolesOf(tail) & ROLE.end) return [head, tail];
      if (tail.length >= 2 * MIN_PART) {
        const rest = this.splitCompound(tail, false);
        if (rest) return [head, ...rest];
      }
    }
    return null;
  }

  /** Forms (lowercase) with `role` whose fold is `key`: the key itself when it is one, and forms with diacritics. */
  private withRole(key: string, role: number): string[] {
    const out: string[] = [];
    if (this.rolesOf(key) & role) out.push(key);
    for (const v of this.folds.values(key)) {
      const tab = v.indexOf('\t');
      if (+v.slice(tab + 1) & role) out.push(v.slice(0, tab));
    }
    for (const w of this.extraByFold.get(key) ?? []) if (this.extra.get(w)! & role && !out.includes(w)) out.push(w);
    return out;
  }

  /** Words (lowercase) whose fold is `key`. */
  formsByFold(key: string): string[] {
    return this.withRole(key, ROLE.word);
  }

  /**
   * Compounds whose fold is `key`: each part found by fold with the right compound role.
   * Returns at most `limit` spellings.
   */
  compoundsByFold(key: string, limit = 8): string[] {
    const out: string[] = [];
    const walk = (rest: string, prefix: string, first: boolean, depth: number) => {
      if (out.length >= limit || depth > 3) return;
      for (let i = rest.length - MIN_PART; i >= MIN_PART; i--) {
        const heads = this.withRole(rest.slice(0, i), first ? ROLE.begin : ROLE.middle);
        if (heads.length === 0) continue;
        const tailKey = rest.slice(i);
        const tails = this.withRole(tailKey, ROLE.end);
        for (const h of heads) for (const t of tails) if (out.length < limit) out.push(prefix + h + t);
        if (tailKey.length >= 2 * MIN_PART) for (const h of heads) walk(tailKey, prefix + h, false, depth + 1);
      }
    };
    walk(key, '', true, 1);
    return out;
  }

  /** Forms differing from `word` only in diacritics (för/for), excluding the word itself. */
  twins(word: string): string[] {
    const w = word.toLowerCase();
    return this.formsByFold(fold(w)).filter((f) => f !== w);
  }
}

/** The entries of a list file (gazetteer): one a line, blank lines and # comments left out. */
export function readLines(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

function dictionaryFiles(): { aff: string; dic: string } {
  // The package exports only its index.js; the .aff/.dic files sit beside it.
  const root = dirname(require.resolve('dictionary-sv'));
  return { aff: join(root, 'index.aff'), dic: join(root, 'index.dic') };
}

export function gazetteerFiles(): string[] {
  const dir = join(DATA_DIR, 'gazetteer');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((f) => join(dir, f));
}

let names: Set<string> | undefined;

/** Every part of every name in the gazetteer (places, boards, given names, surnames), lowercase. */
export function gazetteerNames(): Set<string> {
  names ??= new Set(gazetteerFiles().flatMap((f) => readLines(f).flatMap((n) => n.toLowerCase().split(/[\s-]+/))));
  return names;
}

/** Builds the role map from all sources (about 1–2 s). */
export function buildLexiconRoles(sources: LexiconSources = {}): Map<string, number> {
  const { aff, dic } = dictionaryFiles();
  const roles = new Map<string, number>();
  const add = (form: string, r: number) => {
    const f = form.toLowerCase();
    roles.set(f, (roles.get(f) ?? 0) | r);
  };
  expandDic(readFileSync(dic, 'utf8'), parseAff(readFileSync(aff, 'utf8')), add);
  // Names: whole names, and each part of multi-word and hyphenated names; genitive forms too.
  for (const file of gazetteerFiles()) {
    for (const name of readLines(file)) {
      for (const part of name.split(/[\s-]+/)) {
        add(part, ROLE.word | ROLE.end);
        if (!/s$/i.test(part)) add(`${part}s`, ROLE.word | ROLE.begin);
      }
    }
  }
  for (const text of [readFileSync(join(DATA_DIR, 'admin-sv.txt'), 'utf8'), ...(sources.cleanTexts ?? [])]) {
    for (const m of text.matchAll(WORD_RE)) for (const part of m[0].split('-')) if (part.length > 1) add(part, ROLE.word | ROLE.end);
  }
  return roles;
}

function cacheDir(): string {
  return join(ROOT_DIR, 'node_modules/.cache/beslutsarkiv');
}

function sourcesHash(sources: LexiconSources): string {
  const h = createHash('sha256').update(BUILD_VERSION);
  const { aff, dic } = dictionaryFiles();
  for (const f of [aff, dic, join(DATA_DIR, 'admin-sv.txt'), ...gazetteerFiles()]) h.update(f).update(String(statSync(f).size)).update(String(statSync(f).mtimeMs));
  for (const t of sources.cleanTexts ?? []) h.update(t);
  return h.digest('hex').slice(0, 16);
}

let cached: { key: string; lexicon: Lexicon } | undefined;

/** Cached lexicons kept besides the current one (other checkouts sharing node_modules may use them). */
const KEEP_CACHED = 2;

/**
 * Removes all but the newest few cached lexicons: the key changes whenever a source file's size or
 * time does (a new checkout, an edited gazetteer), and each file is 21 MB.
 */
function pruneCache(current: string): void {
  const dir = dirname(current);
  const old = readdirSync(dir)
    .filter((f) => /^lexicon-[0-9a-f]{16}\.tsv$/.test(f) && join(dir, f) !== current)
    .map((f) => ({ path: join(dir, f), mtime: statSync(join(dir, f)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const { path } of old.slice(KEEP_CACHED)) rmSync(path, { force: true });
}

/**
 * The lexicon, from the on-disk cache when it is current, else built and cached.
 * Kept in memory for the life of the process.
 */
export function loadLexicon(sources: LexiconSources = {}): Lexicon {
  const key = sourcesHash(sources);
  if (cached?.key === key) return cached.lexicon;
  const file = join(cacheDir(), `lexicon-${key}.tsv`);
  let lexicon: Lexicon;
  if (existsSync(file)) {
    lexicon = Lexicon.deserialize(readFileSync(file, 'utf8'));
  } else {
    lexicon = Lexicon.fromRoles(buildLexiconRoles(sources));
    try {
      mkdirSync(cacheDir(), { recursive: true });
      // Write then rename: a concurrent reader never sees half a file.
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, lexicon.serialize());
      renameSync(tmp, file);
      pruneCache(file);
    } catch {
      /* a read-only install still works, it just builds each time */
    }
  }
  cached = { key, lexicon };
  return lexicon;
}
