/**
 * Distinct units. A unit's identity is its name, type word included, across spellings (src/query/unit-identity.ts)
 * within its board's lineage: the board and the boards it was renamed or merged into
 * (`board_successions`, declared with `beslutsarkiv lineage add`). The same name under two
 * unrelated boards is two units; a unit is one across boards only through a confirmed alias
 * (`unit_aliases`, `beslutsarkiv alias add`). A report without a board scopes its units to the
 * lineage of unknown boards.
 */
import type { Database } from 'better-sqlite3';
import { fold } from '../repair/fold.js';
import { unitIdentityKey } from '../query/unit-identity.js';
import { prepared } from './statements.js';

/** The lineage of reports that name no board. */
export const UNKNOWN_LINEAGE = '?';

/** A board's name folded (case, å/ä/ö, punctuation, spaces): `Södermalms stadsdelsnämnd` → `sodermalmsstadsdelsnamnd`. */
export function boardKey(board: string): string {
  return fold(board).replace(/[^\p{L}\p{N}]/gu, '');
}

/** A unit name's key, as stored in unit_identities. */
export function unitKey(name: string): string {
  return unitIdentityKey(name) || name.toLowerCase();
}

class UnionFind<K> {
  private parent = new Map<K, K>();
  find(x: K): K {
    let p = this.parent.get(x) ?? x;
    if (p === x) return x;
    p = this.find(p);
    this.parent.set(x, p);
    return p;
  }
  union(a: K, b: K, prefer: (x: K, y: K) => K): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return;
    const root = prefer(ra, rb);
    this.parent.set(ra === root ? rb : ra, root);
  }
}

/** Rebuilds `board_lineages` (board key → lineage key) from the declared successions. */
export function rebuildLineages(db: Database): void {
  const rows = db.prepare('SELECT board, successor FROM board_successions').all() as Array<{ board: string; successor: string }>;
  const uf = new UnionFind<string>();
  const keys = new Set<string>();
  const smaller = (x: string, y: string) => (x < y ? x : y);
  for (const r of rows) {
    const a = boardKey(r.board);
    const b = boardKey(r.successor);
    keys.add(a).add(b);
    uf.union(a, b, smaller);
  }
  db.prepare('DELETE FROM board_lineages').run();
  const insert = db.prepare('INSERT INTO board_lineages (board_key, lineage) VALUES (?, ?)');
  for (const k of keys) insert.run(k, uf.find(k));
}

/** The lineage key of a board (its own key when it was never renamed or merged). */
export function lineageOf(db: Database, board: string | null): string {
  if (!board) return UNKNOWN_LINEAGE;
  const key = boardKey(board);
  const row = prepared(db, 'SELECT lineage FROM board_lineages WHERE board_key = ?').get(key) as { lineage: string } | undefined;
  return row?.lineage ?? key;
}

/** The distinct unit (after confirmed aliases) of a name under a board, created when new. */
export function unitIdFor(db: Database, board: string | null, name: string): number {
  const lineage = lineageOf(db, board);
  const key = unitKey(name);
  prepared(db, 'INSERT OR IGNORE INTO distinct_units (lineage, key, name) VALUES (?, ?, ?)').run(lineage, key, name);
  const row = prepared(db, 'SELECT id, canonical_id FROM distinct_units WHERE lineage = ? AND key = ?').get(lineage, key) as { id: number; canonical_id: number | null };
  return row.canonical_id ?? row.id;
}

/**
 * Recomputes every participation's distinct unit from the lineages and confirmed aliases
 * (after `lineage` or `alias` changes them, and in the migration that introduced them).
 */
