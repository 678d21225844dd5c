/**
 * What setting pages straight costs and buys: pages of the seeds rendered as 200-dpi office scans
 * (DEGRADED_SCAN: grey paper, blur, noise, and its own 0.6° skew), straight, skewed by ±3°, on their
 * side and upside down, each read by the OCR stage as it is now and as it was before (no skew
 * measurement, no orientation check). One worker. Prints, per case, word accuracy and seconds per
 * page both ways, then what the skew measurement costs on an upright page.
 *
 *   npx tsx scripts/bench-orientation.ts [--pages N]
 * The last line is one JSON object: { "<case>": { before: [s, accuracy], now: [s, accuracy] }, "skew measurement ms": … }.
 */
import type { Canvas } from '@napi-rs/canvas';
import type { DocumentFile } from '../src/document-file.js';
import { readSource } from '../src/ingest/read-source.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { ocrPages } from '../src/ocr/ocr-pages.js';
import { estimateSkew } from '../src/ocr/orientation.js';
import { prepareForOcr } from '../src/ocr/prepare-image.js';
import { OcrPool } from '../src/ocr/worker-pool.js';
import { sha256 } from '../src/pipeline.js';
import { wordAccuracy } from '../src/repair/word-accuracy.js';
import { seedTexts } from './bench-lib.js';
import { DEGRADED_SCAN, paginate, renderScan, toPng, turned } from './fixtures.js';

const arg = process.argv.indexOf('--pages');
const PAGES = arg > 0 ? Number(process.argv[arg + 1]) : 2;
const text = seedTexts()
  .map((t) => t.split('\n').map((l) => l.trim()).filter(Boolean).join('\n'))
  .join('\n');
const texts = paginate(text, 40).slice(0, PAGES);
const SCAN = { ...DEGRADED_SCAN, dpi: 200 };


const cases: Array<[string, (lines: string[], seed: number) => Canvas]> = [
  ['straight (0°)', (lines, seed) => renderScan(lines, { ...SCAN, rotateDeg: 0, seed })],
  ['office scan (0.6°)', (lines, seed) => renderScan(lines, { ...SCAN, seed })],
  ['skewed +3°', (lines, seed) => renderScan(lines, { ...SCAN, rotateDeg: 3, seed })],
  ['skewed −3°', (lines, seed) => renderScan(lines, { ...SCAN, rotateDeg: -3, seed })],
  ['upside down', (lines, seed) => turned(renderScan(lines, { ...SCAN, seed }), 180)],
  ['turned 90°', (lines, seed) => turned(renderScan(lines, { ...SCAN, seed }), 90)],
  ['turned 270°', (lines, seed) => turned(renderScan(lines, { ...SCAN, seed }), 270)],
];

const pool = new OcrPool({ size: 1, timeoutMs: 600_000 });
// The worker is started before anything is timed.
await pool.recognize(await prepareForOcr({ data: toPng(renderScan(['Start'], SCAN)), width: 1654, height: 2339, dpi: 200, origin: 'file' }));

async function now(png: Buffer): Promise<DocumentFile> {
  const source = await readSource({ path: '/bench/scan.png', name: 'scan.png', size: png.length, mtimeMs: 0, bytes: png, sha256: sha256(png) }, DEFAULT_LIMITS);
  try {
    return await ocrPages(source, { pool });
  } finally {
    await source.close();
  }
}

const results: Record<string, unknown> = {};
console.log(`${'case'.padEnd(22)}${'before s'.padStart(10)}${'words'.padStart(8)}${'now s'.padStart(9)}${'words'.padStart(8)}  corrections`);
for (const [name, make] of cases) {
  let before = [0, 0];
  let after = [0, 0];
  const corrections = new Set<string>();
  for (const [i, lines] of texts.entries()) {
    const canvas = make(lines, i + 1);
    const png = toPng(canvas);
    const truth = lines.join('\n');
    let t = performance.now();
    const old = await pool.recognize(await prepareForOcr({ data: png, width: canvas.width, height: canvas.height, dpi: 200, origin: 'file' }, { straighten: false }));
    before = [before[0]! + (performance.now() - t) / 1000, before[1]! + wordAccuracy(old.text, truth)];
    t = performance.now();
    const file = await now(png);
    after = [after[0]! + (performance.now() - t) / 1000, after[1]! + wordAccuracy(file.pages[0]!.text, truth)];
    for (const m of file.messages) if (m.rule === 'ocr-deskew' || m.rule === 'ocr-orientation') corrections.add(`${m.rule} ${m.actual}`);
  }
  const n = texts.length;
  const row = { before: [+(before[0]! / n).toFixed(2), +(before[1]! / n).toFixed(3)], now: [+(after[0]! / n).toFixed(2), +(after[1]! / n).toFixed(3)] };
  results[name] = row;
  console.log(`${name.padEnd(22)}${row.before[0]!.toFixed(2).padStart(10)}${row.before[1]!.toFixed(3).padStart(8)}${row.now[0]!.toFixed(2).padStart(9)}${row.now[1]!.toFixed(3).padStart(8)}  ${[...corrections].join('; ')}`);
}
await pool.close();

// The skew measurement alone, on the grey pixels of an upright 200-dpi A4 page (what every page pays).
const page = renderScan(texts[0]!, { ...SCAN, rotateDeg: 0 });
const rgba = page.getContext('2d').getImageData(0, 0, page.width, page.height).data;
const grey = new Uint8Array(page.width * page.height);
for (let i = 0; i < grey.length; i++) grey[i] = rgba[i * 4]!;
const times: number[] = [];
for (let i = 0; i < 15; i++) {
  const t = performance.now();
  estimateSkew(grey, page.width, page.height);
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
results['skew measurement ms'] = +times[7]!.toFixed(1);
console.log(`skew measurement on an upright ${page.width}×${page.height} page: median ${times[7]!.toFixed(1)} ms of 15`);
console.log(JSON.stringify(results));
