/**
 * The web app's routes (Hono): server-rendered, escaped HTML over the same library functions as the
 * CLI, on one read-only connection; review writes go through the writer lock (withCorrectionLock).
 * Every filter lives in the URL; a bad parameter is a 400 page with the reason; nothing from a
 * request reaches the file system (static files are an in-memory map, sources are served only from
 * the path the database records).
 */
import type { Database } from 'better-sqlite3';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import {
  boards, classesOffered, CorrectionError, DatabaseLockedError, deadlines, defaultUser, evidenceKey, findUnitIdentities, LABELS,
  makeCorrections, matchBoard, matchClass, NAMED_QUERIES, participation, QueryUsageError, ReadOnlyQueryError, reviewDocument, reviewQueue, runNamedQuery, searchPaged,
  toCsv, toJson, unitAliases, withCorrectionLock, type DocumentReview, type Extraction, type Filters, type QueryOption, type ReviewRow,
} from '../index.js';
import { barChart, lineChart, seriesBy } from './charts.js';
import {
  documentBySha, documentFacets, documentFiles, documentPages, failures, identityHistory, identityName, listDocuments, prefixSearch, prefixSearchFiltered, runs, servableSource, shaOfPath, MAX_OFFSET_PAGE, PAGE_SIZE, type DocumentFilters,
} from './data.js';
import { layout, qs, show, table } from './layout.js';
import { STATIC_FILES } from './static.js';

export interface AppOptions {
  /** The read-only connection every page reads. */
  db: Database;
  /** The database file, for review writes (opened per write, under the writer lock). */
  dbPath: string;
  /** Required on every request when set (`?token=` once, then a cookie). */
  token?: string;
  /** Bound to a loopback address: requests must name a loopback host (no DNS rebinding). */
  loopback: boolean;
  /** Names the cookies (cookies do not tell ports apart); read at each request. */
  cookieSuffix: () => string;
  /** Who makes corrections made here, unless the form names someone. */
  user?: string;
}

/** A request the app cannot answer as asked: 400 with this reason. */
export class BadRequest extends Error {
  override name = 'BadRequest';
}

class NotFound extends Error {
  override name = 'NotFound';
}

export const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

const SHA = /^[0-9a-f]{64}$/;
const LOOPBACK_HOST = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

const safeEqual = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** One query parameter, trimmed; empty is absent. */
function param(c: Context, name: string): string | undefined {
  const v = c.req.query(name);
  if (v === undefined) return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

function yearParam(c: Context, name: string): number | undefined {
  const v = param(c, name);
  if (v === undefined) return undefined;
  if (!/^\d{4}$/.test(v)) throw new BadRequest(`${name} takes a year of four digits, e.g. 2017, not "${v}"`);
  return Number(v);
}

function intParam(c: Context, name: string, max: number): number | undefined {
  const v = param(c, name);
  if (v === undefined) return undefined;
  if (!/^\d{1,9}$/.test(v) || Number(v) < 1 || Number(v) > max) throw new BadRequest(`${name} takes a whole number from 1 to ${max}, not "${v}"`);
  return Number(v);
}

function flagParam(c: Context, name: string): boolean | undefined {
  const v = param(c, name);
  if (v === undefined) return undefined;
  if (/^(1|yes|ja|true)$/i.test(v)) return true;
  if (/^(0|no|nej|false)$/i.test(v)) return false;
  throw new BadRequest(`${name} takes 1 (yes) or 0 (no), not "${v}"`);
}

function choiceParam<T extends string>(c: Context, name: string, choices: readonly T[]): T | undefined {
  const v = param(c, name);
  if (v === undefined) return undefined;
  if (!(choices as readonly string[]).includes(v)) throw new BadRequest(`${name} takes one of ${choices.join(', ')}, not "${v}"`);
  return v as T;
}

/** The trend filters of a request, checked (from ≤ to) and resolved to stored names (board, class key). */
function trendFilters(c: Context, db: Database): Filters {
  const from = yearParam(c, 'from');
  const to = yearParam(c, 'to');
  if (from !== undefined && to !== undefined && from > to) throw new BadRequest(`from ${from} is after to ${to}`);
  const board = param(c, 'board');
  const klass = param(c, 'class');
  return { from, to, board: board === undefined ? undefined : matchBoard(db, board).board, class: klass === undefined ? undefined : matchClass(klass) };
}

const classLabel = (k: unknown) => (k === null || k === undefined ? '' : (LABELS.class[String(k)] ?? String(k)));
const kindLabel = (k: unknown) => (k === null || k === undefined ? '' : (LABELS.date_kind[String(k)] ?? String(k)));
const boardName = (b: unknown) => (b === null || b === undefined || b === '' ? 'okänd nämnd' : String(b));

interface Marks {
  /** evidence key → the number of its mark */
  numbers: Map<string, number>;
  /** page → its marked ranges, in order, not overlapping */
  ranges: Map<number, Array<{ start: number; end: number; n: number }>>;
}

/** Numbers the evidence ranges of a record, page by page (overlapping ranges become one mark). */
function evidenceMarks(evidence: Extraction['evidence'], pages: Map<number, string>): Marks {
  const all = Object.entries(evidence)
    .filter(([, e]) => e.end > e.start && e.end <= (pages.get(e.page)?.length ?? -1))
    .sort(([, a], [, b]) => a.page - b.page || a.start - b.start || b.end - a.end);
  const numbers = new Map<string, number>();
  const ranges = new Map<number, Array<{ start: number; end: number; n: number }>>();
  let n = 0;
  for (const [key, e] of all) {
    const list = ranges.get(e.page) ?? ranges.set(e.page, []).get(e.page)!;
    const last = list[list.length - 1];
    if (last && e.start < last.end) {
      last.end = Math.max(last.end, e.end);
      numbers.set(key, last.n);
    } else {
      list.push({ start: e.start, end: e.end, n: ++n });
      numbers.set(key, n);
    }
  }
  return { numbers, ranges };
}

function markedText(text: string, ranges: Array<{ start: number; end: number; n: number }>) {
  const parts: unknown[] = [];
  let at = 0;
  for (const r of ranges) {
    parts.push(text.slice(at, r.start), html`<mark data-testid="evidence" id="evidence-${r.n}">${text.slice(r.start, r.end)}</mark>`);
    at = r.end;
  }
  parts.push(text.slice(at));
  return html`${parts}`;
}

/** A search snippet (matches in [brackets]) as escaped text with <mark>s. */
function snippetHtml(snippet: string) {
  const parts: unknown[] = [];
  let at = 0;
  for (const m of snippet.matchAll(/\[([^[\]]*)\]/g)) {
    parts.push(snippet.slice(at, m.index), html`<mark>${m[1]}</mark>`);
    at = m.index! + m[0].length;
  }
  parts.push(snippet.slice(at));
  return html`${parts}`;
}

function errorPage(c: Context, status: 400 | 401 | 403 | 404 | 409 | 500, title: string, message: string, current = '') {
  c.status(status);
  return c.html(layout(title, current, html`<h1>${title}</h1><p class="error" role="alert" data-testid="error">${message}</p><p><a href="/trends">Till trenderna</a></p>`));
}

/**
 * Answers by their resolved request, dropped as soon as the archive changes (SQLite's data_version
 * moves when any other connection commits: an ingest, a correction made here), so an answer is
 * never stale. Least recently used first out, bounded both in entries and in bytes (an answer
 * larger than an eighth of the bytes is not kept): the server's memory stays flat however many
 * distinct filters are asked for.
 */
export class AnswerCache<T extends string | { body: string }> {
  private entries = new Map<string, T>();
  private bytes = 0;
  private version = -1;
  constructor(
    private readonly db: Database,
    private readonly size = 64,
    private readonly maxBytes = 8 * 1024 * 1024,
  ) {}
  private static weigh(v: string | { body: string }): number {
    // Two bytes a character, as V8 holds a string with å/ä/ö beyond Latin-1 (one-byte strings take half).
    return (typeof v === 'string' ? v : v.body).length * 2;
  }
  /** Drops everything when the archive changed since the last look. */
  private sync(): void {
    const version = this.db.pragma('data_version', { simple: true }) as number;
    if (version !== this.version) {
      this.entries.clear();
      this.bytes = 0;
      this.version = version;
    }
  }
  get(key: string): T | undefined {
    this.sync();
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }
  set(key: string, value: T): T {
    this.sync();
    const weight = AnswerCache.weigh(value);
    if (weight > this.maxBytes / 8) return value;
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.entries.delete(key);
      this.bytes -= AnswerCache.weigh(old);
    }
    while (this.entries.size && (this.entries.size >= this.size || this.bytes + weight > this.maxBytes)) {
      const [oldest, v] = this.entries.entries().next().value!;
      this.entries.delete(oldest);
      this.bytes -= AnswerCache.weigh(v);
    }
    this.entries.set(key, value);
    this.bytes += weight;
    return value;
  }
  /** Entries and bytes held (for tests). */
  get held(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }
}

