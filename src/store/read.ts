/**
 * Reading the archive: the export records and the status overview.
 */
import type { Database } from 'better-sqlite3';
import { DocumentRecordSchema, type DocumentRecord } from '../../schemas/record.js';
import { emptyCounts, type RunCounts } from './archive.js';
import { liveWriter } from './lock.js';

const COUNT_KEYS = Object.keys(emptyCounts()) as Array<keyof RunCounts>;

interface DocumentRow {
  id: number;
  sha256: string;
  file_name: string;
  format: string;
  media_type: string;
  bytes: number;
  page_count: number;
  ocr: number;
  first_seen: string;
  last_seen: string;
  ocr_confidence: number | null;
  missing: number;
  newer: string | null;
}

interface ExtractionRow {
  topic: 'award_participation' | 'other';
  year: number | null;
  board: string | null;
  administration: string | null;
  diarienummer: string | null;
  document_date: string | null;
  meeting_date: string | null;
  target_units: number | null;
  case_officer_name: string | null;
  case_officer_phone: string | null;
  has_case_officer: number;
  needs_review: number;
  review_reasons: string;
}

/** The extracted fields of a document, in the order of the record format, or {} when not extracted. */
function extractedFields(db: Database, documentId: number, withEvidence: boolean): Partial<DocumentRecord> {
  const e = db.prepare('SELECT * FROM extractions WHERE document_id = ?').get(documentId) as ExtractionRow | undefined;
  if (!e) return {};
  const all = <T>(sql: string) => db.prepare(sql).all(documentId) as T[];
  const fields: Partial<DocumentRecord> = {
    topic: e.topic,
    year: e.year,
    board: e.board,
    administration: e.administration,
    diarienummer: e.diarienummer,
    document_date: e.document_date,
    meeting_date: e.meeting_date,
    units: all('SELECT name, department, operator, provider, class FROM units WHERE document_id = ? ORDER BY position'),
    classes: all<{ class: string }>('SELECT class FROM classes_offered WHERE document_id = ? ORDER BY position').map((r) => r.class) as DocumentRecord['classes'],
    dates: all('SELECT kind, date, text FROM event_dates WHERE document_id = ? ORDER BY position'),
    signatories: all('SELECT name, title FROM signatories WHERE document_id = ? ORDER BY position'),
    case_officer: e.has_case_officer ? { name: e.case_officer_name, phone: e.case_officer_phone } : null,
    target_units: e.target_units,
    confidence: Object.fromEntries(
      all<{ path: string; confidence: number }>('SELECT path, confidence FROM evidence WHERE document_id = ? AND confidence IS NOT NULL ORDER BY rowid').map((x) => [x.path, x.confidence]),
    ),
    needs_review: e.needs_review === 1,
    review_reasons: JSON.parse(e.review_reasons) as string[],
  };
  if (withEvidence) {
    const rows = all<{ path: string; page: number; start: number; end: number; snippet: string; rule: string; confidence: number | null }>(
      'SELECT path, page, start, "end", snippet, rule, confidence FROM evidence WHERE document_id = ? ORDER BY rowid',
    );
    fields.evidence = Object.fromEntries(rows.map(({ path, confidence, ...e }) => [path, confidence === null ? e : { ...e, confidence }]));
  }
  return fields;
}

export interface ExportOptions {
  /** Add `evidence`: page, offsets, snippet and rule of every extracted value. */
  withEvidence?: boolean;
}

export function exportRecords(db: Database, options: ExportOptions = {}): DocumentRecord[] {
  const rows = db
    .prepare(
      `SELECT d.*, (SELECT avg(confidence) FROM pages p WHERE p.document_id = d.id AND p.source = 'ocr') AS ocr_confidence,
              NOT EXISTS (SELECT 1 FROM files f WHERE f.document_id = d.id AND f.missing_since IS NULL) AS missing,
              (SELECT n.sha256 FROM documents n WHERE n.id = d.superseded_by) AS newer
       FROM documents d ORDER BY d.file_name, d.id`,
    )
    .all() as DocumentRow[];
  const paths = db.prepare('SELECT path FROM files WHERE document_id = ? ORDER BY first_seen, path');
  return rows.map((r) => {
    const all = (paths.all(r.id) as Array<{ path: string }>).map((p) => p.path);
    const first = all.find((p) => p.endsWith(`/${r.file_name}`)) ?? all[0] ?? r.file_name;
    return DocumentRecordSchema.parse({
      source: {
        file: r.file_name,
        path: first,
        paths: all,
        sha256: r.sha256,
        format: r.format,
        media_type: r.media_type,
        bytes: r.bytes,
        pages: r.page_count,
        ocr: r.ocr === 1,
        ocr_confidence: r.ocr_confidence === null ? null : Math.round(r.ocr_confidence * 10) / 10,
        first_seen: r.first_seen,
        last_seen: r.last_seen,
        missing: r.missing === 1,
        superseded_by: r.newer,
      },
      ...extractedFields(db, r.id, options.withEvidence ?? false),
    });
  });
}

