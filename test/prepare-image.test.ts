/**
 * Page images before OCR: the JPEG of a scanned PDF taken byte for byte, images decoded once,
 * scaled to the OCR resolution and made grey, blank pages recognised, and OCR of the prepared
 * image as accurate as before. All images are rendered, not mocked.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createCanvas } from '@napi-rs/canvas';
import { indexPdfImages } from '../src/ingest/pdf-images.js';
import { readSource } from '../src/ingest/read-source.js';
import type { OcrImage } from '../src/ingest/image.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { isBlank, OCR_DPI, prepareForOcr } from '../src/ocr/prepare-image.js';
import { blocksFromTsv, OcrPool } from '../src/ocr/worker-pool.js';
import { locateTrainedData } from '../src/ocr/trained-data.js';
import { DocumentError } from '../src/errors.js';
import { sha256 } from '../src/pipeline.js';
import { DEGRADED_SCAN, makeScannedPdf, makeTextPdf, paginate, renderScan, toJpeg, toPng } from '../scripts/fixtures.js';
import { wordAccuracy } from './helpers.js';

const CORPUS_TEXT = readFileSync(new URL('../corpus/001_91a3c1650f19c566.txt', import.meta.url), 'utf8');
const LINES = paginate(CORPUS_TEXT.split('\n').map((l) => l.trim()).filter(Boolean).join('\n'), 22)[0]!;

function jpegImage(lines: string[], dpi: number, seed = 1): OcrImage {
  const canvas = renderScan(lines, { ...DEGRADED_SCAN, dpi, seed });
  return { data: toJpeg(canvas, 80), width: canvas.width, height: canvas.height, dpi, origin: 'file' };
}

function pgmHeader(pgm: Buffer): string {
  return pgm.subarray(0, 20).toString('latin1').split('\n').slice(0, 3).join(' ');
}

describe('the JPEG of a scanned PDF page', () => {
  it('is taken from the PDF byte for byte, with its size', async () => {
    const image = jpegImage(LINES, 300);
    const pdf = await makeScannedPdf([image.data!, toJpeg(renderScan(['Sida 2'], { dpi: 200 }), 70)]);
    const index = await indexPdfImages(pdf);
    const [jpeg] = index.jpegs(1);
    expect(jpeg!.width).toBe(image.width);
    expect(jpeg!.height).toBe(image.height);
    expect(Buffer.compare(jpeg!.bytes, image.data!)).toBe(0);
    expect(index.jpegs(2)[0]!.width).toBe(Math.round(595.28 * (200 / 72)));
    expect(index.jpegs(3)).toEqual([]);
  });

  it('is what the ingest stage hands to OCR, at the resolution it was scanned at', async () => {
    const image = jpegImage(LINES, 300);
    const bytes = await makeScannedPdf([image.data!]);
    const source = await readSource({ path: '/x/scan.pdf', name: 'scan.pdf', size: bytes.length, mtimeMs: 0, bytes, sha256: sha256(bytes) }, DEFAULT_LIMITS);
    try {
      const page = await source.pages[0]!.loadImage!();
      expect(page.origin).toBe('embedded');
      expect(page.dpi).toBe(300);
      expect(Buffer.compare(page.data!, image.data!)).toBe(0);
    } finally {
      await source.close();
    }
  });

  it('is not looked for in text PDFs or encrypted ones (their streams are ciphertext)', async () => {
    expect((await indexPdfImages(await makeTextPdf('Ingen bild här.'))).jpegs(1)).toEqual([]);
    expect((await indexPdfImages(await makeTextPdf('Hemligt.', { userPassword: 'x' }))).jpegs(1)).toEqual([]);
    expect((await indexPdfImages(Buffer.from('%PDF-1.4 not really'))).jpegs(1)).toEqual([]);
  });
});

describe('preparing a page image', () => {
  it(`scales a 300-dpi scan to ${OCR_DPI} dpi grey, and leaves a ${OCR_DPI}-dpi or poorer scan at its size`, async () => {
    const p300 = await prepareForOcr(jpegImage(LINES, 300));
    expect(p300.dpi).toBe(OCR_DPI);
    expect(p300.width).toBe(Math.round(2480 * (OCR_DPI / 300)));
    expect(pgmHeader(p300.pgm)).toBe(`P5 ${p300.width} ${p300.height} 255`);
    expect(p300.pgm.length).toBe(`P5\n${p300.width} ${p300.height}\n255\n`.length + p300.width * p300.height);
    expect(p300.steps[0]).toMatch(/^scaled 2480×3508 at 300 dpi to 1653×2339 at 200 dpi$/);
    for (const dpi of [200, 150]) {
      const image = jpegImage(LINES, dpi);
      const p = await prepareForOcr(image);
      expect([p.width, p.height, p.dpi, p.scale]).toEqual([image.width, image.height, dpi, 1]);
      expect(p.steps).toEqual(['grey']);
    }
  });

  it('reads decoded TIFF pixels (RGBA) the same way', async () => {
    const canvas = renderScan(LINES, { ...DEGRADED_SCAN, dpi: 200 });
    const rgba = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const p = await prepareForOcr({ rgba: new Uint8Array(rgba), width: canvas.width, height: canvas.height, dpi: 200, origin: 'tiff-page' });
    expect(p.blank).toBe(false);
    // A pixel of paper and the grey value the conversion gives it.
    const headerLength = p.pgm.length - p.width * p.height;
    expect(p.pgm[headerLength]!).toBe(rgba[0]!);
  });

  it('reports an image whose bytes do not decode as a corrupt image', async () => {
    const good = jpegImage(['x'], 100);
    const broken = Buffer.concat([good.data!.subarray(0, 200), Buffer.alloc(500, 0x42)]);
    await expect(prepareForOcr({ ...good, data: broken })).rejects.toSatisfy((e) => e instanceof DocumentError && e.code === 'corrupt-image');
  });

  it('makes OCR as accurate as before on a 300-dpi scan, with å/ä/ö', async () => {
    const pool = new OcrPool({ size: 1, timeoutMs: 120_000 });
    try {
      const prepared = await prepareForOcr(jpegImage(LINES, 300, 5));
      const result = await pool.recognize(prepared);
      expect(wordAccuracy(result.text, LINES.join('\n'))).toBeGreaterThanOrEqual(0.97);
      expect(result.text).toMatch(/[åäö]/);
      // Blocks, with boxes on the prepared image, hold the page's words.
      expect(result.blocks.length).toBeGreaterThan(0);
      for (const b of result.blocks) {
        expect(b.bbox[0]).toBeLessThan(b.bbox[2]);
        expect(b.bbox[2]).toBeLessThanOrEqual(prepared.width);
        expect(b.bbox[3]).toBeLessThanOrEqual(prepared.height);
        expect(b.confidence).toBeGreaterThan(50);
      }
      expect(wordAccuracy(result.blocks.map((b) => b.text).join('\n'), result.text)).toBeGreaterThanOrEqual(0.99);
    } finally {
      await pool.close();
    }
  });

  it("builds the same blocks from tesseract's TSV as tesseract.js's block tree gives", async () => {
    // A heading block and, far below, a signature block: tesseract finds two blocks.
    const canvas = renderScan([...LINES.slice(0, 6), ...Array(14).fill(''), 'Gillis Hammar', 'Socialdirektör'], { dpi: 200 });
    const prepared = await prepareForOcr({ data: toPng(canvas), width: canvas.width, height: canvas.height, dpi: 200, origin: 'file' });
    const { createWorker, OEM } = await import('tesseract.js');
    const { langPath } = locateTrainedData('test');
    const worker = await createWorker('swe', OEM.LSTM_ONLY, { langPath, gzip: true, cacheMethod: 'none' }, { debug_file: '/dev/null' } as never);
    try {
      await worker.setParameters({ tessedit_pageseg_mode: '3' as never, user_defined_dpi: '200' });
      const { data } = await worker.recognize(prepared.pgm, {}, { text: true, tsv: true, blocks: true });
      const ours = blocksFromTsv(data.tsv!);
      const theirs = data.blocks!;
      expect(ours.length).toBeGreaterThanOrEqual(2);
      expect(ours.map((b) => b.bbox)).toEqual(theirs.map((b) => [b.bbox.x0, b.bbox.y0, b.bbox.x1, b.bbox.y1]));
      ours.forEach((b, i) => {
        expect(b.text.split(/\s+/)).toEqual(theirs[i]!.text.trim().split(/\s+/));
        expect(Math.abs(b.confidence - theirs[i]!.confidence)).toBeLessThan(10);
      });
    } finally {
      await worker.terminate();
    }
  });
});

describe('blank pages', () => {
  const prepare = (canvas: ReturnType<typeof renderScan>) =>
    prepareForOcr({ data: toPng(canvas), width: canvas.width, height: canvas.height, dpi: 300, origin: 'file' });

  it('finds a noisy, grey, empty scan blank', async () => {
    expect((await prepare(renderScan([], { ...DEGRADED_SCAN, dpi: 300, noise: 24, paper: 225 }))).blank).toBe(true);
  });

  it('finds an empty scan with dust and a dark scanner edge blank', async () => {
    const canvas = renderScan([], { ...DEGRADED_SCAN, dpi: 300 });
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#111';
    ctx.fillRect(0, 0, 40, canvas.height); // the shadow of the page edge
    ctx.fillRect(canvas.width - 30, 0, 30, canvas.height);
    for (const [x, y] of [[500, 700], [1300, 2100], [900, 3000]]) ctx.fillRect(x!, y!, 4, 4); // dust
    expect((await prepare(canvas)).blank).toBe(true);
  });

  it('does not call a page with one short line, or a signature only, blank', async () => {
    expect((await prepare(renderScan(['Bilaga 1'], { ...DEGRADED_SCAN, dpi: 300 }))).blank).toBe(false);
    const canvas = renderScan([], { ...DEGRADED_SCAN, dpi: 300 });
    const ctx = canvas.getContext('2d');
    ctx.strokeStyle = '#222';
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.moveTo(400, 1500);
    ctx.bezierCurveTo(500, 1400, 600, 1620, 700, 1500);
    ctx.stroke();
    expect((await prepare(canvas)).blank).toBe(false);
  });

  it('never calls a dark page blank', () => {
    const dark = createCanvas(100, 100);
    const grey = new Uint8Array(100 * 100).fill(20);
    expect(isBlank(grey, dark.width, dark.height, 100)).toBe(false);
  });
});
