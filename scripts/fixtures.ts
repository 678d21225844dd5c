/**
 * Test documents made from text: text-layer PDFs, scanned PDFs and PNG/JPEG/TIFF scans degraded
 * like real archive scans (grey paper, slight skew, blur, noise, lower resolution, JPEG artefacts),
 * plus broken files. Deterministic (seeded), so every machine builds the same fixtures.
 *
 * Fonts: DejaVu (npm package dejavu-fonts-ttf), which has å/ä/ö.
 */
import { createCanvas, GlobalFonts, type Canvas } from '@napi-rs/canvas';
import PDFDocument from 'pdfkit';
import UTIF from 'utif2';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { deflateSync } from 'node:zlib';

const require = createRequire(import.meta.url);
const FONT_DIR = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
export const FONT_REGULAR = join(FONT_DIR, 'DejaVuSerif.ttf');
export const FONT_BOLD = join(FONT_DIR, 'DejaVuSerif-Bold.ttf');
GlobalFonts.registerFromPath(FONT_REGULAR, 'Fixture Serif');

/** A4 in PDF points. */
export const A4 = { width: 595.28, height: 841.89 };

export interface ScanOptions {
  /** Resolution of the scan. */
  dpi?: number;
  /** Skew in degrees. */
  rotateDeg?: number;
  /** Gaussian blur radius in pixels. */
  blur?: number;
  /** Standard deviation of grey noise, 0–255. */
  noise?: number;
  /** Paper tone (255 = white). */
  paper?: number;
  /** Seed of the noise. */
  seed?: number;
  /** Body text size in points (default 11.5). */
  fontPt?: number;
}

export const CLEAN_SCAN: ScanOptions = { dpi: 300, rotateDeg: 0, blur: 0, noise: 0, paper: 255 };
export const DEGRADED_SCAN: ScanOptions = { dpi: 200, rotateDeg: 0.6, blur: 0.5, noise: 14, paper: 238 };

/** A small seeded PRNG, so generated damage and noise are the same on every machine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits text into lines that fit `width` when measured by `measure`, keeping existing line breaks. */
export function wrapLines(text: string, width: number, measure: (s: string) => number): string[] {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    const words = paragraph.split(/\s+/).filter(Boolean);
    if (words.length === 0) {
      out.push('');
      continue;
    }
    let line = '';
    for (const word of words) {
      const candidate = line ? `${line} ${word}` : word;
      if (line && measure(candidate) > width) {
        out.push(line);
        line = word;
      } else line = candidate;
    }
    out.push(line);
  }
  return out;
}

const FONT_PT = 11.5;
const LINE = 1.45;
const MARGIN_PT = 64;

/** Splits text into A4 pages of wrapped lines (the same pagination for PDFs and scans). */
export function paginate(text: string, linesPerPage = 46, fontPt = FONT_PT): string[][] {
  const canvas = createCanvas(10, 10);
  const ctx = canvas.getContext('2d');
  ctx.font = `${fontPt}px "Fixture Serif"`;
  const lines = wrapLines(text, A4.width - 2 * MARGIN_PT, (s) => ctx.measureText(s).width);
  const pages: string[][] = [];
  for (let i = 0; i < lines.length; i += linesPerPage) pages.push(lines.slice(i, i + linesPerPage));
  return pages.length ? pages : [[]];
}

/** Renders one page of lines as a scan. */
export function renderScan(lines: string[], options: ScanOptions = {}): Canvas {
  const o = { ...CLEAN_SCAN, ...options };
  const scale = o.dpi! / 72;
  const w = Math.round(A4.width * scale);
  const h = Math.round(A4.height * scale);
  const page = createCanvas(w, h);
  const ctx = page.getContext('2d');
  ctx.fillStyle = `rgb(${o.paper},${o.paper},${o.paper})`;
  ctx.fillRect(0, 0, w, h);
  ctx.save();
  ctx.translate(w / 2, h / 2);
  ctx.rotate(((o.rotateDeg ?? 0) * Math.PI) / 180);
  ctx.translate(-w / 2, -h / 2);
  if (o.blur) ctx.filter = `blur(${o.blur}px)`;
  ctx.fillStyle = 'rgb(25,25,25)';
  const pt = o.fontPt ?? FONT_PT;
  ctx.font = `${pt * scale}px "Fixture Serif"`;
  ctx.textBaseline = 'top';
  lines.forEach((line, i) => ctx.fillText(line, MARGIN_PT * scale, (MARGIN_PT + i * pt * LINE) * scale));
  ctx.restore();
  if (o.noise) {
    const random = mulberry32(o.seed ?? 1);
    const image = ctx.getImageData(0, 0, w, h);
    const d = image.data;
    for (let i = 0; i < d.length; i += 4) {
      // Box–Muller would be exact; the sum of three uniforms is close enough to a bell and cheaper.
      const n = (random() + random() + random() - 1.5) * 2 * o.noise;
      const grey = Math.max(0, Math.min(255, 0.299 * d[i]! + 0.587 * d[i + 1]! + 0.114 * d[i + 2]! + n));
      d[i] = d[i + 1] = d[i + 2] = grey;
    }
    ctx.putImageData(image, 0, 0);
  }
  return page;
}

