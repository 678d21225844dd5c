/**
 * Swedish dates ("Den 20 november 2012", "senast den 30 juni", "23 maj 2024", "2017-06-07", an ISO
 * date broken over a line "2017-06-" / "08") and the kind of event each dates, read from the words
 * nearest to it in its sentence.
 */
import type { DateKind } from '../../schemas/record.js';
import { sentencesOf } from '../layout/blocks.js';

export const MONTHS: Record<string, number> = {
  januari: 1, februari: 2, mars: 3, april: 4, maj: 5, juni: 6, juli: 7, augusti: 8, september: 9, oktober: 10, november: 11, december: 12,
  jan: 1, feb: 2, mar: 3, apr: 4, jun: 6, jul: 7, aug: 8, sep: 9, sept: 9, okt: 10, nov: 11, dec: 12,
};

export interface FoundDate {
  start: number;
  end: number;
  iso: string;
  text: string;
  /** The year was not written and comes from the document. */
  impliedYear: boolean;
}

const pad = (n: number) => String(n).padStart(2, '0');

function valid(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1 || y < 1900 || y > 2100) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

const ISO_RE = /\b(\d{4})-(\d{2})-\s*(\d{2})\b/g;
const MONTH_NAMES = Object.keys(MONTHS).sort((a, b) => b.length - a.length).join('|');
const WRITTEN_RE = new RegExp(`\\b(\\d{1,2})(?:\\s*:e|\\s*:a)?\\s+(${MONTH_NAMES})\\.?(?:\\s+(\\d{4}))?\\b`, 'giu');

export function findDates(text: string, defaultYear: number | null): FoundDate[] {
  const out: FoundDate[] = [];
  for (const m of text.matchAll(ISO_RE)) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (valid(y, mo, d)) out.push({ start: m.index, end: m.index + m[0].length, iso: `${y}-${pad(mo)}-${pad(d)}`, text: m[0], impliedYear: false });
  }
  for (const m of text.matchAll(WRITTEN_RE)) {
    const d = Number(m[1]);
    const mo = MONTHS[m[2]!.toLowerCase()]!;
    const y = m[3] ? Number(m[3]) : defaultYear;
    if (y === null || !valid(y, mo, d)) continue;
    out.push({ start: m.index, end: m.index + m[0].length, iso: `${y}-${pad(mo)}-${pad(d)}`, text: m[0], impliedYear: !m[3] });
  }
  return out.sort((a, b) => a.start - b.start);
}

/**
 * Words that say what a date is for. Nouns naming the thing due (protokoll, tävlingsbidrag) are
 * strong; verbs (lämna in, skicka in) weak: within a date's clause a strong cue beats a weak one,
 * and among equals the nearest wins.
 */
const WEAK_CUES: Array<[DateKind, RegExp]> = [
  ['submission_deadline', /\bbidrag(?:et)?\b|\blämna(?:t|s)? in\b|\bskicka(?:t|s)? in\b/giu],
  ['minutes_deadline', /\btillhanda\b/giu],
];
const KIND_CUES: Array<[DateKind, RegExp]> = [
  ['award', /\bdelas\b[^.]{0,60}\but\b|\butses\b|\bvinnar(?:na|e)\b|\bprisutdelning\w*|\bceremoni\w*|\btillkännages\b|\bpristagar\w*|\butdelning\w*/giu],
  ['minutes_deadline', /\bprotokoll\w*|\bnämndbeslut\w*|\b\p{L}*nämndens\s+beslut\b|\bbeslutet\b/giu],
  ['registration_deadline', /\banmält deltagande|\banmäla\b|\banmälan\b|\banmälningar\w*|\bintresseanmälan\b|\bregistrer\w*/giu],
  ['submission_deadline', /\bskriftlig\w* (?:redovisning|bidrag)|\btävlingsbidrag\w*/giu],
  ['management_group', /\bförvaltningsgrupp\w*|\bledningsgrupp\w*/giu],
  ['disability_council', /\bfunktionshinderråd\w*|\bråd(?:et)? för funktionshinderfrågor|\bfunktionshinderfrågor/giu],
  ['pensioners_council', /\bpensionärsråd\w*|(?<![\p{L}])äldreråd\w*/giu],
];

export interface DatedEvent extends FoundDate {
  kind: DateKind;
  /** Where the cue was found, for the evidence. */
  cue: string;
}

/**
 * Each date takes the kind of the nearest cue within its clause: the stretch of its sentence
 * between the previous and the next date. Dates without a cue are not events.
 */
export function classifyDates(text: string, dates: FoundDate[]): DatedEvent[] {
  const out: DatedEvent[] = [];
  // The layout stage's sentence rule, over the text as one run (callers pass a sentence or a paragraph).
  const sents = sentencesOf({ kind: 'paragraph', text, start: 0, end: text.length, map: [[0, 0]] }).map((x) => ({ ...x, end: x.start + x.text.length }));
  for (const s of sents) {
    const inSentence = dates.filter((d) => d.start >= s.start && d.end <= s.end);
    inSentence.forEach((d, i) => {
      const from = i > 0 ? inSentence[i - 1]!.end : s.start;
      const to = i < inSentence.length - 1 ? inSentence[i + 1]!.start : s.end;
      const clause = text.slice(from, to);
      let best: { kind: DateKind; distance: number; cue: string } | null = null;
      // "senast den 17 maj ha skickat in …": in this construction a deadline's own verb follows the date.
      const deadlineFirst =
        /\bsenast\s+(?:den\s+)?$/iu.test(text.slice(Math.max(from, d.start - 20), d.start)) && /^\s+ha\b/iu.test(text.slice(d.end, d.end + 8));
      // A cue after the date belongs to it only up to the next coordinated clause ("… 18 maj och
      // protokollsutdrag ska …"), unless the construction puts the verb after the date.
      const nextClause = /\s(?:och|samt)\s|[,;]/u.exec(text.slice(d.end, to));
      const afterLimit = deadlineFirst || !nextClause ? to : d.end + nextClause.index;
      for (const [strength, cues] of [[0, KIND_CUES], [10_000, WEAK_CUES]] as const) {
       for (const [kind, re] of cues) {
        for (const m of clause.matchAll(re)) {
          const at = from + m.index;
          const after = at >= d.end;
          if (after && at >= afterLimit) continue;
          const distance = (after ? at - d.end : d.start - (at + m[0].length)) + (deadlineFirst && !after ? 1000 : 0) + strength;
          if (!best || distance < best.distance) best = { kind, distance: Math.max(0, distance), cue: m[0] };
        }
       }
      }
      if (best) out.push({ ...d, kind: best.kind, cue: best.cue });
    });
  }
  return out;
}
