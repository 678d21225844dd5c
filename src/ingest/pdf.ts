/**
 * PDFs through pdf-parse (pdf.js): the text layer of each page where it has one; for pages without
 * one, the image to OCR.
 *
 * A page that is one plain image covering the page (what scanners and img2pdf write) is OCRed at
 * the image's own pixels, whatever the page size claims: tools that wrap a scan without a
 * resolution into a PDF make the page size up (img2pdf: 96 dpi), so the resolution implied by the
 * page is only nominal and the OCR stage checks it against the text (src/ocr/resolution.ts). A JPEG
 * scan is taken byte for byte (pdf-images.ts); other encodings are decoded by pdf.js, and a JBIG2
 * scan pdf.js cannot decode by the jbig2dec command where it is installed (jbig2dec.ts). Every other
 * page is rendered by pdf.js: pages with inline images, several images, masks (MRC: a text mask over
 * a background), vector text or paths. A page dominated by an image is rendered at that image's
 * resolution, others at 300 dpi. /Rotate is applied either way.
 *
 * Errors about one page (it cannot be decoded or rendered) are thrown without the file and page,
 * which the OCR stage adds when it records the page's failure.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { DocumentError } from '../errors.js';
import { MIN_TEXT_LAYER_CHARS, RENDER_DPI, type Limits } from '../limits.js';
import { assertPixelLimit, headerDimensions, isComplete, type OcrImage, type Orientation } from './image.js';
import { IDENTITY, indexPdfImages, normalizeRotation, transform, type Matrix, type PageLayout, type PdfImageIndex, type PlacedImage } from './pdf-images.js';
import { decodeJbig2, hasJbig2dec, Jbig2decError, jbig2decSettings, JBIG2DEC_TIMEOUT_MS } from './jbig2dec.js';
import { openableWithEmptyOwnerPassword } from './pdf-crypt.js';
import { isXfaPlaceholder, readXfaText } from './pdf-xfa.js';
import { countLayer, excerpt, judgeLayer, type LayerCount } from './text-layer.js';

type PDFParseType = import('pdf-parse').PDFParse;
type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');

export interface PdfPage {
  number: number;
  /** Text layer, or null when the page must be OCRed (it has none, or none that is text). */
  text: string | null;
  /** Non-space characters found in the text layer. */
  textLayerChars: number;
  /**
   * Where the page's text comes from when that is not simply its text layer, as the ingest stage's
   * message says it: OCR because there is no text layer, a garbled one (its start kept as `actual`,
   * for the audit trail) or a few characters over a scan; or an XFA form's data.
   */
  note?: { rule: 'no-text-layer' | 'text-layer-garbled' | 'text-layer-over-image' | 'xfa-form'; severity: 'info' | 'warning'; reason: string; actual?: string };
  loadImage(): Promise<OcrImage>;
}

export interface PdfDocument {
  pages: PdfPage[];
  close(): Promise<void>;
}

function nonSpaceChars(text: string): number {
  return text.replace(/\s+/g, '').length;
}

function classify(error: unknown, what: string): DocumentError {
  const e = error as Error;
  // pdf.js's own words only as the detail, in parentheses.
  const detail = `(pdf.js: ${e?.message ?? String(error)})`;
  switch (e?.name) {
    case 'PasswordException':
      // pdf.js has tried the empty user password already, with whichever standard filter (RC4, AES-128, AES-256) the file uses.
      return new DocumentError('encrypted-pdf', `${what} is encrypted and needs a password: it does not open with the empty password, as the user's or the owner's, that viewers try`, { cause: error });
    case 'InvalidPDFException':
      return new DocumentError('corrupt-pdf', `${what} is not a valid PDF: its structure cannot be found (truncated or damaged file) ${detail}`, { cause: error });
    case 'FormatError':
      return new DocumentError('corrupt-pdf', `${what} is damaged: an object in it is malformed ${detail}`, { cause: error });
    default:
      return new DocumentError('corrupt-pdf', `${what} cannot be read as a PDF ${detail}`, { cause: error });
  }
}

