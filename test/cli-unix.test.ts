/**
 * The command line as a good Unix tool, through the built command (dist/) as a user calls it:
 * errors in one sentence with one prefix, usage errors on one line (exit 2), an empty source is not
 * success (exit 3, nothing marked missing), JSON logs that parse line by line in every failure case,
 * reprocess saying what changed, the output conventions of sqlite-utils, and an npm-packed tarball
 * that installs and runs outside the checkout.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import { acquireWriterLock } from '../src/store/lock.js';
import { ensureBuilt, jsonLines, ROOT, run } from './built-cli.js';
import { tempDir } from './helpers.js';

const CORPUS = join(ROOT, 'corpus');
let work: string;
/** A database with the corpus ingested from a folder of its own (`archive`). */
let db: string;
let archive: string;

const missingCount = (file: string) => {
  const d = new BetterSqlite3(file, { readonly: true });
  try {
    return d.prepare('SELECT count(*) FROM files WHERE missing_since IS NOT NULL').pluck().get() as number;
  } finally {
    d.close();
  }
};

beforeAll(() => {
  ensureBuilt();
  work = tempDir();
  archive = join(work, 'archive');
  cpSync(CORPUS, archive, { recursive: true });
  db = join(work, 'a.sqlite');
  const r = run(['ingest', archive, '--db', db, '--log-format', 'json', '--log-file', join(work, 'first.jsonl')]);
  expect(r.code, r.stderr).toBe(EXIT.ok);
  // Success says nothing on stdout or stderr: cron mails nothing.
  expect(r.stdout + r.stderr).toBe('');
});

describe('the built command', () => {
  it('runs from dist/ and prints its version', () => {
    expect(existsSync(join(ROOT, 'dist/src/cli/main.js'))).toBe(true);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(run(['--version'])).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });
});

describe('usage errors', () => {
  it('are one line with one prefix and where help is, exit 2', () => {
    const cases: Array<[string[], RegExp]> = [
      [['ingest', 'corpus', '--bogus'], /^beslutsarkiv: unknown option '--bogus'; see beslutsarkiv ingest --help\n$/],
      [['ingest'], /^beslutsarkiv: missing required argument 'paths'; see beslutsarkiv ingest --help\n$/],
      [['stauts'], /^beslutsarkiv: unknown command 'stauts' \(did you mean status\?\); see beslutsarkiv --help\n$/],
      [['ingest', 'corpus', '--concurrency', 'zero'], /^beslutsarkiv: option '--concurrency <n>' argument 'zero' is invalid\. must be a positive whole number; see beslutsarkiv ingest --help\n$/],
      [['query', 'particpation', '--db', db], /^beslutsarkiv: no query named "particpation" \(did you mean participation\?\): use one of .*; see beslutsarkiv query --help\n$/],
      [['query', 'participation', '--db', db, '--nl', '--tsv'], /^beslutsarkiv: --nl and --tsv ask for different formats: give one; see beslutsarkiv query --help\n$/],
      [['query', 'boards', '--db', db, '-p', 'year', '2017'], /^beslutsarkiv: -p\/--param goes with query sql, not query boards; see beslutsarkiv query --help\n$/],
      [['ingest', 'corpus', '--poll'], /^beslutsarkiv: --poll goes with --watch; see beslutsarkiv ingest --help\n$/],
    ];
    for (const [args, expected] of cases) {
      const r = run(args);
      expect(r.stderr, args.join(' ')).toMatch(expected);
      expect(r.code, args.join(' ')).toBe(EXIT.error);
      expect(r.stdout, args.join(' ')).toBe('');
    }
  });
});

