/**
 * The named queries' fast paths give the answers of the plain ones: on a small synthetic archive of
 * the real shape (renames, merges, reports archived twice, reports without year or board), each
 * answer read through the summaries and indexes of migration 13 is compared with the same question
 * asked of the detail tables (summaries marked stale), and with SQLite's own ordering. The plans are
 * checked with EXPLAIN QUERY PLAN: an index read in order, no table scan, no sort where none is needed.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeSyntheticArchive } from '../scripts/make-synthetic-archive.js';
import { runNamedQuery } from '../src/query/named.js';
import * as q from '../src/query/queries.js';
import { openDatabase } from '../src/store/database.js';
import { SCHEMA_VERSION } from '../src/store/migrations.js';
import { tempDir } from './helpers.js';

let path: string;
/** The same archive with its summaries marked stale: queries read the detail tables. */
let stalePath: string;
let db: Database;
let stale: Database;
let boards: string[];

beforeAll(() => {
  const dir = tempDir();
  path = join(dir, 'plans.sqlite');
  makeSyntheticArchive(path, 1500);
  stalePath = join(dir, 'stale.sqlite');
  copyFileSync(path, stalePath);
  const w = openDatabase(stalePath);
  w.prepare('UPDATE summary_state SET dirty = 1').run();
  w.close();
  db = openDatabase(path, { readonly: true });
  stale = openDatabase(stalePath, { readonly: true });
  expect(q.summariesFresh(db)).toBe(true);
  expect(q.summariesFresh(stale)).toBe(false);
  boards = db.prepare('SELECT DISTINCT board FROM extractions WHERE board IS NOT NULL ORDER BY board').pluck().all() as string[];
}, 120_000);

/** A board with reports that lack their year, one without a board, the largest, and a few others. */
function someBoards(): string[] {
  const largest = db.prepare('SELECT board FROM reports WHERE board IS NOT NULL GROUP BY board ORDER BY count(*) DESC LIMIT 1').pluck().get() as string;
  const noYear = db.prepare('SELECT board FROM reports WHERE year IS NULL AND board IS NOT NULL LIMIT 1').pluck().get() as string;
  return [...new Set([largest, noYear, ...boards.filter((_, i) => i % 7 === 0)])];
}

function filterSets(): q.Resolved[] {
  const out: q.Resolved[] = [];
  for (const board of [undefined, ...someBoards()]) {
    for (const [from, to] of [[undefined, undefined], [2019, undefined], [undefined, 2006], [2015, 2020], [2007, 2007], [2024, 2024], [1995, 1996]] as const) {
      if (board === undefined && from === undefined && to === undefined) continue;
      out.push({ board, from, to });
    }
  }
  return out;
}

describe('filtered search reads each page’s year and board from summary_pages', () => {
  it('has a row for every page with a year or a board, as its report (else its record) has them', () => {
    const want = db
      .prepare(
        `SELECT p.rowid AS id, coalesce(r.year, e.year) AS year, coalesce(r.board, e.board) AS board FROM pages p
         LEFT JOIN report_documents rd ON rd.document_id = p.document_id LEFT JOIN reports r ON r.id = rd.report_id
         LEFT JOIN extractions e ON e.document_id = p.document_id
         WHERE coalesce(r.year, e.year) IS NOT NULL OR coalesce(r.board, e.board) IS NOT NULL ORDER BY p.rowid`,
      )
      .all();
    expect(want.length).toBeGreaterThan(1000);
    expect(db.prepare('SELECT id, year, board FROM summary_pages ORDER BY id').all()).toEqual(want);
    // The shape that makes the branches of the detail query differ: reports without a year or a board.
    expect(db.prepare('SELECT count(*) FROM reports WHERE year IS NULL').pluck().get()).toBeGreaterThan(0);
    expect(db.prepare('SELECT count(*) FROM reports WHERE board IS NULL').pluck().get()).toBeGreaterThan(0);
  });

  it('finds the pages the detail tables find, for every kind of filter, whole or cut at `most`', () => {
    let compared = 0;
    for (const f of filterSets()) {
      const fresh = q.filteredPages(db, f);
      expect(fresh, JSON.stringify(f)).toEqual(q.filteredPages(stale, f));
      for (const most of [1, 7, 50]) expect(q.filteredPages(db, f, most), JSON.stringify({ f, most })).toEqual(q.filteredPages(stale, f, most));
      if (fresh?.length) compared++;
    }
    expect(compared).toBeGreaterThan(20);
  });

  it('answers every search as the detail tables do: rows, order, snippets, totals and the bounded note', () => {
    const words = ['kvalitetsutmarkelsen', 'hallbar', 'förskola*', 'anmäler', 'kvalitetsutmärkelsen 2019', 'nämnd'];
    let bounded = 0;
    let rows = 0;
    for (const w of words) {
      for (const f of filterSets()) {
        const a = q.searchPaged(db, w, f);
        expect(a, JSON.stringify({ w, f })).toEqual(q.searchPaged(stale, w, f));
        if (a.bounded) bounded++;
        rows += a.rows.length;
      }
    }
    expect(rows).toBeGreaterThan(500);
    expect(bounded).toBeGreaterThan(0);
  });

  it('reads an index, in rowid order for one year (of one board): no table scan, no sort', () => {
    const plan = (sql: string, ...args: unknown[]) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as Array<{ detail: string }>).map((r) => r.detail).join('\n');
    expect(plan('SELECT id FROM summary_pages WHERE 1 AND year = ? ORDER BY id LIMIT ?', 2020, 10)).toBe('SEARCH summary_pages USING COVERING INDEX summary_pages_year (year=?)');
    expect(plan('SELECT id FROM summary_pages WHERE 1 AND year = ? AND board = ? ORDER BY id LIMIT ?', 2020, boards[0], 10)).toBe('SEARCH summary_pages USING COVERING INDEX summary_pages_board (board=? AND year=?)');
    // A span of years: the index, then a sort of its pages.
    expect(plan('SELECT id FROM summary_pages WHERE 1 AND year >= ? AND year <= ? AND board = ? ORDER BY id LIMIT ?', 2015, 2020, boards[0], 10)).toMatch(/^SEARCH summary_pages USING COVERING INDEX summary_pages_board \(board=\? AND year>\? AND year<\?\)/);
  });
});

