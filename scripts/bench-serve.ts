/**
 * The web server on the 100,000-document synthetic archive: the server-side time (Server-Timing)
 * of every page and API route (p50/p95 of sequential requests; the goal is p95 < 100 ms), then a
 * load test with autocannon (20 connections, 20 s, a mix of routes): errors, non-2xx answers,
 * latency p99 (goal < 300 ms) and the server's RSS at start and end. The server runs as its own
 * process (`beslutsarkiv serve`), read-only: nothing is written to the archive.
 *
 *   npm run bench:serve [-- --db bench/out/synthetic-v4-100000.sqlite --runs 30 --duration 20 --connections 20]
 *
 * Prints a table and, last, one JSON line with every figure.
 */
import autocannon from 'autocannon';
import BetterSqlite3 from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from './bench-lib.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const DB = arg('db', join(ROOT, 'bench/out/synthetic-v4-100000.sqlite'));
const RUNS = Number(arg('runs', '30'));
const DURATION = Number(arg('duration', '20'));
const CONNECTIONS = Number(arg('connections', '20'));

if (!existsSync(DB)) {
  console.error(`bench-serve: no archive at ${DB}: build it with npm run synthetic (or pass --db)`);
  process.exit(1);
}

const rssMb = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
};

/** The CPU time (user + system) a process has used, in seconds. */
const cpuSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime: clock ticks (100 a second on Linux)
};

const pct = (values: number[], p: number) => {
  const v = [...values].sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.ceil((p / 100) * v.length) - 1)] ?? NaN;
};