describe('--db mistakes', () => {
  it('each gets one sentence naming the path and what to do, and nothing is created', () => {
    const dir = join(work, 'dbs');
    mkdirSync(dir);
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not a database\n');
    const missingFolder = join(dir, 'nowhere', 'a.sqlite');
    const cases: Array<[string[], string]> = [
      [['ingest', CORPUS, '--db', dir], `beslutsarkiv: ${dir} is a folder, not a database file: pass the file, e.g. --db ${join(dir, 'beslutsarkiv.sqlite')}\n`],
      [['reprocess', '--db', dir], `beslutsarkiv: ${dir} is a folder, not a database file: pass the file, e.g. --db ${join(dir, 'beslutsarkiv.sqlite')}\n`],
      [['ingest', CORPUS, '--db', missingFolder], `beslutsarkiv: the folder of ${missingFolder} does not exist: create it (mkdir -p ${join(dir, 'nowhere')}) or pass another --db\n`],
      [['status', '--db', missingFolder], `beslutsarkiv: no database at ${missingFolder}: run "beslutsarkiv ingest <paths>" first, or pass --db\n`],
      [['ingest', CORPUS, '--db', text], `beslutsarkiv: ${text} is not a beslutsarkiv database (not an SQLite file): pass the right --db, or move that file away\n`],
      [['query', 'boards', '--db', text], `beslutsarkiv: ${text} is not a beslutsarkiv database (not an SQLite file): pass the right --db, or move that file away\n`],
      [['reprocess', '--db', join(dir, 'typo.sqlite')], `beslutsarkiv: no database at ${join(dir, 'typo.sqlite')}: run "beslutsarkiv ingest <paths>" first, or pass --db\n`],
    ];
    for (const [args, expected] of cases) {
      const r = run(args);
      expect(r.stderr, args.join(' ')).toBe(expected);
      expect(r.code, args.join(' ')).toBe(EXIT.error);
    }
    // reprocess with a mistyped path no longer creates an empty database (nor a lock file).
    expect(existsSync(join(dir, 'typo.sqlite'))).toBe(false);
    expect(existsSync(join(dir, 'typo.sqlite.lock'))).toBe(false);
    expect(existsSync(join(dir, 'nowhere'))).toBe(false);
    expect(readFileSync(text, 'utf8')).toBe('not a database\n');
  });
});