/** A page-level failure in our words, with pdf.js's only as the detail. */
function pageError(error: unknown, code: 'corrupt-pdf' | 'corrupt-image', doing: string): DocumentError {
  if (error instanceof DocumentError) return error;
  const detail = (error as Error)?.message ?? String(error);
  return new DocumentError(code, `${doing} (pdf.js: ${detail})`, { cause: error });
}

interface Context {
  limits: Limits;
  /** The pdf.js document pdf-parse opened. */
  doc(): Promise<PDFDocumentProxy>;
  /** pdf-lib's reading of the page structures, opened once per file on the first page that needs an image. */
  index(): Promise<PdfImageIndex>;
}

/**
 * pdf.js's own data files, read from node_modules (never fetched): the OpenJPEG decoder for JPEG 2000
 * images (wasm, with a JavaScript fallback), the standard 14 fonts for pages that use them without
 * embedding them, and the predefined CMaps of CJK fonts. Without them such images fail to decode
 * and such text renders blank.
 */
function pdfjsDataFiles(): { wasmUrl: string; standardFontDataUrl: string; cMapUrl: string; cMapPacked: true } {
  const root = dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
  // pdf.js's Node factories read these with fs.readFile: plain paths, ending in a separator.
  const dir = (name: string) => `${join(root, name)}/`;
  return { wasmUrl: dir('wasm'), standardFontDataUrl: dir('standard_fonts'), cMapUrl: dir('cmaps'), cMapPacked: true };
}

export async function openPdf(bytes: Buffer, limits: Limits, what: string): Promise<PdfDocument> {
  try {
    return await openParsed(bytes, limits, what);
  } catch (error) {
    if (!(error instanceof DocumentError && error.code === 'encrypted-pdf')) throw error;
    // pdf.js tried the empty password as the user's; viewers try it as the owner's too.
    const openable = await openableWithEmptyOwnerPassword(bytes).catch(() => null);
    if (!openable) throw error;
    return openParsed(openable, limits, what);
  }
}

async function openParsed(bytes: Buffer, limits: Limits, what: string): Promise<PdfDocument> {
  const { PDFParse } = await import('pdf-parse');
  const parser: PDFParseType = new PDFParse({
    // pdf.js takes ownership of (detaches) the buffer it is given: give it a copy.
    data: new Uint8Array(bytes),
    // Images above the pixel limit are not decoded at all.
    maxImageSize: limits.maxPixels,
    isEvalSupported: false,
    // Only errors: pdf.js warnings would otherwise go to stdout.
    verbosity: 0,
    ...pdfjsDataFiles(),
  } as ConstructorParameters<typeof PDFParse>[0]);
  const close = async () => {
    await parser.destroy().catch(() => undefined);
  };
  try {
    const info = await parser.getInfo();
    if (info.total > limits.maxPages) {
      throw new DocumentError('too-many-pages', `${what} has ${info.total} pages, above the limit of ${limits.maxPages} (--max-pages)`);
    }
    if (info.total === 0) throw new DocumentError('corrupt-pdf', `${what} has no pages`);
    const text = await parser.getText({ pageJoiner: '' });
    const xfa = (info.info as { IsXFAPresent?: boolean } | undefined)?.IsXFAPresent === true;
    if (xfa && isXfaPlaceholder(text.pages.map((p) => p.text))) {
      const pages = await xfaPages(bytes, text.pages, what);
      if (pages) {
        await close();
        return { pages, close };
      }
    }
    let index: Promise<PdfImageIndex> | undefined;
    const context: Context = { limits, doc: () => pdfjsDocument(parser), index: () => (index ??= indexPdfImages(bytes)) };
    const counts = text.pages.map((p) => countLayer(p.text));
    const whole = counts.reduce<LayerCount>((a, c) => ({ words: a.words + c.words, known: a.known + c.known, junk: a.junk + c.junk, chars: a.chars + c.chars }), { words: 0, known: 0, junk: 0, chars: 0 });
    const pages: PdfPage[] = [];
    for (const [i, p] of text.pages.entries()) {
      const chars = nonSpaceChars(p.text);
      const page: PdfPage = { number: p.num, text: p.text, textLayerChars: chars, loadImage: () => pageImage(context, p.num) };
      const verdict = judgeLayer(counts[i]!, whole);
      if (chars === 0) {
        page.note = { rule: 'no-text-layer', severity: 'info', reason: `page ${p.num} has no text layer: OCR` };
      } else if (verdict.garbled) {
        page.note = {
          rule: 'text-layer-garbled',
          severity: 'warning',
          reason: `page ${p.num} has a text layer that is not language (${verdict.why}), as a font with a broken ToUnicode map or a bad OCR layer leaves it: OCR instead; the layer's start is kept here`,
          actual: excerpt(p.text),
        };
      } else if (chars < MIN_TEXT_LAYER_CHARS && (await showsLargeImage(context, p.num))) {
        page.note = {
          rule: 'text-layer-over-image',
          severity: 'info',
          reason: `page ${p.num} has a text layer of only ${chars} characters and shows a large image (a stamp or page number over a scan): OCR of the page as shown`,
          actual: excerpt(p.text),
        };
      }
      if (page.note) page.text = null;
      pages.push(page);
    }
    return { pages, close };
  } catch (error) {
    await close();
    throw error instanceof DocumentError ? error : classify(error, what);
  }
}

