/**
 * XFA forms: a PDF whose AcroForm carries an `/XFA` entry keeps its real content in XML packets
 * (the form's `template`, and the filled-in values in `datasets`). A "dynamic" XFA form's pages hold
 * only a placeholder for viewers that cannot lay XFA out ("Please wait… If this message is not
 * eventually replaced by the proper contents of the document, your PDF viewer may not be able to
 * display this type of document"). The text is read from the packets instead: the template's
 * visible texts (captions, static text, rich text) in document order, then each filled-in value.
 */
import type { PDFDocument as PdfLibDocument } from 'pdf-lib';

/** Placeholder texts that XFA producers (Adobe LiveCycle/AEM Forms, and others copying them) put on the pages. */
const PLACEHOLDER = /please wait|proper contents of (the|this) document|PDF viewer may not be able|later version of (the )?Adobe|Adobe Reader/i;

/** The pages' text layer is a viewer placeholder, not the form's content. */
export function isXfaPlaceholder(pageTexts: string[]): boolean {
  const text = pageTexts.join('\n');
  return PLACEHOLDER.test(text) || text.replace(/\s+/g, '').length === 0;
}

export type XfaText = { ok: true; text: string; /** The packets the text was read from. */ packets: string[] } | { ok: false; why: string };

/** The text of the XFA packets of an unencrypted PDF, or why it cannot be read. */
export async function readXfaText(bytes: Uint8Array): Promise<XfaText> {
  const { PDFDocument, PDFName, PDFArray, PDFDict, PDFRawStream, PDFString, PDFHexString, decodePDFRawStream } = await import('pdf-lib');
  let doc: PdfLibDocument;
  try {
    doc = await PDFDocument.load(bytes, { ignoreEncryption: true, updateMetadata: false, throwOnInvalidObject: false });
  } catch {
    return { ok: false, why: 'its structure cannot be read to reach the XFA data' };
  }
  if (doc.isEncrypted) return { ok: false, why: 'the XFA data is encrypted' };
  const acroForm = doc.catalog.lookupMaybe(PDFName.of('AcroForm'), PDFDict);
  const xfa = acroForm?.lookup(PDFName.of('XFA'));
  if (!xfa) return { ok: false, why: 'the AcroForm has no readable /XFA entry' };
  const streamText = (o: unknown): string | null => {
    if (!(o instanceof PDFRawStream)) return null;
    try {
      const data = o.dict.has(PDFName.of('Filter')) ? decodePDFRawStream(o).decode() : o.getContents();
      return Buffer.from(data).toString('utf8');
    } catch {
      return null;
    }
  };
  // Either one stream holding the whole XDP, or [name stream name stream …].
  const packets = new Map<string, string>();
  if (xfa instanceof PDFArray) {
    const items = xfa.asArray().map((x) => doc.context.lookup(x));
    for (let i = 0; i + 1 < items.length; i += 2) {
      const name = items[i];
      const label = name instanceof PDFString || name instanceof PDFHexString ? name.decodeText() : String(name);
      const text = streamText(items[i + 1]);
      if (text !== null) packets.set(label, (packets.get(label) ?? '') + text);
    }
  } else {
    const whole = streamText(xfa);
    if (whole !== null) {
      for (const name of ['template', 'datasets']) {
        const m = new RegExp(`<(?:\\w+:)?${name}\\b[\\s\\S]*?</(?:\\w+:)?${name}>`).exec(whole);
        if (m) packets.set(name, m[0]);
      }
    }
  }
  const template = packets.get('template');
  const datasets = packets.get('datasets');
  if (!template && !datasets) return { ok: false, why: 'its XFA data has no template or datasets packet that decodes' };
  const lines = [...(template ? templateTexts(template) : []), ...(datasets ? dataValues(datasets) : [])];
  const text = lines.join('\n');
  if (text.replace(/\s+/g, '').length === 0) return { ok: false, why: 'its XFA template and datasets hold no text' };
  return { ok: true, text, packets: ['template', 'datasets'].filter((n) => packets.has(n)) };
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[e.toLowerCase()] ?? whole;
  });
}

/** Text inside markup, tags dropped; block-level HTML ends a line. */
function plain(xml: string): string {
  return decodeEntities(
    xml
      .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1')
      .replace(/<\/(p|div|li|br|tr|h\d)\s*>|<br\s*\/?>/gi, '\n')
      .replace(/<[^>]*>/g, ''),
  )
    .split('\n')
    .map((l) => l.replace(/[ \t\r]+/g, ' ').trim())
    .filter(Boolean)
    .join('\n');
}

/** What the template shows: the text values of draws and captions, and rich text (exData), in order. */
function templateTexts(xml: string): string[] {
  const out: string[] = [];
  for (const m of xml.matchAll(/<(text|exData)\b[^>]*?(?:\/>|>([\s\S]*?)<\/\1>)/g)) {
    const text = plain(m[2] ?? '');
    if (text) out.push(text);
  }
  return out;
}

/** The filled-in values: the text of every leaf element of the data. */
function dataValues(xml: string): string[] {
  const out: string[] = [];
  for (const m of xml.matchAll(/<([\w:.-]+)\b[^>]*>([^<]+)<\/\1>/g)) {
    const text = plain(m[2]!);
    if (text) out.push(text);
  }
  return out;
}
