/**
 * PDFs through pdf-parse (pdf.js): the text layer of each page where it has one; for pages without
 * one, the image to OCR: the embedded full-page scan at its own resolution when there is one
 * (sharper and cheaper than re-rendering), else a render at 300 dpi. A scan stored as JPEG is taken
 * byte for byte (pdf-images.ts); other encodings are decoded by pdf.js.
 */
import { DocumentError } from '../errors.js';
import { MIN_TEXT_LAYER_CHARS, RENDER_DPI, type Limits } from '../limits.js';
import { assertPixelLimit, headerDimensions, isComplete, type OcrImage } from './image.js';
import { indexPdfImages, type PdfImageIndex } from './pdf-images.js';

type PDFParseType = import('pdf-parse').PDFParse;

export interface PdfPage {
  number: number;
  /** Text layer, or null when the page has none and must be OCRed. */
  text: string | null;
  /** Non-space characters found in the text layer. */
  textLayerChars: number;
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
  switch (e?.name) {
    case 'PasswordException':
      return new DocumentError('encrypted-pdf', `${what} is encrypted and needs a password (${e.message})`, { cause: error });
    case 'InvalidPDFException':
      return new DocumentError('corrupt-pdf', `${what} is not a valid PDF: ${e.message} (truncated or damaged file)`, { cause: error });
    case 'FormatError':
      return new DocumentError('corrupt-pdf', `${what} is damaged: ${e.message}`, { cause: error });
    default:
      return new DocumentError('corrupt-pdf', `${what} cannot be read: ${e?.message ?? String(error)}`, { cause: error });
  }
}

/** Width/height ratio of two boxes agree within 3 %: the image is the whole page. */
function sameShape(aw: number, ah: number, bw: number, bh: number): boolean {
  return Math.abs(aw / ah - bw / bh) / (bw / bh) < 0.03;
}

export async function openPdf(bytes: Buffer, limits: Limits, what: string): Promise<PdfDocument> {
  const { PDFParse } = await import('pdf-parse');
  const parser: PDFParseType = new PDFParse({
    // pdf.js takes ownership of (detaches) the buffer it is given: give it a copy.
    data: new Uint8Array(bytes),
    // Images above the pixel limit are not decoded at all.
    maxImageSize: limits.maxPixels,
    isEvalSupported: false,
    // Only errors: pdf.js warnings would otherwise go to stdout.
    verbosity: 0,
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
    // Opened on the first page that needs an image, once per file.
    let images: Promise<PdfImageIndex> | undefined;
    const index = () => (images ??= indexPdfImages(bytes));
    const pages: PdfPage[] = text.pages.map((p) => {
      const chars = nonSpaceChars(p.text);
      return {
        number: p.num,
        text: chars >= MIN_TEXT_LAYER_CHARS ? p.text : null,
        textLayerChars: chars,
        loadImage: () => pageImage(parser, index, p.num, limits, what),
      };
    });
    return { pages, close };
  } catch (error) {
    await close();
    throw error instanceof DocumentError ? error : classify(error, what);
  }
}

/** The JPEG is whole and itself says it has the size the PDF declares (else it goes the careful way, through pdf.js). */
function sameSize(declared: { width: number; height: number }, jpeg: Buffer, what: string): boolean {
  if (!isComplete(jpeg)) return false;
  try {
    const real = headerDimensions(jpeg, what);
    return real.width === declared.width && real.height === declared.height;
  } catch {
    return false;
  }
}

/** An embedded scan of at least this resolution is used as it is; a poorer one is better re-rendered at 300 dpi. */
const MIN_SCAN_DPI = 150;

/** The largest image with the page's shape (the scan of the whole page), when it is sharp enough to OCR as it is. */
function fullPageScan<T extends { width: number; height: number }>(images: T[], page: { width: number; height: number }): { image: T; dpi: number } | null {
  const image = images.filter((img) => sameShape(img.width, img.height, page.width, page.height)).sort((a, b) => b.width * b.height - a.width * a.height)[0];
  const dpi = image ? (image.width / page.width) * 72 : 0;
  return image && dpi >= MIN_SCAN_DPI ? { image, dpi: Math.round(dpi) } : null;
}

async function pageImage(parser: PDFParseType, index: () => Promise<PdfImageIndex>, page: number, limits: Limits, what: string): Promise<OcrImage> {
  try {
    const info = await parser.getInfo({ parsePageInfo: true, partial: [page] });
    const size = info.pages[0];
    if (!size) throw new DocumentError('corrupt-pdf', `${what} page ${page} cannot be read`);
    const jpeg = fullPageScan((await index()).jpegs(page).filter((img) => sameSize(img, img.bytes, what)), size);
    if (jpeg) {
      assertPixelLimit(jpeg.image.width, jpeg.image.height, limits, `${what} page ${page} image`);
      return { data: jpeg.image.bytes, width: jpeg.image.width, height: jpeg.image.height, dpi: jpeg.dpi, origin: 'embedded' };
    }
    const embedded = await parser.getImage({ partial: [page], imageBuffer: true, imageDataUrl: false, imageThreshold: 300 });
    const scan = fullPageScan(embedded.pages[0]?.images ?? [], size);
    if (scan) {
      return { data: Buffer.from(scan.image.data), width: scan.image.width, height: scan.image.height, dpi: scan.dpi, origin: 'embedded' };
    }
    const wanted = RENDER_DPI / 72;
    // Never render more pixels than the limit allows (a page can declare an enormous MediaBox).
    const scale = Math.min(wanted, Math.sqrt(limits.maxPixels / (size.width * size.height)));
    assertPixelLimit(Math.floor(size.width * scale), Math.floor(size.height * scale), limits, `${what} page ${page} render`);
    const shot = await parser.getScreenshot({ partial: [page], scale, imageBuffer: true, imageDataUrl: false });
    const s = shot.pages[0];
    if (!s) throw new DocumentError('corrupt-pdf', `${what} page ${page} cannot be rendered`);
    return { data: Buffer.from(s.data), width: Math.round(s.width), height: Math.round(s.height), dpi: Math.round(scale * 72), origin: 'render' };
  } catch (error) {
    throw error instanceof DocumentError ? error : classify(error, `${what} page ${page}`);
  }
}
