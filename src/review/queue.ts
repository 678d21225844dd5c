/**
 * The review queue and one document's review: what a person should check first (documents
 * flagged needs_review, then the values the extractor was least sure of), each with its evidence,
 * and the corrections already made (applied, orphaned, or offered from a changed file's earlier
 * version). The queue's CSV is the shape `correct --from` reads back.
 */
import type { Database } from 'better-sqlite3';
import type { Correction } from '../../schemas/correction.js';
import type { Evidence, Extracted } from '../../schemas/record.js';
import type { Extraction } from '../document-file.js';
import { applyCorrections, CorrectionError, parsePath, SCALAR_FIELDS, type Applied, type CorrectionInput, type Outcome } from './apply.js';
import { carriedOverOffers, carryOver, makeCorrections, resolveDocument, type CarriedOver, type CorrectionRequest, type DocumentRef, type MadeCorrection } from './correct.js';
import { listCorrections, machineExtraction } from './store.js';

/** The columns of `review --format csv`, and of the file `correct --from` reads. */
export const REVIEW_COLUMNS = ['sha256', 'file', 'path', 'machine', 'value', 'action', 'reason', 'by', 'status', 'confidence', 'evidence'] as const;
export type ReviewRow = Record<(typeof REVIEW_COLUMNS)[number], string | number | null>;

/** A value as one CSV cell: text as it is, none as empty, anything else as JSON. */
export function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v);
}

