/**
 * Letterhead and side-column material: the administration's name, street or box address,
 * postcode and city, switchboard and phone, e-mail, web address, and OCR garbage from logos.
 * Found on lines of their own and, where OCR merged a side column into the body, as the start
 * of a body line. Marked (not removed: normalize keeps all content) so that extraction ignores it.
 */
import { fold } from './fold.js';

export type LetterheadKind = 'email' | 'web' | 'postcode' | 'phone' | 'address' | 'administration' | 'garbage';

export interface LetterheadSpan {
  start: number;
  end: number;
  kind: LetterheadKind;
  text: string;
}

const EMAIL = /^\S+@\S+\.\w+|^[\w.-]+@$/u;
const WEB = /^(?:https?:\/\/|www\.)\S+|^[\w-]+\.stockholm\b\S*|^[\w.-]+\.(?:se|nu|com|org|net)$/u;
/** "123 21 Farsta", "SE-106 64 Stockholm". */
const POSTCODE = /^(?:SE-?)?\d{3} ?\d{2} \p{Lu}[\p{L}-]+/u;
/**
 * "Växel 08-508 000 00", "Fax …", or a bare number behind a bit of logo garbage. ("Telefon:" is
 * left alone: in a report's header it is the case officer's number.)
 */
const PHONE = /^(?:(?:v[aä]xel|fax|vx)\b\.?:?\s*|(?=\S*[^\p{L}\s:])\S{1,8}\s)?(?:\+46|0)\d{1,3}[- ]?\d[\d ]{4,}\d/iu;
const ADDRESS = /^(?:Box \d+|Postadress|Besöksadress|Besoksadress|\p{Lu}[\p{L}]+(?:gatan|vägen|vagen|torget|backen|gränd|grand|plan|allén|allen|stigen|platsen) \d+\w?)/u;
/** An administration or office named alone on a line. */
const ADMINISTRATION = /^[\p{L}-]*(?:forvaltning(?:en)?|kontoret)$/u;

