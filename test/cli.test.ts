import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { acquireWriterLock } from '../src/store/lock.js';
import { EXIT } from '../src/errors.js';
import { makeFixtures, tempDir, wordAccuracy } from './helpers.js';
import type { FixtureSet } from '../scripts/make-fixtures.js';

const ROOT = resolve(__dirname, '..');
const BIN = join(ROOT, 'src/cli/bin.js');

function cli(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let fx: FixtureSet;
beforeAll(async () => {
  fx = await makeFixtures();
});

describe('beslutsarkiv ingest', () => {
  it('exits 0 and prints a summary when every file is read', () => {
    const db = join(tempDir(), 'a.sqlite');
    const r = cli(['ingest', 'corpus', '--db', db]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toMatch(/files seen +5\n +ingested +5\n +changed +0.*\n +unchanged +0/);
    expect(r.stdout).toMatch(/failed +0/);
    const again = cli(['ingest', 'corpus', '--db', db]);
    expect(again.stdout).toMatch(/ingested +0\n +changed +0.*\n +unchanged +5/);
  });

  it('exits 1 when a file failed, naming each bad file and its reason, and stores the rest', () => {
    const db = join(tempDir(), 'a.sqlite');
    const r = cli(['ingest', 'corpus', fx.bad, '--db', db]);
    expect(r.code).toBe(EXIT.failures);
    expect(r.stdout).toMatch(/ingested +5/);
    expect(r.stdout).toMatch(/failed +8/);
    expect(r.stdout).toContain('broken/encrypted.pdf\n    [encrypted-pdf] encrypted.pdf is encrypted and needs a password');
    expect(r.stdout).toContain('[empty-file] empty.pdf is empty (0 bytes)');
    expect(r.stdout).toMatch(/Skipped:\n .*minutes\.docx/);
    const status = cli(['status', '--db', db]);
    expect(status.stdout).toMatch(/5 documents/);
    expect(status.stdout).toMatch(/failed .*broken\/truncated\.pdf\n +\[corrupt-pdf\]/);
  });

  it('writes one JSON object per event on stderr with --log-format json', () => {
    const db = join(tempDir(), 'a.sqlite');
    const r = cli(['ingest', 'corpus', join(fx.bad, 'empty.pdf'), '--db', db, '--log-format', 'json']);
    expect(r.code).toBe(EXIT.failures);
    expect(r.stdout).toBe('');
    const events = r.stderr.trim().split('\n').map((l) => JSON.parse(l));
    // The last event says why the exit code is not 0 (what cron would mail), as JSON too.
    expect(events.map((e) => e.event)).toEqual(['run-start', 'file', 'file', 'file', 'file', 'file', 'file', 'run-end', 'exit']);
    expect(events.at(-1)).toMatchObject({ code: EXIT.failures, summary: [expect.stringContaining('1 of 6 files failed'), expect.stringContaining('empty.pdf')] });
    expect(events.find((e) => e.status === 'failed')).toMatchObject({ file: 'empty.pdf', code: 'empty-file' });
    expect(events.at(-2).counts).toMatchObject({ seen: 6, ingested: 5, failed: 1 });
  });

  it('refuses a second writer with exit code 75 and a clear message', () => {
    const db = join(tempDir(), 'a.sqlite');
    const lock = acquireWriterLock(db);
    try {
      const r = cli(['ingest', 'corpus', '--db', db]);
      expect(r.code).toBe(EXIT.locked);
      expect(r.stderr).toMatch(/database is locked by another beslutsarkiv writer \(pid \d+/);
    } finally {
      lock.release();
    }
  });

  it('rejects wrong usage with exit code 2', () => {
    expect(cli(['ingest']).code).toBe(EXIT.error);
    expect(cli(['ingest', 'corpus', '--concurrency', 'zero']).code).toBe(EXIT.error);
    expect(cli(['frobnicate']).code).toBe(EXIT.error);
    expect(cli(['--help']).code).toBe(EXIT.ok);
  });
});

describe('beslutsarkiv export and status', () => {
  it('exports one record per document with its source', () => {
    const db = join(tempDir(), 'a.sqlite');
    cli(['ingest', 'corpus', join(fx.good, '2024-mixed.pdf'), '--db', db]);
    const r = cli(['export', '--db', db, '--format', 'json']);
    expect(r.code).toBe(0);
    const records = JSON.parse(r.stdout);
    expect(records).toHaveLength(6);
    const mixed = records.find((x: { source: { file: string } }) => x.source.file === '2024-mixed.pdf');
    expect(mixed.source).toMatchObject({ format: 'pdf', pages: 2, ocr: true, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const md = records.find((x: { source: { file: string } }) => x.source.file === '004_6306731b55b2ba86.txt');
    expect(md.source).toMatchObject({ format: 'md', pages: 1, ocr: false });
    const status = cli(['status', '--db', db, '--format', 'json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ documents: 6, ocr_pages: 1, last_run: { status: 'completed', ingested: 6 } });
  });

  it('says how to create the database when it is missing', () => {
    const r = cli(['export', '--db', join(tempDir(), 'none.sqlite')]);
    expect(r.code).toBe(EXIT.error);
    expect(r.stderr).toMatch(/no database at .*none\.sqlite: run "beslutsarkiv ingest <paths>" first/);
  });
});

describe('beslutsarkiv normalize', () => {
  it('prints OCR text of a PNG scan with Swedish letters right', () => {
    const r = cli(['normalize', join(fx.good, '2012-page1.png'), '--db', join(tempDir(), 'none.sqlite')]);
    expect(r.code).toBe(0);
    expect(wordAccuracy(r.stdout, fx.sources['2012-page1.png']!)).toBeGreaterThanOrEqual(0.97);
    expect(r.stdout).toContain('Socialnämnden godkänner att Socialjouren');
  });

  it('prints OCR text of a scanned PDF, pages separated by form feeds, and nothing else on stdout', () => {
    const r = cli(['normalize', join(fx.good, '2017-scan.pdf'), '--db', join(tempDir(), 'none.sqlite')]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\f')).toHaveLength(3);
    expect(wordAccuracy(r.stdout, fx.sources['2017-scan.pdf']!)).toBeGreaterThanOrEqual(0.93);
    expect(r.stdout).toContain('Förstärkningsteamet');
    expect(r.stdout).not.toMatch(/Estimating resolution|Warning/);
  });

  it('prints a text file as read with --raw and fails clearly on a broken one', () => {
    const seed = 'corpus/000_32a9fff0cf960181.txt';
    expect(cli(['normalize', seed, '--raw']).stdout.trimEnd()).toBe(readFileSync(join(ROOT, seed), 'utf8').trimEnd());
    const bad = cli(['normalize', join(fx.bad, 'encrypted.pdf')]);
    expect(bad.code).toBe(EXIT.failures);
    expect(bad.stderr).toMatch(/encrypted\.pdf is encrypted and needs a password/);
  });

  it('prints the repaired text of the damaged 2023 scan, as its gold reading has it', () => {
    const r = cli(['normalize', 'corpus/003_5dc16642857d16cb.txt']);
    const gold = readFileSync(join(ROOT, 'test/gold/003_5dc16642857d16cb.clean.txt'), 'utf8');
    expect(r.code).toBe(0);
    expect(wordAccuracy(r.stdout, gold)).toBeGreaterThanOrEqual(0.99);
    expect(r.stdout).toContain('kvalitetsutmarkelsen@stockholm.se');
    // Same lines as the scan (hyphenation joins keep the line breaks).
    const raw = readFileSync(join(ROOT, 'corpus/003_5dc16642857d16cb.txt'), 'utf8');
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(raw.trimEnd().split('\n').length);
  });

  it('lists every change with its rule and place with --explain', () => {
    const r = cli(['normalize', 'corpus/003_5dc16642857d16cb.txt', '--explain']);
    const lines = r.stdout.trim().split('\n');
    const count = Number(lines.at(-1)!.match(/^(\d+) changes$/)![1]);
    expect(count).toBeGreaterThan(100);
    expect(lines).toHaveLength(count + 2);
    expect(r.stdout).toMatch(/^p1 4:15\tocr-confusion\t"godkénner" → "godkänner"\t\(\d\.\d\d\)\t/m);
    expect(r.stdout).toMatch(/\tdigit-as-letter\t"1" → "i"/);
    expect(r.stdout).toMatch(/\tcontext\t"ar" → "är"/);
  });
});

describe('--log-format json keeps stderr JSON', () => {
  it('wraps lines printed by OCR worker threads (leptonica diagnostics) as stderr events', () => {
    // A real worker thread printing to console.error, as tesseract.js's workers do, while a
    // reporter in JSON mode writes its events: every line that reaches stderr must parse.
    const script = `
      import { Worker } from 'node:worker_threads';
      import { createReporter, openJsonLog } from './src/cli/report.ts';
      const log = openJsonLog(undefined, process.stderr);
      const reporter = createReporter({ log, text: false, stderr: process.stderr });
      reporter.onEvent({ event: 'run-start', run: 1, db: 'x', files: 1 });
      const worker = new Worker("console.error('Error in boxClipToRectangle: box outside rectangle'); console.error('Error in pixScanForForeground: invalid box')", { eval: true });
      await new Promise((r) => worker.on('exit', r));
      await new Promise((r) => setTimeout(r, 50));
      reporter.onEvent({ event: 'run-end', run: 1, status: 'completed', counts: {}, failures: [], ms: 1 });
      reporter.done();
      log.close();
      process.stderr.write('after the run: not wrapped\\n');
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines.at(-1)).toBe('after the run: not wrapped');
    const events = lines.slice(0, -1).map((l) => JSON.parse(l) as { event: string; text?: string });
    expect(events.map((e) => e.event)).toEqual(['run-start', 'stderr', 'stderr', 'run-end']);
    expect(events[1]!.text).toBe('Error in boxClipToRectangle: box outside rectangle');
  });
});
