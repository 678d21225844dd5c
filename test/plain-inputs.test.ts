import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { decodeText, TextTooLargeError } from '../src/ingest/decode-text.js';
import { findFiles } from '../src/ingest/walk.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { ingest, type IngestEvent } from '../src/pipeline.js';
import { tempDir } from './helpers.js';

const REPORT = [
  'Socialförvaltningen',
  'Tjänsteutlåtande',
  'Till Socialnämnden',
  '',
  'Anmälan om deltagande i Stockholms stads kvalitetsutmärkelse 2019',
  '',
  'Förvaltningens förslag till beslut',
  'Socialnämnden godkänner att Stödboendet Lönnen deltar i Stockholms stads kvalitetsutmärkelse 2019.',
  '',
].join('\n');

async function run(paths: string[], dir: string) {
  const events: IngestEvent[] = [];
  const summary = await ingest(paths, { db: join(dir, 'archive.sqlite'), concurrency: 1, onEvent: (e) => events.push(e) });
  const files = events.filter((e) => e.event === 'file');
  return { summary, files };
}

function storedPages(dir: string): Array<{ name: string; format: string; text: string }> {
  const raw = new BetterSqlite3(join(dir, 'archive.sqlite'), { readonly: true });
  try {
    return raw
      .prepare('SELECT f.name AS name, d.format AS format, p.text AS text FROM pages p JOIN documents d ON d.id = p.document_id JOIN files f ON f.document_id = d.id ORDER BY f.name, p.page')
      .all() as Array<{ name: string; format: string; text: string }>;
  } finally {
    raw.close();
  }
}

describe('a symbolic link loop in the archive', () => {
  it('is walked once, every file found once, and the run ends', async () => {
    const dir = tempDir();
    const archive = join(dir, 'archive');
    mkdirSync(join(archive, 'sub'), { recursive: true });
    writeFileSync(join(archive, 'a.txt'), REPORT);
    writeFileSync(join(archive, 'sub', 'b.txt'), REPORT.replace('2019', '2020'));
    symlinkSync('..', join(archive, 'sub', 'up'));
    symlinkSync('.', join(archive, 'sub', 'self'));
    symlinkSync(join(archive, 'sub'), join(archive, 'sub', 'again'));
    const found = await findFiles([archive]);
    expect(found.map((f) => f.path.slice(archive.length + 1))).toEqual(['a.txt', 'sub/b.txt']);
    const { summary } = await run([archive], dir);
    expect(summary.counts).toMatchObject({ seen: 2, ingested: 2, failed: 0, skipped: 0 });
  });

  it('a link that points to itself is reported, not followed', async () => {
    const dir = tempDir();
    symlinkSync('self.txt', join(dir, 'self.txt'));
    expect(await findFiles([dir])).toEqual([{ path: join(dir, 'self.txt'), error: 'a symbolic link that points to itself (a loop)', skipped: true, code: 'not-a-regular-file' }]);
  });
});

describe('a FIFO or socket named like a document', () => {
  it('is reported as not a regular file, never opened, and the run ends', async () => {
    const dir = tempDir();
    const archive = join(dir, 'archive');
    mkdirSync(archive);
    execFileSync('mkfifo', [join(archive, 'x.pdf')]);
    const server = createServer();
    await new Promise<void>((done) => server.listen(join(archive, 'y.txt'), done));
    try {
      writeFileSync(join(archive, 'z.txt'), REPORT);
      const found = await findFiles([archive]);
      expect(found).toEqual([
        { path: join(archive, 'x.pdf'), error: 'a FIFO (named pipe), not a regular file: skipped', skipped: true, code: 'not-a-regular-file' },
        { path: join(archive, 'y.txt'), error: 'a socket, not a regular file: skipped', skipped: true, code: 'not-a-regular-file' },
        { path: join(archive, 'z.txt') },
      ]);
      const { summary, files } = await run([archive], dir);
      // Every path has exactly one outcome; the FIFO is never opened (opening it would block the run).
      expect(files.map((f) => f.file).sort()).toEqual(['x.pdf', 'y.txt', 'z.txt']);
      expect(summary.counts.ingested).toBe(1);
      for (const name of ['x.pdf', 'y.txt']) {
        const f = summary.failures.find((x) => x.file === name)!;
        expect(f).toMatchObject({ kind: 'skipped', code: 'not-a-regular-file' });
        expect(f.reason).toMatch(new RegExp(`^${name.replace('.', '\\.')}: a (FIFO|socket).*not a regular file`));
      }
      expect(summary.counts).toMatchObject({ skipped: 2, failed: 0 });
    } finally {
      server.close();
    }
  });
});

