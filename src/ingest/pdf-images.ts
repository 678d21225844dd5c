/**
 * The JPEG of a scanned PDF page, exactly as the scanner wrote it. Scanners store each page as one
 * image XObject compressed with DCTDecode, which is a complete JPEG file. Reading those bytes with
 * pdf-lib (no decoding) is what makes scanned PDFs fast: pdf.js would decode the JPEG in JavaScript
 * and pdf-parse would then re-encode it as PNG, about 1.9 s for an A4 page at 300 dpi, before OCR
 * decodes it again.
 *
 * Only plain JPEGs are taken this way. Other encodings (CCITT, JBIG2, Flate, JPEG 2000), images with
 * a Decode array or a mask, and encrypted files are left to pdf.js (see pdf.ts).
 */
import type { PDFDocument as PdfLibDocument } from 'pdf-lib';

export interface EmbeddedJpeg {
  bytes: Buffer;
  width: number;
  height: number;
}

export interface PdfImageIndex {
  /** The JPEG images placed on a page (1-based). */
  jpegs(page: number): EmbeddedJpeg[];
}

const NONE: PdfImageIndex = { jpegs: () => [] };

/** Opens the PDF structure once; an index that finds nothing when pdf-lib cannot read the file. */
export async function indexPdfImages(bytes: Uint8Array): Promise<PdfImageIndex> {
  const { PDFDocument, PDFName, PDFRawStream, PDFArray, PDFNumber, PDFDict } = await import('pdf-lib');
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
  return {
    jpegs(page: number): EmbeddedJpeg[] {
      try {
        return pageJpegs(page);
      } catch {
        // A structure pdf-lib cannot follow: pdf.js gets the page image instead.
        return [];
      }
    },
  };

  function pageJpegs(page: number): EmbeddedJpeg[] {
    const leaf = pages[page - 1]?.node;
    const xobjects = leaf?.Resources()?.lookupMaybe(name('XObject'), PDFDict);
    if (!xobjects) return [];
    const found: EmbeddedJpeg[] = [];
    for (const [, ref] of xobjects.entries()) {
      const stream = doc.context.lookup(ref);
      if (!(stream instanceof PDFRawStream)) continue;
      const dict = stream.dict;
      if (dict.get(name('Subtype')) !== name('Image')) continue;
      const filter = dict.lookup(name('Filter'));
      const filters = filter instanceof PDFArray ? filter.asArray() : [filter];
      if (filters.length !== 1 || filters[0] !== name('DCTDecode')) continue;
      if (dict.has(name('Decode')) || dict.has(name('SMask')) || dict.has(name('Mask')) || dict.has(name('ImageMask'))) continue;
      const width = dict.lookup(name('Width'));
      const height = dict.lookup(name('Height'));
      if (!(width instanceof PDFNumber && height instanceof PDFNumber)) continue;
      const contents = stream.getContents();
      // A JPEG starts with SOI (FF D8).
      if (contents[0] !== 0xff || contents[1] !== 0xd8) continue;
      found.push({ bytes: Buffer.from(contents.buffer, contents.byteOffset, contents.byteLength), width: width.asNumber(), height: height.asNumber() });
    }
    return found;
  }
}
