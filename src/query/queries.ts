/**
 * The analysts' questions, as a library: participation over years, boards and classes; a unit's
 * history; likely renames; classes offered; deadlines; signatories; read-only SQL; full-text
 * search. Only current versions of award-participation documents count (a superseded version is
 * history, not a second participation). The SQL views in the database answer the same questions.
 */
import { createRequire } from 'node:module';
import type { Database } from 'better-sqlite3';
import { searchText } from '../store/read.js';
import { unitIdentityKey } from './unit-identity.js';

// natural by module path (its index loads database drivers and prints); this module exports the function itself.
const JaroWinklerDistance = createRequire(import.meta.url)('natural/lib/natural/distance/jaro-winkler_distance.js') as (
  a: string,
  b: string,
  options?: { ignoreCase?: boolean },
) => number;

export type Row = Record<string, string | number | null>;

export interface Filters {
  from?: number;
  to?: number;
  /** Board name; matched without regard to case. */
  board?: string;
}

/**
 * The board as stored, for a name typed in any case (SQLite's NOCASE folds ASCII only, not
 * Å/Ä/Ö). An unknown board stays as typed, and matches nothing.
 */
function resolveBoard(db: Database, board: string | undefined): string | undefined {
  if (!board) return board;
  const wanted = board.trim().toLocaleLowerCase('sv');
  const boards = db.prepare('SELECT DISTINCT board FROM extractions WHERE board IS NOT NULL').all() as Array<{ board: string }>;
  return boards.find((b) => b.board.toLocaleLowerCase('sv') === wanted)?.board ?? board;
}

function where(f: Filters, alias = ''): { sql: string; args: Array<string | number> } {
  const a = alias ? `${alias}.` : '';
  const parts: string[] = [];
  const args: Array<string | number> = [];
  if (f.from !== undefined) {
    parts.push(`${a}year >= ?`);
    args.push(f.from);
  }
  if (f.to !== undefined) {
    parts.push(`${a}year <= ?`);
    args.push(f.to);
  }
  if (f.board) {
    parts.push(`${a}board = ?`);
    args.push(f.board);
  }
  return { sql: parts.map((p) => ` AND ${p}`).join(''), args };
}

export type ParticipationKey = 'year' | 'board' | 'class';

/**
 * Whether the summary tables match the detail tables (they are rebuilt at the end of each writer
 * run). Summaries are exact: each document has one year and one board, so counts add up over boards.
 */
export function summariesFresh(db: Database): boolean {
  const row = db.prepare('SELECT dirty FROM summary_state WHERE id = 1').get() as { dirty: number } | undefined;
  return row?.dirty === 0;
}

/** `{year, [board|class,] documents, units}`: distinct documents, and units counted once a document. */
export function participation(db: Database, by: ParticipationKey[] = ['year'], filters: Filters = {}): Row[] {
  filters = { ...filters, board: resolveBoard(db, filters.board) };
  const keys = by.length ? by : ['year'];
  const w = where(filters);
  if (summariesFresh(db)) {
    const table = keys.includes('class') ? 'summary_year_class' : 'summary_year_board';
    return db
      .prepare(`SELECT ${keys.join(', ')}, sum(documents) AS documents, sum(units) AS units FROM ${table} WHERE 1${w.sql} GROUP BY ${keys.join(', ')} ORDER BY ${keys.join(', ')}`)
      .all(...w.args) as Row[];
  }
  const cols = keys.map((k) => (k === 'class' ? `coalesce(class, 'unknown') AS class` : k)).join(', ');
  return db
    .prepare(
      `SELECT ${cols}, count(DISTINCT document_id) AS documents, count(*) AS units
       FROM participations WHERE current${w.sql} GROUP BY ${keys.join(', ')} ORDER BY ${keys.join(', ')}`,
    )
    .all(...w.args) as Row[];
}

/**
 * Identities matching a name forgivingly: case, diacritics, punctuation, a leading type word
 * ("stödboendet Lönnen" / "Lönnen"), an abbreviation in brackets.
 */
