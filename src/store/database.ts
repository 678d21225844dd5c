/**
 * Opening the archive database: WAL mode (readers keep working during a run), foreign keys,
 * and migrations applied in order.
 */
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';

export type { Database };

export const DEFAULT_DB_PATH = 'beslutsarkiv.sqlite';

export class DatabaseNotFoundError extends Error {
  override name = 'DatabaseNotFoundError';
}

export class SchemaTooNewError extends Error {
  override name = 'SchemaTooNewError';
}

export class SchemaTooOldError extends Error {
  override name = 'SchemaTooOldError';
}

export interface OpenOptions {
  /** Open read-only (queries, export). The file must exist. */
  readonly?: boolean;
  /** Read-only: refuse, with how to upgrade it, a database whose schema is older than this beslutsarkiv's (a reader cannot migrate). */
  current?: boolean;
}

export function openDatabase(path: string, options: OpenOptions = {}): Database {
  const file = resolve(path);
  if (options.readonly) {
    if (!existsSync(file)) {
      throw new DatabaseNotFoundError(`no database at ${file}: run "beslutsarkiv ingest <paths>" first, or pass --db`);
    }
    const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    checkVersion(db, file);
    // A reader cannot upgrade the schema; a writer does, on its next run.
    const version = db.pragma('user_version', { simple: true }) as number;
    if (options.current && version > 0 && version < SCHEMA_VERSION) {
      db.close();
      throw new SchemaTooOldError(
        `${file} has schema version ${version}; this beslutsarkiv reads version ${SCHEMA_VERSION}: upgrade it once with "beslutsarkiv reprocess --db ${path}" (or the next ingest run)`,
      );
    }
    return db;
  }
  mkdirSync(dirname(file), { recursive: true });
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  // NORMAL is crash-safe in WAL mode (a power cut may lose the last commits, never consistency).
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

function checkVersion(db: Database, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new SchemaTooNewError(`${file} has schema version ${version}; this beslutsarkiv knows up to ${SCHEMA_VERSION}: upgrade beslutsarkiv`);
  }
}

export function migrate(db: Database): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  checkVersion(db, db.name);
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version),
  );
  const done: number[] = [];
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      m.up(db);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
    done.push(m.version);
  }
  return done;
}
