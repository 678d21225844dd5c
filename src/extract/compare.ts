/**
 * Compares exported records with expected ones as test/gold/README.md defines (the same
 * comparison as shared/tools/score_extract.py): facts counted as true positives, false positives
 * and false negatives; F1 over all of them; every miss listed.
 */

type Rec = Record<string, unknown> & { source?: { file?: string } };

export interface Counts {
  tp: number;
  fp: number;
  fn: number;
}

export interface Comparison extends Counts {
  f1: number;
  misses: Record<string, string[]>;
  /** The same counts by field: scalars, case_officer, units, unit.<attribute>, classes, dates.<kind>, signatories. */
  byField: Record<string, Counts>;
}

/** Precision, recall and F1 of counts. */
export function scores(c: Counts): { precision: number; recall: number; f1: number } {
  const precision = c.tp + c.fp ? c.tp / (c.tp + c.fp) : 0;
  const recall = c.tp + c.fn ? c.tp / (c.tp + c.fn) : 0;
  return { precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
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
  const byField: Record<string, Counts> = {};
  // Every count goes to the total and to its field.
  let field = '';
  const count = (kind: keyof Counts, n = 1) => {
    const f = (byField[field] ??= { tp: 0, fp: 0, fn: 0 });
    f[kind] += n;
    if (kind === 'tp') tp += n;
    else if (kind === 'fp') fp += n;
    else fn += n;
  };
  const byStem = new Map(exported.map((r) => [stem(r.source?.file ?? ''), r]));
  for (const [name, gold] of Object.entries(expected)) {
    const m: string[] = (misses[name] = []);
    const rec = byStem.get(name);
    if (!rec) {
      m.push('NOT EXPORTED');
      field = 'document';
      count('fn');
      continue;
    }
    for (const f of SCALARS) {
      field = f;
      const g = gold[f];
      if ((g === null || g === undefined) && f !== 'topic') {
        // A year on a document that is about something else counts against it.
        if (f === 'year' && gold.topic === 'other' && rec[f] !== null && rec[f] !== undefined && rec[f] !== '') {
          count('fp');
          m.push(`${f}: expected none, got ${JSON.stringify(rec[f])}`);
        }
        continue;
      }
      if (norm(rec[f]) === norm(g)) count('tp');
      else {
        count('fn');
        m.push(`${f}: expected ${JSON.stringify(g)}, got ${JSON.stringify(rec[f])}`);
        if (rec[f] !== null && rec[f] !== undefined && rec[f] !== '') count('fp');
      }
    }
    const co = gold.case_officer as { name?: string; phone?: string } | null;
    const rco = (rec.case_officer ?? {}) as { name?: string; phone?: string };
    field = 'case_officer';
    if (co) {
      for (const f of ['name', 'phone'] as const) {
        if (key(rco[f]) === key(co[f])) count('tp');
        else {
          count('fn');
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
        field = 'units';
        count('fn');
        for (const a of UNIT_ATTRS) {
          field = `unit.${a}`;
          if (gu[a] !== null && gu[a] !== undefined) count('fn');
        }
        m.push(`unit missing: ${gu.name}`);
        continue;
      }
      used.add(i);
      field = 'units';
      count('tp');
      for (const a of UNIT_ATTRS) {
        field = `unit.${a}`;
        const g = gu[a];
        if (g === null || g === undefined) continue;
        if (key(runits[i]![a]) === key(g)) count('tp');
        else {
          count('fn');
          m.push(`unit ${gu.name}.${a}: expected ${JSON.stringify(g)}, got ${JSON.stringify(runits[i]![a])}`);
          if (runits[i]![a] !== null && runits[i]![a] !== undefined) count('fp');
        }
      }
    }
    field = 'units';
    runits.forEach((ru, i) => {
      if (!used.has(i)) {
        count('fp');
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
      // Dates count by kind ("dates.award"), classes and signatories as one field each.
      const fieldOf = (x: string) => (label === 'date' ? `dates.${x.split(' ')[0]}` : label === 'class' ? 'classes' : 'signatories');
      for (const x of gs) {
        field = fieldOf(x);
        if (rs.has(x)) count('tp');
        else {
          count('fn');
          m.push(`${label} missing: ${x}`);
        }
      }
      for (const x of rs) if (!gs.has(x)) {
        field = fieldOf(x);
        count('fp');
        m.push(`${label} not expected: ${x}`);
      }
    }
  }
  return { tp, fp, fn, f1: scores({ tp, fp, fn }).f1, misses, byField };
}
