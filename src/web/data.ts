/**
 * Reads the web app needs that the library has no function for: a filtered, paged document list
 * (LIMIT over indexed columns, keyset on the document id), one document's pages and files, one
 * unit identity's history, runs and their failed files. Read-only SQL over the server's connection.
 */
import type { Database } from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { snippetWindow, snippetWords } from '../index.js';

export const PAGE_SIZE = 50;
/** Pages reached by offset (`page=`); further pages by the keyset of the next-page links (`before=`): an offset reads every row it skips. */
export const MAX_OFFSET_PAGE = 100;

export interface DocumentFilters {
  year?: number;
  board?: string;
  topic?: 'award_participation' | 'other';
  format?: string;
  ocr?: boolean;
  review?: boolean;
  corrected?: boolean;
}

export interface DocumentRow {
  id: number;
  sha256: string;
  file_name: string;
  format: string;
  page_count: number;
  ocr: number;
  year: number | null;
  board: string | null;
  topic: string | null;
  needs_review: number | null;
  corrected: number;
}

/**
 * Current documents (not superseded) matching the filters, newest id first: the page after
 * document id `before` (keyset), or page `page` by offset when no keyset is given. One row more
 * than a page is read to know whether a next page exists.
 */
export function listDocuments(db: Database, f: DocumentFilters, at: { before?: number; page?: number }): { rows: DocumentRow[]; more: boolean } {
  const where: string[] = ['d.superseded_by IS NULL'];
  const args: Array<string | number> = [];
  if (f.year !== undefined) where.push('e.year = ?') && args.push(f.year);
  if (f.board !== undefined) where.push('e.board = ?') && args.push(f.board);
  if (f.topic !== undefined) where.push('e.topic = ?') && args.push(f.topic);
  if (f.format !== undefined) where.push('d.format = ?') && args.push(f.format);
  if (f.ocr !== undefined) where.push(`d.ocr = ${f.ocr ? 1 : 0}`);
  if (f.review !== undefined) where.push(f.review ? 'e.needs_review = 1' : 'coalesce(e.needs_review, 0) = 0');
  if (f.corrected !== undefined) where.push(`${f.corrected ? '' : 'NOT '}EXISTS (SELECT 1 FROM corrections c WHERE c.sha256 = d.sha256 AND c.undone_at IS NULL)`);
  if (at.before !== undefined) where.push('d.id < ?') && args.push(at.before);
  const needsExtraction = f.year !== undefined || f.board !== undefined || f.topic !== undefined || f.review === true;
  const offset = at.before === undefined && at.page && at.page > 1 ? (at.page - 1) * PAGE_SIZE : 0;
  // The page's ids first (rowid order, stopping at the limit), then the details of those rows only.
  const ids = db
    .prepare(`SELECT d.id FROM documents d ${needsExtraction ? 'JOIN extractions e ON e.document_id = d.id' : f.review === false ? 'LEFT JOIN extractions e ON e.document_id = d.id' : ''} WHERE ${where.join(' AND ')} ORDER BY d.id DESC LIMIT ? OFFSET ?`)
    .pluck()
    .all(...args, PAGE_SIZE + 1, offset) as number[];
  const rows = ids.length
    ? (db
        .prepare(
          `SELECT d.id, d.sha256, d.file_name, d.format, d.page_count, d.ocr, e.year, e.board, e.topic, e.needs_review,
                  EXISTS (SELECT 1 FROM corrections c WHERE c.sha256 = d.sha256 AND c.undone_at IS NULL) AS corrected
           FROM documents d LEFT JOIN extractions e ON e.document_id = d.id WHERE d.id IN (${ids.map(() => '?').join(',')}) ORDER BY d.id DESC`,
        )
        .all(...ids) as DocumentRow[])
    : [];
  return { rows: rows.slice(0, PAGE_SIZE), more: rows.length > PAGE_SIZE };
}

/** The distinct values of a few document columns, for the filter menus. */
export function documentFacets(db: Database): { formats: string[]; years: number[] } {
  return {
    formats: ['txt', 'md', 'pdf', 'png', 'jpeg', 'tiff'],
    years: db.prepare('SELECT DISTINCT year FROM summary_participation WHERE level = \'y\' AND year IS NOT NULL ORDER BY year').pluck().all() as number[],
  };
}

