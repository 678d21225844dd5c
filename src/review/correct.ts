/**
 * Making, undoing and carrying over corrections. Each call is one transaction: every correction
 * asked for is checked against the record schema and written, with its message in the audit
 * trail, and the document's record tables rewritten, or nothing is. The caller holds the writer
 * lock (withCorrectionLock does both for the CLI).
 */
import type { Database } from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import type { Correction } from '../../schemas/correction.js';
import type { Extraction } from '../document-file.js';
import { Archive, writeRecordTables } from '../store/archive.js';
import { openDatabase } from '../store/database.js';
import { acquireWriterLock } from '../store/lock.js';
import { findDocuments } from '../store/reports.js';
import { applyCorrections, CorrectionError, resolveCorrection, validateRecord, type CorrectionInput, type Outcome } from './apply.js';
import { getCorrection, listCorrections, machineExtraction } from './store.js';

/** Who made a correction when --by is not given: the OS user. */
export function defaultUser(): string {
  try {
    return userInfo().username || process.env.USER || 'unknown';
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

export interface DocumentRef {
  id: number;
  file_name: string;
  sha256: string;
}

/** The one document named by an id, a sha256 (or its first 8+ characters), a file name or a path; a current version is preferred. */
export function resolveDocument(db: Database, ref: string): DocumentRef {
  let found = findDocuments(db, ref.trim());
  if (found.length > 1) {
    const current = found.filter((d) => (db.prepare('SELECT superseded_by IS NULL FROM documents WHERE id = ?').pluck().get(d.id) as number) === 1);
    if (current.length === 1) found = current;
  }
  if (found.length === 1) return found[0]!;
  if (!found.length) throw new CorrectionError(`no document matches "${ref}": give its sha256 (or its first 8 characters), its file name, its path or its id`);
  throw new CorrectionError(`"${ref}" matches ${found.length} documents; give one of their sha256:\n${found.map((d) => `  ${d.sha256}  ${d.file_name}`).join('\n')}`);
}

export interface CorrectionRequest {
  /** The document: sha256, file name, path or id. */
  document: string;
  input: CorrectionInput;
  by?: string;
  reason?: string | null;
  /** Where the request came from (a CSV line), named in its error. */
  line?: number;
}

export interface MadeCorrection {
  id: number;
  file: string;
  sha256: string;
  path: string;
  action: Correction['action'];
  old_value: unknown;
  new_value: unknown;
  by: string;
  reason: string | null;
}

const show = (v: unknown) => (v === null || v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v));

function insertMessage(db: Database, documentId: number, rule: string, path: string, actual: unknown, expected: unknown, by: string, reason: string | null, verb: string): void {
  db.prepare(
    `INSERT INTO messages (document_id, stage, rule, severity, reason, actual, expected) VALUES (?, 'review', ?, 'info', ?, ?, ?)`,
  ).run(documentId, rule, `${path}: ${verb} by ${by}${reason ? `: ${reason}` : ''}`, show(actual), JSON.stringify([show(expected)]));
}

interface DocState {
  doc: DocumentRef;
  machine: Extraction;
  /** The effective record before this call: the indices a request names refer to it. */
  before: Extraction['record'];
  active: Correction[];
}

function stateOf(db: Database, states: Map<number, DocState>, doc: DocumentRef): DocState {
  let s = states.get(doc.id);
  if (s) return s;
  const machine = machineExtraction(db, doc.id);
  if (!machine) throw new CorrectionError(`${doc.file_name} has no extracted record to correct (it failed or was never extracted)`);
  const active = listCorrections(db, doc.sha256, { active: true });
  s = { doc, machine, before: applyCorrections(machine, active).extraction.record, active };
  states.set(doc.id, s);
  return s;
}

/**
 * Makes corrections, all or nothing, in one transaction. Indices in paths (`units[2]`) refer to
 * each document's record as it was before this call (as `review` showed it), so a removal does not
 * shift the rows after it. Throws CorrectionError (naming the line when the request has one).
 */
export function makeCorrections(db: Database, requests: CorrectionRequest[], defaults: { by?: string; reason?: string | null } = {}): MadeCorrection[] {
  const made: MadeCorrection[] = [];
  const states = new Map<number, DocState>();
  const insert = db.prepare(
    `INSERT INTO corrections (sha256, path, action, target, old_value, new_value, by, at, reason, carried_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  db.transaction(() => {
    for (const request of requests) {
      try {
        const s = stateOf(db, states, resolveDocument(db, request.document));
        const by = request.by?.trim() || defaults.by?.trim() || defaultUser();
        const reason = request.reason?.trim() || defaults.reason?.trim() || null;
        const resolved = resolveCorrection(s.before, request.input);
        const at = new Date().toISOString();
        const trial: Correction = { id: Number.MAX_SAFE_INTEGER, sha256: s.doc.sha256, ...resolved, by, at, reason, carried_from: null, undone_at: null, undone_by: null };
        const result = applyCorrections(s.machine, [...s.active, trial]);
        const outcome = result.outcomes.get(trial.id);
        if (outcome === 'already') throw new CorrectionError(`${resolved.path}: ${show(resolved.new_value && typeof resolved.new_value === 'object' ? (resolved.new_value as { name?: string }).name : resolved.new_value)} is already in the record`);
        if (outcome === 'orphaned') throw new CorrectionError(`${request.input.action === 'confirm' ? 'document' : request.input.path}: the value was removed or changed by an earlier correction`);
        validateRecord(result.extraction.record);
        const id = Number(
          insert.run(s.doc.sha256, resolved.path, resolved.action, JSON.stringify(resolved.target), JSON.stringify(resolved.old_value ?? null), JSON.stringify(resolved.new_value ?? null), by, at, reason, null)
            .lastInsertRowid,
        );
        s.active.push({ ...trial, id });
        const verb = resolved.action === 'confirm' ? 'confirmed' : resolved.action === 'add' ? 'added' : resolved.action === 'remove' ? 'removed' : 'corrected';
        insertMessage(db, s.doc.id, 'correction', resolved.path, resolved.old_value, resolved.new_value, by, reason, `${verb} (#${id})`);
        made.push({ id, file: s.doc.file_name, sha256: s.doc.sha256, path: resolved.path, action: resolved.action, old_value: resolved.old_value, new_value: resolved.new_value, by, reason });
      } catch (error) {
        if (error instanceof CorrectionError && request.line !== undefined) throw new CorrectionError(`line ${request.line}: ${error.message}`);
        throw error;
      }
    }
    for (const s of states.values()) writeRecordTables(db, s.doc.id, s.machine);
  })();
  return made;
}

