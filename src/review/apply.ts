/**
 * The effective record: the machine's extraction with an archivist's corrections applied. Pure
 * functions, no database. A correction names its value by identity (a unit by its identity key,
 * a date by kind and date, a class by its key), so it finds the value again after re-extraction
 * whatever the array order; one whose value is gone is orphaned, never dropped.
 */
import { CLASS_KEYS, DATE_KINDS, ExtractedSchema, type Evidence, type Extracted, type Unit } from '../../schemas/record.js';
import type { Correction, CorrectionAction, CorrectionNote, CorrectionTarget } from '../../schemas/correction.js';
import type { Extraction } from '../document-file.js';
import { unitKey } from '../store/units.js';

/** A correction that cannot be made: the message names the path, the value and what is allowed. */
export class CorrectionError extends Error {
  override name = 'CorrectionError';
}

export const SCALAR_FIELDS = ['topic', 'year', 'board', 'administration', 'diarienummer', 'document_date', 'meeting_date', 'target_units'] as const;
export const UNIT_FIELDS = ['name', 'department', 'operator', 'provider', 'class'] as const;
type ScalarField = (typeof SCALAR_FIELDS)[number];
type UnitField = (typeof UNIT_FIELDS)[number];

export type ParsedPath =
  | { list: null; field: ScalarField }
  | { list: 'units'; index: number | '+'; field?: UnitField }
  | { list: 'dates'; index: number; field?: 'date' | 'kind' }
  | { list: 'classes'; index: number | '+' };

const PATH_HELP =
  'a path is one of ' + SCALAR_FIELDS.join(', ') + `, units[i].{${UNIT_FIELDS.join(',')}}, units[i] (to remove), units[+] (to add), dates[i].date, dates[i].kind, dates[i], classes[i], classes[+]`;

export function parsePath(path: string): ParsedPath {
  const p = path.trim();
  if ((SCALAR_FIELDS as readonly string[]).includes(p)) return { list: null, field: p as ScalarField };
  let m = /^units\[(\d+|\+)\](?:\.(\w+))?$/.exec(p);
  if (m) {
    if (m[2] !== undefined && !(UNIT_FIELDS as readonly string[]).includes(m[2])) throw new CorrectionError(`"${path}": a unit has no field "${m[2]}"; its fields: ${UNIT_FIELDS.join(', ')}`);
    if (m[1] === '+' && m[2] !== undefined) throw new CorrectionError(`"${path}": add a unit with units[+] (its name), then set its fields`);
    return { list: 'units', index: m[1] === '+' ? '+' : Number(m[1]), ...(m[2] ? { field: m[2] as UnitField } : {}) };
  }
  m = /^dates\[(\d+)\](?:\.(\w+))?$/.exec(p);
  if (m) {
    if (m[2] !== undefined && m[2] !== 'date' && m[2] !== 'kind') throw new CorrectionError(`"${path}": a date has the fields date and kind, not "${m[2]}"`);
    return { list: 'dates', index: Number(m[1]), ...(m[2] ? { field: m[2] as 'date' | 'kind' } : {}) };
  }
  m = /^classes\[(\d+|\+)\]$/.exec(p);
  if (m) return { list: 'classes', index: m[1] === '+' ? '+' : Number(m[1]) };
  throw new CorrectionError(`"${path}" is not a correctable value: ${PATH_HELP}`);
}

const NULLS = new Set(['', 'null', '-']);

