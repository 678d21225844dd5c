/**
 * Merging shard databases (`beslutsarkiv merge part-*.sqlite --db archive.sqlite`): the parts of a
 * sharded ingest (`ingest --shard K/N`), each an archive of its own, made into one.
 *
 * Documents are matched by content (sha256): the same bytes found by two shards become one
 * document with both paths. A document new to the target is copied with everything the stages
 * made of it (pages and their full-text index, messages, the machine's extraction and the record
 * tables); one the target has already gets only what it lacks (paths, review messages). The OCR
 * cache, runs, failures, files in flight, corrections and an archivist's decisions (report groups
 * split or joined, board lineages, unit aliases) are copied once. Derived tables (report groups,
 * distinct units, summaries) are rebuilt at the end with the functions every writer run uses.
 *
 * Every part is checked before anything is written: its schema version and the stage versions its
 * documents were made with must be this beslutsarkiv's; a part that differs is refused by name.
 * One transaction per part, under the target's writer lock. Merging a part again changes nothing.
 * Every table of the schema is named in MERGE_TABLES: a table added by a later migration and not
 * handled here makes merge refuse to run (and test/shard.test.ts fail), so none is dropped silently.
 */
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { STAGE_VERSIONS } from '../pipeline.js';
import { REPAIR_VERSION } from '../repair/normalize.js';
import { EXTRACT_VERSION } from '../extract/extract.js';
import { machineExtraction } from '../review/store.js';
import { writeRecordTables } from './archive.js';
import { checkDatabasePath, openDatabase } from './database.js';
import { acquireWriterLock, liveWriter } from './lock.js';
import { refreshSummaries, SCHEMA_VERSION } from './migrations.js';
import { rebuildReportGroups } from './reports.js';
import { rescopeUnits, unitIdFor } from './units.js';
import { emptyCounts } from './run-counts.js';
import { prepared } from './statements.js';

/**
 * How merge treats each table of the schema: `merged` (rows copied from the parts), `derived`
 * (rebuilt from the merged tables), `static` (the same rows in every database of this schema),
 * `checked` (compared, never copied).
 */
export const MERGE_TABLES: Record<string, 'merged' | 'derived' | 'static' | 'checked'> = {
  runs: 'merged',
  documents: 'merged',
  files: 'merged',
  pages: 'merged',
  messages: 'merged',
  failures: 'merged',
  ocr_cache: 'merged',
  extractions: 'merged',
  units: 'merged',
  classes_offered: 'merged',
  event_dates: 'merged',
  signatories: 'merged',
  evidence: 'merged',
  participations: 'merged',
  machine_extractions: 'merged',
  corrections: 'merged',
  report_fingerprints: 'merged',
  report_decisions: 'merged',
  board_successions: 'merged',
  unit_aliases: 'merged',
  in_flight: 'merged',
  // Written with the participations that name them.
  unit_identities: 'derived',
  distinct_units: 'derived',
  board_lineages: 'derived',
  reports: 'derived',
  report_documents: 'derived',
  pages_fts: 'derived',
  pages_fts_config: 'derived',
  pages_fts_data: 'derived',
  pages_fts_docsize: 'derived',
  pages_fts_idx: 'derived',
  summary_state: 'derived',
  summary_participation: 'derived',
  summary_boards: 'derived',
  summary_classes: 'derived',
  summary_deadlines: 'derived',
  summary_unit_aliases: 'derived',
  summary_board_names: 'derived',
  summary_pages: 'derived',
  labels: 'static',
  schema_migrations: 'checked',
};

/** The tables of a database's schema (not SQLite's own). */
export function schemaTables(db: Database): string[] {
  return db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).pluck().all() as string[];
}

/** Tables of a database that merge does not know how to treat. */
export function unhandledTables(db: Database): string[] {
  return schemaTables(db).filter((t) => !(t in MERGE_TABLES));
}

/** Parts refused before anything was written: each line names the part and what differs. */
export class MergeRefusedError extends Error {
  override name = 'MergeRefusedError';
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0]! : `parts that cannot be merged:\n  ${problems.join('\n  ')}`);
  }
}

export interface MergeOptions {
  /** The target database; created when missing. */
  db: string;
  onEvent?: (event: MergeEvent) => void;
}

/** What one part added to the target (all zero when it was merged before). */
export interface PartCounts {
  runs: number;
  documents: number;
  /** Documents of the part the target had already (by sha256). */
  known_documents: number;
  files: number;
  pages: number;
  messages: number;
  ocr_cache: number;
  corrections: number;
  failures: number;
  decisions: number;
}

