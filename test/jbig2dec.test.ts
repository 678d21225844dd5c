/**
 * JBIG2 page images that pdf.js cannot decode, read by the jbig2dec command where it is installed
 * (issue 16 §2): a scan coded in JBIG2 (written here from libtiff's G4 data, as an MMR generic
 * region) through jbig2dec reads as well as through pdf.js; a damaged stream ends its page with a
 * reason naming the image, not a crash or a hang; without jbig2dec the reason says to install it.
 *
 * Needs jbig2dec (Debian package jbig2dec) and libtiff's ppm2tiff/tiffcp (libtiff-tools), which
 * `.ci/run` installs; without them the tests skip, saying which.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import UTIF from 'utif2';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DocumentError } from '../src/errors.js';
import { decodeJbig2, hasJbig2dec, Jbig2decError, jbig2decSettings, parsePbm } from '../src/ingest/jbig2dec.js';
import { readSource, type Source } from '../src/ingest/read-source.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { OcrPool } from '../src/ocr/worker-pool.js';
import { ingest, readDocument, sha256 } from '../src/pipeline.js';
import { makeImagePdf, paginate, renderScan } from '../scripts/fixtures.js';
import { SEED_TEXT, tempDir, wordAccuracy } from './helpers.js';

const HAS_JBIG2DEC = hasJbig2dec();
const HAS_TIFF = spawnSync('tiffcp', ['-h']).error === undefined && spawnSync('ppm2tiff', ['-h']).error === undefined;
if (!HAS_JBIG2DEC) console.warn('jbig2dec.test: jbig2dec is not installed (Debian package jbig2dec): the tests that decode with it skip');
if (!HAS_TIFF) console.warn('jbig2dec.test: ppm2tiff/tiffcp are not installed (Debian package libtiff-tools): the tests that need a JBIG2 scan skip');

const TEXT = SEED_TEXT;
const LINES = paginate(TEXT, 12)[0]!;
const DPI = 200;

const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
/** A JBIG2 segment header (number, type, 1-byte page association, no referred-to segments, page 1) and its data. */
const segment = (number: number, type: number, data: Buffer) => Buffer.concat([u32(number), Buffer.from([type, 0, 1]), u32(data.length), data]);

