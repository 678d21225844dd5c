/**
 * The units (enheter) that take part, with department, operator, provider and class, read from
 * the layout's blocks with the grammar in grammar.ts:
 *
 * 1. Participation: a unit noun phrase in a clause whose predicate is participation (delta,
 *    anmäl-, nominer-, tävla, ställa upp, representera …), in a list item under an intro that
 *    says so, or in a table with a unit column. A withdrawal or denial (deltar inte, avstår,
 *    återkallat) anywhere removes the unit; the preterite (deltog, vann, anmälde intresse) is
 *    history, not participation.
 * 2. Attributes attach to unit mentions anywhere in the document: class phrases by position in
 *    the clause (gapping: "A i klass X, B i klass Y"), collective statements ("Samtliga tävlar i
 *    klassen …", "Båda hör till …"), department phrases after a link word (tillhör, inom, hör till,
 *    a comma in a list item, a bracket) or fronted ("Från avdelningen för X anmäls A och B"),
 *    operators from "i egen regi", "drivs (på entreprenad) av Bolaget AB", "fristående".
 */
import type { ClassKey, Unit } from '../../schemas/record.js';
import { fold } from '../repair/fold.js';
import { docOffset, sentencesOf, type Block, type Sentence } from '../layout/blocks.js';
import { classAt, EXCEPT, isNameWord, PARTICIPATES, PREPOSITION, tokenize, unitHead, unitMentions, VERB, WITHDRAWS, type Token, type UnitMention } from './grammar.js';

export interface FoundUnit {
  unit: Unit;
  /** Document offsets of the mention that made it a unit. */
  start: number;
  end: number;
  rule: string;
  confidence: number;
}

