import { describe, expect, it } from 'vitest';
import { extensionMismatch, looksLikeMarkdown, looksLikeText, sniffBytes } from '../src/ingest/sniff.js';
import { decodeText } from '../src/ingest/decode-text.js';

const bytes = (...b: number[]) => Buffer.from(b);

describe('sniffBytes decides the format by content', () => {
  it('recognizes PDF, PNG, JPEG and both TIFF byte orders by magic number', () => {
    expect(sniffBytes(Buffer.from('%PDF-1.7\n...'), 'x.bin')).toMatchObject({ kind: 'document', format: 'pdf' });
    expect(sniffBytes(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0), 'scan')).toMatchObject({ format: 'png' });
    expect(sniffBytes(bytes(0xff, 0xd8, 0xff, 0xe0, 0), 'scan.png')).toMatchObject({ format: 'jpeg' });
    expect(sniffBytes(bytes(0x49, 0x49, 0x2a, 0x00, 8), 'a.tif')).toMatchObject({ format: 'tiff' });
    expect(sniffBytes(bytes(0x4d, 0x4d, 0x00, 0x2a, 8), 'a.tif')).toMatchObject({ format: 'tiff' });
  });

  it('finds a PDF header preceded by junk, as PDF readers allow', () => {
    // Binary junk (a MacBinary header) before the header.
    const macBinary = Buffer.concat([Buffer.from([0, 9]), Buffer.from('report.pdf'), Buffer.alloc(116, 0), Buffer.from('%PDF-1.4\n%\xe2\xe3\n1 0 obj\n')]);
    expect(sniffBytes(macBinary, 'a.pdf')).toMatchObject({ format: 'pdf' });
    // Text junk (a mail header) before a header on its own line, in a file with the PDF trailer.
    const mailed = Buffer.from('Received: from scanner\n\n%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\nstartxref\n9\n%%EOF\n');
    expect(sniffBytes(mailed, 'a.pdf')).toMatchObject({ format: 'pdf' });
  });

  it('reads a text that mentions %PDF- near its top as text: only a header at byte 0, or behind junk, makes a PDF', () => {
    const text = Buffer.from('Bilagor\n\nFilerna börjar med %PDF-1.7 och sparas som PDF/A. Förvaltningen föreslår …\n');
    expect(sniffBytes(text, 'notes.txt')).toMatchObject({ kind: 'document', format: 'txt' });
    expect(sniffBytes(Buffer.concat([Buffer.alloc(100, 0x20), Buffer.from('%PDF-1.4')]), 'a.txt')).toMatchObject({ format: 'txt' });
    expect(sniffBytes(Buffer.from('%PDF-1.7\n...'), 'notes.txt')).toMatchObject({ format: 'pdf' });
  });

  it('names known formats it does not read', () => {
    expect(sniffBytes(bytes(0x50, 0x4b, 0x03, 0x04, 1, 2), 'a.docx')).toEqual({ kind: 'unsupported', description: expect.stringContaining('ZIP') });
    expect(sniffBytes(Buffer.from('GIF89a....'), 'a.gif')).toEqual({ kind: 'unsupported', description: 'a GIF image' });
    expect(sniffBytes(Buffer.from('SQLite format 3\0'), 'x.db')).toEqual({ kind: 'unsupported', description: 'an SQLite database' });
  });

  it('calls binary data binary even with a text or image extension', () => {
    expect(sniffBytes(bytes(0x13, 0, 1, 2, 3, 0, 250), 'notes.txt')).toMatchObject({ kind: 'unsupported' });
    expect(sniffBytes(bytes(0x13, 0, 1, 2, 3, 0, 250), 'scan.png')).toMatchObject({ kind: 'unsupported' });
  });

  it('tells Markdown saved as .txt from plain text', () => {
    const md = '# Rubrik\n\nText med **fetstil** och [länk](http://start.stockholm).\n';
    expect(sniffBytes(Buffer.from(md), 'bilaga.txt')).toMatchObject({ format: 'md' });
    expect(sniffBytes(Buffer.from('Sammanfattning\n\n- punkt ett\n- punkt två\n'), 'a.txt')).toMatchObject({ format: 'txt' });
    expect(sniffBytes(Buffer.from('plain'), 'a.md')).toMatchObject({ format: 'md' });
    expect(looksLikeMarkdown(Buffer.from('**Till**\n## Ärendet\n'))).toBe(true);
    expect(looksLikeMarkdown(Buffer.from('Dnr 1.11.1-266/2017 * not bold *\n'))).toBe(false);
  });

  it('accepts Latin-1 text (å/ä/ö as single bytes) and UTF-16 with or without a byte-order mark as text', () => {
    expect(looksLikeText(Buffer.from('Förvaltningens förslag till beslut', 'latin1'))).toBe(true);
    expect(looksLikeText(Buffer.concat([bytes(0xff, 0xfe), Buffer.from('Nämnd', 'utf16le')]))).toBe(true);
    expect(looksLikeText(Buffer.from('Förvaltningens förslag till beslut', 'utf16le'))).toBe(true);
    expect(looksLikeText(Buffer.from('Förvaltningens förslag till beslut', 'utf16le').swap16())).toBe(true);
    expect(looksLikeText(Buffer.alloc(0))).toBe(false);
  });

  it('reports an extension that promises another format', () => {
    expect(extensionMismatch('scan.png', 'pdf')).toBe('the extension says .png but the content is PDF');
    expect(extensionMismatch('scan.pdf', 'pdf')).toBeNull();
    expect(extensionMismatch('bilaga.txt', 'md')).toBeNull();
    expect(extensionMismatch('noext', 'pdf')).toBeNull();
  });
});

describe('decodeText', () => {
  it('keeps å/ä/ö from UTF-8, UTF-8 with BOM, UTF-16LE and Windows-1252', () => {
    const s = 'Södermalms stadsdelsnämnd, Växel 08-508 000 00, åtgärd';
    expect(decodeText(Buffer.from(s, 'utf8'))).toEqual({ text: s, encoding: 'utf-8' });
    expect(decodeText(Buffer.concat([bytes(0xef, 0xbb, 0xbf), Buffer.from(s)]))).toEqual({ text: s, encoding: 'utf-8' });
    expect(decodeText(Buffer.concat([bytes(0xff, 0xfe), Buffer.from(s, 'utf16le')]))).toEqual({ text: s, encoding: 'utf-16le' });
    expect(decodeText(Buffer.from(s, 'latin1'))).toEqual({ text: s, encoding: 'windows-1252' });
  });

  it('decodes Windows-1252 quotes, dashes and the euro sign (not as Latin-1 control characters)', () => {
    // ”Lärande” – 100 € … in Windows-1252.
    const cp1252 = bytes(0x94, 0x4c, 0xe4, 0x72, 0x61, 0x6e, 0x64, 0x65, 0x94, 0x20, 0x96, 0x20, 0x31, 0x30, 0x30, 0x20, 0x80, 0x20, 0x85);
    expect(decodeText(cp1252)).toEqual({ text: '”Lärande” – 100 € …', encoding: 'windows-1252' });
  });

  it('decodes UTF-16 without a byte-order mark, little- and big-endian', () => {
    const s = 'Södermalms stadsdelsnämnd – åtgärd\n';
    expect(decodeText(Buffer.from(s, 'utf16le'))).toEqual({ text: s, encoding: 'utf-16le' });
    expect(decodeText(Buffer.from(s, 'utf16le').swap16())).toEqual({ text: s, encoding: 'utf-16be' });
  });
});
