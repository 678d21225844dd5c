/**
 * Pages of PDFs without a text layer: a full-page scan is OCRed at its own pixels whatever page size
 * the PDF gives it (img2pdf sizes pages at a nominal 96 dpi when the JPEG carries no resolution),
 * its resolution is measured from its text, other pages are rendered (inline images, masks, vector
 * content) at whole pixels, /Rotate is applied, and a page that cannot be read costs that page only.
 *
 * The PDFs are written here with pdf-lib, as img2pdf and scanners write them; where img2pdf is
 * installed (Debian package img2pdf) the same scans are also wrapped by img2pdf itself.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import BetterSqlite3 from 'better-sqlite3';
import PDFDocument from 'pdfkit';
import { createCanvas, type Canvas } from '@napi-rs/canvas';
import { beforeAll, describe, expect, it } from 'vitest';
import { DocumentError } from '../src/errors.js';
import { readSource, type Source } from '../src/ingest/read-source.js';
import type { OcrImage } from '../src/ingest/image.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { OcrPool } from '../src/ocr/worker-pool.js';
import { prepareForOcr } from '../src/ocr/prepare-image.js';
import { estimateResolution } from '../src/ocr/resolution.js';
import { ingest, readDocument, sha256, type IngestEvent, type RunSummary } from '../src/pipeline.js';
import { jpegScanPdf, makeImagePdf, paginate, renderScan, toJpeg, toPng, toPng1Bit } from '../scripts/fixtures.js';
import { SEED_TEXT, tempDir, wordAccuracy } from './helpers.js';

const HAS_IMG2PDF = spawnSync('img2pdf', ['--version']).status === 0;
if (!HAS_IMG2PDF) console.warn('pdf-pages.test: img2pdf is not installed; its PDFs are tested as pdf-lib writes them only');

const TEXT = SEED_TEXT;
/** A page of a dozen lines, so that OCR stays quick. */
const LINES = paginate(TEXT, 12)[0]!;
/** The scan of the issue: a full-page JPEG of 1215×1701 pixels (A4 at 147 dpi, cut to that height). */
const SCAN = { width: 1215, height: 1701, dpi: 147 };

function greyOf(canvas: Canvas): Uint8Array {
  const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const g = new Uint8Array(canvas.width * canvas.height);
  for (let i = 0; i < g.length; i++) g[i] = (d[i * 4]! * 77 + d[i * 4 + 1]! * 150 + d[i * 4 + 2]! * 29) >> 8;
  return g;
}

/** The page as scanned, cut to the scan's size; turned upside down when asked. */
function scanCanvas(lines: string[], options: { width?: number; upsideDown?: boolean } = {}): Canvas {
  const page = renderScan(lines, { dpi: SCAN.dpi });
  const width = options.width ?? SCAN.width;
  const canvas = createCanvas(width, SCAN.height);
  const ctx = canvas.getContext('2d');
  if (options.upsideDown) {
    ctx.translate(width, SCAN.height);
    ctx.rotate(Math.PI);
  }
  ctx.drawImage(page, 0, 0);
  return canvas;
}

const JPEG = toJpeg(scanCanvas(LINES), 80);

/** img2pdf's PDF of a JPEG: at its default 96 dpi (the JPEG has no resolution), or at the given one. */
function img2pdf(dir: string, jpeg: Buffer, name: string, args: string[] = []): Buffer {
  const input = join(dir, `${name}.jpg`);
  const output = join(dir, `${name}.pdf`);
  writeFileSync(input, jpeg);
  const run = spawnSync('img2pdf', [...args, input, '-o', output]);
  if (run.status !== 0) throw new Error(`img2pdf failed: ${run.stderr}`);
  return readFileSync(output);
}

async function withSource<T>(bytes: Buffer, name: string, f: (source: Source) => Promise<T>): Promise<T> {
  const source = await readSource({ path: `/in/${name}`, name, size: bytes.length, mtimeMs: 0, bytes, sha256: sha256(bytes) }, DEFAULT_LIMITS);
  try {
    return await f(source);
  } finally {
    await source.close();
  }
}

