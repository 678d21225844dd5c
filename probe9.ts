import { readFileSync, writeFileSync } from 'node:fs';
import { loadLexicon } from './src/repair/lexicon.ts';
import { loadConfusionModel } from './src/repair/confusion.ts';
import { LanguageModel } from './src/repair/language-model.ts';
import { TextRepairer, applyEdits, DAMAGED_RATE } from './src/repair/repair-text.ts';
let t = performance.now();
const lexicon = loadLexicon();
const confusion = loadConfusionModel();
const clean = ['000_32a9fff0cf960181', '001_91a3c1650f19c566', '002_3e46df6f17c46d2f', '004_6306731b55b2ba86'].map((s) => readFileSync(`corpus/${s}.txt`, 'utf8'));
const lm = new LanguageModel([readFileSync('data/admin-sv.txt', 'utf8'), ...clean]);
console.log('load', Math.round(performance.now() - t));
const r = new TextRepairer({ lexicon, confusion, lm });
for (const s of ['000_32a9fff0cf960181', '001_91a3c1650f19c566', '002_3e46df6f17c46d2f', '003_5dc16642857d16cb', '004_6306731b55b2ba86']) {
  const text = readFileSync(`corpus/${s}.txt`, 'utf8');
  t = performance.now();
  const rate = r.damageRate([text]);
  const edits = r.repair(text, rate >= DAMAGED_RATE);
  const out = applyEdits(text, edits);
  console.log(s, 'rate', rate.toFixed(3), 'edits', edits.length, Math.round(performance.now() - t), 'ms');
  writeFileSync(`/tmp/out-${s}.txt`, out);
  if (s !== '003_5dc16642857d16cb') for (const e of edits) console.log('   ', JSON.stringify(e.actual), '->', JSON.stringify(e.replacement), e.rule);
}
