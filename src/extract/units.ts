/**
 * The units (enheter) that take part, with department, operator, provider and class.
 *
 * Names come from participation contexts: the proposal ("godkänner att X, Y och Z deltar"),
 * "X har anmält att de vill delta", "anmäler de egna verksamheterna X och Y", private providers
 * ("de enskilt drivna verksamheterna Bolaget AB, som deltar med X"), and bullet lists after
 * "följande verksamheter … delta". Companies, generic phrases, the administration itself and units
 * that withdraw are not units.
 */
import type { ClassKey, Unit } from '../../schemas/record.js';
import { fold } from '../repair/fold.js';
import { classKey } from './classes.js';
import { BULLET, flat, sentences } from './doc-text.js';

export interface FoundUnit {
  unit: Unit;
  start: number;
  end: number;
  rule: string;
}

const COMPANY = /\b(?:AB|Aktiebolag|HB|KB|Ekonomisk förening|Stiftelse(?:n)?|Ideell förening)\b\.?$/u;
/** Words that begin a phrase about units in general, not a unit's name. */
const GENERIC_START = /^(?:de|den|det|dessa|denna|samtliga|alla|följande|flera|några|två|tre|fyra|fem|sex|sju|åtta|nio|tio|respektive|övriga|egna|förvaltningens|nämndens|stadens|enheter|enheterna|verksamheter|verksamheterna|sina|sin|sitt)\b/iu;
const TYPE_WORD = /^\p{Ll}[\p{L}-]*(?:et|en|an|na|orna|erna|arna)$/u;

/** Where a list of names may be cut: before a capitalized word, or a type word followed by one. */
function splitList(list: string): string[] {
  const text = flat(list).replace(/\s+,/g, ',');
  const items: string[] = [];
  let current = '';
  const tokens = text.split(/(,\s*|\s+och\s+|\s+samt\s+)/u);
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (i % 2 === 0) {
      current += tok;
      continue;
    }
    const next = tokens[i + 1] ?? '';
    const words = next.split(/\s+/);
    const startsName = /^\p{Lu}/u.test(next) || (TYPE_WORD.test(words[0] ?? '') && /^\p{Lu}/u.test(words[1] ?? ''));
    if (startsName) {
      items.push(current);
      current = '';
    } else current += tok;
  }
  items.push(current);
  return items.map((s) => s.trim().replace(/[.,;:]+$/u, '').trim()).filter(Boolean);
}