describe('an empty source is not success', () => {
  it('an empty, a missing, or a mostly emptied folder exits 3 and marks nothing; --allow-empty marks', () => {
    const copy = join(work, 'copy');
    cpSync(CORPUS, copy, { recursive: true });
    const d = join(work, 'empty.sqlite');
    expect(run(['ingest', copy, '--db', d]).code).toBe(EXIT.ok);
    const files = ['000_32a9fff0cf960181.txt', '001_91a3c1650f19c566.txt', '002_3e46df6f17c46d2f.txt', '003_5dc16642857d16cb.txt', '004_6306731b55b2ba86.txt'];
    // Two of five gone (40 %): not marked.
    unlinkSync(join(copy, files[0]!));
    unlinkSync(join(copy, files[1]!));
    let r = run(['ingest', copy, '--db', d]);
    expect(r.code).toBe(EXIT.emptySource);
    expect(r.stderr).toContain(`beslutsarkiv: ingest run 2 into ${d}: 3 files seen\n2 of 5 known files under ${copy} were not found (more than 20 %); not marked missing (use --allow-empty if they were removed on purpose)\n`);
    expect(missingCount(d)).toBe(0);
    // Emptied: the sentence of the issue.
    for (const f of files.slice(2)) unlinkSync(join(copy, f));
    r = run(['ingest', copy, '--db', d]);
    expect(r.code).toBe(EXIT.emptySource);
    expect(r.stderr).toContain(`archive folder ${copy} is empty; 5 known files not marked missing (use --allow-empty if they were removed on purpose)`);
    expect(r.stdout).toContain('Not marked missing:');
    expect(missingCount(d)).toBe(0);
    // Unmounted (the folder itself gone).
    rmSync(copy, { recursive: true });
    r = run(['ingest', copy, '--db', d, '--log-format', 'json']);
    expect(r.code).toBe(EXIT.emptySource);
    const events = jsonLines(r.stderr);
    expect(events.find((e) => e.event === 'not-marked-missing')).toMatchObject({ root: copy, reason: 'missing', known: 5, not_found: 5 });
    expect(events.at(-1)).toMatchObject({ event: 'exit', code: EXIT.emptySource });
    expect((events.at(-1)!.summary as string[]).join('\n')).toContain(`archive folder ${copy} is missing or not mounted; 5 known files not marked missing`);
    expect(missingCount(d)).toBe(0);
    // Removed on purpose.
    mkdirSync(copy);
    r = run(['ingest', copy, '--db', d, '--allow-empty']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toMatch(/missing +5/);
    expect(missingCount(d)).toBe(5);
  });
});

describe('JSON logs parse line by line in every failure case', () => {
  it('on stderr (no --log-file): usage, --db, lock, failed files; the last event says why', () => {
    const bad = join(work, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'empty.pdf'), '');
    const lock = acquireWriterLock(db);
    let locked;
    try {
      locked = run(['ingest', archive, '--db', db, '--log-format', 'json']);
    } finally {
      lock.release();
    }
    const cases: Array<[Array<Record<string, unknown>>, number, Record<string, unknown>]> = [
      [jsonLines(run(['ingest', archive, '--log-format', 'json', '--bogus']).stderr), EXIT.error, { event: 'fatal', message: expect.stringContaining("unknown option '--bogus'") }],
      [jsonLines(run(['ingest', archive, '--db', work, '--log-format', 'json']).stderr), EXIT.error, { event: 'fatal', message: expect.stringContaining('is a folder') }],
      [jsonLines(run(['reprocess', '--db', join(work, 'none.sqlite'), '--log-format', 'json']).stderr), EXIT.error, { event: 'fatal', message: expect.stringContaining('no database at') }],
      [jsonLines(locked!.stderr), EXIT.locked, { event: 'fatal', message: expect.stringContaining('locked by another beslutsarkiv writer') }],
      [jsonLines(run(['ingest', archive, bad, '--db', db, '--log-format', 'json']).stderr), EXIT.failures, { event: 'exit', summary: expect.arrayContaining([expect.stringContaining('[empty-file]')]) }],
    ];
    for (const [events, code, last] of cases) {
      expect(events.length).toBeGreaterThan(0);
      expect(events.at(-1)).toMatchObject({ ...last, code });
      for (const e of events) expect(typeof e.time).toBe('string');
    }
    expect(locked!.code).toBe(EXIT.locked);
  });

  it('to --log-file: every line JSON, and a short summary on stderr only when the exit code is not 0', () => {
    const log = join(work, 'log.jsonl');
    const bad = join(work, 'bad2');
    mkdirSync(bad);
    writeFileSync(join(bad, 'empty.pdf'), '');
    const ok = run(['ingest', archive, '--db', db, '--log-format', 'json', '--log-file', log]);
    expect(ok.code).toBe(EXIT.ok);
    expect(ok.stdout + ok.stderr).toBe('');
    const failed = run(['ingest', archive, bad, '--db', db, '--log-format', 'json', '--log-file', log]);
    expect(failed.code).toBe(EXIT.failures);
    expect(failed.stdout).toBe('');
    expect(failed.stderr).toBe(
      `beslutsarkiv: ingest run ${jsonLines(readFileSync(log, 'utf8')).filter((e) => e.event === 'run-start').at(-1)!.run} into ${db}: 1 of 6 files failed\n` +
        `  ${join(bad, 'empty.pdf')}: [empty-file] empty.pdf is empty (0 bytes)\nfull log: ${log}\n`,
    );
    const fatal = run(['ingest', archive, '--db', join(work, 'no', 'where.sqlite'), '--log-format', 'json', '--log-file', log]);
    expect(fatal.code).toBe(EXIT.error);
    expect(fatal.stderr).toMatch(/^beslutsarkiv: the folder of .*where\.sqlite does not exist/);
    const events = jsonLines(readFileSync(log, 'utf8'));
    expect(events.map((e) => e.event)).toEqual([
      'run-start', ...Array(5).fill('file'), 'run-end',
      'run-start', ...Array(6).fill('file'), 'run-end', 'exit',
      'fatal',
    ]);
    expect(events.at(-1)).toMatchObject({ event: 'fatal', code: EXIT.error, message: expect.stringContaining('does not exist') });
  });
});

describe('reprocess', () => {
  it('says what changed, per document and in total, in text and in JSON, with run-start and run-end', () => {
    const d = join(work, 'reprocess.sqlite');
    cpSync(db, d);
    // A value as an older extraction had it: reprocessing puts the current one back.
    const raw = new BetterSqlite3(d);
    const row = raw.prepare(`SELECT e.document_id AS id, e.year, d.file_name FROM extractions e JOIN documents d ON d.id = e.document_id WHERE e.year IS NOT NULL ORDER BY e.document_id LIMIT 1`).get() as { id: number; year: number; file_name: string };
    raw.prepare('UPDATE extractions SET year = 1999 WHERE document_id = ?').run(row.id);
    raw.close();
    const text = run(['reprocess', '--db', d, '--stage', 'extract']);
    expect(text.code, text.stderr).toBe(EXIT.ok);
    expect(text.stdout).toContain('1 document changed year');
    expect(text.stdout).toContain(`  ${row.file_name} (${row.id})\n    ~ year: 1999 → ${row.year}\n`);
    const json = run(['reprocess', '--db', d, '--stage', 'extract', '--log-format', 'json']);
    expect(json.stdout).toBe('');
    const events = jsonLines(json.stderr);
    expect(events[0]).toMatchObject({ event: 'run-start', command: 'reprocess', documents: 5 });
    expect(events.at(-1)).toMatchObject({ event: 'run-end', status: 'completed', counts: { reprocessed: 5 }, changes: {} });
    expect(events.filter((e) => e.event === 'reprocessed')).toHaveLength(5);
  });
});

