/**
 * The analysts' questions, as a library: participation over years, boards and classes; a unit's
 * history; likely renames; classes offered; deadlines; signatories; incomplete reports; read-only
 * SQL; full-text search. What counts is reports, not files: each report group once, with the
 * values of its best document (src/store/reports.ts), and only current versions. `units` are
 * distinct units (a name within its board's lineage, src/store/units.ts); `participations` are
 * (report, unit) pairs. The SQL views in the database answer the same questions.
 */
import { createRequire } from 'node:module';
import type { Database } from 'better-sqlite3';
import { fold } from '../repair/fold.js';
import { ftsQuery } from '../store/read.js';
import { boardKey } from '../store/units.js';
import { LABELS } from './labels.js';
import { unitIdentityKey, unitWordBase } from './unit-identity.js';

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
  /** A board: its name, or part of it, in any case, with or without å/ä/ö (see matchBoard). */
  board?: string;
  /** An award class: its key (`forskola`, `unknown`) or Swedish label (`Förskola`), or part of it. */
  class?: string;
}

/** A filter or argument that cannot be applied: the CLI exits with 2 and this reason. */
export class QueryUsageError extends Error {
  override name = 'QueryUsageError';
}

/**
 * Whether the summary tables match the detail tables (they are rebuilt at the end of each writer
 * run, after the report groups).
 */
export function summariesFresh(db: Database): boolean {
  const row = db.prepare('SELECT dirty FROM summary_state WHERE id = 1').get() as { dirty: number } | undefined;
  return row?.dirty === 0;
}

const foldName = (s: string) => fold(s).replace(/[^\p{L}\p{N}]+/gu, ' ').trim();

function allBoards(db: Database): string[] {
  const sql = summariesFresh(db)
    ? 'SELECT board FROM summary_board_names'
    : 'SELECT DISTINCT board FROM extractions WHERE current AND board IS NOT NULL';
  return (db.prepare(sql).pluck().all() as string[]).sort((a, b) => a.localeCompare(b, 'sv'));
}

export interface BoardMatch {
  board: string;
  /** exact: as stored; folded: the same but for case and å/ä/ö; partial: the words typed are part of its name. */
  how: 'exact' | 'folded' | 'partial';
}

/**
 * The board meant by a name typed in any case, with or without å/ä/ö, in full or in part
 * (`södermalm`): a name that begins with the words typed (or their genitive, `vantör` → `Vantörs
 * stadsdelsnämnd`) before one that only holds them (`Enskede-Årsta-Vantörs stadsdelsnämnd`).
 * Throws QueryUsageError listing the candidates when several boards match, or the closest when none does.
 */
export function matchBoard(db: Database, typed: string): BoardMatch {
  const boards = allBoards(db);
  if (boards.includes(typed)) return { board: typed, how: 'exact' };
  const want = foldName(typed);
  if (!want) throw new QueryUsageError('--board needs a name');
  const folded = boards.filter((b) => foldName(b) === want || boardKey(b) === boardKey(typed));
  if (folded.length === 1) return { board: folded[0]!, how: 'folded' };
  // Names that begin with the words typed, as whole words (`vantör`: Vantörs stadsdelsnämnd, not
  // Enskede-Årsta-Vantörs), else names that hold every word typed.
  const leading = boards.filter((b) => `${foldName(b)} `.startsWith(`${want} `) || `${foldName(b)} `.startsWith(`${want}s `));
  if (leading.length === 1) return { board: leading[0]!, how: 'partial' };
  const words = want.split(' ');
  const partial = leading.length > 1 ? leading : boards.filter((b) => {
    const name = foldName(b);
    return words.every((w) => name.includes(w));
  });
  if (partial.length === 1) return { board: partial[0]!, how: 'partial' };
  if (partial.length > 1) {
    throw new QueryUsageError(`--board "${typed}" matches ${partial.length} boards; give more of the name:\n${partial.map((b) => `  ${b}`).join('\n')}`);
  }
  const close = boards
    .map((b) => ({ b, s: JaroWinklerDistance(foldName(b), want) }))
    .sort((x, y) => y.s - x.s)
    .slice(0, 5)
    .map((x) => `  ${x.b}`);
  throw new QueryUsageError(`no board matches --board "${typed}"${close.length ? `; the closest names:\n${close.join('\n')}` : ' (the archive names no boards)'}`);
}

/** The class key meant by a key or a Swedish label, in full or in part. */
export function matchClass(typed: string): string {
  const keys = Object.keys(LABELS.class);
  if (keys.includes(typed)) return typed;
  const want = foldName(typed);
  const hits = keys.filter((k) => foldName(k.replace(/_/g, ' ')).includes(want) || foldName(LABELS.class[k]!).includes(want));
  const exact = hits.filter((k) => foldName(LABELS.class[k]!) === want || k === want);
  if (exact.length === 1) return exact[0]!;
  if (hits.length === 1) return hits[0]!;
  const list = keys.map((k) => `  ${k} (${LABELS.class[k]})`).join('\n');
  throw new QueryUsageError(`${hits.length ? `--class "${typed}" matches several classes` : `no class matches --class "${typed}"`}; the classes:\n${list}`);
}

export interface Resolved {
  from?: number;
  to?: number;
  board?: string;
  class?: string;
}

/** Filters checked and resolved to stored values; throws QueryUsageError. */
export function resolveFilters(db: Database, f: Filters): Resolved {
  for (const k of ['from', 'to'] as const) {
    const v = f[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= 1000 && v <= 9999)) throw new QueryUsageError(`--${k} takes a year of four digits, e.g. 2017, not ${v}`);
  }
  if (f.from !== undefined && f.to !== undefined && f.from > f.to) throw new QueryUsageError(`--from ${f.from} is after --to ${f.to}`);
  return {
    from: f.from,
    to: f.to,
    board: f.board === undefined ? undefined : matchBoard(db, f.board).board,
    class: f.class === undefined ? undefined : matchClass(f.class),
  };
}

