/**
 * Header fields read from the layout: the letterhead zone's cells (column by column), with the
 * running text as a fallback. Fields are found by their labels and by their shape, in any order
 * and whether the cells come as lines or as one wrapped stream: "Till <nämnd> <date>", a date
 * alone (the report's date), "Dnr …", "Handläggare … Telefon …", the administration's name.
 */
import { join } from 'node:path';
import { DATA_DIR, readLines } from '../repair/lexicon.js';
import { docOffset, type Block } from '../layout/blocks.js';
import { findDates } from './dates.js';
import { administrationFor, boardFor } from './organisation.js';

export interface Located<T> {
  value: T;
  /** Document offsets. */
  start: number;
  end: number;
  rule: string;
  confidence: number;
}

let givenNames: Set<string> | undefined;
/** Given names from the gazetteer: the first word of a person's name. */
export function isGivenName(word: string): boolean {
  givenNames ??= new Set(readLines(join(DATA_DIR, 'gazetteer/given-names.txt')).flatMap((l) => l.split('-')));
  return givenNames.has(word) || word.split('-').every((w) => givenNames!.has(w));
}

const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);
/** "SKARPNÄCKS STADSDELSFÖRVALTNING" → "Skarpnäcks stadsdelsförvaltning"; "HÄSSELBY-VÄLLINGBY" keeps its hyphen capitals. */
function unshout(s: string): string {
  if (s !== s.toUpperCase()) return s;
  const words = s.toLowerCase().split(' ');
  words[0] = words[0]!.replace(/(^|-)(\p{L})/gu, (_, a: string, b: string) => a + b.toUpperCase());
  return words.join(' ');
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
/**
 * Places the gazetteer names with a word in lower case ("Norra innerstadens", "Maria-Gamla stans"):
 * the capitalized-words shape below cannot see them, the lexicon can. Longest first.
 */
const KNOWN_PLACES = readLines(join(DATA_DIR, 'gazetteer/stockholm-bodies.txt'))
  .map((l) => /^(.+?)\s+stadsdels(?:nämnd|förvaltning)$/u.exec(l)?.[1])
  .filter((p): p is string => !!p && /\s\p{Ll}/u.test(p))
  .sort((a, b) => b.length - a.length)
  .map((p) => p.split(/\s+/u).map(escapeRe).join('\\s+'));
const PLACE = String.raw`(?:${KNOWN_PLACES.length ? `${KNOWN_PLACES.join('|')}|` : ''}\p{Lu}[\p{Ll}\p{Lu}]+(?:-\p{Lu}[\p{Ll}\p{Lu}]+)*s?)`;
/** A board: "Södermalms stadsdelsnämnd", "Socialnämnden", "Miljö- och hälsoskyddsnämnden", "Kommunstyrelsen", "Styrelsen för X". */
const BOARD_SRC = String.raw`(?:${PLACE}\s+stadsdelsnämnd(?:en)?|\p{Lu}[\p{L}]*-\s+och\s+[\p{L}]*nämnden|\p{Lu}[\p{L}-]*nämnden|\p{Lu}[\p{L}-]*nämnd(?![\p{L}])|\p{Lu}[\p{L}-]*styrelsen|[Ss]tyrelsen\s+för\s+[\p{L} ]+?(?=\s*(?:\n|\d|$)))`;
const BOARD_RE = new RegExp(BOARD_SRC, 'u');
const BOARD_ALL = new RegExp(`(?<![\\p{L}-])${BOARD_SRC}(?![\\p{L}])`, 'gu');
const ADMIN_SRC = String.raw`(?:${PLACE}\s+stadsdelsförvaltning(?:en)?|\p{Lu}[\p{L}-]*förvaltningen|\p{Lu}[\p{L}-]*kontoret|\p{Lu}[\p{L}-]*förvaltning(?![\p{L}]))`;
const ADMIN_RE = new RegExp(`(?<![\\p{L}-])${ADMIN_SRC}(?=s?(?![\\p{L}]))`, 'gu');
const GENERIC = /^(?:nämnden|styrelsen|förvaltningen|kontoret|stadsdelsnämnden|stadsdelsförvaltningen|stadsledningskontoret|kommunstyrelsen|stadsdelsnämnd|stadsdelsförvaltning|respektive nämnd)$/iu;

export function canonicalBoard(name: string): string {
  let n = name.replace(/\s+/gu, ' ').trim();
  if (n === n.toUpperCase()) n = unshout(n);
  n = n.replace(/stadsdelsnämnden$/u, 'stadsdelsnämnd').replace(/^(\p{Lu}[\p{L}-]*)nämnd$/u, '$1nämnden');
  return cap(n);
}

export function canonicalAdministration(name: string): string {
  let n = name.replace(/\s+/gu, ' ').trim();
  if (n === n.toUpperCase()) n = unshout(n);
  n = n.replace(/stadsdelsförvaltningen$/u, 'stadsdelsförvaltning').replace(/^(\p{Lu}[\p{L}-]*)förvaltning$/u, '$1förvaltningen');
  return cap(n);
}

export interface HeaderFields {
  board: Located<string> | null;
  administration: Located<string> | null;
  diarienummer: Located<string> | null;
  documentDate: Located<string> | null;
  meetingDate: Located<string> | null;
  caseOfficer: Located<{ name: string | null; phone: string | null }> | null;
}

const DNR_RE = /(?<![\p{L}])(?:D\p{Ll}{1,2}r\.?|Dnr\.?|D\.nr\.?|Diarienummer|Diarienr\.?|Ärendenummer)\s*:?\s*((?:\p{Lu}{1,5}\s?)?\p{Lu}?\d[\d.]*(?:[-/ ]\d[\d.]*)*(?:[-/]\d+)*)/u;
const NAME_WORD = /^\p{Lu}[\p{Ll}'’]+(?:-\p{Lu}?[\p{Ll}'’]+)*$/u;
const TITLE_WORD = /^\p{Lu}?\p{Ll}+(?:are|ör|chef|strateg|ledare|controller|specialist|samordnare|konsult|jurist|ekonom|assistent|sekreterare|utvecklare|analytiker|rådgivare)$/u;
const OFFICER_STOP = /\p{L}*(?:nämnd|nämnden|förvaltning|förvaltningen|kontoret|styrelse|styrelsen)$|^(?:Till|Telefon|Tfn|Tel|Datum|Dnr|Sida|Avdelningen|Enheten|Tjänsteutlåtande|E-post|Epost|Mobil|Direkt|Växel)$/u;
const PHONE_RE = /(?:\+46\s?\d{1,3}|\b0\d{1,3})[- ]?\d{2,3}[ ]?\d{2}[ ]?\d{2,3}\b|\b\d{3}[ ]\d{2}[ ]\d{2,3}\b/u;

