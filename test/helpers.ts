import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { DEFAULT_OUT, makeFixtures } from '../scripts/make-fixtures.js';
import type { Extracted } from '../schemas/record.js';

export { makeFixtures, DEFAULT_OUT };

/** A fresh temporary folder, removed after the test file. */
export function tempDir(prefix = 'beslutsarkiv-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export { words, wordAccuracy } from '../src/repair/word-accuracy.js';

/** The first corpus report's text, one trimmed line per non-empty line: what the scan tests render. */
export const SEED_TEXT = readFileSync(new URL('../corpus/000_32a9fff0cf960181.txt', import.meta.url), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter(Boolean)
  .join('\n');

/** A record about taking part with nothing found yet: tests spread their values over it. */
export const EMPTY_RECORD: Extracted = {
  topic: 'award_participation',
  year: null,
  board: null,
  administration: null,
  diarienummer: null,
  document_date: null,
  meeting_date: null,
  units: [],
  classes: [],
  dates: [],
  signatories: [],
  case_officer: null,
  target_units: null,
};