/** Routes with values taken from the archive (a unit, a document, a board, a year, a word). */
function routes(): Array<{ name: string; path: string; status?: number; vary?: (i: number) => string }> {
  const db = new BetterSqlite3(DB, { readonly: true });
  try {
    const one = <T>(sql: string) => db.prepare(sql).pluck().get() as T;
    const board = one<string>('SELECT board FROM summary_board_names ORDER BY reports DESC LIMIT 1');
    const year = one<number>('SELECT year FROM summary_participation WHERE level = \'y\' AND year IS NOT NULL ORDER BY units DESC LIMIT 1');
    const unit = db.prepare('SELECT id, name FROM unit_identities ORDER BY id LIMIT 1 OFFSET 500').get() as { id: number; name: string };
    const sha = one<string>('SELECT d.sha256 FROM documents d JOIN extractions e ON e.document_id = d.id WHERE e.counted ORDER BY d.id LIMIT 1 OFFSET 5000');
    const flagged = one<string>('SELECT d.sha256 FROM documents d JOIN extractions e ON e.document_id = d.id WHERE e.needs_review = 1 ORDER BY d.id LIMIT 1 OFFSET 100');
    const middle = one<number>('SELECT id FROM documents ORDER BY id LIMIT 1 OFFSET 50000');
    const word = unit.name.split(/\s+/).pop()!;
    // Beginnings of words no page has as a whole word (the search page's beginnings fallback).
    const beginnings = [...new Set(['kvalitetsutmarkelsen', 'kvalitetsutveckling', 'kvalitetsutrnarkelsen'].flatMap((w) => [...w].map((_, n) => w.slice(0, n + 1)).filter((p) => p.length >= 4 && p.length < w.length - 1)))];
    const b = encodeURIComponent(board);
    const u = encodeURIComponent(unit.name);
    return [
      { name: 'trends', path: '/trends' },
      // The trends page is cached until the archive changes: distinct filters each time measure it rendered.
      { name: 'trends uncached', path: '/trends?to=…', vary: (i: number) => `/trends?to=${2100 - i}` },
      { name: 'trends years', path: `/trends?from=${year - 3}&to=${year}` },
      { name: 'trends board', path: `/trends?board=${b}` },
      { name: 'trends class', path: '/trends?class=skola' },
      { name: 'trends board+class+years', path: `/trends?from=${year - 3}&to=${year}&board=${b}&class=forskola` },
      { name: 'units search', path: `/units?q=${encodeURIComponent(word)}` },
      { name: 'unit history', path: `/units/${unit.id}` },
      { name: 'documents', path: '/documents' },
      { name: 'documents year', path: `/documents?year=${year}` },
      { name: 'documents board', path: `/documents?board=${b}` },
      { name: 'documents needs review', path: '/documents?review=1' },
      { name: 'documents not corrected, OCR', path: '/documents?corrected=0&ocr=1' },
      { name: 'documents page 100 (offset)', path: '/documents?page=100' },
      { name: 'documents keyset (middle)', path: `/documents?before=${middle}&page=1000` },
      { name: 'document', path: `/documents/${sha}` },
      { name: 'document flagged', path: `/documents/${flagged}` },
      { name: 'search common word', path: '/search?q=kvalitet' },
      { name: 'search forvaltning', path: '/search?q=forvaltning' },
      { name: 'search + years', path: `/search?q=kvalitet&from=${year - 1}&to=${year}` },
      { name: 'search + board', path: `/search?q=${encodeURIComponent(word)}&board=${b}` },
      { name: 'search beginning, narrow filter', path: `/search?q=kvalitet&board=${b}&from=${year}&to=${year}` },
      // A beginning's index terms are kept until the archive changes: a new beginning each time measures them read.
      { name: 'search beginning uncached', path: '/search?q=kval…&from=…', vary: (i: number) => `/search?q=${encodeURIComponent(beginnings[i % beginnings.length]!)}&from=${year - 1 - Math.floor(i / beginnings.length)}` },
      { name: 'review queue', path: '/review' },
      { name: 'review queue uncached', path: '/review?limit=…', vary: (i: number) => `/review?limit=${200 - i}` },
      { name: 'runs', path: '/runs' },
      { name: 'static css', path: '/static/style.css' },
      { name: 'source (file not on disk: 404)', path: `/source/${sha}`, status: 404 },
      { name: 'api participation csv', path: '/api/query/participation?format=csv' },
      { name: 'api participation by board json', path: `/api/query/participation?by=year,board&format=json` },
      { name: 'api classes json', path: '/api/query/classes?format=json' },
      { name: 'api deadlines csv', path: `/api/query/deadlines?board=${b}&format=csv` },
      { name: 'api boards json', path: '/api/query/boards?format=json' },
      { name: 'api unit-aliases json', path: '/api/query/unit-aliases?format=json' },
      { name: 'api unit json', path: `/api/query/unit?q=${u}&format=json` },
      { name: 'api signatories csv', path: '/api/query/signatories?format=csv' },
      // Answers are kept until the archive changes: a new limit each time measures the query (and its count) run.
      { name: 'api signatories uncached', path: '/api/query/signatories?format=csv&limit=…', vary: (i: number) => `/api/query/signatories?format=csv&limit=${100 + i}` },
      { name: 'api incomplete json', path: '/api/query/incomplete?format=json' },
      { name: 'api search json', path: '/api/query/search?q=kvalitet&format=json' },
    ];
  } finally {
    db.close();
  }
}