function where(f: Resolved, cols: { year?: string; board?: string; class?: string } = {}): { sql: string; args: Array<string | number> } {
  const parts: string[] = [];
  const args: Array<string | number> = [];
  const year = cols.year ?? 'year';
  if (f.from !== undefined) parts.push(`${year} >= ?`) && args.push(f.from);
  if (f.to !== undefined) parts.push(`${year} <= ?`) && args.push(f.to);
  if (f.board !== undefined) parts.push(`${cols.board ?? 'board'} = ?`) && args.push(f.board);
  if (f.class !== undefined) parts.push(`${cols.class ?? "coalesce(class, 'unknown')"} = ?`) && args.push(f.class);
  return { sql: parts.map((p) => ` AND ${p}`).join(''), args };
}

export type ParticipationKey = 'year' | 'board' | 'class';

const DISTINCT_COUNTS = 'count(DISTINCT document_id) AS reports, count(DISTINCT unit_id) AS units, count(DISTINCT document_id << 32 | unit_id) AS participations';

/**
 * `{year, [board,] [class,] reports, units, participations}`: reports counted once (not their
 * files), distinct units, and participations (a unit in a report).
 */
export function participation(db: Database, by: ParticipationKey[] = ['year'], filters: Filters = {}): Row[] {
  const f = resolveFilters(db, filters);
  const keys = by.length ? by : (['year'] as ParticipationKey[]);
  const order = keys.map((k) => `${k} IS NULL, ${k}`).join(', ');
  if (summariesFresh(db)) {
    const dims = new Set<string>(keys);
    if (f.board !== undefined) dims.add('board');
    if (f.class !== undefined) dims.add('class');
    const level = `y${dims.has('board') ? 'b' : ''}${dims.has('class') ? 'c' : ''}`;
    const w = where(f, { class: 'class' });
    return db
      .prepare(`SELECT ${keys.join(', ')}, reports, units, participations FROM summary_participation WHERE level = ?${w.sql} ORDER BY ${order}`)
      .all(level, ...w.args) as Row[];
  }
  const cols = keys.map((k) => (k === 'class' ? `coalesce(class, 'unknown') AS class` : k)).join(', ');
  const w = where(f);
  return db
    .prepare(`SELECT ${cols}, ${DISTINCT_COUNTS} FROM participations WHERE counted${w.sql} GROUP BY ${keys.join(', ')} ORDER BY ${order}`)
    .all(...w.args) as Row[];
}

/**
 * Spelling identities matching a name forgivingly: case, diacritics, punctuation, definite or
 * indefinite forms, an abbreviation in brackets (src/query/unit-identity.ts). One word, or a name
 * that is no unit's whole name, finds the units whose names hold its words (`Lönnen`: Lönnen,
 * Stödboendet Lönnen, Äldreboendet Lönnen, …), else the words as beginnings (`relationsv` …), the
 * shortest 20.
 */
export function findUnitIdentities(db: Database, name: string): Array<{ id: number; name: string }> {
  const key = unitIdentityKey(name);
  if (!key) return [];
  const words = key.split(' ');
  // A whole name (type word and proper name) is that unit; a single word is every unit named with it.
  if (words.length > 1) {
    const exact = db.prepare('SELECT id, name FROM unit_identities WHERE key = ?').all(key) as Array<{ id: number; name: string }>;
    if (exact.length) return exact;
  }
  const like = (w: string) => w.replace(/[%_\\]/g, '\\$&');
  for (const pattern of [(w: string) => `% ${like(w)} %`, (w: string) => `% ${like(w)}%`]) {
    const hits = db
      .prepare(`SELECT id, name FROM unit_identities WHERE ${words.map(() => `' ' || key || ' ' LIKE ? ESCAPE '\\'`).join(' AND ')} ORDER BY length(key), key LIMIT 20`)
      .all(...words.map(pattern)) as Array<{ id: number; name: string }>;
    if (hits.length) return hits;
  }
  return [];
}

/**
 * Every participation of the units of that name: `{year, name, unit_id, board, department, class,
 * operator, report, documents}`. The same name under unrelated boards is different units (different
 * `unit_id`); a confirmed alias brings in the unit's other names.
 */
export function unitHistory(db: Database, name: string, filters: Filters = {}, options: ListOptions = {}): Row[] {
  return unitHistoryPaged(db, name, filters, { limit: options.limit ?? Infinity }).rows;
}

/**
 * unitHistory's first `limit` rows (DEFAULT_LIST_LIMIT unless told otherwise: `query unit`'s first
 * page) and how many there are in all. The participations are read from one index
 * (participations_unit_rows) as arrays and sorted here; only the rows returned get their report's
 * files and become objects (SQLite's sorter and an object per row from the driver were most of the
 * time for a name of a thousand participations).
 */
export function unitHistoryPaged(db: Database, name: string, filters: Filters = {}, options: ListOptions = {}): { rows: Row[]; total: number } {
  const f = resolveFilters(db, filters);
  const limit = options.limit ?? DEFAULT_LIST_LIMIT;
  const ids = findUnitIdentities(db, name).map((i) => i.id);
  if (!ids.length) return { rows: [], total: 0 };
  const w = where(f, { year: 'p.year', board: 'p.board', class: "coalesce(p.class, 'unknown')" });
  const rows = db
    .prepare(
      `SELECT p.year, p.name, p.unit_id, p.board, p.department, p.class, p.operator, p.document_id AS report
       FROM participations p
       WHERE p.counted AND p.unit_id IN (SELECT unit_id FROM participations WHERE identity_id IN (${ids.map(() => '?').join(',')}))${w.sql}`,
    )
    .raw()
    .all(...ids, ...w.args) as UnitRow[];
  // Year (none last), board (none first), name, as SQLite orders them (BINARY: by code point); then report and unit.
  rows.sort((a, b) => (a[0] === null ? 1 : 0) - (b[0] === null ? 1 : 0) || (a[0] ?? 0) - (b[0] ?? 0) || byCodePoint(a[3], b[3]) || byCodePoint(a[1], b[1]) || a[7] - b[7] || a[2] - b[2]);
  const page = rows.length > limit ? rows.slice(0, limit) : rows;
  const reports = [...new Set(page.map((r) => r[7]))];
  const files = new Map<number, string>();
  // In chunks below SQLite's limit on bound parameters.
  for (let i = 0; i < reports.length; i += 10_000) {
    const chunk = reports.slice(i, i + 10_000);
    for (const [id, list] of db.prepare(`SELECT id, files FROM reports WHERE id IN (${chunk.map(() => '?').join(',')})`).raw().all(...chunk) as Array<[number, string]>) files.set(id, list);
  }
  const fileName = db.prepare('SELECT file_name FROM documents WHERE id = ?').pluck();
  return {
    rows: page.map((r) => ({
      year: r[0],
      name: r[1],
      unit_id: r[2],
      board: r[3],
      department: r[4],
      class: r[5],
      operator: r[6],
      report: r[7],
      // A report not grouped yet (stored during a run) is its only document.
      documents: files.get(r[7]) ?? ((fileName.get(r[7]) as string | undefined) ?? null),
    })),
    total: rows.length,
  };
}