/** A typed value for a field, validated with the record schema; a bad one names what is allowed. */
export function coerceValue(path: string, field: string, raw: unknown): unknown {
  const text = typeof raw === 'string' ? raw.trim() : raw;
  const isNull = text === null || (typeof text === 'string' && NULLS.has(text));
  const fail = (allowed: string) => new CorrectionError(`${path}: ${JSON.stringify(raw)} is not allowed; ${allowed}`);
  switch (field) {
    case 'year':
    case 'target_units': {
      if (isNull) return null;
      const n = typeof text === 'number' ? text : Number(text);
      if (!Number.isInteger(n) || (field === 'year' && (n < 1900 || n > 2100))) throw fail(field === 'year' ? 'a year has four digits, e.g. 2017 (or empty for none)' : 'a whole number (or empty for none)');
      return n;
    }
    case 'topic':
      if (text === 'award_participation' || text === 'other') return text;
      throw fail('allowed values: award_participation, other');
    case 'class':
      if (isNull) return null;
      if ((CLASS_KEYS as readonly string[]).includes(String(text))) return text;
      throw fail(`allowed values: ${CLASS_KEYS.join(', ')} (or empty for none)`);
    case 'operator':
      if (isNull) return null;
      if (text === 'municipal' || text === 'private') return text;
      throw fail('allowed values: municipal, private (or empty for none)');
    case 'kind':
      if ((DATE_KINDS as readonly string[]).includes(String(text))) return text;
      throw fail(`allowed values: ${DATE_KINDS.join(', ')}`);
    case 'date':
    case 'document_date':
    case 'meeting_date': {
      if (isNull && field !== 'date') return null;
      const s = String(text);
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
      const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
      if (!m || !d || d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) throw fail('a date is ISO YYYY-MM-DD, e.g. 2017-05-31');
      return s;
    }
    case 'name':
      if (isNull) throw fail('a unit needs a name');
      return String(text);
    default:
      return isNull ? null : String(text);
  }
}

/** What an archivist asks for, before it is resolved against a record. */
export type CorrectionInput =
  | { action: 'set'; path: string; value: unknown }
  | { action: 'add'; path: 'units[+]' | 'classes[+]' | string; value: unknown; class?: string | null; department?: string | null }
  | { action: 'remove'; path: string }
  | { action: 'confirm' };

/** A correction resolved against the record it was made on: by identity, with the value before and after. */
export interface ResolvedCorrection {
  path: string;
  action: CorrectionAction;
  target: CorrectionTarget;
  old_value: unknown;
  new_value: unknown;
}

const dateKey = (d: { kind: string; date: string }) => `${d.kind}|${d.date}`;

/**
 * Resolves a requested correction against the effective record as it is now (index → identity),
 * checking the value. Throws CorrectionError, naming the allowed values, on anything invalid.
 */
