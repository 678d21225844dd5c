/**
 * Measures the repair stage (issue figures):
 *   - word accuracy of the damaged 2023 scan against its gold reading (test/gold);
 *   - the clean seeds against themselves (no correct word may change);
 *   - generalization: held-out text (scripts/bench-data, never seen by the models) and the clean
 *     seeds, damaged two ways: diacritics stripped, and OCR confusions sampled from the model;
 *   - encoding damage (not OCR): the held-out text and the clean seeds as UTF-8 read as Windows-1252
 *     (once and twice) and as Latin-1, as 7-bit Swedish (ISO 646-SE), and through a lossy decode
 *     (U+FFFD) with no-break spaces and soft hyphens; and that the encoding stage leaves every seed
 *     and every devset text (test/devset/texts) exactly as it is;
 *   - speed after loading (words per second, one core) and the load time of the models;
 *   - a 10 MB text through the whole normalize stage, in a fresh process each: seconds and peak
 *     RSS, clean, as mojibake and as OCR damage (the stage must be linear: ≤ 30 s, ≤ 500 MB);
 *   - a check of the confusion model against the aligned damaged/clean seed: which letter
 *     confusions occur there and whether the model has them.
 *
 *   npm run bench:normalize
 * The last line is one JSON object with the figures.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import type { DocumentFile } from '../src/document-file.js';
import { decodeWindows1252, WINDOWS_1252_HIGH } from '../src/ingest/decode-text.js';
import { markdownToText } from '../src/ingest/markdown.js';
import { loadConfusionModel } from '../src/repair/confusion.js';
import { repairEncoding } from '../src/repair/encoding.js';
import { normalizeDocument } from '../src/repair/normalize.js';
import { loadRepairModels } from '../src/repair/models.js';
import { applyEdits, TextRepairer } from '../src/repair/repair-text.js';
import { wordAccuracy, words } from '../src/repair/word-accuracy.js';
import { mulberry32 } from './fixtures.js';
import { repairWordsPerSecond, wordsPerSecond } from './bench-lib.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

/** One text through the whole normalize stage (encoding, then words), as the pipeline runs it: pages at form feeds. */
function normalizeText(text: string): DocumentFile {
  const file: DocumentFile = {
    path: 'bench.txt', name: 'bench.txt', size: text.length, mtimeMs: 0, sha256: '', format: 'txt', mediaType: 'text/plain', messages: [],
    pages: text.split('\f').map((t, i) => ({ number: i + 1, text: t, source: 'text' as const, confidence: null })),
  };
  return normalizeDocument(file);
}
const stage = (text: string) => normalizeText(text).pages.map((p) => p.repaired ?? p.text).join('\f');

// Encoding damage, made the way it happens.
const CP1252_BYTE = new Map([...WINDOWS_1252_HIGH].map((ch, i) => [ch, 0x80 + i]));
/** Text saved as Windows-1252 by a Windows program (characters it lacks become ?). */
const encodeWindows1252 = (t: string) => Buffer.from([...t].map((ch) => CP1252_BYTE.get(ch) ?? (ch.charCodeAt(0) < 0x100 ? ch.charCodeAt(0) : 0x3f)));
/** UTF-8 bytes read as Windows-1252. */
const asCp1252 = (t: string) => decodeWindows1252(Buffer.from(t, 'utf8'));
/** UTF-8 bytes read as Latin-1 (ISO-8859-1: C1 controls where Windows-1252 has quotes and dashes). */
const asLatin1 = (t: string) => Buffer.from(t, 'utf8').toString('latin1');
/** 7-bit Swedish (SIS E47 / ISO 646-SE), as old mainframes exported it. */
const SEVEN_BIT: Record<string, string> = { å: '}', ä: '{', ö: '|', Å: ']', Ä: '[', Ö: '\\' };
const asSevenBit = (t: string) => t.replace(/[åäöÅÄÖ]/g, (c) => SEVEN_BIT[c]!);
/** Windows-1252 bytes read as UTF-8 by a lenient decoder (each å/ä/ö a U+FFFD), with no-break spaces and soft hyphens. */
function lossy(t: string, seed: number): string {
  const random = mulberry32(seed);
  return new TextDecoder('utf-8')
    .decode(encodeWindows1252(t))
    .replace(/ (?=\S)/g, (sp) => (random() < 0.25 ? '\u00a0' : sp))
    .replace(/(?<!\p{L})(\p{L}{3})(\p{L}{5,})/gu, (w, a: string, b: string) => (random() < 0.3 ? `${a}\u00ad${b}` : w));
}

// The 10 MB measurement runs in a child process of its own (peak RSS is per process).
if (process.argv[2] === '--large') {
  const kind = process.argv[3]!;
  const seeds = ['000_32a9fff0cf960181', '001_91a3c1650f19c566', '002_3e46df6f17c46d2f', '004_6306731b55b2ba86'].map((s) => read(`corpus/${s}.txt`));
  const texts = kind === 'ocr' ? [read('corpus/003_5dc16642857d16cb.txt')] : [...seeds, read('scripts/bench-data/heldout-sv.txt')];
  loadRepairModels();
  // Numbered lines: no two copies alike, so no cache has seen them.
  const parts: string[] = [];
  let bytes = 0;
  for (let round = 0; bytes < 10_000_000; round++) {
    for (const t of texts) {
      const part = `${t.replace(/\n/g, ` ${round}\n`)}\n\n`;
      parts.push(kind === 'mojibake' ? asCp1252(part) : part);
      bytes += Buffer.byteLength(parts.at(-1)!);
    }
  }
  const text = parts.join('');
  parts.length = 0;
  const t0 = performance.now();
  const file = normalizeText(text);
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ kind, mb: +(bytes / 1e6).toFixed(1), seconds: +seconds.toFixed(1), max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024), messages: file.messages.length }));
  process.exit(0);
}

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
const repair = (text: string) => applyEdits(text, repairer.repair(text, repairer.damageEstimate([text]).damaged));

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