export function findUnitIdentities(db: Database, name: string): Array<{ id: number; name: string }> {
  // Typed input may write the type word in lower case ("stödboendet lönnen"): try without it too.
  const keys = [...new Set([unitIdentityKey(name), unitIdentityKey(name.replace(/^\p{L}+(?:et|en|an)\s+(?=\S)/u, ''))])];
  for (const key of keys) {
    const exact = db.prepare('SELECT id, name FROM unit_identities WHERE key = ?').all(key) as Array<{ id: number; name: string }>;
    if (exact.length) return exact;
  }
  const key = keys[0]!;
  if (key.length < 4) return [];
  return db.prepare(`SELECT id, name FROM unit_identities WHERE key LIKE ? ESCAPE '\\' ORDER BY length(key) LIMIT 20`).all(`%${key.replace(/[%_\\]/g, '\\$&')}%`) as Array<{ id: number; name: string }>;
}

/** Every participation of a unit: `{year, name, board, department, class, operator, document}`. */
export function unitHistory(db: Database, name: string, filters: Filters = {}): Row[] {
  filters = { ...filters, board: resolveBoard(db, filters.board) };
  const ids = findUnitIdentities(db, name).map((i) => i.id);
  if (!ids.length) return [];
  const w = where(filters, 'p');
  return db
    .prepare(
      `SELECT p.year, p.name, p.board, p.department, p.class, p.operator, d.file_name AS document
       FROM participations p JOIN documents d ON d.id = p.document_id
       WHERE p.current AND p.identity_id IN (${ids.map(() => '?').join(',')})${w.sql}
       ORDER BY p.year, p.board, p.name`,
    )
    .all(...ids, ...w.args) as Row[];
}

/**
 * Likely renames, offered, never merged: two identities of the same board whose years do not
 * overlap, the later starting within two years of the earlier's last, with similar names
 * (Jaro–Winkler, or one name's words contained in the other's: LSS-hälsan → LSS/SoL-hälsan).
 */
export function unitAliases(db: Database, filters: Filters = {}, minSimilarity = 0.85): Row[] {
  filters = { ...filters, board: resolveBoard(db, filters.board) };
  const w = where(filters, 'p');
  const useSummary = filters.from === undefined && filters.to === undefined && summariesFresh(db);
  const spans = (
    useSummary
      ? db
          .prepare(
            `SELECT i.id, i.name, i.key, s.board, s.first, s.last FROM summary_unit_spans s JOIN unit_identities i ON i.id = s.identity_id
             WHERE 1${where({ board: filters.board }, 's').sql}`,
          )
          .all(...where({ board: filters.board }).args)
      : db
          .prepare(
            `SELECT i.id, i.name, i.key, p.board, min(p.year) AS first, max(p.year) AS last
             FROM participations p JOIN unit_identities i ON i.id = p.identity_id
             WHERE p.current AND p.year IS NOT NULL${w.sql} GROUP BY i.id, p.board`,
          )
          .all(...w.args)
  ) as Array<{ id: number; name: string; key: string; board: string; first: number; last: number }>;
  const byBoard = new Map<string, typeof spans>();
  for (const s of spans) byBoard.set(s.board, [...(byBoard.get(s.board) ?? []), s]);
  const out: Row[] = [];
  const words = (s: string) => new Set(s.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((x) => x.length > 1));
  for (const [board, list] of byBoard) {
    list.sort((a, b) => a.first - b.first);
    for (let i = 0; i < list.length; i++) {
      for (let j = 0; j < list.length; j++) {
        const a = list[i]!;
        const b = list[j]!;
        if (a.id === b.id || a.last >= b.first || b.first - a.last > 2) continue;
        const similarity = JaroWinklerDistance(a.key, b.key);
        const wa = words(a.name);
        const wb = words(b.name);
        const contained = [...wa].every((x) => wb.has(x)) || [...wb].every((x) => wa.has(x));
        if (similarity < minSimilarity && !contained) continue;
        out.push({ board, name: a.name, years: `${a.first}–${a.last}`, possibly_renamed_to: b.name, from: b.first, similarity: Math.round(similarity * 100) / 100 });
      }
    }
  }
  return out.sort((x, y) => String(x.board).localeCompare(String(y.board)) || Number(x.from) - Number(y.from));
}

