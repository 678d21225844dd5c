/**
 * The resolution of a page image measured from its pixels: the x-height of its text lines.
 *
 * A PDF page's size says how large its image is meant to print, and tools that wrap scans into PDFs
 * make it up when the scan carries no resolution (img2pdf assumes 96 dpi, others 72). What OCR needs
 * is how tall the text is in pixels, so it is measured: the page is cut into narrow vertical strips
 * (narrow enough that a skewed line stays level within one), each strip's horizontal projection
 * profile splits it into text lines, and in each line the x-height is the distance between the row
 * where ink rises most (the tops of the lower-case letters) and the row where it falls most (the
 * baseline). The median over all lines, divided by the x-height of ordinary body text, is the
 * resolution. Body fonts at their usual sizes (Times 12 pt, Arial/Calibri 10–11 pt, DejaVu 11.5 pt)
 * have x-heights of 5.1–6.0 pt, so the estimate is good to about ±10 %: ample for choosing a scale
 * for OCR, and far better than a page size off by a factor of three.
 */

/** x-height of ordinary body text, in points. */
export const BODY_X_HEIGHT_PT = 5.5;
/** Fewer measured lines than this and the page is not text enough to measure. */
const MIN_LINES = 12;

export interface ResolutionEstimate {
  dpi: number;
  /** Median x-height in pixels. */
  xHeight: number;
  /** Line segments measured. */
  lines: number;
}

/** Paper level (median grey) and the level below which a pixel is ink, or null for a page with no contrast. */
function inkThreshold(grey: Uint8Array): number | null {
  const histogram = new Uint32Array(256);
  for (let i = 0; i < grey.length; i++) histogram[grey[i]!]!++;
  let seen = 0;
  let paper = -1;
  let dark = -1;
  for (let v = 0; v < 256; v++) {
    seen += histogram[v]!;
    if (dark < 0 && seen >= grey.length * 0.005) dark = v;
    if (seen >= grey.length / 2) {
      paper = v;
      break;
    }
  }
  // Dark pages (negatives) and pages without contrast are not measured.
  if (paper < 128 || paper - dark < 48) return null;
  return (paper + dark) / 2;
}

/**
 * Estimates the resolution of an upright page image from the x-height of its text; null when the
 * page has too little text to measure (a blank page, a photograph, a few words).
 */
export function estimateResolution(grey: Uint8Array, width: number, height: number): ResolutionEstimate | null {
  const threshold = inkThreshold(grey);
  if (threshold === null) return null;
  const x0 = Math.floor(width * 0.03);
  const x1 = width - x0;
  const y0 = Math.floor(height * 0.03);
  const y1 = height - y0;
  // About a sixteenth of the page: a few letters wide, so a line skewed by a degree moves a pixel or two.
  const stripWidth = Math.max(16, Math.round((x1 - x0) / 16));
  const strips = Math.floor((x1 - x0) / stripWidth);
  const rows = y1 - y0;
  if (strips < 1 || rows < 1) return null;
  // Ink per row of each strip, in one pass over the pixels in memory order.
  const profiles = new Uint16Array(strips * rows);
  for (let y = y0; y < y1; y++) {
    const row = y * width;
    for (let s = 0; s < strips; s++) {
      const from = row + x0 + s * stripWidth;
      let n = 0;
      for (let x = from; x < from + stripWidth; x++) if (grey[x]! < threshold) n++;
      profiles[s * rows + (y - y0)] = n;
    }
  }
  const heights: number[] = [];
  // A row belongs to a line when it holds more than a speck of noise.
  const minInk = Math.max(2, stripWidth * 0.02);
  for (let s = 0; s < strips; s++) {
    const profile = profiles.subarray(s * rows, (s + 1) * rows);
    let start = -1;
    for (let i = 0; i <= rows; i++) {
      const inked = i < rows && profile[i]! >= minInk;
      if (inked && start < 0) start = i;
      else if (!inked && start >= 0) {
        const measured = xHeightOf(profile, start, i);
        if (measured !== null) heights.push(measured);
        start = -1;
      }
    }
  }
  if (heights.length < MIN_LINES) return null;
  heights.sort((a, b) => a - b);
  const xHeight = heights[Math.floor(heights.length / 2)]!;
  return { dpi: Math.round((xHeight / BODY_X_HEIGHT_PT) * 72), xHeight, lines: heights.length };
}

/**
 * x-height of one line in one strip: from the row where ink rises most to the row where it falls
 * most. Null for what is not a line of letters (a rule, a speck, a block of graphics).
 */
function xHeightOf(profile: Uint16Array, start: number, end: number): number | null {
  const rows = end - start;
  if (rows < 4) return null;
  let rise = 0;
  let top = -1;
  let fall = 0;
  let bottom = -1;
  for (let i = start; i <= end; i++) {
    const before = i > start ? profile[i - 1]! : 0;
    const here = i < end ? profile[i]! : 0;
    const d = here - before;
    if (d > rise) {
      rise = d;
      top = i;
    }
    if (-d > fall) {
      fall = -d;
      bottom = i;
    }
  }
  const xHeight = bottom - top;
  // The x-height is at least a third of a line's full height (ascender to descender), and the line is
  // not taller than four x-heights (else it is several lines or graphics).
  if (xHeight < 3 || xHeight * 3 < rows || rows > xHeight * 4) return null;
  return xHeight;
}
