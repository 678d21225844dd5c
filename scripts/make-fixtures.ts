/**
 * Builds the generated test documents from the corpus texts into a folder (default
 * test/fixtures/generated): text-layer PDFs, a multi-page scanned PDF, PNG/JPEG/TIFF scans
 * (clean and degraded), a PDF mixing both, and broken files of every kind the ingest must report.
 *
 *   npm run fixtures [-- --out DIR]
 *
 * Deterministic: the same files on every machine. Also used by the tests (test/fixtures.ts).
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEGRADED_SCAN,
  makeMixedPdf,
  makePixelBombPng,
  makeScannedPdf,
  makeTextPdf,
  paginate,
  randomBytes,
  renderScan,
  toJpeg,
  toPng,
  toTiff,
} from './fixtures.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_OUT = join(ROOT, 'test/fixtures/generated');
/** Bump when the fixtures change, so stale generated folders are rebuilt. */
export const FIXTURES_VERSION = '3';

export function corpusText(stem: string): string {
  return readFileSync(join(ROOT, 'corpus', `${stem}.txt`), 'utf8');
}

/** Blank lines dropped (the extracted seeds have many), so scans carry text, not whitespace. */
function compact(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('\n');
}

export interface FixtureSet {
  dir: string;
  good: string;
  bad: string;
  /** The text each scan was rendered from, for accuracy checks. */
  sources: Record<string, string>;
}

export async function makeFixtures(out = DEFAULT_OUT): Promise<FixtureSet> {
  const good = join(out, 'mixed');
  const bad = join(out, 'mixed/broken');
  const set: FixtureSet = { dir: out, good, bad, sources: {} };
  const stamp = join(out, '.version');
  const sourcesFile = join(out, 'sources.json');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === FIXTURES_VERSION && existsSync(sourcesFile)) {
    set.sources = JSON.parse(readFileSync(sourcesFile, 'utf8'));
    return set;
  }
  mkdirSync(bad, { recursive: true });
  const write = (name: string, data: Buffer | string, dir = good) => writeFileSync(join(dir, name), data);

  const t2024 = compact(corpusText('002_3e46df6f17c46d2f'));
  const t2012 = compact(corpusText('000_32a9fff0cf960181'));
  const t2017 = compact(corpusText('001_91a3c1650f19c566'));

  // Text-layer PDFs.
  write('2024-socialnamnden.pdf', await makeTextPdf(t2024));
  write('2012-socialnamnden.pdf', await makeTextPdf(t2012));

  // A scanned PDF of three short pages, degraded like an office scanner's output.
  const scanPages = paginate(t2017, 16).slice(0, 3);
  write(
    '2017-scan.pdf',
    await makeScannedPdf(scanPages.map((lines, i) => toJpeg(renderScan(lines, { ...DEGRADED_SCAN, seed: i + 1 }), 60))),
  );
  set.sources['2017-scan.pdf'] = scanPages.map((p) => p.join('\n')).join('\n');

  // Image scans: a clean 300-dpi PNG, a degraded JPEG, a two-page TIFF.
  const p2012 = paginate(t2012, 18);
  write('2012-page1.png', toPng(renderScan(p2012[0]!)));
  set.sources['2012-page1.png'] = p2012[0]!.join('\n');
  write('2012-page2.jpg', toJpeg(renderScan(p2012[1]!, { ...DEGRADED_SCAN, seed: 9 }), 55));
  set.sources['2012-page2.jpg'] = p2012[1]!.join('\n');
  const p2024 = paginate(t2024, 14);
  write('2024-two-pages.tif', toTiff([renderScan(p2024[0]!, { dpi: 200 }), renderScan(p2024[1]!, { dpi: 200, rotateDeg: -0.4 })]));
  set.sources['2024-two-pages.tif'] = `${p2024[0]!.join('\n')}\n${p2024[1]!.join('\n')}`;

  // One page with a text layer, one scanned.
  write('2024-mixed.pdf', await makeMixedPdf(p2024[2]!.join('\n'), toJpeg(renderScan(p2024[3] ?? p2024[0]!, { dpi: 200 }), 75)));
  set.sources['2024-mixed.pdf#2'] = (p2024[3] ?? p2024[0]!).join('\n');

  // The same bytes under a second name.
  write('2012-socialnamnden-copy.pdf', readFileSync(join(good, '2012-socialnamnden.pdf')));

  // Broken files, each a different reason.
  const textPdf = readFileSync(join(good, '2024-socialnamnden.pdf'));
  write('empty.pdf', Buffer.alloc(0), bad);
  write('truncated.pdf', textPdf.subarray(0, Math.floor(textPdf.length * 0.3)), bad);
  write('encrypted.pdf', await makeTextPdf('Sekretess: detta dokument är krypterat.', { userPassword: 'hemligt' }), bad);
  write('random-bytes.png', randomBytes(4096), bad);
  const scan = readFileSync(join(good, '2012-page2.jpg'));
  write('cut-off-scan.jpg', scan.subarray(0, Math.floor(scan.length * 0.6)), bad);
  write('pixel-bomb.png', makePixelBombPng(), bad);
  write('binary.txt', randomBytes(2048, 3), bad);
  write('only-whitespace.txt', ' \n\n\t \n', bad);
  // Not a document type at all: skipped, not failed.
  write('minutes.docx', Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), randomBytes(512, 5)]), bad);

  writeFileSync(sourcesFile, JSON.stringify(set.sources, null, 2));
  writeFileSync(stamp, FIXTURES_VERSION);
  return set;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const set = await makeFixtures(i > 0 ? resolve(process.argv[i + 1]!) : DEFAULT_OUT);
  console.log(`fixtures in ${set.dir}`);
}