type UnitRow = [year: number | null, name: string, unit_id: number, board: string | null, department: string | null, unitClass: string | null, operator: string | null, report: number];

/** Two texts in SQLite's BINARY order (UTF-8 bytes, i.e. code points; null first), not JavaScript's (UTF-16 units). */
export function byCodePoint(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (D800–DFFF) stand for code points above FFFF: after E000–FFFF, not before.
    if (x >= 0xd800) x += x < 0xe000 ? 0x2000 : -0x800;
    if (y >= 0xd800) y += y < 0xe000 ? 0x2000 : -0x800;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * Likely renames, offered, never merged (`beslutsarkiv alias add` confirms one): two units of the
 * same board lineage whose years do not overlap, the later starting within two years of the
 * earlier's last, with similar names (Jaro–Winkler, or one name's words contained in the other's:
 * LSS-hälsan → LSS/SoL-hälsan).
 */
export function unitAliases(db: Database, filters: Filters = {}, minSimilarity = 0.85): Row[] {
  const f = resolveFilters(db, filters);
  if (f.from === undefined && f.to === undefined && f.class === undefined && minSimilarity === 0.85 && summariesFresh(db)) {
    const w = where({ board: f.board });
    return db
      .prepare(`SELECT board, name, years, possibly_renamed_to, to_board, "from", similarity FROM summary_unit_aliases WHERE 1${w.sql} ORDER BY rowid`)
      .all(...w.args) as Row[];
  }
  return computeUnitAliases(db, f, minSimilarity);
}

/** unitAliases from the detail tables (filters resolved); what the summary stores. */
export function computeUnitAliases(db: Database, f: Resolved, minSimilarity = 0.85): Row[] {
  const w = where(f, { year: 'p.year', board: 'p.board', class: "coalesce(p.class, 'unknown')" });
  const rows = db
    .prepare(
      `SELECT p.unit_id AS id, u.name, u.key, u.lineage, p.board, min(p.year) AS first, max(p.year) AS last
       FROM participations p JOIN distinct_units u ON u.id = p.unit_id
       WHERE p.counted AND p.year IS NOT NULL${w.sql} GROUP BY p.unit_id, p.board`,
    )
    .all(...w.args) as Array<{ id: number; name: string; key: string; lineage: string; board: string | null; first: number; last: number }>;
  // One span per unit (a unit may have taken part under several boards of its lineage).
  const spans = new Map<number, { id: number; name: string; key: string; lineage: string; board: string | null; first: number; last: number }>();
  for (const r of rows) {
    const s = spans.get(r.id);
    if (!s) spans.set(r.id, { ...r });
    else {
      if (r.last > s.last) s.board = r.board;
      s.first = Math.min(s.first, r.first);
      s.last = Math.max(s.last, r.last);
    }
  }
  const byStart = new Map<string, typeof rows>();
  for (const s of spans.values()) {
    const k = `${s.lineage}\u0000${s.first}`;
    (byStart.get(k) ?? byStart.set(k, []).get(k)!).push(s);
  }
  const words = (s: string) => new Set(s.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((x) => x.length > 1));
  const out: Row[] = [];
  for (const a of spans.values()) {
    for (const gap of [1, 2]) {
      for (const b of byStart.get(`${a.lineage}\u0000${a.last + gap}`) ?? []) {
        if (a.id === b.id) continue;
        // Units of different types (Förskolan Ekorren, Träffpunkten Ekorren) are not renames of each
        // other; within a type the names after the type word are compared (as written, folded: the
        // keys' sorted words, or a shared type word, would make any two names look alike).
        const [ta, pa] = typeAndProper(a.name);
        const [tb, pb] = typeAndProper(b.name);
        if (ta && tb && ta !== tb) continue;
        const similarity = JaroWinklerDistance(pa, pb);
        const wa = words(a.name);
        const wb = words(b.name);
        const contained = [...wa].every((x) => wb.has(x)) || [...wb].every((x) => wa.has(x));
        if (similarity < minSimilarity && !contained) continue;
        // Names that differ in their numbers (Ekorren 1, Ekorren 2) are different units, not a rename.
        const numbers = (x: string) => (x.match(/\d+/g) ?? []).join(' ');
        if (numbers(a.name) !== numbers(b.name)) continue;
        out.push({ board: a.board, name: a.name, years: `${a.first}–${a.last}`, possibly_renamed_to: b.name, to_board: b.board, from: b.first, similarity: Math.round(similarity * 100) / 100 });
      }
    }
  }
  return out.sort((x, y) => String(x.board).localeCompare(String(y.board), 'sv') || Number(x.from) - Number(y.from) || String(x.name).localeCompare(String(y.name), 'sv'));
}

/** A leading type word (`Förskolan`, `Stödboendet`) before a capitalized name. */
const LEADING_TYPE_WORD = /^(\p{L}+(?:et|en|an|na|orna|erna|arna))\s+(?=\p{Lu})/u;

/** A unit name's type word (its base, or '' when it has none) and the rest, folded. */
function typeAndProper(name: string): [string, string] {
  const m = LEADING_TYPE_WORD.exec(name);
  return m ? [unitWordBase(m[1]!), foldName(name.slice(m[0].length))] : ['', foldName(name)];
}

/** Classes offered per year (the 2017 change shows as annan_vard_omsorg giving way): `{year, class, label, reports}`. */
export function classesOffered(db: Database, filters: Filters = {}): Row[] {
  const f = resolveFilters(db, filters);
  const withLabel = (rows: Row[]): Row[] => rows.map((r) => ({ year: r.year, class: r.class, label: LABELS.class[String(r.class)] ?? r.class, reports: r.reports }) as Row);
  if (summariesFresh(db)) {
    const w = where(f, { class: 'class' });
    return withLabel(db.prepare(`SELECT year, class, sum(reports) AS reports FROM summary_classes WHERE 1${w.sql} GROUP BY year, class ORDER BY year IS NULL, year, class`).all(...w.args) as Row[]);
  }
  const w = where(f, { year: 'e.year', board: 'e.board', class: 'c.class' });
  return withLabel(
    db
      .prepare(
        `SELECT e.year, c.class, count(DISTINCT c.document_id) AS reports
         FROM classes_offered c JOIN extractions e ON e.document_id = c.document_id
         WHERE e.counted${w.sql} GROUP BY e.year, c.class ORDER BY e.year IS NULL, e.year, c.class`,
      )
      .all(...w.args) as Row[],
  );
}