export interface DocumentInfo {
  id: number;
  sha256: string;
  file_name: string;
  format: string;
  media_type: string;
  bytes: number;
  page_count: number;
  ocr: number;
  first_seen: string;
  superseded_by: number | null;
}

export function documentBySha(db: Database, sha256: string): DocumentInfo | undefined {
  return db
    .prepare('SELECT id, sha256, file_name, format, media_type, bytes, page_count, ocr, first_seen, superseded_by FROM documents WHERE sha256 = ?')
    .get(sha256) as DocumentInfo | undefined;
}

export function shaOf(db: Database, id: number): string | undefined {
  return db.prepare('SELECT sha256 FROM documents WHERE id = ?').pluck().get(id) as string | undefined;
}

export interface PageText {
  page: number;
  text: string;
  source: string;
  confidence: number | null;
}

export function documentPages(db: Database, documentId: number): PageText[] {
  return db
    .prepare('SELECT page, coalesce(repaired_text, text) AS text, source, confidence FROM pages WHERE document_id = ? ORDER BY page')
    .all(documentId) as PageText[];
}

export interface FileRow {
  path: string;
  size: number;
  missing_since: string | null;
  moved_to: string | null;
}

export function documentFiles(db: Database, documentId: number): FileRow[] {
  return db.prepare('SELECT path, size, missing_since, moved_to FROM files WHERE document_id = ? ORDER BY first_seen, path').all(documentId) as FileRow[];
}

/**
 * The one recorded path of a document that can be served: absolute, still a regular file of the
 * recorded size, not marked missing. Only a path read from the database is ever opened.
 */
export function servableSource(db: Database, documentId: number): FileRow | undefined {
  for (const f of documentFiles(db, documentId)) {
    if (f.missing_since || !isAbsolute(f.path) || !existsSync(f.path)) continue;
    try {
      const s = statSync(f.path);
      if (s.isFile() && s.size === f.size) return f;
    } catch {
      /* gone between the checks */
    }
  }
  return undefined;
}

export interface UnitParticipation {
  year: number | null;
  name: string;
  board: string | null;
  department: string | null;
  class: string | null;
  operator: string | null;
  sha256: string;
  file_name: string;
}

/** A spelling identity's name, or undefined when there is no such identity. */
export function identityName(db: Database, id: number): string | undefined {
  return db.prepare('SELECT name FROM unit_identities WHERE id = ?').pluck().get(id) as string | undefined;
}

/** Every counted participation of the distinct units that spelling identity belongs to, in year order. */
export function identityHistory(db: Database, id: number): UnitParticipation[] {
  return db
    .prepare(
      `SELECT p.year, p.name, p.board, p.department, p.class, p.operator, d.sha256, d.file_name
       FROM participations p JOIN documents d ON d.id = p.document_id
       WHERE p.counted AND (p.identity_id = ? OR p.unit_id IN (SELECT unit_id FROM participations WHERE identity_id = ? AND unit_id IS NOT NULL))
       ORDER BY p.year IS NULL, p.year, p.board, p.name`,
    )
    .all(id, id) as UnitParticipation[];
}

export function runs(db: Database, limit = 100): Array<Record<string, unknown>> {
  return db
    .prepare(
      `SELECT id, command, started_at, finished_at, status, seen, ingested, unchanged, changed, duplicate, moved, missing, reprocessed, skipped, failed, pages_failed
       FROM runs ORDER BY id DESC LIMIT ?`,
    )
    .all(limit) as Array<Record<string, unknown>>;
}

export function failures(db: Database, limit = 500): { rows: Array<Record<string, unknown>>; total: number } {
  return {
    rows: db.prepare('SELECT run_id, kind, code, name, path, reason, at FROM failures ORDER BY id DESC LIMIT ?').all(limit) as Array<Record<string, unknown>>,
    total: db.prepare('SELECT count(*) FROM failures').pluck().get() as number,
  };
}

/** The sha256 of the document a stored path belongs to (search hits name their file by path). */
export function shaOfPath(db: Database, path: string): string | undefined {
  return db.prepare('SELECT d.sha256 FROM files f JOIN documents d ON d.id = f.document_id WHERE f.path = ?').pluck().get(path) as string | undefined;
}

export interface PrefixHit {
  sha256: string;
  file: string;
  page: number;
  year: number | null;
  board: string | null;
  snippet: string;
}

/** A word as an FTS5 string: quoted, so that FTS5 syntax in it is taken literally. */
const ftsString = (w: string) => `"${w.replace(/"/g, '""')}"`;

