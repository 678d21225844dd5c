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
import { UPRIGHT, type OcrImage, type Orientation } from '../ingest/image.js';
import { estimateSkew, paperLevel, skewToCorrect, toPgm } from './orientation.js';
import { estimateResolution } from './resolution.js';

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
  /** Degrees the page was turned back by because its lines were skewed (positive: they fell to the right). */
  deskewed?: number;
  /** The text lines ran down the page, so it was given a quarter turn (clockwise) before OCR. */
  sideways?: boolean;
  /** Text lines were found running across the page (as prepared): it is upright or upside down. */
  linesAcross?: boolean;
}

/**
 * Starts loading Skia (@napi-rs/canvas, a native module: about 0.3 s) ahead of the first page to
 * prepare, while that page's image is still on its way from the reader.
 */
export function preloadDecoder(): void {
  void import('@napi-rs/canvas').catch(() => undefined);
}

export function ocrScale(dpi: number, targetDpi = OCR_DPI): number {
  return dpi > targetDpi * SCALE_TOLERANCE ? targetDpi / dpi : 1;
}

type Canvas = import('@napi-rs/canvas').Canvas;
type Drawable = Canvas | Awaited<ReturnType<typeof import('@napi-rs/canvas').loadImage>>;

/** The image decoded once: a canvas (raw pixels) or a decoded image, at the image's own size. */
async function decodeSource(image: OcrImage): Promise<{ source: Drawable; width: number; height: number }> {
  const { createCanvas, loadImage } = await import('@napi-rs/canvas');
  if (image.rgba) {
    const full = createCanvas(image.width, image.height);
    const ctx = full.getContext('2d');
    const data = ctx.createImageData(image.width, image.height);
    data.data.set(image.rgba);
    ctx.putImageData(data, 0, 0);
    return { source: full, width: image.width, height: image.height };
  }
  let source: Drawable;
  try {
    source = await loadImage(image.data!);
  } catch (error) {
    const kind = image.data![0] === 0xff && image.data![1] === 0xd8 ? 'JPEG' : image.data![0] === 0x89 ? 'PNG' : 'image';
    throw new DocumentError('corrupt-image', `the ${image.origin} ${kind} cannot be decoded (Skia: ${(error as Error).message})`, { cause: error });
  }
  // A pixel more or less than the header or the PDF says is rounding, not damage; more is damage.
  if (Math.abs(source.width - image.width) > 1 || Math.abs(source.height - image.height) > 1) {
    throw new DocumentError('corrupt-image', `the ${image.origin} image decodes to ${source.width}×${source.height}, but its header says ${image.width}×${image.height}`);
  }
  return { source, width: source.width, height: source.height };
}

const swapsAxes = (o: Orientation) => o[0] === 0;

/**
 * Draws the source upright (see Orientation), scaled, and turned back by `skew` degrees about its
 * centre (the corners this brings in are painted `paper` grey), and returns its 8-bit grey pixels.
 */
async function drawGrey(source: Drawable, width: number, height: number, orientation: Orientation, scale: number, skew = 0, paper = 255): Promise<{ grey: Uint8Array; width: number; height: number }> {
  const [a, b, c, d] = orientation;
  const upright = swapsAxes(orientation) ? { width: height, height: width } : { width, height };
  const w = Math.max(1, Math.round(upright.width * scale));
  const h = Math.max(1, Math.round(upright.height * scale));
  let canvas: Canvas;
  if (scale === 1 && a === 1 && d === 1 && skew === 0 && (source as Canvas).getContext) {
    canvas = source as Canvas;
  } else {
    const { createCanvas } = await import('@napi-rs/canvas');
    canvas = createCanvas(w, h);
    const ctx = canvas.getContext('2d');
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'medium';
    // Turned back into view: a negative coefficient moves the image by its own extent.
    const tx = -Math.min(0, a * width) - Math.min(0, c * height);
    const ty = -Math.min(0, b * width) - Math.min(0, d * height);
    const sx = w / upright.width;
    const sy = h / upright.height;
    if (skew !== 0) {
      ctx.fillStyle = `rgb(${paper},${paper},${paper})`;
      ctx.fillRect(0, 0, w, h);
      ctx.translate(w / 2, h / 2);
      ctx.rotate((-skew * Math.PI) / 180);
      ctx.translate(-w / 2, -h / 2);
    }
    ctx.transform(a * sx, b * sy, c * sx, d * sy, tx * sx, ty * sy);
    ctx.drawImage(source, 0, 0);
  }
  const rgba = canvas.getContext('2d').getImageData(0, 0, w, h).data;
  const grey = new Uint8Array(w * h);
  // ITU-R BT.601 luma in fixed point, a pixel read as one 32-bit word (R in its low byte on the
  // little-endian machines Node runs on): 15 ms for a 200-dpi A4 page against 53 ms byte by byte.
  const pixels = new Uint32Array(rgba.buffer, rgba.byteOffset, w * h);
  for (let p = 0; p < grey.length; p++) {
    const v = pixels[p]!;
    grey[p] = ((v & 0xff) * 77 + ((v >>> 8) & 0xff) * 150 + ((v >>> 16) & 0xff) * 29) >> 8;
  }
  return { grey, width: w, height: h };
}