export function toPng(canvas: Canvas): Buffer {
  return canvas.toBuffer('image/png');
}

export function toJpeg(canvas: Canvas, quality = 70): Buffer {
  return canvas.toBuffer('image/jpeg', quality);
}

/** An uncompressed RGBA TIFF with one page per canvas (multi-page TIFF when more than one). */
export function toTiff(canvases: Canvas[]): Buffer {
  if (canvases.length === 1) {
    const c = canvases[0]!;
    const rgba = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    return Buffer.from(UTIF.encodeImage(new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength), c.width, c.height));
  }
  // UTIF.encode writes several IFDs; build them the way encodeImage does for each page.
  const pixels = canvases.map((c) => {
    const rgba = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    return Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  });
  const ifds = canvases.map((c) => {
    return {
      t256: [c.width],
      t257: [c.height],
      t258: [8, 8, 8, 8],
      t259: [1],
      t262: [2],
      t273: [0],
      t277: [4],
      t278: [c.height],
      t279: [c.width * c.height * 4],
      t282: [[72, 1]],
      t283: [[72, 1]],
      t284: [1],
      t286: [[0, 1]],
      t287: [[0, 1]],
      t296: [1],
      t305: ['beslutsarkiv fixtures'],
      t338: [1],
    };
  });
  // Lay out: header + IFDs, then pixel data; UTIF.encode handles IFD offsets, we patch strip offsets.
  const headerAndIfds = Buffer.from(UTIF.encode(ifds as never));
  let offset = headerAndIfds.length;
  ifds.forEach((ifd, i) => {
    ifd.t273 = [offset];
    offset += pixels[i]!.length;
  });
  const patched = Buffer.from(UTIF.encode(ifds as never));
  if (patched.length !== headerAndIfds.length) throw new Error('TIFF header size changed while patching offsets');
  return Buffer.concat([patched, ...pixels]);
}

/** The bytes of a pdfkit document, once it is ended. */
export function pdfToBuffer(doc: PDFKit.PDFDocument): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.end();
  });
}

export interface PdfOptions {
  /** Encrypt with this user password (the PDF then cannot be opened without it). */
  userPassword?: string;
}

/** A PDF with a real text layer in an embedded font that has å/ä/ö. */
export function makeTextPdf(text: string, options: PdfOptions = {}): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN_PT,
    autoFirstPage: false,
    info: { Title: 'beslutsarkiv fixture', CreationDate: new Date(Date.UTC(2020, 0, 1)) },
    ...(options.userPassword ? { userPassword: options.userPassword, ownerPassword: `${options.userPassword}-owner`, pdfVersion: '1.7' as const } : {}),
  });
  doc.registerFont('body', FONT_REGULAR);
  for (const lines of paginate(text)) {
    doc.addPage();
    doc.font('body').fontSize(FONT_PT);
    lines.forEach((line, i) => doc.text(line, MARGIN_PT, MARGIN_PT + i * FONT_PT * LINE, { lineBreak: false }));
  }
  return pdfToBuffer(doc);
}

/** A PDF of page images only (no text layer), as a scanner writes it. */
export function makeScannedPdf(pages: Buffer[]): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: 0, autoFirstPage: false, info: { CreationDate: new Date(Date.UTC(2020, 0, 1)) } });
  for (const image of pages) {
    doc.addPage();
    doc.image(image, 0, 0, { width: A4.width, height: A4.height });
  }
  return pdfToBuffer(doc);
}

/** A PDF whose pages mix: text layer on some, scan on others. */
export async function makeMixedPdf(textPage: string, scanPage: Buffer): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: MARGIN_PT, autoFirstPage: false, info: { CreationDate: new Date(Date.UTC(2020, 0, 1)) } });
  doc.registerFont('body', FONT_REGULAR);
  doc.addPage();
  doc.font('body').fontSize(FONT_PT);
  paginate(textPage)[0]!.forEach((line, i) => doc.text(line, MARGIN_PT, MARGIN_PT + i * FONT_PT * LINE, { lineBreak: false }));
  doc.addPage();
  doc.image(scanPage, 0, 0, { width: A4.width, height: A4.height });
  return pdfToBuffer(doc);
}

/** Bytes that start like a PNG but whose header claims an enormous image (a decompression bomb). */
export function makePixelBombPng(width = 100_000, height = 100_000): Buffer {
  const png = toPng(renderScan(['x'], { dpi: 10 }));
  // IHDR width and height sit at bytes 16–23; the CRC no longer matches, as in a crafted file.
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  return png;
}

