/**
 * Orientation and skew of a page image.
 *
 * Skew is measured before OCR, from the pixels: text lines are the strongest horizontal structure
 * of a page, so the projection of its ink onto a line at the right angle is the most concentrated
 * (tall peaks at the lines, nothing between them). The ink of a downsampled, binarised copy is
 * projected at candidate angles, coarse then fine, for rows (text lines running across) and for
 * columns (the page lies on its side); the angle of highest concentration is the skew. It costs a
 * pass over the pixels and some tens of thousands of additions per angle: a few tens of
 * milliseconds on an A4 page, so every page pays it.
 *
 * Up and down cannot be told from projections alone, so it is judged by the recognizer, and only
 * when the first, upright reading looks bad (see ocr-pages.ts): a band of the page is read in the
 * other turns and the most confident wins. Upright pages cost nothing more.
 */

/** Largest skew looked for, in degrees. Scans fed crooked by more than this are rare. */
export const MAX_SKEW = 8;
/**
 * Below this angle (degrees) a page is left as it is: tesseract reads a slight skew as well as a
 * straight page (measured on 200-dpi office scans: every word at 0.6° and 1°, 0.992 at 1.5°,
 * 0.988 at 2°, 0.25 at 3°; deskewed, each reads 1.000), and turning resamples the pixels.
 */
export const DESKEW_FROM = 1;
/** Fewer ink cells than this and there is not text enough to measure the skew. */
const MIN_INK = 400;
/** Ink cells used to measure the skew (a sample of them on a dense page). */
const MAX_CELLS = 30_000;
/**
 * The projection at the best angle must be at least this much more concentrated than at the
 * page's own angle before the page is turned: a flat optimum is noise, not skew.
 */
const MIN_GAIN = 1.03;
/** Lines run down the page when their column projection is this much more concentrated. */
const SIDEWAYS_RATIO = 1.3;

export interface SkewEstimate {
  /** Angle of the text lines in degrees (positive: falling to the right, as a page turned clockwise). */
  angle: number;
  /** The text lines run down the page: it lies on its side. */
  sideways: boolean;
  /** Concentration of the projection at the angle found / at 0° (1 = no gain). */
  gain: number;
}

/** The grey level of the paper (median), or null for a dark page. */
export function paperLevel(grey: Uint8Array): number | null {
  const histogram = new Uint32Array(256);
  for (let i = 0; i < grey.length; i++) histogram[grey[i]!]!++;
  let seen = 0;
  for (let v = 0; v < 256; v++) {
    seen += histogram[v]!;
    if (seen >= grey.length / 2) return v < 128 ? null : v;
  }
  return null;
}

/** Ink cells of a downsampled page, as coordinates about its centre. */
function inkCells(grey: Uint8Array, width: number, height: number, paper: number): { xs: Float64Array; ys: Float64Array } | null {
  // About 600 cells across: a line's x-height at 200 dpi stays 4–6 cells, and an angle of 0.1°
  // moves a line's end by a cell.
  const f = Math.max(1, Math.floor(Math.min(width, height) / 600));
  const ink = Math.floor(paper * 0.6);
  const x0 = Math.floor(width * 0.03);
  const y0 = Math.floor(height * 0.03);
  const cw = Math.floor((width - 2 * x0) / f);
  const ch = Math.floor((height - 2 * y0) / f);
  if (cw < 8 || ch < 8) return null;
  const dark = new Uint8Array(cw * ch);
  let count = 0;
  for (let y = y0; y < y0 + ch * f; y++) {
    const row = y * width;
    const cells = ((y - y0) / f | 0) * cw;
    for (let x = x0; x < x0 + cw * f; x++) {
      if (grey[row + x]! < ink) {
        const c = cells + ((x - x0) / f | 0);
        if (!dark[c]) count++;
        dark[c] = 1;
      }
    }
  }
  // A page that is mostly ink (a photograph, a dark scan) has no lines to measure.
  if (count < MIN_INK || count > cw * ch * 0.4) return null;
  // At most MAX_CELLS of them, evenly taken: plenty to find lines by.
  const stride = Math.max(1, Math.ceil(count / MAX_CELLS));
  const n = Math.ceil(count / stride);
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let c = 0, seen = 0, k = 0; c < dark.length && k < n; c++) {
    if (!dark[c]) continue;
    if (seen++ % stride === 0) {
      xs[k] = (c % cw) - cw / 2;
      ys[k++] = ((c / cw) | 0) - ch / 2;
    }
  }
  return { xs, ys };
}