/** The value at a path of a record (`units[2].class`, `board`, `dates[0]`), or undefined when there is none. */
export function valueAt(record: Extracted, path: string): unknown {
  let v: unknown = record;
  for (const part of path.match(/[^.[\]]+/g) ?? []) {
    if (v === null || v === undefined || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** The machine's value behind an effective path (through the item's origin), or null for a value a person added. */
function machineAt(machine: Extracted, applied: Applied, path: string): unknown {
  const m = /^(units|dates|classes)\[(\d+)\](.*)$/.exec(path);
  if (!m) return valueAt(machine, path) ?? null;
  const origin = applied.origins[m[1] as 'units' | 'dates' | 'classes'][Number(m[2])];
  return origin === null || origin === undefined ? null : (valueAt(machine, `${m[1]}[${origin}]${m[3]}`) ?? null);
}

interface Reviewed {
  doc: DocumentRef;
  machine: Extraction;
  applied: Applied;
  corrections: Correction[];
}

function reviewed(db: Database, doc: DocumentRef): Reviewed | undefined {
  const machine = machineExtraction(db, doc.id);
  if (!machine) return undefined;
  const corrections = listCorrections(db, doc.sha256);
  return { doc, machine, corrections, applied: applyCorrections(machine, corrections.filter((c) => !c.undone_at)) };
}

/** The correctable paths behind an evidence path: a unit's name, class and department; a date's date and kind. */
/** The correctable paths under an evidence path (a unit's name, class and department; each class; …). */
export function fieldsOf(path: string, record: Extracted): string[] {
  if (/^units\[\d+\]$/.test(path)) return [`${path}.name`, `${path}.class`, `${path}.department`];
  if (/^dates\[\d+\]$/.test(path)) return [`${path}.date`, `${path}.kind`];
  if (path === 'classes') return record.classes.map((_, i) => `classes[${i}]`);
  return [path];
}

function row(r: Reviewed, path: string, status: string, evidence: Evidence | undefined, extra: Partial<ReviewRow> = {}): ReviewRow {
  const record = r.applied.extraction.record;
  return {
    sha256: r.doc.sha256,
    file: r.doc.file_name,
    path,
    machine: cell(path.endsWith('[+]') ? null : machineAt(r.machine.record, r.applied, path)),
    value: cell(path.endsWith('[+]') ? null : valueAt(record, path)),
    action: '',
    reason: '',
    by: '',
    status,
    confidence: evidence?.confidence ?? null,
    evidence: evidence ? `p. ${evidence.page}: ${evidence.snippet}` : '',
    ...extra,
  };
}

/** The evidence path a value's path is evidenced under (units[2].class → units[2], classes[1] → classes). */
export const evidenceKey = (path: string) => /^(units|dates)\[\d+\]/.exec(path)?.[0] ?? (path.startsWith('classes[') ? 'classes' : path);

/** Rows for a document's orphaned corrections and the corrections offered from its earlier version. */
function correctionRows(db: Database, r: Reviewed): ReviewRow[] {
  const rows: ReviewRow[] = [];
  for (const c of r.corrections) {
    if (c.undone_at || r.applied.outcomes.get(c.id) !== 'orphaned') continue;
    rows.push(row(r, c.path, `orphaned #${c.id}`, undefined, { machine: cell(c.old_value), value: cell(c.new_value), reason: c.reason ?? '', by: c.by }));
  }
  for (const o of carriedOverOffers(db, r.doc)) {
    rows.push(
      row(r, o.correction.path, `carried over? #${o.correction.id}${o.outcome === 'orphaned' ? ' (matches nothing here)' : ''}`, undefined, {
        machine: cell(o.correction.old_value),
        value: cell(o.correction.new_value),
        reason: o.correction.reason ?? '',
        by: o.correction.by,
      }),
    );
  }
  return rows;
}

export interface QueueOptions {
  /** At most this many rows (default 200). */
  limit?: number;
  /** Values with a confidence below this are listed after the flagged documents (default 0.9). */
  below?: number;
}

/** One unsure value's rows, with what orders them: confidence, then the document's file name and id, then the value's place. */
interface UnsureRows {
  confidence: number;
  file: string;
  id: number;
  at: number;
  rows: ReviewRow[];
}

const byUnsureOrder = (a: UnsureRows, b: UnsureRows) =>
  a.confidence - b.confidence || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.id - b.id || a.at - b.at;

/**
 * The review queue: corrections that need a person (orphaned, or offered from an earlier version of
 * a changed file), the values of documents flagged needs_review (with why), then the least sure
 * values of the other current documents, lowest confidence first. Confirmed documents leave it.
 *
 * It stops when `limit` rows are found: flagged documents are read a page at a time by file name,
 * unsure values a page at a time from the evidence table by confidence, so the first page of the
 * queue costs the same in an archive of 100 documents as in one of 100,000. Documents with
 * corrections (few) are read whole first, since a correction can change what they show.
 */
export function reviewQueue(db: Database, options: QueueOptions = {}): ReviewRow[] {
  const limit = options.limit ?? 200;
  const below = options.below ?? 0.9;
  const rows: ReviewRow[] = [];
  const full = () => rows.length >= limit;
  type Doc = DocumentRef & { needs_review: number; review_reasons: string };
  // 1. Documents with active corrections of their own or of an earlier version: the corrections
  // that need a person, and the documents' reviews (applied), kept for the stages below. The
  // corrections table leads (CROSS JOIN): it is small, the documents are many.
  const corrected = db
    .prepare(
      `SELECT id, file_name, sha256, needs_review, review_reasons FROM (
         SELECT d.id, d.file_name, d.sha256, e.needs_review, e.review_reasons
         FROM corrections c CROSS JOIN documents d ON d.sha256 = c.sha256 JOIN extractions e ON e.document_id = d.id
         WHERE c.undone_at IS NULL AND e.current
         UNION
         SELECT d.id, d.file_name, d.sha256, e.needs_review, e.review_reasons
         FROM corrections c CROSS JOIN documents o ON o.sha256 = c.sha256 CROSS JOIN documents d ON d.id = o.superseded_by JOIN extractions e ON e.document_id = d.id
         WHERE c.undone_at IS NULL AND e.current)
       ORDER BY needs_review DESC, file_name, id`,
    )
    .all() as Doc[];
  const withCorrections = new Map<number, Reviewed>();
  for (const d of corrected) {
    const r = reviewed(db, d);
    if (!r) continue;
    withCorrections.set(d.id, r);
    rows.push(...correctionRows(db, r));
  }
  /** A document's review: as read in stage 1 when it has corrections, else its machine record as it is. */
  const review = (d: DocumentRef): Reviewed | undefined => {
    if (withCorrections.has(d.id)) return withCorrections.get(d.id);
    const machine = machineExtraction(db, d.id);
    return machine ? { doc: d, machine, corrections: [], applied: applyCorrections(machine, []) } : undefined;
  };
  // 2. What flagged documents were flagged for, by file name, a page at a time.
  const flagged = db.prepare(
    `SELECT d.id, d.file_name, d.sha256, e.needs_review, e.review_reasons FROM extractions e JOIN documents d ON d.id = e.document_id
     WHERE e.current AND e.needs_review = 1 AND (d.file_name, d.id) > (?, ?) ORDER BY d.file_name, d.id LIMIT ?`,
  );
  for (let after: [string, number] = ['', 0]; !full(); ) {
    const docs = flagged.all(after[0], after[1], limit) as Doc[];
    if (!docs.length) break;
    after = [docs.at(-1)!.file_name, docs.at(-1)!.id];
    for (const d of docs) {
      const r = review(d);
      if (!r || r.applied.confirmed) continue;
      const { record, evidence } = r.applied.extraction;
      for (const reason of JSON.parse(d.review_reasons) as string[]) {
        const path = reason.slice(0, reason.indexOf(':'));
        const paths = path === 'units' ? ['units[+]'] : fieldsOf(path, record);
        for (const p of paths) rows.push(row(r, p, `needs review: ${reason.slice(path.length + 2)}`, evidence[evidenceKey(p)]));
      }
      if (full()) return rows.slice(0, limit);
    }
  }
  if (full()) return rows.slice(0, limit);
  // 3. The least sure values of the other current documents. Those of documents with corrections
  // are taken from their applied record (a correction may have moved or settled a value); the rest
  // come from the evidence table in order until enough are found, and the two are merged.
  const unsure = (r: Reviewed, path: string, e: Evidence, at: number): UnsureRows => ({
    confidence: e.confidence!,
    file: r.doc.file_name,
    id: r.doc.id,
    at,
    rows: fieldsOf(path, r.applied.extraction.record).map((p) => row(r, p, `confidence ${e.confidence}`, e)),
  });
  const candidates: UnsureRows[] = [];
  for (const d of corrected) {
    const r = withCorrections.get(d.id);
    if (!r || d.needs_review || r.applied.confirmed) continue;
    Object.entries(r.applied.extraction.evidence).forEach(([path, e], at) => {
      if ((e.confidence ?? 1) < below && !r.applied.corrected.has(path)) candidates.push(unsure(r, path, e, at));
    });
  }
  const wanted = limit - rows.length;
  const values = db.prepare(
    `SELECT d.id, d.file_name, d.sha256, x.path, x.rowid AS at FROM evidence x JOIN extractions e ON e.document_id = x.document_id JOIN documents d ON d.id = x.document_id
     WHERE e.current AND NOT e.needs_review AND x.confidence < ? ORDER BY x.confidence, d.file_name, d.id, x.rowid LIMIT ? OFFSET ?`,
  );
  let found = 0;
  for (let offset = 0; found < wanted; offset += wanted) {
    const page = values.all(below, wanted, offset) as Array<DocumentRef & { path: string; at: number }>;
    if (!page.length) break;
    for (const v of page) {
      if (withCorrections.has(v.id)) continue;
      const r = review(v);
      const e = r?.machine.evidence[v.path];
      if (!r || !e) continue;
      const u = unsure(r, v.path, e, v.at);
      candidates.push(u);
      found += u.rows.length;
    }
  }
  candidates.sort(byUnsureOrder);
  for (const c of candidates) rows.push(...c.rows);
  return rows.slice(0, limit);
}

export interface DocumentReview {
  file: string;
  sha256: string;
  needs_review: boolean;
  review_reasons: string[];
  confirmed: boolean;
  /** Every value of the record, with the machine's value, confidence and evidence. */
  values: ReviewRow[];
  /** The evidence of the record as corrected, by evidence path (units[2], classes, board, …). */
  evidence: Extraction['evidence'];
  /** Every correction made on this content, with how it fared (undone ones too). */
  corrections: Array<Correction & { outcome: Outcome | 'undone' }>;
  /** Corrections of an earlier version of this file, offered, not applied. */
  carried_over: CarriedOver[];
}

/** One document's record for review: each value with its confidence, evidence and any correction. */
export function reviewDocument(db: Database, ref: string): DocumentReview {
  const doc = resolveDocument(db, ref);
  const r = reviewed(db, doc);
  if (!r) throw new CorrectionError(`${doc.file_name} has no extracted record (it failed or was never extracted)`);
  const flags = db.prepare('SELECT needs_review, review_reasons FROM extractions WHERE document_id = ?').get(doc.id) as { needs_review: number; review_reasons: string };
  const { record, evidence } = r.applied.extraction;
  const values: ReviewRow[] = [];
  const correctedBy = new Map<string, string>();
  for (const n of r.applied.notes) correctedBy.set(n.path, `corrected #${n.id} by ${n.by}`);
  const statusOf = (p: string) => correctedBy.get(p) ?? (correctedBy.has(evidenceKey(p)) ? correctedBy.get(evidenceKey(p))! : '');
  for (const f of SCALAR_FIELDS) values.push(row(r, f, statusOf(f), evidence[f]));
  record.units.forEach((_, i) => fieldsOf(`units[${i}]`, record).forEach((p) => values.push(row(r, p, statusOf(p), evidence[`units[${i}]`]))));
  record.dates.forEach((_, i) => fieldsOf(`dates[${i}]`, record).forEach((p) => values.push(row(r, p, statusOf(p), evidence[`dates[${i}]`]))));
  record.classes.forEach((_, i) => values.push(row(r, `classes[${i}]`, statusOf(`classes[${i}]`), evidence.classes)));
  return {
    file: doc.file_name,
    sha256: doc.sha256,
    needs_review: flags.needs_review === 1,
    review_reasons: JSON.parse(flags.review_reasons) as string[],
    confirmed: r.applied.confirmed,
    values,
    evidence,
    corrections: r.corrections.map((c) => ({ ...c, outcome: c.undone_at ? ('undone' as const) : (r.applied.outcomes.get(c.id) ?? 'orphaned') })),
    carried_over: carriedOverOffers(db, doc),
  };
}

/** Parses CSV (RFC 4180; `,` or `;` as the header line has it; a byte-order mark is ignored) into records with their line numbers. */
export function parseCsv(text: string): Array<{ line: number; cells: string[] }> {
  const s = text.replace(/^\ufeff/, '');
  const firstLine = s.slice(0, s.search(/\r?\n|$/));
  const sep = firstLine.split(';').length > firstLine.split(',').length ? ';' : ',';
  const out: Array<{ line: number; cells: string[] }> = [];
  let cells: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quoted) {
      if (ch === '"' && s[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === sep) cells.push(field), (field = '');
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && s[i + 1] === '\n') i++;
      cells.push(field);
      if (cells.some((c) => c !== '')) out.push({ line: start, cells });
      cells = [];
      field = '';
      line++;
      start = line;
    } else field += ch;
  }
  if (quoted) throw new CorrectionError(`line ${start}: a quoted field is not closed`);
  cells.push(field);
  if (cells.some((c) => c !== '')) out.push({ line: start, cells });
  return out;
}

