/**
 * Extraction F1 on the seeds (test/gold) and on the project's own variant documents
 * (test/variants), through the whole pipeline: ingest → OCR → normalize → extract → store → export.
 *
 *   npm run bench:extract
 * Prints every miss, then one JSON line with both F1 figures.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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

export async function scoreDirectory(inputs: string[], expectedDir: string) {
  const tmp = mkdtempSync(join(tmpdir(), 'beslutsarkiv-extract-'));
  try {
    const db = join(tmp, 'a.sqlite');
    await ingest(inputs, { db });
    const database = openDatabase(db, { readonly: true });
    const records = exportRecords(database);
    database.close();
    return compareRecords(records as never, expectedIn(expectedDir));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const seeds = await scoreDirectory([join(ROOT, 'corpus')], join(ROOT, 'test/gold'));
  const variants = await scoreDirectory([join(ROOT, 'test/variants')], join(ROOT, 'test/variants'));
  for (const [label, c] of [['seeds', seeds], ['variants', variants]] as const) {
    console.log(`\n${label}: F1 ${c.f1.toFixed(3)} (${c.tp} tp, ${c.fp} fp, ${c.fn} fn)`);
    for (const [doc, misses] of Object.entries(c.misses)) for (const m of misses) console.log(`  ${doc}: ${m}`);
  }
  console.log(JSON.stringify({ seeds_f1: +seeds.f1.toFixed(4), variants_f1: +variants.f1.toFixed(4) }));
}