/** Takes a correction back: it is marked undone (kept, with who and when), and the record shows the machine's value again. */
export function undoCorrection(db: Database, id: number, options: { by?: string; reason?: string | null } = {}): Correction {
  const c = getCorrection(db, id);
  if (!c) throw new CorrectionError(`no correction #${id}: see beslutsarkiv review <document> for a document's corrections`);
  if (c.undone_at) throw new CorrectionError(`correction #${id} was already undone on ${c.undone_at} by ${c.undone_by}`);
  const by = options.by?.trim() || defaultUser();
  const at = new Date().toISOString();
  db.transaction(() => {
    db.prepare('UPDATE corrections SET undone_at = ?, undone_by = ? WHERE id = ?').run(at, by, id);
    const docs = db.prepare('SELECT id FROM documents WHERE sha256 = ?').pluck().all(c.sha256) as number[];
    for (const documentId of docs) {
      insertMessage(db, documentId, 'correction-undone', c.path, c.new_value, c.old_value, by, options.reason?.trim() || null, `correction #${id} undone`);
      const machine = machineExtraction(db, documentId);
      if (machine) writeRecordTables(db, documentId, machine);
    }
  })();
  return { ...c, undone_at: at, undone_by: by };
}

export interface CarriedOver {
  correction: Correction;
  /** The earlier version it was made on. */
  from: DocumentRef;
  /** Whether it would find its value in this version. */
  outcome: Outcome;
}

/**
 * Corrections of a changed file's earlier versions that this version has not taken over: offered
 * (`carried over?`), never applied until a person carries them over.
 */
