/**
 * Sharded ingest against one plain ingest of the same files (issue 15):
 *
 *   npm run bench:shard [-- --quick] [-- --no-scans]
 *
 * The files (the corpus, generated text and Markdown documents, text PDFs, copies of some of them in
 * another folder so that the same bytes land in two shards, and two scans to OCR unless --no-scans)
 * are ingested once plainly, and as 4 shards run by `xargs -P 2` calling the CLI
 * (`ingest DIR --shard K/4 --db part-K.sqlite`), whose parts are then merged. Figures:
 *
 * - `shard_equivalence`: the merged archive's export equals the plain one's, compared as sorted JSON
 *   (see comparableExport for what is left out: times, and which of equally good documents of a report counts).
 * - `shard_merge_s`: the merge of the 4 parts into a new archive (mergeArchives in this process, process start
 *   excluded; median of 3).
 *
 * The same function runs inside `npm run bench` (scripts/bench.ts), which prints the two figures in its JSON line.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { iterateRecords } from '../src/store/read.js';
import { mergeArchives } from '../src/store/merge.js';
import { ROOT, seedTexts, Stats } from './bench-lib.js';
import { makeTextPdf } from './fixtures.js';

const CLI = join(ROOT, 'src/cli/bin.js');
/** The shards of the benchmark, run two at a time. */
export const SHARDS = 4;

/**
 * The export records of an archive, each as a JSON line, sorted: what two archives of the same files
 * must agree on. Left out: first_seen and last_seen (times of the run), the order of a document's
 * paths (by first_seen), and the report's id (its best document's row id) and `counted` (which of
 * equally good documents of a report counts is decided by row id, i.e. the order documents were
 * stored in, which even two plain ingests with --concurrency above 1 need not share). A report is
 * named by its documents' sha256 instead, and each report must still count exactly one document.
 */
export function comparableExport(dbPath: string): string[] {
  const db = new BetterSqlite3(dbPath, { readonly: true, fileMustExist: true });
  try {
    const records = [...iterateRecords(db)];
    const members = new Map<number, string[]>();
    const counted = new Map<number, number>();
    for (const r of records) {
      if (!r.report) continue;
      (members.get(r.report.id) ?? members.set(r.report.id, []).get(r.report.id)!).push(r.source.sha256);
      counted.set(r.report.id, (counted.get(r.report.id) ?? 0) + (r.report.counted ? 1 : 0));
    }
    return records
      .map((r) => {
        const { first_seen: _f, last_seen: _l, ...source } = r.source;
        const report = r.report && {
          documents: r.report.documents,
          members: [...members.get(r.report.id)!].sort(),
          counted_once: counted.get(r.report.id) === 1,
        };
        return JSON.stringify({ ...r, source: { ...source, paths: [...source.paths].sort() }, report });
      })
      .sort();
  } finally {
    db.close();
  }
}

/** Files of the benchmark (and of test/shard.test.ts): how many of each. */
export interface ShardCorpusOptions {
  /** Generated text documents (distinct bytes; the seeds' text with a serial number). */
  texts: number;
  /** Scans to OCR (from the test fixtures): none makes the run need no OCR. */
  scans: boolean;
}

/**
 * Writes the files: corpus/ (the five corpus reports), text/ (generated), md/ (the seeds as Markdown),
 * pdf/ (the seeds as text PDFs), copies/ (the same bytes as two PDFs and two corpus reports, under
 * other names), scans/ (optional). Returns the number of files.
 */
export async function buildShardCorpus(dir: string, options: ShardCorpusOptions): Promise<number> {
  rmSync(dir, { recursive: true, force: true });
  for (const sub of ['corpus', 'text', 'md', 'pdf', 'copies']) mkdirSync(join(dir, sub), { recursive: true });
  let n = 0;
  const write = (path: string, data: string | Buffer) => {
    writeFileSync(join(dir, path), data);
    n++;
  };
  const corpus = ['000_32a9fff0cf960181', '001_91a3c1650f19c566', '002_3e46df6f17c46d2f', '003_5dc16642857d16cb', '004_6306731b55b2ba86'];
  for (const c of corpus) write(`corpus/${c}.txt`, readFileSync(join(ROOT, 'corpus', `${c}.txt`)));
  const seeds = seedTexts();
  for (let i = 0; i < options.texts; i++) write(`text/doc-${String(i).padStart(4, '0')}.txt`, `${seeds[i % seeds.length]}\n\nLöpnummer ${i}\n`);
  seeds.forEach((t, i) => write(`md/seed-${i}.md`, `# Tjänsteutlåtande\n\n${t.split('\n').map((l) => l.trim()).filter(Boolean).join('\n\n')}\n`));
  const compact = (t: string) => t.split('\n').map((l) => l.trim()).filter(Boolean).join('\n');
  for (let i = 0; i < seeds.length; i++) write(`pdf/seed-${i}.pdf`, await makeTextPdf(compact(seeds[i]!)));
  // The same bytes under other names and folders: one document with two paths, whichever shards they fall in.
  for (const [from, to] of [['pdf/seed-0.pdf', 'copies/kopia-seed-0.pdf'], ['pdf/seed-2.pdf', 'copies/seed-2 (2).pdf'], ['corpus/001_91a3c1650f19c566.txt', 'copies/2017.txt'], ['corpus/003_5dc16642857d16cb.txt', 'copies/a-2023.txt']]) {
    copyFileSync(join(dir, from!), join(dir, to!));
    n++;
  }
  if (options.scans) {
    const { makeFixtures } = await import('./make-fixtures.js');
    const fx = await makeFixtures();
    mkdirSync(join(dir, 'scans'), { recursive: true });
    for (const f of ['2012-page1.png', '2012-page2.jpg']) write(`scans/${f}`, readFileSync(join(fx.good, f)));
  }
  return n;
}

