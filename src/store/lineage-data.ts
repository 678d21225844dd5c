/**
 * Board successions from a file: an archivist's own list (JSON or CSV) or the shipped list of
 * Stockholm's stadsdelsnämnder (src/data/stockholm-boards.json). Rows are validated with the zod
 * schemas of schemas/lineage.ts (a bad row is named by its line; nothing is imported then), matched
 * to the boards the archive names, and declared through `addSuccessions` (src/store/units.ts).
 * Importing is idempotent: a succession already declared with the same year and kind is left as it is.
 *
 * Nothing here runs by itself: an archive may hold other municipalities, whose boards share no
 * history with Stockholm's, so an archivist opts in (`beslutsarkiv lineage import --stockholm`).
 */
import { readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { z } from 'zod';
import { ShippedLineageSchema, SuccessionRowSchema, type SuccessionRow } from '../../schemas/lineage.js';
import { DATA_DIR } from '../repair/lexicon.js';
import { parseCsv } from '../review/queue.js';
import { addSuccessions, boardKey, listSuccessions, type Succession } from './units.js';

/** The shipped list of Stockholm's stadsdelsnämnder and their mergers. */
export const STOCKHOLM_BOARDS_FILE = join(DATA_DIR, 'stockholm-boards.json');

/** A succession read from a file, with the line it starts on. */
export type LineageRow = SuccessionRow & { line: number };

/** A file of successions that cannot be imported: every problem, each with its line. */
export class LineageFileError extends Error {
  override name = 'LineageFileError';
  constructor(
    readonly file: string,
    readonly problems: Array<{ line: number | null; reason: string }>,
  ) {
    const where = (p: { line: number | null }) => (p.line === null ? '' : `line ${p.line}: `);
    super(
      problems.length === 1
        ? `${file} ${where(problems[0]!)}${problems[0]!.reason}; nothing was imported`
        : `${file}: ${problems.length} problems, nothing was imported:\n${problems.map((p) => `  ${where(p)}${p.reason}`).join('\n')}`,
    );
  }
}

const FIELDS = ['board', 'successor', 'year', 'kind', 'source', 'note'] as const;

/** A zod issue said for a person, naming the field. */
function reasonOf(issue: z.core.$ZodIssue, row: unknown): string {
  const field = issue.path.find((p) => typeof p === 'string') as string | undefined;
  const value = field && row && typeof row === 'object' ? (row as Record<string, unknown>)[field] : undefined;
  const shown = value === undefined ? '' : ` ${JSON.stringify(value)}`;
  if (issue.code === 'unrecognized_keys') return `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')} (the fields are ${FIELDS.join(', ')})`;
  switch (field) {
    case 'board':
    case 'successor':
      return value === undefined || value === '' ? `${field} is missing` : `${field}${shown} is not a board name`;
    case 'year':
      return `year${shown} is not a year of four digits (leave it empty when unknown)`;
    case 'kind':
      return `kind${shown} is neither renamed nor merged`;
    case 'source':
      return `source${shown} is not a URL`;
    case 'note':
      return `note${shown} is not text`;
    default:
      return `a succession is an object with ${FIELDS.join(', ')}`;
  }
}

/** The line each element of the successions array starts on (the root array, or the root object's `successions`). */
function elementLines(text: string): number[] {
  const lines: number[] = [];
  const stack: string[] = [];
  let line = 1;
  let target = -1;
  let key = '';
  let lastString = '';
  let expectValue = true;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\n') {
      line++;
      continue;
    }
    if (ch === '"') {
      let s = '';
      for (i++; i < text.length && text[i] !== '"'; i++) {
        if (text[i] === '\\') s += text[++i] ?? '';
        else if (text[i] === '\n') line++;
        else s += text[i];
      }
      if (stack.length === target && stack.at(-1) === '[' && expectValue) lines.push(line);
      lastString = s;
      expectValue = false;
      continue;
    }
    if (/\s/.test(ch)) continue;
    if (ch === ':') {
      if (stack.length === 1 && stack[0] === '{') key = lastString;
      expectValue = true;
      continue;
    }
    if (ch === ',') {
      expectValue = true;
      continue;
    }
    if (ch === '[' || ch === '{') {
      if (stack.length === target && stack.at(-1) === '[' && expectValue) lines.push(line);
      stack.push(ch);
      if (ch === '[' && target < 0 && (stack.length === 1 || (stack.length === 2 && stack[0] === '{' && key === 'successions'))) target = stack.length;
      expectValue = true;
      continue;
    }
    if (ch === ']' || ch === '}') {
      stack.pop();
      expectValue = false;
      continue;
    }
    // A bare value (number, true, null …)
    if (stack.length === target && stack.at(-1) === '[' && expectValue) lines.push(line);
    while (i + 1 < text.length && !/[\s,\]}]/.test(text[i + 1]!)) i++;
    expectValue = false;
  }
  return lines;
}

