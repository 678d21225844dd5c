import { readFileSync } from 'node:fs';
import { loadRepairModels } from './src/repair/models.ts';
import { applyEdits, DAMAGED_RATE, TextRepairer } from './src/repair/repair-text.ts';
import { words } from './src/repair/word-accuracy.ts';
const r = new TextRepairer(loadRepairModels());
const heldout = readFileSync('scripts/bench-data/heldout-sv.txt', 'utf8');
const strip = (t: string) => t.replace(/[åä]/g, 'a').replace(/[ÅÄ]/g, 'A').replace(/ö/g, 'o').replace(/Ö/g, 'O');
const texts: Record<string, string> = { stripped: strip(heldout), seed0: strip(readFileSync('corpus/000_32a9fff0cf960181.txt', 'utf8')) };
for (const [name, dmg] of Object.entries(texts)) {
  const out = applyEdits(dmg, r.repair(dmg, r.damageRate([dmg]) >= DAMAGED_RATE));
  const clean = name === 'stripped' ? heldout : readFileSync('corpus/000_32a9fff0cf960181.txt', 'utf8');
  const a = words(clean), b = words(out);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) { console.log(name, a[i], '<-', b[i]); }
}
