/**
 * What a PDF page without a text layer is made of, read from its content stream with pdf-lib and
 * without decoding any image: the images it paints (XObjects and inline images), where they land
 * on the page, whether anything else is painted (text, paths, shadings) and whether soft masks
 * compose it. pdf.ts decides from this whether the page is one plain full-page scan (OCRed at its
 * own pixels) or must be rendered.
 *
 * A scanner stores each page as one image XObject; one compressed with DCTDecode is a complete JPEG
 * file, and reading those bytes (no decoding) is what makes scanned PDFs fast: pdf.js would decode
 * the JPEG in JavaScript, about 0.4 s for an A4 page at 200 dpi, before OCR decodes it again.
 * Other encodings (CCITT, JBIG2, Flate, JPEG 2000) are decoded by pdf.js (see pdf.ts); a JBIG2
 * image's own bytes are at hand too, for jbig2dec when pdf.js cannot decode it (see jbig2dec.ts).
 */
import type { PDFDict as PdfDict, PDFDocument as PdfLibDocument, PDFRawStream as PdfRawStream } from 'pdf-lib';

/** [a b c d e f]: (x, y) goes to (a·x + c·y + e, b·x + d·y + f), as in PDF and pdf.js. */
export type Matrix = [number, number, number, number, number, number];

export const IDENTITY: Matrix = [1, 0, 0, 1, 0, 0];

/** m1 after m2: apply m2, then m1 (pdf.js `Util.transform`). A `cm` operator makes CTM = transform(CTM, M). */
export function transform(m1: Matrix, m2: Matrix): Matrix {
  return [
    m1[0] * m2[0] + m1[2] * m2[1],
    m1[1] * m2[0] + m1[3] * m2[1],
    m1[0] * m2[2] + m1[2] * m2[3],
    m1[1] * m2[2] + m1[3] * m2[3],
    m1[0] * m2[4] + m1[2] * m2[5] + m1[4],
    m1[1] * m2[4] + m1[3] * m2[5] + m1[5],
  ];
}

export interface PlacedImage {
  /** An inline image (BI … ID … EI in the content stream): never a page scan. */
  inline: boolean;
  /** Size in pixels, as the image dictionary declares it. */
  width: number;
  height: number;
  /** Maps the image's unit square onto the page (user space). */
  matrix: Matrix;
  /** A stencil mask (/ImageMask), or an image with /SMask or /Mask: one layer of a composed page. */
  masked: boolean;
  /** The image's filters, e.g. ['DCTDecode'] or ['CCITTFaxDecode']. */
  filters: string[];
  /** Its resource name and object (`/Im0, object 12 0`), for error messages; unknown for images pdf.js listed. */
  label?: string;
  /** The JPEG file itself, when the image is a plain JPEG (DCTDecode only, no /Decode, no mask). */
  jpeg?: Buffer;
  /** For an image whose last filter is JBIG2Decode: its JBIG2 data and global segments, read when asked. */
  jbig2?: () => Jbig2Streams;
}

export interface Jbig2Streams {
  /** The stream's bytes after the filters before JBIG2Decode (embedded JBIG2 segments). */
  data: Uint8Array;
  /** The /JBIG2Globals stream of its DecodeParms, decoded, or null. */
  globals: Uint8Array | null;
  /** /Decode [1 0]: the image's samples are inverted. */
  inverted: boolean;
}

export interface PageLayout {
  /** The visible area (crop box within the media box): x0, y0, x1, y1 in user space. */
  view: [number, number, number, number];
  /** /Rotate, clockwise: 0, 90, 180 or 270. */
  rotate: number;
  images: PlacedImage[];
  /** Visible text is painted (not counting invisible text, such as an OCR layer). */
  text: boolean;
  /** Paths or shadings are painted. */
  paths: boolean;
  /** Soft masks (ExtGState /SMask) take part: what shows is not one image. */
  composed: boolean;
}

export interface EmbeddedJpeg {
  bytes: Buffer;
  width: number;
  height: number;
}

