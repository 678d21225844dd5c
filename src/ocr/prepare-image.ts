/**
 * Prepares a page image for tesseract: decoded once (natively, by Skia through @napi-rs/canvas),
 * scaled down to the resolution the recognizer needs, reduced to 8-bit grey and handed over as a
 * binary PGM, which tesseract reads without decoding work. Pages with no ink are recognised as
 * blank here and never reach OCR.
 *
 * Why (measured with `npm run bench` and docs/benchmarks.md): tesseract.js spends most of a 300-dpi
 * colour page decoding the JPEG in WebAssembly and thresholding pixels it does not need. The LSTM
 * normalises every text line to 48 pixels high, so body text at 200 dpi (an 11-pt line is about
 * 45 px) loses nothing; on noisy scans the downscale even helps, because it averages noise away
 * before tesseract binarises.
 */
import { DocumentError } from '../errors.js';
import type { OcrImage } from '../ingest/image.js';

/** Images sharper than this are scaled down to it before OCR. */
export const OCR_DPI = 200;
/** Within this margin of OCR_DPI an image is used as it is (resampling would cost more than it saves). */
const SCALE_TOLERANCE = 1.1;

export interface PreparedImage {
  /** Binary PGM (P5), 8-bit grey. */
  pgm: Buffer;
  width: number;
  height: number;
  dpi: number;
  /** Prepared size / original size. */
  scale: number;
  /** True when the page has no ink: nothing for OCR to read. */
  blank: boolean;
  /** What was done, for the audit trail. */
  steps: string[];
}

export function ocrScale(dpi: number, targetDpi = OCR_DPI): number {
  return dpi > targetDpi * SCALE_TOLERANCE ? targetDpi / dpi : 1;
}

type Canvas = import('@napi-rs/canvas').Canvas;

async function drawSource(image: OcrImage, width: number, height: number): Promise<Canvas> {
  const { createCanvas, loadImage } = await import('@napi-rs/canvas');
  let source: Canvas | Awaited<ReturnType<typeof loadImage>>;
  if (image.rgba) {
    const full = createCanvas(image.width, image.height);
    const data = full.getContext('2d').createImageData(image.width, image.height);
    data.data.set(image.rgba);
    full.getContext('2d').putImageData(data, 0, 0);
    if (width === image.width && height === image.height) return full;
    source = full;
  } else {
    try {
      source = await loadImage(image.data!);
    } catch (error) {
      throw new DocumentError('corrupt-image', `the ${image.origin} image cannot be decoded: ${(error as Error).message}`, { cause: error });
    }
    if (source.width !== image.width || source.height !== image.height) {
      throw new DocumentError('corrupt-image', `the ${image.origin} image decodes to ${source.width}×${source.height}, its header says ${image.width}×${image.height}`);
    }
  }
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'medium';
  ctx.drawImage(source, 0, 0, width, height);
  return canvas;
}

/**
 * A page is blank when, away from its edges (where scanners leave shadows), no run of consecutive
 * pixel rows carries ink that is at least as tall as the smallest printed letter (0.03 inch). Dust
 * and noise do not make such runs; a single line of text, a page number or a signature does.
 * Dark pages are never called blank.
 */
export function isBlank(grey: Uint8Array, width: number, height: number, dpi: number): boolean {
  const histogram = new Uint32Array(256);
  for (let i = 0; i < grey.length; i++) histogram[grey[i]!]!++;
  let seen = 0;
  let paper = 255;
  for (let v = 0; v < 256; v++) {
    seen += histogram[v]!;
    if (seen >= grey.length / 2) {
      paper = v;
      break;
    }
  }
  if (paper < 128) return false;
  const ink = Math.floor(paper * 0.6);
  const x0 = Math.floor(width * 0.03);
  const x1 = width - x0;
  const y0 = Math.floor(height * 0.03);
  const y1 = height - y0;
  const minRun = Math.max(3, Math.round(dpi * 0.03));
  let run = 0;
  for (let y = y0; y < y1; y++) {
    let dark = 0;
    const row = y * width;
    for (let x = x0; x < x1 && dark < 3; x++) if (grey[row + x]! < ink) dark++;
    run = dark >= 3 ? run + 1 : 0;
    if (run >= minRun) return false;
  }
  return true;
}

export interface PrepareOptions {
  /** Resolution to scale down to (default OCR_DPI; the benchmark compares others). */
  targetDpi?: number;
}

export async function prepareForOcr(image: OcrImage, options: PrepareOptions = {}): Promise<PreparedImage> {
  const scale = ocrScale(image.dpi, options.targetDpi);
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const dpi = Math.round(image.dpi * scale);
  const canvas = await drawSource(image, width, height);
  const rgba = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  const header = Buffer.from(`P5\n${width} ${height}\n255\n`, 'latin1');
  const pgm = Buffer.allocUnsafe(header.length + width * height);
  header.copy(pgm);
  const grey = pgm.subarray(header.length);
  // ITU-R BT.601 luma in fixed point.
  for (let p = 0, k = 0; p < grey.length; p++, k += 4) grey[p] = (rgba[k]! * 77 + rgba[k + 1]! * 150 + rgba[k + 2]! * 29) >> 8;
  const steps = ['grey'];
  if (scale !== 1) steps.unshift(`scaled ${image.width}×${image.height} at ${image.dpi} dpi to ${width}×${height} at ${dpi} dpi`);
  return { pgm, width, height, dpi, scale, blank: isBlank(grey, width, height, dpi), steps };
}
