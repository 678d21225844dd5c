/**
 * Extraction on documents this project did not write (test/devset: 24 reports of other boards,
 * years and layouts), as written and re-laid the way archives deliver them, through the whole
 * pipeline: ingest → normalize → layout → extract → store → export.
 */
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ingest } from '../src/pipeline.js';
import { openDatabase } from '../src/store/database.js';
import { exportRecords } from '../src/store/read.js';
import { compareRecords } from '../src/extract/compare.js';
import type { DocumentRecord } from '../schemas/record.js';
import { expectedIn } from '../scripts/bench-extract.js';
import { tempDir } from './helpers.js';

const DEVSET = resolve(__dirname, 'devset');
const gold = expectedIn(join(DEVSET, 'gold'));
const part = (from: number, to: number) => Object.fromEntries(Object.entries(gold).filter(([k]) => Number(k.slice(1, 3)) >= from && Number(k.slice(1, 3)) <= to));
let written: DocumentRecord[];
let relaid: DocumentRecord[];

async function exported(dir: string, db: string): Promise<DocumentRecord[]> {
  await ingest([dir], { db });
  const d = openDatabase(db, { readonly: true });
  try {
    return exportRecords(d);
  } finally {
    d.close();
  }
}

beforeAll(async () => {
  const dir = tempDir();
  written = await exported(join(DEVSET, 'texts'), join(dir, 'devset.sqlite'));
  relaid = await exported(join(DEVSET, 'relaid'), join(dir, 'relaid.sqlite'));
});

describe('the development set', () => {
  it('reaches F1 ≥ 0.95 as written: d01–d16, the held-out d17–d24, and all 24', () => {
    for (const expected of [part(1, 16), part(17, 24), gold]) {
      const c = compareRecords(written as never, expected);
      expect(c.f1, JSON.stringify(c.misses)).toBeGreaterThanOrEqual(0.95);
    }
  });

  it.each(['wrap', 'word-export', 'page-header', 'side-column', 'mixed'])('reaches F1 ≥ 0.95 re-laid as %s', (kind) => {
    const records = relaid.filter((r) => r.source.file.includes(`.${kind}.`));
    expect(records).toHaveLength(21);
    const c = compareRecords(records as never, Object.fromEntries(Object.entries(gold).filter(([k]) => records.some((r) => r.source.file.startsWith(`${k}.`)))));
    expect(c.f1, JSON.stringify(c.misses)).toBeGreaterThanOrEqual(0.95);
  });

  it('flags what a person should check, and gives every value a confidence', () => {
    for (const r of written) {
      for (const c of Object.values(r.confidence ?? {})) expect(c).toBeGreaterThan(0);
      expect(typeof r.needs_review).toBe('boolean');
      if (r.topic === 'award_participation' && !r.units?.length) expect(r.needs_review).toBe(true);
    }
    const withUnits = written.filter((r) => r.units?.length);
    expect(withUnits.every((r) => r.units!.every((_, i) => (r.confidence ?? {})[`units[${i}]`] !== undefined))).toBe(true);
  });
});
