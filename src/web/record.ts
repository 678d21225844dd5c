/**
 * A document's effective record for the web pages, and the review queue, built from the library's
 * pure functions (machineExtraction, listCorrections, applyCorrections) with direct lookups.
 * reviewDocument and reviewQueue (src/review/queue.ts) answer the same, but the queue builds every
 * qualifying document's review before it cuts to its limit (960 ms at 100,000 documents even with
 * migration 15's index on `documents.superseded_by`); this one stops when its page is full. Here earlier versions are
 * found from the corrections table (small) instead: CROSS JOIN keeps it first whatever the
 * statistics say (with few corrections the planner would otherwise scan every document).
 */
import type { Database } from 'better-sqlite3';
import { applyCorrections, evidenceKey, fieldsOf, listCorrections, machineExtraction, SCALAR_FIELDS, valueAt, type Correction, type Extraction } from '../index.js';

export interface ValueRow {
  path: string;
  value: unknown;
  /** The machine's value (null for a value a person added). */
  machine: unknown;
  confidence: number | null;
  status: string;
  /** The evidence path (units[2], dates[0], classes, board, …). */
  evidence: string;
}

export interface RecordView {
  values: ValueRow[];
  evidence: Extraction['evidence'];
  confirmed: boolean;
  needs_review: boolean;
  review_reasons: string[];
  corrections: Array<Correction & { outcome: string }>;
  /** Corrections of an earlier version of this file, offered, not applied. */
  offered: Correction[];
}

function machineAt(machine: Extraction['record'], origins: { units: Array<number | null>; dates: Array<number | null>; classes: Array<number | null> }, path: string): unknown {
  const m = /^(units|dates|classes)\[(\d+)\](.*)$/.exec(path);
  if (!m) return valueAt(machine, path) ?? null;
  const origin = origins[m[1] as 'units' | 'dates' | 'classes'][Number(m[2])];
  return origin === null || origin === undefined ? null : (valueAt(machine, `${m[1]}[${origin}]${m[3]}`) ?? null);
}

/** Active corrections of earlier versions of this document not carried over to it. */
function offeredFrom(db: Database, documentId: number, sha256: string): Correction[] {
  const earlier = db
    .prepare(
      `SELECT DISTINCT o.sha256 FROM corrections c CROSS JOIN documents o ON o.sha256 = c.sha256
       WHERE c.undone_at IS NULL AND c.action <> 'confirm' AND o.superseded_by = ?`,
    )
    .pluck()
    .all(documentId) as string[];
  if (!earlier.length) return [];
  const taken = new Set(db.prepare('SELECT carried_from FROM corrections WHERE sha256 = ? AND carried_from IS NOT NULL').pluck().all(sha256) as number[]);
  return earlier.flatMap((s) => listCorrections(db, s, { active: true }).filter((c) => c.action !== 'confirm' && !taken.has(c.id)));
}

/** The record with corrections applied, every correctable value with its machine value, confidence and status; undefined when the document has no extraction. */
export function recordView(db: Database, documentId: number, sha256: string): RecordView | undefined {
  const machine = machineExtraction(db, documentId);
  if (!machine) return undefined;
  const all = listCorrections(db, sha256);
  const applied = applyCorrections(machine, all.filter((c) => !c.undone_at));
  const { record, evidence } = applied.extraction;
  const flags = db.prepare('SELECT needs_review, review_reasons FROM extractions WHERE document_id = ?').get(documentId) as { needs_review: number; review_reasons: string } | undefined;
  const notes = new Map(applied.notes.map((n) => [n.path, n]));
  const paths: string[] = [...SCALAR_FIELDS];
  record.units.forEach((_, i) => paths.push(`units[${i}].name`, `units[${i}].class`, `units[${i}].department`));
  record.dates.forEach((_, i) => paths.push(`dates[${i}].date`, `dates[${i}].kind`));
  record.classes.forEach((_, i) => paths.push(`classes[${i}]`));
  const values = paths.map((path) => {
    const key = evidenceKey(path);
    const note = notes.get(path) ?? notes.get(key);
    return {
      path,
      value: valueAt(record, path) ?? null,
      machine: machineAt(machine.record, applied.origins, path),
      confidence: evidence[key]?.confidence ?? null,
      status: note ? `corrected #${note.id} by ${note.by}` : '',
      evidence: key,
    };
  });
  return {
    values,
    evidence,
    confirmed: applied.confirmed,
    needs_review: flags?.needs_review === 1,
    review_reasons: flags ? (JSON.parse(flags.review_reasons) as string[]) : [],
    corrections: all.map((c) => ({ ...c, outcome: c.undone_at ? 'undone' : (applied.outcomes.get(c.id) ?? 'orphaned') })),
    offered: offeredFrom(db, documentId, sha256),
  };
}

export interface QueueRow {
  sha256: string;
  file: string;
  path: string;
  value: unknown;
  confidence: number | null;
  status: string;
  evidence: string;
}

/** The correctable paths behind an evidence path (as reviewQueue lists them): a unit's name, class and department; a date's date and kind; each class. */
/** A value as one cell, as the review CSV has it: text as it is, none as empty, anything else as JSON. */
const shown = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v));

