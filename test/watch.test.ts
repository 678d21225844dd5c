/**
 * `ingest --watch` through the built command: a file dropped into the folder after start is
 * ingested once it has stopped growing, the writer lock is held meanwhile, and SIGTERM ends it cleanly.
 */
import { once } from 'node:events';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import { ensureBuilt, jsonLines, ROOT, run, start } from './built-cli.js';
import { tempDir } from './helpers.js';

beforeAll(() => ensureBuilt());

async function until(what: string, check: () => boolean, ms = 120_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const documents = (db: string) => {
  const d = new BetterSqlite3(db, { readonly: true });
  try {
    return d.prepare('SELECT file_name FROM documents ORDER BY file_name').pluck().all() as string[];
  } finally {
    d.close();
  }
};

describe('ingest --watch', () => {
  it('ingests a file dropped after start once it stops growing, holds the lock, and exits cleanly on SIGTERM', async () => {
    const dir = tempDir();
    const inbox = join(dir, 'inkommande');
    mkdirSync(inbox);
    cpSync(join(ROOT, 'corpus/000_32a9fff0cf960181.txt'), join(inbox, 'first.txt'));
    const db = join(dir, 'a.sqlite');
    const log = join(dir, 'log.jsonl');
    const child = start(['ingest', '--watch', inbox, '--db', db, '--log-format', 'json', '--log-file', log]);
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = once(child, 'exit');
    const events = () => (existsSync(log) ? jsonLines(readFileSync(log, 'utf8')) : []);
    // The first batch: what is there at start.
    await until('the first batch', () => events().some((e) => e.event === 'run-end'));
    expect(documents(db)).toEqual(['first.txt']);
    // The writer lock is held between batches.
    expect(existsSync(`${db}.lock`)).toBe(true);
    const other = run(['ingest', inbox, '--db', db]);
    expect(other.code).toBe(EXIT.locked);

    // A file written in two parts: not taken while it grows.
    const text = readFileSync(join(ROOT, 'corpus/001_91a3c1650f19c566.txt'), 'utf8');
    const half = Math.floor(text.length / 2);
    writeFileSync(join(inbox, 'dropped.txt'), text.slice(0, half));
    await new Promise((r) => setTimeout(r, 1000));
    appendFileSync(join(inbox, 'dropped.txt'), text.slice(half));
    await until('the dropped file', () => events().filter((e) => e.event === 'run-end').length >= 2);
    expect(documents(db)).toEqual(['dropped.txt', 'first.txt']);
    const second = events().filter((e) => e.event === 'file').at(-1)!;
    expect(second).toMatchObject({ file: 'dropped.txt', status: 'ingested' });
    // Stored whole: the content is the complete file, not its first half.
    const d = new BetterSqlite3(db, { readonly: true });
    const pageText = d.prepare(`SELECT p.text FROM pages p JOIN documents doc ON doc.id = p.document_id WHERE doc.file_name = 'dropped.txt'`).pluck().get() as string;
    d.close();
    expect(pageText.trim().length).toBeGreaterThan(text.slice(0, half).trim().length);

    child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(EXIT.ok);
    expect(existsSync(`${db}.lock`)).toBe(false);
    // Every line of its log is JSON (stderr carried nothing: no failure).
    expect(stderr).toBe('');
  }, 300_000);
});