/** The counting of phrases in pages as FTS5's tokenizer would, the plain way (what the faster count replaced). */
function countByTokens(text: string, words: string): number[] {
  const tokens = (t: string) => t.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]+/g, '').split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  const toks = tokens(text);
  return words
    .split(/\s+/)
    .map((w) => ({ tokens: tokens(w.replace(/\*+$/, '')), prefix: w.endsWith('*') }))
    .filter((p) => p.tokens.length > 0)
    .map((p) => {
      let n = 0;
      const last = p.tokens.length - 1;
      outer: for (let i = 0; i + last < toks.length; i++) {
        for (let j = 0; j <= last; j++) {
          const t = toks[i + j]!;
          if (j === last && p.prefix ? !t.startsWith(p.tokens[j]!) : t !== p.tokens[j]) continue outer;
        }
        n++;
      }
      return n;
    });
}

describe('phrases counted in the folded text', () => {
  const searches = ['hallbar', 'kvalitetsutmarkelsen 2019', 'för*', 'stadsdelsnämnd', 'a', 'att att', 'Förskolan-Ekorren', 'förslag till beslut', 'x*', 'σας', '𝐀𝐁', 'istanbul', 'dz'];

  it('count as the tokens do, on hard texts: overlaps, hyphens, diacritics, other scripts, astral letters, combining marks', () => {
    const texts = [
      'att att att', 'a a a a', 'Förskolan Ekorren, förskolan-ekorren och FÖRSKOLAN  EKORREN.', 'för för-för för* förr fö', 'Förslag till beslut: förslag  till\nbeslut',
      'ǅ Σας ΣΑΣ İstanbul 𝐀𝐁 𝐀𝐁𝐂 a\u0301a HÅLLBAR hållbar, hållbart hallbar', 'dz ǆ Ǆ dž', 'x', '', '2019 2019-06-13 kvalitetsutmärkelsen 2019',
    ];
    for (const w of searches) for (const t of texts) expect(q.countPhrases(t, w), JSON.stringify({ w, t })).toEqual(countByTokens(t, w));
    // Words are phrases each; a hyphenated word is a phrase of its tokens, counted where it begins (overlapping).
    expect(q.countPhrases('att att att', 'att att')).toEqual([3, 3]);
    expect(q.countPhrases('att att att', 'att-att')).toEqual([2]);
    expect(q.countPhrases('Förskolan Ekorren och förskolan-ekorren', 'Förskolan-Ekorren')).toEqual([2]);
  });

  it('count as the tokens do in every page of the archive', () => {
    const texts = db.prepare('SELECT repaired_text FROM pages').pluck().all() as string[];
    let hits = 0;
    for (const w of searches.slice(0, 9)) {
      for (const t of texts) {
        const got = q.countPhrases(t, w);
        expect(got).toEqual(countByTokens(t, w));
        hits += got.every((n) => n > 0) ? 1 : 0;
      }
    }
    expect(hits).toBeGreaterThan(texts.length);
  });
});