/**
 * The pdf.js document behind pdf-parse (its `load`, which every pdf-parse method calls first; not in
 * its typings). pdf-parse is pinned exactly, so this cannot change under us unnoticed.
 */
async function pdfjsDocument(parser: PDFParseType): Promise<PDFDocumentProxy> {
  const load = (parser as unknown as { load?: () => Promise<PDFDocumentProxy> }).load;
  if (typeof load !== 'function') throw new Error('pdf-parse no longer exposes its pdf.js document (load); see src/ingest/pdf.ts');
  return load.call(parser);
}

const pdfjs = (): Promise<PdfJs> => import('pdfjs-dist/legacy/build/pdf.mjs');

async function pageImage(context: Context, number: number): Promise<OcrImage> {
  let page: PDFPageProxy;
  try {
    page = await (await context.doc()).getPage(number);
  } catch (error) {
    throw pageError(error, 'corrupt-pdf', 'the page cannot be read');
  }
  try {
    const view = page.view as [number, number, number, number];
    const rotate = normalizeRotation(page.rotate);
    const index = await context.index();
    const doc = await context.doc();
    // pdf-lib and pdf.js must agree on the pages for pdf-lib's reading to be used.
    let layout = index.pageCount === doc.numPages ? index.layout(number) : null;
    let operators: Awaited<ReturnType<PDFPageProxy['getOperatorList']>> | undefined;
    if (!layout) {
      operators = await page.getOperatorList().catch((error) => {
        throw pageError(error, 'corrupt-pdf', 'the page content cannot be read');
      });
      layout = layoutFromOperators(operators, await pdfjs());
    }
    layout = { ...layout, view, rotate };
    const scan = fullPageImage(layout);
    if (scan) {
      const { image, dpi, orientation } = scan;
      assertPixelLimit(image.width, image.height, context.limits, 'the page image');
      const base = { width: image.width, height: image.height, dpi, nominalDpi: true, orientation, origin: 'embedded' as const };
      const decoded = async (): Promise<OcrImage> => {
        if (image.filters.includes('JBIG2Decode') && jbig2decSettings.force) return viaJbig2dec(image, base, context.limits, 'forced');
        operators ??= await page.getOperatorList().catch((error) => {
          throw pageError(error, 'corrupt-image', 'the page image cannot be decoded');
        });
        let rgba: Uint8Array | null;
        try {
          rgba = await decodedImage(page, operators, image);
        } catch (error) {
          if (error instanceof DocumentError && error.code === 'corrupt-image' && image.filters.includes('JBIG2Decode')) return viaJbig2dec(image, base, context.limits, 'pdfjs-failed');
          throw error;
        }
        return rgba ? { ...base, rgba } : render(page, layout, context.limits);
      };
      if (image.jpeg && plainJpeg(image)) {
        // pdf.js decodes the JPEG only when Skia refuses it (pdf.js reloads what cleanup released).
        const fallback = () => decoded().finally(() => page.cleanup());
        return { ...base, data: image.jpeg, fallback };
      }
      return await decoded();
    }
    return await render(page, layout, context.limits);
  } finally {
    page.cleanup();
  }
}

