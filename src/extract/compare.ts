/**
 * Compares exported records with expected ones as test/gold/README.md defines (the same
 * comparison as shared/tools/score_extract.py): facts counted as true positives, false positives
 * and false negatives; F1 over all of them; every miss listed.
 */

type Rec = Record<string, unknown> & { source?: { file?: string } };

export interface Comparison {
  tp: number;
  fp: number;
  fn: number;
  f1: number;
  misses: Record<string, string[]>;
}

const norm = (s: unknown) => (s === null || s === undefined ? null : String(s).normalize('NFC').toLocaleLowerCase('sv').replace(/\s+/g, ' ').trim());
const key = (s: unknown) => (s === null || s === undefined ? null : String(s).normalize('NFC').toLocaleLowerCase('sv').replace(/[\W_]/gu, ''));
const SCALARS = ['topic', 'year', 'board', 'administration', 'diarienummer', 'document_date', 'meeting_date', 'target_units'];
const UNIT_ATTRS = ['department', 'operator', 'provider', 'class'];

export const stem = (file: string) => file.split('/').pop()!.split('.')[0]!;

export function compareRecords(exported: Rec[], expected: Record<string, Rec>): Comparison {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  const misses: Record<string, string[]> = {};
  const byStem = new Map(exported.map((r) => [stem(r.source?.file ?? ''), r]));
  for (const [name, gold] of Object.entries(expected)) {
    const m: string[] = (misses[name] = []);
    const rec = byStem.get(name);
    if (!rec) {
      m.push('NOT EXPORTED');
      fn += 1;
      continue;
    }
    for (const f of SCALARS) {
      const g = gold[f];
      if ((g === null || g === undefined) && f !== 'topic') continue;
      if (norm(rec[f]) === norm(g)) tp++;
      else {
        fn++;
        m.push(`${f}: expected ${JSON.stringify(g)}, got ${JSON.stringify(rec[f])}`);
        if (rec[f] !== null && rec[f] !== undefined && rec[f] !== '') fp++;
      }
    }
    const co = gold.case_officer as { name?: string; phone?: string } | null;
    const rco = (rec.case_officer ?? {}) as { name?: string; phone?: string };
    if (co) {
      for (const f of ['name', 'phone'] as const) {
        if (key(rco[f]) === key(co[f])) tp++;
        else {
          fn++;
          m.push(`case_officer.${f}: expected ${JSON.stringify(co[f])}, got ${JSON.stringify(rco[f])}`);
        }
      }
    }
    const runits = [...((rec.units as Rec[]) ?? [])];
    const used = new Set<number>();
    for (const gu of (gold.units as Rec[]) ?? []) {
      const names = new Set([gu.name, ...((gu.aliases as string[]) ?? [])].map(key));
      const i = runits.findIndex((ru, i) => !used.has(i) && names.has(key(ru.name)));
      if (i < 0) {
        fn += 1 + UNIT_ATTRS.filter((a) => gu[a] !== null && gu[a] !== undefined).length;
        m.push(`unit missing: ${gu.name}`);
        continue;
      }
      used.add(i);
      tp++;
      for (const a of UNIT_ATTRS) {
        const g = gu[a];
        if (g === null || g === undefined) continue;
        if (key(runits[i]![a]) === key(g)) tp++;
        else {
          fn++;
          m.push(`unit ${gu.name}.${a}: expected ${JSON.stringify(g)}, got ${JSON.stringify(runits[i]![a])}`);
          if (runits[i]![a] !== null && runits[i]![a] !== undefined) fp++;
        }
      }
    }
    runits.forEach((ru, i) => {
      if (!used.has(i)) {
        fp++;
        m.push(`unit not expected: ${ru.name}`);
      }
    });
    const sets: Array<[string, string[], string[]]> = [
      ['class', ((gold.classes as string[]) ?? []).map(String), ((rec.classes as string[]) ?? []).map(String)],
      [
        'date',
        ((gold.dates as Rec[]) ?? []).map((d) => `${d.kind} ${d.date}`),
        ((rec.dates as Rec[]) ?? []).map((d) => `${d.kind} ${d.date}`),
      ],
      [
        'signatory',
        ((gold.signatories as Rec[]) ?? []).map((s) => `${norm(s.name)} / ${norm(s.title)}`),
        ((rec.signatories as Rec[]) ?? []).map((s) => `${norm(s.name)} / ${norm(s.title)}`),
      ],
    ];
    for (const [label, g, r] of sets) {
      const gs = new Set(g);
      const rs = new Set(r);
      for (const x of gs) if (rs.has(x)) tp++;
      else {
        fn++;
        m.push(`${label} missing: ${x}`);
      }
      for (const x of rs) if (!gs.has(x)) {
        fp++;
        m.push(`${label} not expected: ${x}`);
      }
    }
  }
  const p = tp + fp ? tp / (tp + fp) : 0;
  const r = tp + fn ? tp / (tp + fn) : 0;
  return { tp, fp, fn, f1: p + r ? (2 * p * r) / (p + r) : 0, misses };
}
