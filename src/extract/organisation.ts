/**
 * Who wrote the report and for whom: the board (nämnd) and administration (förvaltning), each
 * inferred from the other when only one is named; the registry number (Dnr); the meeting date
 * under "Till <nämnd>"; the case officer (handläggare); the signature block.
 */
import { fold } from '../repair/fold.js';
import { findDates } from './dates.js';

export interface Found<T> {
  value: T;
  start: number;
  end: number;
  rule: string;
}

const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);

/** A district's name before "stadsdelsnämnd": "Södermalms", "Farsta", "Hässelby-Vällingby", "Enskede-Årsta-Vantörs". */
const PLACE = String.raw`\p{Lu}\p{Ll}+(?:-\p{Lu}\p{Ll}+)*`;
/** Boards named in the text: "Socialnämnden", "Södermalms stadsdelsnämnd", "Utbildningsnämnden". */
const BOARD = String.raw`${PLACE}\s+stadsdelsnämnd(?:en)?|[\p{L}-]*nämnden|[\p{L}-]*styrelsen`;
const BOARD_RE = new RegExp(String.raw`(?<![\p{L}-])(${BOARD})(?![\p{L}])`, 'gu');
const ADMIN_RE = new RegExp(String.raw`(?<![\p{L}-])(${PLACE}\s+stadsdelsförvaltning(?:en)?|[\p{L}-]*förvaltningen|[\p{L}-]*kontoret)s?(?![\p{L}])`, 'gu');
const GENERIC = /^(?:nämnden|styrelsen|förvaltningen|kontoret|stadsdelsnämnden|stadsdelsförvaltningen|stadsledningskontoret|respektive nämnden|kommunstyrelsen)$/iu;

function canonicalBoard(name: string): string {
  // "Södermalms stadsdelsnämnden" does not occur; "Socialnämnden" is how a named board is written.
  return cap(name.replace(/\s+/g, ' ').replace(/stadsdelsnämnden$/u, 'stadsdelsnämnd'));
}

function canonicalAdministration(name: string): string {
  return cap(name.replace(/\s+/g, ' ').replace(/stadsdelsförvaltningen$/u, 'stadsdelsförvaltning'));
}

/** The board an administration serves, and the reverse. */
export function boardFor(administration: string): string | null {
  if (/stadsdelsförvaltning$/u.test(administration)) return administration.replace(/stadsdelsförvaltning$/u, 'stadsdelsnämnd');
  if (/förvaltningen$/u.test(administration)) return administration.replace(/förvaltningen$/u, 'nämnden');
  if (/kontoret$/u.test(administration)) return administration.replace(/kontoret$/u, 'nämnden');
  return null;
}

export function administrationFor(board: string): string | null {
  if (/stadsdelsnämnd$/u.test(board)) return board.replace(/stadsdelsnämnd$/u, 'stadsdelsförvaltning');
  if (/nämnden$/u.test(board)) return board.replace(/nämnden$/u, 'förvaltningen');
  return null;
}

function mostFrequent(found: Array<Found<string>>): Found<string> | null {
  const counts = new Map<string, number>();
  for (const f of found) counts.set(f.value, (counts.get(f.value) ?? 0) + 1);
  let best: Found<string> | null = null;
  for (const f of found) if (!best || counts.get(f.value)! > counts.get(best.value)!) best = f;
  return best;
}

export interface Organisation {
  board: Found<string> | null;
  administration: Found<string> | null;
}

export function findOrganisation(text: string, addressedTo: Found<string> | null): Organisation {
  const boards: Array<Found<string>> = [];
  for (const m of text.matchAll(BOARD_RE)) {
    const name = m[1]!;
    if (GENERIC.test(name) || name.length < 8) continue;
    // A board that decides ("Socialnämnden godkänner", "nämnden beslutar") outweighs a mention.
    boards.push({ value: canonicalBoard(name), start: m.index, end: m.index + m[0].length, rule: 'board-named' });
  }
  const admins: Array<Found<string>> = [];
  for (const m of text.matchAll(ADMIN_RE)) {
    const name = m[1]!;
    if (GENERIC.test(name) || name.length < 10) continue;
    admins.push({ value: canonicalAdministration(name), start: m.index, end: m.index + m[1]!.length, rule: 'administration-named' });
  }
  let board = addressedTo ?? mostFrequent(boards);
  let administration = mostFrequent(admins);
  if (!board && administration) {
    const b = boardFor(administration.value);
    if (b) board = { ...administration, value: b, rule: 'board-inferred-from-administration' };
  }
  if (board && !administration) {
    const a = administrationFor(board.value);
    if (a) administration = { ...board, value: a, rule: 'administration-inferred-from-board' };
  }
  // A named administration that serves another board than the one addressed (a letterhead, a
  // mention) gives way to the board's own administration.
  if (board && administration && boardFor(administration.value) !== board.value) {
    const a = administrationFor(board.value);
    if (a && admins.some((x) => x.value === a)) administration = admins.find((x) => x.value === a)!;
  }
  return { board, administration };
}

/** "Till <nämnd>" in the header, with the meeting date that follows it. */
export function findAddressee(text: string, year: number | null): { board: Found<string>; meeting: Found<string> | null } | null {
  const m = new RegExp(String.raw`\bTill\s*\n?\s*(${PLACE}\s+stadsdelsnämnd|\p{Lu}[\p{L}-]*(?:nämnd(?:en)?|styrelse(?:n)?))(?![\p{L}])`, 'u').exec(text);
  if (!m) return null;
  const board = { value: canonicalBoard(m[1]!), start: m.index, end: m.index + m[0].length, rule: 'addressed-to' };
  const after = text.slice(board.end, board.end + 60);
  const date = findDates(after, year).find((d) => !/\S/.test(after.slice(0, d.start).replace(/[\s,]/g, '')));
  return { board, meeting: date ? { value: date.iso, start: board.end + date.start, end: board.end + date.end, rule: 'date-under-addressee' } : null };
}

