/**
 * The schema, as an ordered list of migrations. A database records which ones it has
 * (table `schema_migrations`, mirrored in `PRAGMA user_version`); opening it applies the rest,
 * each in its own transaction. Never edit a migration that has shipped: add a new one.
 */
import type { Database } from 'better-sqlite3';
import { fold } from '../repair/fold.js';
import { unitIdentityKey } from '../query/unit-identity.js';
import { labelRows } from '../query/labels.js';
import { computeUnitAliases } from '../query/queries.js';
import { rebuildReportGroups, writeFingerprint } from './reports.js';
import { rescopeUnits, unitIdFor, unitKey } from './units.js';
import { prepared } from './statements.js';
import { extractionFromRows } from '../review/store.js';

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
      for (const u of units) writeParticipationV5(db, u.document_id as number, u as never, u.year as number | null, u.board as string | null, u.current as number);
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
  {
    version: 8,
    name: 'reports not files (report groups), distinct units within board lineages, FTS found by other tools, Swedish labels',
    up: (db) => {
      db.exec(`
        -- Text fingerprint of each document (MinHash of word pairs, src/store/fingerprint.ts).
        CREATE TABLE report_fingerprints (
          document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
          minhash BLOB NOT NULL,
          shingles INTEGER NOT NULL
        );
        -- An archivist's decisions: same = 1 (group join), same = 0 (group split: never one report).
        CREATE TABLE report_decisions (
          document_a INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
          document_b INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
          same INTEGER NOT NULL CHECK (same IN (0, 1)),
          decided_at TEXT NOT NULL,
          PRIMARY KEY (document_a, document_b),
          CHECK (document_a < document_b)
        );
        -- Report groups (rebuilt after each writer run and each decision): a report's id is its best document's id.
        CREATE TABLE reports (
          id INTEGER PRIMARY KEY,
          documents INTEGER NOT NULL,
          topic TEXT,
          year INTEGER,
          board TEXT,
          units INTEGER NOT NULL,
          missing TEXT,             -- a report about taking part without year, board or units: which of them
          files TEXT NOT NULL       -- its documents' file names, the counted one first
        );
        CREATE INDEX reports_missing ON reports(missing) WHERE missing IS NOT NULL;
        CREATE TABLE report_documents (
          document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
          report_id INTEGER NOT NULL,
          is_primary INTEGER NOT NULL,
          joined_by TEXT NOT NULL CHECK (joined_by IN ('self', 'dnr', 'text', 'archivist'))
        );
        CREATE INDEX report_documents_report ON report_documents(report_id);

        -- Board lineages: a board renamed or merged into another (beslutsarkiv lineage add).
        CREATE TABLE board_successions (
          board TEXT NOT NULL,
          successor TEXT NOT NULL,
          year INTEGER,
          kind TEXT NOT NULL CHECK (kind IN ('renamed', 'merged')),
          decided_at TEXT NOT NULL,
          PRIMARY KEY (board, successor)
        );
        CREATE TABLE board_lineages (board_key TEXT PRIMARY KEY, lineage TEXT NOT NULL);
        -- Confirmed aliases: a unit named so under one board is the unit named so under another (beslutsarkiv alias add).
        CREATE TABLE unit_aliases (
          board_a TEXT, name_a TEXT NOT NULL, board_b TEXT, name_b TEXT NOT NULL, decided_at TEXT NOT NULL,
          PRIMARY KEY (board_a, name_a, board_b, name_b)
        );
        -- A distinct unit: a name (across spellings) within a board lineage; canonical_id when an alias makes it another unit.
        CREATE TABLE distinct_units (
          id INTEGER PRIMARY KEY,
          lineage TEXT NOT NULL,
          key TEXT NOT NULL,
          name TEXT NOT NULL,
          canonical_id INTEGER,
          UNIQUE (lineage, key)
        );
        ALTER TABLE participations ADD COLUMN unit_id INTEGER;
        -- counted: current, and of its report's best document; what every trend counts.
        ALTER TABLE participations ADD COLUMN counted INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE extractions ADD COLUMN counted INTEGER NOT NULL DEFAULT 1;
        CREATE INDEX participations_counted ON participations(counted, year, board, class, unit_id, document_id);
        CREATE INDEX participations_unit ON participations(unit_id, year);
        CREATE INDEX extractions_counted ON extractions(counted, year, board);
        CREATE INDEX documents_file_name ON documents(file_name, id);

        -- Swedish labels of stored keys, for any tool.
        CREATE TABLE labels (kind TEXT NOT NULL, key TEXT NOT NULL, label TEXT NOT NULL, PRIMARY KEY (kind, key));

        -- Full-text search declared as sqlite-utils and Datasette look for it (content="pages").
        -- (Views use no syntax newer than SQLite 3.40, Debian 12's, so every tool can open the schema.)
        DROP TRIGGER pages_fts_delete;
        DROP TRIGGER pages_fts_update;
        DROP TABLE pages_fts;
        CREATE VIRTUAL TABLE pages_fts USING fts5(repaired_text, content="pages", content_rowid="rowid", tokenize="unicode61 remove_diacritics 2");
        INSERT INTO pages_fts (pages_fts) VALUES ('rebuild');
        CREATE TRIGGER pages_fts_delete AFTER DELETE ON pages BEGIN
          INSERT INTO pages_fts (pages_fts, rowid, repaired_text) VALUES ('delete', old.rowid, old.repaired_text);
        END;
        CREATE TRIGGER pages_fts_update AFTER UPDATE OF repaired_text ON pages BEGIN
          INSERT INTO pages_fts (pages_fts, rowid, repaired_text) VALUES ('delete', old.rowid, old.repaired_text);
          INSERT INTO pages_fts (rowid, repaired_text) VALUES (new.rowid, new.repaired_text);
        END;

        DROP TABLE summary_year_board;
        DROP TABLE summary_year_class;
        DROP TABLE summary_unit_spans;
        DROP TABLE summary_classes;
        DROP TABLE summary_deadlines;
        -- level: y, yb, yc, ybc (year; board; class); board NULL = no board named; class 'unknown' = none named.
        CREATE TABLE summary_participation (level TEXT NOT NULL, year INTEGER, board TEXT, class TEXT, reports INTEGER NOT NULL, units INTEGER NOT NULL, participations INTEGER NOT NULL);
        CREATE INDEX summary_participation_level ON summary_participation(level, board, class, year);
        -- class NULL: all classes.
        CREATE TABLE summary_boards (class TEXT, board TEXT, years INTEGER NOT NULL, first INTEGER, last INTEGER, reports INTEGER NOT NULL, units INTEGER NOT NULL, participations INTEGER NOT NULL);
        CREATE TABLE summary_classes (year INTEGER, board TEXT, class TEXT, reports INTEGER NOT NULL);
        CREATE TABLE summary_deadlines (year INTEGER, board TEXT, kind TEXT, earliest TEXT, latest TEXT, reports INTEGER NOT NULL);
        -- Likely renames (query unit-aliases), found once per rebuild.
        CREATE TABLE summary_unit_aliases (board TEXT, name TEXT, years TEXT, possibly_renamed_to TEXT, to_board TEXT, "from" INTEGER, similarity REAL);
        -- Every board named by a counted record, for matching --board quickly.
        CREATE TABLE summary_board_names (board TEXT PRIMARY KEY, reports INTEGER NOT NULL);

        DROP VIEW participation_by_year;
        DROP VIEW participation_by_year_board;
        DROP VIEW participation_by_year_class;
        DROP VIEW unit_history;
        DROP VIEW deadlines_by_year;
        DROP VIEW classes_by_year;
        DROP VIEW signatories_by_year;
        CREATE VIEW participation_by_year AS
          SELECT year, count(DISTINCT document_id) AS reports, count(DISTINCT unit_id) AS units, count(DISTINCT document_id << 32 | unit_id) AS participations
          FROM participations WHERE counted GROUP BY year ORDER BY year IS NULL, year;
        CREATE VIEW participation_by_year_board AS
          SELECT year, board, count(DISTINCT document_id) AS reports, count(DISTINCT unit_id) AS units, count(DISTINCT document_id << 32 | unit_id) AS participations
          FROM participations WHERE counted GROUP BY year, board ORDER BY year IS NULL, year, board;
        CREATE VIEW participation_by_year_class AS
          SELECT p.year, coalesce(p.class, 'unknown') AS class, l.label AS class_label, count(DISTINCT p.document_id) AS reports, count(DISTINCT p.unit_id) AS units,
                 count(DISTINCT p.document_id << 32 | p.unit_id) AS participations
          FROM participations p LEFT JOIN labels l ON l.kind = 'class' AND l.key = coalesce(p.class, 'unknown')
          WHERE p.counted GROUP BY p.year, coalesce(p.class, 'unknown') ORDER BY p.year IS NULL, p.year, 2;
        CREATE VIEW unit_history AS
          SELECT u.name AS unit, p.unit_id, p.year, p.name, p.board, p.department, p.class, p.operator, p.provider, p.document_id AS report,
                 (SELECT r.files FROM reports r WHERE r.id = p.document_id) AS documents
          FROM participations p JOIN distinct_units u ON u.id = p.unit_id
          WHERE p.counted ORDER BY u.name, p.unit_id, p.year;
        CREATE VIEW report_groups AS
          SELECT r.id AS report, r.year, r.board, r.topic, r.units, r.documents, d.file_name AS document, rd.is_primary, rd.joined_by, d.format, d.ocr
          FROM reports r JOIN report_documents rd ON rd.report_id = r.id JOIN documents d ON d.id = rd.document_id
          ORDER BY r.year, r.board, r.id, rd.is_primary DESC, d.id;
        CREATE VIEW incomplete_reports AS
          SELECT r.id AS report, r.year, r.board, r.units, r.missing, r.documents,
                 r.files
          FROM reports r WHERE r.missing IS NOT NULL ORDER BY r.year, r.board, r.id;
        CREATE VIEW deadlines_by_year AS
          SELECT e.year, t.kind, l.label AS kind_label, min(t.date) AS earliest, max(t.date) AS latest, count(DISTINCT t.document_id) AS reports
          FROM event_dates t JOIN extractions e ON e.document_id = t.document_id LEFT JOIN labels l ON l.kind = 'date_kind' AND l.key = t.kind
          WHERE e.counted AND t.kind IN ('award', 'registration_deadline', 'submission_deadline', 'minutes_deadline')
          GROUP BY e.year, t.kind ORDER BY e.year, t.kind;
        CREATE VIEW classes_by_year AS
          SELECT e.year, c.class, l.label AS class_label, count(DISTINCT c.document_id) AS reports
          FROM classes_offered c JOIN extractions e ON e.document_id = c.document_id LEFT JOIN labels l ON l.kind = 'class' AND l.key = c.class
          WHERE e.counted GROUP BY e.year, c.class ORDER BY e.year, c.class;
        CREATE VIEW signatories_by_year AS
          SELECT e.year, e.board, s.name, s.title, d.file_name AS document
          FROM signatories s JOIN extractions e ON e.document_id = s.document_id JOIN documents d ON d.id = s.document_id
          WHERE e.counted ORDER BY e.year, e.board;
      `);
      const label = db.prepare('INSERT INTO labels (kind, key, label) VALUES (?, ?, ?)');
      for (const l of labelRows()) label.run(l.kind, l.key, l.label);
      // Existing documents: fingerprints from their stored pages, distinct units, report groups, summaries.
      const pages = db.prepare('SELECT document_id, coalesce(repaired_text, text) AS text FROM pages ORDER BY document_id, page').all() as Array<{ document_id: number; text: string }>;
      const byDoc = new Map<number, Array<{ text: string }>>();
      for (const p of pages) (byDoc.get(p.document_id) ?? byDoc.set(p.document_id, []).get(p.document_id)!).push({ text: p.text });
      for (const [id, texts] of byDoc) writeFingerprint(db, id, texts);
      rescopeUnits(db);
      rebuildReportGroups(db);
      refreshSummaries(db);
    },
  },
  {
    version: 9,
    name: 'files in flight: written before a file is read, cleared with its outcome, so a run that dies leaves the suspects',
    up: (db) =>
      db.exec(`
        CREATE TABLE in_flight (
          path TEXT PRIMARY KEY,
          sha256 TEXT NOT NULL,
          run_id INTEGER NOT NULL REFERENCES runs(id),
          started_at TEXT NOT NULL
        );
      `),
  },
  {
    version: 10,
    name: "corrections: an archivist's fixes kept beside the machine's extraction, applied to the record every view shows",
    up: (db) => {
      db.exec(`
        -- One row per correction, by document content (sha256), never deleted: an undo marks it undone.
        -- target: what it corrected by identity (a unit by its identity key, a date by kind and date), JSON.
        CREATE TABLE corrections (
          id INTEGER PRIMARY KEY,
          sha256 TEXT NOT NULL,
          path TEXT NOT NULL,
          action TEXT NOT NULL CHECK (action IN ('set', 'add', 'remove', 'confirm')),
          target TEXT NOT NULL,
          old_value TEXT,
          new_value TEXT,
          by TEXT NOT NULL,
          at TEXT NOT NULL,
          reason TEXT,
          carried_from INTEGER REFERENCES corrections(id),
          undone_at TEXT,
          undone_by TEXT
        );
        CREATE INDEX corrections_sha256 ON corrections(sha256, id);
        -- The machine's extraction as it made it (JSON); the record tables hold it with corrections applied.
        -- corrections: the applied corrections with the machine's value and evidence (derived, for export --with-evidence).
        CREATE TABLE machine_extractions (
          document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
          record TEXT NOT NULL,
          evidence TEXT NOT NULL,
          corrections TEXT NOT NULL DEFAULT '[]'
        );
      `);
      // Existing records have no corrections yet: their tables are the machine's extraction.
      const put = db.prepare('INSERT INTO machine_extractions (document_id, record, evidence) VALUES (?, ?, ?)');
      for (const id of db.prepare('SELECT document_id FROM extractions').pluck().all() as number[]) {
        const m = extractionFromRows(db, id);
        if (m) put.run(id, JSON.stringify(m.record), JSON.stringify(m.evidence));
      }
    },
  },
  {
    version: 11,
    name: "unit identity keeps the type word (Förskolan Ekorren and Äldreboendet Ekorren are two units); indexes for filtered search and signatories",
    up: (db) => {
      db.exec(`
        -- Filtered search and signatories read a board's reports and records in year order.
        CREATE INDEX IF NOT EXISTS reports_board_year ON reports(board, year);
        CREATE INDEX IF NOT EXISTS reports_year ON reports(year, board);
        CREATE INDEX IF NOT EXISTS extractions_board_year ON extractions(board, year) WHERE counted;
      `);
      rekeyUnitIdentities(db);
    },
  },
  {
    version: 12,
    name: 'pages that could not be read, counted per run',
    up: (db) => db.exec('ALTER TABLE runs ADD COLUMN pages_failed INTEGER NOT NULL DEFAULT 0'),
  },
  {
    version: 13,
    name: 'query speed: the year and board of every page (filtered search); indexes read in the order of unit histories, incomplete reports and classes',
    up: (db) => {
      db.exec(`
        CREATE TABLE summary_pages (id INTEGER PRIMARY KEY, year INTEGER, board TEXT);
        CREATE INDEX summary_pages_year ON summary_pages(year);
        CREATE INDEX summary_pages_board ON summary_pages(board, year);
        -- query unit: every column it answers with, so its rows come from the index alone.
        CREATE INDEX participations_unit_rows ON participations(unit_id, counted, year, board, name, department, class, operator, document_id);
        -- ... and the units a name's spelling identities stand for, from an index too.
        CREATE INDEX participations_identity_unit ON participations(identity_id, unit_id);
        -- query incomplete: in its order (no year last, then board), read up to its limit (reports_missing still counts them).
        CREATE INDEX reports_incomplete ON reports(year IS NULL, year, board IS NULL, board, id) WHERE missing IS NOT NULL;
        -- query classes: the sums per year and class from the index, without reading the table.
        CREATE INDEX summary_classes_year ON summary_classes(year, class, reports);
      `);
      refreshPageSummary(db);
    },
  },
  {
    version: 14,
    name: 'the OCR engine of each run (tesseract.js or native tesseract, with its version)',
    up: (db) => {
      // Idempotent: a test that re-runs older migrations may leave the column in place.
      const columns = db.prepare("SELECT name FROM pragma_table_info('runs')").pluck().all() as string[];
      if (!columns.includes('ocr_engine')) db.exec('ALTER TABLE runs ADD COLUMN ocr_engine TEXT');
    },
  },
  {
    version: 15,
    name: 'review queue: the documents an older version is superseded by, from an index',
    // reviewQueue / reviewDocument (src/review/queue.ts) and the web's review queue look up
    // documents.superseded_by = ? (the versions a document replaced): without it, a table scan each.
    up: (db) => db.exec('CREATE INDEX IF NOT EXISTS documents_superseded_by ON documents(superseded_by) WHERE superseded_by IS NOT NULL'),
  },
];