describe('status', () => {
  it('answers the morning question, with local times and their zone', () => {
    const r = run(['status', '--db', db], { env: { TZ: 'Europe/Stockholm' } });
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toMatch(/^last run \d+ \(\w+\): completed, started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d CES?T, took [\d.]+ (s|min)/m);
    expect(r.stdout).toMatch(/^documents by outcome: 5 about taking part$/m);
    expect(r.stdout).toMatch(/^5 participation reports, \d+ distinct units$/m);
    const json = JSON.parse(run(['status', '--db', db, '--format', 'json']).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ documents_by_outcome: { 'about taking part': 5 }, participation_reports: 5 });
  });
});

describe('output conventions', () => {
  it('--nl, --tsv, --no-headers, search --limit and query sql -p name value', () => {
    const nl = run(['query', 'sql', 'SELECT file_name, format FROM documents ORDER BY file_name LIMIT 2', '--db', db, '--nl']);
    expect(nl.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { file_name: '000_32a9fff0cf960181.txt', format: 'txt' },
      { file_name: '001_91a3c1650f19c566.txt', format: 'txt' },
    ]);
    const tsv = run(['query', 'sql', 'SELECT file_name, format FROM documents WHERE format = :format ORDER BY file_name', '-p', 'format', 'md', '--db', db, '--tsv']);
    expect(tsv.stdout).toBe('file_name\tformat\n004_6306731b55b2ba86.txt\tmd\n');
    const bare = run(['query', 'sql', 'SELECT file_name FROM documents ORDER BY file_name LIMIT 1', '--db', db, '--tsv', '--no-headers']);
    expect(bare.stdout).toBe('000_32a9fff0cf960181.txt\n');
    const csv = run(['query', 'sql', 'SELECT file_name FROM documents ORDER BY file_name LIMIT 1', '--db', db, '--format', 'csv', '--no-headers']);
    expect(csv.stdout).toBe('000_32a9fff0cf960181.txt\n');
    // --limit is search's: a query that does not take it refuses it, in one line.
    expect(run(['query', 'boards', '--db', db, '--limit', '1']).stderr).toMatch(/^beslutsarkiv: query boards does not take --limit.*; see beslutsarkiv query --help\n$/);
    const search = run(['query', 'search', 'kvalitetsutmärkelse', '--db', db, '--nl', '--limit', '1']);
    expect(search.stdout.trim().split('\n')).toHaveLength(1);
  });
});

describe('npm pack and npm install -g', () => {
  const npm = spawnSync('npm', ['--version'], { encoding: 'utf8' });
  it.skipIf(npm.status !== 0)('gives a working beslutsarkiv on PATH outside the checkout (skips when npm is unavailable)', () => {
    const dir = tempDir();
    const prefix = join(dir, 'prefix');
    const out = execFileSync('npm', ['pack', ROOT, '--pack-destination', dir, '--silent'], { cwd: dir, encoding: 'utf8' }).trim().split('\n').at(-1)!;
    execFileSync('npm', ['install', '-g', join(dir, out), '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir, stdio: 'ignore', timeout: 900_000 });
    const env = { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH}` };
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    cpSync(CORPUS, join(elsewhere, 'in'), { recursive: true });
    const version = spawnSync('beslutsarkiv', ['--version'], { cwd: elsewhere, env, encoding: 'utf8' });
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
    const ingest = spawnSync('beslutsarkiv', ['ingest', 'in', '--db', 'x.sqlite'], { cwd: elsewhere, env, encoding: 'utf8' });
    expect(ingest.status, ingest.stderr).toBe(0);
    expect(ingest.stdout).toMatch(/ingested +5/);
    const query = spawnSync('beslutsarkiv', ['query', 'sql', 'SELECT count(*) AS n FROM documents', '--db', 'x.sqlite', '--nl'], { cwd: elsewhere, env, encoding: 'utf8' });
    expect(JSON.parse(query.stdout)).toEqual({ n: 5 });
  }, 1_200_000);
});
