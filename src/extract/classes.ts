/**
 * Award classes: phrases mapped to the stable keys across the 2017 taxonomy change
 * ("annan vård och omsorg" before, "socialtjänst samt stöd och service … funktionsnedsättning" after).
 */
import type { ClassKey } from '../../schemas/record.js';
import { fold } from '../repair/fold.js';
import { flat } from './doc-text.js';

const CLASS_CUES: Array<[ClassKey, RegExp]> = [
  ['annan_vard_omsorg', /\bannan vard och omsorg\b/],
  ['socialtjanst_funktionsnedsattning', /\bsocialtjanst\b|\bfunktionsnedsattning\b|\bstod och service\b/],
  ['aldreomsorg', /\baldreomsorg\w*/],
  ['forskola', /\bforskol\w*/],
  ['skola', /(?<![\p{L}])skol(?:a|or|an|orna)\b|\bgrundskol\w*|\bgymnasi\w*/u],
  ['andra_verksamheter', /\bandra verksamheter\b/],
];

/** The class a phrase names, or null. */
export function classKey(phrase: string): ClassKey | null {
  const f = fold(flat(phrase));
  for (const [key, re] of CLASS_CUES) if (re.test(f)) return key;
  return null;
}

/** Keys named in a list of classes ("förskola, skola, äldreomsorg … samt andra verksamheter"). */
export function classList(list: string): ClassKey[] {
  const keys: ClassKey[] = [];
  for (const item of flat(list).split(/,|\bsamt\b|\boch\b(?= andra verksamheter)|\n|•/u)) {
    const k = classKey(item);
    if (k && !keys.includes(k)) keys.push(k);
  }
  return keys;
}

/**
 * The classes a document lists as offered: "… i klasserna X, Y samt Z." or "… i följande klasser:"
 * followed by a bullet list.
 */
export function offeredClasses(text: string): { keys: ClassKey[]; start: number; end: number } | null {
  const inline = /\bi\s+klasserna\s+([^.]*?(?:\.(?=\S)[^.]*?)*)\./iu.exec(text);
  const listed = /\bföljande\s+klasser\s*:?\s*\n((?:\s*[-•*]?\s*[^\n]+\n?){1,12})/iu.exec(text);
  for (const m of [inline, listed]) {
    if (!m) continue;
    let body = m[1]!;
    if (m === listed) {
      // The list ends at the first line that is not a class (or a blank line after items).
      const lines: string[] = [];
      for (const line of body.split('\n')) {
        if (!line.trim()) {
          if (lines.length) break;
          continue;
        }
        if (!classKey(line) && !/^\s*(?:[-•*]\s*)?(?:verksamheter|stadens bolag|funktionsnedsättning|inklusive)/iu.test(line) && lines.length) break;
        lines.push(line);
      }
      body = lines.join('\n');
    }
    const keys = classList(body);
    if (keys.length >= 2) return { keys, start: m.index, end: m.index + m[0].length };
  }
  return null;
}