describe('UTF-16 without a byte-order mark', () => {
  it('is detected from its NUL bytes and decoded, little- and big-endian', async () => {
    const dir = tempDir();
    const archive = join(dir, 'archive');
    mkdirSync(archive);
    writeFileSync(join(archive, 'le.txt'), Buffer.from(REPORT, 'utf16le'));
    writeFileSync(join(archive, 'be.txt'), Buffer.from(REPORT.replace('2019', '2018'), 'utf16le').swap16());
    const { summary } = await run([archive], dir);
    expect(summary.failures).toEqual([]);
    expect(summary.counts.ingested).toBe(2);
    const pages = storedPages(dir);
    expect(pages.map((p) => [p.name, p.format])).toEqual([['be.txt', 'txt'], ['le.txt', 'txt']]);
    expect(pages.find((p) => p.name === 'le.txt')!.text).toBe(REPORT);
    expect(pages.find((p) => p.name === 'be.txt')!.text).toBe(REPORT.replace('2019', '2018'));
  });
});

describe('a text that mentions %PDF- near its top', () => {
  it('is read as text: only a header at byte 0 (or behind junk, in a real PDF) makes a PDF', async () => {
    const dir = tempDir();
    const file = join(dir, 'om-format.txt');
    writeFileSync(file, `Arkivformat\nSkannade beslut sparas som PDF/A; filerna börjar med %PDF-1.7.\n${REPORT}`);
    const { summary } = await run([file], dir);
    expect(summary.failures).toEqual([]);
    expect(storedPages(dir)[0]).toMatchObject({ name: 'om-format.txt', format: 'txt' });
  });
});

describe('a file name that is not valid UTF-8', () => {
  it('is found, named with U+FFFD, and readable by its bytes', async () => {
    const dir = tempDir();
    // "beslut-år-2019.txt" written by an old Latin-1 system: å is the single byte 0xE5.
    const raw = Buffer.concat([Buffer.from(`${dir}/beslut-`), Buffer.from([0xe5]), Buffer.from('r-2019.txt')]);
    writeFileSync(raw, REPORT);
    const found = await findFiles([dir]);
    expect(found).toEqual([{ path: join(dir, 'beslut-\uFFFDr-2019.txt'), raw }]);
    expect(await readFile((found[0] as { raw: Buffer }).raw, 'utf8')).toBe(REPORT);
  });

  it('is ingested end to end, under its name with U+FFFD, and unchanged on the next run', async () => {
    const dir = tempDir();
    const archive = join(dir, 'archive');
    mkdirSync(archive);
    writeFileSync(Buffer.concat([Buffer.from(`${archive}/beslut-`), Buffer.from([0xe5]), Buffer.from('r-2019.txt')]), REPORT);
    const first = await run([archive], dir);
    expect(first.summary.failures).toEqual([]);
    expect(first.summary.counts.ingested).toBe(1);
    expect(storedPages(dir)).toEqual([{ name: 'beslut-\uFFFDr-2019.txt', format: 'txt', text: REPORT }]);
    const second = await run([archive], dir);
    expect(second.summary.counts).toMatchObject({ unchanged: 1, ingested: 0, missing: 0 });
  });
});

describe('--max-text-bytes', () => {
  it('refuses text above the limit before decoding it, naming the file and the limit', () => {
    const bytes = Buffer.from(REPORT.repeat(100));
    expect(() => decodeText(bytes, { maxBytes: 1000, name: 'big.txt' })).toThrow(TextTooLargeError);
    expect(() => decodeText(bytes, { maxBytes: 1000, name: 'big.txt' })).toThrow(/^big\.txt: \d+(\.\d)? KiB of text, above the limit of 1000 bytes \(--max-text-bytes\): not read$/);
    expect(decodeText(bytes, { maxBytes: bytes.length }).text).toBe(REPORT.repeat(100));
  });

  it('skips a text file above the limit given, naming the file and the limit', async () => {
    const dir = tempDir();
    const file = join(dir, 'export.txt');
    writeFileSync(file, REPORT.repeat(50));
    const summary = await ingest([file], { db: join(dir, 'archive.sqlite'), concurrency: 1, limits: { maxTextBytes: 10 * 1024 } });
    expect(summary.failures).toEqual([
      { path: file, file: 'export.txt', kind: 'skipped', code: 'file-too-large', reason: expect.stringMatching(/^export\.txt: \d+(\.\d)? KiB of text, above the limit of 10 KiB \(--max-text-bytes\): not read$/) },
    ]);
  });

  it('has a sensible default: a text file above 20 MiB gets a clear outcome naming the limit', async () => {
    expect(DEFAULT_LIMITS.maxTextBytes).toBe(20 * 2 ** 20);
    const dir = tempDir();
    const file = join(dir, 'export.txt');
    writeFileSync(file, Buffer.alloc(DEFAULT_LIMITS.maxTextBytes + 1, 'Socialnämnden godkänner. '));
    const { summary } = await run([file], dir);
    expect(summary.failures).toHaveLength(1);
    expect(summary.failures[0]).toMatchObject({ file: 'export.txt', kind: 'skipped', code: 'file-too-large' });
    expect(summary.failures[0]!.reason).toMatch(/^export\.txt: 20 MiB of text, above the limit of 20 MiB \(--max-text-bytes\)/);
    expect(readFileSync(file).length).toBe(DEFAULT_LIMITS.maxTextBytes + 1);
  });
});