export interface StatusReport {
  documents: number;
  pages: number;
  ocr_pages: number;
  by_format: Array<{ format: string; documents: number; pages: number; ocr_documents: number }>;
  last_run: null | ({
    id: number;
    command: string;
    started_at: string;
    finished_at: string | null;
    /** running, completed, interrupted, or crashed (left running by a process that is gone). */
    status: string;
    versions: Record<string, string>;
  } & RunCounts);
  /** The last ten runs, newest first. */
  runs: Array<{ id: number; command: string; started_at: string; finished_at: string | null; status: string } & RunCounts>;
  /** Paths marked missing (not found by a run over their folder). */
  missing_files: number;
  /** Older versions replaced by a changed file. */
  superseded_documents: number;
  /** Failures and skips of the last run. */
  failures: Array<{ path: string; name: string; kind: string; code: string; reason: string }>;
  /** Current documents whose extraction needs a person's look, with why (at most 50 listed). */
  needs_review: number;
  review: Array<{ file: string; sha256: string; reasons: string[] }>;
}

export function status(db: Database): StatusReport {
  const totals = db
    .prepare(`SELECT (SELECT count(*) FROM documents) AS documents, count(*) AS pages, sum(source = 'ocr') AS ocr_pages FROM pages`)
    .get() as { documents: number; pages: number; ocr_pages: number | null };
  const byFormat = db
    .prepare(
      `SELECT format, count(*) AS documents, sum(page_count) AS pages, sum(ocr) AS ocr_documents
       FROM documents GROUP BY format ORDER BY format`,
    )
    .all() as StatusReport['by_format'];
  const lastRun = (db.prepare('SELECT * FROM runs ORDER BY id DESC LIMIT 1').get() ?? null) as (Record<keyof RunCounts, number> & { id: number; command: string; started_at: string; finished_at: string | null; status: string; versions: string }) | null;
  // A run left 'running' by a process that no longer holds the lock was killed.
  const writing = liveWriter(db.name) !== null;
  const failures = lastRun
    ? (db.prepare('SELECT path, name, kind, code, reason FROM failures WHERE run_id = ? ORDER BY kind, path').all(lastRun.id) as StatusReport['failures'])
    : [];
  return {
    documents: totals.documents,
    pages: totals.pages,
    ocr_pages: totals.ocr_pages ?? 0,
    by_format: byFormat,
    last_run: lastRun
      ? {
          id: lastRun.id,
          command: lastRun.command,
          started_at: lastRun.started_at,
          finished_at: lastRun.finished_at,
          status: lastRun.status === 'running' && !writing ? 'crashed' : lastRun.status,
          ...(Object.fromEntries(COUNT_KEYS.map((k) => [k, lastRun[k]])) as unknown as RunCounts),
          versions: JSON.parse((lastRun as unknown as { versions: string }).versions),
        }
      : null,
    runs: (db.prepare(`SELECT id, command, started_at, finished_at, status, ${COUNT_KEYS.join(', ')} FROM runs ORDER BY id DESC LIMIT 10`).all() as Array<Record<string, unknown>>).map(
      (r) => ({ ...r, status: r.status === 'running' && (r.id !== lastRun?.id || !writing) ? 'crashed' : r.status }),
    ) as StatusReport['runs'],
    missing_files: (db.prepare('SELECT count(*) AS n FROM files WHERE missing_since IS NOT NULL').get() as { n: number }).n,
    superseded_documents: (db.prepare('SELECT count(*) AS n FROM documents WHERE superseded_by IS NOT NULL').get() as { n: number }).n,
    failures,
    needs_review: (db.prepare('SELECT count(*) AS n FROM extractions WHERE needs_review = 1 AND current').get() as { n: number }).n,
    review: (
      db
        .prepare(
          `SELECT d.file_name AS file, d.sha256, e.review_reasons AS reasons FROM extractions e JOIN documents d ON d.id = e.document_id
           WHERE e.needs_review = 1 AND e.current ORDER BY d.file_name LIMIT 50`,
        )
        .all() as Array<{ file: string; sha256: string; reasons: string }>
    ).map((x) => ({ ...x, reasons: JSON.parse(x.reasons) as string[] })),
  };
}

export interface SearchHit {
  file: string;
  path: string | null;
  page: number;
  snippet: string;
}

/** Quotes each word so FTS5 syntax in user input is taken literally; a trailing * keeps prefix search. */
function ftsQuery(words: string): string {
  return words
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => {
      const prefix = w.endsWith('*');
      const core = w.replace(/\*+$/, '').replace(/"/g, '""');
      return core ? `"${core}"${prefix ? '*' : ''}` : '';
    })
    .filter(Boolean)
    .join(' ');
}

/** Full-text search over repaired page text; words match with or without å/ä/ö. */
export function searchText(db: Database, words: string, limit = 50): SearchHit[] {
  const q = ftsQuery(words);
  if (!q) return [];
  return db
    .prepare(
      `SELECT d.file_name AS file, (SELECT path FROM files f WHERE f.document_id = d.id ORDER BY first_seen LIMIT 1) AS path,
              p.page, snippet(pages_fts, 0, '[', ']', '…', 10) AS snippet
       FROM pages_fts JOIN pages p ON p.rowid = pages_fts.rowid JOIN documents d ON d.id = p.document_id
       WHERE pages_fts MATCH ? ORDER BY rank LIMIT ?`,
    )
    .all(q, limit) as SearchHit[];
}
