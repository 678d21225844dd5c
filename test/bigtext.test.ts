/**
 * Big and deep texts (issue 16 §1): a 10 MB text goes through the whole pipeline and lands with its
 * record; Markdown parsed in pieces reads exactly as parsed whole; Markdown nested thousands deep
 * is read; a text above --max-text-bytes is skipped from its first bytes. Speed and memory are
 * measured by `npm run bench:bigtext`, not here.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { markdownPieces, markdownToText } from '../src/ingest/markdown.js';
import { refuseLargeText } from '../src/ingest/read-source.js';
import { ingest, type IngestEvent } from '../src/pipeline.js';
import { tempDir, words } from './helpers.js';

const ROOT = new URL('..', import.meta.url).pathname;
const DEEP_QUOTES = join(ROOT, 'test/fixtures/peer/files/deep-quotes.md');

/** The corpus reports and devset texts (three of them Markdown), blank lines between them. */
function reports(): string[] {
  return [
    ...readdirSync(join(ROOT, 'corpus')).filter((f) => f.endsWith('.txt')).map((f) => join(ROOT, 'corpus', f)),
    ...readdirSync(join(ROOT, 'test/devset/texts')).sort().map((f) => join(ROOT, 'test/devset/texts', f)),
  ].map((f) => readFileSync(f, 'utf8'));
}

/** The reports repeated to about `bytes` bytes, cut at a line end. */
function bigText(bytes: number): string {
  const unit = reports().map((t) => t.trim()).join('\n\n') + '\n\n';
  const text = Buffer.from(unit.repeat(Math.ceil(bytes / Buffer.byteLength(unit)))).subarray(0, bytes).toString('utf8');
  return text.slice(0, text.lastIndexOf('\n') + 1);
}

async function run(paths: string[], dir: string, limits?: Parameters<typeof ingest>[1]['limits']) {
  const events: IngestEvent[] = [];
  await ingest(paths, { db: join(dir, 'archive.sqlite'), concurrency: 1, onEvent: (e) => events.push(e), ...(limits ? { limits } : {}) });
  return events.filter((e) => e.event === 'file');
}

describe('Markdown in pieces', () => {
  it('reads every report, cut into pieces of any size, exactly as parsed whole', () => {
    const texts = reports();
    const markdown = texts.filter((t) => /^#{1,6} |\*\*/m.test(t));
    expect(markdown.length).toBeGreaterThanOrEqual(3);
    // All the reports as one Markdown file too: plain paragraphs, lists, headings and emphasis mixed.
    for (const text of [...texts, texts.join('\n\n')]) {
      const whole = markdownToText(text, { sectionChars: Infinity });
      for (const size of [1, 300, 4000]) expect(markdownToText(text, { sectionChars: size })).toBe(whole);
    }
  });

  it('takes paragraphs without markup unparsed and never cuts inside a fenced code block', () => {
    const md = ['Första stycket utan markering.', '', '```', 'kod', '', 'Inte ett stycke **här**', '```', '', 'Sista stycket.', ''].join('\n');
    const pieces = markdownPieces(md, 1);
    expect(pieces[0]).toEqual({ plain: ['Första stycket utan markering.'] });
    expect(pieces.some((p) => 'markdown' in p && p.markdown.includes('```\nkod\n\nInte ett stycke **här**\n```'))).toBe(true);
    expect(markdownToText(md, { sectionChars: 1 })).toBe(markdownToText(md, { sectionChars: Infinity }));
  });

  it('resolves a link reference defined in another piece', () => {
    const md = ['Se [webbplatsen][start] för mer.', '', 'Ett stycke emellan.', '', '[start]: http://start.stockholm', ''].join('\n');
    const text = markdownToText(md, { sectionChars: 1 });
    expect(text).toBe(markdownToText(md, { sectionChars: Infinity }));
    expect(text).toContain('Se webbplatsen för mer.');
  });
});

describe('deeply nested Markdown', () => {
  it('reads block quotes nested 10000 deep (the stack does not overflow)', () => {
    const md = readFileSync(DEEP_QUOTES, 'utf8');
    expect(md.startsWith('>'.repeat(1000))).toBe(true);
    const text = markdownToText(md);
    expect(words(text).length).toBeGreaterThan(20);
    expect(text).toContain('Socialförvaltningen');
    expect(text).not.toContain('>>');
  });

  it('ingests the peer fixture deep-quotes.md: ingested, not internal-error', async () => {
    const dir = tempDir();
    const files = await run([DEEP_QUOTES], dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({ status: 'ingested' });
  });
});

describe('a 10 MB text', () => {
  it('goes through the whole pipeline: ingested, with its record and units stored', { timeout: 900_000 }, async () => {
    const dir = tempDir();
    const path = join(dir, 'big.txt');
    const text = bigText(10_000_000);
    writeFileSync(path, text);
    const files = await run([path], dir, { fileTimeoutMs: 1_200_000 });
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({ status: 'ingested', format: 'md', pages: 1 });
    const db = new BetterSqlite3(join(dir, 'archive.sqlite'), { readonly: true });
    try {
      const page = db.prepare('SELECT length(text) AS chars FROM pages').get() as { chars: number };
      // Markup and link targets removed, every word kept: most of the 10 MB is there.
      expect(page.chars).toBeGreaterThan(8_000_000);
      const extraction = db.prepare('SELECT topic, year, board FROM extractions').get() as { topic: string; year: number; board: string };
      expect(extraction.topic).toBe('award_participation');
      expect(extraction.board).toBeTruthy();
      const units = db.prepare('SELECT name FROM units').pluck().all() as string[];
      expect(units.length).toBeGreaterThan(10);
      // The units of the first report are among them (the text starts with it).
      expect(units).toContain('Stödboendet Lönnen');
    } finally {
      db.close();
    }
  });
});

describe('a text above --max-text-bytes', () => {
  it('is refused from its first bytes, and skipped with the limit named', async () => {
    const dir = tempDir();
    const path = join(dir, 'large.txt');
    writeFileSync(path, bigText(3_000_000));
    await expect(refuseLargeText(path, 3_000_000, { maxTextBytes: 1024 * 1024 }, 'large.txt')).rejects.toThrow(/large\.txt: 2\.8 MiB of text, above the limit of 1 MiB \(--max-text-bytes\)/);
    await expect(refuseLargeText(path, 3_000_000, { maxTextBytes: 20 * 1024 * 1024 }, 'large.txt')).resolves.toBeUndefined();
    const files = await run([path], dir, { maxTextBytes: 1024 * 1024 });
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({ status: 'skipped', code: 'file-too-large' });
  });

  it('does not refuse a large PDF or image by its size as text', async () => {
    const dir = tempDir();
    const path = join(dir, 'scan.pdf');
    writeFileSync(path, Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(2_000_000, 0x20)]));
    await expect(refuseLargeText(path, 2_000_009, { maxTextBytes: 1024 * 1024 }, 'scan.pdf')).resolves.toBeUndefined();
  });
});