export function resolveCorrection(record: Extracted, input: CorrectionInput): ResolvedCorrection {
  if (input.action === 'confirm') return { path: 'document', action: 'confirm', target: { kind: 'document' }, old_value: null, new_value: null };
  const p = parsePath(input.path);
  const at = <T>(list: T[], index: number, what: string): T => {
    const x = list[index];
    if (x === undefined) throw new CorrectionError(`${input.path}: the record has ${list.length} ${what}${list.length ? ` (${what}[0] … ${what}[${list.length - 1}])` : ''}`);
    return x;
  };
  if (input.action === 'add') {
    if (p.list === 'units' && p.index === '+') {
      const name = coerceValue(input.path, 'name', input.value) as string;
      const unit: Unit = {
        name,
        department: input.department === undefined ? null : (coerceValue(`${input.path}.department`, 'department', input.department) as string | null),
        operator: null,
        provider: null,
        class: input.class === undefined ? null : (coerceValue(`${input.path}.class`, 'class', input.class) as Unit['class']),
      };
      return { path: 'units[+]', action: 'add', target: { kind: 'new', list: 'units' }, old_value: null, new_value: unit };
    }
    if (p.list === 'classes' && p.index === '+') {
      const key = coerceValue(input.path, 'class', input.value);
      if (key === null) throw new CorrectionError(`${input.path}: give a class key; allowed values: ${CLASS_KEYS.join(', ')}`);
      return { path: 'classes[+]', action: 'add', target: { kind: 'new', list: 'classes' }, old_value: null, new_value: key };
    }
    throw new CorrectionError(`"${input.path}": only units[+] and classes[+] add a value`);
  }
  if (input.action === 'remove') {
    if (p.list === 'units' && p.index !== '+' && !p.field) {
      const u = at(record.units, p.index, 'units');
      return { path: input.path, action: 'remove', target: { kind: 'unit', key: unitKey(u.name), name: u.name }, old_value: u, new_value: null };
    }
    if (p.list === 'dates' && !p.field) {
      const d = at(record.dates, p.index, 'dates');
      return { path: input.path, action: 'remove', target: { kind: 'date', date_kind: d.kind, date: d.date }, old_value: d, new_value: null };
    }
    if (p.list === 'classes' && p.index !== '+') {
      const c = at(record.classes, p.index, 'classes');
      return { path: input.path, action: 'remove', target: { kind: 'class', key: c }, old_value: c, new_value: null };
    }
    throw new CorrectionError(`"${input.path}": remove takes a whole unit, date or class, e.g. units[3], dates[1], classes[0]`);
  }
  // set
  if (p.list === null) {
    const value = coerceValue(input.path, p.field, input.value);
    return { path: input.path, action: 'set', target: { kind: 'field', field: p.field }, old_value: record[p.field] ?? null, new_value: value };
  }
  if (p.list === 'units') {
    if (p.index === '+') return resolveCorrection(record, { action: 'add', path: 'units[+]', value: input.value });
    if (!p.field) throw new CorrectionError(`"${input.path}": set one field of a unit, e.g. ${input.path}.class (fields: ${UNIT_FIELDS.join(', ')})`);
    const u = at(record.units, p.index, 'units');
    const value = coerceValue(input.path, p.field, input.value);
    return { path: input.path, action: 'set', target: { kind: 'unit', key: unitKey(u.name), name: u.name, field: p.field }, old_value: u[p.field], new_value: value };
  }
  if (p.list === 'dates') {
    if (!p.field) throw new CorrectionError(`"${input.path}": set ${input.path}.date or ${input.path}.kind`);
    const d = at(record.dates, p.index, 'dates');
    const value = coerceValue(input.path, p.field, input.value);
    return { path: input.path, action: 'set', target: { kind: 'date', date_kind: d.kind, date: d.date, field: p.field }, old_value: d[p.field], new_value: value };
  }
  if (p.index === '+') return resolveCorrection(record, { action: 'add', path: 'classes[+]', value: input.value });
  const c = at(record.classes, p.index, 'classes');
  const value = coerceValue(input.path, 'class', input.value);
  if (value === null) throw new CorrectionError(`${input.path}: to drop a class, remove it (--remove ${input.path})`);
  return { path: input.path, action: 'set', target: { kind: 'class', key: c }, old_value: c, new_value: value };
}

/** How a correction fared against an extraction. */
export type Outcome = 'applied' | 'orphaned' | 'already';

export interface Applied {
  /** The record with corrections applied, its evidence under the effective paths. */
  extraction: Extraction;
  /** Per correction id. */
  outcomes: Map<number, Outcome>;
  /** Effective paths of corrected values (their low-confidence reasons no longer apply). */
  corrected: Set<string>;
  /** The record was confirmed as it is by a person. */
  confirmed: boolean;
  /** Each applied correction with the machine's value and evidence (export --with-evidence). */
  notes: CorrectionNote[];
  /** For each item of the effective lists, its index in the machine's record (null: added by a person). */
  origins: { units: Array<number | null>; dates: Array<number | null>; classes: Array<number | null> };
}

interface Item<T> {
  value: T;
  /** Index in the machine record, or null for an item a person added. */
  origin: number | null;
  corrected: boolean;
  notes: Array<{ note: Omit<CorrectionNote, 'path'>; field?: string }>;
}

type Stored = Pick<Correction, 'id' | 'action' | 'target' | 'new_value' | 'by' | 'at' | 'reason' | 'path'>;

/**
 * Applies corrections (in id order, undone ones left out by the caller) to the machine's
 * extraction. The machine's extraction is not changed.
 */