/** Registration, submission and minutes deadlines (and the award day) per year: `{year, kind, label, earliest, latest, reports}`. */
export function deadlines(db: Database, filters: Filters = {}): Row[] {
  const f = resolveFilters(db, filters);
  const withLabel = (rows: Row[]): Row[] =>
    rows.map((r) => ({ year: r.year, kind: r.kind, label: LABELS.date_kind[String(r.kind)] ?? r.kind, earliest: r.earliest, latest: r.latest, reports: r.reports }) as Row);
  if (summariesFresh(db)) {
    const w = where(f);
    return withLabel(
      db
        .prepare(`SELECT year, kind, min(earliest) AS earliest, max(latest) AS latest, sum(reports) AS reports FROM summary_deadlines WHERE 1${w.sql} GROUP BY year, kind ORDER BY year IS NULL, year, kind`)
        .all(...w.args) as Row[],
    );
  }
  const w = where(f, { year: 'e.year', board: 'e.board' });
  return withLabel(
    db
      .prepare(
        `SELECT e.year, t.kind, min(t.date) AS earliest, max(t.date) AS latest, count(DISTINCT t.document_id) AS reports
         FROM extractions e JOIN event_dates t ON t.document_id = e.document_id
         WHERE e.counted AND t.kind IN ('award', 'registration_deadline', 'submission_deadline', 'minutes_deadline')${w.sql}
         GROUP BY e.year, t.kind ORDER BY e.year IS NULL, e.year, t.kind`,
      )
      .all(...w.args) as Row[],
  );
}

/** Participation per board over the years: `{board, years, first, last, reports, units, participations}`. */
export function boards(db: Database, filters: Filters = {}): Row[] {
  const f = resolveFilters(db, filters);
  if (f.from === undefined && f.to === undefined && summariesFresh(db)) {
    const w = where({ board: f.board });
    return db
      .prepare(
        `SELECT board, years, first, last, reports, units, participations FROM summary_boards
         WHERE class IS ?${w.sql} ORDER BY units DESC, board IS NULL, board`,
      )
      .all(f.class ?? null, ...w.args) as Row[];
  }
  if (f.from !== undefined && f.from === f.to && summariesFresh(db)) {
    // One year: the year-and-board summary has each board's distinct counts for it.
    const level = f.class === undefined ? 'yb' : 'ybc';
    const w = where(f, { class: 'class' });
    return db
      .prepare(
        `SELECT board, 1 AS years, year AS first, year AS last, reports, units, participations FROM summary_participation
         WHERE level = ?${w.sql} ORDER BY units DESC, board IS NULL, board`,
      )
      .all(level, ...w.args) as Row[];
  }
  const w = where(f);
  return db
    .prepare(
      `SELECT board, count(DISTINCT year) AS years, min(year) AS first, max(year) AS last, ${DISTINCT_COUNTS}
       FROM participations WHERE counted${w.sql} GROUP BY board ORDER BY units DESC, board IS NULL, board`,
    )
    .all(...w.args) as Row[];
}

/**
 * The most rows a listing query (signatories, incomplete) returns unless told otherwise (`--limit`):
 * a first page; 1000 rows took 20–30 ms to build at 100k documents.
 */
export const DEFAULT_LIST_LIMIT = 100;

export interface ListOptions {
  /** The most rows to return (default DEFAULT_LIST_LIMIT); the count functions say how many there are in all. */
  limit?: number;
}

/**
 * Who signed, per year and board: `{year, board, name, title, document}`, in year order (no year
 * last), then board, report and position, at most `limit` rows (signatoriesCount gives the total):
 * the largest board has some 10,000 rows, more than a person reads and more than 20 ms to build.
 */
export function signatories(db: Database, filters: Filters = {}, options: ListOptions = {}): Row[] {
  const f = resolveFilters(db, filters);
  const limit = options.limit ?? DEFAULT_LIST_LIMIT;
  const w = where(f, { year: 'e.year', board: 'e.board' });
  // Two statements (years, then no year) so that each reads its index in order and stops at the limit.
  const part = (years: string) =>
    db
      .prepare(
        `SELECT e.year, e.board, s.name, s.title, d.file_name AS document
         FROM extractions e JOIN signatories s ON s.document_id = e.document_id JOIN documents d ON d.id = e.document_id
         WHERE e.counted AND ${years}${w.sql} ORDER BY e.year, e.board, e.document_id, s.position LIMIT ?`,
      );
  const rows = part('e.year IS NOT NULL').all(...w.args, limit) as Row[];
  if (rows.length < limit && f.from === undefined && f.to === undefined) rows.push(...(part('e.year IS NULL').all(...w.args, limit - rows.length) as Row[]));
  return rows;
}

/** How many rows signatories() has in all. */
export function signatoriesCount(db: Database, filters: Filters = {}): number {
  const f = resolveFilters(db, filters);
  const w = where(f, { year: 'e.year', board: 'e.board' });
  return db.prepare(`SELECT count(*) FROM extractions e JOIN signatories s ON s.document_id = e.document_id WHERE e.counted${w.sql}`).pluck().get(...w.args) as number;
}

/**
 * Reports about taking part that lack a year, a board or units (as of the last writer run), which
 * the trends cannot place: `{report, year, board, units, missing, documents, files}`. A filter on
 * a value a report lacks leaves it out.
 */