function prefixWords(words: string): string[] {
  return words
    .split(/\s+/)
    .map((w) => w.replace(/^"+|"+$/g, '').replace(/\*+$/, ''))
    .filter(Boolean);
}

/** At most this many index terms stand for a beginning; more, and FTS5's own prefix query is read instead. */
const MAX_PREFIX_TERMS = 20;

/**
 * A beginning of a word as the index terms it stands for, `("t1" OR "t2" …)`, read from the index's
 * vocabulary (an fts5vocab table in the connection's temp schema: the read-only archive is not
 * written). FTS5 answers a prefix query (`"w"*`) by merging the page lists of every term that
 * begins so before it returns the first row: a beginning as common as `kvalitet` (every page) took
 * 15–30 ms even for 30 rows. The same terms as an OR are read lazily, in rowid order, up to the
 * LIMIT. undefined when the word is not one token as the tokenizer makes them (folded: lower case,
 * no diacritics) or begins more than MAX_PREFIX_TERMS terms.
 */
function prefixTerms(db: Database, word: string): string | undefined {
  const folded = foldWord(word);
  if (!/^[\p{L}\p{N}]+$/u.test(folded)) return undefined;
  // The vocabulary counts each term's pages as it reads them (5 ms for a beginning of every page):
  // the expansions are kept until the archive changes (data_version), at most PREFIX_CACHE of them.
  let cache = vocabCaches.get(db);
  const version = db.pragma('data_version', { simple: true }) as number;
  if (!cache || cache.version !== version) {
    db.exec("CREATE VIRTUAL TABLE IF NOT EXISTS temp.beslutsarkiv_pages_vocab USING fts5vocab(main, 'pages_fts', 'row')");
    cache = { version, terms: new Map() };
    vocabCaches.set(db, cache);
  }
  if (cache.terms.has(folded)) {
    const hit = cache.terms.get(folded);
    cache.terms.delete(folded);
    cache.terms.set(folded, hit);
    return hit;
  }
  const terms = (db.prepare('SELECT term FROM temp.beslutsarkiv_pages_vocab WHERE term >= ? AND term < ? LIMIT ?').pluck().all(folded, `${folded}\u{10FFFF}`, MAX_PREFIX_TERMS + 1) as string[]).filter((t) => t.startsWith(folded));
  const expanded = !terms.length || terms.length > MAX_PREFIX_TERMS ? undefined : `(${terms.map(ftsString).join(' OR ')})`;
  if (cache.terms.size >= PREFIX_CACHE) cache.terms.delete(cache.terms.keys().next().value!);
  cache.terms.set(folded, expanded);
  return expanded;
}
const PREFIX_CACHE = 256;
const vocabCaches = new WeakMap<Database, { version: number; terms: Map<string, string | undefined> }>();

/**
 * Pages whose words begin with the words given, in archive order (not ranked: ranking every page a
 * common beginning matches takes seconds at 100,000 documents), with FTS5 snippets (matches in
 * [brackets]); at most `limit`. Unfiltered only: a filter would be checked row by row after the
 * match, reading every matching page a narrow filter leaves out (100–190 ms at 100,000 documents);
 * the search page asks searchPaged (summary_pages) for filtered beginnings instead.
 */
export function prefixSearch(db: Database, words: string, limit: number): PrefixHit[] {
  const q = expandedPrefixQuery(db, words);
  if (!q) return [];
  return db
    .prepare(
      `SELECT d.sha256, d.file_name AS file, p.page, e.year, e.board, snippet(pages_fts, 0, '[', ']', '…', 10) AS snippet
       FROM pages_fts JOIN pages p ON p.rowid = pages_fts.rowid JOIN documents d ON d.id = p.document_id LEFT JOIN extractions e ON e.document_id = d.id
       WHERE pages_fts MATCH ? LIMIT ?`,
    )
    .all(q, limit) as PrefixHit[];
}

function expandedPrefixQuery(db: Database, words: string): string {
  return prefixWords(words)
    .map((w) => prefixTerms(db, w) ?? `${ftsString(w)}*`)
    .join(' AND '); // (FTS5 takes no implicit AND between parenthesized groups)
}

/** Matching pages read, at most, by prefixSearchFiltered before it gives up (a narrow filter). */
export const PREFIX_FILTER_READ = 2000;
/** A narrow filter's pages read at most by prefixSearchFiltered. */
const PREFIX_FILTER_PAGES = 2000;

