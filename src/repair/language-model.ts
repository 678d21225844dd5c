/**
 * The context model: word bigrams from clean Swedish administrative text (data/admin-sv.txt and
 * the clean documents of the corpus), backed off to unigram frequencies that combine that text
 * with a large general word-frequency list (data/sv_50k.txt, OpenSubtitles). Used to choose
 * between readings that are all words (for/för, far/får, ar/år/är) by their neighbours.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR, WORD_RE } from './lexicon.js';

/** Administrative text is what we read: one of its words counts as much as this many subtitle words. */
const DOMAIN_WEIGHT = 400;
/** Dirichlet smoothing of the bigrams toward the unigram distribution. */
const SMOOTHING = 3;

export class LanguageModel {
  private readonly unigram = new Map<string, number>();
  private readonly domainUnigram = new Map<string, number>();
  private readonly bigram = new Map<string, number>();
  private total = 0;

  constructor(domainTexts: string[], frequencyList = join(DATA_DIR, 'sv_50k.txt')) {
    for (const line of readFileSync(frequencyList, 'utf8').split('\n')) {
      const sp = line.lastIndexOf(' ');
      if (sp <= 0) continue;
      const n = Number(line.slice(sp + 1));
      this.unigram.set(line.slice(0, sp), n);
      this.total += n;
    }
    for (const text of domainTexts) {
      for (const line of text.split('\n')) {
        const words = [...line.matchAll(WORD_RE)].map((m) => m[0].toLowerCase());
        for (let i = 0; i < words.length; i++) {
          const w = words[i]!;
          this.domainUnigram.set(w, (this.domainUnigram.get(w) ?? 0) + 1);
          this.unigram.set(w, (this.unigram.get(w) ?? 0) + DOMAIN_WEIGHT);
          this.total += DOMAIN_WEIGHT;
          if (i > 0) {
            const key = `${words[i - 1]} ${w}`;
            this.bigram.set(key, (this.bigram.get(key) ?? 0) + 1);
          }
        }
      }
    }
  }

  /** ln P(word), never -Infinity. */
  logUnigram(word: string): number {
    return Math.log(((this.unigram.get(word.toLowerCase()) ?? 0) + 0.5) / this.total);
  }

  /** ln P(word | prev): smoothed toward the unigram. */
  logBigram(prev: string, word: string): number {
    const p = prev.toLowerCase();
    const w = word.toLowerCase();
    const pair = this.bigram.get(`${p} ${w}`) ?? 0;
    const context = this.domainUnigram.get(p) ?? 0;
    return Math.log((pair + SMOOTHING * Math.exp(this.logUnigram(w))) / (context + SMOOTHING));
  }

  /** How well `word` fits between its neighbours (null where there is none or it is unreliable). */
  score(word: string, prev: string | null, next: string | null): number {
    let s = prev ? this.logBigram(prev, word) : this.logUnigram(word);
    if (next) s += this.logBigram(word, next) - this.logUnigram(next);
    return s;
  }
}
