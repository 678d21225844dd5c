import { copyFileSync, cpSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import PDFDocument from 'pdfkit';
import { ingest, readDocument, type IngestEvent, type RunSummary } from '../src/pipeline.js';
import { OcrPool } from '../src/ocr/worker-pool.js';
import { createOcrEngine } from '../src/ocr/engine.js';
import { Archive } from '../src/store/archive.js';
import { openDatabase } from '../src/store/database.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { DocumentError } from '../src/errors.js';
import { makeFixtures, tempDir, wordAccuracy } from './helpers.js';
import type { FixtureSet } from '../scripts/make-fixtures.js';

const CORPUS = resolve(__dirname, '../corpus');

let fx: FixtureSet;
let dir: string;
let db: string;
let first: RunSummary;
let firstEvents: IngestEvent[];

function pagesOf(dbPath: string, name: string) {
  const raw = new BetterSqlite3(dbPath, { readonly: true });
  try {
    return raw
      .prepare(
        `SELECT p.page, p.source, p.confidence, p.text FROM pages p
         JOIN files f ON f.document_id = p.document_id WHERE f.name = ? ORDER BY p.page`,
      )
      .all(name) as Array<{ page: number; source: string; confidence: number | null; text: string }>;
  } finally {
    raw.close();
  }
}

beforeAll(async () => {
  fx = await makeFixtures();
  dir = tempDir();
  // A private copy, so tests may touch and replace files.
  cpSync(fx.good, join(dir, 'mixed'), { recursive: true });
  db = join(dir, 'archive.sqlite');
  firstEvents = [];
  first = await ingest([CORPUS, join(dir, 'mixed')], { db, concurrency: 2, onEvent: (e) => firstEvents.push(e) });
});

describe('ingesting a mixed folder in one run', () => {
  it('accounts for every file: 12 documents, 1 duplicate, 8 failed, 1 skipped', () => {
    expect(first.status).toBe('completed');
    expect(first.counts).toEqual({ seen: 22, ingested: 12, changed: 0, unchanged: 0, reprocessed: 0, moved: 0, duplicate: 1, missing: 0, skipped: 1, failed: 8 });
    const fileEvents = firstEvents.filter((e) => e.event === 'file');
    expect(fileEvents).toHaveLength(22);
    expect(firstEvents[0]).toMatchObject({ event: 'run-start', files: 22 });
    expect(firstEvents.at(-1)).toMatchObject({ event: 'run-end', status: 'completed' });
  });

  it('names every bad file with a specific reason', () => {
    const byName = Object.fromEntries(first.failures.map((f) => [f.file, [f.kind, f.code]]));
    expect(byName).toEqual({
      'empty.pdf': ['failed', 'empty-file'],
      'truncated.pdf': ['failed', 'corrupt-pdf'],
      'encrypted.pdf': ['failed', 'encrypted-pdf'],
      'random-bytes.png': ['failed', 'unsupported-format'],
      'cut-off-scan.jpg': ['failed', 'corrupt-image'],
      'pixel-bomb.png': ['failed', 'too-many-pixels'],
      'binary.txt': ['failed', 'unsupported-format'],
      'only-whitespace.txt': ['failed', 'no-text'],
      'minutes.docx': ['skipped', 'unsupported-format'],
    });
    for (const f of first.failures) expect(f.reason).toContain(f.file);
    expect(first.failures.find((f) => f.file === 'random-bytes.png')!.reason).toMatch(/extension says \.png but the content is binary data/);
    expect(first.failures.find((f) => f.file === 'pixel-bomb.png')!.reason).toMatch(/100000×100000 pixels/);
    expect(first.failures.find((f) => f.file === 'cut-off-scan.jpg')!.reason).toMatch(/is truncated/);
  });

  it('records failures and skips in the database with the run', () => {
    const raw = new BetterSqlite3(db, { readonly: true });
    const rows = raw.prepare('SELECT name, kind, code FROM failures WHERE run_id = ? ORDER BY name').all(first.run);
    const run = raw.prepare('SELECT status, seen, failed, skipped FROM runs WHERE id = ?').get(first.run);
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    raw.close();
    expect(rows).toHaveLength(9);
    expect(run).toEqual({ status: 'completed', seen: 22, failed: 8, skipped: 1 });
  });

  it('uses the text layer where a page has one and OCRs the pages that have none', () => {
    expect(pagesOf(db, '2024-socialnamnden.pdf').map((p) => p.source)).toEqual(['text-layer', 'text-layer']);
    expect(pagesOf(db, '2017-scan.pdf').map((p) => p.source)).toEqual(['ocr', 'ocr', 'ocr']);
    expect(pagesOf(db, '2024-two-pages.tif').map((p) => p.source)).toEqual(['ocr', 'ocr']);
    const mixed = pagesOf(db, '2024-mixed.pdf');
    expect(mixed.map((p) => [p.source, p.confidence === null])).toEqual([
      ['text-layer', true],
      ['ocr', false],
    ]);
    expect(pagesOf(db, '000_32a9fff0cf960181.txt')[0]!.source).toBe('text');
  });

  it('stores OCR text that reads like its source, with å/ä/ö, and a confidence per page', () => {
    const png = pagesOf(db, '2012-page1.png')[0]!;
    expect(png.confidence).toBeGreaterThan(80);
    expect(wordAccuracy(png.text, fx.sources['2012-page1.png']!)).toBeGreaterThanOrEqual(0.97);
    for (const word of ['Förvaltningens', 'förslag', 'Socialnämnden', 'godkänner', 'stödboendet', 'Lönnen', 'kvalitetsutmärkelsen']) {
      expect(png.text).toContain(word);
    }
    const scan = pagesOf(db, '2017-scan.pdf').map((p) => p.text).join('\n');
    expect(wordAccuracy(scan, fx.sources['2017-scan.pdf']!)).toBeGreaterThanOrEqual(0.93);
    const tiff = pagesOf(db, '2024-two-pages.tif').map((p) => p.text).join('\n');
    expect(wordAccuracy(tiff, fx.sources['2024-two-pages.tif']!)).toBeGreaterThanOrEqual(0.93);
  });

  it('stores the same bytes under two names as one document with two paths', () => {
    const raw = new BetterSqlite3(db, { readonly: true });
    const rows = raw
      .prepare(`SELECT d.id, f.name FROM files f JOIN documents d ON d.id = f.document_id WHERE f.name LIKE '2012-socialnamnden%' ORDER BY f.name`)
      .all() as Array<{ id: number; name: string }>;
    raw.close();
    expect(rows.map((r) => r.name)).toEqual(['2012-socialnamnden-copy.pdf', '2012-socialnamnden.pdf']);
    expect(rows[0]!.id).toBe(rows[1]!.id);
  });

  it('keeps the Markdown source as raw text and the words as page text', () => {
    const raw = new BetterSqlite3(db, { readonly: true });
    const row = raw.prepare(`SELECT d.format, d.raw_text FROM documents d WHERE d.file_name = '004_6306731b55b2ba86.txt'`).get() as { format: string; raw_text: string };
    raw.close();
    expect(row.format).toBe('md');
    expect(row.raw_text).toContain('](mailto:');
    const text = pagesOf(db, '004_6306731b55b2ba86.txt')[0]!.text;
    expect(text).not.toContain('](');
    expect(text).toContain('- Relationsvårdscentrum Innerstaden -RVCi (sociala avdelningen)');
  });
});

describe('repaired text in the archive', () => {
  it('stores the repaired text beside the text as read, and every change as a message', () => {
    const raw = new BetterSqlite3(db, { readonly: true });
    const page = raw
      .prepare(`SELECT p.text, p.repaired_text FROM pages p JOIN documents d ON d.id = p.document_id WHERE d.file_name = '003_5dc16642857d16cb.txt'`)
      .get() as { text: string; repaired_text: string };
    const changes = raw
      .prepare(`SELECT m.rule, m.actual, m.expected, m.start, m."end" FROM messages m JOIN documents d ON d.id = m.document_id
                WHERE d.file_name = '003_5dc16642857d16cb.txt' AND m.stage = 'normalize' AND m.expected IS NOT NULL`)
      .all() as Array<{ rule: string; actual: string; expected: string; start: number; end: number }>;
    raw.close();
    expect(page.text).toContain('Socialndmnden godkénner');
    expect(page.repaired_text).toContain('Socialnämnden godkänner');
    expect(changes.length).toBeGreaterThan(100);
    for (const c of changes) expect(page.text.slice(c.start, c.end)).toBe(c.actual);
    expect(changes).toContainEqual(expect.objectContaining({ rule: 'ocr-confusion', actual: 'godkénner', expected: '["godkänner"]' }));
  });

  it('finds documents by words typed with or without å/ä/ö', async () => {
    const { searchText } = await import('../src/store/read.js');
    const database = openDatabase(db, { readonly: true });
    try {
      const plain = searchText(database, 'stadsovergripande');
      expect(plain.map((h) => h.file)).toEqual(['003_5dc16642857d16cb.txt']);
      expect(plain[0]!.snippet).toContain('[stadsövergripande]');
      expect(searchText(database, 'stadsövergripande')).toEqual(plain);
      const prefix = searchText(database, 'forvaltning*').map((h) => h.file);
      expect(new Set(prefix)).toEqual(new Set(['000_32a9fff0cf960181.txt', '001_91a3c1650f19c566.txt', '002_3e46df6f17c46d2f.txt', '003_5dc16642857d16cb.txt', '004_6306731b55b2ba86.txt', '2012-socialnamnden-copy.pdf', '2024-socialnamnden.pdf', '2012-page1.png', '2017-scan.pdf', '2024-two-pages.tif', '2024-mixed.pdf']));
      expect(searchText(database, 'AND OR "')).toEqual([]);
    } finally {
      database.close();
    }
  });
});

describe('re-ingesting', () => {
  it('finds an unchanged folder unchanged and does no OCR', async () => {
    const raw = new BetterSqlite3(db, { readonly: true });
    const cacheRows = () => (raw.prepare('SELECT count(*) AS n FROM ocr_cache').get() as { n: number }).n;
    const before = cacheRows();
    const events: IngestEvent[] = [];
    const again = await ingest([CORPUS, join(dir, 'mixed')], { db, concurrency: 2, onEvent: (e) => events.push(e) });
    expect(again.counts).toMatchObject({ seen: 22, ingested: 0, unchanged: 13, duplicate: 0, failed: 8, skipped: 1 });
    expect(events.filter((e) => e.event === 'file' && 'ocr_pages' in e)).toEqual([]);
    expect(cacheRows()).toBe(before);
    raw.close();
  });

  it('recognizes the same bytes with a new modification time by their sha256, without reading them again', async () => {
    const path = join(dir, 'mixed/2017-scan.pdf');
    utimesSync(path, new Date(), new Date(Date.now() + 60_000));
    const again = await ingest([path], { db, concurrency: 1 });
    expect(again.counts).toMatchObject({ seen: 1, unchanged: 1, ingested: 0 });
  });

  it('never OCRs a page twice: the cache answers for known file + page + engine', async () => {
    const database = openDatabase(db);
    // The engine the earlier ingest chose (auto: native tesseract where it is installed), so its cache answers.
    const pool = createOcrEngine('auto', { size: 1, timeoutMs: 60_000 });
    try {
      const doc = await readDocument(join(dir, 'mixed/2017-scan.pdf'), { pool, limits: DEFAULT_LIMITS, cache: new Archive(database).ocrCache() });
      expect(pool.recognized).toBe(0);
      expect(doc.pages.map((p) => p.source)).toEqual(['ocr', 'ocr', 'ocr']);
      expect(doc.messages.filter((m) => m.rule === 'ocr-cache').map((m) => m.page)).toEqual([1, 2, 3]);
      expect(doc.pages[0]!.text).toBe(pagesOf(db, '2017-scan.pdf')[0]!.text);
    } finally {
      await pool.close();
      database.close();
    }
  });

  it('loses nothing already stored when a stored file is replaced by a broken one', async () => {
    const path = join(dir, 'mixed/2024-socialnamnden.pdf');
    const before = pagesOf(db, '2024-socialnamnden.pdf');
    writeFileSync(path, readFileSync(join(fx.bad, 'truncated.pdf')));
    const again = await ingest([path], { db, concurrency: 1 });
    expect(again.failures).toMatchObject([{ file: '2024-socialnamnden.pdf', code: 'corrupt-pdf' }]);
    expect(pagesOf(db, '2024-socialnamnden.pdf')).toEqual(before);
  });
});

describe('limits on hostile files', () => {
  it('refuses a PDF with more pages than --max-pages before processing any page', async () => {
    const d = tempDir();
    const summary = await ingest([join(fx.good, '2017-scan.pdf')], { db: join(d, 'a.sqlite'), limits: { maxPages: 2 } });
    expect(summary.failures).toMatchObject([{ code: 'too-many-pages', reason: expect.stringContaining('has 3 pages, above the limit of 2') }]);
  });

  it('abandons a page whose OCR does not finish in time and shuts its worker down', async () => {
    const pool = new OcrPool({ size: 1, timeoutMs: 5 });
    try {
      const error = await readDocument(join(fx.good, '2012-page1.png'), { pool, limits: DEFAULT_LIMITS }).catch((e) => e);
      expect(error).toBeInstanceOf(DocumentError);
      expect(error.code).toBe('ocr-timeout');
      expect(pool.recognized).toBe(0);
    } finally {
      await pool.close();
    }
  });

  it('renders a page with an enormous MediaBox within the pixel limit instead of at 300 dpi', async () => {
    const d = tempDir();
    const path = join(d, 'poster.pdf');
    const pdf = new PDFDocument({ size: [14400, 14400], autoFirstPage: true });
    pdf.rect(100, 100, 200, 200).fill('#000');
    const chunks: Buffer[] = [];
    pdf.on('data', (c: Buffer) => chunks.push(c));
    await new Promise((r) => {
      pdf.on('end', r);
      pdf.end();
    });
    writeFileSync(path, Buffer.concat(chunks));
    const pool = new OcrPool({ size: 1, timeoutMs: 60_000 });
    try {
      const doc = await readDocument(path, { pool, limits: { ...DEFAULT_LIMITS, maxPixels: 4_000_000 } });
      // The only mark sits in the page's edge margin, so the page is also recognised as blank.
      const ocr = doc.messages.find((m) => m.rule === 'ocr-page' || m.rule === 'ocr-blank')!;
      // 14400 pt = 200 in; 4 megapixels allow 2000 × 2000, i.e. 10 dpi.
      expect(ocr.reason).toMatch(/render image 2000×2000 at 10 dpi/);
    } finally {
      await pool.close();
    }
  });

  it('reports an extension that lies but reads the file by its content', async () => {
    const d = tempDir();
    const path = join(d, 'really-a-pdf.png');
    copyFileSync(join(fx.good, '2012-socialnamnden.pdf'), path);
    const pool = new OcrPool({ size: 1, timeoutMs: 60_000 });
    try {
      const doc = await readDocument(path, { pool, limits: DEFAULT_LIMITS });
      expect(doc.format).toBe('pdf');
      expect(doc.messages).toContainEqual(expect.objectContaining({ rule: 'extension-mismatch', severity: 'warning' }));
      expect(doc.pages[0]!.text).toContain('Socialnämnden godkänner');
    } finally {
      await pool.close();
    }
  });
});