export function incomplete(db: Database, filters: Filters = {}, options: ListOptions = {}): Row[] {
  const f = resolveFilters(db, filters);
  const w = where(f, { year: 'r.year', board: 'r.board' });
  // Read in order from reports_incomplete (migration 13) up to the limit. Named: where the other
  // partial index has statistics and this one not yet (an archive migrated after ANALYZE), SQLite
  // would read all of them through reports_missing and sort.
  const ordered = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'reports_incomplete'").get() ? ' INDEXED BY reports_incomplete' : '';
  return db
    .prepare(
      `SELECT r.id AS report, r.year, r.board, r.units, r.missing, r.documents,
              r.files
       FROM reports r${ordered} WHERE r.missing IS NOT NULL${w.sql} ORDER BY r.year IS NULL, r.year, r.board IS NULL, r.board, r.id LIMIT ?`,
    )
    .all(...w.args, options.limit ?? DEFAULT_LIST_LIMIT) as Row[];
}

/** How many rows incomplete() has in all. */
export function incompleteCount(db: Database, filters: Filters = {}): number {
  const f = resolveFilters(db, filters);
  const w = where(f, { year: 'r.year', board: 'r.board' });
  return db.prepare(`SELECT count(*) FROM reports r WHERE r.missing IS NOT NULL${w.sql}`).pluck().get(...w.args) as number;
}

export class ReadOnlyQueryError extends Error {
  override name = 'ReadOnlyQueryError';
}

function readStatement(db: Database, statement: string) {
  let stmt;
  try {
    stmt = db.prepare(statement);
  } catch (error) {
    throw new ReadOnlyQueryError(`SQL error: ${(error as Error).message}`);
  }
  if (!stmt.readonly || !stmt.reader) {
    throw new ReadOnlyQueryError('only statements that read are allowed (SELECT, WITH … SELECT, read-only PRAGMAs); this one would change the archive');
  }
  return stmt;
}

/** Any SELECT; statements that would write are refused (and the database is opened read-only anyway). */
export function sql(db: Database, statement: string, params: unknown[] = []): Row[] {
  return readStatement(db, statement).all(...params) as Row[];
}

/** The columns a read-only statement returns (for a CSV header when it returns no rows). */
export function sqlColumns(db: Database, statement: string): string[] {
  return readStatement(db, statement)
    .columns()
    .map((c) => c.name);
}


export interface SearchOptions {
  /** The most pages to return (default DEFAULT_SEARCH_LIMIT). */
  limit?: number;
}

/** The pages a search returns unless told otherwise (`--limit`): a first page; each gets its snippet and details. */
export const DEFAULT_SEARCH_LIMIT = 20;

export interface SearchAnswer {
  rows: Row[];
  /** Pages matching in all (the rows are the best `limit` of them); with `bounded`, those found before stopping. */
  total: number;
  /**
   * Set when a filtered search for common words read only the newest pages the filter keeps (its
   * years from the latest) until RANK_BOUND matched: how many pages it read and the earliest year
   * it reached; `total` is then the matches among them.
   */
  bounded?: { pages: number; from: number };
}

const SEARCH_COLUMNS = `d.file_name AS file, (SELECT path FROM files f WHERE f.document_id = d.id ORDER BY first_seen LIMIT 1) AS path,
  p.page, coalesce(r.year, e.year) AS year, coalesce(r.board, e.board) AS board, coalesce(rd.report_id, d.id) AS report`;
const SEARCH_JOINS = `JOIN documents d ON d.id = p.document_id LEFT JOIN report_documents rd ON rd.document_id = d.id
  LEFT JOIN reports r ON r.id = rd.report_id LEFT JOIN extractions e ON e.document_id = d.id`;
const SEARCH_FROM = `FROM pages_fts JOIN pages p ON p.rowid = pages_fts.rowid ${SEARCH_JOINS}`;

/** Filtered searches over at most this many pages rank them here; more go through FTS5's own ranking. */
const MAX_FILTERED_PAGES = 20_000;
/** Runs of candidate pages looked up by rowid range; more, and the word's whole match list is read instead. */
const MAX_RANGES = 200;
/**
 * A filtered search ranks at most this many matching pages: when the words match more pages in the
 * archive and the filter keeps more reports, it ranks the newest RANK_BOUND matches (the filter's
 * years from the latest) and says so. Ranking reads each page's text (some 10–20 µs a page).
 */
export const RANK_BOUND = 200;
/** The most pages a bounded search reads looking for RANK_BOUND matches. */
const MAX_READ = 4 * RANK_BOUND;

/**
 * Words as FTS5's unicode61 tokenizer with remove_diacritics sees them. Its diacritics are those of
 * Latin letters (combining marks U+0300–U+036F after NFD); a plain range, as \p{M} took most of
 * a bounded search's time.
 */
