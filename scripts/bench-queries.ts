/**
 * p95 latency of every named query on the synthetic 100,000-document archive (built by
 * scripts/make-synthetic-archive.ts when missing), the time and peak memory of `beslutsarkiv
 * export` over it in each format, and the database size.
 *
 *   npm run bench:queries [-- --documents 100000] [-- --runs 30] [-- --db other.sqlite] [-- --no-export]
 * Each query runs as `beslutsarkiv query` runs it (src/query/named.ts: filters resolved, default
 * limits, the total counted when an answer is cut).
 * The archive is migrated first (a writer's open), as the next ingest run would.
 * The last line is one JSON object: query name → p95 ms and → median CPU ms, the load average,
 * export seconds and peak RSS, the size.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../src/store/database.js';
import { runNamedQuery } from '../src/query/named.js';
import type * as q from '../src/query/queries.js';
import { SYNTHETIC_VERSION } from './synthetic-version.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SELF = fileURLToPath(import.meta.url);

/** Where the synthetic archive of `documents` lives (its shape's version in the name, so a changed shape is rebuilt). */
export function syntheticPath(documents: number): string {
  return join(ROOT, `bench/out/synthetic-v${SYNTHETIC_VERSION}-${documents}.sqlite`);
}

/** The median CPU milliseconds of each query of the last benchQueries run. */
export const cpuP50: Record<string, number> = {};

export async function benchQueries(dbPath: string, documents: number, runs = 30): Promise<Record<string, number>> {
  // Loaded only to build the archive: the export child process must load no more than the CLI does.
  if (!existsSync(dbPath)) (await import('./make-synthetic-archive.js')).makeSyntheticArchive(dbPath, documents);
  // The archive as this beslutsarkiv keeps it: a writer's open applies any newer migration (as the
  // next ingest run would), so the queries are measured with the summaries and indexes they read.
  openDatabase(dbPath).close();
  const db = openDatabase(dbPath, { readonly: true });
  const unit = db.prepare('SELECT name FROM distinct_units ORDER BY id LIMIT 1 OFFSET 100').pluck().get() as string;
  // A board of middling size (the median by reports), as most queries are about one.
  const named = db.prepare('SELECT board FROM summary_boards WHERE class IS NULL AND board IS NOT NULL ORDER BY reports').pluck().all() as string[];
  const board = named[Math.floor(named.length / 2)]!;
  const largest = named[named.length - 1]!;
  // A board's name typed the way people do: lower case, no å/ä/ö (matched folded, as --board does).
  const typed = board.toLowerCase().replace(/[åä]/g, 'a').replace(/ö/g, 'o');
  // Each query as `beslutsarkiv query` runs it (src/query/named.ts): its filters resolved, its
  // default limit, and the total counted when the answer is cut at it.
  const run = (name: string, arg = '', filters: q.Filters = {}, by?: string) => () => runNamedQuery(db, name, arg, { filters, by }, []).rows;
  const queries: Record<string, () => unknown[]> = {
    'participation --by year': run('participation'),
    'participation --by year,board': run('participation', '', {}, 'year,board'),
    'participation --by year,class': run('participation', '', {}, 'year,class'),
    [`participation --board "${typed}" --class forskola`]: run('participation', '', { board: typed, class: 'forskola' }),
    'participation --from 2007 --to 2019': run('participation', '', { from: 2007, to: 2019 }),
    [`unit "${unit}"`]: run('unit', unit),
    'unit (forgiving, lower case, no type word; the first 100 rows and the total)': run('unit', unit.split(' ').slice(1).join(' ').toLowerCase()),
    'unit-aliases': run('unit-aliases'),
    [`unit-aliases --board "${typed}"`]: run('unit-aliases', '', { board: typed }),
    classes: run('classes'),
    deadlines: run('deadlines'),
    boards: run('boards'),
    'boards --class aldreomsorg': run('boards', '', { class: 'aldreomsorg' }),
    'boards --from 2020 --to 2020': run('boards', '', { from: 2020, to: 2020 }),
    [`signatories --board "${typed}"`]: run('signatories', '', { board: typed }),
    [`signatories --board "${largest}" (the largest board; first 100 rows and the total)`]: run('signatories', '', { board: largest }),
    'signatories --from 2020 --to 2020': run('signatories', '', { from: 2020, to: 2020 }),
    incomplete: run('incomplete'),
    'search "kvalitetsutmarkelsen 2019"': run('search', 'kvalitetsutmarkelsen 2019'),
    [`search "hallbar" --board "${typed}" --from 2019 (a word of every document)`]: run('search', 'hallbar', { board: typed, from: 2019 }),
    [`search "hallbar" --board "${largest}" --from 2015 --to 2020`]: run('search', 'hallbar', { board: largest, from: 2015, to: 2020 }),
    'search "hallbar" --from 2024 (a year of every board; the newest matches ranked)': run('search', 'hallbar', { from: 2024 }),
  };
  const p95: Record<string, number> = {};
  // CPU time (user + system) of the median run beside the wall times: the figure least disturbed by
  // other processes on a shared machine (wall time there is mostly waiting for a core).
  console.log(`${'query'.padEnd(90)}${'p50 ms'.padStart(9)}${'p95 ms'.padStart(9)}${'cpu ms'.padStart(9)}${'rows'.padStart(9)}`);
  for (const [name, fn] of Object.entries(queries)) {
    fn(); // warm the page cache and statement
    const times: number[] = [];
    const cpu: number[] = [];
    let rows = 0;
    for (let i = 0; i < runs; i++) {
      const c = process.cpuUsage();
      const t = performance.now();
      rows = fn().length;
      times.push(performance.now() - t);
      const d = process.cpuUsage(c);
      cpu.push((d.user + d.system) / 1000);
    }
    times.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    p95[name] = +times[Math.ceil(runs * 0.95) - 1]!.toFixed(1);
    cpuP50[name] = +cpu[Math.floor(runs / 2)]!.toFixed(1);
    console.log(`${name.padEnd(90)}${times[Math.floor(runs / 2)]!.toFixed(1).padStart(9)}${p95[name]!.toFixed(1).padStart(9)}${cpuP50[name]!.toFixed(1).padStart(9)}${String(rows).padStart(9)}`);
  }
  db.close();
  return p95;
}