const pageImage = (bytes: Buffer, page = 1) => withSource(bytes, 'x.pdf', (s) => s.pages[page - 1]!.loadImage!());

/** A JPEG whose data after its headers is destroyed: neither Skia nor pdf.js can decode it. */
function destroyed(jpeg: Buffer): Buffer {
  return Buffer.concat([jpeg.subarray(0, 700), Buffer.alloc(jpeg.length - 702, 0x42), Buffer.from([0xff, 0xd9])]);
}

describe('the resolution of a scan, measured from its text', () => {
  it('is found within the spread of body-text sizes at 100, 200 and 300 dpi, and not on a blank page', () => {
    for (const dpi of [100, 200, 300]) {
      const canvas = renderScan(LINES, { dpi });
      const estimate = estimateResolution(greyOf(canvas), canvas.width, canvas.height)!;
      // 11.5-pt DejaVu Serif has a large x-height: about 9 % above the body-text norm.
      expect(estimate.dpi / dpi).toBeGreaterThan(0.95);
      expect(estimate.dpi / dpi).toBeLessThan(1.25);
    }
    const blank = renderScan([], { dpi: 200, noise: 10, paper: 240 });
    expect(estimateResolution(greyOf(blank), blank.width, blank.height)).toBeNull();
  });
});

describe('a page that is one full-page scan', () => {
  const nominal = [72, 96, 300];

  it.each(nominal)('is taken at its own 1215×1701 pixels when the page size says %i dpi (pdf-lib)', async (dpi) => {
    const image = await pageImage(await jpegScanPdf(JPEG, SCAN.width, SCAN.height, dpi));
    expect(image).toMatchObject({ origin: 'embedded', width: 1215, height: 1701, dpi, nominalDpi: true, orientation: [1, 0, 0, 1] });
    expect(Buffer.compare(image.data!, JPEG)).toBe(0);
    // Prepared at its own pixels, with the resolution measured from the text (147 dpi, ±25 %).
    const prepared = await prepareForOcr(image);
    expect([prepared.width, prepared.height]).toEqual([1215, 1701]);
    expect(prepared.dpi).toBeGreaterThan(147 * 0.9);
    expect(prepared.dpi).toBeLessThan(147 * 1.25);
    expect(prepared.steps.join('; ')).toMatch(new RegExp(`measured from the text .* not the ${dpi} dpi its page size implies`));
  });

  it.runIf(HAS_IMG2PDF).each(nominal)('is taken at its own pixels when img2pdf sizes the page at %i dpi', async (dpi) => {
    const dir = tempDir();
    const pdf = img2pdf(dir, JPEG, `scan-${dpi}`, dpi === 96 ? [] : ['-s', `${dpi}dpix${dpi}dpi`]);
    const image = await pageImage(pdf);
    expect(image).toMatchObject({ origin: 'embedded', width: 1215, height: 1701, dpi, nominalDpi: true });
    expect(Buffer.compare(image.data!, JPEG)).toBe(0);
    expect((await prepareForOcr(image)).width).toBe(1215);
  });

  it('keeps the page size\'s resolution where it agrees with the text (a true 200-dpi scan)', async () => {
    const canvas = renderScan(LINES, { dpi: 200 });
    const image = await pageImage(await jpegScanPdf(toJpeg(canvas, 80), canvas.width, canvas.height, 200));
    const prepared = await prepareForOcr(image);
    expect(prepared.dpi).toBe(200);
    expect(prepared.steps).toEqual(['grey']);
  });

  it('is turned upright when the page has /Rotate 180 (pdf-lib and img2pdf)', async () => {
    const upsideDown = toJpeg(scanCanvas(LINES, { upsideDown: true }), 80);
    const pdfs = [await jpegScanPdf(upsideDown, SCAN.width, SCAN.height, 96, 180)];
    if (HAS_IMG2PDF) pdfs.push(img2pdf(tempDir(), upsideDown, 'turned', ['--rotation=180']));
    for (const pdf of pdfs) {
      const image = await pageImage(pdf);
      expect(image.orientation).toEqual([-1, 0, 0, -1]);
      const prepared = await prepareForOcr(image);
      expect(prepared.steps[0]).toBe('turned 180°');
      // Upright again: the same pixels as the upright scan, up to JPEG noise.
      const upright = await prepareForOcr({ ...(await pageImage(await jpegScanPdf(JPEG, SCAN.width, SCAN.height, 96))) });
      let diff = 0;
      for (let i = 0; i < upright.pgm.length; i += 97) diff += Math.abs(upright.pgm[i]! - prepared.pgm[i]!);
      expect(diff / (upright.pgm.length / 97)).toBeLessThan(4);
    }
  });

  it.each([
    [90, 'turned 90° clockwise'],
    [270, 'turned 90° counter-clockwise'],
  ])('is turned upright when stored on its side on a page with /Rotate %i', async (rotate, step) => {
    const upright = scanCanvas(['Rad ett med text här', 'Rad två']);
    // Stored turned the other way, so that /Rotate turns it back.
    const side = createCanvas(SCAN.height, SCAN.width);
    const ctx = side.getContext('2d');
    ctx.translate(rotate === 90 ? 0 : SCAN.height, rotate === 90 ? SCAN.width : 0);
    ctx.rotate(rotate === 90 ? -Math.PI / 2 : Math.PI / 2);
    ctx.drawImage(upright, 0, 0);
    const [w, h] = [(SCAN.height * 72) / 96, (SCAN.width * 72) / 96];
    const pdf = await makeImagePdf([{ width: w, height: h, rotate, content: `q ${w} 0 0 ${h} 0 0 cm /Im0 Do Q`, images: { Im0: { bytes: toJpeg(side, 90), width: SCAN.height, height: SCAN.width, filter: 'DCTDecode' } } }]);
    const prepared = await prepareForOcr({ ...(await pageImage(pdf)), nominalDpi: false, dpi: SCAN.dpi });
    expect([prepared.width, prepared.height, prepared.steps[0]]).toEqual([SCAN.width, SCAN.height, step]);
    const expected = greyOf(upright);
    const offset = prepared.pgm.length - expected.length;
    let diff = 0;
    for (let i = 0; i < expected.length; i += 97) diff += Math.abs(expected[i]! - prepared.pgm[offset + i]!);
    expect(diff / (expected.length / 97)).toBeLessThan(2);
  });

  it('is found through pdf.js where pdf-lib cannot read the page (a scan encrypted with an owner password only)', async () => {
    const [w, h] = [(SCAN.width * 72) / 96, (SCAN.height * 72) / 96];
    const doc = new PDFDocument({ size: [w, h], margin: 0, autoFirstPage: false, ownerPassword: 'arkiv', permissions: { printing: 'highResolution' }, pdfVersion: '1.7' });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    const done = new Promise((resolve) => doc.on('end', resolve));
    doc.addPage();
    doc.image(JPEG, 0, 0, { width: w, height: h });
    doc.end();
    await done;
    const image = await pageImage(Buffer.concat(chunks));
    // Decoded by pdf.js (the JPEG's bytes are encrypted), at its own pixels.
    expect(image).toMatchObject({ origin: 'embedded', width: 1215, height: 1701, dpi: 96, nominalDpi: true });
    expect(image.rgba).toHaveLength(1215 * 1701 * 4);
    const prepared = await prepareForOcr(image);
    expect([prepared.width, prepared.blank]).toEqual([1215, false]);
  });

  it('of 1-bit pixels whose width is not a multiple of 8 is decoded with its row padding', async () => {
    const width = 1213;
    const grey = greyOf(scanCanvas(LINES, { width }));
    const rowBytes = Math.ceil(width / 8);
    const bits = Buffer.alloc(rowBytes * SCAN.height);
    // DeviceGray 1 bit: 1 is white.
    for (let y = 0; y < SCAN.height; y++) for (let x = 0; x < width; x++) if (grey[y * width + x]! >= 128) bits[y * rowBytes + (x >> 3)]! |= 0x80 >> (x & 7);
    const w = (width * 72) / 200;
    const h = (SCAN.height * 72) / 200;
    const pdf = await makeImagePdf([
      {
        width: w,
        height: h,
        content: `q ${w} 0 0 ${h} 0 0 cm /Im0 Do Q`,
        images: { Im0: { bytes: deflateSync(bits), width, height: SCAN.height, filter: 'FlateDecode', colorSpace: 'DeviceGray', bitsPerComponent: 1 } },
      },
    ]);
    const pdfs = [pdf];
    // img2pdf stores a 1-bit PNG as Flate with the PNG predictor.
    if (HAS_IMG2PDF) {
      const dir = tempDir();
      writeFileSync(join(dir, 'bitonal.png'), toPng1Bit(grey, width, SCAN.height));
      expect(spawnSync('img2pdf', [join(dir, 'bitonal.png'), '-o', join(dir, 'bitonal.pdf')]).status).toBe(0);
      pdfs.push(readFileSync(join(dir, 'bitonal.pdf')));
    }
    for (const bytes of pdfs) {
      const image = await pageImage(bytes);
      expect(image).toMatchObject({ origin: 'embedded', width, height: SCAN.height });
      let wrong = 0;
      for (let p = 0; p < width * SCAN.height; p++) if ((image.rgba![p * 4]! === 255) !== (grey[p]! >= 128)) wrong++;
      expect(wrong).toBe(0);
    }
  });
});

