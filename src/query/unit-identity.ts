/**
 * A unit's identity across years: its name folded (case, diacritics, punctuation), without an
 * abbreviation in brackets and without a leading type word before a proper name, so that
 * "stödboendet Lönnen", "Stödboendet Lönnen" and "Lönnen" meet, as do "Relationsvårdscentrum
 * Innerstaden (RVCi)" and "Relationsvårdscentrum Innerstaden -RVCI". Renames (LSS-hälsan →
 * LSS/SoL-hälsan) are not merged: they are offered as suggestions.
 */
import { fold } from '../repair/fold.js';

/** A definite-form common noun (stödboendet, förskolan, hemmet) followed by a capitalized name. */
const LEADING_TYPE_WORD = /^\p{L}+(?:et|en|an|na|orna|erna|arna)\s+(?=\p{Lu})/u;

export function unitIdentityKey(name: string): string {
  let n = name.trim().replace(/\s*[(-]\s*\p{Lu}[\p{L}]{1,7}\)?\s*$/u, '');
  // "Stödboendet Lönnen" → "Lönnen"; a name that is only a type word ("Utvecklingsenheten") stays.
  n = n.replace(LEADING_TYPE_WORD, '');
  return fold(n).replace(/[^\p{L}\p{N}]/gu, '');
}