async function main() {
  const list = routes();
  const child = spawn(process.execPath, [join(ROOT, 'src/cli/bin.js'), 'serve', '--db', DB, '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, BESLUTSARKIV_FROM_SOURCE: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((ok, fail) => {
    child.once('exit', (code) => fail(new Error(`beslutsarkiv serve exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^beslutsarkiv serve: (http:\S+)$/.exec(line);
      if (m) ok(m[1]!.replace(/\/$/, ''));
    });
  });
  const pid = child.pid!;
  try {
    const rssStart = rssMb(pid);
    console.log(`server ${url} (pid ${pid}), archive ${DB}, RSS at start ${rssStart} MB`);
    console.log(`\nserver-side time (Server-Timing) of ${RUNS} sequential requests after one warm-up; goal p95 < 100 ms\n`);
    console.log(`${'route'.padEnd(36)}${'status'.padStart(7)}${'p50 ms'.padStart(9)}${'p95 ms'.padStart(9)}${'max ms'.padStart(9)}${'client p95'.padStart(12)}`);
    const perRoute: Array<{ name: string; path: string; status: number; p50: number; p95: number; max: number; clientP95: number }> = [];
    for (const r of list) {
      const server: number[] = [];
      const client: number[] = [];
      let status = 0;
      for (let i = 0; i <= RUNS; i++) {
        const t = performance.now();
        const res = await fetch(`${url}${r.vary ? r.vary(i) : r.path}`, { redirect: 'manual' });
        await res.arrayBuffer();
        const took = performance.now() - t;
        status = res.status;
        if (i === 0) continue;
        server.push(Number(/dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '')?.[1] ?? NaN));
        client.push(took);
      }
      const row = { name: r.name, path: r.path, status, p50: pct(server, 50), p95: pct(server, 95), max: Math.max(...server), clientP95: pct(client, 95) };
      perRoute.push(row);
      const flag = status !== (r.status ?? 200) ? ' UNEXPECTED STATUS' : row.p95 >= 100 ? ' over goal' : '';
      console.log(`${r.name.padEnd(36)}${String(status).padStart(7)}${row.p50.toFixed(1).padStart(9)}${row.p95.toFixed(1).padStart(9)}${row.max.toFixed(1).padStart(9)}${row.clientP95.toFixed(1).padStart(12)}${flag}`);
    }
    const rssAfterRoutes = rssMb(pid);
    // The load test: each connection cycles through the pages and API routes that answer 200.
    const mix = list.filter((r) => (r.status ?? 200) === 200 && !r.vary);
    console.log(`\nautocannon: ${CONNECTIONS} connections, ${DURATION} s, a mix of ${mix.length} routes; goal 0 errors, p99 < 300 ms, RSS flat`);
    const rssSamples: number[] = [];
    const sampler = setInterval(() => rssSamples.push(rssMb(pid)), 1000);
    const cpuStart = cpuSeconds(pid);
    const wallStart = performance.now();
    const result = await autocannon({
      url,
      connections: CONNECTIONS,
      duration: DURATION,
      requests: mix.map((r) => ({ method: 'GET' as const, path: r.path })),
    });
    clearInterval(sampler);
    // The server's share of one core during the load: near 100 % means its one thread is the limit
    // (a worker pool could use the other core, if the machine has one free); well under, it waits for CPU or clients.
    const serverCpu = Math.round(((cpuSeconds(pid) - cpuStart) / ((performance.now() - wallStart) / 1000)) * 100);
    const rssEnd = rssMb(pid);
    const load = {
      requests: result.requests.total,
      rps: result.requests.average,
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      latency_p50: result.latency.p50,
      latency_p99: result.latency.p99,
      latency_max: result.latency.max,
      rss_start_mb: rssStart,
      rss_before_load_mb: rssAfterRoutes,
      rss_max_mb: Math.max(...rssSamples, rssEnd),
      // RSS each 5 s of the load: growing to the end, or a plateau?
      rss_every_5s_mb: rssSamples.filter((_, i) => i % 5 === 4),
      rss_end_mb: rssEnd,
      server_cpu_percent: serverCpu,
      load_average: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    };
    console.log(`${load.requests} requests (${load.rps.toFixed(0)}/s), errors ${load.errors}, timeouts ${load.timeouts}, non-2xx ${load.non2xx}`);
    console.log(`latency p50 ${load.latency_p50} ms, p99 ${load.latency_p99} ms, max ${load.latency_max} ms`);
    console.log(`server CPU during the load: ${serverCpu} % of one core; machine load average ${load.load_average}`);
    console.log(`server RSS: start ${rssStart} MB, before the load ${rssAfterRoutes} MB, max ${load.rss_max_mb} MB, end ${rssEnd} MB; every 5 s of the load: ${load.rss_every_5s_mb.join(', ')} MB`);
    const over = perRoute.filter((r) => r.p95 >= 100).map((r) => r.name);
    console.log(`\nroutes over the 100 ms p95 goal: ${over.length ? over.join(', ') : 'none'}`);
    console.log(JSON.stringify({ bench: 'serve', db: DB, runs: RUNS, routes: perRoute, load, over_goal: over }));
  } finally {
    child.kill('SIGTERM');
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