/** "stödboendet Lönnen" → "Stödboendet Lönnen"; "Innerstaden -RVCi" → "Innerstaden (RVCi)". */
export function canonicalUnitName(name: string): string {
  let n = flat(name)
    .replace(/^["”“']|["”“']$/gu, '')
    .replace(/\s+-\s*(\p{Lu}[\p{L}]{1,7})$/u, ' ($1)');
  n = n[0]!.toUpperCase() + n.slice(1);
  return n;
}

export function unitKey(name: string): string {
  return fold(name).replace(/[^\p{L}\p{N}]/gu, '');
}

function isUnitName(item: string, administration: string | null): boolean {
  if (item.length < 3 || item.length > 90) return false;
  if (!/\p{L}/u.test(item)) return false;
  if (GENERIC_START.test(item)) return false;
  if (COMPANY.test(item)) return false;
  const f = fold(item);
  if (/^(?:forvaltningen|namnden|stadsledningskontoret|staden|kvalitetsutmarkelsen)$/u.test(f)) return false;
  if (administration && f === fold(administration)) return false;
  // A name starts with a capital, or with a type word followed by a capitalized name.
  const words = item.split(/\s+/);
  return /^\p{Lu}/u.test(item) || (TYPE_WORD.test(words[0]!) && /^\p{Lu}/u.test(words[1] ?? ''));
}

interface Context {
  re: RegExp;
  operator: 'municipal' | 'private' | null;
  rule: string;
}

/** Participation contexts: the list of names is the first group. */
const CONTEXTS: Context[] = [
  { re: /\bgodkänner att (.+?) (?:får )?delta(?:r)? i\b/u, operator: null, rule: 'proposal' },
  { re: /\bgodkänner att (.+?) (?:får )?tävla(?:r)? i\b/u, operator: null, rule: 'proposal' },
  { re: /^(.+?) har anmält (?:att (?:de|den|hon|han) (?:vill|önskar) delta|sitt deltagande|intresse)/u, operator: null, rule: 'registered' },
  { re: /\banmäler (?:de |sina )?egna (?:verksamheterna|enheterna|verksamheten|enheten) (.+?)$/u, operator: 'municipal', rule: 'own-units' },
  { re: /\banmäler (?:verksamheterna|enheterna|verksamheten|enheten) (.+?)$/u, operator: null, rule: 'registered-units' },
  { re: /\b\p{L}*förvaltningens (?:egna )?(?:verksamheter|enheter) (.+?) deltar\b/u, operator: 'municipal', rule: 'own-units' },
  { re: /\b(?:de )?(?:enskilt drivna|privata) (?:verksamheterna|utförarna|enheterna) (.+?)$/u, operator: 'private', rule: 'private-units' },
];

export interface UnitOptions {
  administration: string | null;
}

export function findUnits(text: string, options: UnitOptions): FoundUnit[] {
  const found: FoundUnit[] = [];
  const add = (name: string, start: number, end: number, rule: string, operator: Unit['operator'], provider: string | null = null) => {
    const canonical = canonicalUnitName(name);
    const key = unitKey(canonical);
    const existing = found.find((f) => unitKey(f.unit.name) === key || unitKey(f.unit.name.replace(/\s*\([^)]*\)$/u, '')) === key);
    if (existing) {
      existing.unit.operator ??= operator;
      existing.unit.provider ??= provider;
      return;
    }
    found.push({ unit: { name: canonical, department: null, operator, provider, class: null }, start, end, rule });
  };

  const sents = sentences(text);
  const flatText = flat(text);
  for (const s of sents) {
    const sentence = flat(s.text);
    for (const ctx of CONTEXTS) {
      for (const clause of sentence.split(/(?<=\.)\s+|;\s*/u)) {
        const m = ctx.re.exec(clause);
        if (!m) continue;
        let list = m[1]!.replace(/\s+liksom\s.*$/u, '');
        // "Bolaget AB, som deltar med X samt Y": the company runs X.
        let provider: string | null = null;
        let providedCount = 0;
        const company = /^(.*?\b(?:AB|Aktiebolag|HB|KB))\s*,?\s*som deltar med\s+(.*)$/u.exec(list);
        if (company) {
          provider = company[1]!.trim();
          list = company[2]!;
          providedCount = splitList(list.split(/\s+samt\s+/u)[0]!).length;
        }
        const items = splitList(list);
        items.forEach((item, i) => {
          if (!isUnitName(item, options.administration)) return;
          add(item, s.start, s.end, ctx.rule, ctx.operator, i < providedCount ? provider : null);
        });
      }
    }
    // "… liksom de privata utförarna A, B och C."
    const like = /\bliksom de (?:privata utförarna|enskilt drivna verksamheterna) (.+?)\.?$/u.exec(sentence);
    if (like) for (const item of splitList(like[1]!)) if (isUnitName(item, options.administration)) add(item, s.start, s.end, 'private-units', 'private');
  }

  // Bullet lists after "följande verksamheter/enheter … delta" (the intro may wrap over a line):
  // one unit a line, and commas belong to the name.
  const intro = /följande\s+(?:verksamheter|enheter)\b[^]*?(?:delta|anmäl|tävla)[^\n]*/giu;
  for (const m of text.matchAll(intro)) {
    if (m[0].length > 200) continue;
    const own = /\binom \p{L}+s? (?:stadsdelsförvaltning|förvaltning)|\bförvaltningens\b/iu.test(m[0]);
    let at = m.index + m[0].length + 1;
    let items = 0;
    let skipped = 0;
    for (const line of text.slice(at).split('\n')) {
      const lineStart = at;
      at += line.length + 1;
      if (!line.trim() || (items === 0 && skipped < 2 && !BULLET.test(line) && ++skipped)) continue;
      if (!BULLET.test(line)) break;
      const item = /^(.+?)\s*(?:\((.+?)\))?\s*$/u.exec(line.replace(BULLET, ''));
      items++;
      if (!item || !isUnitName(item[1]!, options.administration)) continue;
      add(item[1]!, lineStart, lineStart + line.length, 'bullet-list', own ? 'municipal' : null);
      const dept = item[2];
      if (dept && /avdelning/iu.test(dept)) {
        const u = found.find((f) => unitKey(f.unit.name) === unitKey(canonicalUnitName(item[1]!)));
        if (u) {
          u.unit.department ??= flat(dept);
          u.unit.operator ??= 'municipal';
        }
      }
    }
  }

  withdrawn(sents, found);
  departments(flatText, found);
  operators(sents, flatText, found);
  classes(flatText, found);
  return found;
}

type Sentence = ReturnType<typeof sentences>[number];

/** A unit's name (without an abbreviation in brackets) as a literal regular-expression source. */
function namePattern(name: string): string {
  return name.replace(/\s*\([^)]*\)$/u, '').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Units said to withdraw or not take part are not units. */
function withdrawn(sents: Sentence[], found: FoundUnit[]): void {
  const cues = /\b(?:dragit tillbaka|drar tillbaka|drar sig ur|dragit sig ur|avstår|avböjt|deltar inte|inte delta|inte kommer att delta|har lämnat återbud)\b/iu;
  for (const s of sents) {
    const sentence = flat(s.text);
    if (!cues.test(sentence)) continue;
    for (let i = found.length - 1; i >= 0; i--) {
      const name = found[i]!.unit.name;
      if (fold(sentence).includes(fold(name)) && !/\b(?:godkänner att|deltar i årets)\b/u.test(sentence)) found.splice(i, 1);
    }
  }
}

const DEPARTMENT = /(avdelningen för (?:\p{Ll}[\p{Ll}-]*(?:\s+(?:och|samt)\s+|\s+|(?=[\s.,;)]|$)))+|\p{Ll}+avdelningen|\p{Ll}+ avdelningen)/u;

