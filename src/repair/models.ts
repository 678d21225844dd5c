/**
 * The repair models, loaded once per process: the lexicon (cached on disk), the confusion model,
 * and the context model trained on data/admin-sv.txt plus the clean documents of the corpus.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfusionModel } from './confusion.js';
import { LanguageModel } from './language-model.js';
import { DATA_DIR, ROOT_DIR, loadLexicon, WORD_RE, type Lexicon } from './lexicon.js';
import type { RepairModels } from './repair-text.js';

export const CORPUS_DIR = join(ROOT_DIR, 'corpus');

/** A text counts as clean when the lexicon knows this share of its words. */
const CLEAN_SHARE = 0.97;

export function knownShare(lexicon: Lexicon, text: string): number {
  let words = 0;
  let known = 0;
  for (const m of text.matchAll(WORD_RE)) {
    if (m[0].length < 2) continue;
    words++;
    if (lexicon.isWord(m[0])) known++;
  }
  return words ? known / words : 0;
}

/** The corpus's plain-text documents that read clean (damaged scans are left out). */
export function cleanCorpusTexts(lexicon: Lexicon, dir = CORPUS_DIR): string[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /\.(txt|md)$/i.test(f) && !/^readme/i.test(f));
  } catch {
    return [];
  }
  return files
    .sort()
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .filter((text) => knownShare(lexicon, text) >= CLEAN_SHARE);
}

let models: RepairModels | undefined;

export function loadRepairModels(): RepairModels {
  if (models) return models;
  const lexicon = loadLexicon();
  const clean = cleanCorpusTexts(lexicon);
  for (const text of clean) lexicon.addWords([...text.matchAll(WORD_RE)].flatMap((m) => m[0].split('-')));
  const lm = new LanguageModel([readFileSync(join(DATA_DIR, 'admin-sv.txt'), 'utf8'), ...clean]);
  models = { lexicon, confusion: loadConfusionModel(), lm };
  return models;
}
