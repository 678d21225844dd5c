/**
 * The schema, as an ordered list of migrations. A database records which ones it has
 * (table `schema_migrations`, mirrored in `PRAGMA user_version`); opening it applies the rest,
 * each in its own transaction. Never edit a migration that has shipped: add a new one.
 */
import type { Database } from 'better-sqlite3';
import { unitIdentityKey } from '../query/unit-identity.js';

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
  {
    version: 5,
    name: 'participations by unit identity, and the views analysts query',
    up: (db) => {
      db.exec(`
        -- One row per unit across its spellings (see src/query/unit-identity.ts).
        CREATE TABLE unit_identities (
          id INTEGER PRIMARY KEY,
          key TEXT NOT NULL UNIQUE,
          name TEXT NOT NULL
        );
        -- One row per unit taking part in one document (a unit named twice counts once), with what
        -- trend queries group by; current = 0 once the document is superseded by a newer version.
        CREATE TABLE participations (
          document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
          identity_id INTEGER NOT NULL REFERENCES unit_identities(id),
          year INTEGER,
          board TEXT,
          name TEXT NOT NULL,
          department TEXT,
          operator TEXT,
          provider TEXT,
          class TEXT,
          current INTEGER NOT NULL DEFAULT 1,
          PRIMARY KEY (document_id, identity_id)
        );
        CREATE INDEX participations_year ON participations(current, year, board, class, document_id);
        CREATE INDEX participations_identity ON participations(identity_id, year);
        CREATE INDEX participations_board ON participations(current, board, year);
        ALTER TABLE extractions ADD COLUMN current INTEGER NOT NULL DEFAULT 1;
        CREATE INDEX extractions_current ON extractions(current, year);
        CREATE INDEX event_dates_document ON event_dates(document_id, kind);
        CREATE INDEX classes_offered_document ON classes_offered(document_id);

        CREATE VIEW participation_by_year AS
          SELECT year, count(DISTINCT document_id) AS documents, count(*) AS units
          FROM participations WHERE current GROUP BY year ORDER BY year;
        CREATE VIEW participation_by_year_board AS
          SELECT year, board, count(DISTINCT document_id) AS documents, count(*) AS units
          FROM participations WHERE current GROUP BY year, board ORDER BY year, board;
        CREATE VIEW participation_by_year_class AS
          SELECT year, coalesce(class, 'unknown') AS class, count(DISTINCT document_id) AS documents, count(*) AS units
          FROM participations WHERE current GROUP BY year, class ORDER BY year, class;
        CREATE VIEW unit_history AS
          SELECT i.name AS unit, p.year, p.name, p.board, p.department, p.class, p.operator, p.provider, d.file_name AS document
          FROM participations p JOIN unit_identities i ON i.id = p.identity_id JOIN documents d ON d.id = p.document_id
          WHERE p.current ORDER BY i.name, p.year;
        CREATE VIEW deadlines_by_year AS
          SELECT e.year, t.kind, min(t.date) AS earliest, max(t.date) AS latest, count(DISTINCT t.document_id) AS documents
          FROM event_dates t JOIN extractions e ON e.document_id = t.document_id
          WHERE e.current AND t.kind IN ('award', 'registration_deadline', 'submission_deadline', 'minutes_deadline')
          GROUP BY e.year, t.kind ORDER BY e.year, t.kind;
        CREATE VIEW classes_by_year AS
          SELECT e.year, c.class, count(DISTINCT c.document_id) AS documents
          FROM classes_offered c JOIN extractions e ON e.document_id = c.document_id
          WHERE e.current GROUP BY e.year, c.class ORDER BY e.year, c.class;
        CREATE VIEW signatories_by_year AS
          SELECT e.year, e.board, s.name, s.title, d.file_name AS document
          FROM signatories s JOIN extractions e ON e.document_id = s.document_id JOIN documents d ON d.id = s.document_id
          WHERE e.current ORDER BY e.year, e.board;
      `);
      // Existing records: their participations, by identity.
      db.prepare('UPDATE extractions SET current = 0 WHERE document_id IN (SELECT id FROM documents WHERE superseded_by IS NOT NULL)').run();
      const units = db
        .prepare(
          `SELECT u.document_id, u.name, u.department, u.operator, u.provider, u.class, e.year, e.board, e.current
           FROM units u JOIN extractions e ON e.document_id = u.document_id ORDER BY u.document_id, u.position`,
        )
        .all() as Array<Record<string, unknown>>;
      for (const u of units) writeParticipation(db, u.document_id as number, u as never, u.year as number | null, u.board as string | null, u.current as number);
    },
  },
  {
    version: 6,
    name: 'summary tables for trend queries, rebuilt after each writer run',
    up: (db) =>
      db.exec(`
        CREATE TABLE summary_state (id INTEGER PRIMARY KEY CHECK (id = 1), dirty INTEGER NOT NULL, refreshed_at TEXT);
        INSERT INTO summary_state (id, dirty) VALUES (1, 1);
        CREATE TABLE summary_year_board (year INTEGER, board TEXT, documents INTEGER NOT NULL, units INTEGER NOT NULL);
        CREATE TABLE summary_year_class (year INTEGER, board TEXT, class TEXT, documents INTEGER NOT NULL, units INTEGER NOT NULL);
        CREATE TABLE summary_classes (year INTEGER, board TEXT, class TEXT, documents INTEGER NOT NULL);
        CREATE TABLE summary_deadlines (year INTEGER, board TEXT, kind TEXT, earliest TEXT, latest TEXT, documents INTEGER NOT NULL);
        CREATE TABLE summary_unit_spans (identity_id INTEGER, board TEXT, first INTEGER, last INTEGER);
      `),
  },
  {
    version: 7,
    name: 'confidence of every extracted value; documents that need review',
    up: (db) =>
      db.exec(`
        ALTER TABLE evidence ADD COLUMN confidence REAL;
        ALTER TABLE extractions ADD COLUMN needs_review INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE extractions ADD COLUMN review_reasons TEXT NOT NULL DEFAULT '[]';
      `),
  },
];

