/**
 * PDFs that are valid but strange (issue 16 §2): text layers judged by their words, not their
 * length (a garbled layer is OCRed, a short valid one kept); bitonal scans in CCITT G4 and JBIG2 at
 * a width that is not a multiple of 8; JPEG 2000 scans; XFA forms; files encrypted with an empty
 * user password; and the failed pages a run counts.
 *
 * The PDFs are written here: with pdfkit and pdf-lib, and where the Debian tools are installed
 * (`.ci/run` installs them) with libtiff's tiffcp, OpenJPEG's opj_compress, img2pdf and qpdf, as
 * archives' scanners and exporters write them. A test that needs a missing tool skips, saying which.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import PDFDocument from 'pdfkit';
import UTIF from 'utif2';
import { beforeAll, describe, expect, it } from 'vitest';
import { DocumentError } from '../src/errors.js';
import { jbig2decSettings } from '../src/ingest/jbig2dec.js';
import { countLayer, hitRate, judgeLayer } from '../src/ingest/text-layer.js';
import { readSource, type Source } from '../src/ingest/read-source.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { ingest, sha256, type RunSummary } from '../src/pipeline.js';
import { FONT_REGULAR, jpegScanPdf, makeImagePdf, makeTextPdf, paginate, pdfToBuffer, renderScan, toJpeg } from '../scripts/fixtures.js';
import { SEED_TEXT, tempDir, wordAccuracy } from './helpers.js';

const has = (tool: string, args = ['--version']) => spawnSync(tool, args).error === undefined;
const HAS_IMG2PDF = has('img2pdf');
const HAS_TIFFCP = has('tiffcp', ['-h']);
const HAS_OPJ = has('opj_compress', ['-h']);
const HAS_QPDF = has('qpdf');
for (const [ok, tool, pkg] of [
  [HAS_IMG2PDF, 'img2pdf', 'img2pdf'],
  [HAS_TIFFCP, 'tiffcp', 'libtiff-tools'],
  [HAS_OPJ, 'opj_compress', 'libopenjp2-tools'],
  [HAS_QPDF, 'qpdf', 'qpdf'],
] as const) {
  if (!ok) console.warn(`pdf-hostile.test: ${tool} is not installed (Debian package ${pkg}); the tests that need it skip`);
}

const TEXT = SEED_TEXT;
/** A page of a dozen lines, so that OCR stays quick. */
const LINES = paginate(TEXT, 12)[0]!;

/** Swedish letters shifted one place along the alphabet (a → b, ö → a): what a broken ToUnicode map does. */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzåäö';
function shifted(text: string): string {
  return text.replace(/\p{L}/gu, (c) => {
    const lower = c.toLowerCase();
    const i = ALPHABET.indexOf(lower);
    if (i < 0) return c;
    const next = ALPHABET[(i + 1) % ALPHABET.length]!;
    return c === lower ? next : next.toUpperCase();
  });
}

/**
 * Real text in an embedded font whose ToUnicode map is broken: every letter's glyph maps to the next
 * letter. The page shows the text; its text layer is nonsense of the same length.
 */
async function brokenToUnicodePdf(lines: string[]): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: 50, autoFirstPage: false, compress: false });
  doc.registerFont('body', FONT_REGULAR);
  doc.addPage();
  doc.font('body').fontSize(11.5);
  lines.forEach((line, i) => doc.text(line, 50, 50 + i * 11.5 * 1.45, { lineBreak: false }));
  const pdf = (await pdfToBuffer(doc)).toString('latin1');
  // pdfkit writes the map as one bfrange array of UTF-16 values, <0041> and so on: same length after the shift.
  let broken = 0;
  const out = pdf.replace(/(beginbfrange\n)([\s\S]*?)(\nendbfrange)/, (_, begin: string, ranges: string, end: string) => {
    const body = ranges.replace(/\[([^\]]*)\]/g, (__, entries: string) =>
      `[${entries.replace(/<([0-9a-f]{4})>/gi, (whole, hex: string) => {
        const c = String.fromCharCode(parseInt(hex, 16));
        const s = shifted(c);
        if (s === c) return whole;
        broken++;
        return `<${s.charCodeAt(0).toString(16).padStart(4, '0')}>`;
      })}]`,
    );
    return begin + body + end;
  });
  if (broken < 10) throw new Error('the ToUnicode map was not found');
  return Buffer.from(out, 'latin1');
}

