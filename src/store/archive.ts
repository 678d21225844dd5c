/**
 * Writing the archive. Each document is stored in one transaction (document, path, pages,
 * messages together, or nothing), so a crash or kill never leaves half a document.
 */
import { reviewReasons } from '../extract/extract.js';
import type { Database } from 'better-sqlite3';
import { isOcred, type DocumentFile, type Extraction, type Message, type Page } from '../document-file.js';
import { EXTRACT_VERSION } from '../extract/extract.js';
import { REPAIR_VERSION } from '../repair/normalize.js';
import { refreshSummaries, writeParticipation } from './migrations.js';
import type { OcrResult } from '../ocr/worker-pool.js';
import { rebuildReportGroups, writeFingerprint } from './reports.js';
import { prepared } from './statements.js';
import { applyCorrections, type Applied } from '../review/apply.js';
import { listCorrections } from '../review/store.js';

/**
 * What happened to a file in a run: ingested (new content), changed (new content at a known path;
 * the old version is superseded), unchanged, reprocessed (unchanged, but stages rerun because their
 * version changed), moved (known content at a new path, old path gone), duplicate (known content at
 * a new path, old path still there: a copy), skipped, failed.
 */
export type FileStatus = 'ingested' | 'changed' | 'unchanged' | 'reprocessed' | 'moved' | 'duplicate' | 'failed' | 'skipped';

export { emptyCounts, type RunCounts } from './run-counts.js';
import type { RunCounts } from './run-counts.js';

export interface StoredStages {
  repairVersion: string | null;
  extractVersion: string | null;
  /** Engines of the OCRed pages (empty when nothing was OCRed). */
  ocrEngines: string[];
}

export interface KnownFile {
  documentId: number;
  sha256: string;
  size: number;
  mtimeMs: number;
}

const now = () => new Date().toISOString();

export class Archive {
  constructor(readonly db: Database) {}

  /** A new run; `ocrEngine` is the engine that OCRs its pages (`status` and the run record show it). */
  startRun(command: string, args: unknown, versions: Record<string, string>, ocrEngine: string | null = null): number {
    const info = this.db
      .prepare('INSERT INTO runs (command, started_at, args, versions, ocr_engine) VALUES (?, ?, ?, ?, ?)')
      .run(command, now(), JSON.stringify(args), JSON.stringify(versions), ocrEngine);
    return Number(info.lastInsertRowid);
  }

  finishRun(runId: number, status: 'completed' | 'interrupted', counts: RunCounts): void {
    this.db
      .prepare(
        `UPDATE runs SET finished_at = ?, status = ?, seen = ?, ingested = ?, changed = ?, unchanged = ?, reprocessed = ?, moved = ?,
           duplicate = ?, missing = ?, skipped = ?, failed = ?
         WHERE id = ?`,
      )
      .run(
        now(), status, counts.seen, counts.ingested, counts.changed, counts.unchanged, counts.reprocessed, counts.moved,
        counts.duplicate, counts.missing, counts.skipped, counts.failed, runId,
      );
  }

  /** What the archive knows about a path (for the cheap "unchanged" check by size and mtime). */
  knownFile(path: string): KnownFile | undefined {
    const row = this.db
      .prepare(
        `SELECT f.document_id AS documentId, d.sha256, f.size, f.mtime_ms AS mtimeMs
         FROM files f JOIN documents d ON d.id = f.document_id WHERE f.path = ?`,
      )
      .get(path) as KnownFile | undefined;
    return row;
  }

  documentIdBySha(sha256: string): number | undefined {
    const row = prepared(this.db, 'SELECT id FROM documents WHERE sha256 = ?').get(sha256) as { id: number } | undefined;
    return row?.id;
  }

  /** Records that `path` holds the bytes of an already stored document. */
  recordPath(documentId: number, file: { path: string; name: string; size: number; mtimeMs: number }): void {
    const t = now();
    this.db.transaction(() => {
      this.upsertPath(documentId, file, t);
      this.db.prepare('UPDATE documents SET last_seen = ? WHERE id = ?').run(t, documentId);
    })();
  }