export type MergeEvent =
  | { event: 'part'; part: string; changed: boolean; counts: PartCounts; ms: number }
  | { event: 'merge-end'; db: string; run: number | null; parts: number; documents: number; ms: number };

export interface MergeSummary {
  /** The merge's run in the target, or null when nothing changed (every part merged before). */
  run: number | null;
  parts: Array<{ part: string; changed: boolean; counts: PartCounts }>;
  /** Documents in the target after the merge. */
  documents: number;
  ms: number;
}

const now = () => new Date().toISOString();
const columnsOf = (db: Database, table: string) => db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[];

/** Opens a part read-only and says what keeps it from being merged (nothing: an empty list). */
function checkPart(path: string, target: string): { db?: Database; problems: string[] } {
  const name = path;
  if (resolve(path) === target) return { problems: [`${name} is the target database itself (--db): give the parts and a different --db`] };
  if (!existsSync(path)) return { problems: [`${name}: no such file (a part is the --db of an "ingest --shard K/N" run)`] };
  try {
    checkDatabasePath(path, { mustExist: true });
  } catch (error) {
    return { problems: [`${name}: ${(error as Error).message}`] };
  }
  const writer = liveWriter(path);
  if (writer) return { problems: [`${name} is being written by pid ${writer.pid} on ${writer.host} (since ${writer.startedAt}): merge it once that ingest has finished`] };
  let db: Database;
  try {
    db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (error) {
    return { problems: [`${name} cannot be opened as an SQLite database (${(error as { code?: string }).code ?? 'error'})`] };
  }
  const problems: string[] = [];
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version !== SCHEMA_VERSION) {
    problems.push(
      `${name} has schema version ${version}; this beslutsarkiv (and the target) has schema version ${SCHEMA_VERSION}: ` +
        (version < SCHEMA_VERSION ? 'ingest that shard again with this beslutsarkiv' : 'merge with the beslutsarkiv that made it, or upgrade this one'),
    );
    db.close();
    return { problems };
  }
  const unknown = unhandledTables(db);
  if (unknown.length) problems.push(`${name} has tables this beslutsarkiv's merge does not know: ${unknown.join(', ')}`);
  // The stage versions its runs recorded and its documents were extracted with.
  const differs: string[] = [];
  for (const json of db.prepare(`SELECT DISTINCT versions FROM runs WHERE command = 'ingest'`).pluck().all() as string[]) {
    let versions: Record<string, string>;
    try {
      versions = JSON.parse(json) as Record<string, string>;
    } catch {
      versions = {};
    }
    for (const [stage, v] of Object.entries(STAGE_VERSIONS)) {
      if (versions[stage] !== v) differs.push(`${stage} ${versions[stage] ?? 'none'} (this beslutsarkiv: ${v})`);
    }
  }
  for (const r of db.prepare('SELECT DISTINCT repair_version AS repair, extract_version AS extract FROM extractions').all() as Array<{ repair: string; extract: string }>) {
    if (r.repair !== REPAIR_VERSION) differs.push(`repair ${r.repair} (this beslutsarkiv: ${REPAIR_VERSION})`);
    if (r.extract !== EXTRACT_VERSION) differs.push(`extract ${r.extract} (this beslutsarkiv: ${EXTRACT_VERSION})`);
  }
  if (differs.length) {
    problems.push(`${name} was made with other stage versions: ${[...new Set(differs)].join(', ')}: ingest that shard again with this beslutsarkiv`);
  }
  if (problems.length) {
    db.close();
    return { problems };
  }
  return { db, problems };
}

/**
 * Merges shard databases into the target (`beslutsarkiv merge`). Refuses, writing nothing, when a
 * part cannot be merged (MergeRefusedError, every reason named); otherwise one transaction per part,
 * then report groups, distinct units and summaries are rebuilt.
 */
