/**
 * Image scans (PNG, JPEG, TIFF): check their size from the header before anything decodes them,
 * and hand the OCR stage the image (encoded bytes, or the pixels of a TIFF page). The OCR stage
 * decodes it once (src/ocr/prepare-image.ts).
 */
import { imageSize } from 'image-size';
import { DocumentError } from '../errors.js';
import type { Limits } from '../limits.js';

/**
 * A page image decoded some other way than the usual, said in a message for the audit trail (the
 * OCR stage records it with the page).
 */
export interface ImageNote {
  rule: 'jbig2dec';
  severity: 'info';
  reason: string;
}

/** An image ready for OCR. */
export interface OcrImage {
  /** What the reader had to do to get this image, recorded by the OCR stage. */
  note?: ImageNote;
  /** The encoded image (PNG or JPEG), or undefined when `rgba` holds the pixels. */
  data?: Buffer;
  /** Decoded pixels, RGBA row by row, when the reader had to decode them itself (TIFF). */
  rgba?: Uint8Array;
  width: number;
  height: number;
  /** Resolution, measured or estimated: tells tesseract the text size. */
  dpi: number;
  /**
   * The resolution is only what a PDF page's size implies (tools that wrap a scan into a PDF make the
   * page size up when the scan carries no resolution): the OCR stage checks it against the text.
   */
  nominalDpi?: boolean;
  /** How the pixels are to be turned to stand upright (a PDF page's /Rotate, an image placed turned). */
  orientation?: Orientation;
  /** How the image was obtained, for the audit trail. */
  origin: 'file' | 'embedded' | 'render' | 'tiff-page';
  /**
   * Another way to the same pixels when these bytes do not decode (a PDF's JPEG that Skia refuses
   * is decoded by pdf.js instead).
   */
  fallback?: () => Promise<OcrImage>;
}

/**
 * A quarter turn or mirroring of an image: pixel (x, y) goes to (a·x + c·y, b·x + d·y), moved back
 * into view. Entries are -1, 0 or 1 (canvas `setTransform` order).
 */
export type Orientation = readonly [a: number, b: number, c: number, d: number];

export const UPRIGHT: Orientation = [1, 0, 0, 1];

/** A4 width in inches: scans without a usable resolution are assumed to be A4 pages. */
const A4_WIDTH_IN = 8.27;

export function estimateDpi(widthPx: number, widthIn = A4_WIDTH_IN): number {
  return Math.round(Math.min(1200, Math.max(70, widthPx / widthIn)));
}

export function assertPixelLimit(width: number, height: number, limits: Limits, what: string): void {
  if (!(width > 0 && height > 0)) throw new DocumentError('corrupt-image', `${what} has no valid dimensions (${width}×${height})`);
  if (width * height > limits.maxPixels) {
    throw new DocumentError(
      'too-many-pixels',
      `${what} is ${width}×${height} pixels (${Math.round((width * height) / 1e6)} megapixels), above the limit of ${Math.round(limits.maxPixels / 1e6)} megapixels (--max-pixels)`,
    );
  }
}

/** Dimensions from the file header only (no decoding). */
export function headerDimensions(bytes: Uint8Array, what: string): { width: number; height: number } {
  try {
    const size = imageSize(bytes);
    return { width: size.width ?? 0, height: size.height ?? 0 };
  } catch (error) {
    throw new DocumentError('corrupt-image', `${what}: the image header cannot be read (${(error as Error).message})`, { cause: error });
  }
}

const TAIL = 4096;

/**
 * A PNG ends with its IEND chunk, a JPEG with the EOI marker (FF D9), allowing for padding after it.
 * Decoders fill a cut-off image with grey rather than fail, so a truncated scan is caught here.
 */
export function isComplete(bytes: Uint8Array): boolean {
  const tail = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).subarray(Math.max(0, bytes.byteLength - TAIL));
  if (bytes[0] === 0x89 && bytes[1] === 0x50) return tail.includes('IEND', 0, 'latin1');
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return tail.includes(Buffer.from([0xff, 0xd9]));
  return true;
}

/**
 * Checks a PNG or JPEG file's size from its header, and that it is whole. The pixels are decoded
 * once, when the OCR stage prepares the page (a file that then fails to decode is reported as
 * corrupt-image).
 */
export function readRasterImage(bytes: Buffer, limits: Limits, what: string): OcrImage {
  const { width, height } = headerDimensions(bytes, what);
  assertPixelLimit(width, height, limits, what);
  if (!isComplete(bytes)) throw new DocumentError('corrupt-image', `${what} is truncated: the image data ends before its end marker`);
  return { data: bytes, width, height, dpi: estimateDpi(width), origin: 'file' };
}

export interface TiffPage {
  width: number;
  height: number;
  load(): Promise<OcrImage>;
}

/** The pages of a (possibly multi-page) TIFF, each checked against the pixel limit before decoding. */
export async function tiffPages(bytes: Buffer, limits: Limits, what: string): Promise<TiffPage[]> {
  const { default: UTIF } = await import('utif2');
  let ifds: ReturnType<typeof UTIF.decode>;
  try {
    ifds = UTIF.decode(bytes);
  } catch (error) {
    throw new DocumentError('corrupt-image', `${what}: the TIFF structure cannot be read (${(error as Error).message})`, { cause: error });
  }
  // Skip reduced-resolution copies (thumbnails): NewSubfileType bit 0.
  const pages = ifds.filter((ifd) => {
    const subfile = (ifd['t254'] as number[] | undefined)?.[0] ?? 0;
    return (subfile & 1) === 0 && ifd['t256'] && ifd['t257'];
  });
  if (pages.length === 0) throw new DocumentError('corrupt-image', `${what}: the TIFF holds no image`);
  return pages.map((ifd, index) => {
    const width = (ifd['t256'] as number[])[0]!;
    const height = (ifd['t257'] as number[])[0]!;
    assertPixelLimit(width, height, limits, `${what} page ${index + 1}`);
    const xres = ifd['t282'] as Array<number | number[]> | undefined;
    const resolution = Array.isArray(xres?.[0]) ? (xres![0] as number[])[0]! / ((xres![0] as number[])[1] || 1) : Number(xres?.[0] ?? 0);
    return {
      width,
      height,
      async load(): Promise<OcrImage> {
        try {
          UTIF.decodeImage(bytes, ifd);
          const rgba = UTIF.toRGBA8(ifd);
          // Scanners write 72 dpi by default when they know nothing better; trust only plausible values.
          const dpi = resolution >= 100 && resolution <= 1200 ? Math.round(resolution) : estimateDpi(width);
          return { rgba, width, height, dpi, origin: 'tiff-page' };
        } catch (error) {
          // Said without the file and page, which the OCR stage adds when it records the page's failure.
          throw new DocumentError('corrupt-image', `the TIFF page cannot be decoded (${(error as Error).message})`, { cause: error });
        }
      },
    };
  });
}
