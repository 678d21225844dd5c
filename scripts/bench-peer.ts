/**
 * Other projects' test corpora as a standing check: the CLI ingests them into a fresh database and
 * this prints files tried, outcomes by code, hangs (files with no outcome by the deadline), crashes
 * (the process dying, or a run without its run-end), the slowest files and the peak resident memory
 * of the whole process tree (the CLI, its OCR workers, its readers). It fails (exit 1) unless every
 * file has exactly one outcome, with no hang and no crash.
 *
 *   npm run bench:peer                       # test/fixtures/peer (a few seconds to minutes)
 *   npm run bench:peer -- --from DIR         # plus the files of scripts/peer-files.txt found in DIR
 *
 * DIR holds local copies of the corpora laid out as DIR/<origin>/<path> (scripts/peer-files.txt says
 * which repositories and commits); each file is taken only when its sha256 matches the list. Options:
 * --file-timeout S and --ocr-timeout S (passed to ingest; default 60 and 60 here, so hostile files end
 * in about a minute), --concurrency N, --only REGEX (origin paths), --max-bytes N (smaller files
 * only), --max-files N, --deadline S (the whole run; default: enough for every file to reach its own
 * timeout), --keep (keep the work folder).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { treeRss } from './bench-lib.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'src/cli/bin.js');
const PEER = join(ROOT, 'test/fixtures/peer/files');
const LIST = join(ROOT, 'scripts/peer-files.txt');

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

const fileTimeout = Number(option('file-timeout') ?? 60);
const ocrTimeout = Number(option('ocr-timeout') ?? 60);
const concurrency = Number(option('concurrency') ?? availableParallelism());
const only = option('only') ? new RegExp(option('only')!) : undefined;
const maxFiles = Number(option('max-files') ?? Infinity);
const maxBytes = Number(option('max-bytes') ?? Infinity);
const from = option('from');

const work = mkdtempSync(join(tmpdir(), 'bench-peer-'));
const inputs = join(work, 'in');
mkdirSync(inputs, { recursive: true });
cpSync(PEER, join(inputs, 'peer'), { recursive: true });

let missing = 0;
if (from) {
  let taken = 0;
  for (const line of readFileSync(LIST, 'utf8').split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [sha, origin] = line.trim().split(/\s+/) as [string, string];
    if (only && !only.test(origin)) continue;
    if (taken >= maxFiles) break;
    const source = join(from, origin);
    if (!existsSync(source) || createHash('sha256').update(readFileSync(source)).digest('hex') !== sha) {
      missing++;
      continue;
    }
    if (statSync(source).size > maxBytes) continue;
    const target = join(inputs, origin);
    mkdirSync(dirname(target), { recursive: true });
    cpSync(source, target);
    taken++;
  }
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}
const files = walk(inputs);
const deadlineS = Number(option('deadline') ?? 600 + Math.ceil(files.length / concurrency) * (fileTimeout + ocrTimeout));


interface FileEvent {
  event: 'file';
  status: string;
  path: string;
  code?: string;
  reason?: string;
  ms: number;
}

const db = join(work, 'bench.sqlite');
const args = [BIN, 'ingest', inputs, '--db', db, '--log-format', 'json', '--file-timeout', String(fileTimeout), '--ocr-timeout', String(ocrTimeout), '--concurrency', String(concurrency)];
console.log(`bench:peer: ${files.length} files (${files.length - walk(join(inputs, 'peer')).length} from --from, ${missing} listed but not found), ` +
  `--file-timeout ${fileTimeout} --ocr-timeout ${ocrTimeout} --concurrency ${concurrency}, deadline ${deadlineS} s`);
const started = performance.now();
const cli = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
const events: FileEvent[] = [];
let runEnd: { status: string } | undefined;
let buffer = '';
cli.stderr.setEncoding('utf8');
cli.stderr.on('data', (chunk: string) => {
  buffer += chunk;
  let nl: number;
  while ((nl = buffer.indexOf('\n')) !== -1) {
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    try {
      const e = JSON.parse(line);
      if (e.event === 'file') events.push(e);
      if (e.event === 'run-end') runEnd = e;
    } catch {
      /* not an event */
    }
  }
});
let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, treeRss(cli.pid!))), 200);
let killedAtDeadline = false;
/** Files being read when the deadline came (the run's in_flight rows, before SIGTERM clears them). */
let inFlightAtDeadline: string[] = [];
const deadline = setTimeout(() => {
  killedAtDeadline = true;
  try {
    const raw = new BetterSqlite3(db, { readonly: true });
    inFlightAtDeadline = (raw.prepare('SELECT path FROM in_flight').all() as Array<{ path: string }>).map((r) => r.path);
    raw.close();
  } catch {
    /* no database yet */
  }
  cli.kill('SIGTERM');
  setTimeout(() => cli.kill('SIGKILL'), 10_000).unref();
}, deadlineS * 1000);
const exit = await new Promise<{ code: number | null; signal: string | null }>((done) => cli.once('exit', (code, signal) => done({ code, signal })));
clearInterval(sampler);
clearTimeout(deadline);
const seconds = (performance.now() - started) / 1000;