/**
 * The unit identity key as schema versions 5–10 computed it: the name folded without its leading
 * type word (so `Förskolan Ekorren` and `Äldreboendet Ekorren` met). Used by migration 11 only, to
 * find the participations that key lost.
 */
function legacyUnitKey(name: string): string {
  let n = name.trim().replace(/\s*[(-]\s*\p{Lu}[\p{L}]{1,7}\)?\s*$/u, '');
  n = n.replace(/^\p{L}+(?:et|en|an|na|orna|erna|arna)\s+(?=\p{Lu})/u, '');
  return fold(n).replace(/[^\p{L}\p{N}]/gu, '') || name.toLowerCase();
}

/**
 * Migration 11: every participation under the identity its name has now (src/query/unit-identity.ts),
 * every other column kept as stored. A document that named two units the old key took for one
 * (`Förskolan Ekorren`, `Äldreboendet Ekorren`) had one participation: the other is written from
 * its stored units. Then distinct units, report groups and summaries are rebuilt.
 */
export function rekeyUnitIdentities(db: Database): void {
  const columns = (db.prepare('SELECT name FROM pragma_table_info(\'participations\')').pluck().all() as string[]).filter((c) => c !== 'identity_id');
  const rows = db.prepare(`SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM participations`).all() as Array<Record<string, unknown>>;
  if (!rows.length) {
    db.prepare('DELETE FROM unit_identities').run();
    return;
  }
  db.prepare('DELETE FROM participations').run();
  db.prepare('DELETE FROM unit_identities').run();
  const insertIdentity = db.prepare('INSERT OR IGNORE INTO unit_identities (key, name) VALUES (?, ?)');
  const identityOf = db.prepare('SELECT id FROM unit_identities WHERE key = ?').pluck();
  const insert = db.prepare(
    `INSERT OR IGNORE INTO participations (identity_id, ${columns.map((c) => `"${c}"`).join(', ')}) VALUES (?, ${columns.map(() => '?').join(', ')})`,
  );
  const had = new Map<number, { legacy: Set<string>; keys: Set<string> }>();
  for (const r of rows) {
    const key = unitKey(String(r.name));
    insertIdentity.run(key, r.name);
    insert.run(identityOf.get(key), ...columns.map((c) => r[c]));
    const doc = r.document_id as number;
    const h = had.get(doc) ?? had.set(doc, { legacy: new Set(), keys: new Set() }).get(doc)!;
    h.legacy.add(legacyUnitKey(String(r.name)));
    h.keys.add(key);
  }
  const units = db
    .prepare(
      `SELECT u.document_id, u.name, u.department, u.operator, u.provider, u.class, e.year, e.board, e.current
       FROM units u JOIN extractions e ON e.document_id = u.document_id ORDER BY u.document_id, u.position`,
    )
    .all() as Array<{ document_id: number; name: string; department: string | null; operator: string | null; provider: string | null; class: string | null; year: number | null; board: string | null; current: number }>;
  for (const u of units) {
    const h = had.get(u.document_id);
    if (!h || h.keys.has(unitKey(u.name)) || !h.legacy.has(legacyUnitKey(u.name))) continue;
    writeParticipation(db, u.document_id, u, u.year, u.board, u.current);
    h.keys.add(unitKey(u.name));
  }
  rescopeUnits(db);
  rebuildReportGroups(db);
  refreshSummaries(db);
}