export interface ExportFigure {
  /** From starting the process to its exit, as a user waits for `beslutsarkiv export > file`. */
  wall_s: number;
  /** The export itself, inside the process (without starting Node and loading the code). */
  export_s: number;
  /** Peak resident memory of the process. */
  max_rss_mib: number;
  /** CPU time (user + system): the figure least disturbed by other load on the machine. */
  cpu_s: number;
  bytes: number;
}

/** Runs `beslutsarkiv export --format <format>` over the archive in a fresh process, its output to /dev/null. */
export function benchExport(dbPath: string, format: 'json' | 'ndjson' | 'csv'): ExportFigure {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', SELF, '--export-child', dbPath, format], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`export --format ${format} failed: ${r.stderr}`);
  const child = JSON.parse(r.stderr.trim().split('\n').pop()!) as Omit<ExportFigure, 'wall_s'>;
  return { wall_s: +wall.toFixed(2), ...child };
}

async function exportChild(dbPath: string, format: string): Promise<void> {
  const { main } = await import('../src/cli/main.js');
  let bytes = 0;
  const write = process.stdout.write.bind(process.stdout);
  const counting = Object.assign(Object.create(process.stdout) as NodeJS.WriteStream, {
    write: (chunk: string | Uint8Array, ...rest: unknown[]) => {
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
    },
  });
  const t = performance.now();
  const code = await main(['node', 'beslutsarkiv', 'export', '--db', dbPath, '--format', format], { stdout: counting, stderr: process.stderr });
  const seconds = (performance.now() - t) / 1000;
  const usage = process.resourceUsage();
  if (code !== 0) process.exit(code);
  process.stderr.write(
    `${JSON.stringify({ export_s: +seconds.toFixed(2), max_rss_mib: +(usage.maxRSS / 1024).toFixed(0), cpu_s: +((usage.userCPUTime + usage.systemCPUTime) / 1e6).toFixed(2), bytes })}\n`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === SELF) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  if (process.argv.includes('--export-child')) {
    await exportChild(arg('--export-child')!, process.argv[process.argv.indexOf('--export-child') + 2]!);
  } else {
    const documents = Number(arg('--documents') ?? 100_000);
    // --db: an existing archive instead of the synthetic one (it must exist).
    const dbPath = arg('--db') ? resolve(arg('--db')!) : syntheticPath(documents);
    const p95 = await benchQueries(dbPath, documents, Number(arg('--runs') ?? 30));
    const worst = Math.max(...Object.values(p95));
    const docs = (() => {
      const db = openDatabase(dbPath, { readonly: true });
      const n = db.prepare('SELECT (SELECT count(*) FROM documents) AS documents, (SELECT count(*) FROM reports) AS reports').get() as { documents: number; reports: number };
      db.close();
      return n;
    })();
    console.log(`\nexport of all ${docs.documents} documents (${docs.reports} reports), output to /dev/null, a fresh process each`);
    const exports: Record<string, ExportFigure> = {};
    for (const format of process.argv.includes('--no-export') ? [] : (['json', 'ndjson', 'csv'] as const)) {
      exports[format] = benchExport(dbPath, format);
      const e = exports[format];
      console.log(`export --format ${format.padEnd(7)} ${e.wall_s.toFixed(2)} s wall (${e.export_s.toFixed(2)} s exporting, ${e.cpu_s.toFixed(2)} s CPU), peak RSS ${e.max_rss_mib} MiB, ${(e.bytes / 2 ** 20).toFixed(0)} MiB out`);
    }
    console.log(
      JSON.stringify({
        documents: docs.documents,
        reports: docs.reports,
        db_mib: +(statSync(dbPath).size / 2 ** 20).toFixed(1),
        query_p95_ms_max: worst,
        p95_ms: p95,
        cpu_p50_ms: cpuP50,
        load_average: loadavg().map((x) => +x.toFixed(1)),
        export: exports,
      }),
    );
  }
}
