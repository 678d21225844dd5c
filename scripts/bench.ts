/**
 * Benchmarks: OCR latency and throughput, text ingest throughput, and the cost of a re-run.
 *
 *   npm run bench [-- --quick]
 *
 * Inputs are generated (scans rendered from the corpus texts; text documents made from the seeds)
 * into bench/out/. Each measurement runs several times; the table shows median, min and max, and
 * the last line is one JSON object with the figures.
 */
import { mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ingest } from '../src/pipeline.js';
import { OcrPool } from '../src/ocr/worker-pool.js';
import type { OcrImage } from '../src/ingest/image.js';
import { paginate, renderScan, toJpeg, makeScannedPdf, DEGRADED_SCAN } from './fixtures.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'bench/out');
const quick = process.argv.includes('--quick');
const RUNS = quick ? 2 : 3;

interface Stat {
  name: string;
  unit: string;
  values: number[];
}
const stats: Stat[] = [];
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
function record(name: string, unit: string, values: number[]): number {
  stats.push({ name, unit, values });
  return median(values);
}

function seedTexts(): string[] {
  return ['000_32a9fff0cf960181', '001_91a3c1650f19c566', '002_3e46df6f17c46d2f', '004_6306731b55b2ba86'].map((s) =>
    readFileSync(join(ROOT, 'corpus', `${s}.txt`), 'utf8'),
  );
}

/** Full A4 pages of running text scanned at 300 dpi, degraded, as JPEG. */
function scanPages(n: number): OcrImage[] {
  const text = seedTexts()
    .map((t) => t.split('\n').map((l) => l.trim()).filter(Boolean).join('\n'))
    .join('\n');
  const pages = paginate(text, 40);
  return Array.from({ length: n }, (_, i) => {
    const canvas = renderScan(pages[i % pages.length]!, { ...DEGRADED_SCAN, dpi: 300, seed: i + 1 });
    return { data: toJpeg(canvas, 80), width: canvas.width, height: canvas.height, dpi: 300, origin: 'file' as const };
  });
}

async function benchOcr(pages: OcrImage[]) {
  const first: number[] = [];
  const steady: number[] = [];
  const twoWorkers: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    // One worker: the first page includes starting the worker and loading the model.
    const one = new OcrPool({ size: 1, timeoutMs: 600_000 });
    let t = performance.now();
    await one.recognize(pages[0]!);
    first.push((performance.now() - t) / 1000);
    t = performance.now();
    for (const p of pages.slice(1)) await one.recognize(p);
    steady.push((performance.now() - t) / 1000 / (pages.length - 1));
    await one.close();
    // Two workers, started before the clock: steady throughput.
    const two = new OcrPool({ size: 2, timeoutMs: 600_000 });
    await Promise.all([two.recognize(pages[0]!), two.recognize(pages[1]!)]);
    t = performance.now();
    await Promise.all(pages.map((p) => two.recognize(p)));
    twoWorkers.push(pages.length / ((performance.now() - t) / 1000));
    await two.close();
  }
  return {
    first: record('OCR first page (1 worker, incl. start)', 's', first),
    steady: record('OCR steady state (1 worker)', 's/page', steady),
    pps: record('OCR throughput (2 workers)', 'pages/s', twoWorkers),
  };
}

async function benchScannedIngest(pages: number) {
  const dir = join(OUT, 'scanned');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const text = seedTexts()[1]!.split('\n').map((l) => l.trim()).filter(Boolean).join('\n');
  const p = paginate(text, 40);
  const jpegs = Array.from({ length: pages }, (_, i) => toJpeg(renderScan(p[i % p.length]!, { ...DEGRADED_SCAN, dpi: 300, seed: i }), 80));
  writeFileSync(join(dir, 'scan.pdf'), await makeScannedPdf(jpegs));
  const firstRun: number[] = [];
  const rerun: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const db = join(OUT, `scanned-${r}.sqlite`);
    rmSync(db, { force: true });
    let t = performance.now();
    await ingest([dir], { db, concurrency: 2 });
    firstRun.push(pages / ((performance.now() - t) / 1000));
    t = performance.now();
    await ingest([dir], { db, concurrency: 2 });
    rerun.push((performance.now() - t) / 1000);
  }
  return {
    pps: record(`ingest scanned PDF end to end (${pages} pages, 2 workers)`, 'pages/s', firstRun),
    rerun: record('re-run over the unchanged scanned PDF', 's', rerun),
  };
}