/** Search hits on a page. */
const SEARCH_PAGE = 30;

export const LOCKED_MESSAGE = 'an ingest is running, try again';

/** A document's review (`review <sha>`), or undefined when it has no extracted record (it failed, or was never extracted). */
function documentReview(db: Database, sha256: string): DocumentReview | undefined {
  try {
    return reviewDocument(db, sha256);
  } catch (error) {
    if (error instanceof CorrectionError) return undefined;
    throw error;
  }
}

export function createApp(options: AppOptions): Hono {
  const { db } = options;
  const secret = randomBytes(32);
  const app = new Hono();
  const cookie = (name: string) => `beslutsarkiv_${name}_${options.cookieSuffix()}`;
  const csrfOf = (session: string) => createHmac('sha256', secret).update(session).digest('base64url');
  const csrf = (c: Context) => c.get('csrf' as never) as unknown as string;

  const trendsCache = new AnswerCache<string>(db, 64, 8 * 1024 * 1024);
  // The named queries' answers: a count for a note (query signatories counts every signatory, 25 ms at 100,000 documents) is read once per archive version.
  const apiCache = new AnswerCache<{ body: string; headers: Record<string, string> }>(db, 128, 16 * 1024 * 1024);
  const reviewCache = new AnswerCache<string>(db, 8, 8 * 1024 * 1024);

  // Security headers on every answer, errors included; the time the server spent (Server-Timing, read by scripts/bench-serve.ts).
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    c.res.headers.set('Server-Timing', `app;dur=${(performance.now() - started).toFixed(1)}`);
    c.res.headers.set('Content-Security-Policy', c.res.headers.get('Content-Security-Policy') ?? CSP);
    c.res.headers.set('X-Content-Type-Options', 'nosniff');
    c.res.headers.set('Referrer-Policy', 'no-referrer');
    c.res.headers.set('X-Frame-Options', 'DENY');
    c.res.headers.set('Cross-Origin-Opener-Policy', 'same-origin');
    if (!c.res.headers.has('Cache-Control')) c.res.headers.set('Cache-Control', 'no-store');
  });

  // Loopback: only loopback host names (a rebound DNS name pointing here is refused).
  app.use('*', async (c, next) => {
    if (options.loopback) {
      // The URL's host is the request's Host header (node-server builds the URL from it).
      const host = new URL(c.req.url).hostname;
      if (!LOOPBACK_HOST.test(host)) return errorPage(c, 403, 'Fel värdnamn', `this server answers requests to 127.0.0.1 or localhost only, not to "${host}"`);
    }
    return next();
  });

  // The access token: required on every request when set.
  app.use('*', async (c, next) => {
    const token = options.token;
    if (!token) return next();
    const given = c.req.query('token');
    if (given !== undefined && safeEqual(given, token)) {
      setCookie(c, cookie('token'), token, { httpOnly: true, sameSite: 'Strict', path: '/' });
      if (c.req.method === 'GET') {
        const url = new URL(c.req.url);
        url.searchParams.delete('token');
        return c.redirect(`${url.pathname}${url.search}`, 303);
      }
      return next();
    }
    const had = getCookie(c, cookie('token'));
    if (had !== undefined && safeEqual(had, token)) return next();
    return errorPage(c, 401, 'Åtkomstnyckel krävs', 'An access token is needed: open the URL that beslutsarkiv serve printed (it ends in ?token=…).');
  });

  // A session (random, HttpOnly cookie) and its CSRF token for the review forms.
  app.use('*', async (c, next) => {
    let session = getCookie(c, cookie('session'));
    if (!session || !/^[A-Za-z0-9_-]{32,64}$/.test(session)) {
      session = randomBytes(24).toString('base64url');
      setCookie(c, cookie('session'), session, { httpOnly: true, sameSite: 'Strict', path: '/' });
    }
    c.set('csrf' as never, csrfOf(session) as never);
    return next();
  });

  app.onError((error, c) => {
    if (error instanceof BadRequest || error instanceof QueryUsageError || error instanceof ReadOnlyQueryError) {
      if (c.req.path.startsWith('/api/')) return c.json({ error: error.message }, 400);
      return errorPage(c, 400, 'Felaktig fråga', error.message);
    }
    if (error instanceof NotFound) return errorPage(c, 404, 'Hittades inte', error.message);
    if (error instanceof DatabaseLockedError) return errorPage(c, 409, 'Arkivet är upptaget', `${LOCKED_MESSAGE}: ${error.message}`);
    process.stderr.write(`beslutsarkiv serve: ${c.req.method} ${c.req.path}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return errorPage(c, 500, 'Internt fel', 'Something went wrong on the server; the details are in the server log.');
  });
  app.notFound((c) => errorPage(c, 404, 'Hittades inte', `there is no page ${c.req.path}`));

  app.get('/', (c) => c.redirect('/trends', 302));

  app.get('/static/:name', (c) => {
    const file = STATIC_FILES.get(c.req.param('name'));
    if (!file) throw new NotFound('no such static file');
    return c.body(file.body, 200, { 'Content-Type': file.type, 'Cache-Control': 'max-age=3600' });
  });

  // ---- Trends
  app.get('/trends', (c) => {
    const f = trendFilters(c, db);
    const key = JSON.stringify(f);
    const cached = trendsCache.get(key);
    if (cached !== undefined) return c.html(cached);
    const byYear = participation(db, ['year'], f);
    const byBoard = participation(db, ['year', 'board'], f);
    const byClass = participation(db, ['year', 'class'], f);
    // Over all years (or one) the per-board table is the boards query, a row a board, from its summary
    // (the year-by-board rows, hundreds at 100,000 documents, are a download); over a span of years,
    // which boards() counts from the detail tables, the span's year-by-board rows.
    const perBoard = f.from === undefined && f.to === undefined ? boards(db, f) : undefined;
    const classes = classesOffered(db, f);
    const dates = deadlines(db, { from: f.from, to: f.to, board: f.board });
    const boardNames = (boards(db) as Array<{ board: string | null }>).map((r) => r.board).filter((b): b is string => !!b).sort((a, b) => a.localeCompare(b, 'sv'));
    const filterQs = (extra: Record<string, string>) => qs({ from: f.from, to: f.to, board: f.board, class: f.class, ...extra });
    const downloads = (name: string, extra: Record<string, string> = {}, own: Filters = f) => {
      const q = (format: string) => qs({ from: own.from, to: own.to, board: own.board, class: own.class, ...extra, format });
      return html`<p class="downloads">Ladda ned: <a data-testid="download-csv" href="/api/query/${name}${q('csv')}">CSV</a> <a data-testid="download-json" href="/api/query/${name}${q('json')}">JSON</a></p>`;
    };
    void filterQs;
    const units = new Map(byYear.filter((r) => r.year !== null).map((r) => [Number(r.year), Number(r.units)]));
    const filtersSaid = [f.from !== undefined || f.to !== undefined ? `${f.from ?? '…'}–${f.to ?? '…'}` : '', f.board ?? '', f.class ? classLabel(f.class) : ''].filter(Boolean).join(', ');
    const body = html`<h1>Deltagande i Kvalitetsutmärkelsen${filtersSaid ? html` <span class="muted">(${filtersSaid})</span>` : ''}</h1>
<form class="filters" data-testid="filters" method="get" action="/trends" role="search" aria-label="Filter">
<label>Från år <input name="from" inputmode="numeric" pattern="[0-9]{4}" size="6" value="${f.from ?? ''}"></label>
<label>Till år <input name="to" inputmode="numeric" pattern="[0-9]{4}" size="6" value="${f.to ?? ''}"></label>
<label>Nämnd <select name="board"><option value="">Alla nämnder</option>${boardNames.map((b) => html`<option value="${b}"${b === f.board ? html` selected` : ''}>${b}</option>`)}</select></label>
<label>Klass <select name="class"><option value="">Alla klasser</option>${Object.entries(LABELS.class).map(([k, l]) => html`<option value="${k}"${k === f.class ? html` selected` : ''}>${l}</option>`)}</select></label>
<button type="submit">Visa</button> <a href="/trends">Rensa</a>
</form>
<section aria-labelledby="h-part">
<h2 id="h-part">Deltagande enheter per år</h2>
${barChart('chart-participation', 'Deltagande enheter per år', 'Enheter', units)}
${table('table-participation', byYear, [['year', 'År', (v) => v ?? 'okänt år'], ['reports', 'Rapporter'], ['units', 'Enheter'], ['participations', 'Deltaganden']], 'Deltagande per år')}
${downloads('participation')}
</section>
<div class="grid2">
<section aria-labelledby="h-board">
<h2 id="h-board">Per nämnd</h2>
${lineChart('chart-board', 'Enheter per nämnd och år', 'Enheter', seriesBy(byBoard, 'board', 'units', boardName))}
${perBoard
  ? html`${table('table-board', perBoard, [['board', 'Nämnd', (v) => boardName(v)], ['first', 'Första år'], ['last', 'Senaste år'], ['years', 'År'], ['units', 'Enheter'], ['reports', 'Rapporter']], 'Deltagande per nämnd')}
${downloads('boards')}
<p class="downloads">Per nämnd och år: <a data-testid="download-csv-by-board" href="/api/query/participation${qs({ from: f.from, to: f.to, board: f.board, class: f.class, by: 'year,board', format: 'csv' })}">CSV</a> <a data-testid="download-json-by-board" href="/api/query/participation${qs({ from: f.from, to: f.to, board: f.board, class: f.class, by: 'year,board', format: 'json' })}">JSON</a></p>`
  : html`${table('table-board', byBoard, [['year', 'År'], ['board', 'Nämnd', (v) => boardName(v)], ['units', 'Enheter'], ['reports', 'Rapporter']], 'Deltagande per nämnd och år')}
${downloads('participation', { by: 'year,board' })}`}
</section>
<section aria-labelledby="h-class">
<h2 id="h-class">Per klass</h2>
${lineChart('chart-class', 'Enheter per klass och år', 'Enheter', seriesBy(byClass, 'class', 'units', classLabel))}
${table('table-class', byClass, [['year', 'År'], ['class', 'Klass', classLabel], ['units', 'Enheter'], ['reports', 'Rapporter']], 'Deltagande per klass och år')}
${downloads('participation', { by: 'year,class' })}
</section>
</div>
<section aria-labelledby="h-classes">
<h2 id="h-classes">Klasser som erbjöds per år</h2>
${table('table-classes', classes, [['year', 'År'], ['label', 'Klass'], ['reports', 'Rapporter']], 'Klasser per år')}
${downloads('classes')}
</section>
<section aria-labelledby="h-deadlines">
<h2 id="h-deadlines">Datum och sista dagar</h2>
${f.class ? html`<p class="note">Datumen gäller rapporterna, inte klasserna: klassfiltret används inte här.</p>` : ''}
${table('table-deadlines', dates, [['year', 'År'], ['label', 'Vad'], ['earliest', 'Tidigast'], ['latest', 'Senast'], ['reports', 'Rapporter']], 'Datum per år')}
${downloads('deadlines', {}, { from: f.from, to: f.to, board: f.board })}
</section>`;
    return c.html(trendsCache.set(key, String(layout('Trender', '/trends', body))));
  });

  // ---- The named queries as CSV/JSON (the same rows as `beslutsarkiv query <name>`)
  app.get('/api/query/:name', (c) => {
    const name = c.req.param('name');
    if (name === 'sql') throw new BadRequest('query sql is not served over HTTP: run beslutsarkiv query sql, or open the database read-only in Datasette');
    if (!NAMED_QUERIES[name]) throw new BadRequest(`no query named "${name}": use one of ${Object.keys(NAMED_QUERIES).filter((n) => n !== 'sql').join(', ')}`);
    const format = param(c, 'format') ?? 'json';
    if (format !== 'csv' && format !== 'json') throw new BadRequest(`format takes csv or json, not "${format}"`);
    const known = new Set(['from', 'to', 'board', 'class', 'by', 'limit', 'q', 'format', 'token']);
    const unknown = Object.keys(c.req.queries()).filter((k) => !known.has(k));
    if (unknown.length) throw new BadRequest(`unknown parameter ${unknown.map((k) => `"${k}"`).join(', ')}: the parameters are from, to, board, class, by, limit, q, format`);
    const from = yearParam(c, 'from');
    const to = yearParam(c, 'to');
    const limit = intParam(c, 'limit', 100_000);
    const filters: Filters = { from, to, board: param(c, 'board'), class: param(c, 'class') };
    const given = (['from', 'to', 'board', 'class', 'by', 'limit'] as QueryOption[]).filter((k) => param(c, k) !== undefined);
    const key = JSON.stringify([name, format, from, to, filters.board, filters.class, param(c, 'by'), limit, param(c, 'q')]);
    const cached = apiCache.get(key);
    if (cached) return c.body(cached.body, 200, cached.headers);
    const answer = runNamedQuery(db, name, param(c, 'q') ?? '', { filters, by: param(c, 'by'), limit }, given);
    const rows = limit ? answer.rows.slice(0, limit) : answer.rows;
    const headers: Record<string, string> = {};
    if (answer.notes.length) headers['X-Query-Notes'] = encodeURIComponent(answer.notes.join('\n'));
    const made =
      format === 'csv'
        ? { body: toCsv(answer.columns, rows), headers: { ...headers, 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="${name}.csv"` } }
        : { body: toJson(rows), headers: { ...headers, 'Content-Type': 'application/json; charset=utf-8' } };
    apiCache.set(key, made);
    return c.body(made.body, 200, made.headers);
  });

  // ---- Units
  app.get('/units', (c) => {
    const q = param(c, 'q');
    if (q !== undefined && q.length > 200) throw new BadRequest('q is longer than 200 characters');
    const hits = q === undefined ? [] : findUnitIdentities(db, q);
    const body = html`<h1>Enheter</h1>
<form class="inline" data-testid="unit-search" method="get" action="/units" role="search">
<label>Enhetens namn (som query unit: versaler, å/ä/ö och bestämd form spelar ingen roll) <input name="q" type="search" value="${q ?? ''}" autofocus></label>
<button type="submit">Sök</button>
</form>
${q === undefined ? html`<p class="muted">Skriv ett namn eller en del av det, t.ex. Lönnen.</p>` : hits.length ? html`<ul>${hits.map((h) => html`<li><a data-testid="unit-link" href="/units/${h.id}">${h.name}</a></li>`)}</ul>` : html`<p data-testid="no-units">Ingen enhet heter så.</p>`}`;
    return c.html(layout('Enheter', '/units', body));
  });

  app.get('/units/:id', (c) => {
    const id = c.req.param('id');
    if (!/^\d{1,9}$/.test(id)) throw new NotFound(`no unit ${id}`);
    const name = identityName(db, Number(id));
    if (name === undefined) throw new NotFound(`no unit ${id}`);
    const history = identityHistory(db, Number(id));
    const names = new Set(history.map((h) => h.name).concat(name));
    const renames = unitAliases(db).filter((a) => names.has(String(a.name)) || names.has(String(a.possibly_renamed_to)));
    const body = html`<h1>${name}</h1>
<p class="muted">${history.length} deltaganden${names.size > 1 ? html` under namnen ${[...names].join(', ')}` : ''}.</p>
${table('unit-history', history as unknown as Array<Record<string, unknown>>, [
  ['year', 'År', (v) => v ?? 'okänt år'],
  ['name', 'Namn'],
  ['board', 'Nämnd', boardName],
  ['department', 'Avdelning'],
  ['class', 'Klass', classLabel],
  ['operator', 'Regi', (v) => (v ? (LABELS.operator[String(v)] ?? String(v)) : '')],
  ['file_name', 'Dokument', (v, r) => html`<a data-testid="document-link" href="/documents/${String(r.sha256)}">${show(v)}</a>`],
], 'Enhetens historik')}
<h2>Möjliga namnbyten</h2>
<p class="note">Föreslagna, aldrig sammanslagna: bekräfta med <code>beslutsarkiv alias add</code>.</p>
${table('unit-renames', renames, [['board', 'Nämnd', boardName], ['name', 'Namn'], ['years', 'År'], ['possibly_renamed_to', 'Kanske omdöpt till'], ['from', 'Från'], ['similarity', 'Likhet']], 'Föreslagna namnbyten')}`;
    return c.html(layout(name, '/units', body));
  });

  // ---- Documents
  app.get('/documents', (c) => {
    const board = param(c, 'board');
    const f: DocumentFilters = {
      year: yearParam(c, 'year'),
      board: board === undefined ? undefined : matchBoard(db, board).board,
      topic: choiceParam(c, 'topic', ['award_participation', 'other'] as const),
      format: choiceParam(c, 'format', ['txt', 'md', 'pdf', 'png', 'jpeg', 'tiff'] as const),
      ocr: flagParam(c, 'ocr'),
      review: flagParam(c, 'review'),
      corrected: flagParam(c, 'corrected'),
    };
    const before = intParam(c, 'before', 2 ** 31);
    // With a keyset (before=) the page number is only shown; alone it is an offset, up to MAX_OFFSET_PAGE.
    const page = intParam(c, 'page', before === undefined ? MAX_OFFSET_PAGE : 1_000_000) ?? 1;
    const { rows, more } = listDocuments(db, f, { before, page });
    const facets = documentFacets(db);
    const boardNames = (boards(db) as Array<{ board: string | null }>).map((r) => r.board).filter((b): b is string => !!b).sort((a, b) => a.localeCompare(b, 'sv'));
    const keep = { year: f.year, board: f.board, topic: f.topic, format: f.format, ocr: param(c, 'ocr'), review: param(c, 'review'), corrected: param(c, 'corrected') };
    const flagSelect = (name: string, label: string, value: boolean | undefined) =>
      html`<label>${label} <select name="${name}"><option value="">alla</option><option value="1"${value === true ? html` selected` : ''}>ja</option><option value="0"${value === false ? html` selected` : ''}>nej</option></select></label>`;
    const last = rows[rows.length - 1];
    const body = html`<h1>Dokument</h1>
<form class="filters" data-testid="document-filters" method="get" action="/documents" aria-label="Filter">
<label>År <select name="year"><option value="">alla</option>${facets.years.map((y) => html`<option${y === f.year ? html` selected` : ''}>${y}</option>`)}</select></label>
<label>Nämnd <select name="board"><option value="">alla</option>${boardNames.map((b) => html`<option value="${b}"${b === f.board ? html` selected` : ''}>${b}</option>`)}</select></label>
<label>Ärende <select name="topic"><option value="">alla</option>${Object.entries(LABELS.topic).map(([k, l]) => html`<option value="${k}"${k === f.topic ? html` selected` : ''}>${l}</option>`)}</select></label>
<label>Format <select name="format"><option value="">alla</option>${facets.formats.map((x) => html`<option${x === f.format ? html` selected` : ''}>${x}</option>`)}</select></label>
${flagSelect('ocr', 'OCR', f.ocr)}${flagSelect('review', 'Behöver granskas', f.review)}${flagSelect('corrected', 'Rättad', f.corrected)}
<button type="submit">Visa</button> <a href="/documents">Rensa</a>
</form>
${table('documents', rows as unknown as Array<Record<string, unknown>>, [
  ['file_name', 'Fil', (v, r) => html`<a data-testid="document-link" href="/documents/${String(r.sha256)}">${show(v)}</a>`],
  ['year', 'År'],
  ['board', 'Nämnd'],
  ['topic', 'Ärende', (v) => (v ? (LABELS.topic[String(v)] ?? String(v)) : '')],
  ['format', 'Format'],
  ['page_count', 'Sidor'],
  ['ocr', 'OCR', (v) => (v ? 'ja' : '')],
  ['needs_review', 'Granskas', (v) => (v ? 'ja' : '')],
  ['corrected', 'Rättad', (v) => (v ? 'ja' : '')],
], 'Dokument')}
<nav class="pager" aria-label="Sidor">${page > 1 || before !== undefined ? html`<a href="/documents${qs(keep)}">Första sidan</a>` : ''}${more && last ? html`<a data-testid="next-page" rel="next" href="/documents${qs({ ...keep, before: last.id, page: page + 1 })}">Nästa sida</a>` : ''}<span class="muted">Sida ${page}, ${PAGE_SIZE} per sida</span></nav>`;
    return c.html(layout('Dokument', '/documents', body));
  });

  app.get('/documents/:sha', (c) => {
    const sha = c.req.param('sha');
    if (!SHA.test(sha)) throw new NotFound('a document is named by its sha256 (64 hexadecimal characters)');
    const doc = documentBySha(db, sha);
    if (!doc) throw new NotFound(`no document with sha256 ${sha}`);
    const pages = documentPages(db, doc.id);
    const texts = new Map(pages.map((p) => [p.page, p.text]));
    // The document's review as the library gives it (`review <sha>`); none when it has no extracted record.
    const review = documentReview(db, sha);
    const marks = evidenceMarks(review?.evidence ?? {}, texts);
    const files = documentFiles(db, doc.id);
    const source = servableSource(db, doc.id);
    const saved = (param(c, 'saved') ?? '').split(',').filter((x) => /^\d{1,9}$/.test(x)).map(Number);
    const notices = review ? review.corrections.filter((x) => saved.includes(x.id)) : [];
    const token = csrf(c);
    const paths = review ? review.values.map((v) => String(v.path)) : [];
    const items = [...new Set(paths.filter((p) => /^(units|dates)\[\d+\]/.test(p)).map((p) => /^(units|dates)\[\d+\]/.exec(p)![0]).concat(paths.filter((p) => p.startsWith('classes['))))];
    const valueRow = (v: ReviewRow) => {
      const path = String(v.path);
      const key = evidenceKey(path);
      const n = marks.numbers.get(key);
      const e = review?.evidence[key];
      const label = /\.class$|^classes\[/.test(path) ? classLabel(v.value) : path.endsWith('.kind') ? kindLabel(v.value) : '';
      return html`<tr><th scope="row"><code>${path}</code></th><td><span data-testid="value" data-path="${path}">${show(v.value)}</span>${label && label !== v.value ? html` <span class="muted">(${label})</span>` : ''}</td><td>${n !== undefined ? html`<a data-testid="evidence-link" href="#evidence-${n}">bevis ${n}</a>` : e ? html`<span class="muted">s. ${e.page}: ${e.snippet}</span>` : ''}</td><td class="num">${show(v.confidence)}</td><td>${v.status}${v.status && show(v.machine) !== show(v.value) ? html` <span class="muted">(maskinen: ${show(v.machine) || 'inget'})</span>` : ''}</td></tr>`;
    };
    const hidden = html`<input type="hidden" name="csrf" value="${token}">`;
    const body = html`<h1>${doc.file_name}</h1>
${notices.map((n) => html`<p class="notice" role="status" data-testid="notice">Sparat: rättelse #${n.id} ${n.action === 'confirm' ? 'bekräftade dokumentet' : html`<code>${n.path}</code>: ${show(n.old_value) || '(inget)'} → ${show(n.new_value) || '(inget)'}`} (${n.by}${n.reason ? `: ${n.reason}` : ''}).</p>`)}
<p class="muted">${doc.format}, ${doc.page_count} sidor${doc.ocr ? ', OCR' : ''}, sha256 <code>${doc.sha256}</code>${doc.superseded_by ? html`, <strong>ersatt av en nyare version</strong>` : ''}.
${source ? html`<a data-testid="source-link" href="/source/${doc.sha256}">Öppna källfilen</a>` : html`Källfilen finns inte längre där den lästes.`}</p>
${files.length ? html`<ul class="muted">${files.map((f) => html`<li>${f.path}${f.missing_since ? ` (saknas sedan ${f.missing_since})` : ''}${f.moved_to ? ` (flyttad till ${f.moved_to})` : ''}</li>`)}</ul>` : ''}
<h2>Uppgifter</h2>
${review
  ? html`${review.needs_review ? html`<p class="note">Behöver granskas: ${review.review_reasons.join('; ')}</p>` : ''}${review.confirmed ? html`<p class="note">Bekräftat av en granskare.</p>` : ''}
<table data-testid="record"><thead><tr><th scope="col">Fält</th><th scope="col">Värde</th><th scope="col">Bevis</th><th scope="col">Säkerhet</th><th scope="col">Status</th></tr></thead><tbody>${review.values.map(valueRow)}</tbody></table>
<h2>Rätta</h2>
<div class="forms">
<form data-testid="correct" method="post" action="/documents/${sha}/corrections">
<input type="hidden" name="action" value="set">${hidden}
<label>Fält <select name="path">${paths.map((p) => html`<option value="${p}">${p}</option>`)}<option value="units[+]">units[+] (ny enhet)</option><option value="classes[+]">classes[+] (ny klass)</option></select></label>
<label>Nytt värde <input name="value" list="class-keys" autocomplete="off"></label>
<label>Skäl <input name="reason"></label>
<button type="submit">Spara rättelse</button>
</form>
<form data-testid="remove" method="post" action="/documents/${sha}/corrections">
<input type="hidden" name="action" value="remove">${hidden}
<label>Ta bort <select name="path">${items.map((p) => html`<option value="${p}">${p}</option>`)}</select></label>
<label>Skäl <input name="reason"></label>
<button type="submit"${items.length ? '' : html` disabled`}>Ta bort</button>
</form>
<form data-testid="confirm" method="post" action="/documents/${sha}/corrections">
<input type="hidden" name="action" value="confirm">${hidden}
<label>Skäl <input name="reason"></label>
<button type="submit">Bekräfta att uppgifterna stämmer</button>
</form>
</div>
<datalist id="class-keys">${Object.entries(LABELS.class).filter(([k]) => k !== 'unknown').map(([k, l]) => html`<option value="${k}">${l}</option>`)}</datalist>
${review.carried_over.length ? html`<p class="note">${review.carried_over.length} rättelser av en tidigare version av filen erbjuds: ta över dem med <code>beslutsarkiv correct</code> (carry-over).</p>` : ''}
${review.corrections.length
  ? html`<h3>Rättelser</h3>${table('corrections', review.corrections.map((x) => ({ ...x, old_value: show(x.old_value), new_value: show(x.new_value) })) as unknown as Array<Record<string, unknown>>, [['id', '#'], ['path', 'Fält'], ['action', 'Åtgärd'], ['old_value', 'Före'], ['new_value', 'Efter'], ['by', 'Av'], ['at', 'När'], ['reason', 'Skäl'], ['outcome', 'Utfall']])}`
  : ''}`
  : html`<p>Dokumentet har ingen extraherad post (det misslyckades eller har inte extraherats).</p>`}
<h2>Sidtext</h2>
<section data-testid="page-text" aria-label="Sidtext">${pages.map(
      (p) => html`<div id="page-${p.page}"><h3>Sida ${p.page} <span class="muted">(${p.source}${p.confidence !== null ? `, OCR-säkerhet ${Math.round(p.confidence)}` : ''})</span></h3><pre class="page">${markedText(p.text, marks.ranges.get(p.page) ?? [])}</pre></div>`,
    )}</section>`;
    return c.html(layout(doc.file_name, '/documents', body));
  });

  app.post('/documents/:sha/corrections', bodyLimit({ maxSize: 64 * 1024, onError: (c) => errorPage(c, 400, 'Felaktig fråga', 'the form is larger than 64 KB') }), async (c) => {
    const sha = c.req.param('sha');
    if (!SHA.test(sha) || !documentBySha(db, sha)) throw new NotFound(`no document with sha256 ${sha}`);
    const origin = c.req.header('origin');
    if (origin && origin !== 'null' && new URL(c.req.url).host !== (URL.canParse(origin) ? new URL(origin).host : '')) {
      return errorPage(c, 403, 'Otillåten begäran', 'the form was sent from another site');
    }
    const form = await c.req.parseBody();
    const text = (k: string) => (typeof form[k] === 'string' ? (form[k] as string) : '');
    if (!text('csrf') || !safeEqual(text('csrf'), csrf(c))) {
      return errorPage(c, 403, 'Otillåten begäran', 'the form has no valid CSRF token: reload the document page and send the form again');
    }
    const action = text('action') || 'set';
    const path = text('path').trim();
    const reason = text('reason').trim() || null;
    const by = text('by').trim() || options.user || defaultUser();
    let input;
    if (action === 'confirm') input = { action: 'confirm' as const };
    else if (action === 'remove') input = { action: 'remove' as const, path: path.replace(/\.\w+$/, '') };
    else if (action === 'set' || action === 'add') input = path.endsWith('[+]') ? { action: 'add' as const, path, value: text('value') } : { action: 'set' as const, path, value: text('value') };
    else throw new BadRequest(`action takes set, add, remove or confirm, not "${action}"`);
    if (action !== 'confirm' && !path) throw new BadRequest('the form names no field (path)');
    let made;
    try {
      made = withCorrectionLock(options.dbPath, (w) => makeCorrections(w, [{ document: sha, input }], { by, reason }));
    } catch (error) {
      if (error instanceof DatabaseLockedError) return errorPage(c, 409, 'Arkivet är upptaget', `${LOCKED_MESSAGE}: another beslutsarkiv writer holds the archive (pid ${error.holder.pid} since ${error.holder.startedAt}); nothing was saved.`);
      if (error instanceof CorrectionError) return errorPage(c, 400, 'Rättelsen sparades inte', error.message);
      throw error;
    }
    return c.redirect(`/documents/${sha}?saved=${made.map((m) => m.id).join(',')}`, 303);
  });

  app.get('/source/:sha', (c) => {
    const sha = c.req.param('sha');
    if (!SHA.test(sha)) throw new NotFound('a source is named by its document sha256');
    const doc = documentBySha(db, sha);
    const file = doc && servableSource(db, doc.id);
    if (!doc || !file) throw new NotFound('the source file is not where it was read (or there is no such document)');
    const type = doc.format === 'md' || doc.format === 'txt' ? 'text/plain; charset=utf-8' : doc.media_type;
    const stream = Readable.toWeb(createReadStream(file.path)) as ReadableStream;
    return c.body(stream, 200, {
      'Content-Type': type,
      'Content-Length': String(file.size),
      'Content-Disposition': `inline; filename*=UTF-8''${encodeURIComponent(basename(file.path))}`,
      'Content-Security-Policy': "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
    });
  });

  // ---- Search
  app.get('/search', (c) => {
    const q = param(c, 'q');
    if (q !== undefined && q.length > 500) throw new BadRequest('q is longer than 500 characters');
    const from = yearParam(c, 'from');
    const to = yearParam(c, 'to');
    const board = param(c, 'board');
    // Each word also as a beginning (Swedish adds its definite forms at the end: forvaltning finds förvaltningen); "quoted" words exactly.
    // The words as typed first (ranked); when they find less than a page, pages with words that begin
    // with them follow: unfiltered in archive order (ranking every page a common beginning matches takes
    // seconds), filtered ranked as the library's filtered search ranks them.
    const filters = { from, to, board: board === undefined ? undefined : matchBoard(db, board).board };
    const filtered = from !== undefined || to !== undefined || board !== undefined;
    const answer = q === undefined ? undefined : searchPaged(db, q, filters, { limit: SEARCH_PAGE });
    const hitOf = (r: Record<string, unknown>) => ({
      sha256: r.path ? shaOfPath(db, String(r.path)) : undefined,
      file: r.file,
      page: Number(r.page),
      year: r.year,
      board: r.board,
      snippet: String(r.snippet ?? ''),
    });
    const hits: Array<{ sha256?: string; file: unknown; page: number; year: unknown; board: unknown; snippet: string }> = (answer?.rows ?? []).map(hitOf);
    let beginnings = 0;
    let ranked = false;
    if (q !== undefined && answer && answer.total < SEARCH_PAGE && !q.includes('"')) {
      const seen = new Set(hits.map((h) => `${h.sha256}#${h.page}`));
      // Unfiltered: in archive order, read up to the page (prefixSearch). Filtered: the first
      // PREFIX_FILTER_READ matches in archive order, filtered (prefixSearchFiltered); when the filter is
      // narrower than that, the library's filtered search with each word a beginning (`word*`), which
      // starts from the filter's pages (summary_pages, bounded) instead of every page the beginning matches.
      const inOrder = filtered ? prefixSearchFiltered(db, q, filters, SEARCH_PAGE + hits.length) : prefixSearch(db, q, SEARCH_PAGE + hits.length);
      ranked = inOrder === undefined;
      const more =
        inOrder ??
        searchPaged(db, q.split(/\s+/).filter(Boolean).map((w) => `${w.replace(/\*+$/, '')}*`).join(' '), filters, { limit: SEARCH_PAGE + hits.length }).rows.map(hitOf);
      for (const h of more) {
        if (hits.length >= SEARCH_PAGE || seen.has(`${h.sha256}#${h.page}`)) continue;
        hits.push(h);
        beginnings++;
      }
    }
    const body = html`<h1>Sök i texterna</h1>
<form class="inline" data-testid="search" method="get" action="/search" role="search">
<label>Ord (å/ä/ö och ordslut spelar ingen roll; "citattecken" för exakt ord) <input name="q" type="search" value="${q ?? ''}" size="40" autofocus></label>
<label>Från år <input name="from" size="6" value="${from ?? ''}"></label>
<label>Till år <input name="to" size="6" value="${to ?? ''}"></label>
<label>Nämnd <input name="board" value="${board ?? ''}"></label>
<button type="submit">Sök</button>
</form>
${answer
  ? html`<p class="muted" data-testid="search-total">${answer.total} sidor med orden${answer.rows.length < answer.total ? `, de ${answer.rows.length} bästa visas` : ''}${answer.bounded ? ` (bland de ${answer.bounded.pages} nyaste sidorna, från ${answer.bounded.from}; begränsa med år)` : ''}${beginnings ? `; ${beginnings} sidor med ord som börjar så följer, ${ranked ? 'bäst först' : 'i arkivordning'}` : ''}.</p>
${hits.map(
  (h) =>
    html`<div class="hit" data-testid="search-hit"><div>${h.sha256 ? html`<a href="/documents/${h.sha256}#page-${h.page}">${show(h.file)}, sida ${h.page}</a>` : html`${show(h.file)}, sida ${h.page}`} <span class="muted">${show(h.year)} ${show(h.board)}</span></div><p class="snippet">${snippetHtml(h.snippet)}</p></div>`,
)}`
  : ''}`;
    return c.html(layout('Sök', '/search', body));
  });

  // ---- Review queue
  app.get('/review', (c) => {
    const limit = intParam(c, 'limit', 1000) ?? 200;
    // The queue reads a record and its corrections per row (13 ms at 100,000 documents): the page is kept until the archive changes.
    const cached = reviewCache.get(String(limit));
    if (cached !== undefined) return c.html(cached);
    const rows = reviewQueue(db, { limit });
    const body = html`<h1>Granskning</h1>
<p class="muted">Det som bör kontrolleras först: rättelser som behöver en person, flaggade dokument, sedan de osäkraste värdena (högst ${limit} rader).</p>
${table('review-queue', rows as unknown as Array<Record<string, unknown>>, [
  ['file', 'Dokument', (v, r) => html`<a data-testid="document-link" href="/documents/${String(r.sha256)}">${show(v)}</a>`],
  ['path', 'Fält', (v) => html`<code>${show(v)}</code>`],
  ['value', 'Värde'],
  ['confidence', 'Säkerhet'],
  ['status', 'Status'],
  ['evidence', 'Bevis'],
], 'Granskningskö')}`;
    return c.html(reviewCache.set(String(limit), String(layout('Granskning', '/review', body))));
  });

  // ---- Runs
  app.get('/runs', (c) => {
    const list = runs(db);
    const failed = failures(db);
    const body = html`<h1>Körningar</h1>
${table('runs', list, [['id', '#'], ['command', 'Kommando'], ['started_at', 'Start'], ['finished_at', 'Slut'], ['status', 'Status'], ['seen', 'Sedda'], ['ingested', 'Inlästa'], ['unchanged', 'Oförändrade'], ['changed', 'Ändrade'], ['duplicate', 'Dubbletter'], ['moved', 'Flyttade'], ['missing', 'Saknade'], ['reprocessed', 'Omgjorda'], ['skipped', 'Överhoppade'], ['failed', 'Misslyckade'], ['pages_failed', 'Sidor som inte lästes']], 'Körningar')}
<h2>Misslyckade och överhoppade filer</h2>
<p class="muted">${failed.total} i alla körningar${failed.total > failed.rows.length ? `, de ${failed.rows.length} senaste visas` : ''}.</p>
${table('failures', failed.rows, [['run_id', 'Körning'], ['kind', 'Vad'], ['code', 'Kod'], ['name', 'Fil'], ['reason', 'Orsak'], ['path', 'Sökväg'], ['at', 'När']], 'Misslyckade filer')}`;
    return c.html(layout('Körningar', '/runs', body));
  });

  return app;
}
