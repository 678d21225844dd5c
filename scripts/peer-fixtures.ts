/**
 * Builds test/fixtures/peer/files: strange-but-valid and hostile files written byte by byte, the
 * kinds other projects keep in their test corpora (pdf.js test/pdfs, OCRmyPDF tests/resources):
 * operator cycles through Form XObjects, patterns and Type 3 glyphs, content streams of millions of
 * operators, Flate bombs, broken and missing cross-reference tables, incremental updates, object and
 * cross-reference streams, encryption with an empty user password, inline images, enormous pages,
 * page-tree loops, a TIFF whose directory chain loops, and odd text files.
 *
 *   npx tsx scripts/peer-fixtures.ts [--out DIR]
 *
 * Deterministic: the same bytes on every machine (test/fixtures/peer/README.md lists them with
 * what each is for). The files are committed; this script says how each was made.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const PEER_FILES = join(ROOT, 'test/fixtures/peer/files');

const latin1 = (s: string) => Buffer.from(s, 'latin1');

/** A PDF assembled from numbered objects: `body` is what stands between `N 0 obj` and `endobj`. */
class PdfBuilder {
  private readonly objects = new Map<number, Buffer>();

  set(num: number, body: string | Buffer): this {
    this.objects.set(num, typeof body === 'string' ? latin1(body) : body);
    return this;
  }

  /** A stream object; `dict` without Length. */
  stream(num: number, dict: string, data: Buffer): this {
    return this.set(num, Buffer.concat([latin1(`<< ${dict} /Length ${data.length} >>\nstream\n`), data, latin1('\nendstream')]));
  }

  build(options: { root?: number; xref?: 'good' | 'wrong-offsets' | 'none'; header?: string; trailer?: string } = {}): Buffer {
    const parts: Buffer[] = [latin1(`${options.header ?? ''}%PDF-1.4\n%\xe2\xe3\xcf\xd3\n`)];
    let length = parts[0]!.length;
    const offsets = new Map<number, number>();
    for (const [num, body] of [...this.objects].sort((a, b) => a[0] - b[0])) {
      offsets.set(num, length);
      const obj = Buffer.concat([latin1(`${num} 0 obj\n`), body, latin1('\nendobj\n')]);
      parts.push(obj);
      length += obj.length;
    }
    const size = Math.max(...this.objects.keys()) + 1;
    const trailer = `trailer\n<< /Size ${size} /Root ${options.root ?? 1} 0 R ${options.trailer ?? ''}>>\n`;
    if (options.xref === 'none') {
      parts.push(latin1(`${trailer}%%EOF\n`));
      return Buffer.concat(parts);
    }
    const rows = ['0000000000 65535 f \n'];
    for (let n = 1; n < size; n++) {
      const at = offsets.get(n);
      const shown = at === undefined ? 0 : options.xref === 'wrong-offsets' ? at + 37 * n : at;
      rows.push(at === undefined ? '0000000000 65535 f \n' : `${String(shown).padStart(10, '0')} 00000 n \n`);
    }
    parts.push(latin1(`xref\n0 ${size}\n${rows.join('')}${trailer}startxref\n${length}\n%%EOF\n`));
    return Buffer.concat(parts);
  }
}

/** Catalog 1, page tree 2, one page 3 with the given resources and content object 4. */
function onePage(pdf: PdfBuilder, resources: string, mediaBox = '[0 0 595 842]'): PdfBuilder {
  return pdf
    .set(1, '<< /Type /Catalog /Pages 2 0 R >>')
    .set(2, '<< /Type /Pages /Kids [3 0 R] /Count 1 >>')
    .set(3, `<< /Type /Page /Parent 2 0 R /MediaBox ${mediaBox} /Resources ${resources} /Contents 4 0 R >>`);
}

const HELVETICA = '<< /Font << /F1 5 0 R >> >>';
const HELVETICA_FONT = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>';

/** A page of Swedish text (WinAnsi: å ä ö as single bytes). */
function textContent(lines: string[]): Buffer {
  const ops = ['BT', '/F1 11 Tf', '14 TL', '72 770 Td'];
  for (const line of lines) ops.push(`(${line.replace(/[()\\]/g, (c) => `\\${c}`)}) Tj T*`);
  ops.push('ET');
  return latin1(ops.join('\n'));
}

