/**
 * Pages scanned the wrong way up, on their side or crooked: the skew and the direction of the text
 * lines are measured from the pixels and set right before OCR; a page that reads badly as it is
 * gets its orientation judged by reading a band of it in the other turns. Scans are rendered here
 * from a real report's text (DejaVu Serif, 200 dpi, grey paper, blur and noise) and go through the
 * real ingest and OCR stages, as PNG files and as a scanned PDF with /Rotate 180.
 */
import { createCanvas, type Canvas } from '@napi-rs/canvas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocumentFile } from '../src/document-file.js';
import { readSource } from '../src/ingest/read-source.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { ocrPages } from '../src/ocr/ocr-pages.js';
import { densestBand, estimateSkew, skewToCorrect, turnGrey } from '../src/ocr/orientation.js';
import { prepareForOcr } from '../src/ocr/prepare-image.js';
import { OcrPool } from '../src/ocr/worker-pool.js';
import { sha256 } from '../src/pipeline.js';
import { jpegScanPdf, paginate, renderScan, toJpeg, toPng, turned, type ScanOptions } from '../scripts/fixtures.js';
import { SEED_TEXT, wordAccuracy } from './helpers.js';

const TEXT = SEED_TEXT;
/** The first 22 lines of the report's first page: enough text to judge, quick enough to OCR. */
const LINES = paginate(TEXT, 22)[0]!;
const TRUTH = LINES.join('\n');
/** A 200-dpi office scan: grey paper, a little blur and noise. */
const SCAN: ScanOptions = { dpi: 200, blur: 0.5, noise: 12, paper: 240, seed: 7 };
const UPRIGHT = renderScan(LINES, SCAN);


/** The page turned by `deg` degrees about its centre, as a sheet fed in crooked (the corners are paper). */
function skewed(canvas: Canvas, deg: number): Canvas {
  if (deg === 0) return canvas;
  const out = createCanvas(canvas.width, canvas.height);
  const ctx = out.getContext('2d');
  ctx.fillStyle = `rgb(${SCAN.paper},${SCAN.paper},${SCAN.paper})`;
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.translate(out.width / 2, out.height / 2);
  ctx.rotate((deg * Math.PI) / 180);
  ctx.drawImage(canvas, -canvas.width / 2, -canvas.height / 2);
  return out;
}

function greyOf(canvas: Canvas): Uint8Array {
  const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const g = new Uint8Array(canvas.width * canvas.height);
  for (let i = 0; i < g.length; i++) g[i] = (d[i * 4]! * 77 + d[i * 4 + 1]! * 150 + d[i * 4 + 2]! * 29) >> 8;
  return g;
}

describe('the skew and direction of text lines, measured from the pixels', () => {
  it.each([3, -3, 1.5, -6])('finds a page skewed by %f° within 0.2°', (deg) => {
    const page = skewed(UPRIGHT, deg);
    const estimate = estimateSkew(greyOf(page), page.width, page.height)!;
    expect(estimate.sideways).toBe(false);
    expect(Math.abs(estimate.angle - deg)).toBeLessThanOrEqual(0.2);
    expect(skewToCorrect(estimate)).toBe(estimate.angle);
  });

  it('leaves a straight page and one skewed by less than 1° alone (tesseract reads them as well)', () => {
    for (const deg of [0, 0.6, -0.8]) {
      const page = skewed(UPRIGHT, deg);
      const estimate = estimateSkew(greyOf(page), page.width, page.height)!;
      expect(Math.abs(estimate.angle - deg)).toBeLessThanOrEqual(0.2);
      expect(skewToCorrect(estimate)).toBe(0);
    }
  });

  it('tells a page on its side (lines running down it) from an upright one, skew included', () => {
    for (const deg of [90, 270]) {
      const page = turned(skewed(UPRIGHT, 2), deg);
      const estimate = estimateSkew(greyOf(page), page.width, page.height)!;
      expect(estimate.sideways).toBe(true);
      expect(Math.abs(estimate.angle - 2)).toBeLessThanOrEqual(0.2);
    }
    const upsideDown = turned(UPRIGHT, 180);
    expect(estimateSkew(greyOf(upsideDown), upsideDown.width, upsideDown.height)!.sideways).toBe(false);
  });

  it('measures nothing on a blank page or a dark one', () => {
    const blank = renderScan([], SCAN);
    expect(estimateSkew(greyOf(blank), blank.width, blank.height)).toBeNull();
    const dark = new Uint8Array(400 * 600).fill(30);
    expect(estimateSkew(dark, 400, 600)).toBeNull();
  });

  it('turns grey pixels by quarter turns (four turns are the identity) and finds the densest band', () => {
    const grey = Uint8Array.from({ length: 12 }, (_, i) => i);
    const once = turnGrey(grey, 4, 3, 1);
    expect([once.width, once.height]).toEqual([3, 4]);
    // Clockwise: the bottom-left pixel (x 0, y 2 → value 8) comes to the top left.
    expect(once.grey[0]).toBe(8);
    let g: { grey: Uint8Array; width: number; height: number } = { grey, width: 4, height: 3 };
    for (let i = 0; i < 4; i++) g = turnGrey(g.grey, g.width, g.height, 1);
    expect([...g.grey]).toEqual([...grey]);
    expect([...turnGrey(grey, 4, 3, 2).grey]).toEqual([...grey].reverse());
    expect([...turnGrey(grey, 4, 3, 3).grey]).toEqual([...turnGrey(turnGrey(grey, 4, 3, 2).grey, 4, 3, 1).grey]);
    const page = renderScan(LINES.slice(0, 4), SCAN);
    const top = densestBand(greyOf(page), page.width, page.height, 100);
    // The four lines start at the 64-pt margin (178 px at 200 dpi).
    expect(top).toBeGreaterThan(150);
    expect(top).toBeLessThan(300);
  });
});

