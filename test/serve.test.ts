/**
 * The web server over HTTP (no browser): escaping of hostile document text, security headers,
 * paths that must not reach the file system, the access token off loopback, CSRF, the writer lock,
 * bad parameters, downloads equal to `query`, diacritic-insensitive search, and a correction that
 * shows at once. The browser test (Chromium) is test/e2e*.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { cpSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireWriterLock, ingest, openDatabase, reviewQueue, serve, type RunningServer } from '../src/index.js';
import { AnswerCache } from '../src/web/app.js';
import { prefixSearchFiltered } from '../src/web/data.js';
import { tempDir } from './helpers.js';

const ROOT = resolve(__dirname, '..');
const BIN = join(ROOT, 'src/cli/bin.js');
const XSS_NAME = 'xss-"><img src=x onerror=alert(1)>.txt';
const XSS_LINES = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '<a href="javascript:alert(1)">klicka</a> [länk](javascript:alert(2))'];

let dir: string;
let db: string;
let server: RunningServer;
let base: string;

function sql<T>(statement: string, ...args: unknown[]): T[] {
  const d = new BetterSqlite3(db, { readonly: true });
  try {
    return d.prepare(statement).all(...args) as T[];
  } finally {
    d.close();
  }
}

const shaOf = (file: string) => sql<{ sha256: string }>('SELECT sha256 FROM documents WHERE file_name = ?', file)[0]!.sha256;

async function get(path: string, cookie?: string) {
  const res = await fetch(`${base}${path}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  return { res, status: res.status, text: await res.text() };
}

/** The cookies a response sets, as a Cookie header. */
const cookiesOf = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');

/** A raw request with a Host header of our choosing (fetch does not let one set it). */
function withHost(url: string, host: string): Promise<number> {
  return new Promise((ok, fail) => {
    const req = request(url, { headers: { host } }, (res) => {
      res.resume();
      ok(res.statusCode ?? 0);
    });
    req.on('error', fail);
    req.end();
  });
}

beforeAll(async () => {
  dir = tempDir('beslutsarkiv-serve-');
  cpSync(join(ROOT, 'corpus'), join(dir, 'corpus'), { recursive: true });
  // A decision document carrying markup and a javascript: link, under a file name that is markup too.
  const seed = readFileSync(join(ROOT, 'corpus/001_91a3c1650f19c566.txt'), 'utf8');
  writeFileSync(join(dir, 'corpus', XSS_NAME), `${seed}\n${XSS_LINES.join('\n')}\n`);
  // A file that fails, for the runs page.
  writeFileSync(join(dir, 'corpus', 'trasig.pdf'), 'this is not a PDF at all');
  db = join(dir, 'archive.sqlite');
  await ingest([join(dir, 'corpus')], { db });
  server = await serve({ db, port: 0 });
  base = server.url.replace(/\/$/, '');
});

afterAll(async () => {
  await server?.close();
});

