/**
 * Extraction F1, with precision and recall per field, through the whole pipeline (ingest → OCR →
 * normalize → layout → extract → store → export) on:
 * - the seeds (test/gold) and the project's own variants (test/variants);
 * - the development set written independently of the project (test/devset): d01–d16 (developed
 *   against), d17–d24 (held out) and all 24;
 * - the development set re-laid as archives deliver it (test/devset/relaid), each kind apart;
 * - the variants and the development set rendered as scans and OCRed (skip with --no-scans).
 *
 *   npm run bench:extract [-- --no-scans] [-- --verbose]
 * Prints a table of F1/P/R per set, the per-field table of the development set, every miss with
 * --verbose, and one JSON line with all figures.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareRecords, scores, type Comparison } from '../src/extract/compare.js';
import { ingest } from '../src/pipeline.js';
import { openDatabase } from '../src/store/database.js';
import { exportRecords } from '../src/store/read.js';
import type { DocumentRecord } from '../schemas/record.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function expectedIn(dir: string): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(join(dir, f), 'utf8'))]),
  );
}

async function exportOf(inputs: string[]): Promise<DocumentRecord[]> {
  const tmp = mkdtempSync(join(tmpdir(), 'beslutsarkiv-extract-'));
  try {
    const db = join(tmp, 'a.sqlite');
    await ingest(inputs, { db });
    const database = openDatabase(db, { readonly: true });
    const records = exportRecords(database);
    database.close();
    return records;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export async function scoreDirectory(inputs: string[], expectedDir: string, expected = expectedIn(expectedDir)) {
  return compareRecords((await exportOf(inputs)) as never, expected);
}

/** Texts rendered as scans (degraded like an office scanner's output): one page as PNG, longer as a scanned PDF. */
async function renderScans(files: string[], dir: string): Promise<void> {
  const { DEGRADED_SCAN, makeScannedPdf, paginate, renderScan, toJpeg, toPng } = await import('./fixtures.js');
  for (const f of files) {
    const text = readFileSync(f, 'utf8').replace(/^#+\s*/gmu, '').replace(/\*\*/gu, '');
    const pages = paginate(text, 44);
    const stem = f.split('/').pop()!.replace(/\.(txt|md)$/u, '');
    if (pages.length === 1) writeFileSync(join(dir, `${stem}.png`), toPng(renderScan(pages[0]!, { ...DEGRADED_SCAN, dpi: 300 })));
    else writeFileSync(join(dir, `${stem}.pdf`), await makeScannedPdf(pages.map((p, i) => toJpeg(renderScan(p, { ...DEGRADED_SCAN, dpi: 300, seed: i + 1 }), 75))));
  }
}

const pick = (gold: Record<string, Record<string, unknown>>, keep: (k: string) => boolean) => Object.fromEntries(Object.entries(gold).filter(([k]) => keep(k)));
const num = (k: string) => Number(k.slice(1, 3));
const f3 = (x: number) => x.toFixed(3);

function row(label: string, c: Comparison): string {
  const s = scores(c);
  return `${label.padEnd(34)} ${f3(c.f1)}  ${f3(s.precision)}  ${f3(s.recall)}  ${String(c.tp).padStart(5)} ${String(c.fp).padStart(4)} ${String(c.fn).padStart(4)}`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const verbose = process.argv.includes('--verbose');
  const withScans = !process.argv.includes('--no-scans');
  const results: Array<[string, Comparison]> = [];

  results.push(['seeds', await scoreDirectory([join(ROOT, 'corpus')], join(ROOT, 'test/gold'))]);
  results.push(['variants', await scoreDirectory([join(ROOT, 'test/variants')], join(ROOT, 'test/variants'))]);

  const devGold = expectedIn(join(ROOT, 'test/devset/gold'));
  const written = await exportOf([join(ROOT, 'test/devset/texts')]);
  results.push(['devset d01–d16', compareRecords(written as never, pick(devGold, (k) => num(k) <= 16))]);
  results.push(['devset d17–d24 (held out)', compareRecords(written as never, pick(devGold, (k) => num(k) >= 17))]);
  const all = compareRecords(written as never, devGold);
  results.push(['devset all', all]);

  const relaid = await exportOf([join(ROOT, 'test/devset/relaid')]);
  for (const kind of ['wrap', 'word-export', 'page-header', 'side-column', 'mixed']) {
    const records = relaid.filter((r) => r.source.file.includes(`.${kind}.`));
    results.push([`devset re-laid: ${kind}`, compareRecords(records as never, pick(devGold, (k) => records.some((r) => r.source.file.startsWith(`${k}.`))))]);
  }

  if (withScans) {
    const scanDir = mkdtempSync(join(tmpdir(), 'beslutsarkiv-scans-'));
    const variantTexts = readdirSync(join(ROOT, 'test/variants')).filter((f) => f.endsWith('.txt')).map((f) => join(ROOT, 'test/variants', f));
    await renderScans(variantTexts, scanDir);
    const scanned = await exportOf([scanDir]);
    results.push(['variants as scans (OCR)', compareRecords(scanned as never, pick(expectedIn(join(ROOT, 'test/variants')), (k) => scanned.some((r) => r.source.file.startsWith(`${k}.`))))]);
    rmSync(scanDir, { recursive: true, force: true });
    const devScanDir = mkdtempSync(join(tmpdir(), 'beslutsarkiv-devscans-'));
    await renderScans(readdirSync(join(ROOT, 'test/devset/texts')).map((f) => join(ROOT, 'test/devset/texts', f)), devScanDir);
    const devScanned = await exportOf([devScanDir]);
    results.push(['devset as scans (OCR)', compareRecords(devScanned as never, devGold)]);
    rmSync(devScanDir, { recursive: true, force: true });
  }

  console.log(`${'set'.padEnd(34)} F1     P      R         tp   fp   fn`);
  for (const [label, c] of results) console.log(row(label, c));

  console.log('\nper field, devset (all 24) as written:');
  console.log(`${'field'.padEnd(34)} F1     P      R         tp   fp   fn`);
  for (const [field, c] of Object.entries(all.byField).sort()) console.log(row(field, { ...c, f1: scores(c).f1, misses: {}, byField: {} }));

  if (verbose) {
    for (const [label, c] of results) {
      const misses = Object.entries(c.misses).filter(([, m]) => m.length);
      if (!misses.length) continue;
      console.log(`\n${label}:`);
      for (const [doc, m] of misses) for (const x of m) console.log(`  ${doc}: ${x}`);
    }
  }
  const key = (label: string) => label.replace(/[^a-z0-9]+/giu, '_').replace(/^_|_$/gu, '').toLowerCase();
  console.log(JSON.stringify(Object.fromEntries(results.map(([label, c]) => [`${key(label)}_f1`, +c.f1.toFixed(4)]))));
}
