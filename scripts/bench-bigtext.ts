/**
 * Big text files through the whole pipeline: a text of 1, 2, 5 and 10 MB (the corpus reports and the
 * devset texts, repeated) is ingested by the CLI into a fresh database, and this prints, per size,
 * the file's outcome, the wall time of the run, its CPU time (user + system of the whole tree, from
 * GNU time where installed) and the peak resident memory of the CLI's process tree
 * (the CLI with its text-stage worker, and its reader); then the time of each stage (read, normalize,
 * layout, extract) run in this process on the same text, wall and CPU; then how long a text above
 * --max-text-bytes (300 MB by default) takes to be skipped.
 *
 *   npm run bench:bigtext
 *   npm run bench:bigtext -- --sizes 1,10 --skip-size 300 --keep
 *
 * Goal (issue 16): 10 MB in at most 30 s and 500 MB; the 300 MB file skipped at once. Run it on an
 * otherwise idle machine: wall times grow with other load, CPU times much less.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractDocument } from '../src/extract/extract.js';
import { readSource } from '../src/ingest/read-source.js';
import { layoutDocument } from '../src/layout/stage.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { loadRepairModels } from '../src/repair/models.js';
import { normalizeDocument } from '../src/repair/normalize.js';
import type { DocumentFile } from '../src/document-file.js';
import { ROOT, treeRss } from './bench-lib.js';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

const sizes = (option('sizes') ?? '1,2,5,10').split(',').map(Number);
const skipSize = Number(option('skip-size') ?? 300);
const BIN = join(ROOT, 'src/cli/bin.js');
const TIME = '/usr/bin/time';
const MB = 1_000_000;

/** The corpus reports and devset texts, one after another, blank lines between them. */
function unitText(): string {
  const files = [
    ...readdirSync(join(ROOT, 'corpus')).filter((f) => f.endsWith('.txt')).map((f) => join(ROOT, 'corpus', f)),
    ...readdirSync(join(ROOT, 'test/devset/texts')).sort().map((f) => join(ROOT, 'test/devset/texts', f)),
  ];
  return files.map((f) => readFileSync(f, 'utf8').trim()).join('\n\n') + '\n\n';
}

/** A text of about `bytes` bytes of UTF-8: the unit repeated, cut at a line end. */
function bigText(bytes: number, unit = unitText()): string {
  const unitBytes = Buffer.byteLength(unit);
  let text = unit.repeat(Math.ceil(bytes / unitBytes));
  // Cut at the last line end before the size (as bytes; å/ä/ö take two).
  const buffer = Buffer.from(text).subarray(0, bytes);
  text = buffer.toString('utf8');
  return text.slice(0, text.lastIndexOf('\n') + 1);
}


interface CliRun {
  seconds: number;
  /** CPU seconds of the CLI and its children (user + system), where /usr/bin/time is there to say. */
  cpu?: number;
  peakMiB: number;
  status: string;
  reason?: string;
}

/** Ingests one file with the CLI into a fresh database: wall time, peak RSS of its tree, the file's outcome. */
function ingest(path: string, db: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const args = [BIN, 'ingest', path, '--db', db, '--log-format', 'json', '--file-timeout', '1200'];
    // GNU time reports the CPU time of the whole tree (a shared machine inflates wall time, not CPU time).
    const cli = existsSync(TIME)
      ? spawn(TIME, ['-f', 'cpu-seconds %U %S', process.execPath, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let peak = 0;
    const timer = setInterval(() => (peak = Math.max(peak, treeRss(cli.pid!))), 100);
    let stderr = '';
    cli.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    cli.on('error', reject);
    cli.on('close', () => {
      clearInterval(timer);
      const seconds = (performance.now() - t0) / 1000;
      const event = stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { event: string; status?: string; reason?: string })
        .find((e) => e.event === 'file');
      const cpu = /cpu-seconds ([\d.]+) ([\d.]+)/.exec(stderr);
      resolve({ seconds, ...(cpu ? { cpu: Number(cpu[1]) + Number(cpu[2]) } : {}), peakMiB: peak / 2 ** 20, status: event?.status ?? `no outcome (${stderr.trim().split('\n').at(-1) ?? ''})`, reason: event?.reason });
    });
  });
}

