/**
 * Measures the repair stage (issue figures):
 *   - word accuracy of the damaged 2023 scan against its gold reading (test/gold);
 *   - the clean seeds against themselves (no correct word may change);
 *   - generalization: held-out text (scripts/bench-data, never seen by the models) and the clean
 *     seeds, damaged two ways: diacritics stripped, and OCR confusions sampled from the model;
 *   - speed after loading (words per second, one core) and the load time of the models;
 *   - a check of the confusion model against the aligned damaged/clean seed: which letter
 *     confusions occur there and whether the model has them.
 *
 *   npm run bench:normalize
 * The last line is one JSON object with the figures.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { loadConfusionModel } from '../src/repair/confusion.js';
import { loadRepairModels } from '../src/repair/models.js';
import { applyEdits, DAMAGED_RATE, TextRepairer } from '../src/repair/repair-text.js';
import { wordAccuracy, words } from '../src/repair/word-accuracy.js';
import { mulberry32 } from './fixtures.js';
import { repairWordsPerSecond, wordsPerSecond } from './bench-lib.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

// Load time in a fresh process (the lexicon cache is built by then).
const probe = spawnSync(
  process.execPath,
  ['--import', 'tsx', '-e', "const t=performance.now();const m=await import('./src/repair/models.ts');m.loadRepairModels();console.log(performance.now()-t)"],
  { cwd: ROOT, encoding: 'utf8' },
);
loadRepairModels(); // make sure the cache exists for the timed child run below
const loadRuns = [0, 1, 2].map(() => {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '-e', "const t=performance.now();const m=await import('./src/repair/models.ts');m.loadRepairModels();console.log(performance.now()-t)"],
    { cwd: ROOT, encoding: 'utf8' },
  );
  return Number(r.stdout.trim());
});
void probe;
const loadMs = loadRuns.sort((a, b) => a - b)[1]!;

const models = loadRepairModels();
const repairer = new TextRepairer(models);
const repair = (text: string) => applyEdits(text, repairer.repair(text, repairer.damageRate([text]) >= DAMAGED_RATE));

const rows: Array<[string, string]> = [];

// 1. The damaged 2023 scan against its gold reading.
const raw003 = read('corpus/003_5dc16642857d16cb.txt');
const gold003 = read('test/gold/003_5dc16642857d16cb.clean.txt');
const seed003 = wordAccuracy(repair(raw003), gold003);
rows.push(['2023 scan (seed 003) raw vs gold', wordAccuracy(raw003, gold003).toFixed(4)]);
rows.push(['2023 scan (seed 003) repaired vs gold', seed003.toFixed(4)]);
const email = repair(raw003).includes('kvalitetsutmarkelsen@stockholm.se');
rows.push(['  e-mail address kept as written', String(email)]);

// 2. Clean seeds against themselves.
const cleanSeeds = ['000_32a9fff0cf960181', '001_91a3c1650f19c566', '002_3e46df6f17c46d2f', '004_6306731b55b2ba86'].map((s) => read(`corpus/${s}.txt`));
const cleanAcc = cleanSeeds.map((t) => wordAccuracy(repair(t), t));
rows.push(['clean seeds repaired vs themselves (min)', Math.min(...cleanAcc).toFixed(4)]);

// 3. Generalization on damaged variants.
const strip = (t: string) => t.replace(/[åä]/g, 'a').replace(/[ÅÄ]/g, 'A').replace(/ö/g, 'o').replace(/Ö/g, 'O');
/** OCR-like damage: each å/ä/ö becomes one of its confusions (chosen by the model's costs), some i become 1. */
function ocrDamage(text: string, seed: number): string {
  const model = loadConfusionModel();
  const random = mulberry32(seed);
  const byClean = new Map<string, Array<{ damaged: string; weight: number }>>();
  for (const r of model.rewrites) {
    if (r.clean.length !== 1 || !'åäö'.includes(r.clean)) continue;
    byClean.set(r.clean, [...(byClean.get(r.clean) ?? []), { damaged: r.damaged, weight: Math.exp(-r.cost) }]);
  }
  let out = '';
  for (const ch of text) {
    const lower = ch.toLowerCase();
    const options = byClean.get(lower);
    if (options && random() < 0.85) {
      const total = options.reduce((s, o) => s + o.weight, 0);
      let x = random() * total;
      const pick = options.find((o) => (x -= o.weight) < 0) ?? options[0]!;
      out += ch === lower ? pick.damaged : pick.damaged.toUpperCase();
    } else if (ch === 'i' && random() < 0.03) out += '1';
    else out += ch;
  }
  return out;
}
const heldout = read('scripts/bench-data/heldout-sv.txt');
const gen: Record<string, number> = {};
const measure = (name: string, clean: string, damaged: string) => {
  gen[name] = wordAccuracy(repair(damaged), clean);
  rows.push([`${name}: raw ${wordAccuracy(damaged, clean).toFixed(3)} → repaired`, gen[name]!.toFixed(4)]);
};
measure('held-out text, diacritics stripped', heldout, strip(heldout));
for (const seed of [1, 2, 3]) measure(`held-out text, OCR confusions (seed ${seed})`, heldout, ocrDamage(heldout, seed));
cleanSeeds.forEach((t, i) => measure(`clean seed ${i} diacritics stripped`, t, strip(t)));
cleanSeeds.forEach((t, i) => measure(`clean seed ${i} OCR confusions`, t, ocrDamage(t, 10 + i)));
const heldoutMean = (gen['held-out text, diacritics stripped']! + [1, 2, 3].reduce((s, k) => s + gen[`held-out text, OCR confusions (seed ${k})`]!, 0) / 3) / 2;

