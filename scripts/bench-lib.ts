/**
 * Shared pieces of the benchmark scripts: statistics over repeated runs, the table they print,
 * the benchmark texts, and the repair stage's speed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { words } from '../src/repair/word-accuracy.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface Stat {
  name: string;
  unit: string;
  values: number[];
}

export function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** Collects measurements (several runs each) and prints them as one table: median, min, max. */
export class Stats {
  readonly rows: Stat[] = [];
  record(name: string, unit: string, values: number[]): number {
    this.rows.push({ name, unit, values });
    return median(values);
  }
  note(name: string, unit: string, value: number): number {
    return this.record(name, unit, [value]);
  }
  print(title: string): void {
    const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(2) : n.toFixed(3));
    console.log(`\n${title}\n`);
    console.log(`${'measurement'.padEnd(66)}${'median'.padStart(10)}${'min'.padStart(10)}${'max'.padStart(10)}  unit`);
    for (const s of this.rows) {
      console.log(
        `${s.name.padEnd(66)}${fmt(median(s.values)).padStart(10)}${fmt(Math.min(...s.values)).padStart(10)}${fmt(Math.max(...s.values)).padStart(10)}  ${s.unit}`,
      );
    }
  }
}

/** The four clean seeds: the running text the benchmarks render, damage and ingest. */
export function seedTexts(): string[] {
  return ['000_32a9fff0cf960181', '001_91a3c1650f19c566', '002_3e46df6f17c46d2f', '004_6306731b55b2ba86'].map((s) =>
    readFileSync(join(ROOT, 'corpus', `${s}.txt`), 'utf8'),
  );
}

/** Words per second of `repair` over the texts (one core). */
export function wordsPerSecond(texts: string[], repair: (text: string) => unknown): number {
  const n = texts.reduce((s, t) => s + words(t).length, 0);
  const t0 = performance.now();
  for (const t of texts) repair(t);
  return n / ((performance.now() - t0) / 1000);
}

/** Repair speed after loading, one core, on clean text no cache has seen (numbering lines makes every round new). */
export async function repairWordsPerSecond(rounds = 30): Promise<number> {
  const { loadRepairModels } = await import('../src/repair/models.js');
  const { applyEdits, TextRepairer } = await import('../src/repair/repair-text.js');
  const repairer = new TextRepairer(loadRepairModels());
  const texts = Array.from({ length: rounds }, (_, r) => seedTexts().map((t) => t.replace(/\n/g, ` ${r}\n`))).flat();
  return wordsPerSecond(texts, (t) => applyEdits(t, repairer.repair(t, repairer.damageEstimate([t]).damaged)));
}

/** Resident memory of a process and all its descendants (from /proc), in bytes. */
export function treeRss(root: number): number {
  const parent = new Map<number, number>();
  const rss = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${entry}/status`, 'latin1'))?.[1];
      rss.set(Number(entry), Number(kb ?? 0) * 1024);
    } catch {
      /* gone meanwhile */
    }
  }
  const inTree = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = parent.get(p) ?? 0, hops++) if (p === root) return true;
    return false;
  };
  let total = 0;
  for (const [pid, bytes] of rss) if (inTree(pid)) total += bytes;
  return total;
}