/**
 * The corrections a CSV in the review shape asks for. A row asks for nothing when its action is
 * empty and its value is the record's value now (an untouched row of `review --format csv`);
 * otherwise: an edited value sets it (`units[+]` adds a unit of that name), action `delete`
 * removes the unit, date or class, `confirm` confirms the document, `carry-over` takes over an
 * offered correction. Throws CorrectionError naming the line of the first bad row.
 */
export function requestsFromCsv(db: Database, text: string): { requests: CorrectionRequest[]; carryOvers: Array<{ line: number; document: string; id: number; by: string; reason: string }> } {
  const rows = parseCsv(text);
  if (!rows.length) throw new CorrectionError('the file is empty: it needs the header line of review --format csv');
  const header = rows[0]!.cells.map((h) => h.trim().toLowerCase());
  const col = (name: string) => header.indexOf(name);
  for (const need of ['path', 'value']) if (col(need) < 0) throw new CorrectionError(`line ${rows[0]!.line}: no "${need}" column; the header of review --format csv is ${REVIEW_COLUMNS.join(',')}`);
  if (col('sha256') < 0 && col('file') < 0) throw new CorrectionError(`line ${rows[0]!.line}: no "sha256" or "file" column to name the document`);
  const requests: CorrectionRequest[] = [];
  const carryOvers: Array<{ line: number; document: string; id: number; by: string; reason: string }> = [];
  const current = new Map<string, { record: Extracted; machine: Extracted; applied: Applied }>();
  const stateOf = (document: string) => {
    let state = current.get(document);
    if (!state) {
      const doc = resolveDocument(db, document);
      const machine = machineExtraction(db, doc.id);
      if (!machine) throw new CorrectionError(`${doc.file_name} has no extracted record to correct`);
      const applied = applyCorrections(machine, listCorrections(db, doc.sha256, { active: true }));
      state = { record: applied.extraction.record, machine: machine.record, applied };
      current.set(document, state);
    }
    return state;
  };
  // A row names its value by index: its machine column must still be the machine's value there,
  // or the file is older than the record (a unit removed since shifts the ones after it).
  const checkMachine = (state: { machine: Extracted; applied: Applied; record: Extracted }, path: string, line: number, machine: string, has: boolean) => {
    if (!has || /\[\+\]$/.test(path)) return;
    const now = cell(machineAt(state.machine, state.applied, path)).trim();
    if (valueAt(state.record, path.replace(/\.\w+$/, '')) === undefined) throw new CorrectionError(`${path}: the record has no such value now; export the CSV again with review --format csv`);
    if (now !== machine.trim()) throw new CorrectionError(`${path} is now a different value (machine value ${JSON.stringify(now)}, the row says ${JSON.stringify(machine.trim())}); export the CSV again with review --format csv`);
  };
  for (const { line, cells } of rows.slice(1)) {
    const get = (name: string) => (col(name) >= 0 ? (cells[col(name)] ?? '').trim() : '');
    const document = get('sha256') || get('file');
    const path = get('path');
    const action = get('action').toLowerCase();
    const value = col('value') >= 0 ? (cells[col('value')] ?? '') : '';
    const by = get('by');
    const reason = get('reason');
    const base = { document, by, reason, line };
    try {
      if (!document) throw new CorrectionError('no document (sha256 or file) in this row');
      if (action === 'carry-over') {
        const id = Number(/#(\d+)/.exec(get('status'))?.[1]);
        if (!Number.isInteger(id)) throw new CorrectionError('action carry-over needs the status "carried over? #id" of review --format csv');
        carryOvers.push({ line, document, id, by, reason });
        continue;
      }
      if (action === 'confirm') {
        requests.push({ ...base, input: { action: 'confirm' } });
        continue;
      }
      if (!path) throw new CorrectionError('no path in this row');
      if (action === 'delete' || action === 'remove') {
        checkMachine(stateOf(document), path, line, get('machine'), col('machine') >= 0);
        requests.push({ ...base, input: { action: 'remove', path: path.replace(/\.\w+$/, '') } });
        continue;
      }
      if (action !== '' && action !== 'set') throw new CorrectionError(`action "${action}" is not one of: (empty), set, delete, confirm, carry-over`);
      if (/^(orphaned|carried over\?)/.test(get('status')) && action === '') continue;
      if (path.endsWith('[+]')) {
        if (value.trim()) requests.push({ ...base, input: { action: 'add', path, value } });
        continue;
      }
      // An untouched row: its value is what the record holds now.
      const now = stateOf(document);
      if (action === '' && value.trim() === cell(valueAt(now.record, path)).trim()) continue;
      parsePath(path);
      checkMachine(now, path, line, get('machine'), col('machine') >= 0);
      requests.push({ ...base, input: { action: 'set', path, value } as CorrectionInput });
    } catch (error) {
      if (error instanceof CorrectionError) throw new CorrectionError(`line ${line}: ${error.message}`);
      throw error;
    }
  }
  return { requests, carryOvers };
}

/**
 * Applies a CSV of corrections (the shape of `review --format csv`) in one transaction: every row
 * or none. Throws CorrectionError naming the line of the first bad row; nothing is written then.
 */
export function correctFromCsv(db: Database, text: string, defaults: { by?: string; reason?: string | null } = {}): MadeCorrection[] {
  const { requests, carryOvers } = requestsFromCsv(db, text);
  return db.transaction(() => {
    const made = makeCorrections(db, requests, defaults);
    for (const c of carryOvers) {
      try {
        made.push(...carryOver(db, c.document, [c.id], { by: c.by || defaults.by }));
      } catch (error) {
        if (error instanceof CorrectionError) throw new CorrectionError(`line ${c.line}: ${error.message}`);
        throw error;
      }
    }
    return made;
  })();
}
