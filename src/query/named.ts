/**
 * The named queries of `beslutsarkiv query`: what each takes, the columns it answers with (so an
 * empty answer still has its header), and the notes to show beside the answer (which board a
 * typed name matched, an answer cut at its limit). Options a query does not take are refused.
 */
import type { Database } from 'better-sqlite3';
import * as q from './queries.js';
import type { Filters, ParticipationKey, Row } from './queries.js';
import { QueryUsageError } from './queries.js';

export type QueryOption = 'from' | 'to' | 'board' | 'class' | 'by' | 'limit';

export interface QueryRequest {
  filters: Filters;
  /** participation: the keys to group by (`year`, `year,board`, `year,class`, `year,board,class`). */
  by?: string;
  /** search, unit, signatories, incomplete: most rows to return. */
  limit?: number;
}

export interface QueryAnswer {
  columns: string[];
  rows: Row[];
  /** One line each, for stderr: what a typed name matched, what was left out. */
  notes: string[];
}

interface NamedQuery {
  takes: QueryOption[];
  /** What the argument is, when the query needs one. */
  needs?: string;
  columns(db: Database, arg: string, r: QueryRequest): string[];
  run(db: Database, arg: string, r: QueryRequest): Row[];
}

const BY: ParticipationKey[][] = [['year'], ['year', 'board'], ['year', 'class'], ['year', 'board', 'class']];

function byKeys(by: string | undefined): ParticipationKey[] {
  const keys = (by ?? 'year').split(',').map((k) => k.trim());
  const ok = BY.find((b) => b.join(',') === keys.join(','));
  if (!ok) throw new QueryUsageError(`--by takes ${BY.map((b) => b.join(',')).join(', ')}, not "${by}"`);
  return ok;
}

export const NAMED_QUERIES: Record<string, NamedQuery> = {
  participation: {
    takes: ['from', 'to', 'board', 'class', 'by'],
    columns: (_db, _a, r) => [...byKeys(r.by), 'reports', 'units', 'participations'],
    run: (db, _a, r) => q.participation(db, byKeys(r.by), r.filters),
  },
  unit: {
    takes: ['from', 'to', 'board', 'class', 'limit'],
    needs: 'a unit name, e.g. beslutsarkiv query unit "Lönnen"',
    columns: () => ['year', 'name', 'unit_id', 'board', 'department', 'class', 'operator', 'report', 'documents'],
    run: (db, arg, r) => q.unitHistory(db, arg, r.filters, { limit: r.limit ?? q.DEFAULT_LIST_LIMIT }),
  },
  'unit-aliases': {
    takes: ['from', 'to', 'board', 'class'],
    columns: () => ['board', 'name', 'years', 'possibly_renamed_to', 'to_board', 'from', 'similarity'],
    run: (db, _a, r) => q.unitAliases(db, r.filters),
  },
  classes: {
    takes: ['from', 'to', 'board', 'class'],
    columns: () => ['year', 'class', 'label', 'reports'],
    run: (db, _a, r) => q.classesOffered(db, r.filters),
  },
  deadlines: {
    takes: ['from', 'to', 'board'],
    columns: () => ['year', 'kind', 'label', 'earliest', 'latest', 'reports'],
    run: (db, _a, r) => q.deadlines(db, r.filters),
  },
  boards: {
    takes: ['from', 'to', 'board', 'class'],
    columns: () => ['board', 'years', 'first', 'last', 'reports', 'units', 'participations'],
    run: (db, _a, r) => q.boards(db, r.filters),
  },
  signatories: {
    takes: ['from', 'to', 'board', 'limit'],
    columns: () => ['year', 'board', 'name', 'title', 'document'],
    run: (db, _a, r) => q.signatories(db, r.filters, { limit: r.limit }),
  },
  incomplete: {
    takes: ['from', 'to', 'board', 'limit'],
    columns: () => ['report', 'year', 'board', 'units', 'missing', 'documents', 'files'],
    run: (db, _a, r) => q.incomplete(db, r.filters, { limit: r.limit }),
  },
  sql: {
    takes: [],
    needs: 'a SELECT statement',
    columns: (db, arg) => q.sqlColumns(db, arg),
    run: (db, arg) => q.sql(db, arg),
  },
  search: {
    takes: ['from', 'to', 'board', 'limit'],
    needs: 'words to look for',
    columns: () => ['file', 'path', 'page', 'year', 'board', 'report', 'snippet'],
    run: (db, arg, r) => q.search(db, arg, r.filters, { limit: r.limit ?? q.DEFAULT_SEARCH_LIMIT }),
  },
};

