/**
 * The normalize stage: repairs every page's text (see repair-text.ts) and records each change
 * as a message (rule, original, replacement, page, offsets, confidence). How damaged the whole
 * document is decides how boldly its words are repaired.
 */
import { addMessage, type DocumentFile } from '../document-file.js';
import { findLetterhead } from './letterhead.js';
import { loadRepairModels } from './models.js';
import { applyEdits, DAMAGED_RATE, editToMessage, TextRepairer, type RepairModels } from './repair-text.js';

/** Bump when repair rules change: documents are re-repaired from stored page text. */
export const REPAIR_VERSION = '1';

let repairer: { models: RepairModels; repairer: TextRepairer } | undefined;

function repairerFor(models: RepairModels): TextRepairer {
  if (repairer?.models !== models) repairer = { models, repairer: new TextRepairer(models) };
  return repairer.repairer;
}

export function normalizeDocument(file: DocumentFile, models: RepairModels = loadRepairModels()): DocumentFile {
  const r = repairerFor(models);
  const rate = r.damageRate(file.pages.map((p) => p.text));
  const damaged = rate >= DAMAGED_RATE;
  addMessage(file, {
    stage: 'normalize',
    rule: 'damage-estimate',
    severity: 'info',
    confidence: Math.round(rate * 1000) / 1000,
    reason: `${Math.round(rate * 1000) / 10} % of the words look damaged: ${damaged ? 'repairing as damaged text (context may change valid words)' : 'clean text (only unknown words with one cheap repair change)'}`,
  });
  for (const page of file.pages) {
    for (const span of findLetterhead(page.text)) {
      addMessage(file, {
        stage: 'normalize',
        rule: 'letterhead',
        severity: 'info',
        page: page.number,
        start: span.start,
        end: span.end,
        actual: span.text,
        reason: `letterhead or side column (${span.kind}): not part of the body text`,
      });
    }
    const edits = r.repair(page.text, damaged);
    page.repaired = applyEdits(page.text, edits);
    for (const e of edits) addMessage(file, editToMessage(e, page.number));
  }
  return file;
}