function isGarbage(token: string): boolean {
  const letters = (token.match(/\p{L}/gu) ?? []).length;
  const odd = (token.match(/[^\p{L}\p{N}\s.,:;!?()\-–'’"”/]/gu) ?? []).length;
  return token.length >= 3 && (odd >= 2 || (odd >= 1 && letters / token.length < 0.6));
}

/** Letterhead spans of one page's text (offsets into it). */
export function findLetterhead(text: string): LetterheadSpan[] {
  const spans = findLetterheadLines(text);
  return [...spans, ...sideColumnNames(text, spans)].sort((a, b) => a.start - b.start);
}

/** "Socialförvaltningen", "Södermalms stadsdelsförvaltning", "Avdelningen för ekonomi och administration". */
const ADMIN_PREFIX = /^(?:\p{Lu}[\p{L}-]*s\s+)?\p{Lu}?[\p{L}-]*(?:förvaltning(?:en)?|kontoret)(?=\s+\S)/u;
const UNIT_PREFIX = /^(?:Avdelningen|Enheten|Staben)(?:\s+för\s+\p{Ll}[\p{L}-]*(?:\s+(?:och|samt)\s+\p{Ll}[\p{L}-]*)?)?(?=\s+\S)/u;

/**
 * A side column merged into the body puts its name lines (the administration, a department) at
 * the start of body lines just above or below its address lines: marked where such a line sits
 * within two lines of a line that starts with a letterhead address, phone, e-mail or web address.
 */
function sideColumnNames(text: string, spans: LetterheadSpan[]): LetterheadSpan[] {
  const lines: Array<{ start: number; text: string }> = [];
  let at = 0;
  for (const line of text.split('\n')) {
    lines.push({ start: at, text: line });
    at += line.length + 1;
  }
  // Spans come in text order: one pass pairs each with its line (linear in the text).
  const prefixed = new Set<number>();
  const starts = new Set<number>();
  let i = 0;
  for (const s of spans) {
    starts.add(s.start);
    while (i < lines.length - 1 && lines[i + 1]!.start <= s.start) i++;
    const l = lines[i]!;
    if (s.start < l.start + l.text.length && s.kind !== 'administration' && s.kind !== 'garbage' && s.text.length < l.text.trim().length) prefixed.add(i);
  }
  const out: LetterheadSpan[] = [];
  // Neighbours by non-blank lines: exports put blank lines between the merged lines.
  const filled = lines.map((l, i) => (l.text.trim() ? i : -1)).filter((i) => i >= 0);
  const rank = new Map(filled.map((line, k) => [line, k]));
  lines.forEach((l, i) => {
    if (prefixed.has(i) || !l.text.trim()) return;
    const k = rank.get(i)!;
    const after = [filled[k + 1], filled[k + 2]].filter((j): j is number => j !== undefined);
    const before = filled[k - 1];
    const lead = l.text.length - l.text.trimStart().length;
    const body = l.text.trim();
    const m = ADMIN_PREFIX.exec(body) ?? UNIT_PREFIX.exec(body);
    if (!m) return;
    // Beside address lines; or in front of what cannot follow a name in prose: a bullet or list
    // number, or the rest of a word or sentence that the line above broke off.
    const rest = body.slice(m[0].length).trimStart();
    const previous = before !== undefined ? lines[before]!.text.trim() : '';
    const besideAddress = after.some((j) => prefixed.has(j)) || (before !== undefined && prefixed.has(before));
    const beforeList = /^(?:[•·▪–]|\d{1,2}[.)]\s)/u.test(rest);
    const continues = /^\p{Ll}/u.test(rest) && (/\p{Ll}-$/u.test(previous) || (/[\p{Ll},]$/u.test(previous) && previous.length >= 45));
    if (!besideAddress && !beforeList && !continues) return;
    if (starts.has(l.start + lead)) return;
    out.push({ start: l.start + lead, end: l.start + lead + m[0].length, kind: 'administration', text: m[0] });
  });
  return out;
}

function findLetterheadLines(text: string): LetterheadSpan[] {
  const spans: LetterheadSpan[] = [];
  let offset = 0;
  let previous = '';
  for (const line of text.split('\n')) {
    const introduced = /(?::|\btill)\s*$/iu.test(previous);
    if (line.trim()) previous = line.trim();
    const lead = line.length - line.trimStart().length;
    const body = line.trim();
    const at = offset + lead;
    offset += line.length + 1;
    if (!body) continue;
    const add = (kind: LetterheadKind, length: number) => spans.push({ start: at, end: at + length, kind, text: body.slice(0, length) });
    if (body[0] !== body[0]!.toLowerCase() && ADMINISTRATION.test(fold(body))) {
      add('administration', body.length);
      continue;
    }
    const match = (re: RegExp) => re.exec(body)?.[0];
    // An address the text sends you to ("… till:" on the line before), or one a sentence
    // goes on after ("…@stockholm.se, Stadsledningskontoret"), is body text.
    const email = match(EMAIL);
    if (email && !introduced && !/^[,.;)]/u.test(body.slice(email.length))) {
      add('email', email.replace(/[,.;]$/u, '').length);
      continue;
    }
    if (email) continue;
    const kinds: Array<[LetterheadKind, RegExp]> = [['web', WEB], ['postcode', POSTCODE], ['phone', PHONE], ['address', ADDRESS]];
    const hit = kinds.map(([kind, re]) => [kind, match(re)] as const).find(([, m]) => m);
    if (hit) {
      add(hit[0], hit[1]!.length);
      continue;
    }
    // Logo garbage: the leading run of garbage tokens (and a number stuck to them).
    const tokens = body.split(/(\s+)/);
    let length = 0;
    let garbage = false;
    for (let i = 0; i < tokens.length; i += 2) {
      const tok = tokens[i]!;
      if (isGarbage(tok) || (garbage && /^\d{1,3}$/.test(tok))) {
        garbage = true;
        length += tok.length + (tokens[i + 1]?.length ?? 0);
      } else break;
    }
    if (garbage) add('garbage', body.slice(0, length).trimEnd().length);
  }
  return spans;
}