export function mergeArchives(parts: string[], options: MergeOptions): MergeSummary {
  const started = performance.now();
  const target = resolve(options.db);
  checkDatabasePath(target, { createFolder: false });
  const opened: Array<{ path: string; db: Database }> = [];
  const problems: string[] = [];
  try {
    for (const path of parts) {
      const checked = checkPart(path, target);
      problems.push(...checked.problems);
      if (checked.db) opened.push({ path, db: checked.db });
    }
    if (problems.length) throw new MergeRefusedError(problems);
    const lock = acquireWriterLock(target);
    try {
      const db = openDatabase(target);
      try {
        const unknown = unhandledTables(db);
        if (unknown.length) throw new Error(`merge does not know how to treat the tables ${unknown.join(', ')} (add them to MERGE_TABLES in src/store/merge.ts)`);
        const results: MergeSummary['parts'] = [];
        for (const part of opened) {
          const t0 = performance.now();
          const counts = db.transaction(() => mergePart(db, part.db)).immediate();
          const changed = Object.entries(counts).some(([k, v]) => k !== 'known_documents' && v > 0);
          results.push({ part: part.path, changed, counts });
          options.onEvent?.({ event: 'part', part: part.path, changed, counts, ms: Math.round(performance.now() - t0) });
        }
        let run: number | null = null;
        if (results.some((r) => r.changed)) {
          db.transaction(() => {
            rescopeUnits(db);
            rebuildReportGroups(db);
            refreshSummaries(db);
            const sum = (k: keyof PartCounts) => results.reduce((n, r) => n + r.counts[k], 0);
            const counts = { ...emptyCounts(), seen: sum('documents') + sum('known_documents'), ingested: sum('documents'), duplicate: sum('known_documents') };
            const info = db
              .prepare(
                `INSERT INTO runs (command, started_at, finished_at, status, args, versions, seen, ingested, duplicate) VALUES ('merge', ?, ?, 'completed', ?, ?, ?, ?, ?)`,
              )
              .run(new Date(Date.now() - (performance.now() - started)).toISOString(), now(), JSON.stringify(parts.map((p) => resolve(p))), JSON.stringify(STAGE_VERSIONS), counts.seen, counts.ingested, counts.duplicate);
            run = Number(info.lastInsertRowid);
          })();
        }
        const documents = db.prepare('SELECT count(*) FROM documents').pluck().get() as number;
        const ms = Math.round(performance.now() - started);
        options.onEvent?.({ event: 'merge-end', db: target, run, parts: parts.length, documents, ms });
        return { run, parts: results, documents, ms };
      } finally {
        db.close();
      }
    } finally {
      lock.release();
    }
  } finally {
    for (const p of opened) p.db.close();
  }
}