/**
 * The pages of an XFA form whose pages hold a viewer placeholder (or nothing): the form's text, read
 * from its XFA packets, as page 1. Null when the pages are empty and the XFA cannot be read (the
 * pages are then read as any other); an error saying XFA when they hold the placeholder.
 */
async function xfaPages(bytes: Buffer, layers: Array<{ num: number; text: string }>, what: string): Promise<PdfPage[] | null> {
  const xfa = await readXfaText(bytes);
  const placeholder = layers.some((p) => nonSpaceChars(p.text) > 0);
  if (!xfa.ok) {
    if (!placeholder) return null;
    throw new DocumentError('unsupported-format', `${what} is an XFA form whose pages hold only a placeholder for viewers that cannot show XFA ("Please wait…"), and ${xfa.why}`);
  }
  const noImage = () => Promise.reject(new DocumentError('unsupported-format', 'an XFA form page has no image to OCR'));
  return layers.map((p, i) => ({
    number: p.num,
    text: i === 0 ? xfa.text : '',
    textLayerChars: nonSpaceChars(p.text),
    loadImage: noImage,
    ...(i === 0
      ? {
          note: {
            rule: 'xfa-form' as const,
            severity: 'info' as const,
            reason: `an XFA form: the text is read from its XFA ${xfa.packets.join(' and ')} packets${placeholder ? ', not from its pages (a viewer placeholder)' : ' (its pages are empty)'}`,
            actual: placeholder ? excerpt(layers.map((l) => l.text).join(' ')) : undefined,
          },
        }
      : {}),
  }));
}

/**
 * The page paints an image covering a large share of it (a scan, perhaps under a short text layer).
 * False when the page cannot be read this way: its short layer is then kept.
 */
async function showsLargeImage(context: Context, number: number): Promise<boolean> {
  try {
    const [index, doc] = await Promise.all([context.index(), context.doc()]);
    let layout = index.pageCount === doc.numPages ? index.layout(number) : null;
    if (!layout) {
      const page = await doc.getPage(number);
      try {
        layout = { ...layoutFromOperators(await page.getOperatorList(), await pdfjs()), view: page.view as [number, number, number, number] };
      } finally {
        page.cleanup();
      }
    }
    const view = layout.view;
    return layout.images.some((i) => overlap(bounds(i.matrix), view) >= LARGE_IMAGE * area(view));
  } catch {
    return false;
  }
}

/** The JPEG is whole and its header says it has the size the PDF declares (else pdf.js decodes it). */
function plainJpeg(image: PlacedImage): boolean {
  if (!isComplete(image.jpeg!)) return false;
  try {
    const real = headerDimensions(image.jpeg!, 'the page image');
    return real.width === image.width && real.height === image.height;
  } catch {
    return false;
  }
}

/** The image covers at least this share of the page, and the page shows at least this share of it. */
const FULL_PAGE = 0.85;
/** Horizontal and vertical resolution of an image taken as it is agree this closely (else it is rendered). */
const SQUARE_PIXELS = 0.03;