/** A scan (a full-page JPEG) under an invisible text layer of nonsense: a scanner's bad OCR layer. */
async function scanWithBadOcrLayer(lines: string[]): Promise<Buffer> {
  const canvas = renderScan(lines, { dpi: 200 });
  const [w, h] = [595.28, 841.89];
  const doc = new PDFDocument({ size: [w, h], margin: 0, autoFirstPage: false });
  doc.addPage();
  doc.image(toJpeg(canvas, 85), 0, 0, { width: w, height: h });
  // Text render mode 3 (invisible), as OCR layers are written; pdfkit has no option for it, so raw operators.
  doc.font('Helvetica').fontSize(11);
  const nonsense = lines.map((l) => shifted(l).replace(/[åäöÅÄÖ]/g, 'x'));
  // Text render mode 3 (invisible), as OCR layers are written: pdfkit has no option for it, and the
  // mode is graphics state, so it is set before pdfkit's own text objects.
  doc.save();
  doc.addContent('3 Tr');
  nonsense.forEach((line, i) => doc.text(line, 50, 50 + i * 16, { lineBreak: false }));
  doc.restore();
  return pdfToBuffer(doc);
}

async function withSource<T>(bytes: Buffer, name: string, f: (source: Source) => Promise<T> | T): Promise<T> {
  const source = await readSource({ path: `/in/${name}`, name, size: bytes.length, mtimeMs: 0, bytes, sha256: sha256(bytes) }, DEFAULT_LIMITS);
  try {
    return await f(source);
  } finally {
    await source.close();
  }
}