const removeDb = (db: string) => {
  for (const f of [db, `${db}-wal`, `${db}-shm`, `${db}.lock`]) rmSync(f, { force: true });
};

export interface ShardBench {
  shard_equivalence: boolean;
  shard_merge_s: number;
  files: number;
  documents: number;
  plain_s: number;
  shards_s: number;
}

/** Runs the benchmark in `out` (bench/out/shard by default) and records its rows in `stats`. */
export async function benchShard(stats: Stats, options: { quick?: boolean; scans?: boolean; out?: string } = {}): Promise<ShardBench> {
  const out = options.out ?? join(ROOT, 'bench/out/shard');
  const dir = join(out, 'files');
  const files = await buildShardCorpus(dir, { texts: options.quick ? 20 : 100, scans: options.scans ?? true });
  const env = { ...process.env, BESLUTSARKIV_FROM_SOURCE: '1' };
  const plain = join(out, 'plain.sqlite');
  removeDb(plain);
  let t = performance.now();
  const p = spawnSync(process.execPath, [CLI, 'ingest', dir, '--db', plain, '--concurrency', '2', '--log-format', 'json', '--log-file', join(out, 'plain.log')], { env, encoding: 'utf8' });
  if (p.status !== 0) throw new Error(`plain ingest exited ${p.status}: ${p.stderr}`);
  const plainS = (performance.now() - t) / 1000;
  stats.note(`plain ingest of ${files} files (CLI, --concurrency 2)`, 's', plainS);

  const parts = Array.from({ length: SHARDS }, (_, k) => join(out, `part-${k}.sqlite`));
  parts.forEach(removeDb);
  // Each shard a process of its own, two at a time, as a job runner would start them.
  const script = `seq 0 ${SHARDS - 1} | xargs -P 2 -I{} "$NODE" "$CLI" ingest "$DIR" --shard {}/${SHARDS} --db "$OUT/part-{}.sqlite" --concurrency 1 --log-format json --log-file "$OUT/part-{}.log"`;
  t = performance.now();
  const s = spawnSync('sh', ['-c', script], { env: { ...env, NODE: process.execPath, CLI, DIR: dir, OUT: out }, encoding: 'utf8' });
  if (s.status !== 0) throw new Error(`sharded ingest (xargs) exited ${s.status}: ${s.stderr}`);
  const shardsS = (performance.now() - t) / 1000;
  stats.note(`${SHARDS} shards of the same files (CLI, xargs -P 2, --concurrency 1 each)`, 's', shardsS);

  // The merge into a new archive, three times (median): a second or so, easily swamped by other load on the machine.
  const merged = join(out, 'merged.sqlite');
  const times: number[] = [];
  let summary: ReturnType<typeof mergeArchives> | undefined;
  for (let r = 0; r < 3; r++) {
    removeDb(merged);
    t = performance.now();
    summary = mergeArchives(parts, { db: merged });
    times.push((performance.now() - t) / 1000);
  }
  const mergeS = stats.record(`merge of the ${SHARDS} parts (${summary!.documents} documents, in process, new archive)`, 's', times);
  // Merged again through the CLI: must change nothing.
  const again = spawnSync(process.execPath, [CLI, 'merge', ...parts, '--db', merged], { env, encoding: 'utf8' });
  if (again.status !== 0 || !again.stdout.includes('nothing changed')) throw new Error(`merging the parts again changed the archive or failed: ${again.stdout}${again.stderr}`);

  const a = comparableExport(plain);
  const b = comparableExport(merged);
  const equal = a.length === b.length && a.every((x, i) => x === b[i]);
  if (!equal) {
    const i = a.findIndex((x, k) => x !== b[k]);
    console.error(`bench:shard: the exports differ (plain ${a.length} records, merged ${b.length}); first difference:\n  plain:  ${a[i] ?? '(none)'}\n  merged: ${b[i] ?? '(none)'}`);
  }
  stats.note('shard_equivalence (sorted exports equal: 1)', 'bool', equal ? 1 : 0);
  return { shard_equivalence: equal, shard_merge_s: mergeS, files, documents: summary!.documents, plain_s: plainS, shards_s: shardsS };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const stats = new Stats();
  const quick = process.argv.includes('--quick');
  const result = await benchShard(stats, { quick, scans: !process.argv.includes('--no-scans') });
  stats.print(`beslutsarkiv bench:shard${quick ? ' (quick)' : ''}: ${result.files} files, ${result.documents} documents, node ${process.version}`);
  console.log(JSON.stringify({ shard_equivalence: result.shard_equivalence, shard_merge_s: +result.shard_merge_s.toFixed(3), files: result.files, documents: result.documents }));
}