/**
 * The review queue, as reviewQueue orders it: corrections that need a person (orphaned, or offered
 * from a changed file's earlier version), then what flagged documents were flagged for, then the
 * least sure values of the other current documents; confirmed documents leave it. At most `limit` rows.
 */
export function webReviewQueue(db: Database, limit = 200, below = 0.9): QueueRow[] {
  const rows: QueueRow[] = [];
  const full = () => rows.length >= limit;
  type Doc = { id: number; sha256: string; file_name: string };
  const evidenceText = (e: Extraction['evidence'][string] | undefined) => (e ? `p. ${e.page}: ${e.snippet}` : '');
  // Corrections needing a person.
  const corrected = db
    .prepare(`SELECT DISTINCT d.id, d.sha256, d.file_name FROM corrections c CROSS JOIN documents d ON d.sha256 = c.sha256 WHERE c.undone_at IS NULL AND d.superseded_by IS NULL ORDER BY d.file_name, d.id`)
    .all() as Doc[];
  const confirmed = new Set<string>();
  for (const d of corrected) {
    const view = recordView(db, d.id, d.sha256);
    if (!view) continue;
    if (view.confirmed) confirmed.add(d.sha256);
    for (const c of view.corrections) if (c.outcome === 'orphaned') rows.push({ sha256: d.sha256, file: d.file_name, path: c.path, value: shown(c.new_value), confidence: null, status: `orphaned #${c.id}`, evidence: '' });
  }
  const offered = db
    .prepare(
      `SELECT DISTINCT n.id, n.sha256, n.file_name FROM corrections c CROSS JOIN documents o ON o.sha256 = c.sha256 CROSS JOIN documents n ON n.id = o.superseded_by
       WHERE c.undone_at IS NULL AND c.action <> 'confirm' AND n.superseded_by IS NULL ORDER BY n.file_name, n.id`,
    )
    .all() as Doc[];
  for (const d of offered) {
    for (const c of recordView(db, d.id, d.sha256)?.offered ?? []) rows.push({ sha256: d.sha256, file: d.file_name, path: c.path, value: shown(c.new_value), confidence: null, status: `carried over? #${c.id}`, evidence: '' });
  }
  // Flagged documents, by file name, a page of them at a time until the queue is full.
  const flagged = db.prepare(
    `SELECT d.id, d.sha256, d.file_name, e.review_reasons FROM extractions e JOIN documents d ON d.id = e.document_id
     WHERE e.current AND e.needs_review = 1 ORDER BY d.file_name, d.id LIMIT ? OFFSET ?`,
  );
  for (let offset = 0; !full(); offset += limit) {
    const docs = flagged.all(limit, offset) as Array<Doc & { review_reasons: string }>;
    if (!docs.length) break;
    for (const d of docs) {
      if (confirmed.has(d.sha256) || full()) continue;
      const machine = machineExtraction(db, d.id);
      if (!machine) continue;
      const active = listCorrections(db, d.sha256, { active: true });
      const applied = active.length ? applyCorrections(machine, active) : undefined;
      if (applied?.confirmed) continue;
      const { record, evidence } = applied?.extraction ?? machine;
      for (const reason of JSON.parse(d.review_reasons) as string[]) {
        const path = reason.slice(0, reason.indexOf(':'));
        for (const p of path === 'units' ? ['units[+]'] : fieldsOf(path, record)) {
          const e = evidence[evidenceKey(p)];
          rows.push({ sha256: d.sha256, file: d.file_name, path: p, value: p.endsWith('[+]') ? '' : shown(valueAt(record, p)), confidence: e?.confidence ?? null, status: `needs review: ${reason.slice(path.length + 2)}`, evidence: evidenceText(e) });
        }
      }
    }
  }
  if (full()) return rows.slice(0, limit);
  // The least sure values of the other current documents.
  const unsure = db
    .prepare(
      `SELECT d.id, d.sha256, d.file_name, x.path, x.confidence FROM evidence x JOIN extractions e ON e.document_id = x.document_id JOIN documents d ON d.id = x.document_id
       WHERE e.current AND NOT e.needs_review AND x.confidence < ? ORDER BY x.confidence, d.file_name, d.id, x.rowid LIMIT ?`,
    )
    .all(below, limit * 2) as Array<Doc & { path: string; confidence: number }>;
  for (const u of unsure) {
    if (confirmed.has(u.sha256) || full()) continue;
    const view = recordView(db, u.id, u.sha256);
    if (!view || view.confirmed) continue;
    if (view.values.some((v) => v.evidence === u.path && v.status)) continue;
    const record = { units: [], dates: [], classes: view.values.filter((v) => v.path.startsWith('classes[')).map((v) => v.value) } as unknown as Extraction['record'];
    for (const p of fieldsOf(u.path, record)) {
      rows.push({ sha256: u.sha256, file: u.file_name, path: p, value: shown(view.values.find((v) => v.path === p)?.value), confidence: u.confidence, status: `confidence ${u.confidence}`, evidence: evidenceText(view.evidence[u.path]) });
    }
  }
  return rows.slice(0, limit);
}
