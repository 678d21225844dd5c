/**
 * The extract stage: from the layout's blocks, the record defined in test/gold/README.md, each
 * value with its evidence (page, offsets, snippet, rule) and a confidence (0–1). A document whose
 * values are uncertain is flagged `needs_review`.
 */
import { addMessage, type DocumentFile, type Extraction } from '../document-file.js';
import type { DateKind, Evidence, Extracted } from '../../schemas/record.js';
import { docOffset, layoutText, sentencesOf, type Block } from '../layout/blocks.js';
import { PARTICIPATES } from './grammar.js';
import { offeredClasses } from './classes.js';
import { classifyDates, findDates } from './dates.js';
import { docText, flat } from './doc-text.js';
import { readHeader } from './header.js';
import { findSignatories } from './signatures.js';
import { findTarget, findUnits } from './units.js';

/** Bump when extraction rules change: documents are re-extracted from stored text. */
export const EXTRACT_VERSION = '3';

/** Below this, a value is worth a person's look; a document with such a value needs review. */
export const REVIEW_BELOW = 0.7;

const AWARD = /kvalitetsutmärkelse\w*|kvalitetspris\w*|kvalitetstävling\w*|utmärkelsen\s+för\s+kvalitet/iu;

/** Blocks of the decision: after "Förslag till beslut" up to the next heading. */
function decisionBlocks(blocks: Block[]): Block[] {
  const i = blocks.findIndex((b) => /^(?:\S+\s+)?förslag till beslut\b/iu.test(b.text) && b.text.length < 60);
  if (i < 0) return [];
  // The decision is its numbered items, or its first paragraph.
  const out: Block[] = [];
  for (const b of blocks.slice(i + 1)) {
    if (b.kind === 'page-header') continue;
    if (b.kind === 'heading' || (out.length && b.kind !== 'item') || (out.length && out[0]!.kind !== 'item')) break;
    out.push(b);
  }
  return out;
}

/** The numbered item (§ N) about the award, when the document is minutes or an agenda of many items. */
function awardItem(blocks: Block[]): Block[] | null {
  const starts = blocks.map((b, i) => (/^§\s*\d+/u.test(b.text) && b.kind !== 'header' && b.kind !== 'page-header' ? i : -1)).filter((i) => i >= 0);
  if (starts.length < 2) return null;
  const items = starts.map((s, k) => blocks.slice(s, starts[k + 1] ?? blocks.length).filter((b) => b.kind !== 'page-header'));
  return items.find((it) => AWARD.test(it[0]!.text)) ?? items.find((it) => it.some((b) => AWARD.test(b.text))) ?? null;
}

function titleBlock(blocks: Block[]): Block | null {
  for (const b of blocks) {
    if (b.kind === 'header' || b.kind === 'page-header' || b.kind === 'table') continue;
    if (/^(?:tjänsteutlåtande|bilaga\s*\d*|till\b.*|\d{4}-\d{2}-\d{2}.*|dnr\b.*|sida\b.*)$/iu.test(b.text)) continue;
    if (/^(?:\S+\s+)?förslag till beslut\b/iu.test(b.text)) return null;
    if (/^(?:sammanfattning|bakgrund|ärendet|ärendets beredning|beslut|yttrande)$/iu.test(b.text)) return null;
    return b.kind === 'heading' || b.text.length < 140 ? b : null;
  }
  return null;
}