/** The corners of a matrix's unit square: x0, y0, x1, y1. */
function bounds(m: Matrix): [number, number, number, number] {
  const xs = [m[4], m[4] + m[0], m[4] + m[2], m[4] + m[0] + m[2]];
  const ys = [m[5], m[5] + m[1], m[5] + m[3], m[5] + m[1] + m[3]];
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

function area(b: [number, number, number, number]): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

function overlap(a: [number, number, number, number], b: [number, number, number, number]): number {
  return area([Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.min(a[2], b[2]), Math.min(a[3], b[3])]);
}

/** Image pixels per point along the image's width and height. */
function pixelsPerPoint(image: PlacedImage): { x: number; y: number } {
  const [a, b, c, d] = image.matrix;
  return { x: image.width / Math.hypot(a, b), y: image.height / Math.hypot(c, d) };
}

/** Clockwise quarter turns in device space (y down), as canvas matrices [a b c d]. */
const ROTATIONS: Record<number, [number, number, number, number]> = { 0: [1, 0, 0, 1], 90: [0, 1, -1, 0], 180: [-1, 0, 0, -1], 270: [0, -1, 1, 0] };

/**
 * How an image's pixels stand on the page as shown: pixel (x, y), row 0 at the top of the image,
 * maps through the image's unit square, the placing matrix, the flip to device space (y down) and
 * the page's /Rotate. Null when the image is placed at an angle other than a quarter turn.
 */
export function imageOrientation(image: PlacedImage, rotate: number): Orientation | null {
  // pixel → unit square: (x / w, 1 − y / h); then the matrix; then y flipped.
  const [a, b, c, d] = image.matrix;
  const pixel: Matrix = [1 / image.width, 0, 0, -1 / image.height, 0, 1];
  const flip: Matrix = [1, 0, 0, -1, 0, 0];
  const r = ROTATIONS[rotate] ?? ROTATIONS[0]!;
  const m = transform([r[0], r[1], r[2], r[3], 0, 0], transform(flip, transform([a, b, c, d, 0, 0], pixel)));
  const size = Math.max(Math.abs(m[0]), Math.abs(m[1]), Math.abs(m[2]), Math.abs(m[3]));
  const snap = (v: number) => (Math.abs(v) < size * 1e-3 ? 0 : Math.sign(v));
  const o = [snap(m[0]), snap(m[1]), snap(m[2]), snap(m[3])] as const;
  // A quarter turn or mirror has exactly one non-zero entry in each row and column.
  const ok = (o[0] !== 0 && o[3] !== 0 && o[1] === 0 && o[2] === 0) || (o[0] === 0 && o[3] === 0 && o[1] !== 0 && o[2] !== 0);
  return ok ? o : null;
}

/**
 * The page is one plain image covering it, nothing else painted: the scan, with its orientation and
 * the resolution the page size implies. Null for every other page.
 */
export function fullPageImage(layout: PageLayout): { image: PlacedImage; dpi: number; orientation: Orientation } | null {
  if (layout.images.length !== 1 || layout.text || layout.paths || layout.composed) return null;
  const image = layout.images[0]!;
  if (image.inline || image.masked || !(image.width > 0 && image.height > 0)) return null;
  const orientation = imageOrientation(image, layout.rotate);
  if (!orientation) return null;
  const placed = bounds(image.matrix);
  const shown = overlap(placed, layout.view);
  if (shown < FULL_PAGE * area(layout.view) || shown < FULL_PAGE * area(placed)) return null;
  const ppp = pixelsPerPoint(image);
  if (Math.abs(ppp.x / ppp.y - 1) > SQUARE_PIXELS) return null;
  return { image, dpi: Math.round(ppp.x * 72), orientation };
}

/**
 * The page's layout from pdf.js's operator list, for pages pdf-lib cannot read (encrypted files,
 * broken structures). pdf.js has decoded the images by then; inline images are never waited for.
 */
function layoutFromOperators(list: { fnArray: number[]; argsArray: unknown[][] }, { OPS }: PdfJs): PageLayout {
  const layout: PageLayout = { view: [0, 0, 0, 0], rotate: 0, images: [], text: false, paths: false, composed: false };
  let ctm = IDENTITY;
  let textMode = 0;
  const stack: Array<{ ctm: Matrix; textMode: number }> = [];
  const image = (inline: boolean, width: number, height: number, masked = false) =>
    layout.images.push({ inline, width, height, matrix: ctm, masked, filters: [] });
  list.fnArray.forEach((fn, i) => {
    const args = list.argsArray[i] ?? [];
    switch (fn) {
      case OPS.save:
        stack.push({ ctm, textMode });
        break;
      case OPS.restore:
        ({ ctm, textMode } = stack.pop() ?? { ctm, textMode });
        break;
      case OPS.transform:
        ctm = transform(ctm, args as Matrix);
        break;
      case OPS.paintFormXObjectBegin:
        stack.push({ ctm, textMode });
        if (Array.isArray(args[0]) || ArrayBuffer.isView(args[0])) ctm = transform(ctm, Array.from(args[0] as number[]) as Matrix);
        break;
      case OPS.paintFormXObjectEnd:
        ({ ctm, textMode } = stack.pop() ?? { ctm, textMode });
        break;
      case OPS.setTextRenderingMode:
        textMode = Number(args[0]);
        break;
      case OPS.showText:
      case OPS.showSpacedText:
      case OPS.nextLineShowText:
      case OPS.nextLineSetSpacingShowText:
        if (textMode !== 3 && textMode !== 7) layout.text = true;
        break;
      case OPS.constructPath:
        if (args[0] !== OPS.endPath) layout.paths = true;
        break;
      case OPS.stroke:
      case OPS.closeStroke:
      case OPS.fill:
      case OPS.eoFill:
      case OPS.fillStroke:
      case OPS.eoFillStroke:
      case OPS.closeFillStroke:
      case OPS.closeEOFillStroke:
      case OPS.shadingFill:
      case OPS.rawFillPath:
        layout.paths = true;
        break;
      case OPS.beginGroup:
        layout.composed = true;
        break;
      case OPS.paintImageXObject:
        image(false, Number(args[1]), Number(args[2]));
        break;
      case OPS.paintInlineImageXObject:
      case OPS.paintInlineImageXObjectGroup:
        image(true, 0, 0);
        break;
      case OPS.paintImageMaskXObject:
      case OPS.paintImageMaskXObjectGroup:
      case OPS.paintImageMaskXObjectRepeat:
      case OPS.paintSolidColorImageMask:
      case OPS.paintImageXObjectRepeat:
        image(false, 0, 0, true);
        break;
    }
  });
  return layout;
}

/** The page image, named for messages: its resource and object where known, size and filters. */
function imageName(image: PlacedImage): string {
  const filters = image.filters.join(', ') || 'no filter';
  return `the page image (${image.label ? `${image.label}, ` : ''}${image.width}×${image.height}, ${filters})`;
}

/** The page's image did not decode: which image, and what pdf.js cannot read in it where that is known. */
function undecodable(image: PlacedImage): DocumentError {
  // pdf.js's JBIG2 decoder lacks some of the standard (some combination operators, refinement templates).
  const why = image.filters.includes('JBIG2Decode') ? ': damaged, or JBIG2 features that pdf.js does not decode' : '';
  return new DocumentError('corrupt-image', `${imageName(image)} cannot be decoded${why}`);
}

/**
 * A JBIG2 page image decoded by jbig2dec: when pdf.js could not decode it, or when a test forces it.
 * Without jbig2dec the page fails as before, saying that installing it would read the image.
 */
async function viaJbig2dec(image: PlacedImage, base: Omit<OcrImage, 'rgba' | 'data'>, limits: Limits, why: 'pdfjs-failed' | 'forced'): Promise<OcrImage> {
  const which = imageName(image);
  const pdfjsSays = 'pdf.js cannot decode it (damaged, or JBIG2 features that pdf.js does not decode)';
  if (!hasJbig2dec()) {
    throw new DocumentError('corrupt-image', `${which} cannot be decoded: ${pdfjsSays}; installing jbig2dec (Debian package jbig2dec) would read it unless it is damaged`);
  }
  if (!image.jbig2) {
    throw new DocumentError('corrupt-image', `${which} cannot be decoded: ${pdfjsSays}, and its JBIG2 data cannot be taken from the file for jbig2dec (its structure is readable by pdf.js only)`);
  }
  let bitonal: Awaited<ReturnType<typeof decodeJbig2>>;
  let inverted: boolean;
  try {
    const streams = image.jbig2();
    inverted = streams.inverted;
    bitonal = await decodeJbig2(streams.data, streams.globals, { timeoutMs: JBIG2DEC_TIMEOUT_MS, maxPixels: limits.maxPixels });
  } catch (error) {
    const detail = error instanceof Jbig2decError ? error.message : `its JBIG2 data cannot be read from the file (${(error as Error)?.message ?? String(error)})`;
    throw new DocumentError('corrupt-image', `${which} cannot be decoded: ${why === 'forced' ? '' : `${pdfjsSays}, and `}${detail}`, { cause: error });
  }
  // The declared size wins: jbig2dec's page is cut or padded with white to it.
  const { width, height } = base;
  const rowBytes = (bitonal.width + 7) >> 3;
  const rgba = new Uint8Array(width * height * 4).fill(255);
  for (let y = 0; y < Math.min(height, bitonal.height); y++) {
    const row = y * rowBytes;
    for (let x = 0, p = y * width * 4; x < Math.min(width, bitonal.width); x++, p += 4) {
      // JBIG2 (and PBM) 1 = black; /Decode [1 0] inverts. An /ImageMask is never taken as a page scan.
      const black = (((bitonal.bits[row + (x >> 3)]! >> (7 - (x & 7))) & 1) === 1) !== inverted;
      if (black) rgba[p] = rgba[p + 1] = rgba[p + 2] = 0;
    }
  }
  const size = bitonal.width === width && bitonal.height === height ? '' : ` (jbig2dec's page is ${bitonal.width}×${bitonal.height}: taken at the declared size)`;
  const reason = why === 'forced' ? `${which} decoded by jbig2dec${size}` : `${which} decoded by jbig2dec: ${pdfjsSays}${size}`;
  return { ...base, rgba, note: { rule: 'jbig2dec', severity: 'info', reason } };
}

/** How long a decoded image may take to arrive from pdf.js's worker once its operator is listed. */
const IMAGE_WAIT_MS = 30_000;

/**
 * The page's one image as pdf.js decoded it, as RGBA; null when pdf.js holds it in a form this does
 * not read (the page is then rendered). A 1-bit image's rows are padded to whole bytes.
 */
async function decodedImage(page: PDFPageProxy, list: { fnArray: number[]; argsArray: unknown[][] }, image: PlacedImage): Promise<Uint8Array | null> {
  const { OPS, ImageKind } = await pdfjs();
  const at = list.fnArray.findIndex((fn, i) => fn === OPS.paintImageXObject && Number(list.argsArray[i]![1]) === image.width && Number(list.argsArray[i]![2]) === image.height);
  // pdf.js leaves out an image it could not decode.
  if (at < 0) throw undecodable(image);
  const id = String(list.argsArray[at]![0]);
  const objects = id.startsWith('g_') ? page.commonObjs : page.objs;
  const data = await new Promise<{ width: number; height: number; kind?: number; data?: Uint8Array | Uint8ClampedArray } | null>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DocumentError('corrupt-image', `the page image did not arrive from pdf.js within ${IMAGE_WAIT_MS / 1000} s`)), IMAGE_WAIT_MS);
    objects.get(id, (value: unknown) => {
      clearTimeout(timer);
      resolve(value as never);
    });
  });
  // pdf.js lists the image but hands over nothing when its data does not decode.
  if (!data) throw undecodable(image);
  if (!data.data || data.width !== image.width || data.height !== image.height) return null;
  const { width, height } = data;
  const src = data.data;
  const rgba = new Uint8Array(width * height * 4);
  switch (data.kind) {
    case ImageKind.GRAYSCALE_1BPP: {
      // Rows start on byte boundaries: a width that is not a multiple of 8 leaves padding bits.
      const rowBytes = (width + 7) >> 3;
      if (src.length < rowBytes * height) return null;
      for (let y = 0, p = 0; y < height; y++) {
        const row = y * rowBytes;
        for (let x = 0; x < width; x++, p += 4) {
          const v = (src[row + (x >> 3)]! >> (7 - (x & 7))) & 1 ? 255 : 0;
          rgba[p] = rgba[p + 1] = rgba[p + 2] = v;
          rgba[p + 3] = 255;
        }
      }
      return rgba;
    }
    case ImageKind.RGB_24BPP:
      if (src.length < width * height * 3) return null;
      for (let s = 0, p = 0; p < rgba.length; s += 3, p += 4) {
        rgba[p] = src[s]!;
        rgba[p + 1] = src[s + 1]!;
        rgba[p + 2] = src[s + 2]!;
        rgba[p + 3] = 255;
      }
      return rgba;
    case ImageKind.RGBA_32BPP:
      if (src.length < rgba.length) return null;
      rgba.set(src.subarray(0, rgba.length));
      return rgba;
    default:
      return null;
  }
}

