import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { openDatabase, migrate } from '../src/store/database.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../src/store/migrations.js';
import { Archive } from '../src/store/archive.js';
import type { DocumentFile } from '../src/document-file.js';
import { tempDir } from './helpers.js';

function doc(sha: string, pages: DocumentFile['pages']): DocumentFile {
  return { path: `/a/${sha}.txt`, name: `${sha}.txt`, size: 10, mtimeMs: 1, sha256: sha.padEnd(64, '0'), format: 'txt', mediaType: 'text/plain', pages, messages: [] };
}

describe('database', () => {
  it('applies every migration once, records them, and sets user_version', () => {
    const path = join(tempDir(), 'a.sqlite');
    const db = openDatabase(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.prepare('SELECT version FROM schema_migrations').all()).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    expect(migrate(db)).toEqual([]);
    db.close();
    openDatabase(path).close();
  });

  it('refuses a database written by a newer beslutsarkiv', () => {
    const path = join(tempDir(), 'a.sqlite');
    openDatabase(path).close();
    const raw = new BetterSqlite3(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => openDatabase(path)).toThrow(/upgrade beslutsarkiv/);
  });

  it('opening read-only a database that does not exist says how to create it', () => {
    expect(() => openDatabase(join(tempDir(), 'none.sqlite'), { readonly: true })).toThrow(/run "beslutsarkiv ingest/);
  });
});

describe('Archive.saveDocument', () => {
  it('stores a document with its path, pages and messages', () => {
    const db = openDatabase(join(tempDir(), 'a.sqlite'));
    const archive = new Archive(db);
    const run = archive.startRun('test', [], {});
    const d = doc('aa', [{ number: 1, text: 'Nämnden godkänner', source: 'text', confidence: null }]);
    d.messages.push({ stage: 'ingest', rule: 'encoding', severity: 'info', reason: 'decoded as windows-1252' });
    expect(archive.saveDocument(d, run).status).toBe('ingested');
    expect(db.prepare('SELECT text FROM pages').get()).toEqual({ text: 'Nämnden godkänner' });
    expect(db.prepare('SELECT rule FROM messages').get()).toEqual({ rule: 'encoding' });
    expect(archive.knownFile('/a/aa.txt')).toMatchObject({ size: 10, mtimeMs: 1 });
  });

  it('rolls the whole document back when any part of it cannot be written', () => {
    const db = openDatabase(join(tempDir(), 'a.sqlite'));
    const archive = new Archive(db);
    const run = archive.startRun('test', [], {});
    const broken = doc('bb', [
      { number: 1, text: 'sida ett', source: 'text', confidence: null },
      // Violates the pages.source CHECK constraint, after page 1 was written.
      { number: 2, text: 'sida två', source: 'fax' as never, confidence: null },
    ]);
    expect(() => archive.saveDocument(broken, run)).toThrow(/CHECK constraint/);
    const count = (t: string) => (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    expect([count('documents'), count('files'), count('pages')]).toEqual([0, 0, 0]);
  });

  it('records a second path for the same bytes instead of a second document', () => {
    const db = openDatabase(join(tempDir(), 'a.sqlite'));
    const archive = new Archive(db);
    const run = archive.startRun('test', [], {});
    const page = [{ number: 1, text: 'x', source: 'text' as const, confidence: null }];
    archive.saveDocument(doc('cc', page), run);
    const copy = { ...doc('cc', page), path: '/b/kopia.txt', name: 'kopia.txt' };
    expect(archive.saveDocument(copy, run).status).toBe('duplicate');
    expect(db.prepare('SELECT count(*) AS n FROM documents').get()).toEqual({ n: 1 });
    expect(db.prepare('SELECT path FROM files ORDER BY path').all()).toEqual([{ path: '/a/cc.txt' }, { path: '/b/kopia.txt' }]);
  });
});