function tokens(text: string): string[] {
  return foldText(text)
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/** Text as tokens() reads it before splitting it into words: lower case, Latin diacritics removed. */
function foldText(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFD')
    .replace(/[\u0300-\u036f]+/g, '');
}

/**
 * Full-text search over repaired page text (words match with or without å/ä/ö), with the year and
 * board of each hit's report: `{file, path, page, year, board, report, snippet}`, best first.
 *
 * Without filters, FTS5 ranks (bm25) and only the best `limit` pages get their snippet and details.
 * With --board/--from/--to, FTS5's bm25 is not used (it reads every match of a word in the whole
 * archive, seconds for a word of every document); the matching pages are ranked here with the BM25
 * formula (k1 1.2, b 0.75; rankPages), its statistics taken over the pages ranked:
 * - words matching at most RANK_BOUND pages in the archive: FTS5 lists them, the filter keeps its own;
 * - a filter keeping at most RANK_BOUND reports: its pages are found first (indexes on board and
 *   year) and FTS5 says which of them match (by rowid ranges, without ranking);
 * - otherwise (common words, a broad filter): the filter's years are walked from the latest, and
 *   the RANK_BOUND newest matching pages are ranked (`bounded` in the answer says so).
 */
export function searchPaged(db: Database, words: string, filters: Filters = {}, options: SearchOptions = {}): SearchAnswer {
  const f = resolveFilters(db, filters);
  if (f.class !== undefined) throw new QueryUsageError('search does not take --class');
  const q = ftsQuery(words);
  if (!q) return { rows: [], total: 0 };
  const limit = options.limit ?? DEFAULT_SEARCH_LIMIT;
  const details = db.prepare(`SELECT ${SEARCH_COLUMNS}, p.repaired_text AS text FROM pages p ${SEARCH_JOINS} WHERE p.rowid = ?`);
  const terms = searchTerms(words);
  const finish = (ids: number[]): Row[] =>
    ids.map((id) => {
      const { text, ...row } = details.get(id) as Row;
      return { ...row, snippet: snippetOf(String(text ?? ''), terms) };
    });
  const filtered = f.board !== undefined || f.from !== undefined || f.to !== undefined;
  if (filtered) {
    const ranked = (matched: number[]) => rankPages(db, words, matched).slice(0, limit);
    // Rare words: every match in the archive, then the filter.
    const all = db.prepare('SELECT rowid FROM pages_fts WHERE pages_fts MATCH ? ORDER BY rowid LIMIT ?').pluck().all(q, RANK_BOUND + 1) as number[];
    if (all.length <= RANK_BOUND) {
      const matched = keepFiltered(db, f, all);
      return { rows: finish(ranked(matched)), total: matched.length };
    }
    // A narrow filter: its pages, then which of them match.
    if (filteredReports(db, f) <= RANK_BOUND) {
      const candidates = filteredPages(db, f);
      if (candidates) {
        const { pages } = scorePages(db, searchPhrases(words), candidates, Infinity);
        return { rows: finish(bm25Order(pages).slice(0, limit)), total: pages.length };
      }
    }
    // Common words, a broad filter: the newest matches, year by year from the latest.
    const newest = newestMatches(db, words, f);
    if (newest) return { rows: finish(newest.ids.slice(0, limit)), total: newest.matched, bounded: { pages: newest.read, from: newest.from } };
    // A filter of few pages after all (or a year of very many): exactly.
    const candidates = filteredPages(db, f);
    if (candidates) {
      const matched = matchingPages(db, q, candidates);
      return { rows: finish(ranked(matched)), total: matched.length };
    }
  }
  const w = where(f, { year: 'coalesce(r.year, e.year)', board: 'coalesce(r.board, e.board)' });
  const ids = db
    .prepare(`SELECT pages_fts.rowid FROM pages_fts ${filtered ? `JOIN pages p ON p.rowid = pages_fts.rowid ${SEARCH_JOINS}` : ''} WHERE pages_fts MATCH ?${w.sql} ORDER BY bm25(pages_fts) LIMIT ?`)
    .pluck()
    .all(q, ...w.args, limit) as number[];
  const total = ids.length < limit ? ids.length : filtered ? searchCount(db, words, filters) : (db.prepare('SELECT count(*) FROM pages_fts WHERE pages_fts MATCH ?').pluck().get(q) as number);
  return { rows: finish(ids), total };
}

/** The pages among `ids` whose report (else record) has the board and years asked. */
function keepFiltered(db: Database, f: Resolved, ids: number[]): number[] {
  if (!ids.length) return [];
  const w = where(f, { year: 'coalesce(r.year, e.year)', board: 'coalesce(r.board, e.board)' });
  return db
    .prepare(`SELECT p.rowid FROM pages p ${SEARCH_JOINS} WHERE p.rowid IN (${ids.map(() => '?').join(',')})${w.sql} ORDER BY p.rowid`)
    .pluck()
    .all(...ids, ...w.args) as number[];
}

/** How many reports have the board and years asked (an index count: to choose how to search). */
function filteredReports(db: Database, f: Resolved): number {
  const w = where({ from: f.from, to: f.to, board: f.board });
  return db.prepare(`SELECT count(*) FROM reports WHERE 1${w.sql}`).pluck().get(...w.args) as number;
}

/**
 * The newest pages of a broad filter that match (common words): its years from the latest down,
 * each year's pages (filteredPages; in a year, up to the pages still to read), read and matched here as FTS5's
 * unicode61 tokenizer would (each word a phrase of its tokens, a trailing * a prefix), until
 * RANK_BOUND pages match or MAX_READ pages were read; ranked with BM25 (bm25Order). `read` is how
 * many pages were read, `from` the earliest year reached; null when every year was read without
 * reaching either bound (the whole filter is then small: searched exactly) or one year has more
 * than MAX_FILTERED_PAGES pages.
 */
function newestMatches(db: Database, words: string, f: Resolved): { ids: number[]; matched: number; read: number; from: number } | null {
  const span = db
    .prepare('SELECT min(year) AS lo, max(year) AS hi FROM (SELECT min(year) AS year FROM reports UNION ALL SELECT max(year) FROM reports UNION ALL SELECT min(year) FROM extractions WHERE counted UNION ALL SELECT max(year) FROM extractions WHERE counted)')
    .get() as { lo: number | null; hi: number | null };
  const hi = Math.min(f.to ?? Infinity, span.hi ?? -Infinity);
  const lo = Math.max(f.from ?? -Infinity, span.lo ?? Infinity);
  const phrases = searchPhrases(words);
  const pages: ScoredPage[] = [];
  let read = 0;
  for (let year = hi; year >= lo; year--) {
    // At most the pages still to read (a year of every board has thousands).
    const candidates = filteredPages(db, { ...f, from: year, to: year }, MAX_READ - read);
    if (!candidates) return null;
    const got = scorePages(db, phrases, candidates, RANK_BOUND - pages.length, MAX_READ - read);
    pages.push(...got.pages);
    read += got.read;
    if (pages.length >= RANK_BOUND || read >= MAX_READ) return { ids: bm25Order(pages), matched: pages.length, read, from: year };
  }
  return null;
}

interface Phrase {
  tokens: string[];
  prefix: boolean;
  /**
   * Where the phrase occurs in a folded text (foldText): its tokens as whole words (tokens()'s
   * words are the runs of letters and digits), parted by anything else, the last one only begun
   * when it is a prefix. Occurrences of a phrase of several words may overlap (`a a` twice in
   * `a a a`, as phraseCount counts them): the phrase is then looked for ahead of each word start.
   */
  pattern: RegExp;
}

const WORD = '[\\p{L}\\p{N}]';
const NOT_WORD = '[^\\p{L}\\p{N}]';

function phrasePattern(tokens: string[], prefix: boolean): RegExp {
  // Tokens are runs of letters and digits: nothing in them needs escaping.
  const body = `${tokens.join(`${NOT_WORD}+`)}${prefix ? '' : `(?!${WORD})`}`;
  return new RegExp(tokens.length > 1 ? `(?<!${WORD})(?=${body})` : `(?<!${WORD})${body}`, 'gu');
}

/** The words of a search as FTS5 reads ftsQuery's output: each a phrase of its tokens, a trailing * making the last a prefix. */
function searchPhrases(words: string): Phrase[] {
  return words
    .split(/\s+/)
    .map((w) => ({ tokens: tokens(w.replace(/\*+$/, '')), prefix: w.endsWith('*') }))
    .filter((p) => p.tokens.length > 0)
    .map((p) => ({ ...p, pattern: phrasePattern(p.tokens, p.prefix) }));
}

/**
 * How often a phrase occurs in a folded text: as phraseCount counts it in the text's tokens
 * (test/query-plans.test.ts holds it to a count over the tokens), without making the tokens.
 */
function phraseCountIn(folded: string, p: Phrase): number {
  // Most pages lack most words: a plain look for the first token says so without the pattern.
  if (!folded.includes(p.tokens[0]!)) return 0;
  p.pattern.lastIndex = 0;
  let n = 0;
  while (p.pattern.exec(folded)) {
    n++;
    // A match ahead of a word start is empty: step past it.
    if (p.tokens.length > 1) p.pattern.lastIndex++;
  }
  return n;
}

/** How often each word (phrase) of a search occurs in a text, as a filtered search ranks it. */
export function countPhrases(text: string, words: string): number[] {
  const folded = foldText(text);
  return searchPhrases(words).map((p) => phraseCountIn(folded, p));
}

interface ScoredPage {
  id: number;
  length: number;
  tf: number[];
}

/** BM25 (k1 1.2, b 0.75) over these pages' own statistics, best first, ties in archive order. */
function bm25Order(pages: ScoredPage[]): number[] {
  const n = pages.length;
  if (!n) return [];
  const avg = pages.reduce((s, p) => s + p.length, 0) / n || 1;
  const idf = pages[0]!.tf.map((_, i) => {
    const having = pages.filter((p) => p.tf[i]! > 0).length;
    return Math.log(1 + (n - having + 0.5) / (having + 0.5));
  });
  const k1 = 1.2;
  const b = 0.75;
  const score = (p: ScoredPage) => p.tf.reduce((s, tf, i) => s + (idf[i]! * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * p.length) / avg)), 0);
  return pages
    .map((p) => ({ id: p.id, s: score(p) }))
    .sort((x, y) => y.s - x.s || x.id - y.id)
    .map((p) => p.id);
}