const DECISION = [
  'Socialförvaltningen',
  'Tjänsteutlåtande Dnr 1.11.1-266/2017',
  'Till Socialnämnden',
  'Anmälan om deltagande i Stockholms stads kvalitetsutmärkelse 2017',
  'Förvaltningens förslag till beslut: Socialnämnden godkänner att',
  'Stödboendet Lönnen och Resurscentrum för adopterade deltar.',
];

function textPdf(lines = DECISION): PdfBuilder {
  return onePage(new PdfBuilder(), HELVETICA).stream(4, '', textContent(lines)).set(5, HELVETICA_FONT);
}

/** Deflated twice ([/FlateDecode /FlateDecode]): gigabytes of operators in a file of a few kilobytes. */
function doubleDeflate(data: Buffer): Buffer {
  return deflateSync(deflateSync(data, { level: 9 }), { level: 9 });
}

/** `count` repetitions of `unit`, without holding them all in one string. */
function repeated(unit: string, count: number): Buffer {
  return Buffer.alloc(unit.length * count, unit, 'latin1');
}

// --- RC4 encryption (standard security handler, revision 2, 40-bit), for an empty user password.
const PAD = Buffer.from('28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a', 'hex');
const md5 = (...parts: Buffer[]) => createHash('md5').update(Buffer.concat(parts)).digest();
function rc4(key: Buffer, data: Buffer): Buffer {
  const s = Array.from({ length: 256 }, (_, i) => i);
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i]! + key[i % key.length]!) & 255;
    [s[i], s[j]] = [s[j]!, s[i]!];
  }
  const out = Buffer.alloc(data.length);
  for (let k = 0, i = 0, j = 0; k < data.length; k++) {
    i = (i + 1) & 255;
    j = (j + s[i]!) & 255;
    [s[i], s[j]] = [s[j]!, s[i]!];
    out[k] = data[k]! ^ s[(s[i]! + s[j]!) & 255]!;
  }
  return out;
}

function encryptedPdf(): Buffer {
  const id = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
  const permissions = -44; // print, copy: an ordinary "protected" office export
  const ownerKey = md5(latin1('owner'), PAD.subarray(0, 27)).subarray(0, 5);
  const O = rc4(ownerKey, PAD);
  const p = Buffer.alloc(4);
  p.writeInt32LE(permissions);
  const key = md5(PAD, O, p, id).subarray(0, 5);
  const U = rc4(key, PAD);
  const objectKey = (num: number) => md5(key, Buffer.from([num & 255, (num >> 8) & 255, (num >> 16) & 255, 0, 0])).subarray(0, 10);
  const content = rc4(objectKey(4), textContent(DECISION));
  return onePage(new PdfBuilder(), HELVETICA)
    .stream(4, '', content)
    .set(5, HELVETICA_FONT)
    .set(6, `<< /Filter /Standard /V 1 /R 2 /O <${O.toString('hex')}> /U <${U.toString('hex')}> /P ${permissions} >>`)
    .build({ trailer: `/Encrypt 6 0 R /ID [<${id.toString('hex')}> <${id.toString('hex')}>] ` });
}

/** PDF 1.5: objects in an object stream, a cross-reference stream instead of a table. */
function objectStreamPdf(): Buffer {
  const objs: Array<[number, string]> = [
    [1, '<< /Type /Catalog /Pages 2 0 R >>'],
    [2, '<< /Type /Pages /Kids [3 0 R] /Count 1 >>'],
    [3, `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources ${HELVETICA} /Contents 4 0 R >>`],
    [5, HELVETICA_FONT],
  ];
  let header = '';
  let body = '';
  for (const [num, text] of objs) {
    header += `${num} ${body.length} `;
    body += `${text}\n`;
  }
  const objstm = deflateSync(latin1(header + body));
  const content = deflateSync(textContent(DECISION));
  const chunks: Buffer[] = [latin1('%PDF-1.5\n%\xe2\xe3\xcf\xd3\n')];
  let at = chunks[0]!.length;
  const offsets: Record<number, number> = {};
  const put = (num: number, dict: string, data: Buffer) => {
    offsets[num] = at;
    const b = Buffer.concat([latin1(`${num} 0 obj\n<< ${dict} /Length ${data.length} >>\nstream\n`), data, latin1('\nendstream\nendobj\n')]);
    chunks.push(b);
    at += b.length;
  };
  put(4, '/Filter /FlateDecode', content);
  put(6, `/Type /ObjStm /N ${objs.length} /First ${header.length} /Filter /FlateDecode`, objstm);
  // Cross-reference stream: W [1 4 2]; type 1 = at an offset, type 2 = in object stream 6.
  const row = (type: number, a: number, b: number) => {
    const r = Buffer.alloc(7);
    r[0] = type;
    r.writeUInt32BE(a, 1);
    r.writeUInt16BE(b, 5);
    return r;
  };
  const xrefAt = at;
  const rows = [row(0, 0, 65535), row(2, 6, 0), row(2, 6, 1), row(2, 6, 2), row(1, offsets[4]!, 0), row(2, 6, 3), row(1, offsets[6]!, 0), row(1, xrefAt, 0)];
  const xref = deflateSync(Buffer.concat(rows));
  chunks.push(latin1(`7 0 obj\n<< /Type /XRef /Size 8 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /Length ${xref.length} >>\nstream\n`), xref);
  chunks.push(latin1(`\nendstream\nendobj\nstartxref\n${xrefAt}\n%%EOF\n`));
  return Buffer.concat(chunks);
}