/** "X tillhör (organisatoriskt) avdelningen för …", "X ligger under …", "X (sociala avdelningen)". */
function departments(flatText: string, found: FoundUnit[]): void {
  for (const f of found) {
    if (f.unit.department) continue;
    const m = new RegExp(`${namePattern(f.unit.name)}\\s+(?:tillhör(?: organisatoriskt)?|ligger (?:organisatoriskt )?under|hör till|hör organisatoriskt till|är en del av|finns inom)\\s+`, 'iu').exec(flatText);
    if (!m) continue;
    const rest = flatText.slice(m.index + m[0].length);
    const d = DEPARTMENT.exec(rest);
    if (!d || d.index !== 0) continue;
    // "… beredskap och administration och LSS/SoL-hälsan ligger under …": stop before the next unit.
    const dept = d[1]!.replace(/\s+(?:och|samt)\s*$/u, '').trim();
    f.unit.department = dept;
    f.unit.operator ??= 'municipal';
  }
}

/** "drivs av Bolaget AB": private, with its provider; "drivs i egen regi": municipal. */
function operators(sents: Sentence[], flatText: string, found: FoundUnit[]): void {
  for (const s of sents) {
    const sentence = flat(s.text);
    const own = /\b(?:i|på) (?:egen|kommunal) regi\b/iu.test(sentence);
    const contracted = /\b(?:i privat regi|på entreprenad)\b/iu.test(sentence);
    if (!own && !contracted) continue;
    for (const f of found) if (fold(sentence).includes(fold(f.unit.name))) f.unit.operator ??= own ? 'municipal' : 'private';
  }
  for (const f of found) {
    const m = new RegExp(`${namePattern(f.unit.name)}[^.]{0,40}?\\b(?:drivs|som drivs) (?:på entreprenad )?av ([\\p{Lu}][^.,]*?\\b(?:AB|Aktiebolag|HB|KB))`, 'u').exec(flatText);
    if (m) {
      f.unit.operator = 'private';
      f.unit.provider ??= m[1]!.trim();
    }
  }
}

/** "Samtliga deltar i klassen …" for every unit; "X deltar i klassen A och Y i klassen B" each. */
function classes(flatText: string, found: FoundUnit[]): void {
  const all = /\b(?:Samtliga|Alla|Båda|Enheterna|Verksamheterna)(?: enheter| verksamheter)? (?:deltar|tävlar|anmäls) i klassen\s+["”“]?([^"”“.]+(?:\.[^"”“.]+)?)/u.exec(flatText);
  if (all) {
    const key = classKey(all[1]!);
    if (key) for (const f of found) f.unit.class ??= key;
  }
  for (const f of found) {
    const m = new RegExp(`${namePattern(f.unit.name)}\\s+(?:deltar |tävlar |anmäls )?i klassen\\s+["”“]?([\\p{L} ,]+)`, 'u').exec(flatText);
    if (m) {
      const key: ClassKey | null = classKey(m[1]!.split(/\s+och\s+\p{Lu}/u)[0]!);
      if (key) f.unit.class = key;
    }
  }
}
