/**
 * The extract stage: from the repaired text of a document, the record defined in
 * test/gold/README.md, each value with its evidence (page, offsets, snippet, rule).
 */
import { addMessage, type DocumentFile, type Extraction } from '../document-file.js';
import type { DateKind, Evidence, Extracted } from '../../schemas/record.js';
import { join } from 'node:path';
import { DATA_DIR, readLines } from '../repair/lexicon.js';
import { offeredClasses } from './classes.js';
import { classifyDates, findDates } from './dates.js';
import { docText, flat } from './doc-text.js';
import { findAddressee, findCaseOfficer, findDiarienummer, findDocumentDate, findOrganisation, findSignatories } from './organisation.js';
import { findUnits } from './units.js';

/** Bump when extraction rules change: documents are re-extracted from stored text. */
export const EXTRACT_VERSION = '2';


const NUMBER_WORDS: Record<string, number> = { en: 1, ett: 1, två: 2, tre: 3, fyra: 4, fem: 5, sex: 6, sju: 7, åtta: 8, nio: 9, tio: 10, elva: 11, tolv: 12 };

/** The award year: "kvalitetsutmärkelsen 2023", else the year of the award date, else the commonest year. */
function findYear(text: string): { year: number; start: number; end: number; rule: string } | null {
  const named = /\bkvalitetsutmärkelse(?:n|ns)?\s+(\d{4})\b/iu.exec(text);
  if (named) return { year: Number(named[1]), start: named.index, end: named.index + named[0].length, rule: 'award-named-with-year' };
  const dates = classifyDates(text, findDates(text, null));
  const award = dates.find((d) => d.kind === 'award' && !d.impliedYear);
  if (award) return { year: Number(award.iso.slice(0, 4)), start: award.start, end: award.end, rule: 'award-date' };
  const years = [...text.matchAll(/\b(19[89]\d|20\d\d)\b/g)];
  if (!years.length) return null;
  const counts = new Map<string, number>();
  for (const y of years) counts.set(y[1]!, (counts.get(y[1]!) ?? 0) + 1);
  const top = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
  const first = years.find((y) => y[1] === top)!;
  return { year: Number(top), start: first.index, end: first.index + 4, rule: 'commonest-year' };
}

let givenNames: Set<string> | undefined;

/** Given names from the gazetteer (data/gazetteer/given-names.txt): where two names side by side split. */
function isGivenName(word: string): boolean {
  givenNames ??= new Set(readLines(join(DATA_DIR, 'gazetteer/given-names.txt')).flatMap((l) => l.split('-')));
  return givenNames.has(word);
}