/** An incremental update appended to a complete file: the page's content replaced. */
function incrementalUpdate(): Buffer {
  const base = textPdf(['Första versionen av tjänsteutlåtandet, ersatt genom en senare uppdatering.']).build();
  const startxref = Number(/startxref\n(\d+)/.exec(base.toString('latin1'))![1]);
  const content = textContent(DECISION);
  const update = latin1(`4 0 obj\n<< /Length ${content.length} >>\nstream\n${content.toString('latin1')}\nendstream\nendobj\n`);
  const xrefAt = base.length + update.length;
  const tail = latin1(`xref\n0 1\n0000000000 65535 f \n4 1\n${String(base.length).padStart(10, '0')} 00000 n \ntrailer\n<< /Size 6 /Root 1 0 R /Prev ${startxref} >>\nstartxref\n${xrefAt}\n%%EOF\n`);
  return Buffer.concat([base, update, tail]);
}

/** A white 8×8 inline image stretched over the page: a "scan" with no text layer and nothing on it. */
function inlineImagePdf(): Buffer {
  const pixels = Buffer.alloc(64, 0xff);
  const content = Buffer.concat([latin1('q 595 0 0 842 0 0 cm\nBI /W 8 /H 8 /CS /G /BPC 8 ID '), pixels, latin1('\nEI Q')]);
  return onePage(new PdfBuilder(), '<< >>').stream(4, '', content).build();
}

/** A TIFF whose directory chain points back at itself: a reader that follows it never ends. */
function ifdLoopTiff(): Buffer {
  const b = Buffer.alloc(8 + 2 + 12 * 3 + 4 + 4);
  b.write('II', 0, 'latin1');
  b.writeUInt16LE(42, 2);
  b.writeUInt32LE(8, 4);
  b.writeUInt16LE(3, 8);
  const entry = (i: number, tag: number, value: number) => {
    const at = 10 + 12 * i;
    b.writeUInt16LE(tag, at);
    b.writeUInt16LE(3, at + 2); // SHORT
    b.writeUInt32LE(1, at + 4);
    b.writeUInt16LE(value, at + 8);
  };
  entry(0, 256, 1);
  entry(1, 257, 1);
  entry(2, 258, 8);
  b.writeUInt32LE(8, 10 + 12 * 3); // next IFD: this one again
  return b;
}

export interface PeerFixture {
  name: string;
  /** What it is and why it is here (test/fixtures/peer/README.md). */
  about: string;
  bytes: () => Buffer;
}