describe('unit histories sorted here as SQLite sorts them', () => {
  it('gives the rows of ORDER BY year (none last), board, name, report, unit, for names of one and of many units', () => {
    const names = [...(db.prepare('SELECT name FROM distinct_units ORDER BY id LIMIT 8').pluck().all() as string[]), 'lönnen', 'ekorren', 'björken'];
    let many = 0;
    for (const name of names) {
      const ids = q.findUnitIdentities(db, name).map((i) => i.id);
      const want = ids.length
        ? db
            .prepare(
              `SELECT p.year, p.name, p.unit_id, p.board, p.department, p.class, p.operator, p.document_id AS report,
                      coalesce((SELECT r.files FROM reports r WHERE r.id = p.document_id), (SELECT file_name FROM documents WHERE id = p.document_id)) AS documents
               FROM participations p NOT INDEXED
               WHERE p.counted AND p.unit_id IN (SELECT unit_id FROM participations WHERE identity_id IN (${ids.map(() => '?').join(',')}))
               ORDER BY p.year IS NULL, p.year, p.board, p.name, p.document_id, p.unit_id`,
            )
            .all(...ids)
        : [];
      const got = q.unitHistory(db, name);
      expect(got, name).toEqual(want);
      if (new Set(got.map((r) => r.unit_id)).size > 1) many++;
    }
    expect(many).toBeGreaterThan(0);
  });

  it('query unit gives the first 100 rows (--limit for more) and says how many there are', () => {
    const name = ['lönnen', 'ekorren', 'björken', 'tallen', 'hemtjänsten', 'förskolan']
      .map((n) => ({ n, total: q.unitHistory(db, n).length }))
      .sort((a, b) => b.total - a.total)[0]!;
    expect(name.total).toBeGreaterThan(q.DEFAULT_LIST_LIMIT);
    const all = q.unitHistory(db, name.n);
    const first = runNamedQuery(db, 'unit', name.n, { filters: {} }, []);
    expect(first.rows).toEqual(all.slice(0, q.DEFAULT_LIST_LIMIT));
    expect(first.notes).toEqual([`showing the first ${q.DEFAULT_LIST_LIMIT} of ${name.total} rows; --limit ${name.total} shows them all`]);
    const five = runNamedQuery(db, 'unit', name.n, { filters: {}, limit: 5 }, ['limit']);
    expect(five.rows).toEqual(all.slice(0, 5));
    const whole = runNamedQuery(db, 'unit', name.n, { filters: {}, limit: name.total }, ['limit']);
    expect(whole.rows).toEqual(all);
    expect(whole.notes).toEqual([]);
    expect(q.unitHistoryPaged(db, name.n, { from: 2010 }, { limit: 3 })).toEqual({ rows: q.unitHistory(db, name.n, { from: 2010 }).slice(0, 3), total: q.unitHistory(db, name.n, { from: 2010 }).length });
  });

  it('orders texts by code point, as BINARY does (UTF-8), not by UTF-16 units', () => {
    const texts = ['b', 'a', 'ä', 'Ä', '\uffee', '𝐀', '\ue000', 'ab', '', 'A', 'å', 'ö', '\ud7ff'];
    const sqlite = db.prepare(`SELECT value FROM json_each(?) ORDER BY value`).pluck().all(JSON.stringify(texts));
    expect([...texts].sort(q.byCodePoint)).toEqual(sqlite);
    expect([null, 'a', null].sort(q.byCodePoint)).toEqual([null, null, 'a']);
  });

  it('reads its rows from covering indexes', () => {
    const plan = (db.prepare(
      `EXPLAIN QUERY PLAN SELECT p.year, p.name, p.unit_id, p.board, p.department, p.class, p.operator, p.document_id FROM participations p
       WHERE p.counted AND p.unit_id IN (SELECT unit_id FROM participations WHERE identity_id IN (1, 2))`,
    ).all() as Array<{ detail: string }>).map((r) => r.detail);
    expect(plan).toEqual([
      'SEARCH p USING COVERING INDEX participations_unit_rows (unit_id=?)',
      'LIST SUBQUERY 1',
      'SEARCH participations USING COVERING INDEX participations_identity_unit (identity_id=?)',
    ]);
  });
});