/**
 * prefixSearch with the year and board of summary_pages (as searchPaged filters: the report's, else
 * the record's), reading at most PREFIX_FILTER_READ matching pages in archive order; when they leave
 * fewer than `limit` pages (a narrow filter), the filter's own pages, at most PREFIX_FILTER_PAGES,
 * matched here. undefined when that is more than the bounds allow (the caller then asks searchPaged, which
 * starts from the filter's pages).
 */
export function prefixSearchFiltered(db: Database, words: string, filters: { from?: number; to?: number; board?: string }, limit: number, most = PREFIX_FILTER_READ): PrefixHit[] | undefined {
  const q = expandedPrefixQuery(db, words);
  if (!q) return [];
  const where: string[] = [];
  const args: Array<string | number> = [];
  if (filters.from !== undefined) where.push('s.year >= ?') && args.push(filters.from);
  if (filters.to !== undefined) where.push('s.year <= ?') && args.push(filters.to);
  if (filters.board !== undefined) where.push('s.board = ?') && args.push(filters.board);
  const read = db.prepare('SELECT rowid FROM pages_fts WHERE pages_fts MATCH ? LIMIT ?').pluck().all(q, most + 1) as number[];
  const within = read.slice(0, most);
  if (!within.length) return [];
  let ids = db
    .prepare(`SELECT s.id FROM summary_pages s WHERE s.id IN (${within.map(() => '?').join(',')})${where.map((w) => ` AND ${w}`).join('')} ORDER BY s.id LIMIT ?`)
    .pluck()
    .all(...within, ...args, limit) as number[];
  // The words' beginnings folded as the tokenizer folds them (lower case, without diacritics).
  const folded = prefixWords(words).map(foldWord);
  if (ids.length < limit && read.length > most) {
    // A narrow filter: its pages in archive order (at most PREFIX_FILTER_PAGES), each page's text
    // folded and looked at here for words that begin so (as the tokenizer makes words: runs of
    // letters and digits), up to `limit` pages.
    if (!folded.every((w) => /^[\p{L}\p{N}]+$/u.test(w))) return undefined;
    const patterns = folded.map((w) => new RegExp(`(?<![\\p{L}\\p{N}])${w}`, 'u'));
    const pages = db.prepare(`SELECT s.id FROM summary_pages s WHERE 1${where.map((w) => ` AND ${w}`).join('')} ORDER BY s.id LIMIT ?`).pluck().all(...args, PREFIX_FILTER_PAGES + 1) as number[];
    const text = db.prepare('SELECT coalesce(repaired_text, text) FROM pages WHERE rowid = ?').pluck();
    ids = [];
    for (const id of pages.slice(0, PREFIX_FILTER_PAGES)) {
      const t = foldWord(String(text.get(id) ?? ''));
      if (patterns.every((p) => p.test(t)) && ids.push(id) >= limit) break;
    }
    if (ids.length < limit && pages.length > PREFIX_FILTER_PAGES) return undefined;
  }
  if (!ids.length) return [];
  // The snippets made here: FTS5 does not take the rowids as a constraint (it would read every match again).
  return (
    db
      .prepare(
        `SELECT d.sha256, d.file_name AS file, p.page, e.year, e.board, coalesce(p.repaired_text, p.text) AS text
         FROM pages p JOIN documents d ON d.id = p.document_id LEFT JOIN extractions e ON e.document_id = d.id
         WHERE p.rowid IN (${ids.map(() => '?').join(',')}) ORDER BY p.rowid`,
      )
      .all(...ids) as Array<Omit<PrefixHit, 'snippet'> & { text: string }>
  ).map(({ text, ...hit }) => ({ ...hit, snippet: prefixSnippet(text, folded) }));
}

const foldWord = (w: string) => w.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

/**
 * About `size` words of a text around its first word that begins with one of `beginnings`
 * (folded), the words that do in [brackets] as FTS5's snippet() marks them, `…` where text is left out.
 */
export function prefixSnippet(text: string, beginnings: string[], size = 10): string {
  const words = snippetWords(text, (w) => beginnings.some((b) => foldWord(w).startsWith(b)));
  if (!words.length) return '';
  const first = Math.max(0, words.findIndex((w) => w.hit));
  return snippetWindow(text, words, Math.max(0, Math.min(first - Math.floor(size / 3), words.length - size)), size);
}
