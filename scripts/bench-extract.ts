/**
 * Extraction F1 on the seeds (test/gold) and on the project's own variant documents
 * (test/variants), through the whole pipeline: ingest → OCR → normalize → extract → store → export.
 *
 *   npm run bench:extract
 * Prints every miss, then one JSON line with both F1 figures.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareRecords } from '../src/extract/compare.js';
import { ingest } from '../src/pipeline.js';
import { openDatabase } from '../src/store/database.js';
import { exportRecords } from '../src/store/read.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function expectedIn(dir: string): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(join(dir, f), 'utf8'))]),
  );
}

export async function scoreDirectory(inputs: string[], expectedDir: string, expected = expectedIn(expectedDir)) {
  const tmp = mkdtempSync(join(tmpdir(), 'beslutsarkiv-extract-'));
  try {
    const db = join(tmp, 'a.sqlite');
    await ingest(inputs, { db });
    const database = openDatabase(db, { readonly: true });
    const records = exportRecords(database);
    database.close();
    return compareRecords(records as never, expected);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The plain-text variants rendered as scans (degraded like an office scanner's output): one-page
 * documents as PNG, longer ones as scanned PDFs, named like their originals.
 */
async function renderScans(dir: string): Promise<void> {
  const { DEGRADED_SCAN, makeScannedPdf, paginate, renderScan, toJpeg, toPng } = await import('./fixtures.js');
  const src = join(ROOT, 'test/variants');
  for (const f of readdirSync(src).filter((x) => x.endsWith('.txt'))) {
    const pages = paginate(readFileSync(join(src, f), 'utf8'), 44);
    const stem = f.replace(/\.txt$/, '');
    if (pages.length === 1) writeFileSync(join(dir, `${stem}.png`), toPng(renderScan(pages[0]!, { ...DEGRADED_SCAN, dpi: 300 })));
    else writeFileSync(join(dir, `${stem}.pdf`), await makeScannedPdf(pages.map((p, i) => toJpeg(renderScan(p, { ...DEGRADED_SCAN, dpi: 300, seed: i + 1 }), 75))));
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const seeds = await scoreDirectory([join(ROOT, 'corpus')], join(ROOT, 'test/gold'));
  const variants = await scoreDirectory([join(ROOT, 'test/variants')], join(ROOT, 'test/variants'));
  const scanDir = mkdtempSync(join(tmpdir(), 'beslutsarkiv-scans-'));
  await renderScans(scanDir);
  const expectedScans = Object.fromEntries(
    Object.entries(expectedIn(join(ROOT, 'test/variants'))).filter(([k]) => readdirSync(scanDir).some((f) => f.startsWith(`${k}.`))),
  );
  const scans = await scoreDirectory([scanDir], join(ROOT, 'test/variants'), expectedScans);
  rmSync(scanDir, { recursive: true, force: true });
  for (const [label, c] of [['seeds', seeds], ['variants', variants], ['variants scanned (OCR)', scans]] as const) {
    console.log(`\n${label}: F1 ${c.f1.toFixed(3)} (${c.tp} tp, ${c.fp} fp, ${c.fn} fn)`);
    for (const [doc, misses] of Object.entries(c.misses)) for (const m of misses) console.log(`  ${doc}: ${m}`);
  }
  console.log(JSON.stringify({ seeds_f1: +seeds.f1.toFixed(4), variants_f1: +variants.f1.toFixed(4), variants_scanned_f1: +scans.f1.toFixed(4) }));
}
