/**
 * Word accuracy of a repaired text against a reference reading, as the project's scorer
 * (shared/tools/score_text.py) measures it: line-end hyphenation joined on both sides, words are
 * runs of letters and digits, and the share of reference words matched in order counts.
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
  let prev = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    const cur = new Uint32Array(b.length + 1);
    for (let j = 1; j <= b.length; j++) cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    prev = cur;
  }
  return prev[b.length]! / a.length;
}
