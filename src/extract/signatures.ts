/**
 * The signature block: runs of blocks that hold nothing but people's names and titles, in any
 * layout — one above the other, side by side in columns, or wrapped into one stream. Names and
 * titles pair in order (N N T T as columns, N T N T as stacked pairs); a title with no name left
 * is a signatory whose name is not printed.
 */
import { docOffset, type Block } from '../layout/blocks.js';
import type { Located } from './header.js';
import { isGivenName } from './header.js';

const TITLE_WORDS = /^(?:(?:t\.?f\.?|tf|tillförordnad|biträdande|bitr\.|ställföreträdande|stf\.?)\s+)?(?:\p{L}+\s+)?\p{L}*(?:chef|direktör|direktor|ordförande|sekreterare)$/iu;
const NOT_NAME = /^(?:Förslag|Till|Beslut|Sammanfattning|Bakgrund|Ärendet|Bilaga|Bilagor|Sida|Dnr|Telefon|Handläggare|Stockholm|Stockholms|Förvaltningens|Kvalitetsutmärkelsen|Tjänsteutlåtande)$/u;

const NAME_WORD = /^\p{Lu}[\p{Ll}'’]+(?:-\p{Lu}?[\p{Ll}'’]+)*$/u;

type Piece = { kind: 'name' | 'title'; text: string; at: number; block: Block };

/** Reads a block as names and titles only; null when it holds anything else. */
function parse(block: Block): Piece[] | null {
  const cells = block.kind === 'table' ? block.text.split(/\s*\|\s*/u) : [block.text];
  const out: Piece[] = [];
  let offset = 0;
  for (const cell of cells) {
    const at = block.text.indexOf(cell, offset);
    offset = at + cell.length;
    // A side column's name merged in front ("Stadsdelsförvaltningen Gunilla Holm") is letterhead, not a name.
    const words = cell.replace(/^\/|\/$/gu, '').replace(/\s\/|\/\s/gu, ' ').trim().split(/\s+/u).filter(Boolean).filter((w, k) => k > 0 || !/(?:förvaltning|förvaltningen|kontoret|nämnden)$/iu.test(w));
    let i = 0;
    while (i < words.length) {
      let matched = false;
      for (const len of [3, 2, 1]) {
        if (i + len > words.length) continue;
        const t = words.slice(i, i + len).join(' ');
        if (TITLE_WORDS.test(t) && (len === 1 || /^(?:t\.?f\.?|tf|tillförordnad|biträdande|bitr\.|ställföreträdande|stf\.?|\p{Lu}\p{Ll}+)$/u.test(words[i]!))) {
          if (len > 1 && !/^(?:t\.?f\.?|tf|tillförordnad|biträdande|bitr\.|ställföreträdande|stf\.?)$/iu.test(words[i]!) && !/^\p{Lu}\p{Ll}+(?:iv|ig|sk|al|ell|nde)$/u.test(words[i]!)) continue;
          out.push({ kind: 'title', text: t, at, block });
          i += len;
          matched = true;
          break;
        }
      }
      if (matched) continue;
      // A name: two to four capitalized words; a second given name starts the next person.
      const w = words[i]!;
      if (!NAME_WORD.test(w) || NOT_NAME.test(w)) return null;
      const parts = [w];
      let j = i + 1;
      while (j < words.length && parts.length < 4 && NAME_WORD.test(words[j]!) && !TITLE_WORDS.test(words[j]!) && !(parts.length >= 2 && isGivenName(words[j]!)) && !(parts.length >= 2 && TITLE_WORDS.test(words.slice(j, j + 2).join(' ')))) {
        parts.push(words[j]!);
        j++;
      }
      if (parts.length < 2) return null;
      out.push({ kind: 'name', text: parts.join(' '), at, block });
      i = j;
    }
  }
  return out.length && out.some((p) => p.kind === 'title') ? out : out.length && out.every((p) => p.kind === 'name') && out.length <= 3 ? out : null;
}

export function findSignatories(blocks: Block[]): Array<Located<{ name: string | null; title: string }>> {
  const out: Array<Located<{ name: string | null; title: string }>> = [];
  let run: Piece[] = [];
  const flush = () => {
    if (run.some((p) => p.kind === 'title')) {
      const names: Piece[] = [];
      for (const p of run) {
        if (p.kind === 'name') names.push(p);
        else {
          const n = names.shift();
          const title = p.text[0]!.toUpperCase() + p.text.slice(1).toLowerCase().replace(/direktor$/u, 'direktör');
          const from = n ?? p;
          out.push({
            value: { name: n ? n.text : null, title },
            start: docOffset(from.block, from.at),
            end: docOffset(p.block, p.at + p.text.length),
            rule: 'signature-block',
            confidence: n ? 0.9 : 0.7,
          });
        }
      }
    }
    run = [];
  };
  for (const b of blocks) {
    if (b.kind === 'header' || b.kind === 'page-header') continue;
    const pieces = b.text.length < 200 ? parse(b) : null;
    if (pieces) run.push(...pieces);
    else flush();
  }
  flush();
  return out;
}