/**
 * How concentrated the projection of the cells onto the direction at `deg` is: the sum of squared
 * bin counts, relative to what the same ink spread evenly over the same span would give (1).
 */
function concentration(xs: Float64Array, ys: Float64Array, deg: number, bins: Uint32Array): number {
  const t = (deg * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const offset = bins.length >> 1;
  bins.fill(0);
  let lo = bins.length;
  let hi = 0;
  for (let i = 0; i < xs.length; i++) {
    bins[(ys[i]! * cos - xs[i]! * sin + offset + 0.5) | 0]!++;
  }
  let sum = 0;
  for (let b = 0; b < bins.length; b++) {
    const n = bins[b]!;
    if (n === 0) continue;
    if (b < lo) lo = b;
    hi = b;
    sum += n * n;
  }
  const n = xs.length;
  return (sum * (hi - lo + 1)) / (n * n);
}

/** The angle (within ±range of `around`, in `step`s) where the projection is most concentrated. */
function bestAngle(xs: Float64Array, ys: Float64Array, around: number, range: number, step: number, bins: Uint32Array): { deg: number; score: number } {
  let best = { deg: around, score: -1 };
  for (let k = -Math.round(range / step); k <= Math.round(range / step); k++) {
    const deg = around + k * step;
    const score = concentration(xs, ys, deg, bins);
    if (score > best.score) best = { deg, score };
  }
  return best;
}

/**
 * The skew of a page's text lines, and whether they run down the page; null when the page has too
 * little text (or too much dark) to tell.
 */
export function estimateSkew(grey: Uint8Array, width: number, height: number): SkewEstimate | null {
  const paper = paperLevel(grey);
  if (paper === null) return null;
  const cells = inkCells(grey, width, height, paper);
  if (!cells) return null;
  const { xs, ys } = cells;
  const bins = new Uint32Array(2 * Math.ceil(Math.hypot(width, height)) + 4);
  // Coarse, for lines across (0°) and down (90°) the page, then fine around the better.
  const across = bestAngle(xs, ys, 0, MAX_SKEW, 1, bins);
  const down = bestAngle(xs, ys, 90, MAX_SKEW, 1, bins);
  const sideways = down.score > across.score * SIDEWAYS_RATIO;
  const coarse = sideways ? down : across;
  const fine = bestAngle(xs, ys, coarse.deg, 1, 0.1, bins);
  const base = concentration(xs, ys, sideways ? 90 : 0, bins);
  const angle = Math.round((fine.deg - (sideways ? 90 : 0)) * 100) / 100;
  return { angle, sideways, gain: Math.round((fine.score / base) * 1000) / 1000 };
}

/** The skew to correct, in degrees, or 0 when the page is straight enough or the optimum is flat. */
export function skewToCorrect(estimate: SkewEstimate | null): number {
  if (!estimate || Math.abs(estimate.angle) < DESKEW_FROM || estimate.gain < MIN_GAIN) return 0;
  return estimate.angle;
}

/** Quarter turns clockwise. */
export type QuarterTurns = 0 | 1 | 2 | 3;

/** Grey pixels turned clockwise by `turns` quarter turns. */
export function turnGrey(grey: Uint8Array, width: number, height: number, turns: QuarterTurns): { grey: Uint8Array; width: number; height: number } {
  if (turns === 0) return { grey, width, height };
  const out = new Uint8Array(grey.length);
  if (turns === 2) {
    for (let i = 0, j = grey.length - 1; i < grey.length; i++, j--) out[j] = grey[i]!;
    return { grey: out, width, height };
  }
  // A quarter turn: the output is height wide and width tall.
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      // Clockwise: (x, y) → (height-1-y, x); counter-clockwise: (x, y) → (y, width-1-x).
      const o = turns === 1 ? x * height + (height - 1 - y) : (width - 1 - x) * height + y;
      out[o] = grey[row + x]!;
    }
  }
  return { grey: out, width: height, height: width };
}