export const PEER_FIXTURES: PeerFixture[] = [
  { name: 'text-winansi.pdf', about: 'baseline: one page of Swedish text in Helvetica (WinAnsi å/ä/ö)', bytes: () => textPdf().build() },
  { name: 'incremental-update.pdf', about: 'an incremental update replaces the page content; /Prev chain of two xref sections', bytes: incrementalUpdate },
  { name: 'object-streams.pdf', about: 'PDF 1.5: objects in a compressed object stream, a cross-reference stream', bytes: objectStreamPdf },
  { name: 'xref-wrong-offsets.pdf', about: 'every xref offset wrong: readers must rebuild the table by scanning', bytes: () => textPdf().build({ xref: 'wrong-offsets' }) },
  { name: 'xref-missing.pdf', about: 'no xref table and no startxref at all', bytes: () => textPdf().build({ xref: 'none' }) },
  { name: 'junk-before-header.pdf', about: '500 bytes of junk before %PDF- (allowed within the first 1024)', bytes: () => textPdf().build({ header: `${'x'.repeat(499)}\n` }) },
  { name: 'encrypted-empty-password.pdf', about: 'RC4 40-bit encryption with an empty user password: opens without asking', bytes: encryptedPdf },
  { name: 'inline-image.pdf', about: 'the page is one inline image (BI … ID … EI), blank: no text layer, nothing to OCR', bytes: inlineImagePdf },
  {
    name: 'enormous-page.pdf',
    about: 'a 14400 × 14400 pt page (the largest allowed) with no text: rendered under --max-pixels',
    bytes: () => onePage(new PdfBuilder(), '<< >>', '[0 0 14400 14400]').stream(4, '', latin1('0 0 1 rg 100 100 200 200 re f')).build(),
  },
  {
    name: 'zero-pages.pdf',
    about: 'a page tree with no pages',
    bytes: () => new PdfBuilder().set(1, '<< /Type /Catalog /Pages 2 0 R >>').set(2, '<< /Type /Pages /Kids [] /Count 0 >>').build(),
  },
  {
    name: 'page-tree-loop.pdf',
    about: 'the page tree lists itself among its kids',
    bytes: () =>
      new PdfBuilder()
        .set(1, '<< /Type /Catalog /Pages 2 0 R >>')
        .set(2, '<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>')
        .set(3, '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>')
        .stream(4, '', latin1(''))
        .build(),
  },
  {
    name: 'page-count-lies.pdf',
    about: 'the page tree claims 100000 pages and has one',
    bytes: () => textPdf().set(2, '<< /Type /Pages /Kids [3 0 R] /Count 100000 >>').build(),
  },
  {
    name: 'deep-nesting.pdf',
    about: 'an array nested 100000 deep in the page dictionary: recursive parsers overflow their stack',
    bytes: () => textPdf().set(3, `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources ${HELVETICA} /Contents 4 0 R /Junk ${'['.repeat(100000)}${']'.repeat(100000)} >>`).build(),
  },
  {
    name: 'form-xobject-self.pdf',
    about: 'a Form XObject that draws itself (/X1 Do inside X1): an operator cycle',
    bytes: () =>
      onePage(new PdfBuilder(), '<< /XObject << /X1 6 0 R >> >>')
        .stream(4, '', latin1('q /X1 Do Q'))
        .stream(6, '/Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /XObject << /X1 6 0 R >> >>', latin1('q 0.5 0 0 0.5 10 10 cm /X1 Do Q 0 0 1 rg 0 0 50 50 re f'))
        .build(),
  },
  {
    name: 'form-xobject-pair.pdf',
    about: 'two Form XObjects that draw each other: a cycle of length two',
    bytes: () =>
      onePage(new PdfBuilder(), '<< /XObject << /A 6 0 R >> >>')
        .stream(4, '', latin1('/A Do'))
        .stream(6, '/Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /XObject << /B 7 0 R >> >>', latin1('/B Do'))
        .stream(7, '/Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /XObject << /A 6 0 R >> >>', latin1('/A Do 0 0 50 50 re f'))
        .build(),
  },
  {
    name: 'pattern-form-cycle.pdf',
    about: 'a tiling pattern whose cell draws a form that paints with the pattern (the shape of pdf.js operator_list_cycle.pdf)',
    bytes: () =>
      onePage(new PdfBuilder(), '<< /XObject << /Im6 6 0 R >> >>')
        .stream(4, '', latin1('1 0 0 1 315 733 cm /Im6 Do'))
        .stream(6, '/Subtype /Form /BBox [0 0 595 842] /Resources << /XObject << /x15 7 0 R >> >>', latin1('/x15 Do'))
        .stream(7, '/Subtype /Form /BBox [0 0 595 842] /Resources << /Pattern << /p31 8 0 R >> >>', latin1('q /Pattern cs /p31 scn 0 0 224.72 160.4 re f Q'))
        .stream(8, '/PatternType 1 /PaintType 1 /TilingType 1 /BBox [0 0 225 161] /XStep 225 /YStep 161 /Resources << /XObject << /x47 6 0 R >> >>', latin1('/x47 Do'))
        .build(),
  },
  {
    name: 'type3-glyph-cycle.pdf',
    about: 'a Type 3 font whose glyph shows text in the same font',
    bytes: () =>
      onePage(new PdfBuilder(), '<< /Font << /T3 5 0 R >> >>')
        .stream(4, '', latin1('BT /T3 12 Tf 72 700 Td (aaaa) Tj ET'))
        .set(5, '<< /Type /Font /Subtype /Type3 /FontBBox [0 0 1000 1000] /FontMatrix [0.001 0 0 0.001 0 0] /CharProcs << /a 6 0 R >> /Encoding << /Differences [97 /a] >> /FirstChar 97 /LastChar 97 /Widths [1000] /Resources << /Font << /T3 5 0 R >> >> >>')
        .stream(6, '', latin1('1000 0 d0 BT /T3 12 Tf (a) Tj ET 0 0 500 500 re f'))
        .build(),
  },
  {
    name: 'many-operators.pdf',
    about: '2 million lines of text (20 MiB of operators, under --max-stream-size) in a 1 KB file',
    bytes: () => onePage(new PdfBuilder(), HELVETICA).stream(4, '/Filter [/FlateDecode /FlateDecode]', doubleDeflate(Buffer.concat([latin1('BT /F1 1 Tf 1 TL '), repeated('(xy) Tj T*\n', 2_000_000), latin1('ET')]))).set(5, HELVETICA_FONT).build(),
  },
  {
    name: 'many-path-operators.pdf',
    about: '4 million path operators (56 MiB, under --max-stream-size) in a 1 KB file, no text: rendering keeps an operator list of them all',
    bytes: () => onePage(new PdfBuilder(), '<< >>').stream(4, '/Filter [/FlateDecode /FlateDecode]', doubleDeflate(repeated('0 0 m 1 1 l S\n', 4_000_000))).build(),
  },
  {
    name: 'flate-bomb.pdf',
    about: 'a content stream that inflates to 256 MiB of path operators from about 1 KB ([/FlateDecode /FlateDecode])',
    bytes: () => onePage(new PdfBuilder(), '<< >>').stream(4, '/Filter [/FlateDecode /FlateDecode]', doubleDeflate(repeated('0 0 m 1 1 l S\n', 2 ** 28 / 14))).build(),
  },
  {
    name: 'declared-huge-image.pdf',
    about: 'an image XObject that declares 100000 × 100000 pixels and holds a few bytes',
    bytes: () =>
      onePage(new PdfBuilder(), '<< /XObject << /Im1 6 0 R >> >>')
        .stream(4, '', latin1('q 595 0 0 842 0 0 cm /Im1 Do Q'))
        .stream(6, '/Type /XObject /Subtype /Image /Width 100000 /Height 100000 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode', deflateSync(Buffer.alloc(1024, 0xff)))
        .build(),
  },
  { name: 'truncated-in-stream.pdf', about: 'cut off in the middle of the content stream', bytes: () => textPdf().build().subarray(0, 330) },
  { name: 'ifd-loop.tif', about: 'a TIFF whose image directory points back at itself', bytes: ifdLoopTiff },
  { name: 'utf16-no-bom.txt', about: 'UTF-16LE text without a byte-order mark', bytes: () => Buffer.from(DECISION.join('\n'), 'utf16le') },
  { name: 'one-long-line.txt', about: 'a decision text repeated on one 2 MB line, no line breaks', bytes: () => Buffer.from(DECISION.join(' ').concat(' ').repeat(6000), 'utf8') },
  { name: 'deep-quotes.md', about: 'Markdown: block quotes nested 10000 deep', bytes: () => Buffer.from(`${'>'.repeat(10000)} ${DECISION.join(' ')}\n`, 'utf8') },
  { name: 'nul-padded.txt', about: 'a text followed by 64 KB of NUL bytes (a file preallocated by a scanner driver)', bytes: () => Buffer.concat([Buffer.from(DECISION.join('\n'), 'utf8'), Buffer.alloc(65536)]) },
];

export function makePeerFixtures(out = PEER_FILES): string[] {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  return PEER_FIXTURES.map((f) => {
    const path = join(out, f.name);
    writeFileSync(path, f.bytes());
    return path;
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const paths = makePeerFixtures(i === -1 ? PEER_FILES : resolve(process.argv[i + 1]!));
  console.log(`${paths.length} files in ${dirname(paths[0]!)}`);
}
