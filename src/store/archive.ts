/**
 * Writing the archive. Each document is stored in one transaction (document, path, pages,
 * messages together, or nothing), so a crash or kill never leaves half a document.
 */
import type { Database } from 'better-sqlite3';
import { isOcred, type DocumentFile, type Extraction } from '../document-file.js';
import { EXTRACT_VERSION } from '../extract/extract.js';
import { REPAIR_VERSION } from '../repair/normalize.js';
import type { OcrResult } from '../ocr/worker-pool.js';

export type FileStatus = 'ingested' | 'unchanged' | 'duplicate' | 'failed' | 'skipped';

export interface RunCounts {
  seen: number;
  ingested: number;
  unchanged: number;
  duplicate: number;
  skipped: number;
  failed: number;
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

  startRun(command: string, args: unknown, versions: Record<string, string>): number {
    const info = this.db
      .prepare('INSERT INTO runs (command, started_at, args, versions) VALUES (?, ?, ?, ?)')
      .run(command, now(), JSON.stringify(args), JSON.stringify(versions));
    return Number(info.lastInsertRowid);
  }

  finishRun(runId: number, status: 'completed' | 'interrupted', counts: RunCounts): void {
    this.db
      .prepare(
        `UPDATE runs SET finished_at = ?, status = ?, seen = ?, ingested = ?, unchanged = ?, duplicate = ?, skipped = ?, failed = ?
         WHERE id = ?`,
      )
      .run(now(), status, counts.seen, counts.ingested, counts.unchanged, counts.duplicate, counts.skipped, counts.failed, runId);
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
    const row = this.db.prepare('SELECT id FROM documents WHERE sha256 = ?').get(sha256) as { id: number } | undefined;
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
    this.db
      .prepare(
        `INSERT INTO files (path, document_id, name, size, mtime_ms, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (path) DO UPDATE SET document_id = excluded.document_id, name = excluded.name,
           size = excluded.size, mtime_ms = excluded.mtime_ms, last_seen = excluded.last_seen`,
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
      const existing = this.documentIdBySha(file.sha256);
      if (existing !== undefined) {
        this.upsertPath(existing, file, t);
        this.db.prepare('UPDATE documents SET last_seen = ? WHERE id = ?').run(t, existing);
        return { documentId: existing, status: 'duplicate' as const };
      }
      const info = this.db
        .prepare(
          `INSERT INTO documents (sha256, file_name, format, media_type, bytes, page_count, ocr, raw_text, first_seen, last_seen, run_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(file.sha256, file.name, file.format, file.mediaType, file.size, file.pages.length, isOcred(file) ? 1 : 0, file.raw ?? null, t, t, runId);
      const documentId = Number(info.lastInsertRowid);
      this.upsertPath(documentId, file, t);
      const page = this.db.prepare(
        'INSERT INTO pages (document_id, page, text, repaired_text, source, confidence, ocr_engine, blocks) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      );
      const fts = this.db.prepare('INSERT INTO pages_fts (rowid, repaired_text) VALUES (?, ?)');
      for (const p of file.pages) {
        const repaired = p.repaired ?? p.text;
        const row = page.run(documentId, p.number, p.text, repaired, p.source, p.confidence, p.ocrEngine ?? null, p.blocks ? JSON.stringify(p.blocks) : null);
        fts.run(row.lastInsertRowid, repaired);
      }
      if (file.extraction) this.writeExtraction(documentId, file.extraction);
      const message = this.db.prepare(
        `INSERT INTO messages (document_id, stage, rule, severity, reason, page, start, end, actual, expected, confidence)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const m of file.messages) {
        message.run(
          documentId,
          m.stage,
          m.rule,
          m.severity,
          m.reason,
          m.page ?? null,
          m.start ?? null,
          m.end ?? null,
          m.actual ?? null,
          m.expected ? JSON.stringify(m.expected) : null,
          m.confidence ?? null,
        );
      }
      return { documentId, status: 'ingested' as const };
    })();
  }

  /** The extracted record in its tables (inside the caller's transaction). */
  private writeExtraction(documentId: number, { record: r, evidence }: Extraction): void {
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
    for (const table of ['units', 'classes_offered', 'event_dates', 'signatories', 'evidence']) {
      this.db.prepare(`DELETE FROM ${table} WHERE document_id = ?`).run(documentId);
    }
    const unit = this.db.prepare('INSERT INTO units (document_id, position, name, department, operator, provider, class) VALUES (?, ?, ?, ?, ?, ?, ?)');
    r.units.forEach((u, i) => unit.run(documentId, i, u.name, u.department, u.operator, u.provider, u.class));
    const cls = this.db.prepare('INSERT INTO classes_offered (document_id, position, class) VALUES (?, ?, ?)');
    r.classes.forEach((c, i) => cls.run(documentId, i, c));
    const date = this.db.prepare('INSERT INTO event_dates (document_id, position, kind, date, text) VALUES (?, ?, ?, ?, ?)');
    r.dates.forEach((d, i) => date.run(documentId, i, d.kind, d.date, d.text));
    const sig = this.db.prepare('INSERT INTO signatories (document_id, position, name, title) VALUES (?, ?, ?, ?)');
    r.signatories.forEach((s, i) => sig.run(documentId, i, s.name, s.title));
    const ev = this.db.prepare('INSERT INTO evidence (document_id, path, page, start, end, snippet, rule) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (const [path, e] of Object.entries(evidence)) ev.run(documentId, path, e.page, e.start, e.end, e.snippet, e.rule);
  }

  touchPath(path: string, documentId: number): void {
    const t = now();
    this.db.prepare('UPDATE files SET last_seen = ? WHERE path = ?').run(t, path);
    this.db.prepare('UPDATE documents SET last_seen = ? WHERE id = ?').run(t, documentId);
  }

  recordFailure(runId: number, f: { path: string; name: string; kind: 'failed' | 'skipped'; code: string; reason: string }): void {
    this.db
      .prepare('INSERT INTO failures (run_id, path, name, kind, code, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(runId, f.path, f.name, f.kind, f.code, f.reason, now());
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
        return { text: row.text, confidence: row.confidence ?? 0, blocks: row.blocks ? JSON.parse(row.blocks) : [] };
      },
      put(key, engine, result) {
        put.run(key, engine, result.text, result.confidence, JSON.stringify(result.blocks), now());
      },
    };
  }
}

export interface OcrCache {
  get(key: string): OcrResult | undefined;
  put(key: string, engine: string, result: OcrResult): void;
}