  private upsertPath(documentId: number, file: { path: string; name: string; size: number; mtimeMs: number }, t: string): void {
    prepared(
      this.db,
        `INSERT INTO files (path, document_id, name, size, mtime_ms, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (path) DO UPDATE SET document_id = excluded.document_id, name = excluded.name,
           size = excluded.size, mtime_ms = excluded.mtime_ms, last_seen = excluded.last_seen,
           missing_since = NULL, moved_to = NULL`,
      )
      .run(file.path, documentId, file.name, file.size, file.mtimeMs, t, t);
  }

  /**
   * Stores a document with its pages and messages in one transaction. If the same bytes were
   * stored meanwhile (a copy processed concurrently), only the path is recorded.
   */
  saveDocument(file: DocumentFile, runId: number): { documentId: number; status: 'ingested' | 'duplicate' } {
    const t = now();
    return this.db.transaction(() => {
      this.clearInFlight(file.path);
      const existing = this.documentIdBySha(file.sha256);
      if (existing !== undefined) {
        this.upsertPath(existing, file, t);
        prepared(this.db, 'UPDATE documents SET last_seen = ? WHERE id = ?').run(t, existing);
        return { documentId: existing, status: 'duplicate' as const };
      }
      const info = prepared(
      this.db,
          `INSERT INTO documents (sha256, file_name, format, media_type, bytes, page_count, ocr, raw_text, first_seen, last_seen, run_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(file.sha256, file.name, file.format, file.mediaType, file.size, file.pages.length, isOcred(file) ? 1 : 0, file.raw ?? null, t, t, runId);
      const documentId = Number(info.lastInsertRowid);
      this.markSummariesDirty();
      this.upsertPath(documentId, file, t);
      this.insertPages(documentId, file);
      writeFingerprint(this.db, documentId, file.pages);
      if (file.extraction) this.writeExtraction(documentId, file.extraction);
      this.insertMessages(documentId, file.messages);
      return { documentId, status: 'ingested' as const };
    })();
  }

  /** Trend summaries no longer match the detail tables until the next refresh. */
  private markSummariesDirty(): void {
    this.db.prepare('UPDATE summary_state SET dirty = 1 WHERE id = 1 AND dirty = 0').run();
  }

  /** Rebuilds the report groups and the trend summaries: at the end of every writer run. */
  refreshSummaries(): void {
    // Nothing stored or changed since the last rebuild (a nightly run over unchanged folders): nothing to do.
    const dirty = prepared(this.db, 'SELECT dirty FROM summary_state WHERE id = 1').pluck().get() as number | undefined;
    if (dirty === 0) return;
    this.db.transaction(() => {
      rebuildReportGroups(this.db);
      refreshSummaries(this.db);
    })();
  }

  /**
   * The machine's extraction kept as it made it, and the record tables written from it with the
   * document's corrections applied (inside the caller's transaction).
   */
  private writeExtraction(documentId: number, extraction: Extraction): void {
    const r = extraction.record;
    this.db
      .prepare(
        `INSERT OR REPLACE INTO extractions (document_id, topic, year, board, administration, diarienummer, document_date, meeting_date,
           target_units, case_officer_name, case_officer_phone, has_case_officer, repair_version, extract_version, extracted_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        documentId, r.topic, r.year, r.board, r.administration, r.diarienummer, r.document_date, r.meeting_date, r.target_units,
        r.case_officer?.name ?? null, r.case_officer?.phone ?? null, r.case_officer ? 1 : 0, REPAIR_VERSION, EXTRACT_VERSION, now(),
      );
    prepared(this.db, 'INSERT OR REPLACE INTO machine_extractions (document_id, record, evidence) VALUES (?, ?, ?)').run(
      documentId, JSON.stringify(r), JSON.stringify(extraction.evidence),
    );
    writeRecordTables(this.db, documentId, extraction);
  }

  touchPath(path: string, documentId: number, size?: number, mtimeMs?: number): void {
    const t = now();
    this.db
      .prepare('UPDATE files SET last_seen = ?, missing_since = NULL, moved_to = NULL, size = coalesce(?, size), mtime_ms = coalesce(?, mtime_ms) WHERE path = ?')
      .run(t, size ?? null, mtimeMs ?? null, path);
    this.db.prepare('UPDATE documents SET last_seen = ? WHERE id = ?').run(t, documentId);
  }

  /** Other paths of a document (not `except`), present or not. */
  otherPaths(documentId: number, except: string): string[] {
    return (this.db.prepare('SELECT path FROM files WHERE document_id = ? AND path <> ?').all(documentId, except) as Array<{ path: string }>).map((r) => r.path);
  }

  /** The old paths of moved bytes: gone from disk, now at `to`. */
  markMoved(paths: string[], to: string): void {
    const t = now();
    const mark = this.db.prepare('UPDATE files SET missing_since = coalesce(missing_since, ?), moved_to = ? WHERE path = ?');
    this.db.transaction(() => paths.forEach((p) => mark.run(t, to, p)))();
  }

  /** An older version replaced at its path by `newer`; kept in the archive, marked superseded. */
  markSuperseded(older: number, newer: number): void {
    if (older === newer) return;
    this.db.transaction(() => {
      this.db.prepare('UPDATE documents SET superseded_by = ?, superseded_at = ? WHERE id = ? AND superseded_by IS NULL').run(newer, now(), older);
      // Trend queries count current versions only.
      this.markSummariesDirty();
      this.db.prepare('UPDATE participations SET current = 0, counted = 0 WHERE document_id = ?').run(older);
      this.db.prepare('UPDATE extractions SET current = 0, counted = 0 WHERE document_id = ?').run(older);
    })();
  }

  /**
   * Marks known paths under `roots` (folders walked, or files named) that this run did not see as
   * missing. Returns how many became missing now.
   */
  markMissing(roots: string[], seen: Set<string>): number {
    const rows = this.db.prepare('SELECT path FROM files WHERE missing_since IS NULL').all() as Array<{ path: string }>;
    const under = (p: string) => roots.some((r) => p === r || p.startsWith(r.endsWith('/') ? r : `${r}/`));
    const gone = rows.map((r) => r.path).filter((p) => under(p) && !seen.has(p));
    const t = now();
    const mark = this.db.prepare('UPDATE files SET missing_since = ? WHERE path = ?');
    this.db.transaction(() => gone.forEach((p) => mark.run(t, p)))();
    return gone.length;
  }

  /** The stage versions a stored document was processed with. */
  storedStages(documentId: number): StoredStages {
    const e = this.db.prepare('SELECT repair_version, extract_version FROM extractions WHERE document_id = ?').get(documentId) as
      | { repair_version: string; extract_version: string }
      | undefined;
    const engines = this.db
      .prepare(`SELECT DISTINCT ocr_engine FROM pages WHERE document_id = ? AND source = 'ocr'`)
      .all(documentId) as Array<{ ocr_engine: string }>;
    return { repairVersion: e?.repair_version ?? null, extractVersion: e?.extract_version ?? null, ocrEngines: engines.map((r) => r.ocr_engine) };
  }

  /** A stored document as a DocumentFile: its pages (as read and repaired) and its ingest/OCR/normalize messages. */
  loadDocument(documentId: number): DocumentFile {
    const d = this.db
      .prepare(
        `SELECT d.*, (SELECT path FROM files f WHERE f.document_id = d.id ORDER BY missing_since IS NOT NULL, first_seen LIMIT 1) AS path
         FROM documents d WHERE d.id = ?`,
      )
      .get(documentId) as { sha256: string; file_name: string; format: DocumentFile['format']; media_type: string; bytes: number; raw_text: string | null; path: string };
    const pages = this.db
      .prepare('SELECT page, text, repaired_text, source, confidence, ocr_engine, blocks FROM pages WHERE document_id = ? ORDER BY page')
      .all(documentId) as Array<{ page: number; text: string; repaired_text: string | null; source: Page['source']; confidence: number | null; ocr_engine: string | null; blocks: string | null }>;
    const messages = this.db
      .prepare(`SELECT stage, rule, severity, reason, page, start, "end", actual, expected, confidence FROM messages WHERE document_id = ? AND stage <> 'extract' ORDER BY id`)
      .all(documentId) as Array<Record<string, unknown>>;
    return {
      path: d.path,
      name: d.file_name,
      size: d.bytes,
      mtimeMs: 0,
      sha256: d.sha256,
      format: d.format,
      mediaType: d.media_type,
      raw: d.raw_text ?? undefined,
      pages: pages.map((p) => ({
        number: p.page,
        text: p.text,
        repaired: p.repaired_text ?? undefined,
        source: p.source,
        confidence: p.confidence,
        ...(p.ocr_engine ? { ocrEngine: p.ocr_engine } : {}),
        ...(p.blocks ? { blocks: JSON.parse(p.blocks) } : {}),
      })),
      messages: messages.map((m) => {
        const out: Message = { stage: m.stage as Message['stage'], rule: m.rule as string, severity: m.severity as Message['severity'], reason: m.reason as string };
        for (const k of ['page', 'start', 'end', 'actual', 'confidence'] as const) if (m[k] !== null) (out as unknown as Record<string, unknown>)[k] = m[k];
        if (m.expected) out.expected = JSON.parse(m.expected as string);
        return out;
      }),
    };
  }

  /**
   * Replaces what the rerun stages produced, in one transaction: the repaired text (when normalize
   * ran), the messages of the rerun stages, and the extracted record.
   */
  replaceStages(documentId: number, file: DocumentFile, stages: Array<'normalize' | 'layout' | 'extract'>): void {
    this.db.transaction(() => {
      if (stages.includes('normalize')) {
        const update = this.db.prepare('UPDATE pages SET repaired_text = ? WHERE document_id = ? AND page = ?');
        for (const p of file.pages) update.run(p.repaired ?? p.text, documentId, p.number);
        writeFingerprint(this.db, documentId, file.pages);
      }
      const del = this.db.prepare('DELETE FROM messages WHERE document_id = ? AND stage = ?');
      for (const stage of stages) del.run(documentId, stage);
      this.insertMessages(documentId, file.messages.filter((m) => (stages as string[]).includes(m.stage)));
      if (file.extraction) this.writeExtraction(documentId, file.extraction);
    })();
  }

  private insertMessages(documentId: number, messages: Message[]): void {
    const message = prepared(
      this.db,
      `INSERT INTO messages (document_id, stage, rule, severity, reason, page, start, end, actual, expected, confidence)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const m of messages) {
      message.run(
        documentId, m.stage, m.rule, m.severity, m.reason, m.page ?? null, m.start ?? null, m.end ?? null, m.actual ?? null,
        m.expected ? JSON.stringify(m.expected) : null, m.confidence ?? null,
      );
    }
  }

  /** Writes pages, messages and record of a document whose row exists (after clearDocumentContent). */
  saveDocumentContent(documentId: number, file: DocumentFile): void {
    this.db.prepare('UPDATE documents SET page_count = ?, ocr = ?, last_seen = ? WHERE id = ?').run(file.pages.length, isOcred(file) ? 1 : 0, now(), documentId);
    this.insertPages(documentId, file);
    writeFingerprint(this.db, documentId, file.pages);
    if (file.extraction) this.writeExtraction(documentId, file.extraction);
    this.insertMessages(documentId, file.messages);
  }

  private insertPages(documentId: number, file: DocumentFile): void {
    const page = prepared(
      this.db,
      'INSERT INTO pages (document_id, page, text, repaired_text, source, confidence, ocr_engine, blocks) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const fts = prepared(this.db, 'INSERT INTO pages_fts (rowid, repaired_text) VALUES (?, ?)');
    for (const p of file.pages) {
      const repaired = p.repaired ?? p.text;
      const row = page.run(documentId, p.number, p.text, repaired, p.source, p.confidence, p.ocrEngine ?? null, p.blocks ? JSON.stringify(p.blocks) : null);
      fts.run(row.lastInsertRowid, repaired);
    }
  }

  /** Deletes a document's pages, messages and record, to store it anew (OCR redone); paths are kept. */
  clearDocumentContent(documentId: number): void {
    this.markSummariesDirty();
    for (const table of ['pages', 'participations', 'extractions', 'machine_extractions', 'units', 'classes_offered', 'event_dates', 'signatories', 'evidence']) {
      this.db.prepare(`DELETE FROM ${table} WHERE document_id = ?`).run(documentId);
    }
    // The review trail (corrections made, undone) is a person's work, not the stages': it stays.
    this.db.prepare(`DELETE FROM messages WHERE document_id = ? AND stage <> 'review'`).run(documentId);
  }

  /**
   * Records a failed or skipped file. The file is no longer in flight, except after `crashed-before`:
   * that file stays a suspect until it changes or is read again with --retry-failed.
   */
  recordFailure(runId: number, f: { path: string; name: string; kind: 'failed' | 'skipped'; code: string; reason: string }): void {
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO failures (run_id, path, name, kind, code, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(runId, f.path, f.name, f.kind, f.code, f.reason, now());
      if (f.code !== 'crashed-before') this.clearInFlight(f.path);
    })();
  }

  /** A file is about to be read: if the process dies before its outcome is stored, the next run knows. */
  markInFlight(path: string, sha256: string, runId: number): void {
    this.db.prepare('INSERT OR REPLACE INTO in_flight (path, sha256, run_id, started_at) VALUES (?, ?, ?, ?)').run(path, sha256, runId, now());
  }

  /** The file's outcome is stored (or its run was interrupted): it is no longer in flight. */
  clearInFlight(path: string): void {
    this.db.prepare('DELETE FROM in_flight WHERE path = ?').run(path);
  }

  /**
   * An earlier run that died while reading these bytes at this path (the lock rules out a run still
   * going): the run and when it started reading the file.
   */
  crashedBefore(path: string, sha256: string, currentRun: number): { run: number; startedAt: string } | undefined {
    const row = this.db
      .prepare('SELECT run_id AS run, started_at AS startedAt FROM in_flight WHERE path = ? AND sha256 = ? AND run_id <> ?')
      .get(path, sha256, currentRun) as { run: number; startedAt: string } | undefined;
    return row;
  }

  /** The OCR cache, kept in the same database. Entries are written as soon as a page is read, so a killed run keeps them. */
  ocrCache(): OcrCache {
    const get = this.db.prepare('SELECT text, confidence, blocks FROM ocr_cache WHERE key = ?');
    const put = this.db.prepare(
      'INSERT OR REPLACE INTO ocr_cache (key, engine, text, confidence, blocks, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    return {
      get(key) {
        const row = get.get(key) as { text: string; confidence: number | null; blocks: string | null } | undefined;
        if (!row) return undefined;
        // A blank page is stored without a confidence: it was never recognised.
        const blank = row.confidence === null && row.text === '';
        return { text: row.text, confidence: row.confidence ?? 0, blocks: row.blocks ? JSON.parse(row.blocks) : [], ...(blank ? { blank } : {}) };
      },
      put(key, engine, result) {
        put.run(key, engine, result.text, result.blank ? null : result.confidence, JSON.stringify(result.blocks), now());
      },
    };
  }
}

export interface OcrCache {
  get(key: string): OcrResult | undefined;
  put(key: string, engine: string, result: OcrResult): void;
}

/**
 * Writes a document's record tables (extractions' values, units, participations, classes, dates,
 * signatories, evidence, needs_review) from the machine's extraction with the document's active
 * corrections applied: at store time, and again whenever a correction is made or undone. Every
 * view, summary, query and the report read these tables, so they all show the corrected record.
 * Inside the caller's transaction.
 */
export function writeRecordTables(db: Database, documentId: number, machine: Extraction): Applied {
  db.prepare('UPDATE summary_state SET dirty = 1 WHERE id = 1 AND dirty = 0').run();
  const sha = prepared(db, 'SELECT sha256 FROM documents WHERE id = ?').pluck().get(documentId) as string;
  const applied = applyCorrections(machine, listCorrections(db, sha, { active: true }));
  const { record: r, evidence } = applied.extraction;
  prepared(
    db,
    `UPDATE extractions SET topic = ?, year = ?, board = ?, administration = ?, diarienummer = ?, document_date = ?, meeting_date = ?, target_units = ?
     WHERE document_id = ?`,
  ).run(r.topic, r.year, r.board, r.administration, r.diarienummer, r.document_date, r.meeting_date, r.target_units, documentId);
  prepared(db, 'UPDATE machine_extractions SET corrections = ? WHERE document_id = ?').run(JSON.stringify(applied.notes), documentId);
  for (const table of ['units', 'classes_offered', 'event_dates', 'signatories', 'evidence']) {
    prepared(db, `DELETE FROM ${table} WHERE document_id = ?`).run(documentId);
  }
  const unit = prepared(db, 'INSERT INTO units (document_id, position, name, department, operator, provider, class) VALUES (?, ?, ?, ?, ?, ?, ?)');
  r.units.forEach((u, i) => unit.run(documentId, i, u.name, u.department, u.operator, u.provider, u.class));
  prepared(db, 'DELETE FROM participations WHERE document_id = ?').run(documentId);
  const current = (prepared(db, 'SELECT superseded_by IS NULL AS c FROM documents WHERE id = ?').get(documentId) as { c: number }).c;
  // A document keeps its place in its report group until the groups are rebuilt at the end of the run.
  const primary = prepared(db, 'SELECT is_primary FROM report_documents WHERE document_id = ?').pluck().get(documentId) as number | undefined;
  prepared(db, 'UPDATE extractions SET current = ?, counted = ? WHERE document_id = ?').run(current, current && (primary ?? 1) ? 1 : 0, documentId);
  for (const u of r.units) writeParticipation(db, documentId, u, r.year, r.board, current);
  const cls = prepared(db, 'INSERT INTO classes_offered (document_id, position, class) VALUES (?, ?, ?)');
  r.classes.forEach((c, i) => cls.run(documentId, i, c));
  const date = prepared(db, 'INSERT INTO event_dates (document_id, position, kind, date, text) VALUES (?, ?, ?, ?, ?)');
  r.dates.forEach((d, i) => date.run(documentId, i, d.kind, d.date, d.text));
  const sig = prepared(db, 'INSERT INTO signatories (document_id, position, name, title) VALUES (?, ?, ?, ?)');
  r.signatories.forEach((s, i) => sig.run(documentId, i, s.name, s.title));
  const ev = prepared(db, 'INSERT INTO evidence (document_id, path, page, start, end, snippet, rule, confidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  for (const [path, e] of Object.entries(evidence)) ev.run(documentId, path, e.page, e.start, e.end, e.snippet, e.rule, e.confidence ?? null);
  // A value a person corrected is no longer uncertain; a record a person confirmed needs no review.
  const reasons = applied.confirmed ? [] : reviewReasons({ record: r, evidence }).filter((reason) => !applied.corrected.has(reason.slice(0, reason.indexOf(':'))));
  prepared(db, 'UPDATE extractions SET needs_review = ?, review_reasons = ? WHERE document_id = ?').run(reasons.length ? 1 : 0, JSON.stringify(reasons), documentId);
  return applied;
}