/** Copies one part into the target (inside the caller's transaction); returns what was added. */
function mergePart(db: Database, part: Database): PartCounts {
  const counts: PartCounts = { runs: 0, documents: 0, known_documents: 0, files: 0, pages: 0, messages: 0, ocr_cache: 0, corrections: 0, failures: 0, decisions: 0 };
  const cols = new Map<string, string[]>();
  const columns = (table: string) => cols.get(table) ?? cols.set(table, columnsOf(db, table)).get(table)!;
  const statements = new Map<string, BetterSqlite3.Statement>();
  /** INSERT of a row of `table`, its columns as the part has them except `omit`, with `set` in place. */
  const insert = (table: string, row: Record<string, unknown>, set: Record<string, unknown> = {}, omit: string[] = [], verb = 'INSERT'): BetterSqlite3.RunResult => {
    const names = columns(table).filter((c) => !omit.includes(c));
    const key = `${verb} ${table} ${names.join(',')}`;
    let stmt = statements.get(key);
    if (!stmt) {
      stmt = db.prepare(`${verb} INTO ${table} (${names.map((n) => `"${n}"`).join(', ')}) VALUES (${names.map(() => '?').join(', ')})`);
      statements.set(key, stmt);
    }
    return stmt.run(...names.map((n) => (n in set ? set[n] : row[n]) as never));
  };
  const rows = (sql: string, ...args: unknown[]) => prepared(part, sql).all(...args) as Array<Record<string, unknown>>;

  // Runs: one by command, start time and arguments.
  const runMap = new Map<number, number>();
  const findRun = db.prepare('SELECT id FROM runs WHERE command = ? AND started_at = ? AND args = ? AND versions = ?').pluck();
  for (const r of rows('SELECT * FROM runs ORDER BY id')) {
    const existing = findRun.get(r.command, r.started_at, r.args, r.versions) as number | undefined;
    if (existing !== undefined) runMap.set(r.id as number, existing);
    else {
      runMap.set(r.id as number, Number(insert('runs', r, {}, ['id']).lastInsertRowid));
      counts.runs++;
    }
  }
  const run = (id: unknown) => (id === null || id === undefined ? null : (runMap.get(id as number) ?? null));

  // Documents, by content.
  const docMap = new Map<number, number>();
  const added = new Set<number>();
  const bySha = db.prepare('SELECT id, file_name FROM documents WHERE sha256 = ?');
  const firstPath = (d: Database, id: number) => prepared(d, 'SELECT min(path) FROM files WHERE document_id = ?').pluck().get(id) as string | null;
  for (const d of rows('SELECT * FROM documents ORDER BY id')) {
    const existing = bySha.get(d.sha256) as { id: number; file_name: string } | undefined;
    if (!existing) {
      const id = Number(insert('documents', d, { run_id: run(d.run_id), superseded_by: null, superseded_at: null }, ['id']).lastInsertRowid);
      docMap.set(d.id as number, id);
      added.add(id);
      counts.documents++;
      continue;
    }
    docMap.set(d.id as number, existing.id);
    counts.known_documents++;
    prepared(db, 'UPDATE documents SET first_seen = min(first_seen, ?), last_seen = max(last_seen, ?) WHERE id = ? AND (first_seen > ? OR last_seen < ?)').run(
      d.first_seen, d.last_seen, existing.id, d.first_seen, d.last_seen,
    );
    // Found by several shards: named after its first path in sorted order, as one ingest over all of them
    // (which starts files in sorted order) names it, whatever order the parts are merged in.
    const theirs = firstPath(part, d.id as number);
    const ours = firstPath(db, existing.id);
    if (theirs !== null && (ours === null || theirs < ours) && d.file_name !== existing.file_name) {
      prepared(db, 'UPDATE documents SET file_name = ? WHERE id = ?').run(d.file_name, existing.id);
    }
  }
  const doc = (id: unknown) => docMap.get(id as number)!;

  // Paths: a path the target has already takes the part's state when the part saw it as recently or
  // later (a shard run again marks its gone files missing without seeing them).
  const fileAt = db.prepare('SELECT * FROM files WHERE path = ?');
  for (const f of rows('SELECT * FROM files ORDER BY path')) {
    const mine = fileAt.get(f.path) as Record<string, unknown> | undefined;
    const row: Record<string, unknown> = { ...f, document_id: doc(f.document_id) };
    if (!mine) {
      insert('files', row);
      counts.files++;
    } else if (String(row.last_seen) >= String(mine.last_seen) && columns('files').some((c) => row[c] !== mine[c])) {
      insert('files', row, {}, [], 'INSERT OR REPLACE');
      counts.files++;
    }
  }

  // What the stages made of a document new to the target.
  const fts = db.prepare('INSERT INTO pages_fts (rowid, repaired_text) VALUES (?, ?)');
  const perDocument = ['extractions', 'machine_extractions', 'units', 'classes_offered', 'event_dates', 'signatories', 'evidence', 'report_fingerprints'];
  const identity = db.prepare('INSERT OR IGNORE INTO unit_identities (key, name) VALUES (?, ?)');
  const identityId = db.prepare('SELECT id FROM unit_identities WHERE key = ?').pluck();
  for (const [from, to] of docMap) {
    if (!added.has(to)) continue;
    for (const p of rows('SELECT * FROM pages WHERE document_id = ? ORDER BY page', from)) {
      const info = insert('pages', { ...p, document_id: to });
      fts.run(info.lastInsertRowid, p.repaired_text);
      counts.pages++;
    }
    for (const m of rows('SELECT * FROM messages WHERE document_id = ? ORDER BY id', from)) {
      insert('messages', { ...m, document_id: to }, {}, ['id']);
      counts.messages++;
    }
    for (const table of perDocument) {
      for (const r of rows(`SELECT * FROM ${table} WHERE document_id = ? ORDER BY rowid`, from)) insert(table, { ...r, document_id: to });
    }
    // Participations under the target's unit identities and distinct units (rescoped at the end).
    for (const p of rows('SELECT p.*, i.key AS identity_key, i.name AS identity_name FROM participations p JOIN unit_identities i ON i.id = p.identity_id WHERE p.document_id = ?', from)) {
      identity.run(p.identity_key, p.identity_name);
      const { identity_key: key, identity_name: _name, ...row } = p;
      insert('participations', { ...row, document_id: to, identity_id: identityId.get(key), unit_id: unitIdFor(db, p.board as string | null, p.name as string) }, {}, [], 'INSERT OR IGNORE');
    }
  }
  // A document the target had already: the review trail of corrections made in the part.
  const sameMessage = db.prepare(`SELECT 1 FROM messages WHERE document_id = ? AND stage = 'review' AND rule = ? AND reason = ? AND actual IS ?`).pluck();
  for (const [from, to] of docMap) {
    if (added.has(to)) continue;
    for (const m of rows(`SELECT * FROM messages WHERE document_id = ? AND stage = 'review' ORDER BY id`, from)) {
      if (sameMessage.get(to, m.rule, m.reason, m.actual)) continue;
      insert('messages', { ...m, document_id: to }, {}, ['id']);
      counts.messages++;
    }
  }

  // Versions replaced by a changed file (within the part).
  for (const d of rows('SELECT id, superseded_by, superseded_at FROM documents WHERE superseded_by IS NOT NULL')) {
    const older = doc(d.id);
    const newer = doc(d.superseded_by);
    if (older === newer) continue;
    const n = prepared(db, 'UPDATE documents SET superseded_by = ?, superseded_at = ? WHERE id = ? AND superseded_by IS NULL').run(newer, d.superseded_at, older).changes;
    if (n) {
      prepared(db, 'UPDATE participations SET current = 0, counted = 0 WHERE document_id = ?').run(older);
      prepared(db, 'UPDATE extractions SET current = 0, counted = 0 WHERE document_id = ?').run(older);
    }
  }

  // Corrections, by content: an archivist's work, kept once; their record tables rewritten.
  const corrMap = new Map<number, number>();
  const touched = new Set<string>();
  const sameCorrection = db.prepare('SELECT id, undone_at FROM corrections WHERE sha256 = ? AND action = ? AND target = ? AND at = ? AND by = ? AND path = ?');
  for (const c of rows('SELECT * FROM corrections ORDER BY id')) {
    const mine = sameCorrection.get(c.sha256, c.action, c.target, c.at, c.by, c.path) as { id: number; undone_at: string | null } | undefined;
    if (mine) {
      corrMap.set(c.id as number, mine.id);
      if (c.undone_at !== null && mine.undone_at === null) {
        prepared(db, 'UPDATE corrections SET undone_at = ?, undone_by = ? WHERE id = ?').run(c.undone_at, c.undone_by, mine.id);
        touched.add(c.sha256 as string);
        counts.corrections++;
      }
      continue;
    }
    const carried = c.carried_from === null ? null : (corrMap.get(c.carried_from as number) ?? null);
    corrMap.set(c.id as number, Number(insert('corrections', c, { carried_from: carried }, ['id']).lastInsertRowid));
    touched.add(c.sha256 as string);
    counts.corrections++;
  }
  for (const sha of touched) {
    // (As Archive reads it: the statement is shared per connection, so not plucked here.)
    const id = (prepared(db, 'SELECT id FROM documents WHERE sha256 = ?').get(sha) as { id: number } | undefined)?.id;
    const machine = id === undefined ? undefined : machineExtraction(db, id);
    if (id !== undefined && machine) writeRecordTables(db, id, machine);
  }

  // The OCR cache: by key, first one kept.
  const cache = db.prepare('INSERT OR IGNORE INTO ocr_cache (key, engine, text, confidence, blocks, created_at) VALUES (?, ?, ?, ?, ?, ?)');
  for (const c of part.prepare('SELECT key, engine, text, confidence, blocks, created_at FROM ocr_cache').iterate() as IterableIterator<Record<string, unknown>>) {
    counts.ocr_cache += cache.run(c.key, c.engine, c.text, c.confidence, c.blocks, c.created_at).changes;
  }

  // Failures of the part's runs; files in flight when a part's run died (suspects in the target too).
  const sameFailure = db.prepare('SELECT 1 FROM failures WHERE run_id IS ? AND path = ? AND code = ? AND at = ?').pluck();
  for (const f of rows('SELECT * FROM failures ORDER BY id')) {
    if (sameFailure.get(run(f.run_id), f.path, f.code, f.at)) continue;
    insert('failures', f, { run_id: run(f.run_id) }, ['id']);
    counts.failures++;
  }
  for (const f of rows('SELECT * FROM in_flight')) insert('in_flight', f, { run_id: run(f.run_id) }, [], 'INSERT OR IGNORE');

  // An archivist's decisions.
  for (const r of rows('SELECT * FROM report_decisions')) {
    const [a, b] = [doc(r.document_a), doc(r.document_b)].sort((x, y) => x - y);
    if (a === b) continue;
    counts.decisions += insert('report_decisions', r, { document_a: a, document_b: b }, [], 'INSERT OR IGNORE').changes;
  }
  for (const table of ['board_successions', 'unit_aliases']) {
    for (const r of rows(`SELECT * FROM ${table}`)) counts.decisions += insert(table, r, {}, [], 'INSERT OR IGNORE').changes;
  }
  if (counts.documents || counts.files || counts.corrections || counts.decisions) {
    prepared(db, 'UPDATE summary_state SET dirty = 1 WHERE id = 1').run();
  }
  return counts;
}