/** Classes offered per year (the 2017 change shows as annan_vard_omsorg giving way). */
export function classesOffered(db: Database, filters: Filters = {}): Row[] {
  filters = { ...filters, board: resolveBoard(db, filters.board) };
  if (summariesFresh(db)) {
    const f = where(filters);
    return db.prepare(`SELECT year, class, sum(documents) AS documents FROM summary_classes WHERE 1${f.sql} GROUP BY year, class ORDER BY year, class`).all(...f.args) as Row[];
  }
  const w = where(filters, 'e');
  return db
    .prepare(
      `SELECT e.year, c.class, count(DISTINCT c.document_id) AS documents
       FROM classes_offered c JOIN extractions e ON e.document_id = c.document_id
       WHERE e.current${w.sql} GROUP BY e.year, c.class ORDER BY e.year, c.class`,
    )
    .all(...w.args) as Row[];
}

/** Registration, submission and minutes deadlines (and the award day) per year. */
export function deadlines(db: Database, filters: Filters = {}): Row[] {
  filters = { ...filters, board: resolveBoard(db, filters.board) };
  if (summariesFresh(db)) {
    const f = where(filters);
    return db
      .prepare(
        `SELECT year, kind, min(earliest) AS earliest, max(latest) AS latest, sum(documents) AS documents
         FROM summary_deadlines WHERE 1${f.sql} GROUP BY year, kind ORDER BY year, kind`,
      )
      .all(...f.args) as Row[];
  }
  const w = where(filters, 'e');
  return db
    .prepare(
      `SELECT e.year, t.kind, min(t.date) AS earliest, max(t.date) AS latest, count(DISTINCT t.document_id) AS documents
       FROM extractions e JOIN event_dates t ON t.document_id = e.document_id
       WHERE e.current AND t.kind IN ('award', 'registration_deadline', 'submission_deadline', 'minutes_deadline')${w.sql}
       GROUP BY e.year, t.kind ORDER BY e.year, t.kind`,
    )
    .all(...w.args) as Row[];
}

/** Participation per board over the years: `{board, years, first, last, documents, units}`. */
export function boards(db: Database, filters: Filters = {}): Row[] {
  filters = { ...filters, board: resolveBoard(db, filters.board) };
  const w = where(filters);
  if (summariesFresh(db)) {
    return db
      .prepare(
        `SELECT board, count(DISTINCT year) AS years, min(year) AS first, max(year) AS last, sum(documents) AS documents, sum(units) AS units
         FROM summary_year_board WHERE 1${w.sql} GROUP BY board ORDER BY units DESC, board`,
      )
      .all(...w.args) as Row[];
  }
  return db
    .prepare(
      `SELECT board, count(DISTINCT year) AS years, min(year) AS first, max(year) AS last,
              count(DISTINCT document_id) AS documents, count(*) AS units
       FROM participations WHERE current${w.sql} GROUP BY board ORDER BY units DESC, board`,
    )
    .all(...w.args) as Row[];
}

export function signatories(db: Database, filters: Filters = {}): Row[] {
  filters = { ...filters, board: resolveBoard(db, filters.board) };
  const w = where(filters, 'e');
  return db
    .prepare(
      `SELECT e.year, e.board, s.name, s.title, d.file_name AS document
       FROM extractions e JOIN signatories s ON s.document_id = e.document_id JOIN documents d ON d.id = e.document_id
       WHERE e.current${w.sql} ORDER BY e.year, e.board, s.position`,
    )
    .all(...w.args) as Row[];
}

export class ReadOnlyQueryError extends Error {
  override name = 'ReadOnlyQueryError';
}

/** Any SELECT; statements that would write are refused (and the database is opened read-only anyway). */
export function sql(db: Database, statement: string, params: unknown[] = []): Row[] {
  let stmt;
  try {
    stmt = db.prepare(statement);
  } catch (error) {
    throw new ReadOnlyQueryError(`SQL error: ${(error as Error).message}`);
  }
  if (!stmt.readonly || !stmt.reader) {
    throw new ReadOnlyQueryError('only statements that read are allowed (SELECT, WITH … SELECT, read-only PRAGMAs); this one would change the archive');
  }
  return stmt.all(...params) as Row[];
}

export function search(db: Database, words: string, limit = 50): Row[] {
  return searchText(db, words, limit) as unknown as Row[];
}