type StageTimes = Record<string, { wall: number; cpu: number }>;

/** The stages run here, one after another, on the text: wall and CPU seconds of each, and the units found. */
async function stageTimes(path: string): Promise<{ times: StageTimes; units: number }> {
  const times: StageTimes = {};
  const time = async <T>(stage: string, run: () => T | Promise<T>): Promise<T> => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const result = await run();
    const c = process.cpuUsage(c0);
    times[stage] = { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
    return result;
  };
  const bytes = readFileSync(path);
  const source = await time('read', () => readSource({ path, name: 'big.txt', size: bytes.length, mtimeMs: 0, sha256: '-', bytes }, DEFAULT_LIMITS));
  const file: DocumentFile = source.file;
  file.pages = source.pages.map((p) => ({ number: p.number, text: p.text ?? '', source: p.source, confidence: null }));
  await time('normalize', () => normalizeDocument(file));
  await time('layout', () => layoutDocument(file));
  await time('extract', () => extractDocument(file));
  return { times, units: file.extraction?.record.units.length ?? 0 };
}

const work = mkdtempSync(join(tmpdir(), 'bench-bigtext-'));
const unit = unitText();
loadRepairModels(); // once, before the first stage timing
const rows: string[] = [];
const figures: Record<string, unknown> = {};
console.log(`big texts through the pipeline (work folder ${work})\n`);
console.log(`${'size'.padEnd(6)}${'outcome'.padEnd(10)}${'wall s'.padStart(8)}${'CPU s'.padStart(8)}${'peak MiB'.padStart(10)}   stages in one process, wall s (CPU s)`);
for (const size of sizes) {
  const path = join(work, `big-${size}mb.txt`);
  writeFileSync(path, bigText(size * MB, unit));
  const run = await ingest(path, join(work, `big-${size}mb.sqlite`));
  const { times: stages, units } = await stageTimes(path);
  const stageText = ['read', 'normalize', 'layout', 'extract'].map((s) => `${s} ${stages[s]!.wall.toFixed(1)} (${stages[s]!.cpu.toFixed(1)})`).join(', ');
  const line = `${`${size} MB`.padEnd(6)}${run.status.padEnd(10)}${run.seconds.toFixed(1).padStart(8)}${(run.cpu?.toFixed(1) ?? '-').padStart(8)}${run.peakMiB.toFixed(0).padStart(10)}   ${stageText}; ${units} units`;
  console.log(line + (run.reason ? `\n      ${run.reason}` : ''));
  rows.push(line);
  figures[`${size}mb`] = {
    status: run.status,
    seconds: Math.round(run.seconds * 10) / 10,
    cpu_seconds: run.cpu === undefined ? null : Math.round(run.cpu * 10) / 10,
    peak_rss_mib: Math.round(run.peakMiB),
    stages_cpu_s: Object.fromEntries(['read', 'normalize', 'layout', 'extract'].map((s) => [s, Math.round(stages[s]!.cpu * 10) / 10])),
  };
  rmSync(path);
}

if (skipSize > 0) {
  // Written in pieces (the whole would not fit a string), then ingested: it must be skipped at once.
  const path = join(work, `big-${skipSize}mb.txt`);
  const chunk = Buffer.from(bigText(10 * MB, unit));
  const fd = openSync(path, 'w');
  for (let written = 0; written < skipSize * MB; written += chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, skipSize * MB - written));
  closeSync(fd);
  const run = await ingest(path, join(work, `big-${skipSize}mb.sqlite`));
  console.log(`\n${skipSize} MB text: ${run.status} in ${run.seconds.toFixed(1)} s (CPU ${run.cpu?.toFixed(1) ?? '-'} s), peak ${run.peakMiB.toFixed(0)} MiB${run.reason ? `\n      ${run.reason}` : ''}`);
  figures[`${skipSize}mb`] = { status: run.status, seconds: Math.round(run.seconds * 10) / 10, cpu_seconds: run.cpu === undefined ? null : Math.round(run.cpu * 10) / 10, peak_rss_mib: Math.round(run.peakMiB) };
  rmSync(path);
}
console.log(JSON.stringify(figures));
if (!process.argv.includes('--keep')) rmSync(work, { recursive: true, force: true });