/** The award year: "kvalitetsutmärkelse(n) 2023" (title first), else the award date's year, else the commonest year. */
function findYear(blocks: Block[], title: Block | null): { year: number; block: Block; start: number; end: number; rule: string; confidence: number } | null {
  for (const b of title ? [title, ...blocks] : blocks) {
    if (b.kind === 'header' || b.kind === 'page-header') continue;
    const m = /\b(?:kvalitetsutmärkelse\w*|kvalitetspris\w*|utmärkelse\w*)\s+(?:år\s+)?((?:19|20)\d\d)\b/iu.exec(b.text) ?? /\b((?:19|20)\d\d)\s+års\s+kvalitetsutmärkelse/iu.exec(b.text);
    if (m) return { year: Number(m[1]), block: b, start: m.index, end: m.index + m[0].length, rule: b === title ? 'award-year-in-title' : 'award-named-with-year', confidence: b === title ? 0.95 : 0.85 };
  }
  for (const b of blocks) {
    if (b.kind === 'header' || b.kind === 'page-header') continue;
    for (const s of sentencesOf(b)) {
      const award = classifyDates(s.text, findDates(s.text, null)).find((d) => d.kind === 'award' && !d.impliedYear);
      if (award) return { year: Number(award.iso.slice(0, 4)), block: b, start: s.start + award.start, end: s.start + award.end, rule: 'award-date', confidence: 0.8 };
    }
  }
  const counts = new Map<number, { n: number; block: Block; at: number }>();
  for (const b of blocks) for (const m of b.text.matchAll(/\b(19[89]\d|20\d\d)\b/gu)) {
    const y = Number(m[1]);
    const c = counts.get(y);
    if (c) c.n++;
    else counts.set(y, { n: 1, block: b, at: m.index });
  }
  const top = [...counts].sort((a, b) => b[1].n - a[1].n)[0];
  return top ? { year: top[0], block: top[1].block, start: top[1].at, end: top[1].at + 4, rule: 'commonest-year', confidence: 0.5 } : null;
}

