/**
 * Writes schemas/document.schema.json from the zod schemas (the single source of truth):
 * the JSON Schema of `beslutsarkiv export --format json` (an array of records).
 *
 *   npm run schema
 */
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ExportRecordSchema } from '../schemas/export.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SCHEMA_FILE = join(ROOT, 'schemas/document.schema.json');

export function exportJsonSchema(): string {
  const schema = z.toJSONSchema(z.array(ExportRecordSchema.partial({ report: true })).describe('beslutsarkiv export: one record per document, with its report group (the library\'s exportRecords() leaves the group out)'), { target: 'draft-2020-12' });
  return `${JSON.stringify({ $id: 'https://beslutsarkiv.invalid/schemas/document.schema.json', title: 'beslutsarkiv export', ...schema }, null, 2)}\n`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(SCHEMA_FILE, exportJsonSchema());
  console.log(`wrote ${SCHEMA_FILE}`);
}
