/**
 * The normalize stage: first reverses encoding damage the document as a whole shows (mojibake,
 * 7-bit Swedish, U+FFFD, invisible characters: see encoding.ts; one `encoding` message), then
 * repairs every page's words (see repair-text.ts) and records each change as a message (rule,
 * original, replacement, page, offsets into the text as read, confidence). How damaged the whole
 * document is decides how boldly its words are repaired.
 */
import { addMessage, type DocumentFile } from '../document-file.js';
import { repairEncoding } from './encoding.js';
import { findLetterhead } from './letterhead.js';
import { loadRepairModels } from './models.js';
import { applyEdits, editToMessage, TextRepairer, type RepairModels } from './repair-text.js';

/** Bump when repair rules change: documents are re-repaired from stored page text. */
export const REPAIR_VERSION = '3';

let repairer: { models: RepairModels; repairer: TextRepairer } | undefined;

function repairerFor(models: RepairModels): TextRepairer {
  if (repairer?.models !== models) repairer = { models, repairer: new TextRepairer(models) };
  return repairer.repairer;
}

export function normalizeDocument(file: DocumentFile, models: RepairModels = loadRepairModels()): DocumentFile {
  const r = repairerFor(models);
  // Encoding damage is reversed first, from the document as a whole; the word repair reads the
  // result, and its offsets are mapped back to the text as read.
  const encoding = repairEncoding(
    file.pages.map((p) => p.text),
    models,
  );
  if (encoding.findings.length) {
    addMessage(file, {
      stage: 'normalize',
      rule: 'encoding',
      severity: 'warning',
      reason: `encoding damage reversed before word repair: ${encoding.findings.join('; ')}`,
    });
  }
  const { rate, damaged, repairable, words } = r.damageEstimate(encoding.texts);
  addMessage(file, {
    stage: 'normalize',
    rule: 'damage-estimate',
    severity: 'info',
    confidence: Math.round(rate * 1000) / 1000,
    reason: `${Math.round(rate * 1000) / 10} % of the words look damaged (${repairable} of ${words}): ${damaged ? 'repairing as damaged text (context may change valid words)' : 'clean text (only unknown words with one cheap repair change)'}`,
  });
  file.pages.forEach((page, i) => {
    const text = encoding.texts[i]!;
    const map = encoding.maps[i]!;
    for (const span of findLetterhead(text)) {
      addMessage(file, {
        stage: 'normalize',
        rule: 'letterhead',
        severity: 'info',
        page: page.number,
        start: map.toOriginal(span.start, 'start'),
        end: map.toOriginal(span.end, 'end'),
        // As it reads after encoding repair: extraction finds it in the repaired text by this.
        actual: span.text,
        reason: `letterhead or side column (${span.kind}): not part of the body text`,
      });
    }
    const edits = r.repair(text, damaged);
    page.repaired = applyEdits(text, edits);
    for (const e of edits) {
      const message = editToMessage(e, page.number);
      if (!map.identity) {
        message.start = map.toOriginal(e.start, 'start');
        message.end = map.toOriginal(e.end, 'end');
        message.actual = page.text.slice(message.start, message.end);
      }
      addMessage(file, message);
    }
  });
  return file;
}