describe('incomplete and classes read their index in order', () => {
  it('incomplete: the first rows of reports_incomplete, no sort; the same rows as the table sorted', () => {
    const plan = (db.prepare(
      `EXPLAIN QUERY PLAN SELECT r.id FROM reports r INDEXED BY reports_incomplete WHERE r.missing IS NOT NULL ORDER BY r.year IS NULL, r.year, r.board IS NULL, r.board, r.id LIMIT 100`,
    ).all() as Array<{ detail: string }>).map((r) => r.detail);
    expect(plan).toEqual(['SCAN r USING INDEX reports_incomplete']);
    for (const f of filterSets()) {
      const w = openDatabase(stalePath, { readonly: true });
      expect(q.incomplete(db, f, { limit: 10_000 }), JSON.stringify(f)).toEqual(
        w
          .prepare(
            `SELECT r.id AS report, r.year, r.board, r.units, r.missing, r.documents, r.files FROM reports r NOT INDEXED WHERE r.missing IS NOT NULL
             ${f.board !== undefined ? 'AND r.board = @board' : ''} ${f.from !== undefined ? 'AND r.year >= @from' : ''} ${f.to !== undefined ? 'AND r.year <= @to' : ''}
             ORDER BY r.year IS NULL, r.year, r.board IS NULL, r.board, r.id`,
          )
          .all(Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined))),
      );
      w.close();
    }
    // The total (said when the first page is cut) from the other partial index, without the table.
    expect(db.prepare('EXPLAIN QUERY PLAN SELECT count(*) FROM reports r WHERE r.missing IS NOT NULL').all()).toEqual([expect.objectContaining({ detail: 'SEARCH r USING COVERING INDEX reports_missing (missing>?)' })]);
    const want = db
      .prepare(
        `SELECT r.id AS report, r.year, r.board, r.units, r.missing, r.documents, r.files FROM reports r NOT INDEXED
         WHERE r.missing IS NOT NULL ORDER BY r.year IS NULL, r.year, r.board IS NULL, r.board, r.id`,
      )
      .all();
    expect(want.length).toBeGreaterThan(10);
    expect(q.incomplete(db, {}, { limit: 10_000 })).toEqual(want);
    expect(q.incomplete(db, {}, { limit: 5 })).toEqual(want.slice(0, 5));
    expect(q.incompleteCount(db)).toBe(want.length);
  });

  it('classes: the same answer from the summary (its covering index) as from the detail tables', () => {
    const plan = (db.prepare(`EXPLAIN QUERY PLAN SELECT year, class, sum(reports) FROM summary_classes WHERE 1 GROUP BY year, class`).all() as Array<{ detail: string }>).map((r) => r.detail);
    expect(plan[0]).toBe('SCAN summary_classes USING COVERING INDEX summary_classes_year');
    expect(q.classesOffered(db).length).toBeGreaterThan(20);
    expect(q.classesOffered(db)).toEqual(q.classesOffered(stale));
    for (const f of filterSets().slice(0, 12)) expect(q.classesOffered(db, f)).toEqual(q.classesOffered(stale, f));
  });
});

describe('migration 13 on an archive of schema 12', () => {
  it('builds summary_pages and the indexes on an existing archive, with the answers unchanged', () => {
    const dir = tempDir();
    const old = join(dir, 'v12.sqlite');
    copyFileSync(path, old);
    const w = openDatabase(old);
    const before = w.prepare('SELECT id, year, board FROM summary_pages ORDER BY id').all();
    w.exec(`
      DROP TABLE summary_pages; DROP INDEX participations_unit_rows; DROP INDEX participations_identity_unit; DROP INDEX reports_incomplete; DROP INDEX summary_classes_year;
      DELETE FROM schema_migrations WHERE version >= 13; ALTER TABLE runs DROP COLUMN ocr_engine; -- and migration 14's, so that both run again
    `);
    w.pragma('user_version = 12');
    w.close();
    // A reader of the old schema (not upgraded) answers from the detail tables.
    const reader = openDatabase(old, { readonly: true });
    expect(q.filteredPages(reader, { from: 2020, to: 2020 })).toEqual(q.filteredPages(db, { from: 2020, to: 2020 }));
    reader.close();
    openDatabase(old).close(); // a writer: migration 13 runs
    const d = openDatabase(old, { readonly: true, current: true });
    expect(d.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(d.prepare('SELECT id, year, board FROM summary_pages ORDER BY id').all()).toEqual(before);
    expect(d.prepare("SELECT name FROM sqlite_master WHERE name IN ('reports_missing', 'reports_incomplete', 'participations_unit_rows', 'summary_classes_year') ORDER BY name").pluck().all()).toEqual([
      'participations_unit_rows',
      'reports_incomplete',
      'reports_missing',
      'summary_classes_year',
    ]);
    expect(q.searchPaged(d, 'hallbar', { from: 2019 })).toEqual(q.searchPaged(db, 'hallbar', { from: 2019 }));
    d.close();
  });
});