export interface PdfImageIndex {
  /** Pages pdf-lib found (0 when it could not read the file). */
  pageCount: number;
  /** What the page (1-based) paints, or null when its content cannot be read this way (pdf.js then decides). */
  layout(page: number): PageLayout | null;
  /** The plain JPEG images placed on a page (1-based). */
  jpegs(page: number): EmbeddedJpeg[];
}

const NONE: PdfImageIndex = { pageCount: 0, layout: () => null, jpegs: () => [] };

/** Content streams of a page and its forms, operators interpreted: beyond this it is not read. */
const MAX_OPERATORS = 2_000_000;
const MAX_FORM_DEPTH = 12;

export function normalizeRotation(rotate: number): number {
  return Number.isInteger(rotate) && rotate % 90 === 0 ? ((rotate % 360) + 360) % 360 : 0;
}

/** Opens the PDF structure once; an index that finds nothing when pdf-lib cannot read the file. */
export async function indexPdfImages(bytes: Uint8Array): Promise<PdfImageIndex> {
  const lib = await import('pdf-lib');
  const { PDFDocument, PDFName, PDFRawStream, PDFArray, PDFNumber, PDFDict, PDFBool, PDFRef, decodePDFRawStream } = lib;
  let doc: PdfLibDocument;
  try {
    doc = await PDFDocument.load(bytes, { ignoreEncryption: true, updateMetadata: false, throwOnInvalidObject: false });
  } catch {
    return NONE;
  }
  // Stream contents of an encrypted file are ciphertext.
  if (doc.isEncrypted) return NONE;
  let pages: ReturnType<PdfLibDocument['getPages']>;
  try {
    pages = doc.getPages();
  } catch {
    return NONE;
  }
  const name = (n: string) => PDFName.of(n);
  const num = (o: unknown): number | undefined => (o instanceof PDFNumber ? o.asNumber() : undefined);
  const layouts = new Map<number, PageLayout | null>();

  const layout = (page: number): PageLayout | null => {
    if (!layouts.has(page)) {
      let found: PageLayout | null;
      try {
        found = readLayout(page);
      } catch {
        // A structure pdf-lib cannot follow: pdf.js decides instead.
        found = null;
      }
      layouts.set(page, found);
    }
    return layouts.get(page)!;
  };
  return {
    pageCount: pages.length,
    layout,
    jpegs: (page) =>
      (layout(page)?.images ?? []).filter((i) => i.jpeg).map((i) => ({ bytes: i.jpeg!, width: i.width, height: i.height })),
  };

  function box(o: unknown): [number, number, number, number] | undefined {
    if (!(o instanceof PDFArray) || o.size() !== 4) return undefined;
    const v = o.asArray().map((x) => num(doc.context.lookup(x)));
    if (v.some((x) => x === undefined || !Number.isFinite(x))) return undefined;
    const [a, b, c, d] = v as number[];
    return [Math.min(a!, c!), Math.min(b!, d!), Math.max(a!, c!), Math.max(b!, d!)];
  }

  function streamBytes(stream: PdfRawStream): Uint8Array {
    return stream.dict.has(name('Filter')) ? decodePDFRawStream(stream).decode() : stream.getContents();
  }

  function filtersOf(dict: PdfDict): string[] {
    const filter = dict.lookup(name('Filter'));
    const list = filter instanceof PDFArray ? filter.asArray().map((f) => doc.context.lookup(f)) : filter ? [filter] : [];
    return list.map((f) => String(f).replace(/^\//, ''));
  }

  /** A JBIG2 image's data (through the filters before JBIG2Decode), its globals and its /Decode. */
  function jbig2Streams(stream: PdfRawStream): Jbig2Streams {
    const dict = stream.dict;
    const filters = filtersOf(dict);
    const parmsEntry = dict.lookup(name('DecodeParms'));
    const parmsList = parmsEntry instanceof PDFArray ? parmsEntry.asArray().map((p) => doc.context.lookup(p)) : [parmsEntry];
    const own = parmsEntry instanceof PDFArray ? parmsList[filters.length - 1] : filters.length === 1 ? parmsEntry : undefined;
    let data: Uint8Array = stream.getContents();
    if (filters.length > 1) {
      // Only the filters before JBIG2Decode, with their own parameters.
      const before = dict.clone(doc.context);
      before.set(name('Filter'), doc.context.obj(filters.slice(0, -1).map((f) => name(f))));
      if (parmsEntry instanceof PDFArray) before.set(name('DecodeParms'), doc.context.obj(parmsEntry.asArray().slice(0, filters.length - 1)));
      else before.delete(name('DecodeParms'));
      data = decodePDFRawStream(PDFRawStream.of(before, data)).decode();
    }
    const globalsStream = own instanceof PDFDict ? own.lookup(name('JBIG2Globals')) : undefined;
    const globals = globalsStream instanceof PDFRawStream ? streamBytes(globalsStream) : null;
    const decode = dict.lookup(name('Decode'));
    const inverted = decode instanceof PDFArray && num(doc.context.lookup(decode.get(0))) === 1;
    return { data, globals, inverted };
  }

  function readLayout(page: number): PageLayout | null {
    const leaf = pages[page - 1]?.node;
    if (!leaf) return null;
    const media = box(leaf.MediaBox()) ?? [0, 0, 612, 792];
    const crop = box(leaf.CropBox()) ?? media;
    // pdf.js shows the crop box within the media box (the media box when they do not meet).
    const inter: [number, number, number, number] = [Math.max(media[0], crop[0]), Math.max(media[1], crop[1]), Math.min(media[2], crop[2]), Math.min(media[3], crop[3])];
    const view = inter[2] > inter[0] && inter[3] > inter[1] ? inter : media;
    const result: PageLayout = { view, rotate: normalizeRotation(num(leaf.Rotate()) ?? 0), images: [], text: false, paths: false, composed: false };
    const contents = leaf.Contents();
    const parts = contents instanceof PDFArray ? contents.asArray().map((r) => doc.context.lookup(r)) : contents ? [contents] : [];
    const chunks: Uint8Array[] = [];
    for (const part of parts) {
      if (!(part instanceof PDFRawStream)) return null;
      chunks.push(streamBytes(part), new Uint8Array([0x0a]));
    }
    const budget = { operators: MAX_OPERATORS };
    const ok = interpret(concat(chunks), leaf.Resources(), IDENTITY, result, budget, 0, new Set());
    return ok ? result : null;
  }

  /** Runs a content stream, recording what it paints into `out`. False when it cannot be followed. */
  function interpret(content: Uint8Array, resources: PdfDict | undefined, base: Matrix, out: PageLayout, budget: { operators: number }, depth: number, forms: Set<unknown>): boolean {
    const xobjects = resources?.lookupMaybe(name('XObject'), PDFDict);
    const states = resources?.lookupMaybe(name('ExtGState'), PDFDict);
    let ctm = base;
    let textMode = 0;
    const stack: Array<{ ctm: Matrix; textMode: number }> = [];
    const lexer = new Lexer(content);
    const operands: Operand[] = [];
    for (let token = lexer.next(); token !== null; token = lexer.next()) {
      if (token.kind !== 'op') {
        operands.push(token);
        if (operands.length > 64) operands.shift();
        continue;
      }
      if (--budget.operators < 0) return false;
      const op = token.value;
      // Only cm, Tr, gs and Do look at their operands.
      const numbers = () => operands.filter((o): o is { kind: 'number'; value: number } => o.kind === 'number').map((o) => o.value);
      const lastName = () => [...operands].reverse().find((o) => o.kind === 'name')?.value;
      switch (op) {
        case 'q':
          stack.push({ ctm, textMode });
          break;
        case 'Q':
          ({ ctm, textMode } = stack.pop() ?? { ctm, textMode });
          break;
        case 'cm': {
          const m = numbers();
          if (m.length >= 6) ctm = transform(ctm, m.slice(-6) as Matrix);
          break;
        }
        case 'Tr':
          textMode = numbers().at(-1) ?? textMode;
          break;
        case 'Tj':
        case 'TJ':
        case "'":
        case '"':
          // Modes 3 (invisible, an OCR layer) and 7 (clip only) paint nothing.
          if (textMode !== 3 && textMode !== 7) out.text = true;
          break;
        case 'S':
        case 's':
        case 'f':
        case 'F':
        case 'f*':
        case 'B':
        case 'B*':
        case 'b':
        case 'b*':
        case 'sh':
          out.paths = true;
          break;
        case 'gs': {
          const key = lastName();
          const state = key ? states?.lookupMaybe(name(key), PDFDict) : undefined;
          const smask = state?.lookup(name('SMask'));
          if (smask && smask !== name('None')) out.composed = true;
          break;
        }
        case 'BI': {
          const image = lexer.inlineImage();
          if (!image) return false;
          out.images.push({ inline: true, width: image.width, height: image.height, matrix: ctm, masked: image.mask, filters: image.filters });
          break;
        }
        case 'Do': {
          const key = lastName();
          const ref = key ? xobjects?.get(name(key)) : undefined;
          const label = `/${key}${ref instanceof PDFRef ? `, object ${ref.objectNumber} ${ref.generationNumber}` : ''}`;
          const stream = ref ? doc.context.lookup(ref) : undefined;
          if (!(stream instanceof PDFRawStream)) break;
          const dict = stream.dict;
          const subtype = dict.lookup(name('Subtype'));
          if (subtype === name('Image')) {
            const width = num(dict.lookup(name('Width'))) ?? 0;
            const height = num(dict.lookup(name('Height'))) ?? 0;
            const stencil = dict.lookup(name('ImageMask')) === PDFBool.True;
            const masked = stencil || dict.has(name('SMask')) || dict.has(name('Mask'));
            const filters = filtersOf(dict);
            const image: PlacedImage = { inline: false, width, height, matrix: ctm, masked, filters, label };
            if (!masked && filters.length === 1 && filters[0] === 'DCTDecode' && !dict.has(name('Decode'))) {
              const bytes = stream.getContents();
              // A JPEG starts with SOI (FF D8).
              if (bytes[0] === 0xff && bytes[1] === 0xd8) image.jpeg = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
            }
            if (filters.at(-1) === 'JBIG2Decode') image.jbig2 = () => jbig2Streams(stream);
            out.images.push(image);
          } else if (subtype === name('Form')) {
            if (depth >= MAX_FORM_DEPTH || forms.has(stream)) return false;
            const matrix = dict.lookup(name('Matrix'));
            const m = matrix instanceof PDFArray && matrix.size() === 6 ? (matrix.asArray().map((x) => num(doc.context.lookup(x)) ?? 0) as Matrix) : IDENTITY;
            if (dict.has(name('Group'))) {
              // A transparency group: what shows may be composed (soft masks, blending).
              const group = dict.lookupMaybe(name('Group'), PDFDict);
              if (group?.lookup(name('S')) === name('Transparency')) out.composed = true;
            }
            forms.add(stream);
            const own = dict.lookupMaybe(name('Resources'), PDFDict) ?? resources;
            const ok = interpret(streamBytes(stream), own, transform(ctm, m), out, budget, depth + 1, forms);
            forms.delete(stream);
            if (!ok) return false;
          }
          break;
        }
      }
      operands.length = 0;
    }
    return true;
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

type Operand = { kind: 'number'; value: number } | { kind: 'name'; value: string } | { kind: 'other'; value: string };
type Token = Operand | { kind: 'op'; value: string };

const WHITE = new Set([0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]);
const DELIMITER = new Set([0x28, 0x29, 0x3c, 0x3e, 0x5b, 0x5d, 0x7b, 0x7d, 0x2f, 0x25]);

/** A tokenizer for content streams: enough of the syntax to find operators and their operands. */
class Lexer {
  private at = 0;
  constructor(private readonly b: Uint8Array) {}

  next(): Token | null {
    const b = this.b;
    for (;;) {
      while (this.at < b.length && WHITE.has(b[this.at]!)) this.at++;
      if (this.at >= b.length) return null;
      if (b[this.at] !== 0x25) break;
      // A comment runs to the end of the line.
      while (this.at < b.length && b[this.at] !== 0x0a && b[this.at] !== 0x0d) this.at++;
    }
    const c = b[this.at]!;
    if (c === 0x28) return this.literalString();
    if (c === 0x3c) {
      if (b[this.at + 1] === 0x3c) {
        this.at += 2;
        return { kind: 'other', value: '<<' };
      }
      const end = b.indexOf(0x3e, this.at);
      this.at = end < 0 ? b.length : end + 1;
      return { kind: 'other', value: 'hex' };
    }
    if (c === 0x3e) {
      this.at += b[this.at + 1] === 0x3e ? 2 : 1;
      return { kind: 'other', value: '>>' };
    }
    if (c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d) {
      this.at++;
      return { kind: 'other', value: String.fromCharCode(c) };
    }
    if (c === 0x2f) {
      this.at++;
      return { kind: 'name', value: this.word() };
    }
    const word = this.word() || String.fromCharCode(b[this.at++]!);
    if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(word)) return { kind: 'number', value: Number(word) };
    if (word === 'true' || word === 'false' || word === 'null') return { kind: 'other', value: word };
    return { kind: 'op', value: word };
  }

  private word(): string {
    const start = this.at;
    while (this.at < this.b.length && !WHITE.has(this.b[this.at]!) && !DELIMITER.has(this.b[this.at]!)) this.at++;
    return Buffer.from(this.b.subarray(start, this.at)).toString('latin1');
  }

  private literalString(): Token {
    const b = this.b;
    let depth = 0;
    for (; this.at < b.length; this.at++) {
      const c = b[this.at]!;
      if (c === 0x5c) this.at++;
      else if (c === 0x28) depth++;
      else if (c === 0x29 && --depth === 0) {
        this.at++;
        break;
      }
    }
    return { kind: 'other', value: 'string' };
  }

  /**
   * After BI: the image's dictionary up to ID, then its data, skipped up to EI. Null when the
   * stream ends first.
   */
  inlineImage(): { width: number; height: number; mask: boolean; filters: string[] } | null {
    const entries = new Map<string, Token[]>();
    let key: string | undefined;
    for (let token = this.next(); ; token = this.next()) {
      if (token === null) return null;
      if (token.kind === 'op' && token.value === 'ID') break;
      if (token.kind === 'name' && (key === undefined || (entries.get(key)?.length ?? 0) > 0)) {
        key = token.value;
        entries.set(key, []);
      } else if (key !== undefined) entries.get(key)!.push(token);
    }
    const value = (...keys: string[]) => keys.map((k) => entries.get(k)).find((v) => v !== undefined) ?? [];
    const number = (...keys: string[]) => {
      const v = value(...keys)[0];
      return v?.kind === 'number' ? v.value : 0;
    };
    // One white-space byte separates ID from the data; its length is given only since PDF 2.0.
    this.at++;
    const length = number('L', 'Length');
    const b = this.b;
    let i = length > 0 ? Math.min(b.length, this.at + length) : this.at;
    // EI, delimited by white space (or the end of the stream) on both sides.
    for (; i + 1 < b.length; i++) {
      if (b[i] === 0x45 && b[i + 1] === 0x49 && (i === 0 || WHITE.has(b[i - 1]!)) && (i + 2 >= b.length || WHITE.has(b[i + 2]!))) break;
    }
    if (i + 1 >= b.length) return null;
    this.at = i + 2;
    const filters = value('F', 'Filter')
      .filter((t) => t.kind === 'name')
      .map((t) => t.value);
    const mask = value('IM', 'ImageMask').some((t) => t.kind === 'other' && t.value === 'true');
    return { width: number('W', 'Width'), height: number('H', 'Height'), mask, filters };
  }
}