describe('a page that is not one plain full-page scan is rendered', () => {
  it('renders an A4 page (2480.3 × 3507.9 pixels at 300 dpi) at whole pixels, without calling it corrupt', async () => {
    const pdf = await makeImagePdf([{ width: 595.28, height: 841.89, content: '0 g 100 700 300 12 re f 100 660 260 12 re f' }]);
    const image = await pageImage(pdf);
    expect(image).toMatchObject({ origin: 'render', width: 2480, height: 3508, dpi: 300, nominalDpi: false });
    expect(image.rgba!.length).toBe(2480 * 3508 * 4);
    expect((await prepareForOcr(image)).blank).toBe(false);
  });

  it('takes a decoded size one pixel off its header as rounding, and more as damage', async () => {
    const png = toPng(renderScan(['x'], { dpi: 30 }));
    const image: OcrImage = { data: png, width: 248 + 1, height: 351, dpi: 30, origin: 'embedded' };
    await expect(prepareForOcr(image)).resolves.toMatchObject({ width: 248, height: 351 });
    await expect(prepareForOcr({ ...image, width: 251 })).rejects.toSatisfy((e) => e instanceof DocumentError && e.code === 'corrupt-image' && /decodes to 248×351/.test(e.message));
  });

  it('reads a page whose only content is an inline image instead of waiting for it forever', { timeout: 30_000 }, async () => {
    const dir = tempDir();
    const path = join(dir, 'inline.pdf');
    // An 8×8 grey inline image in the page's corner: a logo, not a scan.
    const pixels = Buffer.alloc(64, 0x50).toString('latin1');
    writeFileSync(path, await makeImagePdf([{ width: 595.28, height: 841.89, content: `q 12 0 0 12 4 4 cm BI /W 8 /H 8 /CS /G /BPC 8 ID ${pixels} EI Q` }]));
    const pool = new OcrPool({ size: 1, timeoutMs: 60_000 });
    try {
      const doc = await readDocument(path, { pool, limits: DEFAULT_LIMITS });
      expect(doc.pages).toHaveLength(1);
      expect(doc.messages.find((m) => m.rule === 'ocr-blank')!.reason).toMatch(/render image 2480×3508 at 300 dpi/);
    } finally {
      await pool.close();
    }
  });

  it('renders a mixed-raster page (a text mask over a background image) at the mask\'s resolution', async () => {
    // Background: the page at 40 dpi, colour; foreground: a 1-bit mask of the text at 150 dpi.
    const background = toJpeg(renderScan([], { dpi: 40, paper: 230 }), 70);
    const text = renderScan(LINES, { dpi: 150 });
    const grey = greyOf(text);
    const rowBytes = Math.ceil(text.width / 8);
    const mask = Buffer.alloc(rowBytes * text.height);
    // A stencil mask paints where a bit is 0 (the text), leaves the rest.
    mask.fill(0xff);
    for (let y = 0; y < text.height; y++) for (let x = 0; x < text.width; x++) if (grey[y * text.width + x]! < 128) mask[y * rowBytes + (x >> 3)]! &= ~(0x80 >> (x & 7));
    const [w, h] = [595.28, 841.89];
    const pdf = await makeImagePdf([
      {
        width: w,
        height: h,
        content: `q ${w} 0 0 ${h} 0 0 cm /Bg Do Q q 0 g ${w} 0 0 ${h} 0 0 cm /Fg Do Q`,
        images: {
          Bg: { bytes: background, width: Math.round(w * (40 / 72)), height: Math.round(h * (40 / 72)), filter: 'DCTDecode' },
          Fg: { bytes: deflateSync(mask), width: text.width, height: text.height, filter: 'FlateDecode', imageMask: true },
        },
      },
    ]);
    const image = await pageImage(pdf);
    expect(image).toMatchObject({ origin: 'render', width: text.width, height: text.height, dpi: 150 });
    // The text is there (the background alone would be blank).
    expect((await prepareForOcr(image)).blank).toBe(false);
  });
});