/** The line and column of a character offset. */
function place(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** Successions from JSON text: an array of rows, or an object with `successions`. */
export function parseLineageJson(text: string, file: string): LineageRow[] {
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\ufeff/, ''));
  } catch (error) {
    const m = /position (\d+)/.exec((error as Error).message) ?? null;
    const lc = /line (\d+) column (\d+)/.exec((error as Error).message);
    const at = lc ? { line: Number(lc[1]), column: Number(lc[2]) } : m ? place(text, Number(m[1])) : null;
    throw new LineageFileError(file, [{ line: at?.line ?? null, reason: `not valid JSON${at ? ` (column ${at.column})` : ''}` }]);
  }
  const envelope = data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : undefined;
  const rows = Array.isArray(data) ? data : envelope?.successions;
  if (!Array.isArray(rows)) throw new LineageFileError(file, [{ line: null, reason: 'holds no list of successions (an array, or an object with "successions")' }]);
  const extra = envelope ? Object.keys(envelope).filter((k) => !['about', 'checked', 'successions'].includes(k)) : [];
  const starts = elementLines(text);
  const problems: Array<{ line: number | null; reason: string }> = extra.length
    ? [{ line: null, reason: `unknown field ${extra.map((k) => `"${k}"`).join(', ')} beside "successions" (about, checked and successions are known)` }]
    : [];
  const list: LineageRow[] = [];
  rows.forEach((row, i) => {
    const line = starts[i] ?? null;
    const parsed = SuccessionRowSchema.safeParse(row);
    if (parsed.success) list.push({ ...parsed.data, line: line ?? i + 1 });
    else problems.push(...parsed.error.issues.map((issue) => ({ line, reason: reasonOf(issue, row) })));
  });
  if (problems.length) throw new LineageFileError(file, dedupe(problems));
  return checkRows(list, file);
}

/**
 * Successions from CSV text with a header row naming its columns: board and successor, and any of
 * year, kind, source, note (`,` or `;` between fields, as Excel writes them).
 */
export function parseLineageCsv(text: string, file: string): LineageRow[] {
  const records = parseCsv(text);
  const header = records.shift();
  if (!header) throw new LineageFileError(file, [{ line: null, reason: 'is empty: the first line names the columns (board, successor, year, kind, source, note)' }]);
  const columns = header.cells.map((c) => c.trim().toLowerCase());
  const unknown = columns.filter((c) => !(FIELDS as readonly string[]).includes(c));
  const missing = ['board', 'successor'].filter((c) => !columns.includes(c));
  if (unknown.length || missing.length) {
    const reason = [
      missing.length ? `no ${missing.join(' or ')} column` : '',
      unknown.length ? `unknown column ${unknown.map((c) => `"${c}"`).join(', ')}` : '',
    ].filter(Boolean).join('; ');
    throw new LineageFileError(file, [{ line: header.line, reason: `${reason} (the columns are ${FIELDS.join(', ')}; board and successor are needed)` }]);
  }
  const problems: Array<{ line: number; reason: string }> = [];
  const rows: LineageRow[] = [];
  for (const { line, cells } of records) {
    if (cells.length > columns.length) {
      problems.push({ line, reason: `${cells.length} fields where the header names ${columns.length} (a field with a comma needs "quotes")` });
      continue;
    }
    const raw: Record<string, unknown> = {};
    columns.forEach((c, i) => {
      const v = (cells[i] ?? '').trim();
      if (c === 'year') raw.year = v === '' ? null : /^\d{4}$/.test(v) ? Number(v) : v;
      else if (v !== '') raw[c] = v;
    });
    const parsed = SuccessionRowSchema.safeParse(raw);
    if (parsed.success) rows.push({ ...parsed.data, line });
    else problems.push(...parsed.error.issues.map((issue) => ({ line, reason: reasonOf(issue, raw) })));
  }
  if (problems.length) throw new LineageFileError(file, dedupe(problems));
  return checkRows(rows, file);
}

function dedupe<T extends { line: number | null; reason: string }>(problems: T[]): T[] {
  const seen = new Set<string>();
  return problems.filter((p) => !seen.has(`${p.line}\u0000${p.reason}`) && !!seen.add(`${p.line}\u0000${p.reason}`));
}

/** Rows that say something impossible: a board succeeding itself, one pair given twice with different years or kinds. */
function checkRows(rows: LineageRow[], file: string): LineageRow[] {
  const problems: Array<{ line: number; reason: string }> = [];
  const seen = new Map<string, LineageRow>();
  for (const r of rows) {
    if (boardKey(r.board) === boardKey(r.successor)) {
      problems.push({ line: r.line, reason: `"${r.board}" cannot succeed itself` });
      continue;
    }
    const pair = `${boardKey(r.board)}>${boardKey(r.successor)}`;
    const earlier = seen.get(pair);
    if (earlier && (earlier.year !== r.year || earlier.kind !== r.kind)) {
      problems.push({ line: r.line, reason: `${r.board} → ${r.successor} is given on line ${earlier.line} too, with ${earlier.year ?? 'no year'} ${earlier.kind}` });
    }
    if (!earlier) seen.set(pair, r);
  }
  if (problems.length) throw new LineageFileError(file, problems);
  // The same succession twice is said once.
  return [...seen.values()];
}

