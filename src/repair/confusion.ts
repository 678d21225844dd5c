/**
 * The OCR confusion model (data/confusions.json): the cost of reading a damaged token as a clean
 * word (a weighted edit distance whose operations are the model's rewrites), and the folded
 * variants of a damaged token under which candidate words are looked up in the lexicon.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fold } from './fold.js';
import { DATA_DIR } from './lexicon.js';

interface Rewrite {
  damaged: string;
  clean: string;
  cost: number;
}

export interface ConfusionModel {
  rewrites: Rewrite[];
  insert: Record<string, number>;
  delete: Record<string, number>;
  substitute: number;
}

export function loadConfusionModel(path = join(DATA_DIR, 'confusions.json')): ConfusionModel {
  const m = JSON.parse(readFileSync(path, 'utf8')) as ConfusionModel;
  return m;
}

/**
 * Cost of reading `damaged` as `clean` (both lowercase): the cheapest sequence of matches (free),
 * rewrites, insertions, deletions and substitutions.
 */
export function editCost(damaged: string, clean: string, model: ConfusionModel): number {
  const n = damaged.length;
  const m = clean.length;
  const ins = (c: string) => model.insert[c] ?? model.insert['*']!;
  const del = (c: string) => model.delete[c] ?? model.delete['*']!;
  const d: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(Infinity));
  d[0]![0] = 0;
  for (let i = 0; i <= n; i++) {
    for (let j = 0; j <= m; j++) {
      const here = d[i]![j]!;
      if (here === Infinity) continue;
      if (i < n && j < m) {
        const same = damaged[i] === clean[j];
        const c = here + (same ? 0 : model.substitute);
        if (c < d[i + 1]![j + 1]!) d[i + 1]![j + 1] = c;
      }
      if (j < m) {
        const c = here + ins(clean[j]!);
        if (c < d[i]![j + 1]!) d[i]![j + 1] = c;
      }
      if (i < n) {
        const c = here + del(damaged[i]!);
        if (c < d[i + 1]![j]!) d[i + 1]![j] = c;
      }
      for (const r of model.rewrites) {
        if (damaged.startsWith(r.damaged, i) && clean.startsWith(r.clean, j)) {
          const ni = i + r.damaged.length;
          const nj = j + r.clean.length;
          const c = here + r.cost;
          if (c < d[ni]![nj]!) d[ni]![nj] = c;
        }
      }
    }
  }
  return d[n]![m]!;
}

/** Rewrites that change the folded spelling (a→ä does not: both fold to a). */
function foldChanging(model: ConfusionModel): Array<{ damaged: string; clean: string }> {
  const out: Array<{ damaged: string; clean: string }> = [];
  const seen = new Set<string>();
  for (const r of model.rewrites) {
    const d = r.damaged;
    const c = fold(r.clean);
    if (fold(d) === c) continue;
    const key = `${d}>${c}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ damaged: d, clean: c });
    }
  }
  return out;
}

const INSERT_FOLDED = ['a', 'o', 's'];

/**
 * Folded spellings a damaged token may stand for: the token folded, and the token with up to
 * `maxEdits` fold-changing rewrites, insertions of a/o/s (lost å/ä/ö/s) or deletions of letters
 * OCR tends to add. Each comes with the number of edits made.
 */
export function foldedVariants(token: string, model: ConfusionModel, maxEdits = 2): Map<string, number> {
  const rules = foldChanging(model);
  const deletable = Object.keys(model.delete).filter((c) => c !== '*');
  const out = new Map<string, number>();
  let frontier = [token.toLowerCase()];
  out.set(fold(frontier[0]!), 0);
  const seenRaw = new Set(frontier);
  for (let edits = 1; edits <= maxEdits; edits++) {
    const next: string[] = [];
    const push = (v: string) => {
      if (seenRaw.has(v)) return;
      seenRaw.add(v);
      next.push(v);
      const k = fold(v);
      if (!out.has(k)) out.set(k, edits);
    };
    for (const w of frontier) {
      for (let i = 0; i < w.length; i++) {
        for (const r of rules) if (w.startsWith(r.damaged, i)) push(w.slice(0, i) + r.clean + w.slice(i + r.damaged.length));
        if (deletable.includes(w[i]!)) push(w.slice(0, i) + w.slice(i + 1));
      }
      for (let i = 1; i < w.length; i++) for (const c of INSERT_FOLDED) push(w.slice(0, i) + c + w.slice(i));
    }
    frontier = next;
  }
  return out;
}