export function extractRecord(file: DocumentFile): Extraction {
  const { text, evidence: evidenceAt } = docText(file);
  // The layout stage's blocks (rebuilt here when extraction runs alone, e.g. on a test document).
  const allBlocks = file.layout?.text === text ? file.layout.blocks : layoutText(text).blocks;
  const evidence: Record<string, Evidence> = {};
  const ev = (start: number, end: number, rule: string, confidence: number): Evidence => ({ ...evidenceAt(start, end, rule), confidence: round(confidence) });

  // Minutes and agendas (protokoll, föredragningslista): the award is one numbered item (§) among
  // many; only that item is read for units, dates and classes, and its heading is the title.
  const item = awardItem(allBlocks);
  const blocks = item ? [...allBlocks.filter((b) => b.kind === 'header' || b.kind === 'page-header'), ...item] : allBlocks;
  const title = item ? item[0]! : titleBlock(blocks);
  const decision = item ? item.slice(1) : decisionBlocks(blocks);
  const yearFound = findYear(blocks, title);
  const year = yearFound?.year ?? null;
  const header = readHeader(allBlocks, year);
  const units = findUnits(blocks, { administration: header.administration?.value ?? null, board: header.board?.value ?? null });

  const framing = [title, ...decision].filter((b): b is Block => !!b).map((b) => b.text).join(' ');
  const awardInFraming = AWARD.test(framing);
  const participationInFraming = PARTICIPATES.test(framing) || /\b(?:deltagande|anmälan|medverkan|nominering)\b/iu.test(title?.text ?? '');
  const mentions = blocks.reduce((n, b) => n + (b.text.match(new RegExp(AWARD.source, 'giu'))?.length ?? 0), 0);
  // A title about something else (another prize, a remiss, a plan) keeps the document `other`, even
  // where it names units that once took part.
  const topic: Extracted['topic'] = (awardInFraming && participationInFraming) || (units.length > 0 && mentions >= 1 && (awardInFraming || !title)) ? 'award_participation' : 'other';
  const topicConfidence = awardInFraming && participationInFraming ? 0.95 : units.length > 0 ? 0.75 : 0.8;

  const dates: Extracted['dates'] = [];
  const seen = new Set<string>();
  const dateConfidence: number[] = [];
  const pushDate = (kind: DateKind, iso: string, raw: string, start: number, end: number, rule: string, confidence: number) => {
    const key = `${kind} ${iso}`;
    if (seen.has(key)) return;
    seen.add(key);
    evidence[`dates[${dates.length}]`] = ev(start, end, rule, confidence);
    dateConfidence.push(confidence);
    dates.push({ kind, date: iso, text: flat(raw) });
  };
  if (header.documentDate) pushDate('document', header.documentDate.value, text.slice(header.documentDate.start, header.documentDate.end), header.documentDate.start, header.documentDate.end, header.documentDate.rule, header.documentDate.confidence);
  if (header.meetingDate) pushDate('board_meeting', header.meetingDate.value, text.slice(header.meetingDate.start, header.meetingDate.end), header.meetingDate.start, header.meetingDate.end, header.meetingDate.rule, header.meetingDate.confidence);
  if (topic === 'award_participation') {
    for (const b of blocks) {
      if (b.kind === 'header' || b.kind === 'page-header') continue;
      for (const s of sentencesOf(b)) {
        for (const d of classifyDates(s.text, findDates(s.text, year))) {
          const start = docOffset(b, s.start + d.start);
          if (start === header.documentDate?.start || start === header.meetingDate?.start) continue;
          pushDate(d.kind, d.iso, d.text, start, docOffset(b, s.start + d.end), `date-cue:${d.cue.toLowerCase()}`, d.impliedYear ? 0.75 : 0.85);
        }
      }
    }
  }

  const target = topic === 'award_participation' ? findTarget(blocks) : null;
  const offered = topic === 'award_participation' ? offeredClasses(blocks) : null;
  const signatories = findSignatories(allBlocks);
  const officer = header.caseOfficer;

  const record: Extracted = {
    topic,
    year: topic === 'other' ? null : year,
    board: header.board?.value ?? null,
    administration: header.administration?.value ?? null,
    diarienummer: header.diarienummer?.value ?? null,
    document_date: header.documentDate?.value ?? null,
    meeting_date: header.meetingDate?.value ?? null,
    units: topic === 'other' ? [] : units.map((u) => u.unit),
    classes: offered?.keys ?? [],
    dates,
    signatories: signatories.map((s) => s.value),
    case_officer: officer?.value ?? null,
    target_units: target?.value ?? null,
  };

  evidence.topic = ev(title ? docOffset(title, 0) : 0, title ? docOffset(title, title.text.length) : 0, awardInFraming ? 'award-in-title-or-decision' : units.length ? 'units-found' : 'no-participation', topicConfidence);
  if (yearFound && record.year !== null) evidence.year = ev(docOffset(yearFound.block, yearFound.start), docOffset(yearFound.block, yearFound.end), yearFound.rule, yearFound.confidence);
  for (const [key, f] of [['board', header.board], ['administration', header.administration], ['diarienummer', header.diarienummer], ['meeting_date', header.meetingDate], ['document_date', header.documentDate], ['case_officer', officer]] as const) {
    if (f) evidence[key] = ev(f.start, f.end, f.rule, f.confidence);
  }
  if (offered) evidence.classes = ev(docOffset(offered.block, offered.start), docOffset(offered.block, offered.end), 'classes-offered', 0.9);
  if (target) evidence.target_units = ev(docOffset(target.block, target.start), docOffset(target.block, target.end), 'target-indicator', 0.8);
  record.units.forEach((_, i) => (evidence[`units[${i}]`] = ev(units[i]!.start, units[i]!.end, units[i]!.rule, units[i]!.confidence)));
  signatories.forEach((s, i) => (evidence[`signatories[${i}]`] = ev(s.start, s.end, s.rule, s.confidence)));

  return { record, evidence };
}

const round = (x: number) => Math.round(x * 100) / 100;

/** Why a record needs a person's look, if it does. */
export function reviewReasons(extraction: Extraction): string[] {
  const r = extraction.record;
  const reasons: string[] = [];
  for (const [path, e] of Object.entries(extraction.evidence)) if ((e.confidence ?? 1) < REVIEW_BELOW) reasons.push(`${path}: low confidence ${e.confidence} (${e.rule})`);
  if (r.topic === 'award_participation') {
    if (r.year === null) reasons.push('year: not found');
    if (r.board === null) reasons.push('board: not found');
    if (!r.units.length) reasons.push('units: none found in a report about participation');
  }
  return reasons;
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
      confidence: e.confidence,
      reason: `${path} from "${e.snippet}"`,
    });
  }
  const reasons = reviewReasons(extraction);
  if (reasons.length) addMessage(file, { stage: 'extract', rule: 'needs-review', severity: 'warning', reason: `needs review: ${reasons.join('; ')}` });
  return file;
}