/** A4 width in inches: a page whose text cannot be measured is taken to be A4 wide. */
const A4_SHORT_SIDE_IN = 8.27;
/** A nominal resolution this close to the measured one is kept (it is exact where it is right). */
const NOMINAL_TOLERANCE = 0.25;

/**
 * The resolution of an image whose resolution is only nominal: measured from its text (on the image
 * as drawn at `scale`), or from its size as an A4 page when there is no text to measure; the
 * nominal value where it agrees.
 */
function checkedDpi(drawn: { grey: Uint8Array; width: number; height: number }, scale: number, nominal: number): { dpi: number; step?: string } {
  const measured = estimateResolution(drawn.grey, drawn.width, drawn.height);
  const dpi = Math.round(measured ? measured.dpi / scale : Math.min(drawn.width, drawn.height) / scale / A4_SHORT_SIDE_IN);
  if (Math.abs(nominal / dpi - 1) <= NOMINAL_TOLERANCE) return { dpi: nominal };
  const how = measured ? `measured from the text (x-height ${Math.round(measured.xHeight / scale)} px)` : 'from its size as an A4 page (too little text to measure)';
  return { dpi, step: `resolution ${dpi} dpi ${how}, not the ${nominal} dpi its page size implies` };
}

/** A quarter turn clockwise after `o`: (x, y) → (−y, x) applied to o's result. */
function turnedClockwise(o: Orientation): Orientation {
  const [a, b, c, d] = o;
  return [-b, a, -d, c];
}

const TURNS: Record<string, string> = { '0,1,-1,0': 'turned 90° clockwise', '-1,0,0,-1': 'turned 180°', '0,-1,1,0': 'turned 90° counter-clockwise' };

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
  /** Measure the skew and direction of the text lines and set them level (default true; benchmarks compare). */
  straighten?: boolean;
}

export async function prepareForOcr(image: OcrImage, options: PrepareOptions = {}): Promise<PreparedImage> {
  let orientation = image.orientation ?? UPRIGHT;
  const { source, width: w0, height: h0 } = await decodeSource(image);
  const steps: string[] = [];
  if (orientation.join() !== UPRIGHT.join()) steps.push(TURNS[orientation.join()] ?? `mirrored (${orientation.join(' ')})`);
  let dpi = image.dpi;
  let scale = ocrScale(dpi, options.targetDpi);
  let drawn = await drawGrey(source, w0, h0, orientation, scale);
  // Lines running down the page, or skewed, are set level before anything is measured on them.
  const skewEstimate = options.straighten === false ? null : estimateSkew(drawn.grey, drawn.width, drawn.height);
  const sideways = skewEstimate?.sideways ?? false;
  const skew = skewToCorrect(skewEstimate);
  const paper = sideways || skew !== 0 ? (paperLevel(drawn.grey) ?? 255) : 255;
  if (sideways) {
    orientation = turnedClockwise(orientation);
    steps.push('turned 90° clockwise (its text lines ran down the page)');
  }
  if (skew !== 0) steps.push(`deskewed by ${skew.toFixed(1)}°`);
  if (sideways || skew !== 0) drawn = await drawGrey(source, w0, h0, orientation, scale, skew, paper);
  // A resolution that is only nominal is checked against the text; so is that of a page found on its
  // side (an image file's resolution is guessed from its width as if the page stood upright).
  if (image.nominalDpi || sideways) {
    // Measured on the image as drawn for the nominal resolution: where that is right (most scans),
    // nothing is drawn twice.
    const checked = checkedDpi(drawn, scale, image.dpi);
    dpi = checked.dpi;
    if (checked.step) steps.push(checked.step);
    const rescale = ocrScale(dpi, options.targetDpi);
    if (rescale !== scale) {
      scale = rescale;
      drawn = await drawGrey(source, w0, h0, orientation, scale, skew, paper);
    }
  }
  const { grey, width, height } = drawn;
  const outDpi = Math.round(dpi * scale);
  if (scale !== 1) steps.push(`scaled ${swapsAxes(orientation) ? `${h0}×${w0}` : `${w0}×${h0}`} at ${dpi} dpi to ${width}×${height} at ${outDpi} dpi`);
  steps.push('grey');
  return {
    pgm: toPgm(grey, width, height),
    width,
    height,
    dpi: outDpi,
    scale,
    blank: isBlank(grey, width, height, outDpi),
    steps,
    linesAcross: skewEstimate !== null,
    ...(skew !== 0 ? { deskewed: skew } : {}),
    ...(sideways ? { sideways } : {}),
  };
}