export function extractRecord(file: DocumentFile): Extraction {
  const { text, evidence: ev } = docText(file);
  const evidence: Record<string, Evidence> = {};
  const mentions = (text.match(/kvalitetsutmärkelse/giu) ?? []).length;

  const yearFound = findYear(text);
  const year = yearFound?.year ?? null;
  const addressee = findAddressee(text, year);
  const org = findOrganisation(text, addressee?.board ?? null);
  const dnr = findDiarienummer(text);
  const docDate = findDocumentDate(text, year);
  const units = findUnits(text, { administration: org.administration?.value ?? null });
  const offered = offeredClasses(text);
  const participation = /\b(?:delta|deltar|deltagande|tävla|anmäl\w*)\b/iu.test(text);
  // About taking part: the award named more than in passing, with units, or with a title or
  // proposal about participation ("Deltagande i Stockholms stads kvalitetsutmärkelse 2016").
  const aboutParticipation = /\b(?:deltagande|anmälan|deltar|delta)\b[^.\n]{0,40}\bkvalitetsutmärkelse/iu.test(text);
  const topic = mentions >= 2 && participation && (units.length > 0 || aboutParticipation) ? 'award_participation' : 'other';

  const dates: Extracted['dates'] = [];
  const seen = new Set<string>();
  const pushDate = (kind: DateKind, iso: string, raw: string, start: number, end: number, rule: string) => {
    const key = `${kind} ${iso}`;
    if (seen.has(key)) return;
    seen.add(key);
    evidence[`dates[${dates.length}]`] = ev(start, end, rule);
    dates.push({ kind, date: iso, text: flat(raw) });
  };
  if (addressee?.meeting) pushDate('board_meeting', addressee.meeting.value, text.slice(addressee.meeting.start, addressee.meeting.end), addressee.meeting.start, addressee.meeting.end, 'date-under-addressee');
  if (docDate) pushDate('document', docDate.value, text.slice(docDate.start, docDate.end), docDate.start, docDate.end, 'datum-label');
  const meetingAt = addressee?.meeting?.start ?? -1;
  for (const d of classifyDates(text, findDates(text, year))) {
    if (d.start === meetingAt || d.start === docDate?.start) continue;
    pushDate(d.kind, d.iso, d.text, d.start, d.end, `date-cue:${d.cue.toLowerCase()}`);
  }

  const target = /\b(?:som\s+indikator\s+ange\s+att|mål(?:et)?\s+(?:att|om\s+att|är\s+att))\s+(\d+|\p{L}+)\s+(?:enheter|verksamheter)\b[^.]{0,80}?\b(?:ska|skulle)\s+(?:tävla|delta)/iu.exec(text);
  let targetUnits: number | null = null;
  if (target) {
    const n = /^\d+$/.test(target[1]!) ? Number(target[1]) : NUMBER_WORDS[target[1]!.toLowerCase()] ?? null;
    if (n !== null) targetUnits = n;
  }
  if (target && targetUnits !== null) evidence.target_units = ev(target.index, target.index + target[0].length, 'target-indicator');

  const officer = findCaseOfficer(text);
  const signatories = findSignatories(text, isGivenName);

  const record: Extracted = {
    topic,
    year: topic === 'other' ? null : year,
    board: org.board?.value ?? null,
    administration: org.administration?.value ?? null,
    diarienummer: dnr?.value ?? null,
    document_date: docDate?.value ?? null,
    meeting_date: addressee?.meeting?.value ?? null,
    units: topic === 'other' ? [] : units.map((u) => u.unit),
    classes: offered?.keys ?? [],
    dates: topic === 'other' ? [] : dates,
    signatories: signatories.map((s) => s.value),
    case_officer: officer?.value ?? null,
    target_units: targetUnits,
  };

  if (yearFound && record.year !== null) evidence.year = ev(yearFound.start, yearFound.end, yearFound.rule);
  if (org.board) evidence.board = ev(org.board.start, org.board.end, org.board.rule);
  if (org.administration) evidence.administration = ev(org.administration.start, org.administration.end, org.administration.rule);
  if (dnr) evidence.diarienummer = ev(dnr.start, dnr.end, dnr.rule);
  if (addressee?.meeting) evidence.meeting_date = ev(addressee.meeting.start, addressee.meeting.end, addressee.meeting.rule);
  if (docDate) evidence.document_date = ev(docDate.start, docDate.end, docDate.rule);
  if (offered) evidence.classes = ev(offered.start, offered.end, 'classes-offered');
  if (officer) evidence.case_officer = ev(officer.start, officer.end, officer.rule);
  record.units.forEach((_, i) => (evidence[`units[${i}]`] = ev(units[i]!.start, units[i]!.end, units[i]!.rule)));
  signatories.forEach((s, i) => (evidence[`signatories[${i}]`] = ev(s.start, s.end, s.rule)));
  return { record, evidence };
}

/** The stage: extracts, and records each value as a message (the audit trail of extraction). */
export function extractDocument(file: DocumentFile): DocumentFile {
  const extraction = extractRecord(file);
  file.extraction = extraction;
  for (const [path, e] of Object.entries(extraction.evidence)) {
    addMessage(file, {
      stage: 'extract',
      rule: e.rule,
      severity: 'info',
      page: e.page,
      start: e.start,
      end: e.end,
      actual: e.snippet,
      reason: `${path} from "${e.snippet}"`,
    });
  }
  return file;
}