/** "Dnr 1.11.1-266/2017", "Dnr HVS 2021/0312", an OCR-misread label ("Dör", "Dmr") before a number's shape. */
export function findDiarienummer(text: string): { value: string; start: number; end: number } | null {
  const m = DNR_RE.exec(text);
  return m ? { value: m[1]!.trim().replace(/[.\s]+$/u, ''), start: m.index, end: m.index + m[0].length } : null;
}

/** Fields of the header zone (and the text near the top when a document has no header zone). */
export function readHeader(blocks: Block[], year: number | null): HeaderFields {
  const header = blocks.find((b) => b.kind === 'header');
  // Where there is no recognised header zone (or it is short), read the first blocks of the text.
  const zone: Block[] = header ? [header] : [];
  const top = blocks.filter((b) => b.kind !== 'header' && b.kind !== 'page-header').slice(0, 8);
  const all = [...zone, ...top];
  const out: HeaderFields = { board: null, administration: null, diarienummer: null, documentDate: null, meetingDate: null, caseOfficer: null };

  const loc = <T,>(b: Block, value: T, start: number, end: number, rule: string, confidence: number): Located<T> => ({ value, start: docOffset(b, start), end: docOffset(b, end), rule, confidence });

  // Dnr
  for (const b of [...all, ...blocks.filter((x) => x.kind === 'page-header'), ...blocks]) {
    const m = DNR_RE.exec(b.text);
    if (m) {
      const value = m[1]!.trim().replace(/[.\s]+$/u, '');
      out.diarienummer = loc(b, value, m.index, m.index + m[0].length, 'dnr-label', 0.95);
      break;
    }
  }

  // "Till <board>" and the date under it
  for (const b of all) {
    const till = /(?:^|\s|\*)Till\s*:?\s+/gu;
    for (const m of b.text.matchAll(till)) {
      const rest = b.text.slice(m.index + m[0].length, m.index + m[0].length + 160);
      const bm = BOARD_RE.exec(rest.replace(/\n/gu, ' '));
      if (!bm || bm.index > 60) continue;
      const value = canonicalBoard(bm[0]);
      if (GENERIC.test(value)) continue;
      const bStart = m.index + m[0].length + bm.index;
      out.board = loc(b, value, bStart, bStart + bm[0].length, 'addressed-to', 0.95);
      const afterAt = bStart + bm[0].length;
      const after = b.text.slice(afterAt, afterAt + 40);
      const d = findDates(after, year).find((x) => !/\S/u.test(after.slice(0, x.start).replace(/[\s,*|–-]/gu, '')));
      if (d) out.meetingDate = loc(b, d.iso, afterAt + d.start, afterAt + d.end, 'date-under-addressee', 0.95);
      break;
    }
    if (out.board) break;
  }

  // Minutes carry the meeting's date in a header or breadcrumb ("Nämndsammanträde 2011-04-07").
  if (!out.meetingDate) {
    for (const b of [...all, ...blocks.filter((x) => x.kind === 'page-header')]) {
      const d = dateAfterLabel(b.text, /\b(?:\p{L}*sammanträde(?:t)?|sammanträdesdatum|mötesdatum|nämndmöte(?:t)?)\s*(?:den\s+|:\s*)?/iu, year);
      if (d) {
        out.meetingDate = loc(b, d.iso, d.start, d.end, 'meeting-date-label', 0.8);
        break;
      }
    }
  }

  // The report's date: "Datum: …", else a date standing alone in the header zone (not the meeting's).
  for (const b of all) {
    const d = dateAfterLabel(b.text, /\bDatum\s*:?\s*/u, year);
    if (d) {
      out.documentDate = loc(b, d.iso, d.start, d.end, 'datum-label', 0.95);
      break;
    }
  }
  if (!out.documentDate) {
    for (const b of header ? [header] : top.slice(0, 4)) {
      for (const d of findDates(b.text, year)) {
        if (d.impliedYear) continue;
        const at = docOffset(b, d.start);
        if (out.meetingDate && at === out.meetingDate.start) continue;
        // A date inside a sentence ("skrivelse den 3 december") is not the report's date.
        const line = lineAround(b.text, d.start, d.end);
        const alone = line.replace(d.text, '').replace(/[\s,*|:–-]|\bSida\s+\d+\s*\(\d+\)|\bDnr\b\S*|Tjänsteutlåtande/giu, '').length < 3;
        const besideLabel = /(?:^|\s)(?:Till\s+\S.*|Handläggare.*)$/u.test(line.slice(0, line.indexOf(d.text)));
        if (!alone && !besideLabel && b.kind !== 'header') continue;
        if (b.kind === 'header' && !alone && /\b(?:den|senast|från|till)\s*$/iu.test(line.slice(0, line.indexOf(d.text)))) continue;
        out.documentDate = loc(b, d.iso, d.start, d.end, alone ? 'date-alone-in-header' : 'date-in-header', alone ? 0.9 : 0.7);
        break;
      }
      if (out.documentDate) break;
    }
  }

  // Case officer: "Handläggare[:] [title] Name … Telefon/Tfn phone".
  for (const b of [...all, ...blocks]) {
    const m = /\bHandläggare\b\s*:?\s*/u.exec(b.text);
    if (!m) continue;
    const rest = b.text.slice(m.index + m[0].length, m.index + m[0].length + 160);
    const words = rest.split(/[\s,]+/u);
    let name: string | null = null;
    // The first run of two or three capitalized words, after an optional title ("Planeringssekreterare
    // Eva Lind"), skipping dates and labels that a two-column letterhead puts in between.
    for (let i = 0; i < Math.min(words.length, 8) && !name; i++) {
      if (!NAME_WORD.test(words[i]!) || OFFICER_STOP.test(words[i]!) || TITLE_WORD.test(words[i]!)) continue;
      const parts: string[] = [];
      for (let j = i; j < Math.min(words.length, i + 3); j++) {
        const n = words[j]!;
        if (!NAME_WORD.test(n) || OFFICER_STOP.test(n) || (parts.length >= 2 && isGivenName(n))) break;
        // "… Magnusson Hägersten-Liljeholmens stadsdelsnämnd": a place before a body's name is not a surname.
        if (parts.length >= 2 && /^(?:stadsdels)?(?:nämnd|förvaltning)/iu.test(words[j + 1] ?? '')) break;
        parts.push(n);
      }
      if (parts.length >= 2) name = parts.join(' ');
      else if (parts.length === 1 && /^(?:Telefon|Tfn|Tel)/u.test(words[i + 1] ?? '')) break;
    }
    const phoneArea = rest.slice(0, 140);
    const p = /(?:Telefon|Tfn|Tel\.?|Direkt)\s*:?\s*([+\d][\d\s-]{5,20}\d)/u.exec(phoneArea) ?? (PHONE_RE.exec(phoneArea) ? { 1: PHONE_RE.exec(phoneArea)![0] } : null);
    let phone: string | null = null;
    if (p) {
      // A number a wrapped line broke ("08-508" / "26 731") is joined; the next line's date is not part of it.
      const parts: string[] = [];
      for (const part of String(p[1]).split('\n')) {
        if (parts.join('').replace(/\D/gu, '').length >= 8) break;
        parts.push(part.trim());
      }
      phone = parts.join(' ').trim();
    }
    if (name || phone) {
      out.caseOfficer = loc(b, { name, phone }, m.index, m.index + m[0].length + (name ? rest.indexOf(name) + name.length : 0), 'handlaggare-label', name ? 0.9 : 0.6);
      break;
    }
  }

  // Administration: the letterhead's own name, else a named administration, else the board's.
  const admins: Array<Located<string>> = [];
  for (const b of [...all, ...(header ? [] : blocks.filter((x) => x.kind === 'paragraph'))]) {
    for (const m of b.text.matchAll(ADMIN_RE)) {
      const value = canonicalAdministration(m[0]);
      if (GENERIC.test(value) || value.length < 10) continue;
      admins.push(loc(b, value, m.index, m.index + m[0].length, b.kind === 'header' ? 'letterhead-administration' : 'administration-named', b.kind === 'header' ? 0.9 : 0.7));
    }
  }
  if (!out.board) {
    const boards: Array<Located<string>> = [];
    for (const b of blocks) {
      for (const m of b.text.matchAll(BOARD_ALL)) {
        const value = canonicalBoard(m[0]);
        if (GENERIC.test(value) || value.length < 8) continue;
        boards.push(loc(b, value, m.index, m.index + m[0].length, 'board-named', 0.6));
      }
    }
    out.board = mostFrequent(boards);
  }
  const own = out.board ? administrationFor(out.board.value) : null;
  out.administration = (own ? admins.find((a) => a.value === own) : null) ?? admins.find((a) => a.rule === 'letterhead-administration') ?? admins[0] ?? null;
  if (!out.board && out.administration) {
    const b = boardFor(out.administration.value);
    if (b) out.board = { ...out.administration, value: b, rule: 'board-inferred-from-administration', confidence: 0.7 };
  }
  if (out.board && !out.administration && own) out.administration = { ...out.board, value: own, rule: 'administration-inferred-from-board', confidence: 0.75 };
  return out;
}

/** The date right after a label ("Datum: 2019-03-01", "Sammanträde den 7 april 2011"), with its offsets. */
function dateAfterLabel(text: string, label: RegExp, year: number | null): { iso: string; start: number; end: number } | null {
  const m = label.exec(text);
  if (!m) return null;
  const at = m.index + m[0].length;
  const d = findDates(text.slice(at, at + 30), year)[0];
  return d && d.start <= 2 ? { iso: d.iso, start: at + d.start, end: at + d.end } : null;
}

function lineAround(text: string, start: number, end: number): string {
  const a = text.lastIndexOf('\n', start - 1) + 1;
  const e = text.indexOf('\n', end);
  return text.slice(a, e < 0 ? text.length : e);
}

function mostFrequent<T extends { value: string }>(found: T[]): T | null {
  const counts = new Map<string, number>();
  for (const f of found) counts.set(f.value, (counts.get(f.value) ?? 0) + 1);
  let best: T | null = null;
  for (const f of found) if (!best || counts.get(f.value)! > counts.get(best.value)!) best = f;
  return best;
}