/**
 * Rebuilds the summary tables trend queries read (in one transaction): about a second for
 * 100,000 documents, done once at the end of a writer run. Until then (summary_state.dirty),
 * queries read the detail tables instead, so an answer is never stale.
 */
export function refreshSummaries(db: Database): void {
  db.transaction(() => {
    db.exec(`
      DELETE FROM summary_year_board; DELETE FROM summary_year_class; DELETE FROM summary_classes;
      DELETE FROM summary_deadlines; DELETE FROM summary_unit_spans;
      INSERT INTO summary_year_board SELECT year, board, count(DISTINCT document_id), count(*) FROM participations WHERE current GROUP BY year, board;
      INSERT INTO summary_year_class SELECT year, board, coalesce(class, 'unknown'), count(DISTINCT document_id), count(*) FROM participations WHERE current GROUP BY year, board, coalesce(class, 'unknown');
      INSERT INTO summary_classes SELECT e.year, e.board, c.class, count(DISTINCT c.document_id) FROM classes_offered c JOIN extractions e ON e.document_id = c.document_id WHERE e.current GROUP BY e.year, e.board, c.class;
      INSERT INTO summary_deadlines SELECT e.year, e.board, t.kind, min(t.date), max(t.date), count(DISTINCT t.document_id)
        FROM extractions e JOIN event_dates t ON t.document_id = e.document_id
        WHERE e.current AND t.kind IN ('award', 'registration_deadline', 'submission_deadline', 'minutes_deadline') GROUP BY e.year, e.board, t.kind;
      INSERT INTO summary_unit_spans SELECT identity_id, board, min(year), max(year) FROM participations WHERE current AND year IS NOT NULL GROUP BY identity_id, board;
      UPDATE summary_state SET dirty = 0, refreshed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = 1;
    `);
  })();
}

/** Records a unit's participation under its identity (used by the store and by migration 5). */
export function writeParticipation(
  db: Database,
  documentId: number,
  unit: { name: string; department: string | null; operator: string | null; provider: string | null; class: string | null },
  year: number | null,
  board: string | null,
  current = 1,
): void {
  const key = unitIdentityKey(unit.name) || unit.name.toLowerCase();
  db.prepare('INSERT OR IGNORE INTO unit_identities (key, name) VALUES (?, ?)').run(key, unit.name);
  const { id } = db.prepare('SELECT id FROM unit_identities WHERE key = ?').get(key) as { id: number };
  db.prepare(
    `INSERT OR IGNORE INTO participations (document_id, identity_id, year, board, name, department, operator, provider, class, current)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(documentId, id, year, board, unit.name, unit.department, unit.operator, unit.provider, unit.class, current);
}

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
