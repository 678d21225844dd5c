/**
 * Award classes offered: a plural "klasser" cue followed, in its sentence or the list items after
 * it, by two or more class names — mapped to stable keys across the 2017 change ("annan vård och
 * omsorg" before; "socialtjänst samt stöd och service … funktionsnedsättning" after).
 */
import type { ClassKey } from '../../schemas/record.js';
import { sentencesOf, type Block } from '../layout/blocks.js';
import { classAt } from './grammar.js';

/** The class keys named in a stretch of text, in order, each once. */
export function classesNamed(region: string): ClassKey[] {
  const keys: ClassKey[] = [];
  for (const m of region.matchAll(/(?:^|[\s,;:(])(?=\p{L})/gu)) {
    const k = classAt(region.slice(m.index + m[0].length).toLowerCase());
    if (k && !keys.includes(k.key)) keys.push(k.key);
  }
  return keys;
}

/** The classes a document lists as offered: a plural "klasser" cue followed by two or more class names. */
export function offeredClasses(blocks: Block[]): { keys: ClassKey[]; block: Block; start: number; end: number } | null {
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    if (b.kind === 'header' || b.kind === 'page-header') continue;
    for (const s of sentencesOf(b)) {
      const cue = /\b(?:tävlings)?klasser(?:na)?\b|\bföljande\s+(?:tävlings)?klasser\b/iu.exec(s.text);
      if (!cue) continue;
      let region = s.text.slice(cue.index + cue[0].length);
      // A list after "…klasser:" continues in the items that follow.
      if (/:\s*$/u.test(s.text)) {
        for (const next of blocks.slice(i + 1)) {
          if (next.kind !== 'item' && !(next.kind === 'paragraph' && next.text.length < 120 && classAt(next.text.toLowerCase().replace(/^[-•*\s]+/u, '')))) break;
          region += ', ' + next.text.replace(/^(?:[-•*·–]|\d+[.)])\s*/u, '');
        }
      }
      const keys = classesNamed(region);
      if (keys.length >= 2) return { keys, block: b, start: s.start + cue.index, end: s.end };
    }
  }
  return null;
}