async function benchText(docs: number) {
  const dir = join(OUT, 'text');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const texts = seedTexts();
  for (let i = 0; i < docs; i++) writeFileSync(join(dir, `doc-${String(i).padStart(5, '0')}.txt`), `${texts[i % texts.length]}\n\nLöpnummer ${i}\n`);
  const rates: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const db = join(OUT, `text-${r}.sqlite`);
    rmSync(db, { force: true });
    let t = performance.now();
    await ingest([dir], { db, concurrency: 2 });
    const firstS = (performance.now() - t) / 1000;
    rates.push(docs / firstS);
    t = performance.now();
    await ingest([dir], { db, concurrency: 2 });
    ratios.push((performance.now() - t) / 1000 / firstS);
  }
  return {
    dps: record(`ingest text documents (${docs})`, 'docs/s', rates),
    ratio: record('re-run / first run (text documents)', 'ratio', ratios),
  };
}

/**
 * A nightly re-run through the CLI (process start included) over the corpus plus scans (a scanned
 * PDF, PNG, JPEG, TIFF), against the first run: the re-run must read, render and OCR nothing.
 */
async function benchReingest() {
  const { makeFixtures } = await import('./make-fixtures.js');
  const fx = await makeFixtures();
  const dir = join(OUT, 'reingest');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of ['2017-scan.pdf', '2012-page1.png', '2012-page2.jpg', '2024-two-pages.tif', '2024-mixed.pdf']) writeFileSync(join(dir, f), readFileSync(join(fx.good, f)));
  const cli = (db: string) => {
    const t = performance.now();
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/beslutsarkiv.js'), 'ingest', join(ROOT, 'corpus'), dir, '--db', db, '--log-format', 'json'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return (performance.now() - t) / 1000;
  };
  const firsts: number[] = [];
  const reruns: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const db = join(OUT, `reingest-${r}.sqlite`);
    rmSync(db, { force: true });
    rmSync(`${db}-wal`, { force: true });
    firsts.push(cli(db));
    reruns.push(cli(db));
  }
  const first = record('ingest corpus + 5 scans (CLI, first run)', 's', firsts);
  const rerun = record('re-run over the same, unchanged (CLI)', 's', reruns);
  return { first, rerun, ratio: record('re-run / first run (with scans)', 'ratio', reruns.map((x, i) => x / firsts[i]!)) };
}

mkdirSync(OUT, { recursive: true });
const pages = scanPages(quick ? 4 : 8);
const ocr = await benchOcr(pages);
const scanned = await benchScannedIngest(quick ? 4 : 8);
const text = await benchText(quick ? 300 : 1000);
const reingest = await benchReingest();
// maxRSS is the peak resident set of this process, in KiB (OCR workers are threads of it).
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);

const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(2) : n.toFixed(3));
console.log(`\nbeslutsarkiv bench${quick ? ' (quick)' : ''}: ${RUNS} runs each, node ${process.version}\n`);
console.log(`${'measurement'.padEnd(58)}${'median'.padStart(10)}${'min'.padStart(10)}${'max'.padStart(10)}  unit`);
for (const s of stats) {
  console.log(
    `${s.name.padEnd(58)}${fmt(median(s.values)).padStart(10)}${fmt(Math.min(...s.values)).padStart(10)}${fmt(Math.max(...s.values)).padStart(10)}  ${s.unit}`,
  );
}
console.log(
  JSON.stringify({
    ocr_first_page_s: +ocr.first.toFixed(3),
    ocr_steady_s_per_page: +ocr.steady.toFixed(3),
    ocr_pages_per_s: +ocr.pps.toFixed(3),
    ingest_scanned_pages_per_s: +scanned.pps.toFixed(3),
    reingest_scanned_s: +scanned.rerun.toFixed(3),
    ingest_text_docs_per_s: +text.dps.toFixed(1),
    reingest_ratio: +reingest.ratio.toFixed(4),
    reingest_text_ratio: +text.ratio.toFixed(4),
    peak_rss_mb: peakRssMb,
  }),
);
