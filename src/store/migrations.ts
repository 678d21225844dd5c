/**
 * The schema, as an ordered list of migrations. A database records which ones it has
 * (table `schema_migrations`, mirrored in `PRAGMA user_version`); opening it applies the rest,
 * each in its own transaction. Never edit a migration that has shipped: add a new one.
 */
import type { Database } from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  up: (db: Database) => void;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'documents, files, pages, messages, runs, failures, ocr cache',
    up: (db) =>
      db.exec(`
        CREATE TABLE runs (
          id INTEGER PRIMARY KEY,
          command TEXT NOT NULL,
          started_at TEXT NOT NULL,
          finished_at TEXT,
          -- running | completed | interrupted; a 'running' row whose process died stays so and is shown as such
          status TEXT NOT NULL DEFAULT 'running',
          args TEXT NOT NULL DEFAULT '[]',       -- JSON
          versions TEXT NOT NULL DEFAULT '{}',   -- JSON: version of each stage
          seen INTEGER NOT NULL DEFAULT 0,
          ingested INTEGER NOT NULL DEFAULT 0,
          unchanged INTEGER NOT NULL DEFAULT 0,
          duplicate INTEGER NOT NULL DEFAULT 0,
          skipped INTEGER NOT NULL DEFAULT 0,
          failed INTEGER NOT NULL DEFAULT 0
        );

        -- One row per distinct content (sha256). Where the bytes were seen is in files.
        CREATE TABLE documents (
          id INTEGER PRIMARY KEY,
          sha256 TEXT NOT NULL UNIQUE,
          file_name TEXT NOT NULL,               -- name of the file it was first stored from
          format TEXT NOT NULL CHECK (format IN ('txt','md','pdf','png','jpeg','tiff')),
          media_type TEXT NOT NULL,
          bytes INTEGER NOT NULL,
          page_count INTEGER NOT NULL,
          ocr INTEGER NOT NULL,                  -- 1 when any page was OCRed
          raw_text TEXT,                         -- source text when it differs from the page text (Markdown)
          first_seen TEXT NOT NULL,
          last_seen TEXT NOT NULL,
          run_id INTEGER REFERENCES runs(id)
        );

        CREATE TABLE files (
          path TEXT PRIMARY KEY,                 -- absolute path
          document_id INTEGER NOT NULL REFERENCES documents(id),
          name TEXT NOT NULL,
          size INTEGER NOT NULL,
          mtime_ms REAL NOT NULL,
          first_seen TEXT NOT NULL,
          last_seen TEXT NOT NULL
        );
        CREATE INDEX files_document ON files(document_id);

        CREATE TABLE pages (
          document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
          page INTEGER NOT NULL,                 -- 1-based
          text TEXT NOT NULL,
          source TEXT NOT NULL CHECK (source IN ('text','text-layer','ocr')),
          confidence REAL,                       -- OCR mean confidence 0–100
          ocr_engine TEXT,
          blocks TEXT,                           -- JSON: OCR blocks with bounding boxes
          PRIMARY KEY (document_id, page)
        );

        -- The audit trail: what each stage read, decided or changed (vfile-style messages).
        CREATE TABLE messages (
          id INTEGER PRIMARY KEY,
          document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
          stage TEXT NOT NULL,
          rule TEXT NOT NULL,
          severity TEXT NOT NULL,
          reason TEXT NOT NULL,
          page INTEGER,
          start INTEGER,
          end INTEGER,
          actual TEXT,
          expected TEXT,                         -- JSON array
          confidence REAL
        );
        CREATE INDEX messages_document ON messages(document_id, stage);

        CREATE TABLE failures (
          id INTEGER PRIMARY KEY,
          run_id INTEGER NOT NULL REFERENCES runs(id),
          path TEXT NOT NULL,
          name TEXT NOT NULL,
          kind TEXT NOT NULL CHECK (kind IN ('failed','skipped')),
          code TEXT NOT NULL,
          reason TEXT NOT NULL,
          at TEXT NOT NULL
        );
        CREATE INDEX failures_run ON failures(run_id);
        CREATE INDEX failures_path ON failures(path);

        -- OCR results by (file sha256 + page, or image hash) and engine settings, so nothing is OCRed twice.
        CREATE TABLE ocr_cache (
          key TEXT PRIMARY KEY,
          engine TEXT NOT NULL,
          text TEXT NOT NULL,
          confidence REAL,
          blocks TEXT,
          created_at TEXT NOT NULL
        );
      `),
  },
  {
    version: 2,
    name: 'repaired page text, full-text search that ignores diacritics',
    up: (db) =>
      db.exec(`
        ALTER TABLE pages ADD COLUMN repaired_text TEXT;
        -- Words match with or without å/ä/ö: "forvaltning" finds "förvaltning".
        CREATE VIRTUAL TABLE pages_fts USING fts5(
          repaired_text, content = 'pages', content_rowid = 'rowid',
          tokenize = "unicode61 remove_diacritics 2"
        );
        CREATE TRIGGER pages_fts_delete AFTER DELETE ON pages BEGIN
          INSERT INTO pages_fts (pages_fts, rowid, repaired_text) VALUES ('delete', old.rowid, coalesce(old.repaired_text, old.text));
        END;
      `),
  },
  {
    version: 3,
    name: 'extracted records: units, classes, dated events, signatories, evidence',
    up: (db) =>
      db.exec(`
        -- One row per document that went through extraction; the scalar fields of the record.
        CREATE TABLE extractions (
          document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
          topic TEXT NOT NULL CHECK (topic IN ('award_participation', 'other')),
          year INTEGER,
          board TEXT,
          administration TEXT,
          diarienummer TEXT,
          document_date TEXT,
          meeting_date TEXT,
          target_units INTEGER,
          case_officer_name TEXT,
          case_officer_phone TEXT,
          has_case_officer INTEGER NOT NULL DEFAULT 0,
          repair_version TEXT NOT NULL,
          extract_version TEXT NOT NULL,
          extracted_at TEXT NOT NULL
        );
        CREATE INDEX extractions_year ON extractions(year, board);

        CREATE TABLE units (
          document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
          position INTEGER NOT NULL,
          name TEXT NOT NULL,
          department TEXT,
          operator TEXT CHECK (operator IN ('municipal', 'private')),
          provider TEXT,
          class TEXT,
          PRIMARY KEY (document_id, position)
        );
        CREATE INDEX units_name ON units(name);

        CREATE TABLE classes_offered (
          document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
          position INTEGER NOT NULL,
          class TEXT NOT NULL,
          PRIMARY KEY (document_id, position)
        );

        CREATE TABLE event_dates (
          document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
          position INTEGER NOT NULL,
          kind TEXT NOT NULL,
          date TEXT NOT NULL,
          text TEXT NOT NULL,
          PRIMARY KEY (document_id, position)
        );
        CREATE INDEX event_dates_kind ON event_dates(kind, date);

        CREATE TABLE signatories (
          document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
          position INTEGER NOT NULL,
          name TEXT,
          title TEXT NOT NULL,
          PRIMARY KEY (document_id, position)
        );

        -- Where each value came from: its path in the record (units[0], dates[2], board, …).
        CREATE TABLE evidence (
          document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
          path TEXT NOT NULL,
          page INTEGER NOT NULL,
          start INTEGER NOT NULL,
          end INTEGER NOT NULL,
          snippet TEXT NOT NULL,
          rule TEXT NOT NULL,
          PRIMARY KEY (document_id, path)
        );
      `),
  },
  {
    version: 4,
    name: 're-ingestion: missing and moved paths, superseded versions, stage reruns, richer run counts',
    up: (db) =>
      db.exec(`
        -- A path not found by a run over its folder: marked, never deleted.
        ALTER TABLE files ADD COLUMN missing_since TEXT;
        -- Set when the bytes turned up at another path and this one is gone.
        ALTER TABLE files ADD COLUMN moved_to TEXT;
        -- A changed file is a new document; the version it replaced points to it.
        ALTER TABLE documents ADD COLUMN superseded_by INTEGER REFERENCES documents(id);
        ALTER TABLE documents ADD COLUMN superseded_at TEXT;
        ALTER TABLE runs ADD COLUMN changed INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE runs ADD COLUMN moved INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE runs ADD COLUMN missing INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE runs ADD COLUMN reprocessed INTEGER NOT NULL DEFAULT 0;
        CREATE TRIGGER pages_fts_update AFTER UPDATE OF repaired_text ON pages BEGIN
          INSERT INTO pages_fts (pages_fts, rowid, repaired_text) VALUES ('delete', old.rowid, coalesce(old.repaired_text, old.text));
          INSERT INTO pages_fts (rowid, repaired_text) VALUES (new.rowid, new.repaired_text);
        END;
      `),
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