export function applyCorrections(machine: Extraction, corrections: Stored[]): Applied {
  const m = machine.record;
  const units: Array<Item<Unit>> = m.units.map((u, i) => ({ value: { ...u }, origin: i, corrected: false, notes: [] }));
  const dates: Array<Item<Extracted['dates'][number]>> = m.dates.map((d, i) => ({ value: { ...d }, origin: i, corrected: false, notes: [] }));
  const classes: Array<Item<Extracted['classes'][number]>> = m.classes.map((c, i) => ({ value: c, origin: i, corrected: false, notes: [] }));
  const scalars: Record<string, unknown> = {};
  const scalarNotes: Array<{ field: string; note: Omit<CorrectionNote, 'path'> }> = [];
  const outcomes = new Map<number, Outcome>();
  // A unit renamed (or a date moved) by one correction is still found by later ones made on its old identity.
  const unitAlias = new Map<string, string>();
  const dateAlias = new Map<string, string>();
  const follow = (map: Map<string, string>, k: string) => {
    for (let i = 0; i < 50 && map.has(k); i++) k = map.get(k)!;
    return k;
  };
  const findUnit = (key: string) => {
    const k = follow(unitAlias, key);
    return units.findIndex((u) => unitKey(u.value.name) === k);
  };
  const findDate = (kind: string, date: string) => {
    const k = follow(dateAlias, `${kind}|${date}`);
    return dates.findIndex((d) => dateKey(d.value) === k);
  };
  // A removal's note: the machine's value under its path in the machine's record, and its evidence.
  const removed: CorrectionNote[] = [];
  const removal = (base: Omit<CorrectionNote, 'path' | 'machine' | 'value' | 'evidence'>, list: 'units' | 'dates' | 'classes', item: Item<unknown>): CorrectionNote => ({
    ...base,
    path: item.origin === null ? `${list}[+]` : `${list}[${item.origin}]`,
    machine: item.origin === null ? null : m[list][item.origin]!,
    value: null,
    evidence: item.origin === null ? null : (machine.evidence[list === 'classes' ? 'classes' : `${list}[${item.origin}]`] ?? null),
  });
  let confirmed = false;
  for (const c of corrections) {
    const base = { id: c.id, action: c.action, by: c.by, at: c.at, reason: c.reason };
    const t = c.target;
    let outcome: Outcome = 'applied';
    if (t.kind === 'document') confirmed = true;
    else if (t.kind === 'field') {
      const machineValue = (m as Record<string, unknown>)[t.field] ?? null;
      scalars[t.field] = c.new_value;
      scalarNotes.push({ field: t.field, note: { ...base, machine: machineValue, value: c.new_value, evidence: machine.evidence[t.field] ?? null } });
    } else if (t.kind === 'new' && t.list === 'units') {
      const u = c.new_value as Unit;
      if (findUnit(unitKey(u.name)) >= 0) outcome = 'already';
      else units.push({ value: { ...u }, origin: null, corrected: true, notes: [{ note: { ...base, machine: null, value: u, evidence: null } }] });
    } else if (t.kind === 'new' && t.list === 'classes') {
      const key = c.new_value as Extracted['classes'][number];
      if (classes.some((x) => x.value === key)) outcome = 'already';
      else classes.push({ value: key, origin: null, corrected: true, notes: [{ note: { ...base, machine: null, value: key, evidence: null } }] });
    } else if (t.kind === 'unit') {
      // The key is computed again from the name, so a refined identity key (src/query/unit-identity.ts) still finds the unit.
      const i = findUnit(t.name !== undefined ? unitKey(t.name) : t.key);
      if (i < 0) outcome = 'orphaned';
      else if (c.action === 'remove') {
        const [gone] = units.splice(i, 1);
        removed.push(removal(base, 'units', gone!));
      } else {
        const item = units[i]!;
        const field = t.field as UnitField;
        const before = unitKey(item.value.name);
        const machineValue = item.origin === null ? null : m.units[item.origin]![field];
        (item.value as Record<string, unknown>)[field] = c.new_value;
        if (field === 'name' && unitKey(item.value.name) !== before) unitAlias.set(before, unitKey(item.value.name));
        item.corrected = true;
        item.notes.push({ field, note: { ...base, machine: machineValue, value: c.new_value, evidence: item.origin === null ? null : (machine.evidence[`units[${item.origin}]`] ?? null) } });
      }
    } else if (t.kind === 'date') {
      const i = findDate(t.date_kind, t.date);
      if (i < 0) outcome = 'orphaned';
      else if (c.action === 'remove') removed.push(removal(base, 'dates', dates.splice(i, 1)[0]!));
      else {
        const item = dates[i]!;
        const field = t.field as 'date' | 'kind';
        const before = dateKey(item.value);
        const machineValue = item.origin === null ? null : m.dates[item.origin]![field];
        (item.value as Record<string, unknown>)[field] = c.new_value;
        if (dateKey(item.value) !== before) dateAlias.set(before, dateKey(item.value));
        item.corrected = true;
        item.notes.push({ field, note: { ...base, machine: machineValue, value: c.new_value, evidence: item.origin === null ? null : (machine.evidence[`dates[${item.origin}]`] ?? null) } });
      }
    } else if (t.kind === 'class') {
      const i = classes.findIndex((x) => x.value === t.key);
      if (i < 0) outcome = 'orphaned';
      else if (c.action === 'remove') removed.push(removal(base, 'classes', classes.splice(i, 1)[0]!));
      else {
        const item = classes[i]!;
        // Set to a class the record already offers: the two are one.
        if (classes.some((x) => x !== item && x.value === c.new_value)) {
          classes.splice(i, 1);
          outcomes.set(c.id, outcome);
          continue;
        }
        item.notes.push({ note: { ...base, machine: item.origin === null ? null : m.classes[item.origin]!, value: c.new_value, evidence: machine.evidence.classes ?? null } });
        item.value = c.new_value as Extracted['classes'][number];
        item.corrected = true;
      }
    }
    outcomes.set(c.id, outcome);
  }
  const record: Extracted = {
    ...m,
    ...(scalars as Partial<Extracted>),
    units: units.map((u) => u.value),
    dates: dates.map((d) => d.value),
    classes: classes.map((c) => c.value),
  };
  // Evidence under the effective paths: an item keeps its machine evidence wherever it now is.
  const evidence: Record<string, Evidence> = {};
  const moved = (items: Array<Item<unknown>>) => {
    const to = new Map<number, number>();
    items.forEach((x, i) => x.origin !== null && to.set(x.origin, i));
    return to;
  };
  const toUnit = moved(units as Array<Item<unknown>>);
  const toDate = moved(dates as Array<Item<unknown>>);
  for (const [path, e] of Object.entries(machine.evidence)) {
    const pm = /^(units|dates)\[(\d+)\](.*)$/.exec(path);
    if (!pm) {
      evidence[path] = e;
      continue;
    }
    const to = (pm[1] === 'units' ? toUnit : toDate).get(Number(pm[2]));
    if (to !== undefined) evidence[`${pm[1]}[${to}]${pm[3]}`] = e;
  }
  const corrected = new Set<string>(Object.keys(scalars));
  const notes: CorrectionNote[] = scalarNotes.map((s) => ({ ...s.note, path: s.field }));
  const collect = (list: string, items: Array<Item<unknown>>) =>
    items.forEach((x, i) => {
      if (x.corrected) corrected.add(`${list}[${i}]`);
      for (const n of x.notes) notes.push({ ...n.note, path: `${list}[${i}]${n.field ? `.${n.field}` : ''}` });
    });
  collect('units', units as Array<Item<unknown>>);
  collect('dates', dates as Array<Item<unknown>>);
  collect('classes', classes as Array<Item<unknown>>);
  notes.push(...removed);
  notes.sort((a, b) => a.id - b.id);
  const origins = { units: units.map((x) => x.origin), dates: dates.map((x) => x.origin), classes: classes.map((x) => x.origin) };
  return { extraction: { record, evidence }, outcomes, corrected, confirmed, notes, origins };
}

/** Checks an effective record against the record schema; a problem names the path and the allowed values. */
export function validateRecord(record: Extracted): void {
  const r = ExtractedSchema.safeParse(record);
  if (r.success) return;
  const issue = r.error.issues[0]!;
  const path = issue.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('').replace(/^\./, '');
  const values = (issue as { values?: unknown[] }).values;
  throw new CorrectionError(`${path}: ${issue.message}${values ? `; allowed values: ${values.join(', ')}` : ''}`);
}

