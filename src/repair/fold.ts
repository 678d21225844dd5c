/**
 * Folding: the key under which words that differ only in Swedish diacritics meet
 * (för/for, år/ar/är, idé/ide). OCR damage and stripped text are looked up by this key.
 */
const FOLD: Record<string, string> = { å: 'a', ä: 'a', à: 'a', á: 'a', â: 'a', ö: 'o', ô: 'o', ó: 'o', é: 'e', è: 'e', ê: 'e', ü: 'u' };

const FOLDED = /[åäàáâöôóéèêü]/gu;

export function fold(word: string): string {
  // One replace over the string, not a concatenation per character (this runs on every word).
  return word.toLowerCase().replace(FOLDED, (ch) => FOLD[ch]!);
}

export function hasDiacritic(word: string): boolean {
  return /[åäöéàáâôóèêü]/i.test(word);
}

/** Gives `word` the letter case of `model`: Capitalized, UPPER or lower. */
export function matchCase(word: string, model: string): string {
  if (model.length > 1 && model === model.toUpperCase() && model !== model.toLowerCase()) return word.toUpperCase();
  const first = model[0]!;
  if (first !== first.toLowerCase()) return word[0]!.toUpperCase() + word.slice(1);
  return word;
}
