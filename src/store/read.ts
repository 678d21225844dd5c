/**
 * Reading the archive: the export records and the status overview.
 */
import type { Database } from 'better-sqlite3';
import { ExportRecordSchema, type ExportRecord, type ReportRef } from '../../schemas/export.js';
import type { DocumentRecord } from '../../schemas/record.js';
import { emptyCounts, type RunCounts } from './run-counts.js';
import { liveWriter } from './lock.js';

const COUNT_KEYS = Object.keys(emptyCounts()) as Array<keyof RunCounts>;

export interface ExportFilters {
  from?: number;
  to?: number;
  /** A board exactly as stored (resolve a typed name with matchBoard first). */
  board?: string;
  /** A class key, or `unknown`: documents naming a unit of that class. */
  class?: string;
}

export interface ExportOptions {
  /** Add `evidence`: page, offsets, snippet and rule of every extracted value. */
  withEvidence?: boolean;
  /** Only documents whose report has this year, board or class (a document with no record is left out by any filter). */
  filters?: ExportFilters;
  /** Check every record against the schema (default). */
  validate?: boolean;
}

const jsonList = (select: string, from: string, order: string) => `(SELECT json_group_array(${select} ORDER BY ${order}) FROM ${from} WHERE x.document_id = d.id)`;
/**
 * A record's list in position order: the tables' primary key (document_id, position) is the index
 * SQLite reads these rows through, so they come in position order without a sort (measured: the
 * sort cost a third of the export's time).
 */
const positionList = (item: string, table: string) => `(SELECT json_group_array(${item}) FROM ${table} x INDEXED BY sqlite_autoindex_${table}_1 WHERE x.document_id = d.id)`;

/**
 * The export records one at a time, in file-name order, from one streamed statement: each record's
 * JSON text put together from its columns and from lists that SQLite gathers as JSON (constant
 * memory; no object is built or stringified per record), with its report group (id, documents,
 * counted). Keys in the schema's order, as `ExportRecordSchema.parse` gives them.
 */