export function carriedOverOffers(db: Database, doc: DocumentRef): CarriedOver[] {
  const earlier = db.prepare('SELECT id, file_name, sha256 FROM documents WHERE superseded_by = ? ORDER BY id').all(doc.id) as DocumentRef[];
  if (!earlier.length) return [];
  const taken = new Set(db.prepare('SELECT carried_from FROM corrections WHERE sha256 = ? AND carried_from IS NOT NULL').pluck().all(doc.sha256) as number[]);
  const machine = machineExtraction(db, doc.id);
  const active = listCorrections(db, doc.sha256, { active: true });
  const offers: CarriedOver[] = [];
  for (const from of earlier) {
    for (const c of listCorrections(db, from.sha256, { active: true })) {
      if (c.action === 'confirm' || taken.has(c.id)) continue;
      const outcome = machine ? (applyCorrections(machine, [...active, { ...c, id: Number.MAX_SAFE_INTEGER }]).outcomes.get(Number.MAX_SAFE_INTEGER) ?? 'orphaned') : 'orphaned';
      offers.push({ correction: c, from, outcome });
    }
  }
  return offers;
}

/** Carries over corrections of an earlier version (ids, or all offered) onto this changed file, as new corrections. */
export function carryOver(db: Database, ref: string, ids: number[] | 'all', options: { by?: string; reason?: string | null } = {}): MadeCorrection[] {
  const doc = resolveDocument(db, ref);
  const offers = carriedOverOffers(db, doc);
  const chosen = ids === 'all' ? offers : ids.map((id) => {
    const o = offers.find((x) => x.correction.id === id);
    if (!o) throw new CorrectionError(`correction #${id} is not offered for ${doc.file_name}: review ${doc.sha256.slice(0, 12)} lists what is (status "carried over?")`);
    return o;
  });
  const by = options.by?.trim() || defaultUser();
  const made: MadeCorrection[] = [];
  db.transaction(() => {
    const machine = machineExtraction(db, doc.id);
    if (!machine) throw new CorrectionError(`${doc.file_name} has no extracted record to correct (it failed or was never extracted)`);
    const active = listCorrections(db, doc.sha256, { active: true });
    for (const { correction: c, from } of chosen) {
      const at = new Date().toISOString();
      const reason = `carried over from #${c.id} on ${from.file_name} (${from.sha256.slice(0, 12)})${c.reason ? `: ${c.reason}` : ''}`;
      const trial = { ...c, id: Number.MAX_SAFE_INTEGER, sha256: doc.sha256, carried_from: c.id };
      const result = applyCorrections(machine, [...active, trial]);
      if (result.outcomes.get(trial.id) !== 'applied') throw new CorrectionError(`correction #${c.id} (${c.path}) matches nothing in the new version of ${doc.file_name}: correct it anew`);
      validateRecord(result.extraction.record);
      const id = Number(
        db
          .prepare(`INSERT INTO corrections (sha256, path, action, target, old_value, new_value, by, at, reason, carried_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
          .run(doc.sha256, c.path, c.action, JSON.stringify(c.target), JSON.stringify(c.old_value ?? null), JSON.stringify(c.new_value ?? null), by, at, reason, c.id).lastInsertRowid,
      );
      active.push({ ...trial, id });
      insertMessage(db, doc.id, 'correction', c.path, c.old_value, c.new_value, by, reason, `carried over (#${id})`);
      made.push({ id, file: doc.file_name, sha256: doc.sha256, path: c.path, action: c.action, old_value: c.old_value, new_value: c.new_value, by, reason });
    }
    writeRecordTables(db, doc.id, machine);
  })();
  return made;
}

/**
 * Runs `fn` on the database opened for writing, holding the writer lock (DatabaseLockedError, exit
 * 75, when another writer holds it), then rebuilds the report groups and summaries.
 */
export function withCorrectionLock<T>(dbPath: string, fn: (db: Database) => T): T {
  if (!existsSync(resolve(dbPath))) throw new CorrectionError(`no database at ${resolve(dbPath)}: run "beslutsarkiv ingest <paths>" first, or pass --db`);
  const lock = acquireWriterLock(dbPath);
  try {
    const db = openDatabase(dbPath);
    try {
      const result = fn(db);
      new Archive(db).refreshSummaries();
      return result;
    } finally {
      db.close();
    }
  } finally {
    lock.release();
  }
}