/**
 * "Dnr 1.11.1-266/2017", "Dnr HVS 2021/0312", "Diarienummer …". OCR often misreads the label's
 * middle letter ("Dar", "Dur", "Där", "Dör", "Dmr"); the number's shape (digits and dots, a hyphen,
 * a slash and a year) carries it.
 */
export function findDiarienummer(text: string): Found<string> | null {
  const m = /\b(?:D\p{Ll}{1,2}r\.?|Diarienummer)\s*:?\s*((?:\p{Lu}{2,5}\s)?\d[\d.]*-?\d*\/\d{2,4})\b/u.exec(text);
  return m ? { value: m[1]!.trim(), start: m.index, end: m.index + m[0].length, rule: 'dnr-label' } : null;
}

export function findDocumentDate(text: string, year: number | null): Found<string> | null {
  const m = /\bDatum\s*:?\s*/u.exec(text);
  if (!m) return null;
  const after = text.slice(m.index + m[0].length, m.index + m[0].length + 30);
  const d = findDates(after, year)[0];
  if (!d || d.start > 2) return null;
  const start = m.index + m[0].length + d.start;
  return { value: d.iso, start, end: start + d.text.length, rule: 'datum-label' };
}

const PHONE_RE = /(?:\+46|\b0)\d{1,3}[- ]?\d{2,3}[ ]?\d{2}[ ]?\d{2,3}\b/u;
const NAME_RE = /^\p{Lu}[\p{L}'-]+(?:\s+\p{Lu}[\p{L}'-]+){1,3}$/u;

export function findCaseOfficer(text: string): Found<{ name: string | null; phone: string | null }> | null {
  const m = /\bHandläggare\b\s*:?\s*([^\n]*)\n?((?:[^\n]*\n?){0,3})/u.exec(text);
  if (!m) return null;
  const lines = [m[1]!, ...m[2]!.split('\n')].map((l) => l.trim()).filter(Boolean);
  const name = lines.find((l) => NAME_RE.test(l)) ?? null;
  const phoneLine = lines.find((l) => PHONE_RE.test(l));
  const phone = phoneLine ? PHONE_RE.exec(phoneLine)![0] : null;
  if (!name && !phone) return null;
  return { value: { name, phone }, start: m.index, end: m.index + m[0].length, rule: 'handlaggare-block' };
}

/** Titles: a known vocabulary and its pattern (…chef, …direktör), optionally acting or deputy. */
const TITLE = /(?:(?:t\.?f\.?|tillförordnad|biträdande|bitr\.)\s+)?\p{L}*(?:chef|direktör|direktor)(?![\p{L}])/giu;
const TITLE_LINE = new RegExp(`^\\s*(?:${TITLE.source}\\s*){1,3}$`, 'iu');

function titleCase(s: string): string {
  return cap(s.toLowerCase().replace(/direktor$/u, 'direktör'));
}

/**
 * Splits a line of two names printed side by side. Columns apart by two or more spaces (or a
 * tab) split there; otherwise before the word that starts a known given name.
 */
function splitNames(line: string, count: number, isGivenName: (w: string) => boolean): Array<string | null> {
  const cols = line.trim().split(/\s{2,}|\t/u);
  if (cols.length === count) return cols;
  const words = line.trim().split(/\s+/);
  if (count === 2 && words.length >= 4) {
    for (let i = 2; i <= words.length - 2; i++) if (isGivenName(words[i]!)) return [words.slice(0, i).join(' '), words.slice(i).join(' ')];
  }
  if (count === 2 && words.length === 4) return [words.slice(0, 2).join(' '), words.slice(2).join(' ')];
  return count === 1 ? [line.trim()] : new Array<string | null>(count).fill(null);
}

export function findSignatories(
  text: string,
  isGivenName: (w: string) => boolean,
): Array<Found<{ name: string | null; title: string }>> {
  const lines = text.split('\n');
  const offsets: number[] = [];
  let at = 0;
  for (const l of lines) {
    offsets.push(at);
    at += l.length + 1;
  }
  const out: Array<Found<{ name: string | null; title: string }>> = [];
  lines.forEach((line, i) => {
    if (!TITLE_LINE.test(line)) return;
    const titles = [...line.matchAll(TITLE)].map((t) => titleCase(t[0].trim()));
    // The name line: the nearest non-empty line above, if it is names and not another title.
    let j = i - 1;
    while (j >= 0 && !lines[j]!.trim()) j--;
    const above = j >= 0 ? lines[j]! : '';
    const isNames = above && !TITLE_LINE.test(above) && /^\s*\p{Lu}[\p{L}'-]+(?:\s+\p{Lu}[\p{L}'-]+)+\s*$/u.test(above) && !/\d/.test(above);
    const names = isNames ? splitNames(above, titles.length, isGivenName) : titles.map(() => null);
    titles.forEach((title, k) => {
      const name = names[k] ?? null;
      out.push({ value: { name: name && NAME_RE.test(name.trim()) ? name.trim() : null, title }, start: offsets[isNames ? j : i]!, end: offsets[i]! + line.length, rule: 'signature-block' });
    });
  });
  return out;
}

export { fold };