export function rescopeUnits(db: Database): void {
  db.transaction(() => {
    rebuildLineages(db);
    const lineages = new Map((db.prepare('SELECT board_key, lineage FROM board_lineages').all() as Array<{ board_key: string; lineage: string }>).map((r) => [r.board_key, r.lineage]));
    const lineage = (board: string | null) => (board ? (lineages.get(boardKey(board)) ?? boardKey(board)) : UNKNOWN_LINEAGE);
    db.prepare('DELETE FROM distinct_units').run();
    const insert = db.prepare('INSERT OR IGNORE INTO distinct_units (lineage, key, name) VALUES (?, ?, ?)');
    const idOf = db.prepare('SELECT id FROM distinct_units WHERE lineage = ? AND key = ?').pluck();
    // Confirmed aliases: one unit across their names and boards (the oldest id stands for it).
    const uf = new UnionFind<number>();
    const ensure = (board: string | null, name: string) => {
      const l = lineage(board);
      const k = unitKey(name);
      insert.run(l, k, name);
      return idOf.get(l, k) as number;
    };
    const pairs = db.prepare('SELECT DISTINCT p.board, p.identity_id, i.key, i.name FROM participations p JOIN unit_identities i ON i.id = p.identity_id').all() as Array<{
      board: string | null;
      identity_id: number;
      key: string;
      name: string;
    }>;
    db.exec('CREATE TEMP TABLE IF NOT EXISTS unit_scope (board TEXT, identity_id INTEGER, unit_id INTEGER); DELETE FROM temp.unit_scope;');
    const scope = db.prepare('INSERT INTO temp.unit_scope (board, identity_id, unit_id) VALUES (?, ?, ?)');
    const raw = pairs.map((p) => {
      const l = lineage(p.board);
      insert.run(l, p.key, p.name);
      return { ...p, id: idOf.get(l, p.key) as number };
    });
    for (const a of db.prepare('SELECT board_a, name_a, board_b, name_b FROM unit_aliases').all() as Array<{ board_a: string | null; name_a: string; board_b: string | null; name_b: string }>) {
      uf.union(ensure(a.board_a, a.name_a), ensure(a.board_b, a.name_b), (x, y) => Math.min(x, y));
    }
    const setCanonical = db.prepare('UPDATE distinct_units SET canonical_id = ? WHERE id = ?');
    for (const { id } of db.prepare('SELECT id FROM distinct_units').all() as Array<{ id: number }>) {
      const root = uf.find(id);
      if (root !== id) setCanonical.run(root, id);
    }
    for (const p of raw) scope.run(p.board, p.identity_id, uf.find(p.id));
    db.exec(`
      CREATE INDEX IF NOT EXISTS temp.unit_scope_key ON unit_scope (identity_id, board);
      UPDATE participations SET unit_id = (
        SELECT s.unit_id FROM temp.unit_scope s WHERE s.identity_id = participations.identity_id AND s.board IS participations.board);
      DROP TABLE temp.unit_scope;
    `);
  })();
}

export interface Succession {
  board: string;
  successor: string;
  year: number | null;
  kind: 'renamed' | 'merged';
}

/** Declares that `board` was renamed or merged into `successor` (from `year`); recomputes distinct units. */
export function addSuccession(db: Database, s: Succession): void {
  addSuccessions(db, [s]);
}

/**
 * Declares several successions in one transaction and recomputes distinct units once, after the
 * last (a list of successions costs one recompute, not one each). A board succeeding itself throws
 * before anything is written.
 */
export function addSuccessions(db: Database, list: readonly Succession[]): void {
  for (const s of list) if (boardKey(s.board) === boardKey(s.successor)) throw new Error(`a board cannot succeed itself (${s.board})`);
  if (!list.length) return;
  const insert = db.prepare('INSERT OR REPLACE INTO board_successions (board, successor, year, kind, decided_at) VALUES (?, ?, ?, ?, ?)');
  db.transaction(() => {
    const at = new Date().toISOString();
    for (const s of list) insert.run(s.board, s.successor, s.year, s.kind, at);
    rescopeUnits(db);
  })();
}

/** Takes a declared succession back; returns whether there was one. */
export function removeSuccession(db: Database, board: string, successor: string): boolean {
  const n = db.prepare('DELETE FROM board_successions WHERE board = ? AND successor = ?').run(board, successor).changes;
  if (n) rescopeUnits(db);
  return n > 0;
}

export function listSuccessions(db: Database): Array<Succession & { lineage: string }> {
  const rows = db.prepare('SELECT board, successor, year, kind FROM board_successions ORDER BY year, board').all() as Succession[];
  return rows.map((r) => ({ ...r, lineage: lineageOf(db, r.successor) }));
}

export interface UnitAlias {
  board_a: string | null;
  name_a: string;
  board_b: string | null;
  name_b: string;
}

/** Confirms that two names (under their boards) are one unit; recomputes distinct units. */
export function addAlias(db: Database, a: UnitAlias): void {
  db.prepare('INSERT OR REPLACE INTO unit_aliases (board_a, name_a, board_b, name_b, decided_at) VALUES (?, ?, ?, ?, ?)').run(a.board_a, a.name_a, a.board_b, a.name_b, new Date().toISOString());
  rescopeUnits(db);
}

export function removeAlias(db: Database, a: UnitAlias): boolean {
  const n = db
    .prepare('DELETE FROM unit_aliases WHERE (board_a IS ? AND name_a = ? AND board_b IS ? AND name_b = ?) OR (board_a IS ? AND name_a = ? AND board_b IS ? AND name_b = ?)')
    .run(a.board_a, a.name_a, a.board_b, a.name_b, a.board_b, a.name_b, a.board_a, a.name_a).changes;
  if (n) rescopeUnits(db);
  return n > 0;
}

export function listAliases(db: Database): UnitAlias[] {
  return db.prepare('SELECT board_a, name_a, board_b, name_b FROM unit_aliases ORDER BY board_a, name_a').all() as UnitAlias[];
}