export function randomBytes(length: number, seed = 7): Buffer {
  const random = mulberry32(seed);
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = Math.floor(random() * 256);
  // Make sure the bytes do not begin with any known magic number.
  b[0] = 0x13;
  return b;
}

/** An image XObject for {@link makeImagePdf}: the stream as stored, and its dictionary entries. */
export interface PdfImageSpec {
  /** The stream's bytes as they are stored (a JPEG file for DCTDecode; deflated for FlateDecode). */
  bytes: Uint8Array;
  width: number;
  height: number;
  filter?: 'DCTDecode' | 'FlateDecode';
  colorSpace?: 'DeviceGray' | 'DeviceRGB';
  bitsPerComponent?: number;
  /** A stencil mask (painted in the fill colour where a bit is 0). */
  imageMask?: boolean;
}

export interface PdfPageSpec {
  /** Page size in points. */
  width: number;
  height: number;
  /** /Rotate, clockwise degrees. */
  rotate?: number;
  /** The content stream, as PDF operators, e.g. `q 595 0 0 842 0 0 cm /Im0 Do Q`. */
  content: string | Uint8Array;
  /** Image XObjects by resource name. */
  images?: Record<string, PdfImageSpec>;
}

/**
 * A PDF written with pdf-lib's low-level API, page by page from content streams and image streams
 * exactly as given: what scanners, img2pdf and MRC compressors write, and hostile variants of it.
 */
export async function makeImagePdf(pages: PdfPageSpec[]): Promise<Buffer> {
  const { PDFDocument, PDFName, degrees } = await import('pdf-lib');
  const doc = await PDFDocument.create();
  doc.setCreationDate(new Date(Date.UTC(2020, 0, 1)));
  doc.setModificationDate(new Date(Date.UTC(2020, 0, 1)));
  for (const spec of pages) {
    const page = doc.addPage([spec.width, spec.height]);
    if (spec.rotate) page.setRotation(degrees(spec.rotate));
    for (const [name, image] of Object.entries(spec.images ?? {})) {
      const dict: Record<string, string | number | boolean> = { Type: 'XObject', Subtype: 'Image', Width: image.width, Height: image.height, Length: image.bytes.length };
      if (image.imageMask) dict.ImageMask = true;
      else {
        dict.ColorSpace = image.colorSpace ?? 'DeviceRGB';
        dict.BitsPerComponent = image.bitsPerComponent ?? 8;
      }
      if (image.imageMask) dict.BitsPerComponent = 1;
      if (image.filter) dict.Filter = image.filter;
      const stream = doc.context.stream(image.bytes, dict);
      page.node.setXObject(PDFName.of(name), doc.context.register(stream));
    }
    const content = typeof spec.content === 'string' ? Buffer.from(spec.content, 'latin1') : spec.content;
    page.node.set(PDFName.of('Contents'), doc.context.register(doc.context.stream(content, { Length: content.length })));
  }
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}

/** A scan as img2pdf and scanners write it: one JPEG covering the page, the page sized at `nominalDpi`. */
export function jpegScanPdf(jpeg: Buffer, width: number, height: number, nominalDpi: number, rotate = 0): Promise<Buffer> {
  const w = (width * 72) / nominalDpi;
  const h = (height * 72) / nominalDpi;
  return makeImagePdf([{ width: w, height: h, rotate, content: `q ${w} 0 0 ${h} 0 0 cm /Im0 Do Q`, images: { Im0: { bytes: jpeg, width, height, filter: 'DCTDecode' } } }]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * A 1-bit grey PNG (what a bitonal scanner writes): white where `grey` is at least 128. Rows are
 * padded to whole bytes, as PNG and PDF both store them.
 */
export function toPng1Bit(grey: Uint8Array, width: number, height: number): Buffer {
  const rowBytes = Math.ceil(width / 8);
  const raw = Buffer.alloc((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (rowBytes + 1);
    for (let x = 0; x < width; x++) if (grey[y * width + x]! >= 128) raw[row + 1 + (x >> 3)]! |= 0x80 >> (x & 7);
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([head, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // grey
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** The canvas turned clockwise by `deg` (a multiple of 90), as a page fed into the scanner turned. */
export function turned(canvas: Canvas, deg: number): Canvas {
  const swap = deg % 180 !== 0;
  const out = createCanvas(swap ? canvas.height : canvas.width, swap ? canvas.width : canvas.height);
  const ctx = out.getContext('2d');
  ctx.translate(out.width / 2, out.height / 2);
  ctx.rotate((deg * Math.PI) / 180);
  ctx.drawImage(canvas, -canvas.width / 2, -canvas.height / 2);
  return out;
}
