import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { DEFAULT_OUT, makeFixtures } from '../scripts/make-fixtures.js';

export { makeFixtures, DEFAULT_OUT };

/** A fresh temporary folder, removed after the test file. */
export function tempDir(prefix = 'beslutsarkiv-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export { words, wordAccuracy } from '../src/repair/word-accuracy.js';