function run(tool: string, args: string[]): void {
  const r = spawnSync(tool, args);
  if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${r.stderr}`);
}

/** The scan as a 1-bit bitmap (1 = black, rows padded to whole bytes, as PBM stores it). */
function bitonal(lines: string[], dpi: number): { width: number; height: number; pbm: Buffer; pgm: Buffer } {
  const canvas = renderScan(lines, { dpi });
  const { width, height } = canvas;
  const d = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  const rowBytes = Math.ceil(width / 8);
  const bits = Buffer.alloc(rowBytes * height);
  const grey = Buffer.alloc(width * height, 255);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (d[(y * width + x) * 4]! < 128) {
        bits[y * rowBytes + (x >> 3)]! |= 0x80 >> (x & 7);
        grey[y * width + x] = 0;
      }
    }
  }
  return { width, height, pbm: Buffer.concat([Buffer.from(`P4\n${width} ${height}\n`), bits]), pgm: Buffer.concat([Buffer.from(`P5\n${width} ${height}\n255\n`), grey]) };
}

/** A CCITT Group 4 TIFF of the bitmap, by libtiff (ppm2tiff, then tiffcp -c g4). */
function g4Tiff(dir: string, image: { pbm: Buffer }, dpi: number): string {
  writeFileSync(join(dir, 'scan.pbm'), image.pbm);
  run('ppm2tiff', ['-R', String(dpi), join(dir, 'scan.pbm'), join(dir, 'scan.tif')]);
  run('tiffcp', ['-c', 'g4', join(dir, 'scan.tif'), join(dir, 'g4.tif')]);
  return join(dir, 'g4.tif');
}

/**
 * A JBIG2 image as PDFs embed it (no file header): a page information segment, one immediate
 * generic region coded with MMR (the G4 coding, which JBIG2 allows for generic regions) holding
 * the G4 data libtiff wrote, and an end of page.
 */
function jbig2FromG4(tiff: Buffer): { bytes: Buffer; width: number; height: number } {
  const [ifd] = UTIF.decode(tiff) as Array<Record<string, number[]>>;
  const width = ifd!.t256![0]!;
  const height = ifd!.t257![0]!;
  if (ifd!.t259![0] !== 4 || ifd!.t273!.length !== 1) throw new Error('expected one G4 strip');
  const g4 = tiff.subarray(ifd!.t273![0]!, ifd!.t273![0]! + ifd!.t279![0]!);
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  // Segment header: number, flags (type; 1-byte page association), no referred-to segments, page 1, data length.
  const segment = (number: number, type: number, data: Buffer) => Buffer.concat([u32(number), Buffer.from([type, 0, 1]), u32(data.length), data]);
  const pageInfo = Buffer.concat([u32(width), u32(height), u32(0), u32(0), Buffer.from([0, 0, 0])]);
  // Region: width, height, x, y, combination OR; then generic region flags: MMR.
  const region = Buffer.concat([u32(width), u32(height), u32(0), u32(0), Buffer.from([0, 1]), g4]);
  return { bytes: Buffer.concat([segment(0, 48, pageInfo), segment(1, 38, region), segment(2, 49, Buffer.alloc(0))]), width, height };
}

/** makeImagePdf with a filter it does not know (the name is patched in; the bytes are stored as given). */
async function imagePdfWithFilter(bytes: Buffer, width: number, height: number, dpi: number, filter: string): Promise<Buffer> {
  const [w, h] = [(width * 72) / dpi, (height * 72) / dpi];
  const pdf = await makeImagePdf([{ width: w, height: h, content: `q ${w} 0 0 ${h} 0 0 cm /Im0 Do Q`, images: { Im0: { bytes, width, height, filter: 'FlateDecode', colorSpace: 'DeviceGray', bitsPerComponent: 1 } } }]);
  const text = pdf.toString('latin1');
  if (!text.includes('/Filter /FlateDecode')) throw new Error('filter not found');
  return Buffer.from(text.replace('/Filter /FlateDecode', `/Filter /${filter}`), 'latin1');
}

/** An XFA form as LiveCycle writes it: a placeholder page, and the content in the AcroForm's XFA packets. */
async function xfaPdf(packets: Record<string, string> | null, placeholder = true): Promise<Buffer> {
  const { PDFDocument: LibDocument, PDFName, PDFString, StandardFonts } = await import('pdf-lib');
  const doc = await LibDocument.create();
  const page = doc.addPage([595.28, 841.89]);
  if (placeholder) {
    const font = await doc.embedFont(StandardFonts.Helvetica);
    const lines = ['Please wait...', '', 'If this message is not eventually replaced by the proper contents of the document, your PDF', 'viewer may not be able to display this type of document.'];
    lines.forEach((l, i) => page.drawText(l, { x: 40, y: 780 - i * 16, size: 11, font }));
  }
  const xfa = packets
    ? doc.context.obj(Object.entries(packets).flatMap(([name, xml]) => [PDFString.of(name), doc.context.register(doc.context.flateStream(Buffer.from(xml, 'utf8')))]))
    : doc.context.register(doc.context.stream(Buffer.from('\x00\x01 not xml', 'latin1')));
  doc.catalog.set(PDFName.of('AcroForm'), doc.context.obj({ Fields: [], XFA: xfa }));
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}

const XFA_TEMPLATE = `<template xmlns="http://www.xfa.org/schema/xfa-template/3.3/">
  <subform name="form1" layout="tb"><pageSet><pageArea name="Page1"><contentArea w="8in" h="10in"/></pageArea></pageSet>
    <subform name="huvud">
      <draw name="rubrik"><value><text>Ans&#xF6;kan om deltagande i kvalitetsutm&#xE4;rkelsen</text></value></draw>
      <draw name="info"><value><exData contentType="text/html"><body xmlns="http://www.w3.org/1999/xhtml"><p>Stadsdelsn&#xE4;mnden godk&#xE4;nner att enheten deltar.</p></body></exData></value></draw>
      <field name="enhet"><caption><value><text>Enhetens namn</text></value></caption><ui><textEdit/></ui></field>
    </subform>
  </subform>
</template>`;
const XFA_DATASETS = `<xfa:datasets xmlns:xfa="http://www.xfa.org/schema/xfa-data/1.0/"><xfa:data><form1><huvud><enhet>Förskolan Ekorren</enhet></huvud></form1></xfa:data></xfa:datasets>`;

describe('a text layer is judged by its words', () => {
  it('counts a clean Swedish page as language and the same page shifted by one letter as not', () => {
    const clean = countLayer(LINES.join('\n'));
    const garbled = countLayer(shifted(LINES.join('\n')));
    expect(hitRate(clean)).toBeGreaterThan(0.8);
    expect(hitRate(garbled)).toBeLessThan(0.2);
    expect(judgeLayer(clean, clean)).toEqual({ garbled: false });
    expect(judgeLayer(garbled, garbled)).toMatchObject({ garbled: true, why: expect.stringMatching(/^\d+ % of its \d+ words are words \(below 35 %\)$/) });
    // A short page is judged with its document: nonsense in a nonsense document, kept in a clean one.
    const short = countLayer('Cjmbhb 2');
    expect(judgeLayer(short, garbled).garbled).toBe(true);
    expect(judgeLayer(short, clean).garbled).toBe(false);
    // Figures and punctuation are no evidence against a layer; control and private-use characters are.
    expect(judgeLayer(countLayer('12 345 678 – 2012-11-20'), garbled).garbled).toBe(false);
    expect(judgeLayer(countLayer('\u0001\u0002\u0003\ue001\ue002 \u0004\u0005'), clean).garbled).toBe(true);
    // Text in another script is not judged by Swedish words: OCR for Swedish would read it worse.
    const russian = countLayer('Комитет одобряет предложение о том, что подразделение участвует в конкурсе на премию качества.');
    expect(russian.words).toBe(0);
    expect(judgeLayer(russian, russian).garbled).toBe(false);
  });

  it('keeps a clean text layer untouched, and a one-line layer and a page number alone', async () => {
    const text = LINES.join('\n');
    const pdf = await makeTextPdf(text);
    await withSource(pdf, 'clean.pdf', (s) => {
      expect(s.pages[0]!.source).toBe('text-layer');
      expect(wordAccuracy(s.pages[0]!.text!, text)).toBe(1);
      expect(s.file.messages.filter((m) => m.stage === 'ingest')).toEqual([]);
    });
    for (const short of ['Bilaga 1', '3']) {
      await withSource(await makeTextPdf(short), 'short.pdf', (s) => {
        expect(s.pages[0]).toMatchObject({ source: 'text-layer', text: expect.stringContaining(short) });
        expect(s.file.messages.filter((m) => m.stage === 'ingest')).toEqual([]);
      });
    }
  });

  it('OCRs a page whose text layer comes from a broken ToUnicode map, keeping the layer in a message', async () => {
    const pdf = await brokenToUnicodePdf(LINES);
    await withSource(pdf, 'broken-map.pdf', async (s) => {
      expect(s.pages[0]).toMatchObject({ text: null, source: 'ocr' });
      const [m] = s.file.messages.filter((x) => x.rule === 'text-layer-garbled');
      expect(m).toMatchObject({ stage: 'ingest', severity: 'warning', page: 1 });
      expect(m!.reason).toMatch(/^page 1 has a text layer that is not language \(\d+ % of its \d+ words are words \(below 35 %\)\).*: OCR instead/);
      // The rejected layer's start, for the audit trail: the text shifted by one letter.
      expect(m!.actual!.startsWith(shifted(LINES[0]!).slice(0, 20))).toBe(true);
      // The page is rendered (its text is vector glyphs), not decoded from an image.
      const image = await s.pages[0]!.loadImage!();
      expect(image).toMatchObject({ origin: 'render', dpi: 300 });
    });
  });

  it('OCRs a page whose short text layer sits over a full-page scan', async () => {
    const canvas = renderScan(LINES, { dpi: 150 });
    const doc = new PDFDocument({ size: 'A4', margin: 0, autoFirstPage: false });
    doc.addPage();
    doc.image(toJpeg(canvas, 85), 0, 0, { width: 595.28, height: 841.89 });
    doc.font('Helvetica').fontSize(9).text('Sida 3', 500, 810, { lineBreak: false });
    const pdf = await pdfToBuffer(doc);
    await withSource(pdf, 'stamped-scan.pdf', (s) => {
      expect(s.pages[0]).toMatchObject({ text: null, source: 'ocr' });
      expect(s.file.messages.find((m) => m.rule === 'text-layer-over-image')!.reason).toMatch(/^page 1 has a text layer of only 5 characters and shows a large image/);
    });
  });
});

describe('an image that does not decode', () => {
  it('fails its page with a reason naming the image object, its size and its filter', async () => {
    // A JBIG2 page (8×1 pixels) whose regions combine with AND, which pdf.js's decoder does not do:
    // page information (flags: default combination operator AND), one MMR generic region holding one
    // white row (the G4 code V0, one bit), end of page.
    const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
    const segment = (number: number, type: number, data: Buffer) => Buffer.concat([u32(number), Buffer.from([type, 0, 1]), u32(data.length), data]);
    const jbig2 = Buffer.concat([
      segment(0, 48, Buffer.concat([u32(8), u32(1), u32(0), u32(0), Buffer.from([1 << 3, 0, 0])])),
      segment(1, 38, Buffer.concat([u32(8), u32(1), u32(0), u32(0), Buffer.from([0, 1, 0x80])])),
      segment(2, 49, Buffer.alloc(0)),
    ]);
    const pdf = await imagePdfWithFilter(jbig2, 8, 1, 1, 'JBIG2Decode');
    // Without jbig2dec (which decodes this one: test/jbig2dec.test.ts).
    const command = jbig2decSettings.command;
    jbig2decSettings.command = 'jbig2dec-not-installed';
    try {
      const error = await withSource(pdf, 'junk.pdf', (s) => s.pages[0]!.loadImage!()).catch((e) => e);
      expect(error).toBeInstanceOf(DocumentError);
      expect(error.code).toBe('corrupt-image');
      expect(error.message).toMatch(
        /^the page image \(\/Im0, object \d+ 0, 8×1, JBIG2Decode\) cannot be decoded: pdf\.js cannot decode it \(damaged, or JBIG2 features that pdf\.js does not decode\); installing jbig2dec \(Debian package jbig2dec\) would read it unless it is damaged$/,
      );
    } finally {
      jbig2decSettings.command = command;
    }
  });
});

describe('XFA forms', () => {
  it('reads the text of the XFA template and datasets instead of the "Please wait…" placeholder', async () => {
    const pdf = await xfaPdf({ preamble: '<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/">', template: XFA_TEMPLATE, datasets: XFA_DATASETS, postamble: '</xdp:xdp>' });
    await withSource(pdf, 'form.pdf', (s) => {
      expect(s.pages).toHaveLength(1);
      const text = s.pages[0]!.text!;
      expect(s.pages[0]!.source).toBe('text-layer');
      expect(text).not.toMatch(/Please wait/);
      expect(text.split('\n')).toEqual([
        'Ansökan om deltagande i kvalitetsutmärkelsen',
        'Stadsdelsnämnden godkänner att enheten deltar.',
        'Enhetens namn',
        'Förskolan Ekorren',
      ]);
      const m = s.file.messages.find((x) => x.rule === 'xfa-form')!;
      expect(m.reason).toMatch(/XFA template and datasets packets, not from its pages \(a viewer placeholder\)/);
      expect(m.actual).toMatch(/^Please wait/);
    });
  });

  it('ends unsupported-format, saying XFA, when the XFA data cannot be read', async () => {
    const pdf = await xfaPdf(null);
    const error = await withSource(pdf, 'broken-form.pdf', () => null).catch((e) => e);
    expect(error).toBeInstanceOf(DocumentError);
    expect(error.code).toBe('unsupported-format');
    expect(error.message).toMatch(/^broken-form\.pdf is an XFA form whose pages hold only a placeholder .*\("Please wait…"\), and its XFA data has no template or datasets packet that decodes$/);
  });
});

describe.runIf(HAS_QPDF)('encrypted PDFs that open without a password', () => {
  let dir: string;
  let plain: string;
  const text = 'Förvaltningens förslag till beslut\nSocialnämnden godkänner att enheten deltar i kvalitetsutmärkelsen.';
  beforeAll(async () => {
    dir = tempDir();
    plain = join(dir, 'plain.pdf');
    writeFileSync(plain, await makeTextPdf(text));
  });

  it.each([
    ['RC4 40-bit', ['40']],
    ['RC4 128-bit', ['128', '--use-aes=n']],
    ['AES-128', ['128', '--use-aes=y']],
    ['AES-256', ['256']],
  ])('reads the text of a file encrypted with %s and an empty user password', async (_, key) => {
    const out = join(dir, `enc-${key.join('')}.pdf`);
    run('qpdf', ['--allow-weak-crypto', '--encrypt', '', 'owner-secret', ...key, '--', plain, out]);
    await withSource(readFileSync(out), 'enc.pdf', (s) => {
      expect(s.pages[0]!.source).toBe('text-layer');
      expect(wordAccuracy(s.pages[0]!.text!, text)).toBe(1);
    });
  });

  it.each([
    ['AES-256 (revision 6)', []],
    ['AES-256 (revision 5)', ['--force-R5']],
  ])('reads the text of a file encrypted with %s, a user password and an empty owner password, as viewers open it', async (_, extra) => {
    const out = join(dir, `empty-owner${extra.join('')}.pdf`);
    run('qpdf', ['--allow-weak-crypto', '--encrypt', 'hemligt', '', '256', '--allow-insecure', ...extra, '--', plain, out]);
    await withSource(readFileSync(out), 'empty-owner.pdf', (s) => {
      expect(s.pages[0]!.source).toBe('text-layer');
      expect(wordAccuracy(s.pages[0]!.text!, text)).toBe(1);
    });
  });

  it('ends encrypted-pdf, in its own words, when the file needs a user password', async () => {
    const out = join(dir, 'user-password.pdf');
    run('qpdf', ['--encrypt', 'hemligt', 'owner-secret', '256', '--', plain, out]);
    const error = await withSource(readFileSync(out), 'user-password.pdf', () => null).catch((e) => e);
    expect(error).toMatchObject({ code: 'encrypted-pdf' });
    expect(error.message).toBe("user-password.pdf is encrypted and needs a password: it does not open with the empty password, as the user's or the owner's, that viewers try");
    expect(error.message).not.toMatch(/No password given/);
  });
});

describe('ingesting strange PDFs (real OCR)', () => {
  let dir: string;
  let summary: RunSummary;
  const expected: Record<string, string> = {};
  const query = <T>(sql: string, ...args: unknown[]): T[] => {
    const raw = new BetterSqlite3(join(dir, 'a.sqlite'), { readonly: true });
    try {
      return raw.prepare(sql).all(...args) as T[];
    } finally {
      raw.close();
    }
  };
  const pageOf = (name: string) =>
    query<{ source: string; text: string }>('SELECT p.source, p.text FROM pages p JOIN files f ON f.document_id = p.document_id WHERE f.name = ? ORDER BY p.page', name)[0]!;
  const messagesOf = (name: string, rule: string) =>
    query<{ reason: string; actual: string | null }>('SELECT m.reason, m.actual FROM messages m JOIN files f ON f.document_id = m.document_id WHERE f.name = ? AND m.rule = ?', name, rule);

  beforeAll(async () => {
    dir = tempDir();
    const input = join(dir, 'in');
    const work = join(dir, 'work');
    mkdirSync(input);
    mkdirSync(work);
    const scanText = LINES.join('\n');
    const put = (name: string, bytes: Buffer, text = scanText) => {
      writeFileSync(join(input, name), bytes);
      expected[name] = text;
    };
    put('broken-map.pdf', await brokenToUnicodePdf(LINES));
    put('bad-ocr-layer.pdf', await scanWithBadOcrLayer(LINES));
    // A4 at 200 dpi: 1654 pixels wide, not a multiple of 8.
    const image = bitonal(LINES, 200);
    if (HAS_TIFFCP && HAS_IMG2PDF) {
      const tiff = g4Tiff(work, image, 200);
      run('img2pdf', [tiff, '-o', join(input, 'g4-1654.pdf')]);
      expected['g4-1654.pdf'] = scanText;
      const jbig2 = jbig2FromG4(readFileSync(tiff));
      put('jbig2-1654.pdf', await imagePdfWithFilter(jbig2.bytes, jbig2.width, jbig2.height, 200, 'JBIG2Decode'));
    }
    if (HAS_OPJ && HAS_IMG2PDF) {
      writeFileSync(join(work, 'scan.pgm'), image.pgm);
      run('opj_compress', ['-i', join(work, 'scan.pgm'), '-o', join(work, 'scan.jp2'), '-r', '20']);
      run('img2pdf', [join(work, 'scan.jp2'), '-o', join(input, 'jpx.pdf')]);
      expected['jpx.pdf'] = scanText;
    }
    // Two pages; the second's JPEG is destroyed: one failed page for the run to count.
    const jpeg = toJpeg(renderScan(['Sida 1 av 2.', 'Socialnämnden godkänner förslaget.'], { dpi: 100 }), 80);
    const broken = Buffer.concat([jpeg.subarray(0, 700), Buffer.alloc(jpeg.length - 702, 0x42), Buffer.from([0xff, 0xd9])]);
    const one = await jpegScanPdf(jpeg, 827, 1169, 100);
    const two = await jpegScanPdf(broken, 827, 1169, 100);
    const { PDFDocument: LibDocument } = await import('pdf-lib');
    const both = await LibDocument.create();
    for (const part of [one, two]) {
      const src = await LibDocument.load(part);
      for (const p of await both.copyPages(src, [0])) both.addPage(p);
    }
    put('page-2-broken.pdf', Buffer.from(await both.save()), '');
    summary = await ingest([input], { db: join(dir, 'a.sqlite'), concurrency: 2 });
  });

  it('stores every file', () => {
    expect(summary.failures).toEqual([]);
    expect(summary.counts.ingested).toBe(Object.keys(expected).length);
  });

  it.each(['broken-map.pdf', 'bad-ocr-layer.pdf'])('stores the OCR text of %s, not its garbled layer, which a message keeps', (name) => {
    const page = pageOf(name);
    expect(page.source).toBe('ocr');
    const accuracy = wordAccuracy(page.text, expected[name]!);
    console.log(`pdf-hostile.test: word accuracy ${name}: ${accuracy.toFixed(3)}`);
    expect(accuracy).toBeGreaterThanOrEqual(0.95);
    const [m] = messagesOf(name, 'text-layer-garbled');
    expect(m!.reason).toMatch(/is not language/);
    expect(m!.actual!.length).toBeGreaterThan(50);
    expect(wordAccuracy(m!.actual!, expected[name]!)).toBeLessThan(0.2);
  });

  it.runIf(HAS_TIFFCP && HAS_IMG2PDF).each(['g4-1654.pdf', 'jbig2-1654.pdf'])('OCRs the bitonal scan %s (1654 pixels wide) at ≥ 0.95 word accuracy', (name) => {
    const page = pageOf(name);
    expect(page.source).toBe('ocr');
    const accuracy = wordAccuracy(page.text, expected[name]!);
    console.log(`pdf-hostile.test: word accuracy ${name}: ${accuracy.toFixed(3)}`);
    expect(accuracy).toBeGreaterThanOrEqual(0.95);
    expect(messagesOf(name, 'ocr-page')[0]!.reason).toMatch(/from embedded image 1654×2339 at 200 dpi/);
  });

  it.runIf(HAS_OPJ && HAS_IMG2PDF)('OCRs a JPEG 2000 scan (pdf.js decodes it with its OpenJPEG wasm) at ≥ 0.95 word accuracy', () => {
    const page = pageOf('jpx.pdf');
    expect(page.source).toBe('ocr');
    const accuracy = wordAccuracy(page.text, expected['jpx.pdf']!);
    console.log(`pdf-hostile.test: word accuracy jpx.pdf: ${accuracy.toFixed(3)}`);
    expect(accuracy).toBeGreaterThanOrEqual(0.95);
  });

  it('counts the failed page in the runs table', () => {
    expect(summary.pageFailures).toHaveLength(1);
    const [runRow] = query<{ pages_failed: number; failed: number }>('SELECT pages_failed, failed FROM runs ORDER BY id DESC LIMIT 1');
    expect(runRow).toEqual({ pages_failed: 1, failed: 0 });
  });
});