export function* iterateRecordJson(db: Database, options: ExportOptions = {}): Generator<{ json: string; report: ReportRef | null }> {
  const f = options.filters ?? {};
  const where: string[] = [];
  const args: Array<string | number> = [];
  if (f.from !== undefined) where.push('coalesce(r.year, e.year) >= ?') && args.push(f.from);
  if (f.to !== undefined) where.push('coalesce(r.year, e.year) <= ?') && args.push(f.to);
  if (f.board !== undefined) where.push('coalesce(r.board, e.board) = ?') && args.push(f.board);
  if (f.class !== undefined) where.push(`EXISTS (SELECT 1 FROM units u WHERE u.document_id = d.id AND coalesce(u.class, 'unknown') = ?)`) && args.push(f.class);
  const evidence = `json_group_object(x.path, CASE WHEN x.confidence IS NULL
        THEN json_object('page', x.page, 'start', x.start, 'end', x."end", 'snippet', x.snippet, 'rule', x.rule)
        ELSE json_object('page', x.page, 'start', x.start, 'end', x."end", 'snippet', x.snippet, 'rule', x.rule, 'confidence', x.confidence) END ORDER BY x.rowid)`;
  const stmt = db
    .prepare(
      `SELECT d.sha256, d.file_name, d.format, d.media_type, d.bytes, d.page_count, d.ocr, d.first_seen, d.last_seen,
            CASE WHEN d.ocr THEN (SELECT avg(confidence) FROM pages p WHERE p.document_id = d.id AND p.source = 'ocr') END,
            CASE WHEN d.superseded_by IS NOT NULL THEN (SELECT n.sha256 FROM documents n WHERE n.id = d.superseded_by) END,
            ${jsonList('json_array(x.path, x.missing_since IS NULL)', 'files x', 'x.first_seen, x.path')},
            rd.report_id, rd.is_primary, r.documents, e.document_id IS NOT NULL, e.topic, e.year, e.board, e.administration, e.diarienummer, e.document_date, e.meeting_date,
            e.target_units, e.has_case_officer, e.case_officer_name, e.case_officer_phone, e.needs_review, e.review_reasons,
            ${positionList("json_object('name', x.name, 'department', x.department, 'operator', x.operator, 'provider', x.provider, 'class', x.class)", 'units')},
            ${positionList('x.class', 'classes_offered')},
            ${positionList("json_object('kind', x.kind, 'date', x.date, 'text', x.text)", 'event_dates')},
            ${positionList("json_object('name', x.name, 'title', x.title)", 'signatories')},
            (SELECT json_group_object(x.path, x.confidence ORDER BY x.rowid) FROM evidence x WHERE x.document_id = d.id AND x.confidence IS NOT NULL)
            ${options.withEvidence ? `, (SELECT ${evidence} FROM evidence x WHERE x.document_id = d.id), (SELECT m.corrections FROM machine_extractions m WHERE m.document_id = d.id AND m.corrections <> '[]')` : ''}
     FROM documents d LEFT JOIN extractions e ON e.document_id = d.id LEFT JOIN report_documents rd ON rd.document_id = d.id
          LEFT JOIN reports r ON r.id = rd.report_id
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY d.file_name, d.id`,
    )
    .raw();
  const J = JSON.stringify;
  for (const row of stmt.iterate(...args) as IterableIterator<unknown[]>) {
    const [sha256, name, format, mediaType, bytes, pages, ocr, firstSeen, lastSeen, ocrConfidence, newer, files, reportId, primary, reportDocuments, extracted, ...e] = row as unknown as [
      string, string, string, string, number, number, number, string, string, number | null, string | null, string, number | null, number | null, number | null, number, ...unknown[],
    ];
    const report: ReportRef | null = reportId === null ? null : { id: reportId, documents: reportDocuments ?? 1, counted: primary === 1 };
    const reportJson = report ? `{"id":${report.id},"documents":${report.documents},"counted":${report.counted}}` : 'null';
    const seen = JSON.parse(files) as Array<[string, number]>;
    const paths = seen.map((p) => p[0]);
    const source =
      `{"file":${J(name)},"path":${J(paths.find((p) => p.endsWith(`/${name}`)) ?? paths[0] ?? name)},"paths":${J(paths)},"sha256":${J(sha256)},` +
      `"format":${J(format)},"media_type":${J(mediaType)},"bytes":${bytes},"pages":${pages},"ocr":${ocr === 1},` +
      `"ocr_confidence":${ocrConfidence === null ? 'null' : Math.round(ocrConfidence * 10) / 10},"first_seen":${J(firstSeen)},"last_seen":${J(lastSeen)},` +
      `"missing":${!seen.some((p) => p[1] === 1)},"superseded_by":${J(newer)}}`;
    let json: string;
    if (!extracted) json = `{"source":${source},"report":${reportJson}}`;
    else {
      // {extracted fields, source, confidence, needs_review, review_reasons[, evidence]}; the lists are SQLite's JSON as it is.
      const [topic, year, board, administration, dnr, documentDate, meetingDate, targetUnits, hasOfficer, officerName, officerPhone, needsReview, reasons, units, classes, dates, signatories, confidence, evidenceJson, correctionsJson] =
        e as [string, number | null, string | null, string | null, string | null, string | null, string | null, number | null, number, string | null, string | null, number, string, string, string, string, string, string, string?, string?];
      json =
        `{"topic":${J(topic)},"year":${J(year)},"board":${J(board)},"administration":${J(administration)},"diarienummer":${J(dnr)},` +
        `"document_date":${J(documentDate)},"meeting_date":${J(meetingDate)},"units":${units},"classes":${classes},"dates":${dates},"signatories":${signatories},` +
        `"case_officer":${hasOfficer ? `{"name":${J(officerName)},"phone":${J(officerPhone)}}` : 'null'},"target_units":${J(targetUnits)},"source":${source},` +
        `"confidence":${confidence},"needs_review":${needsReview === 1},"review_reasons":${reasons}${options.withEvidence ? `,"evidence":${evidenceJson}${correctionsJson ? `,"corrections":${correctionsJson}` : ''}` : ''},"report":${reportJson}}`;
    }
    yield { json, report };
  }
}