/** The scan as a PBM (1 = black), rendered at a width that is not a multiple of 8 (A4 at 200 dpi: 1654 px). */
function scanPbm(): { width: number; height: number; pbm: Buffer; bits: Buffer } {
  const canvas = renderScan(LINES, { dpi: DPI });
  const { width, height } = canvas;
  const d = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  const rowBytes = Math.ceil(width / 8);
  const bits = Buffer.alloc(rowBytes * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (d[(y * width + x) * 4]! < 128) bits[y * rowBytes + (x >> 3)]! |= 0x80 >> (x & 7);
  return { width, height, pbm: Buffer.concat([Buffer.from(`P4\n${width} ${height}\n`), bits]), bits };
}

/**
 * The scan as embedded JBIG2 (no file header): page information, one immediate generic region
 * coded with MMR holding libtiff's G4 data, end of page. `pageInfo: false` leaves the page
 * information out, as a stream that lost its start: neither decoder can place the region. `and`
 * combines the region with a black page by AND, which pdf.js's decoder does not do.
 */
function jbig2Scan(dir: string, pageInfo = true, and = false): { bytes: Buffer; width: number; height: number } {
  writeFileSync(join(dir, 'scan.pbm'), scanPbm().pbm);
  for (const [tool, args] of [
    ['ppm2tiff', ['-R', String(DPI), join(dir, 'scan.pbm'), join(dir, 'scan.tif')]],
    ['tiffcp', ['-c', 'g4', join(dir, 'scan.tif'), join(dir, 'g4.tif')]],
  ] as const) {
    const r = spawnSync(tool, args);
    if (r.status !== 0) throw new Error(`${tool} failed: ${r.stderr}`);
  }
  const [ifd] = UTIF.decode(readFileSync(join(dir, 'g4.tif'))) as Array<Record<string, number[]>>;
  const width = ifd!.t256![0]!;
  const height = ifd!.t257![0]!;
  if (ifd!.t259![0] !== 4 || ifd!.t273!.length !== 1) throw new Error('expected one G4 strip');
  const tiff = readFileSync(join(dir, 'g4.tif'));
  const g4 = tiff.subarray(ifd!.t273![0]!, ifd!.t273![0]! + ifd!.t279![0]!);
  // `and`: the page starts black (default pixel 1) and regions combine with AND (page flags, region flags): the same image.
  const info = segment(0, 48, Buffer.concat([u32(width), u32(height), u32(0), u32(0), Buffer.from([and ? (1 << 2) | (1 << 3) : 0, 0, 0])]));
  const region = segment(1, 38, Buffer.concat([u32(width), u32(height), u32(0), u32(0), Buffer.from([and ? 1 : 0, 1]), g4]));
  return { bytes: Buffer.concat([...(pageInfo ? [info] : []), region, segment(2, 49, Buffer.alloc(0))]), width, height };
}

/** A one-page PDF showing the JBIG2 image over the whole page, at 200 dpi; `decode` adds /Decode [1 0]. */
async function jbig2Pdf(image: { bytes: Buffer; width: number; height: number }, decode = false): Promise<Buffer> {
  const [w, h] = [(image.width * 72) / DPI, (image.height * 72) / DPI];
  const pdf = await makeImagePdf([{ width: w, height: h, content: `q ${w} 0 0 ${h} 0 0 cm /Im0 Do Q`, images: { Im0: { bytes: image.bytes, width: image.width, height: image.height, filter: 'FlateDecode', colorSpace: 'DeviceGray', bitsPerComponent: 1 } } }]);
  const text = pdf.toString('latin1');
  if (!text.includes('/Filter /FlateDecode')) throw new Error('filter not found');
  return Buffer.from(text.replace('/Filter /FlateDecode', decode ? '/Filter /JBIG2Decode /Decode [1 0]' : '/Filter /JBIG2Decode'), 'latin1');
}

async function withSource<T>(bytes: Buffer, name: string, f: (source: Source) => Promise<T>): Promise<T> {
  const source = await readSource({ path: `/in/${name}`, name, size: bytes.length, mtimeMs: 0, bytes, sha256: sha256(bytes) }, DEFAULT_LIMITS);
  try {
    return await f(source);
  } finally {
    await source.close();
  }
}

afterEach(() => {
  jbig2decSettings.force = false;
  jbig2decSettings.command = 'jbig2dec';
});

describe('parsePbm', () => {
  it('reads a binary PBM with a comment, and refuses one cut short', () => {
    const pbm = Buffer.concat([Buffer.from('P4\n# jbig2dec\n10 2\n'), Buffer.from([0xff, 0xc0, 0x00, 0x40])]);
    const read = parsePbm(pbm);
    expect({ ...read, bits: Array.from(read.bits) }).toEqual({ width: 10, height: 2, bits: [0xff, 0xc0, 0x00, 0x40] });
    expect(() => parsePbm(pbm.subarray(0, pbm.length - 1))).toThrow(/cut short/);
    expect(() => parsePbm(Buffer.from('P1\n1 1\n1'))).toThrow(/no binary PBM/);
  });
});

describe.runIf(HAS_JBIG2DEC && HAS_TIFF)('JBIG2 through jbig2dec', () => {
  let dir: string;
  let image: { bytes: Buffer; width: number; height: number };
  let pdf: Buffer;
  beforeAll(async () => {
    dir = tempDir();
    image = jbig2Scan(dir);
    pdf = await jbig2Pdf(image);
  });

  it('decodes the scan to the same pixels as pdf.js, and inverts them under /Decode [1 0]', async () => {
    expect(image.width % 8).not.toBe(0);
    const byPdfjs = await withSource(pdf, 'scan.pdf', (s) => s.pages[0]!.loadImage!());
    expect(byPdfjs).not.toHaveProperty('note');
    jbig2decSettings.force = true;
    const byTool = await withSource(pdf, 'scan.pdf', (s) => s.pages[0]!.loadImage!());
    expect(byTool).toMatchObject({ width: image.width, height: image.height, dpi: DPI, origin: 'embedded' });
    expect((byTool as { note?: { rule: string; reason: string } }).note).toEqual({
      rule: 'jbig2dec',
      severity: 'info',
      reason: expect.stringMatching(/^the page image \(\/Im0, object \d+ 0, 1654×\d+, JBIG2Decode\) decoded by jbig2dec$/),
    });
    expect(Buffer.from(byTool.rgba!).equals(Buffer.from(byPdfjs.rgba!))).toBe(true);
    // Some ink, not all: the comparison is not between two empty pages.
    const black = byTool.rgba!.filter((v, i) => i % 4 === 0 && v === 0).length;
    expect(black / (image.width * image.height)).toBeGreaterThan(0.005);
    expect(black / (image.width * image.height)).toBeLessThan(0.2);

    const inverted = await withSource(await jbig2Pdf(image, true), 'inverted.pdf', (s) => s.pages[0]!.loadImage!());
    expect(inverted.rgba!.every((v, i) => i % 4 === 3 || v === 255 - byTool.rgba![i]!)).toBe(true);
  });

  it('decodes a scan that pdf.js cannot (regions combined with AND) by jbig2dec, without any test seam', async () => {
    const plain = await withSource(pdf, 'scan.pdf', (s) => s.pages[0]!.loadImage!());
    const and = await withSource(await jbig2Pdf(jbig2Scan(dir, true, true)), 'and.pdf', (s) => s.pages[0]!.loadImage!());
    expect((and as { note?: { reason: string } }).note!.reason).toMatch(
      /^the page image \(\/Im0, object \d+ 0, 1654×\d+, JBIG2Decode\) decoded by jbig2dec: pdf\.js cannot decode it \(damaged, or JBIG2 features that pdf\.js does not decode\)$/,
    );
    expect(Buffer.from(and.rgba!).equals(Buffer.from(plain.rgba!))).toBe(true);
  });

  it('reads the scan decoded by jbig2dec at ≥ 0.95 word accuracy', { timeout: 120_000 }, async () => {
    jbig2decSettings.force = true;
    const path = join(dir, 'jbig2-scan.pdf');
    writeFileSync(path, pdf);
    const pool = new OcrPool({ size: 1, timeoutMs: 60_000 });
    try {
      const doc = await readDocument(path, { pool, limits: DEFAULT_LIMITS });
      const text = doc.pages.map((p) => p.text).join('\n');
      const accuracy = wordAccuracy(text, LINES.join('\n'));
      console.log(`jbig2dec.test: word accuracy through jbig2dec ${accuracy.toFixed(3)}`);
      expect(accuracy).toBeGreaterThanOrEqual(0.95);
    } finally {
      await pool.close();
    }
  });

  it('ends a damaged JBIG2 page with a reason naming the image and jbig2dec, and the batch goes on', { timeout: 120_000 }, async () => {
    const damaged = await jbig2Pdf(jbig2Scan(dir, false));
    // pdf.js fails first (no test seam here), then jbig2dec.
    const error = await withSource(damaged, 'damaged.pdf', (s) => s.pages[0]!.loadImage!()).catch((e) => e);
    expect(error).toBeInstanceOf(DocumentError);
    expect(error.code).toBe('corrupt-image');
    expect(error.message).toMatch(
      /^the page image \(\/Im0, object \d+ 0, 1654×\d+, JBIG2Decode\) cannot be decoded: pdf\.js cannot decode it \(damaged, or JBIG2 features that pdf\.js does not decode\), and jbig2dec cannot decode it either \(jbig2dec: .+\)$/,
    );

    // In a batch (readers in their own processes): the damaged file fails, the good one lands.
    const input = join(dir, 'batch');
    spawnSync('mkdir', ['-p', input]);
    writeFileSync(join(input, 'damaged.pdf'), damaged);
    writeFileSync(join(input, 'good.pdf'), pdf);
    const summary = await ingest([input], { db: join(dir, 'batch.sqlite'), concurrency: 1 });
    expect(summary.status).toBe('completed');
    expect(summary.counts.ingested).toBe(1);
    expect(summary.failures).toHaveLength(1);
    expect(summary.failures[0]).toMatchObject({ kind: 'failed', code: 'corrupt-image' });
    expect(summary.failures[0]!.path).toMatch(/damaged\.pdf$/);
    expect(summary.failures[0]!.reason).toMatch(/^damaged\.pdf page 1: the page image \(\/Im0, object \d+ 0, 1654×\d+, JBIG2Decode\) cannot be decoded: .*jbig2dec cannot decode it either/);
  });

  it('takes a page jbig2dec writes after a fatal error (a segment type it does not implement) as a failure, not a blank page', async () => {
    // The scan's region as an intermediate generic region (type 36), which jbig2dec 0.19 does not decode.
    const bytes = Buffer.from(image.bytes);
    // The page information segment (an 11-byte header, 19 bytes of data), then the region's header: its type at offset 4.
    const at = 11 + 19;
    expect(bytes[at + 4]).toBe(38);
    bytes[at + 4] = 36;
    const error = await decodeJbig2(bytes, null, { timeoutMs: 30_000, maxPixels: DEFAULT_LIMITS.maxPixels }).catch((e) => e);
    expect(error).toBeInstanceOf(Jbig2decError);
    expect(error.message).toMatch(/^jbig2dec cannot decode it either \(jbig2dec: FATAL ERROR .*intermediate generic region/);
    // And the stream with its file header (as some writers embed it) decodes like the embedded one.
    const header = Buffer.from([0x97, 0x4a, 0x42, 0x32, 0x0d, 0x0a, 0x1a, 0x0a, 0x01, 0, 0, 0, 1]);
    const whole = await decodeJbig2(Buffer.concat([header, image.bytes]), null, { timeoutMs: 30_000, maxPixels: DEFAULT_LIMITS.maxPixels });
    const embedded = await decodeJbig2(image.bytes, null, { timeoutMs: 30_000, maxPixels: DEFAULT_LIMITS.maxPixels });
    expect({ width: whole.width, height: whole.height }).toEqual({ width: image.width, height: image.height });
    expect(Buffer.from(whole.bits).equals(Buffer.from(embedded.bits))).toBe(true);
  });

  it('without jbig2dec, fails the page saying that installing jbig2dec would read it', async () => {
    jbig2decSettings.command = 'jbig2dec-not-installed';
    jbig2decSettings.force = true;
    const error = await withSource(pdf, 'scan.pdf', (s) => s.pages[0]!.loadImage!()).catch((e) => e);
    expect(error).toBeInstanceOf(DocumentError);
    expect(error.code).toBe('corrupt-image');
    expect(error.message).toMatch(/^the page image \(\/Im0, object \d+ 0, 1654×\d+, JBIG2Decode\) cannot be decoded: .*; installing jbig2dec \(Debian package jbig2dec\) would read it unless it is damaged$/);
  });
});
