/**
 * Opening the archive database: WAL mode (readers keep working during a run), foreign keys,
 * and migrations applied in order.
 */
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';

export type { Database };

export const DEFAULT_DB_PATH = 'beslutsarkiv.sqlite';

export class DatabaseNotFoundError extends Error {
  override name = 'DatabaseNotFoundError';
}

/** A --db path that cannot be a database: a folder, a file in a missing folder, a file that is not SQLite. */
export class DatabasePathError extends Error {
  override name = 'DatabasePathError';
}

const SQLITE_HEADER = 'SQLite format 3\0';

/**
 * Checks a database path before it is opened or locked, so that a mistake gets one sentence naming
 * the path and what to do, not a system error (`disk I/O error`, `ENOENT … .lock`, `file is not a
 * database`). `mustExist`: refuse a path with no database (readers, and writers that do not create one);
 * `createFolder: false`: refuse a path whose folder is missing instead of creating it.
 */
export function checkDatabasePath(path: string, options: { mustExist?: boolean; createFolder?: boolean } = {}): string {
  const file = resolve(path);
  let info;
  try {
    info = statSync(file);
  } catch {
    info = undefined;
  }
  if (info?.isDirectory()) throw new DatabasePathError(`${file} is a folder, not a database file: pass the file, e.g. --db ${resolve(file, DEFAULT_DB_PATH)}`);
  if (!info) {
    if (options.mustExist) throw new DatabaseNotFoundError(`no database at ${file}: run "beslutsarkiv ingest <paths>" first, or pass --db`);
    const dir = dirname(file);
    // The library creates a missing folder (scripts write into bench/out/); the CLI refuses one (a mistyped --db).
    if (!existsSync(dir) && options.createFolder !== false) mkdirSync(dir, { recursive: true });
    if (!existsSync(dir)) throw new DatabasePathError(`the folder of ${file} does not exist: create it (mkdir -p ${dir}) or pass another --db`);
    if (!statSync(dir).isDirectory()) throw new DatabasePathError(`${dir} is not a folder, so ${file} cannot be created there: pass another --db`);
    return file;
  }
  if (!info.isFile()) throw new DatabasePathError(`${file} is not a regular file: pass a database file as --db`);
  if (info.size > 0) {
    const header = Buffer.alloc(16);
    let fd: number | undefined;
    try {
      fd = openSync(file, 'r');
      readSync(fd, header, 0, 16, 0);
    } catch (error) {
      throw new DatabasePathError(`${file} cannot be read (${(error as NodeJS.ErrnoException).code}): check its permissions or pass another --db`);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    if (header.toString('latin1') !== SQLITE_HEADER) {
      throw new DatabasePathError(`${file} is not a beslutsarkiv database (not an SQLite file): pass the right --db, or move that file away`);
    }
  }
  return file;
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
  /** Writers: refuse a path with no database instead of creating one (reprocess). */
  mustExist?: boolean;
}

export function openDatabase(path: string, options: OpenOptions = {}): Database {
  const file = checkDatabasePath(path, { mustExist: options.readonly || options.mustExist });
  if (options.readonly) {
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