describe('a page that cannot be read', () => {
  it('fails a document that has no other page, naming the file and the page', async () => {
    const dir = tempDir();
    const path = join(dir, 'only-page-broken.pdf');
    writeFileSync(path, await jpegScanPdf(destroyed(JPEG), SCAN.width, SCAN.height, 96));
    const pool = new OcrPool({ size: 1, timeoutMs: 60_000 });
    try {
      const error = await readDocument(path, { pool, limits: DEFAULT_LIMITS }).catch((e) => e);
      expect(error).toBeInstanceOf(DocumentError);
      expect(error.code).toBe('corrupt-image');
      expect(error.message).toMatch(/^only-page-broken\.pdf page 1: /);
      expect(error.message).not.toMatch(/^TypeError|index/);
    } finally {
      await pool.close();
    }
  });
});

describe('ingesting scans (real OCR)', () => {
  let dir: string;
  let summary: RunSummary;
  let events: IngestEvent[];
  let sources: Record<string, string>;

  const pages = (name: string) => {
    const raw = new BetterSqlite3(join(dir, 'a.sqlite'), { readonly: true });
    try {
      return raw
        .prepare(`SELECT p.page, p.source, p.text FROM pages p JOIN files f ON f.document_id = p.document_id WHERE f.name = ? ORDER BY p.page`)
        .all(name) as Array<{ page: number; source: string; text: string }>;
    } finally {
      raw.close();
    }
  };
  const messages = (name: string, rule: string) => {
    const raw = new BetterSqlite3(join(dir, 'a.sqlite'), { readonly: true });
    try {
      return raw
        .prepare(`SELECT m.page, m.severity, m.reason FROM messages m JOIN files f ON f.document_id = m.document_id WHERE f.name = ? AND m.rule = ? ORDER BY m.page`)
        .all(name, rule) as Array<{ page: number; severity: string; reason: string }>;
    } finally {
      raw.close();
    }
  };

  beforeAll(async () => {
    dir = tempDir();
    const input = join(dir, 'in');
    mkdirSync(input);
    sources = {};
    const put = (name: string, bytes: Buffer, text: string) => {
      writeFileSync(join(input, name), bytes);
      sources[name] = text;
    };
    const scanText = LINES.join('\n');
    put('nominal-72.pdf', await jpegScanPdf(JPEG, SCAN.width, SCAN.height, 72), scanText);
    put('nominal-300.pdf', await jpegScanPdf(JPEG, SCAN.width, SCAN.height, 300), scanText);
    // The file: img2pdf at its default 96 dpi (written the same way with pdf-lib without img2pdf).
    put('img2pdf-96.pdf', HAS_IMG2PDF ? img2pdf(dir, JPEG, 'img2pdf-96') : await jpegScanPdf(JPEG, SCAN.width, SCAN.height, 96), scanText);
    put('upside-down.pdf', await jpegScanPdf(toJpeg(scanCanvas(LINES, { upsideDown: true }), 80), SCAN.width, SCAN.height, 96, 180), scanText);
    // Three short pages; the second's JPEG is destroyed.
    const short = [['Sida 1 av 3.', 'Socialnämnden godkänner förslaget.'], ['Sida 2 av 3.'], ['Sida 3 av 3.', 'Förvaltningens förslag till beslut.']];
    const w = (SCAN.width * 72) / 96;
    const h = (SCAN.height * 72) / 96;
    const specs = short.map((lines, i) => {
      const jpeg = toJpeg(scanCanvas(lines), 80);
      return { width: w, height: h, content: `q ${w} 0 0 ${h} 0 0 cm /Im0 Do Q`, images: { Im0: { bytes: i === 1 ? destroyed(jpeg) : jpeg, width: SCAN.width, height: SCAN.height, filter: 'DCTDecode' as const } } };
    });
    put('page-2-broken.pdf', await makeImagePdf(specs), '');
    events = [];
    summary = await ingest([input], { db: join(dir, 'a.sqlite'), concurrency: 2, onEvent: (e) => events.push(e) });
  });

  it('stores every file, the one with a broken page too', () => {
    expect(summary.counts).toMatchObject({ seen: 5, ingested: 5, failed: 0 });
    expect(summary.failures).toEqual([]);
  });

  it.each(['nominal-72.pdf', 'nominal-300.pdf', 'img2pdf-96.pdf', 'upside-down.pdf'])('OCRs %s at its own pixels, upright, with good word accuracy', (name) => {
    const [page] = pages(name);
    expect(page!.source).toBe('ocr');
    const accuracy = wordAccuracy(page!.text, sources[name]!);
    console.log(`pdf-pages.test: word accuracy ${name}: ${accuracy.toFixed(3)}`);
    expect(accuracy).toBeGreaterThanOrEqual(0.95);
    const [ocr] = messages(name, 'ocr-page');
    expect(ocr!.reason).toMatch(/from embedded image 1215×1701 at \d+ dpi \(by its page size\)/);
    expect(ocr!.reason).not.toMatch(/scaled/);
    if (name === 'upside-down.pdf') expect(ocr!.reason).toMatch(/turned 180°/);
  });

  it('keeps the other pages of a PDF with one undecodable page, and records and counts that page', () => {
    const stored = pages('page-2-broken.pdf');
    expect(stored.map((p) => p.page)).toEqual([1, 2, 3]);
    expect(stored[0]!.text).toContain('Socialnämnden godkänner förslaget');
    expect(stored[1]!.text).toBe('');
    expect(stored[2]!.text).toContain('Förvaltningens förslag till beslut');
    const [failure] = messages('page-2-broken.pdf', 'page-failed');
    expect(failure).toMatchObject({ page: 2, severity: 'error' });
    expect(failure!.reason).toMatch(/^page-2-broken\.pdf page 2: the embedded JPEG cannot be decoded \(Skia: .*\), and pdf\.js/);
    expect(summary.pageFailures).toEqual([expect.objectContaining({ file: 'page-2-broken.pdf', page: 2, code: 'corrupt-image', reason: failure!.reason })]);
    expect(events.find((e) => e.event === 'file' && e.file === 'page-2-broken.pdf')).toMatchObject({ status: 'ingested', pages: 3, page_failures: 1 });
    expect(events.at(-1)).toMatchObject({ event: 'run-end', page_failures: [expect.objectContaining({ page: 2 })] });
  });
});