/**
 * The rowids of the pages of documents whose report (else record) has the board and years asked,
 * in order; null when there are more than MAX_FILTERED_PAGES; with a smaller `most`, the first `most` of them.
 */
export function filteredPages(db: Database, f: Resolved, most = MAX_FILTERED_PAGES): number[] | null {
  if (summariesFresh(db) && db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'summary_pages'").get()) {
    // (A database of an older schema, read without upgrading it, has no summary_pages.)
    // Each page's year and board, as the branches below find them, kept by every writer run
    // (summary_pages, src/store/migrations.ts refreshPageSummary): one index read, in rowid order.
    // One year (newestMatches asks year by year) as an equality: the index then gives the pages in
    // rowid order, read only up to `most`.
    const w = f.from !== undefined && f.from === f.to ? { sql: ` AND year = ?${f.board !== undefined ? ' AND board = ?' : ''}`, args: f.board !== undefined ? [f.from, f.board] : [f.from] } : where({ from: f.from, to: f.to, board: f.board });
    const ids = db.prepare(`SELECT id FROM summary_pages WHERE 1${w.sql} ORDER BY id LIMIT ?`).pluck().all(...w.args, most + 1) as number[];
    return ids.length > most ? (most < MAX_FILTERED_PAGES ? ids.slice(0, most) : null) : ids;
  }
  const cond = (t: string, board = true) => {
    const parts: string[] = [];
    const args: Array<string | number> = [];
    if (board && f.board !== undefined) parts.push(`${t}.board = ?`) && args.push(f.board);
    if (f.from !== undefined) parts.push(`${t}.year >= ?`) && args.push(f.from);
    if (f.to !== undefined) parts.push(`${t}.year <= ?`) && args.push(f.to);
    return { sql: parts.join(' AND '), args };
  };
  const r = cond('r');
  const e = cond('e');
  // Pages of documents whose report has the values; whose record has them (and no report says
  // otherwise): each as the answer reads it, the report's value, else the record's. A report
  // without a board (or year) is reached through its record's board (year), but for two cases
  // when both are asked: a report without a board but with its year, and a report with the board
  // but no year (its record's board differing). Each branch reads an index on board or year.
  const exact = where(f, { year: 'coalesce(r.year, e.year)', board: 'coalesce(r.board, e.board)' });
  const grouped = `JOIN report_documents rd ON rd.report_id = r.id JOIN pages p ON p.document_id = rd.document_id LEFT JOIN extractions e ON e.document_id = rd.document_id`;
  const both = f.board !== undefined && (f.from !== undefined || f.to !== undefined);
  const yearsOnly = cond('r', false);
  const sql = `
    SELECT p.rowid FROM reports r ${grouped} WHERE ${r.sql}
    UNION SELECT p.rowid FROM extractions e JOIN pages p ON p.document_id = e.document_id LEFT JOIN report_documents rd ON rd.document_id = e.document_id
      LEFT JOIN reports r ON r.id = rd.report_id WHERE ${e.sql}${exact.sql}
    ${both ? `UNION SELECT p.rowid FROM reports r ${grouped} WHERE r.board IS NULL AND ${yearsOnly.sql}${exact.sql}
    UNION SELECT p.rowid FROM reports r ${grouped} WHERE r.board = ? AND r.year IS NULL${exact.sql}` : ''}
    LIMIT ?`;
  const args = [...r.args, ...e.args, ...exact.args, ...(both ? [...yearsOnly.args, ...exact.args, f.board!, ...exact.args] : [])];
  const ids = db.prepare(sql).pluck().all(...args, most + 1) as number[];
  return ids.length > most ? (most < MAX_FILTERED_PAGES ? ids.slice(0, most).sort((x, y) => x - y) : null) : ids.sort((x, y) => x - y);
}

