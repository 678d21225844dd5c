/**
 * One writer at a time. A lock file beside the database, created atomically (O_EXCL), names
 * the holder; a second writer is refused at once. A lock left by a process that no longer
 * exists (kill -9, power cut) is taken over.
 */
import { openSync, writeSync, closeSync, readFileSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { DatabaseLockedError } from '../errors.js';
import { checkDatabasePath } from './database.js';

export interface WriterLock {
  path: string;
  release(): void;
}

interface Holder {
  pid: number;
  host: string;
  startedAt: string;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(path: string): Holder | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Holder;
  } catch {
    return null;
  }
}

/** The live writer holding a database's lock, or null (no lock, or one left by a process that is gone). */
export function liveWriter(dbPath: string): Holder | null {
  const holder = readHolder(`${resolve(dbPath)}.lock`);
  if (!holder) return null;
  // A holder on another host cannot be checked from here: taken as alive, as acquireWriterLock does.
  return holder.host !== hostname() || processExists(holder.pid) ? holder : null;
}

/** `mustExist`: the database must be there already (writers that do not create one). */
export function acquireWriterLock(dbPath: string, options: { mustExist?: boolean } = {}): WriterLock {
  // A folder, a missing folder or a file that is not SQLite is said in words before any lock file is made.
  checkDatabasePath(dbPath, options);
  const path = `${resolve(dbPath)}.lock`;
  const me: Holder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      let released = false;
      return {
        path,
        release() {
          if (released) return;
          released = true;
          const holder = readHolder(path);
          if (holder?.pid === me.pid && holder.host === me.host) unlinkSync(path);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readHolder(path);
      // A holder on this host whose process is gone left a stale lock; a half-written file is stale too.
      const stale = holder === null || (holder.host === me.host && !processExists(holder.pid));
      if (!stale) throw new DatabaseLockedError(path, holder);
      try {
        unlinkSync(path);
      } catch {
        /* another process took it over first; try again */
      }
    }
  }
  const holder = readHolder(path);
  throw new DatabaseLockedError(path, holder ?? { pid: -1, host: 'unknown', startedAt: 'unknown' });
}