// Every file: exactly one outcome.
const byPath = new Map<string, FileEvent[]>();
for (const e of events) byPath.set(e.path, [...(byPath.get(e.path) ?? []), e]);
const noOutcome = files.filter((f) => !byPath.has(f));
const several = [...byPath].filter(([, es]) => es.length > 1).map(([p]) => p);
// A file being read at the deadline is a hang; one never reached means the deadline was too short.
const hangs = killedAtDeadline ? inFlightAtDeadline.filter((p) => !byPath.has(p)).length : 0;
const notReached = killedAtDeadline ? noOutcome.length - hangs : 0;
const crashed = !killedAtDeadline && (exit.signal !== null || (exit.code !== 0 && exit.code !== 1) || !runEnd);
const outcomes = new Map<string, number>();
for (const e of events) {
  const key = e.code ? `${e.status} ${e.code}` : e.status;
  outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
}
const name = (p: string) => relative(inputs, p);

const lines = [
  `files tried      ${files.length}`,
  `with an outcome  ${byPath.size}${several.length ? ` (${several.length} with more than one!)` : ''}`,
  'outcomes:',
  ...[...outcomes].sort((a, b) => b[1] - a[1]).map(([k, n]) => `  ${String(n).padStart(5)}  ${k}`),
  `hangs            ${hangs}${hangs ? `: ${inFlightAtDeadline.slice(0, 10).map(name).join(', ')}` : ''}`,
  ...(killedAtDeadline ? [`not reached      ${notReached} (the deadline of ${deadlineS} s came first: give a longer --deadline)`] : []),
  `crashes          ${crashed ? 1 : 0}${crashed ? ` (exit ${exit.signal ?? exit.code}${runEnd ? '' : ', no run-end'}; ${noOutcome.length} files without an outcome)` : ''}`,
  `run              ${runEnd?.status ?? 'no run-end'}, exit ${exit.signal ?? exit.code}, ${seconds.toFixed(0)} s`,
  `peak RSS         ${(peak / 2 ** 20).toFixed(0)} MiB (the CLI, its OCR workers and readers together)`,
  'slowest files:',
  ...[...events].sort((a, b) => b.ms - a.ms).slice(0, 10).map((e) => `  ${(e.ms / 1000).toFixed(1).padStart(6)} s  ${name(e.path)}  ${e.code ? `[${e.code}] ` : ''}${e.status}`),
];
console.log(lines.join('\n'));
const failed = events.filter((e) => e.status === 'failed' || e.status === 'skipped');
writeFileSync(join(work, 'outcomes.tsv'), events.map((e) => [name(e.path), e.status, e.code ?? '', e.ms, (e.reason ?? '').replace(/\s+/g, ' ')].join('\t')).join('\n'));
console.log(`every outcome: ${join(work, 'outcomes.tsv')} (${failed.length} failed or skipped)`);
const ok = several.length === 0 && noOutcome.length === 0 && hangs === 0 && !crashed;
console.log(JSON.stringify({ files: files.length, outcomes: Object.fromEntries(outcomes), hangs, not_reached: notReached, crashes: crashed ? 1 : 0, peak_rss_mib: Math.round(peak / 2 ** 20), seconds: Math.round(seconds), ok }));
if (!process.argv.includes('--keep')) {
  // Keep the outcomes; the copies and the database go.
  rmSync(inputs, { recursive: true, force: true });
  rmSync(db, { force: true });
  for (const f of readdirSync(work)) if (f.startsWith('bench.sqlite')) rmSync(join(work, f), { force: true });
}
process.exitCode = ok ? 0 : 1;