/** Which of the candidate pages (rowids in order) FTS5 matches: by rowid ranges over runs of them, or one pass over all matches. */
export function matchingPages(db: Database, q: string, candidates: number[]): number[] {
  if (!candidates.length) return [];
  const runs: Array<[number, number]> = [];
  for (const id of candidates) {
    const last = runs[runs.length - 1];
    if (last && id - last[1] <= 16) last[1] = id;
    else runs.push([id, id]);
  }
  const want = new Set(candidates);
  const out: number[] = [];
  if (runs.length <= MAX_RANGES) {
    const range = db.prepare('SELECT rowid FROM pages_fts WHERE pages_fts MATCH ? AND rowid BETWEEN ? AND ?').pluck();
    for (const [lo, hi] of runs) for (const id of range.all(q, lo, hi) as number[]) if (want.has(id)) out.push(id);
  } else {
    for (const id of db.prepare('SELECT rowid FROM pages_fts WHERE pages_fts MATCH ?').pluck().iterate(q) as Iterable<number>) if (want.has(id)) out.push(id);
  }
  return out;
}

interface SearchTerm {
  term: string;
  prefix: boolean;
}

/** The words of a search as FTS5 matches them: tokens, the last of a word ending in * a prefix. */
function searchTerms(words: string): SearchTerm[] {
  return words
    .split(/\s+/)
    .filter(Boolean)
    .flatMap((w) => {
      const t = tokens(w);
      return t.map((x, i) => ({ term: x, prefix: w.endsWith('*') && i === t.length - 1 }));
    });
}

/** One word as a token: lower case, Latin diacritics removed (NFD only when the word is not ASCII). */
const foldWord = (w: string) => {
  const l = w.toLowerCase();
  return /^[\x00-\x7f]*$/.test(l) ? l : l.normalize('NFD').replace(/[\u0300-\u036f]+/g, '');
};

const hits = (token: string, terms: SearchTerm[]) => terms.some((t) => (t.prefix ? token.startsWith(t.term) : token === t.term));

/**
 * A snippet as FTS5's snippet() makes one (the 10 words with the most matches, matches in
 * [brackets], … where the text goes on), made from the page text: FTS5 would look the page up
 * again for each hit.
 */
export function snippetOf(text: string, terms: SearchTerm[], size = 10): string {
  const words = snippetWords(text, (w) => hits(foldWord(w), terms));
  if (!words.length) return '';
  // The window with the most matches (the first of equals), by a running count.
  let best = 0;
  let count = words.slice(0, size).filter((w) => w.hit).length;
  let bestCount = count;
  for (let i = 1; i <= words.length - size; i++) {
    count += (words[i + size - 1]!.hit ? 1 : 0) - (words[i - 1]!.hit ? 1 : 0);
    if (count > bestCount) [best, bestCount] = [i, count];
  }
  return snippetWindow(text, words, best, size);
}

export interface SnippetWord {
  start: number;
  end: number;
  hit: boolean;
}

/** The words of a text as the index makes them (runs of letters and digits), where they are, and whether each is a hit. */
export function snippetWords(text: string, isHit: (word: string) => boolean): SnippetWord[] {
  return [...text.matchAll(/[\p{L}\p{N}]+/gu)].map((m) => ({ start: m.index!, end: m.index! + m[0].length, hit: isHit(m[0]) }));
}

/** `size` of a text's `words` from word `from`, as FTS5's snippet() shows them: hits in [brackets], `…` where text is left out. */
export function snippetWindow(text: string, words: SnippetWord[], from: number, size: number): string {
  const window = words.slice(from, from + size);
  let out = from > 0 ? '…' : '';
  let at = window[0]!.start;
  for (const w of window) {
    out += text.slice(at, w.start) + (w.hit ? `[${text.slice(w.start, w.end)}]` : text.slice(w.start, w.end));
    at = w.end;
  }
  return out + (from + size < words.length ? '…' : '');
}

const FOLDED = /[åäàáâöôóéèêü]/g;
const FOLD_TO: Record<string, string> = { å: 'a', ä: 'a', à: 'a', á: 'a', â: 'a', ö: 'o', ô: 'o', ó: 'o', é: 'e', è: 'e', ê: 'e', ü: 'u' };

/**
 * The pages ranked by BM25 (k1 1.2, b 0.75; the statistics of these pages; a page's length in
 * characters), best first, ties in archive order; terms counted in the page's tokens (scorePages).
 */
export function rankPages(db: Database, words: string, ids: number[]): number[] {
  if (ids.length <= 1) return ids;
  return bm25Order(scorePages(db, searchPhrases(words), ids, Infinity).pages);
}

/**
 * Reads the pages (in the order given, 100 at a time) and counts each phrase in their tokens,
 * keeping those where every phrase occurs, until `enough` match; `read` is how many were read.
 */
function scorePages(db: Database, phrases: Phrase[], ids: number[], enough: number, readLimit = Infinity): { pages: ScoredPage[]; read: number } {
  const pages: ScoredPage[] = [];
  let read = 0;
  for (let i = 0; i < ids.length; i += 100) {
    const chunk = ids.slice(i, i + 100);
    const rows = db.prepare(`SELECT rowid AS id, repaired_text AS text FROM pages WHERE rowid IN (${chunk.join(',')})`).all() as Array<{ id: number; text: string | null }>;
    const byId = new Map(rows.map((r) => [r.id, r.text ?? '']));
    for (const id of chunk) {
      const text = byId.get(id) ?? '';
      read++;
      const folded = foldText(text);
      const tf = phrases.map((p) => phraseCountIn(folded, p));
      if (tf.every((n) => n > 0)) pages.push({ id, length: text.length, tf });
      if (pages.length >= enough || read >= readLimit) return { pages, read };
    }
  }
  return { pages, read };
}

/** The best pages of a search (see searchPaged). */
export function search(db: Database, words: string, filters: Filters = {}, options: SearchOptions = {}): Row[] {
  return searchPaged(db, words, filters, options).rows;
}

/** How many pages a search matches in all (to say when the answer was cut at its limit). */
export function searchCount(db: Database, words: string, filters: Filters = {}): number {
  const f = resolveFilters(db, filters);
  const q = ftsQuery(words);
  if (!q) return 0;
  const filtered = f.board !== undefined || f.from !== undefined || f.to !== undefined;
  if (filtered) {
    const candidates = filteredPages(db, f);
    if (candidates) return matchingPages(db, q, candidates).length;
  }
  const w = where(f, { year: 'coalesce(r.year, e.year)', board: 'coalesce(r.board, e.board)' });
  return db.prepare(`SELECT count(*) ${SEARCH_FROM} WHERE pages_fts MATCH ?${w.sql}`).pluck().get(q, ...w.args) as number;
}