/** Successions from a .json or .csv file (decided by its content when the extension says neither). */
export function readLineageFile(path: string): LineageRow[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new LineageFileError(path, [{ line: null, reason: code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder, not a file' : `cannot be read (${code})` }]);
  }
  const ext = extname(path).toLowerCase();
  const json = ext === '.json' || (ext !== '.csv' && /^\ufeff?\s*[[{]/.test(text));
  return json ? parseLineageJson(text, path) : parseLineageCsv(text, path);
}

/** The shipped successions of Stockholm's stadsdelsnämnder, every one with its source. */
export function stockholmBoards(): LineageRow[] {
  const text = readFileSync(STOCKHOLM_BOARDS_FILE, 'utf8');
  const file = basename(STOCKHOLM_BOARDS_FILE);
  const rows = parseLineageJson(text, file);
  const shipped = ShippedLineageSchema.safeParse(JSON.parse(text));
  if (!shipped.success) {
    const starts = elementLines(text);
    throw new LineageFileError(
      file,
      shipped.error.issues.map((issue) => {
        const index = issue.path.find((p) => typeof p === 'number') as number | undefined;
        return { line: index !== undefined ? (starts[index] ?? null) : null, reason: issue.path.includes('source') ? 'a shipped succession needs the URL of its source' : reasonOf(issue, undefined) };
      }),
    );
  }
  return rows;
}

/** What an import did (or, in a dry run, would do) with one succession. */
export interface ImportedSuccession {
  line: number;
  board: string;
  successor: string;
  year: number | null;
  kind: 'renamed' | 'merged';
  /** added: newly declared; updated: declared before with another year or kind; unchanged: declared before as it is. */
  status: 'added' | 'updated' | 'unchanged';
  /** Which of the two boards the archive names (a board not yet in it still gets its lineage for later reports). */
  in_archive: 'both' | 'board' | 'successor' | 'neither';
}

/** A board's key with the genitive -s before `stadsdelsnämnd` dropped: `Hägersten-Liljeholmens` and `Hägersten-Liljeholmen` are one board. */
function looseKey(board: string): string {
  return boardKey(board).replace(/s?(stadsdelsnamnd)(en)?$/u, '$1');
}

/** The boards the archive names (extractions and participations, corrections included). */
function archiveBoards(db: Database): string[] {
  return db
    .prepare('SELECT board FROM extractions WHERE current AND board IS NOT NULL UNION SELECT board FROM participations WHERE board IS NOT NULL')
    .pluck()
    .all() as string[];
}

/**
 * Declares the successions through `addSuccessions`: each name as the archive spells it when the
 * archive names that board (by its folded name, the genitive -s forgiven), else as given. Already
 * declared successions with the same year and kind are left alone, and a year the file leaves open
 * keeps the year declared before; `dryRun` writes nothing. The new and updated successions are
 * written in one transaction and every participation's distinct unit is recomputed once after
 * them (`onDeclare` is told of each as it is written, before that recompute).
 */
export function importSuccessions(
  db: Database,
  rows: LineageRow[],
  options: { dryRun?: boolean; onDeclare?: (succession: { board: string; successor: string }, done: number, of: number) => void } = {},
): ImportedSuccession[] {
  const boards = archiveBoards(db);
  const byKey = new Map<string, string[]>();
  const byLoose = new Map<string, string[]>();
  for (const b of boards) {
    byKey.set(boardKey(b), [...(byKey.get(boardKey(b)) ?? []), b]);
    byLoose.set(looseKey(b), [...(byLoose.get(looseKey(b)) ?? []), b]);
  }
  const resolveName = (name: string): { name: string; found: boolean } => {
    if (boards.includes(name)) return { name, found: true };
    const hits = byKey.get(boardKey(name)) ?? byLoose.get(looseKey(name)) ?? [];
    return hits.length === 1 ? { name: hits[0]!, found: true } : { name, found: hits.length > 1 };
  };
  const declared = new Map(listSuccessions(db).map((s) => [`${boardKey(s.board)}>${boardKey(s.successor)}`, s]));
  const out: ImportedSuccession[] = [];
  const write: Succession[] = [];
  for (const r of rows) {
    const a = resolveName(r.board);
    const b = resolveName(r.successor);
    const existing = declared.get(`${boardKey(a.name)}>${boardKey(b.name)}`);
    // A year left open in the file does not erase the year an archivist declared.
    const year = r.year ?? existing?.year ?? null;
    const status = !existing ? 'added' : existing.year === year && existing.kind === r.kind ? 'unchanged' : 'updated';
    // An update keeps the names it was declared with (they are the row's key).
    const names = existing ? { board: existing.board, successor: existing.successor } : { board: a.name, successor: b.name };
    if (status !== 'unchanged') write.push({ ...names, year, kind: r.kind });
    out.push({
      line: r.line,
      ...names,
      year,
      kind: r.kind,
      status,
      in_archive: a.found && b.found ? 'both' : a.found ? 'board' : b.found ? 'successor' : 'neither',
    });
  }
  if (!options.dryRun && write.length) {
    write.forEach((s, i) => options.onDeclare?.(s, i, write.length));
    addSuccessions(db, write);
  }
  return out;
}