// 4. Speed after loading, one core.
const cleanWps = await repairWordsPerSecond();
const damagedWps = wordsPerSecond([raw003, raw003, raw003], repair);
rows.push(['speed, clean text', `${Math.round(cleanWps)} words/s`]);
rows.push(['speed, damaged text (seed 003)', `${Math.round(damagedWps)} words/s`]);
rows.push(['models load (fresh process, median of 3)', `${Math.round(loadMs)} ms`]);

// 5. The confusion model against the aligned seed: letters confused in differing word pairs.
const model = loadConfusionModel();
const confusions = new Map<string, number>();
const a = words(gold003);
const b = words(raw003);
for (let i = 0, j = 0; i < a.length && j < b.length; i++, j++) {
  const g = a[i]!.toLowerCase();
  const r = b[j]!.toLowerCase();
  if (g === r || g.length !== r.length) continue;
  for (let k = 0; k < g.length; k++) if (g[k] !== r[k]) confusions.set(`${r[k]}→${g[k]}`, (confusions.get(`${r[k]}→${g[k]}`) ?? 0) + 1);
}
const known = (pair: string) => {
  const [d, c] = pair.split('→');
  return model.rewrites.some((r) => r.damaged === d && r.clean === c);
};
const confusionRows = [...confusions].sort((x, y) => y[1] - x[1]);
console.log('\nconfusions in the aligned 2023 scan (same-length word pairs): damaged→clean count, in model?');
console.log(confusionRows.map(([p, n]) => `  ${p} ${n} ${known(p) ? 'yes' : 'NO'}`).join('\n'));

console.log('\nbeslutsarkiv bench:normalize\n');
for (const [k, v] of rows) console.log(`${k.padEnd(62)} ${v}`);
console.log(
  JSON.stringify({
    seed003_word_accuracy: +seed003.toFixed(4),
    clean_seeds_min_accuracy: +Math.min(...cleanAcc).toFixed(4),
    heldout_mean_accuracy: +heldoutMean.toFixed(4),
    damaged_variants_min_accuracy: +Math.min(...Object.values(gen)).toFixed(4),
    normalize_words_per_s: Math.round(cleanWps),
    normalize_damaged_words_per_s: Math.round(damagedWps),
    models_load_ms: Math.round(loadMs),
    confusions_in_model: `${confusionRows.filter(([p]) => known(p)).length}/${confusionRows.length}`,
  }),
);