/** The export records as objects with their report (see iterateRecordJson), checked against the schema unless `validate: false`. */
export function* iterateRecords(db: Database, options: ExportOptions = {}): Generator<ExportRecord> {
  for (const { json } of iterateRecordJson(db, options)) {
    const record = JSON.parse(json) as ExportRecord;
    yield options.validate === false ? record : ExportRecordSchema.parse(record);
  }
}

/** Every document's record (see iterateRecords), without its report. */
export function exportRecords(db: Database, options: ExportOptions = {}): DocumentRecord[] {
  return Array.from(iterateRecords(db, options), ({ report: _report, ...r }) => r as DocumentRecord);
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
    /** The OCR engine of the run and its version (`tesseract-native 5.3.0 swe`); null for runs that do not OCR. */
    ocr_engine: string | null;
  } & RunCounts);
  /** The last ten runs, newest first. */
  runs: Array<{ id: number; command: string; started_at: string; finished_at: string | null; status: string } & RunCounts>;
  /** Paths marked missing (not found by a run over their folder). */
  missing_files: number;
  /** Older versions replaced by a changed file. */
  superseded_documents: number;
  /** Report groups of current documents (a report archived as several documents counts once), as of the last writer run. */
  reports: number;
  /** Reports found in more than one document. */
  reports_in_several_documents: number;
  /** Reports about taking part that lack a year, a board or units (listed by `query incomplete`). */
  incomplete_reports: number;
  /** Failures and skips of the last run. */
  failures: Array<{ path: string; name: string; kind: string; code: string; reason: string }>;
  /** Current documents whose extraction needs a person's look, with why (at most 50 listed). */
  needs_review: number;
  review: Array<{ file: string; sha256: string; reasons: string[] }>;
  /** Corrections made by people (beslutsarkiv correct): in force, undone, and the documents they touch. */
  corrections: { active: number; undone: number; documents: number };
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
          ocr_engine: (lastRun as unknown as { ocr_engine?: string | null }).ocr_engine ?? null,
        }
      : null,
    runs: (db.prepare(`SELECT id, command, started_at, finished_at, status, ${COUNT_KEYS.join(', ')} FROM runs ORDER BY id DESC LIMIT 10`).all() as Array<Record<string, unknown>>).map(
      (r) => ({ ...r, status: r.status === 'running' && (r.id !== lastRun?.id || !writing) ? 'crashed' : r.status }),
    ) as StatusReport['runs'],
    missing_files: (db.prepare('SELECT count(*) AS n FROM files WHERE missing_since IS NOT NULL').get() as { n: number }).n,
    superseded_documents: (db.prepare('SELECT count(*) AS n FROM documents WHERE superseded_by IS NOT NULL').get() as { n: number }).n,
    reports: db.prepare('SELECT count(*) FROM reports').pluck().get() as number,
    reports_in_several_documents: db.prepare('SELECT count(*) FROM reports WHERE documents > 1').pluck().get() as number,
    incomplete_reports: db.prepare('SELECT count(*) FROM reports WHERE missing IS NOT NULL').pluck().get() as number,
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
    corrections: db
      .prepare(`SELECT count(*) FILTER (WHERE undone_at IS NULL) AS active, count(*) FILTER (WHERE undone_at IS NOT NULL) AS undone, count(DISTINCT sha256) AS documents FROM corrections`)
      .get() as StatusReport['corrections'],
  };
}

export interface SearchHit {
  file: string;
  path: string | null;
  page: number;
  snippet: string;
}

/** Quotes each word so FTS5 syntax in user input is taken literally; a trailing * keeps prefix search. */
export function ftsQuery(words: string): string {
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
