import { writeFileSync } from 'node:fs';
import { readDocument } from './src/pipeline.ts';
import { OcrPool } from './src/ocr/worker-pool.ts';
import { DEFAULT_LIMITS } from './src/limits.ts';
import { extractRecord } from './src/extract/extract.ts';
const pool = new OcrPool({ size: 1, timeoutMs: 60000 });
const out = [];
for (const s of ['000_32a9fff0cf960181', '001_91a3c1650f19c566', '002_3e46df6f17c46d2f', '003_5dc16642857d16cb', '004_6306731b55b2ba86']) {
  const doc = await readDocument(`corpus/${s}.txt`, { pool, limits: DEFAULT_LIMITS });
  const { record } = extractRecord(doc);
  out.push({ source: { file: `${s}.txt` }, ...record });
}
await pool.close();
writeFileSync('/tmp/export.json', JSON.stringify(out, null, 2));