// 3b. Encoding damage (not OCR), through the whole stage: each kind on the held-out text and the clean seeds.
const encodingKinds: Array<[string, (t: string, i: number) => string]> = [
  ['UTF-8 read as Windows-1252', asCp1252],
  ['UTF-8 read as Windows-1252 twice', (t) => asCp1252(asCp1252(t))],
  ['UTF-8 read as Latin-1', asLatin1],
  ['7-bit Swedish (ISO 646-SE)', asSevenBit],
  ['U+FFFD (lossy decode), NBSP, soft hyphens', (t, i) => lossy(t, 100 + i)],
];
const encodingTexts = [heldout, ...cleanSeeds];
const encodingAcc: Record<string, number> = {};
for (const [name, damage] of encodingKinds) {
  const raw: number[] = [];
  const fixed: number[] = [];
  encodingTexts.forEach((clean, i) => {
    const damaged = damage(clean, i);
    raw.push(wordAccuracy(damaged, clean));
    fixed.push(wordAccuracy(stage(damaged), clean));
  });
  encodingAcc[name] = Math.min(...fixed);
  rows.push([`encoding: ${name}: raw ${Math.min(...raw).toFixed(3)}–${Math.max(...raw).toFixed(3)} → repaired, min of ${fixed.length}`, Math.min(...fixed).toFixed(4)]);
}
// The encoding stage never touches clean text: every seed (the damaged 2023 scan too: OCR damage
// is not encoding damage) and every devset text (Markdown also as the pipeline reads it).
const DEVSET = [join(ROOT, 'test/devset/texts'), '/work/shared/devset/texts'].find((d) => existsSync(d)) ?? '';
const devset = DEVSET ? readdirSync(DEVSET).filter((f) => /\.(txt|md)$/.test(f)).sort().map((f) => ({ f, text: readFileSync(join(DEVSET, f), 'utf8') })) : [];
const untouched = (texts: string[]) => texts.filter((t) => {
  const r = repairEncoding([t], models);
  return r.texts[0] === t && r.findings.length === 0;
}).length;
const seedTexts5 = [...cleanSeeds, raw003];
const devTexts = [...devset.map((d) => d.text), ...devset.filter((d) => d.f.endsWith('.md')).map((d) => markdownToText(d.text))];
const seedsUnchanged = untouched(seedTexts5);
const devUnchanged = untouched(devTexts);
rows.push(['encoding stage leaves the seeds exactly as they are', `${seedsUnchanged}/${seedTexts5.length}`]);
rows.push([`encoding stage leaves the devset texts exactly as they are${devset.length ? '' : ' (devset not found)'}`, `${devUnchanged}/${devTexts.length}`]);
if (devset.length) {
  const devAcc = devset.filter((d) => d.f.endsWith('.txt')).map((d) => wordAccuracy(stage(d.text), d.text));
  rows.push(['devset .txt texts through the whole stage vs themselves (min)', Math.min(...devAcc).toFixed(4)]);
}

// 4. Speed after loading, one core.
const cleanWps = await repairWordsPerSecond();
const damagedWps = wordsPerSecond([raw003, raw003, raw003], repair);
rows.push(['speed, clean text', `${Math.round(cleanWps)} words/s`]);
rows.push(['speed, damaged text (seed 003)', `${Math.round(damagedWps)} words/s`]);
rows.push(['models load (fresh process, median of 3)', `${Math.round(loadMs)} ms`]);

// 4b. A 10 MB text through the whole stage, each kind in a fresh process.
const large = ['clean', 'mojibake', 'ocr'].map((kind) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--large', kind], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as { kind: string; mb: number; seconds: number; max_rss_mb: number; messages: number };
  } catch {
    throw new Error(`10 MB run (${kind}) failed: ${r.stderr}`);
  }
});
const largeNames: Record<string, string> = { clean: 'clean text (seeds, held-out)', mojibake: 'UTF-8 read as Windows-1252', ocr: 'OCR damage (the 2023 scan)' };
for (const l of large) rows.push([`${l.mb} MB, ${largeNames[l.kind]}: seconds, peak RSS`, `${l.seconds} s, ${l.max_rss_mb} MB`]);

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
    encoding_min_accuracy: Object.fromEntries(Object.entries(encodingAcc).map(([k, v]) => [k, +v.toFixed(4)])),
    encoding_untouched: { seeds: `${seedsUnchanged}/${seedTexts5.length}`, devset: `${devUnchanged}/${devTexts.length}` },
    large_10mb: Object.fromEntries(large.map((l) => [l.kind, { seconds: l.seconds, max_rss_mb: l.max_rss_mb }])),
  }),
);
