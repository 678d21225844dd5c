/**
 * Which resolution OCR needs: pages of 11.5-, 9- and 8-point text (the 8-point page with heavy
 * noise) scanned at 300 dpi, prepared at 300 … 150 dpi, recognised by one worker. Prints time and
 * word accuracy for each; the choice of OCR_DPI in src/ocr/prepare-image.ts rests on it.
 *
 *   npm run bench:ocr-dpi
 * The last line is one JSON object: { "<page> @ <dpi>": [seconds per page, word accuracy] }.
 */
import { OcrPool } from '../src/ocr/worker-pool.js';
import { prepareForOcr } from '../src/ocr/prepare-image.js';
import { wordAccuracy } from '../src/repair/word-accuracy.js';
import { DEGRADED_SCAN, paginate, renderScan, toJpeg } from './fixtures.js';
import { seedTexts } from './bench-lib.js';

const text = seedTexts()
  .map((t) => t.split('\n').map((l) => l.trim()).filter(Boolean).join('\n'))
  .join('\n');
const pages = [
  { name: '11.5 pt', fontPt: 11.5, lines: 40, scan: DEGRADED_SCAN },
  { name: '9 pt', fontPt: 9, lines: 55, scan: DEGRADED_SCAN },
  { name: '8 pt, heavy noise', fontPt: 8, lines: 62, scan: { ...DEGRADED_SCAN, blur: 0.9, noise: 24, paper: 225 } },
];
const pool = new OcrPool({ size: 1, timeoutMs: 600_000 });
const results: Record<string, [number, number]> = {};
console.log(`${'page'.padEnd(20)}${'dpi'.padStart(5)}${'s/page'.padStart(9)}${'words right'.padStart(13)}`);
for (const page of pages) {
  const texts = paginate(text, page.lines, page.fontPt).slice(0, 2);
  const scans = texts.map((lines, i) => {
    const canvas = renderScan(lines, { ...page.scan, dpi: 300, seed: i + 3, fontPt: page.fontPt });
    return { data: toJpeg(canvas, 80), width: canvas.width, height: canvas.height, dpi: 300, origin: 'file' as const };
  });
  for (const dpi of [300, 250, 200, 170, 150]) {
    let seconds = 0;
    let accuracy = 0;
    for (const [i, scan] of scans.entries()) {
      const t = performance.now();
      const result = await pool.recognize(await prepareForOcr(scan, { targetDpi: dpi }));
      seconds += (performance.now() - t) / 1000;
      accuracy += wordAccuracy(result.text, texts[i]!.join('\n'));
    }
    results[`${page.name} @ ${dpi}`] = [+(seconds / scans.length).toFixed(2), +(accuracy / scans.length).toFixed(4)];
    console.log(`${page.name.padEnd(20)}${String(dpi).padStart(5)}${(seconds / scans.length).toFixed(2).padStart(9)}${(accuracy / scans.length).toFixed(4).padStart(13)}`);
  }
}
await pool.close();
console.log(JSON.stringify(results));
