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

/**
 * Words (letters and digits) of a text, for word-accuracy checks. Line-end hyphenation is joined
 * first, as the project's scorer (shared/tools/score_text.py) does: "LSS-\nhälsan" keeps its
 * hyphen, "Stadshu-\nset" becomes one word.
 */
export function words(text: string): string[] {
  const t = text
    .normalize('NFC')
    .replace(/(\b[A-ZÅÄÖ]{2,})-\s*\n\s*/gu, '$1-')
    .replace(/(\p{L})-[ \t]*\n\s*(?=[a-zåäöé])/gu, '$1');
  return t.match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Share of the reference's words found in order in the output (longest common subsequence). */
export function wordAccuracy(output: string, reference: string): number {
  const a = words(reference);
  const b = words(output);
  if (a.length === 0) return 1;
  let prev = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    const cur = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j++) cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    prev = cur;
  }
  return prev[b.length]! / a.length;
}