/**
 * The rows [top, top + rows) of the page that hold the most ink: a band of text to judge the
 * page's orientation by.
 */
export function densestBand(grey: Uint8Array, width: number, height: number, rows: number): number {
  const paper = paperLevel(grey) ?? 255;
  const ink = Math.floor(paper * 0.6);
  const perRow = new Uint32Array(height);
  for (let y = 0; y < height; y++) {
    let n = 0;
    const row = y * width;
    for (let x = 0; x < width; x++) if (grey[row + x]! < ink) n++;
    perRow[y] = n;
  }
  const band = Math.min(rows, height);
  let sum = 0;
  for (let y = 0; y < band; y++) sum += perRow[y]!;
  let best = sum;
  let top = 0;
  for (let y = band; y < height; y++) {
    sum += perRow[y]! - perRow[y - band]!;
    if (sum > best) {
      best = sum;
      top = y - band + 1;
    }
  }
  return top;
}

/** A binary PGM (P5) of 8-bit grey pixels. */
export function toPgm(grey: Uint8Array, width: number, height: number): Buffer {
  return Buffer.concat([Buffer.from(`P5\n${width} ${height}\n255\n`, 'latin1'), grey]);
}

/** The grey pixels of a binary PGM written by toPgm. */
export function fromPgm(pgm: Buffer, width: number, height: number): Uint8Array {
  return new Uint8Array(pgm.buffer, pgm.byteOffset + pgm.length - width * height, width * height);
}

export const TURN_NAMES: Record<QuarterTurns, string> = { 0: 'upright', 1: 'turned 90° clockwise', 2: 'turned 180°', 3: 'turned 90° counter-clockwise' };

/** A first reading below this mean confidence has its orientation checked (upside-down text reads at 20–40). */
export const CHECK_ORIENTATION_BELOW = 60;
/** A turn must read a band of the page at least this much more confidently than the page as it is. */
const TURN_MARGIN = 10;
/** Height of the band read in each turn, in inches: ten or so lines of body text. */
const BAND_INCHES = 2.5;

export interface OrientationVerdict {
  /** Quarter turns clockwise that make the page upright (0: it already is). */
  turns: QuarterTurns;
  /** Mean confidence of the band read in each turn tried. */
  confidences: Partial<Record<QuarterTurns, number>>;
}

export interface GreyPage {
  grey: Uint8Array;
  width: number;
  height: number;
  dpi: number;
}

/**
 * Which way up the page reads: the densest band of the page is read in each candidate turn and the
 * most confident reading wins, when it beats the ones before it by a clear margin. `candidates`
 * start with 0 (the page as it is) and come in order of preference.
 */
export async function judgeOrientation(
  page: GreyPage,
  candidates: readonly QuarterTurns[],
  readConfidence: (band: GreyPage) => Promise<number>,
): Promise<OrientationVerdict> {
  const confidences: Partial<Record<QuarterTurns, number>> = {};
  for (const turns of candidates) {
    const turned = turnGrey(page.grey, page.width, page.height, turns);
    const rows = Math.min(turned.height, Math.round(page.dpi * BAND_INCHES));
    const top = densestBand(turned.grey, turned.width, turned.height, rows);
    const band = turned.grey.subarray(top * turned.width, (top + rows) * turned.width);
    confidences[turns] = await readConfidence({ grey: band, width: turned.width, height: rows, dpi: page.dpi });
  }
  // In the order of preference: a later turn must read clearly better than the one chosen so far
  // (tesseract reads lines running down a band too, nearly as well as across it).
  let turns = candidates[0]!;
  for (const t of candidates.slice(1)) if (confidences[t]! > confidences[turns]! + TURN_MARGIN) turns = t;
  return { turns, confidences };
}