describe('pages and headers', () => {
  it('redirects / to /trends and sends CSP and nosniff on every answer, errors included', async () => {
    const root = await get('/');
    expect(root.status).toBe(302);
    expect(root.res.headers.get('location')).toBe('/trends');
    for (const path of ['/trends', '/documents', '/nowhere', '/trends?from=abc']) {
      const { res } = await get(path);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("default-src 'self'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).not.toContain('unsafe-inline');
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
  });

  it('serves every page with lang="sv", the nav and no inline script', async () => {
    for (const path of ['/trends', '/units', '/documents', '/search', '/review', '/runs']) {
      const { status, text } = await get(path);
      expect(status, path).toBe(200);
      expect(text).toContain('<html lang="sv">');
      expect(text).toContain('href="/static/style.css"');
      expect(text).not.toMatch(/<script/i);
      expect(text).not.toMatch(/ style="/i);
    }
  });

  it('draws participation per year with data-year and data-value, the table and the downloads', async () => {
    const { text } = await get('/trends');
    const bars = [...text.matchAll(/<rect [^>]*data-year="(\d+)" data-value="(\d+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    const rows = sql<{ year: number; units: number }>('SELECT year, count(DISTINCT unit_id) AS units FROM participations WHERE counted AND year IS NOT NULL GROUP BY year ORDER BY year');
    expect(bars).toEqual(rows.map((r) => [r.year, r.units]));
    // Years between with no report are gaps, not zero bars.
    expect(text).toMatch(/data-gap-year="2013"/);
    expect(text).toContain('data-testid="table-participation"');
    expect(text).toContain('href="/api/query/participation?format=csv"');
    expect(text).toMatch(/>År</);
  });
});

describe('hostile document text', () => {
  it('renders markup and javascript: links in a document as inert text', async () => {
    const sha = shaOf(XSS_NAME);
    const { status, text } = await get(`/documents/${sha}`);
    expect(status).toBe(200);
    expect(text).not.toContain('<script>alert(1)</script>');
    expect(text).not.toMatch(/<img[^>]*onerror/i);
    expect(text).not.toMatch(/<a [^>]*href="javascript:/i);
    expect(text).not.toMatch(/href="javascript:/i);
    expect(text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(text).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(text).toContain('&lt;a href=&quot;javascript:alert(1)&quot;&gt;klicka&lt;/a&gt;');
  });

  it('escapes the hostile file name in the document list and in search results', async () => {
    for (const path of ['/documents', '/search?q=alert']) {
      const { text } = await get(path);
      expect(text, path).toContain('xss-&quot;&gt;&lt;img src=x onerror=alert(1)&gt;.txt');
      expect(text, path).not.toMatch(/<img[^>]*onerror/i);
      expect(text, path).not.toContain('<script>alert');
    }
  });
});

describe('paths from requests', () => {
  it('serves static files from memory only', async () => {
    const css = await get('/static/style.css');
    expect(css.status).toBe(200);
    expect(css.res.headers.get('content-type')).toMatch(/^text\/css/);
    for (const path of ['/static/..%2f..%2fpackage.json', '/static/..%2F..%2Fpackage.json', '/static/%2Fetc%2Fpasswd', '/static/', '/static/app.js']) {
      const { status, text } = await get(path);
      expect(status, path).toBe(404);
      expect(text).not.toContain('"name": "beslutsarkiv"');
    }
  });

  it('serves a source only from its recorded path, and 404s anything else', async () => {
    const sha = shaOf('000_32a9fff0cf960181.txt');
    const ok = await get(`/source/${sha}`);
    expect(ok.status).toBe(200);
    expect(ok.text).toBe(readFileSync(join(dir, 'corpus/000_32a9fff0cf960181.txt'), 'utf8'));
    expect(ok.res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    for (const path of [
      '/source/..%2f..%2fpackage.json',
      '/source/..%2f..%2f..%2f..%2fetc%2fpasswd',
      '/source/%2Fetc%2Fpasswd',
      `/source/${'0'.repeat(64)}`,
      `/source/${sha}%2f..%2f..%2fpackage.json`,
      '/documents/..%2f..%2fpackage.json',
      `/documents/${'f'.repeat(64)}`,
    ]) {
      const { status, text } = await get(path);
      expect(status, path).toBe(404);
      expect(text).not.toMatch(/root:|"name": "beslutsarkiv"/);
    }
    const doc = await get(`/documents/${sha}`);
    expect(doc.text).toContain(`href="/source/${sha}"`);
  });

  it('stops serving a source whose file moved away, and says so on its page', async () => {
    const sha = shaOf('002_3e46df6f17c46d2f.txt');
    const file = join(dir, 'corpus/002_3e46df6f17c46d2f.txt');
    renameSync(file, `${file}.away`);
    try {
      expect((await get(`/source/${sha}`)).status).toBe(404);
      const doc = await get(`/documents/${sha}`);
      expect(doc.text).not.toContain(`href="/source/${sha}"`);
      expect(doc.text).toContain('Källfilen finns inte längre');
    } finally {
      renameSync(`${file}.away`, file);
    }
  });

  it('answers only to loopback host names when bound to loopback', async () => {
    expect(await withHost(`${base}/trends`, new URL(base).host)).toBe(200);
    expect(await withHost(`${base}/trends`, 'evil.example:80')).toBe(403);
  });
});

describe('bad parameters', () => {
  it('answers 400 with the reason, never a stack trace', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/trends?from=abc', /from takes a year of four digits, e.g. 2017, not &quot;abc&quot;/],
      ['/trends?from=2020&to=2010', /from 2020 is after to 2010/],
      ['/trends?board=Ingen%20s%C3%A5dan%20n%C3%A4mnd', /no board matches/],
      ['/trends?class=zzz', /no class matches/],
      ['/documents?page=0', /page takes a whole number/],
      ['/documents?review=kanske', /review takes 1 \(yes\) or 0 \(no\)/],
      ['/documents?format=exe', /format takes one of txt, md, pdf/],
      ['/review?limit=-1', /limit takes a whole number/],
    ];
    for (const [path, reason] of cases) {
      const { status, text } = await get(path);
      expect(status, path).toBe(400);
      expect(text, path).toMatch(reason);
      expect(text).not.toMatch(/at .*\.ts:\d+|Error:/);
    }
    const api = await get('/api/query/participation?from=abc&format=csv');
    expect(api.status).toBe(400);
    expect(JSON.parse(api.text)).toEqual({ error: 'from takes a year of four digits, e.g. 2017, not "abc"' });
    for (const [path, reason] of [
      ['/api/query/sql?q=SELECT%201', /not served over HTTP/],
      ['/api/query/nonesuch', /no query named "nonesuch"/],
      ['/api/query/participation?format=xml', /format takes csv or json/],
      ['/api/query/deadlines?class=skola', /does not take --class/],
      ['/api/query/participation?bogus=1', /unknown parameter "bogus"/],
    ] as const) {
      const r = await get(path);
      expect(r.status, path).toBe(400);
      expect(JSON.parse(r.text).error, path).toMatch(reason);
    }
  });
});

describe('downloads are the rows of query', () => {
  // Spawned without blocking: the server runs in this process.
  const cli = (...args: string[]) => promisify(execFile)(process.execPath, [BIN, 'query', ...args, '--db', db], { encoding: 'utf8', cwd: ROOT });

  it('CSV and JSON equal beslutsarkiv query with the same filters', async () => {
    for (const [name, params, args] of [
      ['participation', 'by=year,board', ['--by', 'year,board']],
      ['participation', 'from=2017&to=2024&class=socialtj%C3%A4nst', ['--from', '2017', '--to', '2024', '--class', 'socialtjänst']],
      ['classes', 'board=socialn%C3%A4mnden', ['--board', 'socialnämnden']],
      ['deadlines', '', []],
      ['unit-aliases', '', []],
    ] as Array<[string, string, string[]]>) {
      const csv = await get(`/api/query/${name}?${params}&format=csv`);
      expect(csv.status).toBe(200);
      expect(csv.res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      const want = await cli(name, ...args, '--format', 'csv');
      expect(csv.text, `${name} ${params}`).toBe(want.stdout);
      expect(want.stdout.split('\n').length, `${name} ${params}`).toBeGreaterThan(name === 'unit-aliases' ? 1 : 2);
      const json = await get(`/api/query/${name}?${params}&format=json`);
      expect(JSON.parse(json.text)).toEqual(JSON.parse((await cli(name, ...args, '--format', 'json')).stdout));
    }
  });
});

describe('search, units, documents, runs', () => {
  it('finds förvaltningen for forvaltning, with a <mark>ed snippet and a link to the page', async () => {
    const { text } = await get('/search?q=forvaltning');
    const hits = text.split('data-testid="search-hit"').slice(1);
    expect(hits.length).toBeGreaterThan(0);
    for (const hit of hits) expect(hit).toMatch(/<mark>förvaltning\p{L}*<\/mark>/iu);
    expect(hits[0]).toMatch(/href="\/documents\/[0-9a-f]{64}#page-1"/);
    // The pages holding the word förvaltningen are among the hits.
    const holding = sql<{ sha256: string }>("SELECT d.sha256 FROM pages p JOIN documents d ON d.id = p.document_id WHERE lower(p.repaired_text) LIKE '%förvaltningen %'");
    expect(holding.length).toBeGreaterThan(0);
    for (const { sha256 } of holding) expect(text).toContain(`href="/documents/${sha256}#page-1"`);
    const exact = await get('/search?q=forvaltningen');
    expect(exact.text).toMatch(/<mark>förvaltningen<\/mark>/i);
  });

  it('finds beginnings of words (no page has the word itself) with and without filters, only pages the filter keeps', async () => {
    const beginning = 'kvalitetsutm'; // kvalitetsutmärkelse(n): no word is just this
    const pages = sql<{ key: string; year: number | null; board: string | null; text: string }>(
      "SELECT d.sha256 || '#' || p.page AS key, s.year, s.board, coalesce(p.repaired_text, p.text) AS text FROM pages p JOIN documents d ON d.id = p.document_id JOIN summary_pages s ON s.id = p.rowid ORDER BY p.rowid",
    ).filter((r) => /(?<![\p{L}\d])kvalitetsutm/iu.test(r.text));
    expect(pages.length).toBeGreaterThan(3);
    const hitsOf = (text: string) => [...text.matchAll(/data-testid="search-hit"><div><a href="\/documents\/([0-9a-f]{64})#page-(\d+)"/g)].map((m) => `${m[1]}#${m[2]}`);
    const all = await get(`/search?q=${beginning}`);
    expect(all.text).toContain('0 sidor med orden');
    // Unfiltered: the first pages in archive order, each snippet marking the word.
    expect(hitsOf(all.text)).toEqual(pages.slice(0, 30).map((r) => r.key));
    for (const hit of all.text.split('data-testid="search-hit"').slice(1)) expect(hit).toMatch(/<mark>kvalitetsutm\p{L}*<\/mark>/iu);
    // Two beginnings: pages with both.
    const both = await get(`/search?q=${beginning}%20stockh`);
    expect(hitsOf(both.text)).toEqual(pages.filter((r) => /(?<![\p{L}\d])stockh/iu.test(r.text)).slice(0, 30).map((r) => r.key));
    // A year and a board: exactly the pages of that year (board) that have the beginning.
    const year = pages.find((r) => r.year !== null)!.year!;
    const inYear = pages.filter((r) => r.year === year).map((r) => r.key);
    const byYear = await get(`/search?q=${beginning}&from=${year}&to=${year}`);
    expect(hitsOf(byYear.text).sort()).toEqual(inYear.slice(0, 30).sort());
    for (const hit of byYear.text.split('data-testid="search-hit"').slice(1)) expect(hit).toMatch(/<mark>kvalitetsutm\p{L}*<\/mark>/iu);
    const board = pages.find((r) => r.board !== null)!.board!;
    const byBoard = await get(`/search?q=${beginning}&board=${encodeURIComponent(board)}`);
    expect(hitsOf(byBoard.text).sort()).toEqual(pages.filter((r) => r.board === board).slice(0, 30).map((r) => r.key).sort());
    // A narrow filter (fewer pages than asked among the first matches read): the filter's own pages, matched one by one, give the same pages.
    const reader = new BetterSqlite3(db, { readonly: true });
    try {
      const keys = (hits: Array<{ sha256: string; page: number }> | undefined) => hits?.map((h) => `${h.sha256}#${h.page}`);
      const want = pages.filter((r) => r.board === board).map((r) => r.key);
      expect(keys(prefixSearchFiltered(reader, beginning, { board }, 30, 1))).toEqual(want.slice(0, 30));
      expect(keys(prefixSearchFiltered(reader, 'kvalitetsutm stockh', { board }, 30, 1))).toEqual(
        pages.filter((r) => r.board === board && /(?<![\p{L}\d])stockh/iu.test(r.text)).map((r) => r.key).slice(0, 30),
      );
    } finally {
      reader.close();
    }
  });

  it('finds a unit by name and shows its history with documents', async () => {
    const { text } = await get('/units?q=l%C3%B6nnen');
    const links = [...text.matchAll(/data-testid="unit-link" href="(\/units\/\d+)">([^<]+)</g)];
    expect(links.map((l) => l[2])).toContain('Stödboendet Lönnen');
    const unit = await get(links.find((l) => l[2] === 'Stödboendet Lönnen')![1]!);
    expect(unit.status).toBe(200);
    expect(unit.text).toContain('data-testid="unit-history"');
    const years = [...unit.text.matchAll(/<tr><td class="num">(\d{4})<\/td>/g)].map((m) => Number(m[1]));
    const want = sql<{ year: number }>(
      "SELECT DISTINCT p.year FROM participations p JOIN unit_identities i ON i.id = p.identity_id WHERE p.counted AND i.name = 'Stödboendet Lönnen' ORDER BY p.year",
    ).map((r) => r.year);
    expect(years).toEqual(want);
    expect(unit.text).toMatch(/data-testid="document-link" href="\/documents\/[0-9a-f]{64}"/);
    expect((await get('/units/999999')).status).toBe(404);
    expect((await get('/units/abc')).status).toBe(404);
  });

  it('lists documents with filters and links', async () => {
    const all = await get('/documents');
    const links = [...all.text.matchAll(/data-testid="document-link" href="\/documents\/([0-9a-f]{64})"/g)];
    expect(links.length).toBe(sql('SELECT id FROM documents WHERE superseded_by IS NULL').length);
    const md = await get('/documents?format=md');
    expect([...md.text.matchAll(/data-testid="document-link"/g)].length).toBe(sql("SELECT id FROM documents WHERE format = 'md'").length);
    const y = await get('/documents?year=2012');
    expect([...y.text.matchAll(/data-testid="document-link" href="\/documents\/([0-9a-f]{64})"/g)].map((m) => m[1]).sort()).toEqual(
      sql<{ sha256: string }>('SELECT d.sha256 FROM documents d JOIN extractions e ON e.document_id = d.id WHERE e.year = 2012').map((r) => r.sha256).sort(),
    );
  });

  it('marks the evidence of each value in the page text', async () => {
    const sha = shaOf('000_32a9fff0cf960181.txt');
    const { text } = await get(`/documents/${sha}`);
    const board = /data-testid="value" data-path="board">([^<]*)<\/span>.*?data-testid="evidence-link" href="#evidence-(\d+)"/s.exec(text)!;
    expect(board[1]).toBe('Socialnämnden');
    expect(text).toContain(`<mark data-testid="evidence" id="evidence-${board[2]}">Socialnämnden</mark>`);
    // Every evidence link has its mark.
    for (const m of text.matchAll(/data-testid="evidence-link" href="#(evidence-\d+)"/g)) expect(text).toContain(`id="${m[1]}"`);
    expect(text).toContain('data-testid="page-text"');
  });

  it('shows runs and each failed file with its code and reason', async () => {
    const { text } = await get('/runs');
    expect(text).toContain('data-testid="runs"');
    const failure = sql<{ code: string; reason: string }>("SELECT code, reason FROM failures WHERE name = 'trasig.pdf'")[0]!;
    expect(failure).toBeDefined();
    expect(text).toContain('trasig.pdf');
    expect(text).toContain(`<td>${failure.code}</td>`);
  });
});

describe('the access token off loopback', () => {
  let open: RunningServer;
  afterAll(async () => open?.close());

  it('refuses requests without the token (401), takes it once from the URL, then from the cookie', async () => {
    open = await serve({ db, port: 0, host: '0.0.0.0' });
    expect(open.token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(open.url).toContain(`?token=${open.token}`);
    const port = new URL(open.url).port;
    const at = `http://127.0.0.1:${port}`;
    for (const path of ['/trends', '/documents', '/api/query/participation?format=csv', '/static/style.css', '/trends?token=wrong']) {
      const r = await fetch(`${at}${path}`, { redirect: 'manual' });
      expect(r.status, path).toBe(401);
      expect(await r.text()).toMatch(/access token is needed/);
    }
    const first = await fetch(`${at}/trends?token=${open.token}&from=2012`, { redirect: 'manual' });
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/trends?from=2012');
    const setCookie = first.headers.getSetCookie().find((c) => c.includes('token'))!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    const ok = await fetch(`${at}/trends?from=2012`, { headers: { cookie: cookiesOf(first) } });
    expect(ok.status).toBe(200);
  });

  it('needs no token on loopback', async () => {
    expect(server.token).toBeUndefined();
    expect((await get('/trends')).status).toBe(200);
  });
});

describe('corrections from the web', () => {
  const sha = () => shaOf('001_91a3c1650f19c566.txt');
  const corrections = () => sql('SELECT id FROM corrections').length;

  async function session(): Promise<{ cookie: string; csrf: string }> {
    const page = await get(`/documents/${sha()}`);
    const cookie = cookiesOf(page.res);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)![1]!;
    return { cookie, csrf };
  }

  const post = (cookie: string, fields: Record<string, string>) =>
    fetch(`${base}/documents/${sha()}/corrections`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });

  it('refuses a correction without the CSRF token of the session (403) and writes nothing', async () => {
    const { cookie, csrf } = await session();
    const before = corrections();
    for (const [c, fields] of [
      [cookie, { path: 'units[0].class', value: 'skola' }],
      [cookie, { path: 'units[0].class', value: 'skola', csrf: 'x'.repeat(43) }],
      ['', { path: 'units[0].class', value: 'skola', csrf }],
    ] as Array<[string, Record<string, string>]>) {
      const r = await post(c, fields);
      expect(r.status).toBe(403);
      expect(await r.text()).toMatch(/CSRF/);
    }
    expect(corrections()).toBe(before);
  });

  it('says an ingest is running (409) while another writer holds the lock', async () => {
    const { cookie, csrf } = await session();
    const lock = acquireWriterLock(db);
    try {
      const r = await post(cookie, { path: 'units[0].class', value: 'skola', reason: 'r', csrf });
      expect(r.status).toBe(409);
      expect(await r.text()).toContain('an ingest is running, try again');
    } finally {
      lock.release();
    }
  });

  it('corrects a unit class: 303 back with a notice, and the trends change at once', async () => {
    const { cookie, csrf } = await session();
    const record = await get(`/documents/${sha()}`);
    const path = [...record.text.matchAll(/data-testid="value" data-path="(units\[\d+\]\.class)">([^<]*)</g)].find((m) => m[2] !== 'skola');
    expect(path).toBeDefined();
    const year = Number(/data-path="year">(\d{4})</.exec(record.text)![1]);
    const chartValue = async () => {
      const t = (await get(`/trends?class=skola`)).text;
      return Number(new RegExp(`data-year="${year}" data-value="(\\d+)"`).exec(t)?.[1] ?? 0);
    };
    // The download (a kept answer) changes at once too.
    const download = async () => {
      const rows = JSON.parse((await get(`/api/query/participation?by=year,class&class=skola&format=json`)).text) as Array<{ year: number; units: number }>;
      return rows.find((x) => x.year === year)?.units ?? 0;
    };
    const before = await chartValue();
    const downloaded = await download();
    expect(await download()).toBe(downloaded);
    const r = await post(cookie, { action: 'set', path: path![1]!, value: 'skola', reason: 'checked on paper', csrf });
    expect(r.status).toBe(303);
    const location = r.headers.get('location')!;
    expect(location).toMatch(new RegExp(`^/documents/${sha()}\\?saved=\\d+$`));
    const after = await get(location, cookie);
    expect(after.text).toMatch(/data-testid="notice"[^>]*>Sparat: rättelse #\d+/);
    expect(after.text).toContain(`data-path="${path![1]}">skola</span>`);
    expect(await chartValue()).toBe(before + 1);
    expect(await download()).toBe(downloaded + 1);
  });

  it('turns a value the record schema refuses into a 400 with the reason', async () => {
    const { cookie, csrf } = await session();
    const r = await post(cookie, { path: 'year', value: 'nästa år', csrf });
    expect(r.status).toBe(400);
    expect(await r.text()).toMatch(/a year has four digits/);
  });

  it('lists the review queue as reviewQueue does (rows, order, statuses), corrections included', async () => {
    const d = openDatabase(db, { readonly: true });
    try {
      const want = reviewQueue(d);
      expect(want.length).toBeGreaterThan(0);
      const page = await get('/review');
      expect(page.text).toContain('data-testid="review-queue"');
      expect(page.text.split('<tr>').length - 2).toBe(want.length);
      // The rows in the queue's order: each row's document and path.
      const shown = [...page.text.matchAll(/<tr><td><a data-testid="document-link" href="\/documents\/([0-9a-f]{64})">[^<]*<\/a><\/td><td><code>([^<]*)<\/code>/g)].map((m) => [m[1], m[2]]);
      expect(shown).toEqual(want.map((r) => [r.sha256, String(r.path).replace(/&/g, '&amp;').replace(/</g, '&lt;')]));
    } finally {
      d.close();
    }
  });
});

describe('the serve command', () => {
  it('prints one line with the URL, serves, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--db', db, '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = once(child, 'exit');
    const line = await new Promise<string>((ok) => createInterface({ input: child.stdout! }).once('line', ok));
    expect(line).toMatch(/^beslutsarkiv serve: http:\/\/127\.0\.0\.1:\d+\/$/);
    const url = line.slice('beslutsarkiv serve: '.length);
    const res = await fetch(`${url}trends`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('data-testid="chart-participation"');
    child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
  });

  it('says in words when there is no database', async () => {
    const r = await promisify(execFile)(process.execPath, [BIN, 'serve', '--db', join(dir, 'none.sqlite'), '--port', '0'], { cwd: ROOT, encoding: 'utf8' }).catch((e: { code: number; stderr: string }) => e);
    expect((r as { code: number }).code).toBe(2);
    expect((r as { stderr: string }).stderr).toMatch(/no database at .*none\.sqlite/);
  });
});

describe('the answer cache (trends pages, query downloads)', () => {
  it('keeps the least recently used out first, within its entries and bytes, and forgets everything when the archive changes', () => {
    const reader = new BetterSqlite3(db, { readonly: true });
    try {
      const cache = new AnswerCache<string>(reader, 3, 8000);
      cache.set('a', 'x'.repeat(50));
      cache.set('b', 'x'.repeat(50));
      cache.set('c', 'x'.repeat(50));
      expect(cache.get('a')).toBeDefined(); // a is now the most recent
      cache.set('d', 'x'.repeat(50)); // three entries at most: b goes
      expect(cache.get('b')).toBeUndefined();
      expect(['a', 'c', 'd'].map((k) => cache.get(k) !== undefined)).toEqual([true, true, true]);
      expect(cache.held).toEqual({ entries: 3, bytes: 300 });
      // 800 bytes at most (two a character): the ninth answer of 100 bytes pushes the oldest out.
      const small = new AnswerCache<string>(reader, 100, 800);
      for (let i = 1; i <= 9; i++) small.set(`k${i}`, 'y'.repeat(50));
      expect(small.held).toEqual({ entries: 8, bytes: 800 });
      expect(small.get('k1')).toBeUndefined();
      expect(small.get('k9')).toBeDefined();
      small.set('huge', 'z'.repeat(51)); // larger than an eighth of the bytes: answered, not kept
      expect(small.get('huge')).toBeUndefined();
      expect(small.held.entries).toBe(8);
      // Another connection commits: data_version moves, nothing is kept.
      const writer = new BetterSqlite3(db);
      writer.exec('CREATE TABLE IF NOT EXISTS cache_probe (x); INSERT INTO cache_probe VALUES (1); DROP TABLE cache_probe;');
      writer.close();
      expect(cache.get('a')).toBeUndefined();
      expect(cache.held).toEqual({ entries: 0, bytes: 0 });
    } finally {
      reader.close();
    }
  });
});