describe('scans the wrong way up, on their side or crooked, read through the OCR stage', () => {
  let pool: OcrPool;
  beforeAll(() => {
    pool = new OcrPool({ size: 2, timeoutMs: 300_000 });
  });
  afterAll(() => pool.close());

  async function ocr(bytes: Buffer, name: string): Promise<DocumentFile> {
    const source = await readSource({ path: `/in/${name}`, name, size: bytes.length, mtimeMs: 0, bytes, sha256: sha256(bytes) }, DEFAULT_LIMITS);
    try {
      return await ocrPages(source, { pool });
    } finally {
      await source.close();
    }
  }

  const rules = (file: DocumentFile, rule: string) => file.messages.filter((m) => m.rule === rule);
  const upright = UPRIGHT;

  // Each page is turned the way it lies in the scan; the stage must turn it back.
  const cases: Array<[string, Canvas, { orientation?: string; deskew?: [number, number] }]> = [
    ['upside down (180°)', turned(upright, 180), { orientation: 'turned 180°' }],
    ['turned 270° (its top to the left)', turned(upright, 270), { orientation: 'turned 90° clockwise' }],
    ['turned 90° (its top to the right)', turned(upright, 90), { orientation: 'turned 90° counter-clockwise' }],
    ['skewed by +3°', renderScan(LINES, { ...SCAN, rotateDeg: 3 }), { deskew: [2.8, 3.2] }],
    ['skewed by −3°', skewed(upright, -3), { deskew: [-3.2, -2.8] }],
  ];

  it.each(cases)('a PNG scan %s reads at ≥ 0.95 word accuracy, the correction recorded', async (_, canvas, expected) => {
    const file = await ocr(toPng(canvas), 'scan.png');
    const page = file.pages[0]!;
    expect(wordAccuracy(page.text, TRUTH)).toBeGreaterThanOrEqual(0.95);
    const orientation = rules(file, 'ocr-orientation');
    const deskew = rules(file, 'ocr-deskew');
    if (expected.orientation) {
      expect(orientation.map((m) => m.actual)).toEqual([expected.orientation]);
      expect(orientation[0]!.page).toBe(1);
    } else expect(orientation).toEqual([]);
    if (expected.deskew) {
      expect(deskew).toHaveLength(1);
      const angle = Number.parseFloat(deskew[0]!.actual!);
      expect(angle).toBeGreaterThanOrEqual(expected.deskew[0]);
      expect(angle).toBeLessThanOrEqual(expected.deskew[1]);
      expect(deskew[0]!.reason).toMatch(/^page 1 was skewed by \d\.\d° \(its lines (fell|rose) to the right\): turned back (counter-)?clockwise before OCR$/);
    } else expect(deskew).toEqual([]);
  });

  it('an upright scan is read as it is: no turn, no deskew, no orientation check', async () => {
    const file = await ocr(toPng(upright), 'upright.png');
    expect(wordAccuracy(file.pages[0]!.text, TRUTH)).toBeGreaterThanOrEqual(0.95);
    expect([...rules(file, 'ocr-orientation'), ...rules(file, 'ocr-deskew')]).toEqual([]);
    expect(rules(file, 'ocr-page')[0]!.reason).not.toMatch(/orientation checked|deskewed|turned/);
  });

  it('a scanned PDF page with /Rotate 180 whose image is stored upside down reads upright, by its /Rotate alone', async () => {
    const jpeg = toJpeg(turned(upright, 180), 85);
    const pdf = await jpegScanPdf(jpeg, upright.width, upright.height, 200, 180);
    const file = await ocr(pdf, 'rotated.pdf');
    expect(wordAccuracy(file.pages[0]!.text, TRUTH)).toBeGreaterThanOrEqual(0.95);
    // /Rotate turned it (a step of the preparation); nothing was left for the orientation check.
    expect(rules(file, 'ocr-page')[0]!.reason).toMatch(/\(turned 180°, grey\)/);
    expect(rules(file, 'ocr-orientation')).toEqual([]);
  });

  it('the same upside-down image in a PDF without /Rotate is found and turned by the orientation check', async () => {
    const jpeg = toJpeg(turned(upright, 180), 85);
    const file = await ocr(await jpegScanPdf(jpeg, upright.width, upright.height, 200), 'upside-down.pdf');
    expect(wordAccuracy(file.pages[0]!.text, TRUTH)).toBeGreaterThanOrEqual(0.95);
    expect(rules(file, 'ocr-orientation').map((m) => m.actual)).toEqual(['turned 180°']);
  });

  it('prepares a skewed page level: the deskewed image has no skew left', async () => {
    const page = skewed(UPRIGHT, 3);
    const prepared = await prepareForOcr({ data: toPng(page), width: page.width, height: page.height, dpi: 200, origin: 'file' });
    expect(prepared.deskewed).toBeCloseTo(3, 0);
    expect(prepared.steps).toContain(`deskewed by ${prepared.deskewed!.toFixed(1)}°`);
    const grey = prepared.pgm.subarray(prepared.pgm.length - prepared.width * prepared.height);
    const left = estimateSkew(grey, prepared.width, prepared.height)!;
    expect(Math.abs(left.angle)).toBeLessThanOrEqual(0.2);
    // The corners brought in by the turn are paper, not black.
    expect(grey[0]).toBeGreaterThan(200);
  });
});
