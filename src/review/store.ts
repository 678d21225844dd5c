/**
 * Corrections and machine extractions in the database (tables of migration 10): reading only.
 * Writing a correction is in ./correct.ts; the record tables are written by the store (archive.ts).
 */
import type { Database } from 'better-sqlite3';
import type { Correction } from '../../schemas/correction.js';
import type { Evidence, Extracted } from '../../schemas/record.js';
import type { Extraction } from '../document-file.js';
import { prepared } from '../store/statements.js';

interface CorrectionRow {
  id: number;
  sha256: string;
  path: string;
  action: Correction['action'];
  target: string;
  old_value: string | null;
  new_value: string | null;
  by: string;
  at: string;
  reason: string | null;
  carried_from: number | null;
  undone_at: string | null;
  undone_by: string | null;
}

const parse = (s: string | null) => (s === null ? null : JSON.parse(s));

function fromRow(r: CorrectionRow): Correction {
  return { ...r, target: JSON.parse(r.target), old_value: parse(r.old_value), new_value: parse(r.new_value) };
}

/** A document's corrections in the order they were made; `active` leaves out undone ones. */
export function listCorrections(db: Database, sha256: string, options: { active?: boolean } = {}): Correction[] {
  const rows = prepared(db, `SELECT * FROM corrections WHERE sha256 = ? ${options.active ? 'AND undone_at IS NULL' : ''} ORDER BY id`).all(sha256) as CorrectionRow[];
  return rows.map(fromRow);
}

export function getCorrection(db: Database, id: number): Correction | undefined {
  const row = prepared(db, 'SELECT * FROM corrections WHERE id = ?').get(id) as CorrectionRow | undefined;
  return row && fromRow(row);
}

/** The machine's extraction of a document as it made it (before corrections), or undefined when it has none. */
export function machineExtraction(db: Database, documentId: number): Extraction | undefined {
  const row = prepared(db, 'SELECT record, evidence FROM machine_extractions WHERE document_id = ?').get(documentId) as { record: string; evidence: string } | undefined;
  if (row) return { record: JSON.parse(row.record) as Extracted, evidence: JSON.parse(row.evidence) as Record<string, Evidence> };
  return extractionFromRows(db, documentId);
}

/** A record read back from its tables (for records stored before migration 10, which had no corrections). */
export function extractionFromRows(db: Database, documentId: number): Extraction | undefined {
  const e = prepared(db, 'SELECT * FROM extractions WHERE document_id = ?').get(documentId) as Record<string, unknown> | undefined;
  if (!e) return undefined;
  const all = (sql: string) => prepared(db, sql).all(documentId) as Array<Record<string, unknown>>;
  const record: Extracted = {
    topic: e.topic as Extracted['topic'],
    year: e.year as number | null,
    board: e.board as string | null,
    administration: e.administration as string | null,
    diarienummer: e.diarienummer as string | null,
    document_date: e.document_date as string | null,
    meeting_date: e.meeting_date as string | null,
    units: all('SELECT name, department, operator, provider, class FROM units WHERE document_id = ? ORDER BY position') as Extracted['units'],
    classes: all('SELECT class FROM classes_offered WHERE document_id = ? ORDER BY position').map((r) => r.class) as Extracted['classes'],
    dates: all('SELECT kind, date, text FROM event_dates WHERE document_id = ? ORDER BY position') as Extracted['dates'],
    signatories: all('SELECT name, title FROM signatories WHERE document_id = ? ORDER BY position') as Extracted['signatories'],
    case_officer: e.has_case_officer ? { name: e.case_officer_name as string | null, phone: e.case_officer_phone as string | null } : null,
    target_units: e.target_units as number | null,
  };
  const evidence: Record<string, Evidence> = {};
  for (const r of all('SELECT path, page, start, "end", snippet, rule, confidence FROM evidence WHERE document_id = ? ORDER BY rowid')) {
    const { path, confidence, ...rest } = r as { path: string; confidence: number | null } & Omit<Evidence, 'confidence'>;
    evidence[path] = confidence === null ? rest : { ...rest, confidence };
  }
  return { record, evidence };
}
