import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { findFiles, globToRegExp } from '../src/ingest/walk.js';
import { acquireWriterLock } from '../src/store/lock.js';
import { DatabaseLockedError } from '../src/errors.js';
import { tempDir } from './helpers.js';

describe('findFiles', () => {
  it('walks folders recursively in sorted order, leaving out hidden and ignored files', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'b/inner'), { recursive: true });
    mkdirSync(join(dir, '.git'));
    for (const f of ['b/inner/3.txt', 'a.txt', 'b/2.pdf', '.hidden.txt', '.git/x.txt', 'README.md', 'b/inner/skip-me.tmp']) {
      writeFileSync(join(dir, f), 'x');
    }
    writeFileSync(join(dir, '.beslutsarkivignore'), '# comment\nREADME.md\nb/inner/*.tmp\n');
    const found = await findFiles([dir]);
    expect(found.map((f) => f.path.slice(dir.length + 1))).toEqual(['a.txt', 'b/2.pdf', 'b/inner/3.txt']);
  });

  it('reads a file named on the command line even if hidden, and reports missing paths', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, '.named.txt'), 'x');
    const found = await findFiles([join(dir, '.named.txt'), join(dir, 'missing.pdf')]);
    expect(found).toEqual([{ path: join(dir, '.named.txt') }, { path: join(dir, 'missing.pdf'), error: 'no such file or folder' }]);
  });

  it('translates glob patterns', () => {
    expect(globToRegExp('*.tmp').test('a.tmp')).toBe(true);
    expect(globToRegExp('*.tmp').test('a/b.tmp')).toBe(false);
    expect(globToRegExp('drafts/**').test('drafts/2019/a.pdf')).toBe(true);
    expect(globToRegExp('scan?.pdf').test('scan1.pdf')).toBe(true);
  });
});

describe('acquireWriterLock', () => {
  it('refuses a second writer at once and names the holder', () => {
    const db = join(tempDir(), 'a.sqlite');
    const lock = acquireWriterLock(db);
    try {
      expect(() => acquireWriterLock(db)).toThrow(DatabaseLockedError);
      expect(() => acquireWriterLock(db)).toThrow(new RegExp(`pid ${process.pid}`));
    } finally {
      lock.release();
    }
    expect(existsSync(`${db}.lock`)).toBe(false);
    acquireWriterLock(db).release();
  });

  it('takes over a lock left by a process that no longer exists', async () => {
    const db = join(tempDir(), 'a.sqlite');
    // A real process that has exited: its pid is free.
    const child = spawn(process.execPath, ['-e', '0']);
    const pid = child.pid!;
    await new Promise((r) => child.on('exit', r));
    writeFileSync(`${db}.lock`, JSON.stringify({ pid, host: (await import('node:os')).hostname(), startedAt: '2020-01-01T00:00:00Z' }));
    const lock = acquireWriterLock(db);
    expect(JSON.parse(readFileSync(`${db}.lock`, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });
});
