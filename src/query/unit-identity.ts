/**
 * A unit's identity across years and spellings. The key keeps every word of the name, the type
 * word included: `Förskolan Ekorren` and `Äldreboendet Ekorren` are two units, as are `Ekorren`
 * alone and either of them. What it ignores is spelling:
 *
 * - case, diacritics and punctuation (`förskolan Ekorren`, `FORSKOLAN EKORREN`, `Hemtjänsten Söder-Syd`);
 * - an abbreviation in brackets or after a dash at the end (`Relationsvårdscentrum Innerstaden
 *   (RVCi)` and `Relationsvårdscentrum Innerstaden -RVCI`);
 * - the definite, indefinite and genitive forms of each word, and the word order they bring with
 *   them: `Förskolan Ekorren`, `Ekorrens förskola` and `Ekorren förskola` meet, as do
 *   `Äldreboendet Lönnen` and `Lönnens äldreboende`.
 *
 * Renames (LSS-hälsan → LSS/SoL-hälsan) are not merged: they are offered as suggestions. Numbers
 * stay (`Ekorren 1`, `Ekorren 2` are two units).
 */
import { fold } from '../repair/fold.js';

/** An abbreviation in brackets, or after a dash, at the end of a name. */
const TRAILING_ABBREVIATION = /\s*[(-]\s*\p{Lu}[\p{L}]{1,7}\)?\s*$/u;

/**
 * Endings of the definite and plural forms (and the -a/-e of the indefinite form), longest first:
 * förskolan/förskola → förskol, äldreboendet/äldreboende → äldreboend, Ekorren/Ekorrarna → ekorr.
 */
const ENDINGS = ['arna', 'erna', 'orna', 'en', 'et', 'an', 'a', 'e'];
/** A stem shorter than this keeps its ending (`Eken`, `Nord` are left as they are). */
const MIN_STEM = 3;

/**
 * A word's base for comparison: folded; the genitive s off a word that stands before another
 * (`Ekorrens förskola`, not `Solros` or `LSS`); one ending off; a doubled final consonant made
 * single (korttidshemmet → korttidshem, Tallen → tal).
 */
export function unitWordBase(word: string, beforeAnother = false): string {
  let w = fold(word);
  if (/^\d/.test(w)) return w;
  if (beforeAnother && w.length > MIN_STEM + 1 && w.endsWith('s') && !w.endsWith('ss')) w = w.slice(0, -1);
  for (const e of ENDINGS) {
    if (w.endsWith(e) && w.length - e.length >= MIN_STEM) {
      w = w.slice(0, -e.length);
      break;
    }
  }
  const single = w.replace(/([^aeiouy])\1$/u, '$1');
  return single.length >= MIN_STEM ? single : w;
}

/** The words of a name as compared: bases, sorted (so that `Ekorrens förskola` meets `Förskolan Ekorren`). */
export function unitWords(name: string): string[] {
  const words = name.trim().replace(TRAILING_ABBREVIATION, '').split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  return words.map((w, i) => unitWordBase(w, i < words.length - 1)).sort();
}

/** The identity key: the bases of the words, sorted, joined by spaces (`ekorr forskol`). */
export function unitIdentityKey(name: string): string {
  return unitWords(name).join(' ');
}