export const QUERY_NAMES = Object.keys(NAMED_QUERIES);

const WHY_NOT: Partial<Record<QueryOption, string>> = {
  class: 'it is not about units',
  by: 'only participation is grouped',
  limit: 'only search, unit, signatories and incomplete are cut at a limit',
};

/** Runs a named query; refuses options it does not take (QueryUsageError, exit 2). */
export function runNamedQuery(db: Database, name: string, arg: string, request: QueryRequest, given: QueryOption[]): QueryAnswer {
  const named = NAMED_QUERIES[name];
  if (!named) throw new QueryUsageError(`no query named "${name}": use one of ${QUERY_NAMES.join(', ')}`);
  const refused = given.filter((o) => !named.takes.includes(o));
  if (refused.length) {
    const why = name === 'sql' ? 'write the condition into the SELECT' : refused.map((o) => WHY_NOT[o]).filter(Boolean)[0];
    throw new QueryUsageError(
      `query ${name} does not take ${refused.map((o) => `--${o}`).join(', ')}${why ? ` (${why})` : ''}; it takes ${named.takes.length ? named.takes.map((o) => `--${o}`).join(', ') : 'no filters'}`,
    );
  }
  if (named.needs && !arg) throw new QueryUsageError(`query ${name} needs ${named.needs}`);
  const notes: string[] = [];
  if (request.filters.board !== undefined) {
    const m = q.matchBoard(db, request.filters.board);
    if (m.how !== 'exact') notes.push(`--board "${request.filters.board}": ${m.board}`);
  }
  if (request.filters.class !== undefined) {
    const c = q.matchClass(request.filters.class);
    if (c !== request.filters.class) notes.push(`--class "${request.filters.class}": ${c}`);
  }
  if (name === 'search') {
    const { rows, total, bounded } = q.searchPaged(db, arg, request.filters, { limit: request.limit ?? q.DEFAULT_SEARCH_LIMIT });
    if (bounded) {
      notes.push(
        `ranked the ${total} matches among the ${bounded.pages} newest pages the filter keeps (${bounded.from} on); older pages were not searched: --from/--to narrow the search`,
      );
    } else if (total > rows.length) notes.push(`showing the best ${rows.length} of ${total} matching pages; --limit ${total} shows them all`);
    return { columns: named.columns(db, arg, request), rows, notes };
  }
  const limit = request.limit ?? q.DEFAULT_LIST_LIMIT;
  if (name === 'unit') {
    // The total comes with the rows (every participation of the name is read to sort them).
    const { rows, total } = q.unitHistoryPaged(db, arg, request.filters, { limit });
    if (total > rows.length) notes.push(`showing the first ${rows.length} of ${total} rows; --limit ${total} shows them all`);
    return { columns: named.columns(db, arg, request), rows, notes };
  }
  const rows = named.run(db, arg, request);
  const count = name === 'signatories' ? q.signatoriesCount : name === 'incomplete' ? q.incompleteCount : undefined;
  if (count && rows.length === limit) {
    const total = count(db, request.filters);
    if (total > rows.length) notes.push(`showing the first ${rows.length} of ${total} rows; --limit ${total} shows them all`);
  }
  return { columns: named.columns(db, arg, request), rows, notes };
}