/** Images covering at least this share of the page set the resolution of its render. */
const LARGE_IMAGE = 0.25;

/**
 * Renders the page (with its /Rotate) into a canvas of whole pixels. A page dominated by images and
 * without vector text is rendered at the resolution of its sharpest large image (its own pixels;
 * the resolution is then nominal), others at 300 dpi; never above the pixel limit.
 */
async function render(page: PDFPageProxy, layout: PageLayout, limits: Limits): Promise<OcrImage> {
  const large = layout.images.filter((i) => i.width > 0 && overlap(bounds(i.matrix), layout.view) >= LARGE_IMAGE * area(layout.view));
  const imageScale = Math.max(0, ...large.map((i) => Math.max(pixelsPerPoint(i).x, pixelsPerPoint(i).y)));
  const byImage = large.length > 0 && !layout.text;
  const wanted = byImage ? imageScale : Math.max(RENDER_DPI / 72, imageScale);
  const [x0, y0, x1, y1] = layout.view;
  // Never render more pixels than the limit allows (a page can declare an enormous MediaBox).
  const scale = Math.min(wanted, Math.sqrt(limits.maxPixels / ((x1 - x0) * (y1 - y0))));
  const viewport = page.getViewport({ scale });
  let width = Math.max(1, Math.round(viewport.width));
  let height = Math.max(1, Math.round(viewport.height));
  if (width * height > limits.maxPixels) [width, height] = [Math.floor(viewport.width), Math.floor(viewport.height)];
  assertPixelLimit(width, height, limits, 'the page render');
  const { createCanvas } = await import('@napi-rs/canvas');
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  try {
    await page.render({ canvasContext: ctx as never, canvas: canvas as never, viewport }).promise;
  } catch (error) {
    throw pageError(error, 'corrupt-pdf', 'the page cannot be rendered');
  }
  const pixels = ctx.getImageData(0, 0, width, height).data;
  return {
    rgba: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength),
    width,
    height,
    dpi: Math.round(scale * 72),
    nominalDpi: byImage,
    origin: 'render',
  };
}