/**
 * Rebuilds the summary tables trend queries read (in one transaction): a few seconds for 100,000
 * documents, done once at the end of a writer run (after the report groups). Until then
 * (summary_state.dirty), queries read the detail tables instead, so an answer is never stale.
 * Distinct counts do not add up across groups, so each grouping has its rows.
 */
export function refreshSummaries(db: Database): void {
  db.transaction(() => {
    const p = (keys: string) =>
      `SELECT ${keys}, count(DISTINCT document_id), count(DISTINCT unit_id), count(DISTINCT document_id << 32 | unit_id) FROM participations WHERE counted`;
    db.exec(`
      DELETE FROM summary_participation; DELETE FROM summary_boards; DELETE FROM summary_classes;
      DELETE FROM summary_deadlines; DELETE FROM summary_board_names;
      INSERT INTO summary_board_names SELECT board, count(*) FROM extractions WHERE counted AND board IS NOT NULL GROUP BY board;
      INSERT INTO summary_participation ${p("'y', year, NULL, NULL")} GROUP BY year;
      INSERT INTO summary_participation ${p("'yb', year, board, NULL")} GROUP BY year, board;
      INSERT INTO summary_participation ${p("'yc', year, NULL, coalesce(class, 'unknown')")} GROUP BY year, coalesce(class, 'unknown');
      INSERT INTO summary_participation ${p("'ybc', year, board, coalesce(class, 'unknown')")} GROUP BY year, board, coalesce(class, 'unknown');
      INSERT INTO summary_boards SELECT NULL, board, count(DISTINCT year), min(year), max(year), count(DISTINCT document_id), count(DISTINCT unit_id), count(DISTINCT document_id << 32 | unit_id)
        FROM participations WHERE counted GROUP BY board;
      INSERT INTO summary_boards SELECT coalesce(class, 'unknown'), board, count(DISTINCT year), min(year), max(year), count(DISTINCT document_id), count(DISTINCT unit_id), count(DISTINCT document_id << 32 | unit_id)
        FROM participations WHERE counted GROUP BY coalesce(class, 'unknown'), board;
      INSERT INTO summary_classes SELECT e.year, e.board, c.class, count(DISTINCT c.document_id) FROM classes_offered c JOIN extractions e ON e.document_id = c.document_id WHERE e.counted GROUP BY e.year, e.board, c.class;
      INSERT INTO summary_deadlines SELECT e.year, e.board, t.kind, min(t.date), max(t.date), count(DISTINCT t.document_id)
        FROM extractions e JOIN event_dates t ON t.document_id = e.document_id
        WHERE e.counted AND t.kind IN ('award', 'registration_deadline', 'submission_deadline', 'minutes_deadline') GROUP BY e.year, e.board, t.kind;
    `);
    refreshPageSummary(db);
    db.prepare('DELETE FROM summary_unit_aliases').run();
    const alias = db.prepare('INSERT INTO summary_unit_aliases (board, name, years, possibly_renamed_to, to_board, "from", similarity) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (const a of computeUnitAliases(db, {})) alias.run(a.board, a.name, a.years, a.possibly_renamed_to, a.to_board, a.from, a.similarity);
    db.prepare("UPDATE summary_state SET dirty = 0, refreshed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = 1").run();
  })();
}

/**
 * summary_pages (migration 13): each page's year and board as a filtered search reads them, its
 * report's, else its record's (`coalesce(r.year, e.year)`, `coalesce(r.board, e.board)`); pages with
 * neither are left out (no filter keeps them). `id` is the page's rowid (pages_fts's). Indexed by
 * year and by board and year, so the pages of a year (of a board) come in rowid order. Rebuilt with
 * the other summaries; a database migrated to an older version has no such table yet (nothing to do).
 */
export function refreshPageSummary(db: Database): void {
  if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'summary_pages'").get()) return;
  db.exec(`
    DELETE FROM summary_pages;
    INSERT INTO summary_pages (id, year, board)
      SELECT p.rowid, coalesce(r.year, e.year), coalesce(r.board, e.board)
      FROM pages p LEFT JOIN report_documents rd ON rd.document_id = p.document_id LEFT JOIN reports r ON r.id = rd.report_id
        LEFT JOIN extractions e ON e.document_id = p.document_id
      WHERE coalesce(r.year, e.year) IS NOT NULL OR coalesce(r.board, e.board) IS NOT NULL;
  `);
}

/**
 * Records a unit's participation in a document: its spelling identity, its distinct unit (name
 * within the board's lineage, after confirmed aliases), and whether it counts (the document is
 * current and its report's best document; a document not yet grouped counts as its own report).
 */
export function writeParticipation(
  db: Database,
  documentId: number,
  unit: { name: string; department: string | null; operator: string | null; provider: string | null; class: string | null },
  year: number | null,
  board: string | null,
  current = 1,
): void {
  const key = unitKey(unit.name);
  prepared(db, 'INSERT OR IGNORE INTO unit_identities (key, name) VALUES (?, ?)').run(key, unit.name);
  const { id } = prepared(db, 'SELECT id FROM unit_identities WHERE key = ?').get(key) as { id: number };
  const primary = prepared(db, 'SELECT is_primary FROM report_documents WHERE document_id = ?').pluck().get(documentId) as number | undefined;
  prepared(db, 
    `INSERT OR IGNORE INTO participations (document_id, identity_id, year, board, name, department, operator, provider, class, current, unit_id, counted)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(documentId, id, year, board, unit.name, unit.department, unit.operator, unit.provider, unit.class, current, unitIdFor(db, board, unit.name), current && (primary ?? 1) ? 1 : 0);
}

/** Records a unit's participation under its identity, as schema version 5 had it (used by migration 5 only). */
function writeParticipationV5(
  db: Database,
  documentId: number,
  unit: { name: string; department: string | null; operator: string | null; provider: string | null; class: string | null },
  year: number | null,
  board: string | null,
  current = 1,
): void {
  const key = unitIdentityKey(unit.name) || unit.name.toLowerCase();
  prepared(db, 'INSERT OR IGNORE INTO unit_identities (key, name) VALUES (?, ?)').run(key, unit.name);
  const { id } = prepared(db, 'SELECT id FROM unit_identities WHERE key = ?').get(key) as { id: number };
  prepared(db, 
    `INSERT OR IGNORE INTO participations (document_id, identity_id, year, board, name, department, operator, provider, class, current)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(documentId, id, year, board, unit.name, unit.department, unit.operator, unit.provider, unit.class, current);
}

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