/** "stödboendet Lönnen" → "Stödboendet Lönnen"; "Innerstaden -RVCi" → "Innerstaden (RVCi)". */
export function canonicalUnitName(name: string): string {
  const n = name
    .replace(/\s+/gu, ' ')
    .trim()
    .replace(/^["”“']|["”“']$/gu, '')
    .replace(/\s+-\s*(\p{Lu}[\p{L}]{1,7})$/u, ' ($1)')
    .replace(/\s+,/gu, ',');
  return n ? n[0]!.toUpperCase() + n.slice(1) : n;
}

/** Keys of names seen (a name is keyed many times over a document; a long one repeats names). */
const unitKeys = new Map<string, string>();

export function unitKey(name: string): string {
  let key = unitKeys.get(name);
  if (key === undefined) {
    key = fold(name).replace(/[^\p{L}\p{N}]/gu, '');
    if (unitKeys.size >= 50_000) unitKeys.clear();
    unitKeys.set(name, key);
  }
  return key;
}

/** The key of a name without its appositive qualifier ("X, område Y" → "X"). */
const baseKeys = new Map<string, string>();

function baseKey(name: string): string {
  let key = baseKeys.get(name);
  if (key === undefined) {
    key = unitKey(name.split(',')[0]!.replace(/\s*\([^)]*\)$/u, ''));
    if (baseKeys.size >= 50_000) baseKeys.clear();
    baseKeys.set(name, key);
  }
  return key;
}

export interface UnitContext {
  administration: string | null;
  board: string | null;
}

interface Clause {
  text: string;
  /** Offset of the clause in its block's text. */
  start: number;
  tokens: Token[];
  mentions: UnitMention[];
  sentence: Sentence;
}

const CONTAINER_BEFORE = /^(?:från|inom|hos|av|vid|under|för|i)$/iu;
const COLLECTIVE = /(?<![\p{L}\d])(?:samtliga|alla|båda|bägge|enheterna|verksamheterna|dessa(?: enheter| verksamheter)?|de(?: tre| två| fyra| fem| sex)? enheterna|\p{L}+s (?:egna )?(?:enheter|verksamheter)|(?:två|tre|fyra|fem|sex|sju|åtta|nio|tio) enheter|de)\b/iu;
const NUMBER_WORDS: Record<string, number> = { en: 1, ett: 1, två: 2, tre: 3, fyra: 4, fem: 5, sex: 6, sju: 7, åtta: 8, nio: 9, tio: 10, elva: 11, tolv: 12 };

function clausesOf(s: Sentence): Clause[] {
  // Clauses joined by "men", "medan", "eftersom" or a semicolon carry their own polarity.
  const out: Clause[] = [];
  let start = 0;
  const cut = /(?:,?\s+(?:men|medan|eftersom|däremot)\s+|;\s*)/giu;
  const pieces: Array<[number, number]> = [];
  for (const m of s.text.matchAll(cut)) {
    pieces.push([start, m.index]);
    start = m.index + m[0].length;
  }
  pieces.push([start, s.text.length]);
  for (const [a, b] of pieces) {
    const text = s.text.slice(a, b);
    const tokens = tokenize(text);
    const mentions = unitMentions(text, tokens);
    // The tokens are read only around mentions: a clause without one does not keep them (a long
    // document's clauses are all held until its attributes are read).
    out.push({ text, start: s.start + a, tokens: mentions.length ? tokens : [], mentions, sentence: s });
  }
  return out;
}

/**
 * Conjuncts coordinated with unit mentions are units too, even without a unit-type head
 * ("Äldre direkt och Larmcentralen för trygghetslarm är anmälda"): a capitalized phrase of at most
 * three words, joined to a mention by a comma, "och" or "samt", before the clause's verb.
 */
function headlessConjuncts(c: Clause, mentions: UnitMention[]): Array<{ name: string; start: number; end: number }> {
  if (!mentions.length) return [];
  const toks = c.tokens;
  const out: Array<{ name: string; start: number; end: number }> = [];
  const taken = (k: number) => mentions.some((m) => k >= m.from && k < m.to);
  const first = mentions[0]!;
  const last = mentions[mentions.length - 1]!;
  // Before the first mention: back to "att", ":" or the clause start.
  let k = first.from - 1;
  const seq: Array<[number, number]> = [];
  while (k >= 0 && /^(?:,|och|samt)$/u.test(toks[k]!.text)) {
    let s = k - 1;
    while (s >= 0 && s > k - 4 && !/^(?:,|och|samt|att|:|som|med|i)$/u.test(toks[s]!.text) && !VERB.test(toks[s]!.text) && !taken(s)) s--;
    const from = s + 1;
    if (from >= k || !/^\p{Lu}/u.test(toks[from]!.text) || unitHead(toks[from]!.text)) break;
    seq.push([from, k]);
    k = from - 1;
  }
  // After the last mention: a chain of conjuncts up to the verb or the clause's end.
  k = last.to;
  const chain: Array<[number, number]> = [];
  while (k < toks.length && /^(?:,|och|samt)$/u.test(toks[k]!.text)) {
    let e = k + 1;
    while (e < toks.length && e < k + 4 && !/^(?:,|och|samt|:|som|i|till|[.!?])$/u.test(toks[e]!.text) && !VERB.test(toks[e]!.text) && !taken(e)) e++;
    if (e === k + 1 || !/^\p{Lu}/u.test(toks[k + 1]!.text) || taken(e)) break;
    chain.push([k + 1, e]);
    k = e;
  }
  if (chain.length && (k >= toks.length || VERB.test(toks[k]!.text) || (k === toks.length - 1 && /^[.!?]$/u.test(toks[k]!.text)))) seq.push(...chain);
  for (const [a, b] of seq) {
    const words = toks.slice(a, b).map((t) => t.text);
    if (!words.every((w) => /^[\p{L}-]+$/u.test(w)) || words.some((w) => PREPOSITION.test(w)) || !isNameWord(words[0]!)) continue;
    out.push({ name: c.text.slice(toks[a]!.start, toks[b - 1]!.end), start: toks[a]!.start, end: toks[b - 1]!.end });
  }
  return out;
}

function isContainer(c: Clause, m: UnitMention): boolean {
  const prev = c.tokens[m.from - 1]?.text ?? '';
  if (CONTAINER_BEFORE.test(prev)) return true;
  // A class's name ("i klassen ”Socialtjänst …”") and a company ("Resursteamet i Stockholm AB") are not units.
  if (/(?:klass|klassen)\s*["”“]?\s*$/iu.test(c.text.slice(Math.max(0, m.start - 20), m.start))) return true;
  if (/^\s*(?:i\s+\p{Lu}[\p{L}-]*\s+)?(?:AB|HB|KB|Aktiebolag)\b/u.test(c.text.slice(m.end, m.end + 30))) return true;
  // "drivs av X AB": a company
  return /^(?:AB|HB|KB|Aktiebolag)$/u.test(c.tokens[m.to]?.text ?? '') || /\b(?:AB|HB|KB)$/u.test(m.name);
}

export function findUnits(blocks: Block[], ctx: UnitContext): FoundUnit[] {
  const notUnits = new Set([ctx.administration, ctx.board].filter(Boolean).map((x) => unitKey(x!)));
  const positives = new Map<string, FoundUnit>();
  const order: string[] = [];
  const negatives = new Set<string>();
  const allClauses: Clause[] = [];

  const addPositive = (name: string, block: Block, start: number, end: number, rule: string, confidence: number) => {
    const canonical = canonicalUnitName(name);
    const key = unitKey(canonical);
    if (!key || notUnits.has(key) || key.length < 3) return;
    const existing = positives.get(key);
    if (existing) {
      existing.confidence = Math.min(1, Math.max(existing.confidence, confidence) + 0.05);
      return;
    }
    positives.set(key, { unit: { name: canonical, department: null, operator: null, provider: null, class: null }, start: docOffset(block, start), end: docOffset(block, end), rule, confidence });
    order.push(key);
  };

  let intro: { positive: boolean; text: string } | null = null;
  for (const block of blocks) {
    if (block.kind === 'header' || block.kind === 'page-header') continue;
    if (block.kind === 'table') {
      const rows = readTable(block, intro?.positive ?? false, addPositive);
      const clauses = sentencesOf(block).flatMap(clausesOf);
      allClauses.push(...clauses);
      // A table whose rows did not survive as rows (a wrapped text table) under an intro about
      // participation: the units named in it.
      if (!rows && intro?.positive) {
        for (const c of clauses) for (const m of c.mentions) if (!isContainer(c, m)) addPositive(m.name, block, c.start + m.start, c.start + m.end, 'table-text', 0.75);
      }
      continue;
    }
    const sentences = sentencesOf(block);
    for (const s of sentences) {
      const clauses = clausesOf(s);
      allClauses.push(...clauses);
      let previous: Clause | null = null;
      for (const c of clauses) {
        const pos = PARTICIPATES.test(c.text);
        const neg = WITHDRAWS.test(c.text);
        const excepted = c.mentions.filter((m) => EXCEPT.test(c.text.slice(Math.max(0, m.start - 30), m.start)));
        for (const m of excepted) negatives.add(baseKey(m.name));
        const mentions = c.mentions.filter((m) => !isContainer(c, m) && !excepted.includes(m));
        if (neg) {
          const targets = mentions.length ? mentions : (previous?.mentions ?? []);
          for (const m of targets) negatives.add(baseKey(m.name));
        } else if (pos) {
          for (const m of mentions) addPositive(m.name, block, c.start + m.start, c.start + m.end, 'participation-clause', block.kind === 'item' ? 0.9 : 0.85);
          for (const x of headlessConjuncts(c, mentions)) addPositive(x.name, block, c.start + x.start, c.start + x.end, 'coordinated-with-unit', 0.6);
        } else if (block.kind === 'item' && intro?.positive && c === clauses[0] && s === sentences[0]) {
          // A list item under an intro about participation: its first unit, or failing the grammar,
          // the item's leading name (up to a bracket, a dash or a relative clause).
          const m = mentions[0];
          if (m) addPositive(m.name, block, c.start + m.start, c.start + m.end, 'list-item', 0.85);
          else {
            const lead = /^(\p{Lu}[^()–:]*?)(?:\s*\(|\s+[–-]\s|,\s+som\s|:|$)/u.exec(c.text);
            const name = lead?.[1]?.replace(/[.,;]+$/u, '').trim();
            const clause = name ? tokenize(name).some((t) => VERB.test(t.text) || /\p{Ll}{3,}(?:as|ades|ats)$/u.test(t.text)) : true;
            if (name && !clause && UNIT_LIST_INTRO.test(intro.text) && name.split(/\s+/u).length <= 8 && !/^(?:Förvaltningen|Nämnden|Stadsdelsnämnden|Staden)\b/u.test(name)) addPositive(name, block, c.start, c.start + name.length, 'list-item-text', 0.6);
          }
        }
        previous = c;
      }
    }
    if (block.kind !== 'item' || /:$/u.test(block.text)) {
      const t = block.text;
      intro = { positive: (/:$/u.test(t) || /\bföljande\b/iu.test(t)) && PARTICIPATES.test(t) && !WITHDRAWS.test(t), text: t };
      if (block.kind === 'heading' && !/:$/u.test(t)) intro = null;
    }
  }

  // Merge names that are one unit: "Kulturskolan Stockholm" into "Kulturskolan Stockholm, område Söderort",
  // "Lilla Ekbacken" into "Förskolan Lilla Ekbacken".
  const keys = order.filter((k) => !negatives.has(baseKey(positives.get(k)!.unit.name)));
  const kept = keys.filter((k) => !keys.some((o) => o !== k && o.length > k.length && (o.startsWith(k) && positives.get(o)!.unit.name.includes(',')) || (o !== k && o.endsWith(k) && o.length > k.length && !!unitHead(positives.get(o)!.unit.name.split(' ')[0]!))));
  const units = kept.map((k) => positives.get(k)!);

  attachAttributes(units, blocks, allClauses);
  return units;
}

/** An intro whose list is of units: "följande verksamheter …:", "Deltagande enheter:". */
const UNIT_LIST_INTRO = /\bföljande\s+\p{L}*(?:enheter|verksamheter)\b|(?:enheter|verksamheter)(?:na)?\s*(?:\p{L}+\s+){0,3}:\s*$/iu;

const UNIT_COLUMN = /^(?:enhet(?:er|en|ens namn)?|verksamhet(?:er|en)?|namn|deltagande enhet(?:er)?|anmäld(?:a)? enhet(?:er)?)$/iu;

/** Units from a table's rows; false when the table has no rows of units. */
function readTable(block: Block, introPositive: boolean, add: (name: string, block: Block, start: number, end: number, rule: string, confidence: number) => void): boolean {
  const rows = block.rows ?? [];
  if (rows.length < 2) return false;
  const header = rows[0]!;
  let unitCol = header.findIndex((c) => UNIT_COLUMN.test(c.trim()));
  let body = rows.slice(1);
  if (unitCol < 0) {
    // No header: rows whose first cell is a unit and another cell a class, under an intro about participation.
    if (!introPositive) return false;
    unitCol = 0;
    body = rows;
    if (!body.every((r) => r.length >= 2 && r.slice(1).some((c) => classAt(c.trim().toLowerCase())))) return false;
  }
  const at = (name: string) => Math.max(0, block.text.indexOf(name));
  for (const r of body) {
    const name = r[unitCol]?.trim();
    if (!name || !/^\p{Lu}/u.test(name) || name.length > 90) continue;
    add(name, block, at(name), at(name) + name.length, 'table-row', 0.9);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Attributes

interface Ref {
  unit: FoundUnit;
  clause: Clause;
  mention: UnitMention;
}

function matchUnit(units: FoundUnit[], name: string): FoundUnit | null {
  const k = unitKey(canonicalUnitName(name));
  const b = baseKey(name);
  return (
    units.find((u) => unitKey(u.unit.name) === k) ??
    units.find((u) => baseKey(u.unit.name) === b) ??
    units.find((u) => unitKey(u.unit.name).endsWith(k) && k.length >= 5) ??
    null
  );
}

const CLASS_CUE = /\b(?:tävlings)?klass(?:en)?\s+/giu;
const DEPT_RE = /(?<![\p{L}])(?:avdelningen\s+för\s+|avdelningen\s+(?=\p{Lu})|(?:\p{Ll}+a\s+)?(?=\p{Ll}*avdelningen\b))/giu;
const LINK_BEFORE = /(?:tillhör|inom|hör\s+till|hör\s+organisatoriskt\s+till|tillhör\s+organisatoriskt|ligger\s+under|ligger\s+organisatoriskt\s+under|är\s+en\s+del\s+av|under|,|\(|–|-)\s*$/iu;

/** A department phrase starting at `at` in the clause text: its text and end. */
function departmentAt(text: string, at: number): { value: string; end: number } | null {
  const rest = text.slice(at);
  let m = /^avdelningen\s+för\s+/iu.exec(rest);
  if (m) {
    const toks = tokenize(rest.slice(m[0].length));
    let j = 0;
    let last = 0;
    while (j < toks.length) {
      const w = toks[j]!.text;
      if (/^(?:och|samt)$/u.test(w)) {
        const n = toks[j + 1]?.text ?? '';
        if (!/^\p{Ll}/u.test(n) || VERB.test(n) || PREPOSITION.test(n)) break;
        j++;
        continue;
      }
      if (w === ',' ) {
        const n = toks[j + 1]?.text ?? '';
        const n2 = toks[j + 2]?.text ?? '';
        if (/^\p{Ll}/u.test(n) && (n2 === ',' || /^(?:och|samt)$/u.test(n2)) && !VERB.test(n)) {
          j++;
          continue;
        }
        break;
      }
      if (!/^\p{Ll}/u.test(w) || VERB.test(w) || PREPOSITION.test(w) || /^(?:den|det|de|sedan|år)$/u.test(w)) break;
      j++;
      last = j;
    }
    if (!last) return null;
    const end = m[0].length + toks[last - 1]!.end;
    return { value: ('avdelningen för ' + rest.slice(m[0].length, end)).replace(/\s+/gu, ' '), end: at + end };
  }
  m = /^avdelningen\s+((?:\p{Lu}[\p{L}-]*)(?:\s+\p{Lu}[\p{L}-]*)*)/u.exec(rest);
  if (m) return { value: `avdelningen ${m[1]}`, end: at + m[0].length };
  m = /^((?:\p{Ll}+a\s+)?\p{Ll}*avdelningen)(?:\s+(\p{Lu}\p{Ll}+))?(?![\p{L}])/u.exec(rest);
  if (m && !/^(?:avdelningen)$/u.test(m[1]!)) {
    const name = m[2] && !/^(?:Stockholm|Stockholms)$/u.test(m[2]) && isNameWord(m[2]) ? `${m[1]} ${m[2]}` : m[1]!;
    return { value: name, end: at + (m[2] && name.includes(m[2]) ? m[0].length : m[1]!.length) };
  }
  return null;
}

function attachAttributes(units: FoundUnit[], blocks: Block[], clauses: Clause[]): void {
  if (!units.length) return;
  // A long document names the same few units over and over: each name matched once.
  const matched = new Map<string, FoundUnit | null>();
  const unitNamed = (name: string): FoundUnit | null => {
    let u = matched.get(name);
    if (u === undefined) matched.set(name, (u = matchUnit(units, name)));
    return u;
  };
  // The units whose name is in a block's text (a clause is a piece of its block's text): only
  // those are looked for literally in its clauses.
  let namedBlock: Block | null = null;
  let namedInBlock: FoundUnit[] = [];
  const refsOf = (c: Clause): Ref[] => {
    const refs = c.mentions.map((m) => ({ mention: m, clause: c, unit: unitNamed(m.name)! })).filter((r) => r.unit && !isContainer(c, r.mention));
    if (c.sentence.block !== namedBlock) {
      namedBlock = c.sentence.block;
      const blockText = namedBlock.text;
      namedInBlock = units.filter((u) => blockText.includes(u.unit.name));
    }
    // A unit named again without its grammar ("Äldre direkt drivs i egen regi"): its name, literally.
    for (const u of namedInBlock) {
      if (refs.some((r) => r.unit === u)) continue;
      const at = c.text.indexOf(u.unit.name);
      if (at < 0 || /[\p{L}]/u.test(c.text[at - 1] ?? '') || /[\p{L}]/u.test(c.text[at + u.unit.name.length] ?? '')) continue;
      if (c.mentions.some((m) => m.start <= at && at < m.end)) continue;
      refs.push({ unit: u, clause: c, mention: { name: u.unit.name, start: at, end: at + u.unit.name.length, before: '', from: -1, to: -1 } });
    }
    return refs.sort((a, b) => a.mention.start - b.mention.start);
  };
  // Units named so far, most recent last, and those named in the current block: what "båda",
  // "samtliga tre" and "enheterna" refer to.
  // Each unit once, in the order of its latest mention (re-inserted when named again).
  const recent = new Set<FoundUnit>();
  let blockUnits: FoundUnit[] = [];
  let lastBlock: Block | null = null;
  const collective = (text: string): FoundUnit[] => {
    const distinct = (list: FoundUnit[]) => [...new Set(list.slice().reverse())].reverse();
    const n = /(?<![\p{L}\d])(?:samtliga|alla|de|dessa)\s+(\d+|två|tre|fyra|fem|sex|sju|åtta|nio|tio)\b/iu.exec(text);
    if (/(?<![\p{L}])(?:båda|bägge)\b/iu.test(text) || n) {
      const count = n ? Number(n[1]) || NUMBER_WORDS[n[1]!.toLowerCase()]! : 2;
      const d = [...recent];
      return d.slice(Math.max(0, d.length - count));
    }
    if (/\b\p{L}+s\s+(?:egna\s+)?(?:enheter|verksamheter)\b/iu.test(text)) return units;
    if (COLLECTIVE.test(text)) return blockUnits.length ? distinct(blockUnits) : units;
    return [];
  };

  let lastClass: ClassKey | null = null;
  let pendingDept: { value: string; count: number } | null = null;
  let collectiveMunicipal = false;

  for (const c of clauses) {
    const refs = refsOf(c);
    const text = c.text;
    if (c.sentence.block !== lastBlock) {
      lastBlock = c.sentence.block;
      blockUnits = [];
    }
    const group = refs.length ? [] : collective(text);
    const inItem = c.sentence.block.kind === 'item' || c.sentence.block.kind === 'table';

    // --- classes: "klass(en) X" phrases, and in list items a bare class after a dash.
    // Said of no unit (no mention, no collective), a class phrase sets nothing: not looked for.
    const phrases: Array<{ at: number; key: ClassKey | 'same' }> = [];
    if (refs.length || group.length) for (const m of text.matchAll(CLASS_CUE)) {
      const after = text.slice(m.index + m[0].length);
      const k = classAt(after);
      if (k) phrases.push({ at: m.index, key: k.key });
    }
    if (refs.length || group.length) for (const m of text.matchAll(/\b(?:samma|den samma)\s+(?:tävlings)?klass\b/giu)) phrases.push({ at: m.index, key: 'same' });
    if (inItem && (refs.length || group.length)) for (const m of text.matchAll(/\s[–—|-]\s+(?=\p{L})/gu)) {
      const k = classAt(text.slice(m.index + m[0].length));
      if (k && !phrases.some((p) => Math.abs(p.at - m.index) < 20)) phrases.push({ at: m.index, key: k.key });
    }
    phrases.sort((a, b) => a.at - b.at);
    const pluralClasses = phrases.length > 0 && /\bklasser(?:na)?\b|\btävlingsklasser(?:na)?\b/iu.test(text) && phrases.length !== 1;
    if (phrases.length && !pluralClasses) {
      if (refs.length) {
        refs.forEach((r, i) => {
          const next = refs[i + 1]?.mention.start ?? Infinity;
          let p = phrases.find((x) => x.at >= r.mention.end && x.at < next);
          // Coordinated units share the class that follows the last of them ("A och B deltar i klassen X").
          if (!p) {
            const between = i + 1 < refs.length ? text.slice(r.mention.end, refs[i + 1]!.mention.start).replace(/\([^)]*\)|,\s*som\s[^,]*,/gu, '') : '';
            if (i + 1 < refs.length && /^\s*(?:,|och|samt)?\s*$/u.test(between)) {
              let j = i + 1;
              while (j < refs.length && !phrases.find((x) => x.at >= refs[j]!.mention.end && x.at < (refs[j + 1]?.mention.start ?? Infinity))) j++;
              p = j < refs.length ? phrases.find((x) => x.at >= refs[j]!.mention.end && x.at < (refs[j + 1]?.mention.start ?? Infinity)) : undefined;
            }
          }
          // "samtliga i tävlingsklass X: A, B och C": a class before the units, said of all of them.
          if (!p && phrases[0]!.at < refs[0]!.mention.start && COLLECTIVE.test(text.slice(0, phrases[0]!.at))) p = phrases[0];
          if (!p) return;
          const key = p.key === 'same' ? lastClass : p.key;
          if (key) {
            r.unit.unit.class = key;
            lastClass = key;
          }
        });
      } else if (phrases.length === 1 && phrases[0]!.key !== 'same' && group.length && /\b(?:tävlar|deltar|delta|tävla|anmäls|anmälda|föreslås)\b/iu.test(text)) {
        for (const u of group) u.unit.class ??= phrases[0]!.key as ClassKey;
      }
    }

    // --- departments
    const depts: Array<{ value: string; at: number; end: number }> = [];
    for (const m of text.matchAll(DEPT_RE)) {
      const d = departmentAt(text, m.index);
      if (d && !depts.some((x) => x.at <= m.index && m.index < x.end)) depts.push({ value: d.value, at: m.index, end: d.end });
    }
    const fronted = /^\s*(?:från|inom)\s+/iu.exec(text);
    if (fronted) {
      const d = departmentAt(text, fronted[0].length);
      const org = !d ? /^((?:\p{Lu}\p{Ll}+)(?:\s+\p{Lu}\p{Ll}+)*)/u.exec(text.slice(fronted[0].length)) : null;
      const value = d?.value ?? (org && /(?:biblioteket|kontoret|centret|avdelningen|enheten|byrån|förvaltningen)$/iu.test(org[1]!) && !/förvaltningen$/iu.test(org[1]!) ? org[1]! : null);
      if (value) for (const r of refs) r.unit.unit.department ??= value;
    }
    for (const d of depts) {
      const before = text.slice(0, d.at);
      if (!LINK_BEFORE.test(before)) {
        // "Avdelningen för äldreomsorg anmäler två enheter." — said of the units named next.
        if (d.at < 3 && !refs.length && PARTICIPATES.test(text)) {
          const n = /(?<![\p{L}\d])(\d+|en|ett|två|tre|fyra|fem|sex|sju|åtta|nio|tio)\s+(?:enheter|enhet|verksamheter)\b/iu.exec(text);
          if (n) pendingDept = { value: d.value, count: Number(n[1]) || NUMBER_WORDS[n[1]!.toLowerCase()] || 1 };
        }
        continue;
      }
      const targets = refs.filter((r) => r.mention.end <= d.at);
      const previousDept = depts.filter((x) => x.end <= d.at).pop();
      for (const r of targets) if (!previousDept || r.mention.start > previousDept.end) r.unit.unit.department ??= d.value;
      if (!targets.length) for (const u of group) u.unit.department ??= d.value;
    }
    if (pendingDept && refs.length && !depts.length) {
      for (const r of refs) {
        if (pendingDept.count <= 0) break;
        if (r.clause.sentence.block.kind === 'heading') continue;
        r.unit.unit.department ??= pendingDept.value;
        pendingDept.count--;
      }
      if (pendingDept.count <= 0) pendingDept = null;
    }

    // --- operators and providers
    const own = /\b(?:i|på)\s+(?:egen|kommunal|kommunens)\s+regi\b|\bkommunalt driven\b/iu.test(text);
    const contracted = /\bpå\s+entreprenad\b|\bi\s+privat\s+regi\b/iu.test(text);
    // Markers before a coordination say who runs the units after them ("de egna verksamheterna A och B
    // … liksom de privata utförarna C och D"); the nearest marker before a unit decides.
    const markers: Array<{ at: number; op: 'municipal' | 'private' }> = [];
    if (refs.length) for (const m of text.matchAll(/\b(?:egna|kommunala|förvaltningens\s+verksamheter|\p{L}+förvaltningens\s+(?:egna\s+)?(?:verksamheter|enheter))\b/giu)) markers.push({ at: m.index, op: 'municipal' });
    if (refs.length) for (const m of text.matchAll(/\b(?:fristående|enskilt\s+drivn\w*|privat\s+drivn\w*|privata|enskilda)\b/giu)) markers.push({ at: m.index, op: 'private' });
    const company = /(\p{Lu}[\p{L}&-]*(?:\s+(?:i\s+)?\p{Lu}[\p{L}&-]*){0,5}\s+(?:AB|HB|KB))\s*,?\s*som\s+deltar\s+med\s+$/u;
    for (const r of refs) {
      const marker = markers.filter((x) => x.at < r.mention.start).pop();
      if (marker) r.unit.unit.operator ??= marker.op;
      const via = company.exec(text.slice(Math.max(0, r.mention.start - 120), r.mention.start));
      if (via) {
        r.unit.unit.operator = 'private';
        r.unit.unit.provider ??= via[1]!;
      }
      const after = text.slice(r.mention.end, r.mention.end + 140);
      const by = /^[^.;]{0,60}?\bdrivs\s+(?:[\p{L}\d]+\s+){0,4}?av\s+((?:\p{Lu}[\p{L}&-]*)(?:\s+(?:\p{Lu}[\p{L}&-]*|&|(?:och|i)\s+\p{Lu}[\p{L}&-]*)){0,6}(?:\s+(?:ekonomisk förening|ideell förening))?)/u.exec(after);
      const nextRef = refs.find((x) => x.mention.start > r.mention.end);
      if (by && (!nextRef || r.mention.end + by.index + by[0].length <= nextRef.mention.start)) {
        const provider = by[1]!.trim();
        if (/förvaltning|nämnd|kontoret|staden/iu.test(provider)) r.unit.unit.operator ??= 'municipal';
        else {
          r.unit.unit.operator = 'private';
          r.unit.unit.provider ??= provider;
        }
      }
      const later = text.slice(r.mention.end);
      if (/^(?:[^.;]*?)\b(?:i|på)\s+(?:egen|kommunal|kommunens)\s+regi\b/iu.test(later) || (own && !marker)) r.unit.unit.operator ??= 'municipal';
      if (contracted && !own) r.unit.unit.operator ??= 'private';
      if (/^\s*är\s+(?:en\s+)?(?:förvaltningens|stadsdelsförvaltningens|nämndens)\b/iu.test(after)) r.unit.unit.operator ??= 'municipal';
    }
    if (!refs.length && own) for (const u of group) u.unit.operator ??= 'municipal';
    if (!refs.length && /\bförvaltningens\s+(?:egna\s+)?(?:enheter|verksamheter)\b/iu.test(text) && (own || /\begna\b/iu.test(text))) collectiveMunicipal = true;
    for (const r of refs) {
      recent.delete(r.unit);
      recent.add(r.unit);
      blockUnits.push(r.unit);
    }
  }

  // Table columns: class, department, operator.
  for (const b of blocks) {
    if (b.kind !== 'table' || !b.rows || b.rows.length < 2) continue;
    const header = b.rows[0]!.map((c) => c.trim().toLowerCase());
    const unitCol = header.findIndex((c) => UNIT_COLUMN.test(c));
    if (unitCol < 0) continue;
    const classCol = header.findIndex((c) => /klass/u.test(c));
    const deptCol = header.findIndex((c) => /avdelning/u.test(c));
    for (const r of b.rows.slice(1)) {
      const u = matchUnit(units, r[unitCol] ?? '');
      if (!u) continue;
      if (classCol >= 0) {
        const k = classAt((r[classCol] ?? '').trim().toLowerCase());
        if (k) u.unit.class ??= k.key;
      }
      if (deptCol >= 0 && r[deptCol]?.trim() && !u.unit.department) {
        const v = r[deptCol]!.trim();
        u.unit.department = /^avdelning/iu.test(v) ? v[0]!.toLowerCase() + v.slice(1) : v.split(/\s+/u).length === 1 && !/^\p{Lu}\p{Ll}+\p{Lu}/u.test(v) ? `avdelningen för ${v.toLowerCase()}` : `avdelningen ${v}`;
      }
    }
  }
  // "avdelningen Kontaktcenter" and a unit named "Kontaktcenter, team …": the unit belongs to it.
  for (const c of clauses) {
    for (const m of c.text.matchAll(/\b[Aa]vdelningen\s+(\p{Lu}[\p{L}-]*(?:\s+\p{Lu}[\p{L}-]*)*)/gu)) {
      for (const u of units) if (!u.unit.department && unitKey(u.unit.name).startsWith(unitKey(m[1]!)) && unitKey(u.unit.name) !== unitKey(m[1]!)) u.unit.department = `avdelningen ${m[1]}`;
    }
  }
  for (const u of units) {
    if (u.unit.operator === null && (collectiveMunicipal || u.unit.department)) u.unit.operator = 'municipal';
  }
}

/** "målet att fem enheter ska delta", "nämndens mål … att minst sex enheter ska delta". */
export function findTarget(blocks: Block[]): { value: number; block: Block; start: number; end: number } | null {
  for (const b of blocks) {
    for (const s of sentencesOf(b)) {
      if (!/\bmål\w*\b|\bindikator\w*\b/iu.test(s.text)) continue;
      const m = /(?<![\p{L}\d])(?:minst\s+|att\s+|om\s+)?(\d+|en|ett|två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv)\s+(?:enheter|verksamheter|bidrag)\b[^.]{0,60}?\b(?:ska|skulle|bör|skall)\s+(?:\p{L}+\s+)?(?:delta|tävla|anmälas|medverka)/iu.exec(s.text);
      if (!m) continue;
      const n = /^\d+$/u.test(m[1]!) ? Number(m[1]) : NUMBER_WORDS[m[1]!.toLowerCase()];
      if (n) return { value: n, block: b, start: s.start + m.index, end: s.start + m.index + m[0].length };
    }
  }
  return null;
}
