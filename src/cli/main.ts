/**
 * The command line: argument parsing and printing only; the work is in the library (src/index.ts).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { availableParallelism } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  acquireWriterLock, addAlias, addSuccession, Archive, checkDatabasePath, csvRecord, DatabaseLockedError, DatabaseNotFoundError, DatabasePathError,
  datasetteMetadata, decideReportGroup as decide, DEFAULT_DB_PATH, DEFAULT_LIMITS, describeChanges, DocumentError, EXIT, findDocuments,
  findUnitIdentities, fullText, importSuccessions, iterateRecordJson, iterateRecords, LineageFileError, listAliases, listSuccessions, matchBoard, matchClass, OcrPool, openDatabase,
  parseByteSize, parseShard, QUERY_NAMES, QueryUsageError, ReadOnlyQueryError, readDocument, rebuildReportGroups, refreshSummaries, removeAlias,
  readLineageFile, removeSuccession, renderReport, runNamedQuery, SchemaTooNewError, SchemaTooOldError, sql, sqlColumns, status, stockholmBoards,
  toCsv, toJson, toTable, toXlsx,
  TrainedDataMissingError,
} from '../index.js';
import type { Database, DocumentFile, ExportFilters, Limits, QueryOption, Row, RunSummary, Shard } from '../index.js';
import { createReporter, failureSummary, formatSummary, ingestExitCode, openJsonLog, type JsonLog } from './report.js';
import { addRowOptions, closest, positiveInt, PREFIX, printRows, rowFormat, UsageError } from './output.js';
import { registerReviewCommands } from './review.js';
import { registerMergeCommand } from './merge.js';
import { registerServeCommand } from './serve.js';

export { UsageError } from './output.js';

/** The package.json of this beslutsarkiv: the nearest above this module (src/cli, or compiled in dist/src/cli). */
export function packageVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    if (dirname(dir) === dir) return 'unknown';
  }
}


/** `--shard K/N`: K 0-based. */
function shardArg(value: string): Shard {
  try {
    return parseShard(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function byteSize(value: string): number {
  const n = parseByteSize(value);
  if (n === null) throw new InvalidArgumentError('must be a size such as 20M, 500k or 1048576');
  return n;
}

/** A year of four digits (`--from 17` is refused, not read as year 17). */
function year(value: string): number {
  if (!/^\d{4}$/.test(value.trim())) throw new InvalidArgumentError('a year has four digits, e.g. 2017');
  return Number(value);
}

const dbOption = () => new Option('--db <file>', 'SQLite database').default(DEFAULT_DB_PATH);

function limitOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--max-pages <n>', 'refuse PDFs and TIFFs with more pages').argParser(positiveInt).default(DEFAULT_LIMITS.maxPages))
    .addOption(
      new Option('--max-pixels <megapixels>', 'refuse images larger than this').argParser(positiveInt).default(DEFAULT_LIMITS.maxPixels / 1e6),
    )
    .addOption(
      new Option('--max-file-size <MiB>', 'refuse files larger than this').argParser(positiveInt).default(DEFAULT_LIMITS.maxFileBytes / 2 ** 20),
    )
    .addOption(
      new Option('--max-text-bytes <size>', 'skip text files larger than this (bytes, or with k, M, G)')
        .argParser(byteSize)
        .default(DEFAULT_LIMITS.maxTextBytes, `${DEFAULT_LIMITS.maxTextBytes / 2 ** 20}M`),
    )
    .addOption(
      new Option('--ocr-timeout <seconds>', 'give up on a page OCR has not finished by then').argParser(positiveInt).default(DEFAULT_LIMITS.ocrTimeoutMs / 1000),
    );
}

/** Options of the sandbox and the watchdog: `ingest` only (`normalize` reads one file in-process). */
function sandboxOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--file-timeout <seconds>', 'a file with no outcome by then (plus 60 s for each page it OCRs) fails with code timeout')
        .argParser(positiveInt)
        .default(DEFAULT_LIMITS.fileTimeoutMs / 1000),
    )
    .addOption(
      new Option('--reader-memory <MiB>', 'memory of the sandboxed readers together (each V8 heap: half of it); the file of a reader that goes over fails (resource-limit)')
        .argParser(positiveInt)
        .default(DEFAULT_LIMITS.readerMemoryBytes / 2 ** 20),
    )
    .addOption(
      new Option('--max-stream-size <MiB>', 'refuse PDFs with a compressed stream (not an image) that inflates to more than this')
        .argParser(positiveInt)
        .default(DEFAULT_LIMITS.maxStreamBytes / 2 ** 20),
    )
    .addOption(new Option('--retry-failed', 'read files again that were being read when an earlier run died (otherwise: failed, crashed-before)'));
}

function limitsFrom(o: {
  maxPages: number;
  maxPixels: number;
  maxFileSize: number;
  maxTextBytes: number;
  ocrTimeout: number;
  fileTimeout?: number;
  readerMemory?: number;
  maxStreamSize?: number;
}): Limits {
  return {
    ...DEFAULT_LIMITS,
    maxPages: o.maxPages,
    maxPixels: o.maxPixels * 1e6,
    maxFileBytes: o.maxFileSize * 2 ** 20,
    maxTextBytes: o.maxTextBytes,
    ocrTimeoutMs: o.ocrTimeout * 1000,
    ...(o.fileTimeout ? { fileTimeoutMs: o.fileTimeout * 1000 } : {}),
    ...(o.readerMemory ? { readerMemoryBytes: o.readerMemory * 2 ** 20 } : {}),
    ...(o.maxStreamSize ? { maxStreamBytes: o.maxStreamSize * 2 ** 20 } : {}),
  };
}

/** The run log of ingest and reprocess (JSON), opened by main() before the command runs, so that even a fatal error lands in it. */
export interface RunContext {
  log?: JsonLog;
  logFile?: string;
  /** The command being run (`group join`), for "see beslutsarkiv <cmd> --help". */
  command?: string;
}

type IO = { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream };

export function buildProgram(io: IO, setExit: (code: number) => void, ctx: RunContext = {}): Command {
  const out = (s: string) => io.stdout.write(s);
  /** Said when the exit code is not 0: to stderr, or, when the JSON log is on stderr, as its last event. */
  const exitSummary = (code: number, lines: string[]) => {
    if (ctx.log?.onStderr) return ctx.log.write({ event: 'exit', code, summary: lines });
    ctx.log?.write({ event: 'exit', code, summary: lines });
    io.stderr.write(lines.map((l, i) => (i ? `${l}\n` : `${PREFIX}${l}\n`)).join(''));
  };
  const program = new Command('beslutsarkiv')
    .description('Turn archived Swedish municipal decision documents into a queryable SQLite archive.')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  program.hook('preAction', (_program, action) => {
    const names: string[] = [];
    for (let c: Command | null = action; c && c !== program; c = c.parent) names.unshift(c.name());
    ctx.command = names.join(' ');
  });

  const logOptions = (cmd: Command, what: string) =>
    cmd
      .addOption(new Option('--log-format <format>', `text: ${what}; json: one JSON object per event (to --log-file, else stderr)`).choices(['text', 'json']).default('text'))
      .addOption(new Option('--log-file <file>', 'append the JSON log (one event a line) to this file; stderr then carries only a short summary when the exit code is not 0'));

  const ingestCommand = sandboxOptions(limitOptions(
    logOptions(
      program
        .command('ingest')
        .description('read files and folders (recursively) into the archive')
        .argument('<paths...>', 'files and folders')
        .addOption(dbOption())
        .addOption(new Option('--concurrency <n>', 'files and OCR pages processed at once').argParser(positiveInt).default(availableParallelism())),
      'progress bar and summary',
    )
      .addOption(new Option('--ocr-engine <engine>', 'auto: native tesseract when installed (tesseract ≥ 5 with swe on PATH), else wasm; wasm: the built-in tesseract.js; native: the system\'s tesseract (an error when missing)').choices(['auto', 'wasm', 'native']).default('auto'))
      .addOption(new Option('--force-ocr', 'OCR scanned pages again even where engine, model and settings are unchanged'))
      .addOption(new Option('--allow-empty', `mark known files missing even when their folder is empty, missing or unmounted, or more than 20 % of them are gone`))
      .addOption(new Option('--watch', 'keep running: ingest files added to or changed in the folders once they stop growing (until SIGTERM or Ctrl-C)'))
      .addOption(new Option('--poll', 'with --watch: poll the folders (network shares, where change events do not arrive)'))
      .addOption(
        new Option('--shard <K/N>', 'only the files whose path (relative to the path given) hashes into shard K of N, K from 0 to N-1; merge the parts with beslutsarkiv merge')
          .argParser(shardArg),
      ),
  ));
  ingestCommand.action(async (paths: string[], o) => {
    if (o.poll && !o.watch) throw new UsageError('--poll goes with --watch');
    if (o.shard && o.watch) throw new UsageError('--shard goes with a one-off ingest, not --watch (a watched change is not hashed against its folder)');
    // A mistyped --db is said in words, before anything is read or created.
    checkDatabasePath(o.db, { createFolder: false });
    const controller = new AbortController();
    const reporter = createReporter({ log: ctx.log, text: o.logFormat === 'text', stderr: io.stderr });
    const stop = () => {
      if (controller.signal.aborted) process.exit(EXIT.interrupted);
      reporter.notice('stopping: documents in progress are abandoned, stored ones stay; press Ctrl-C again to quit at once');
      controller.abort();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    try {
      const { ingest } = await import('../index.js');
      const options = {
        db: o.db,
        concurrency: o.concurrency,
        ocrEngine: o.ocrEngine,
        limits: limitsFrom(o),
        signal: controller.signal,
        forceOcr: o.forceOcr ?? false,
        retryFailed: o.retryFailed ?? false,
        allowEmpty: o.allowEmpty ?? false,
        ...(o.shard ? { shard: o.shard as Shard } : {}),
        onEvent: reporter.onEvent,
      };
      if (o.watch) {
        const { watchAndIngest } = await import('./watch.js');
        const code = await watchAndIngest(paths, { ...options, poll: o.poll ?? false, ingest, notice: reporter.notice, onRun: (summary: RunSummary) => {
          if (o.logFormat === 'text') out(formatSummary(summary, resolve(o.db)));
        } });
        setExit(code);
        return;
      }
      const summary = await ingest(paths, options);
      reporter.done();
      if (o.logFormat === 'text') out(formatSummary(summary, resolve(o.db)));
      const code = ingestExitCode(summary);
      setExit(code);
      // An interrupted run was stopped by a person or the system (its run-end says so): nothing to mail.
      if (code !== EXIT.ok && code !== EXIT.interrupted) exitSummary(code, failureSummary(summary, { db: resolve(o.db), logFile: ctx.logFile && resolve(ctx.logFile) }));
      // Interrupted: the run is recorded and the lock released. Whatever work was abandoned (a read
      // stuck in the kernel on a dead network share) must not keep the process alive.
      if (summary.status === 'interrupted') setTimeout(() => process.exit(EXIT.interrupted), 2000).unref();
    } finally {
      reporter.done();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  });

  logOptions(
    program
      .command('reprocess')
      .description('rerun repair and/or extraction from stored page text (no file is read, nothing is OCRed); says what changed')
      .addOption(dbOption())
      .addOption(new Option('--stage <stage>', 'rerun this stage even where its version is current (repair also reruns extract)').choices(['repair', 'extract']))
      .addOption(new Option('--all', 'every document, not only those whose stage versions are out of date')),
    'summary and what changed',
  ).action(async (o) => {
    const { reprocess } = await import('../index.js');
    const result = reprocess({ db: o.db, stage: o.stage, all: o.all, onEvent: ctx.log ? (e) => ctx.log!.write(e) : undefined });
    if (o.logFormat !== 'text') return;
    const lines = [`Done: run ${result.run}: ${result.reprocessed} documents reprocessed, ${result.unchanged} current; ${describeChanges(result.totals)}`];
    for (const c of result.changed) {
      lines.push(`  ${c.document} (${c.document_id})`);
      for (const x of c.added) lines.push(`    + ${x}`);
      for (const x of c.removed) lines.push(`    - ${x}`);
      for (const x of c.changed) lines.push(`    ~ ${x}`);
    }
    out(`${lines.join('\n')}\n`);
  });

  addRowOptions(
    program
      .command('query')
      .description(`answer a trend question from the archive (read-only): ${QUERY_NAMES.join(', ')}`)
      .argument('<name>', QUERY_NAMES.join(' | '))
      .argument('[args...]', 'the unit name, the SELECT statement, or the search words')
      .addOption(dbOption())
      .addOption(new Option('--from <year>', 'from this year (four digits)').argParser(year))
      .addOption(new Option('--to <year>', 'up to this year (four digits)').argParser(year))
      .addOption(new Option('--board <name>', 'one board: its name or part of it, any case, with or without å/ä/ö'))
      .addOption(new Option('--class <class>', 'one award class: its key (forskola, unknown) or Swedish name, or part of it'))
      .addOption(new Option('--by <keys>', 'participation: year (default), year,board, year,class or year,board,class'))
      .addOption(
        new Option('-p, --param <name-and-value...>', 'sql: a named parameter, e.g. -p year 2017 for :year (repeat for more)').argParser(
          (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
        ),
      ),
    { limit: 'the most rows to show: search (default 20 pages), unit, signatories and incomplete (default 100); the total is said on stderr' },
  ).action(async (name: string, args: string[], o) => {
    if (!QUERY_NAMES.includes(name)) {
      const guess = closest(name, QUERY_NAMES);
      throw new UsageError(`no query named "${name}"${guess ? ` (did you mean ${guess}?)` : ''}: use one of ${QUERY_NAMES.join(', ')}`);
    }
    if (o.param && name !== 'sql') throw new UsageError(`-p/--param goes with query sql, not query ${name}`);
    const format = rowFormat(o, io.stdout);
    const db = openDatabase(o.db, { readonly: true, current: true });
    try {
      let columns: string[];
      let rows: Row[];
      if (name === 'sql' && o.param) {
        columns = sqlColumns(db, args.join(' '));
        rows = sql(db, args.join(' '), [sqlParams(o.param)]);
      } else {
        // --limit: search, unit, signatories and incomplete take it; the other queries refuse it, as any option they do not take (sql: LIMIT in the SELECT).
        const given = (['from', 'to', 'board', 'class', 'by', 'limit'] as QueryOption[]).filter((k) => o[k] !== undefined);
        const answer = runNamedQuery(db, name, args.join(' '), { filters: { from: o.from, to: o.to, board: o.board, class: o.class }, by: o.by, limit: o.limit }, given);
        for (const note of answer.notes) io.stderr.write(`${PREFIX}${note}\n`);
        ({ columns, rows } = answer);
      }
      if (format === 'xlsx') io.stdout.write(await toXlsx(columns, o.limit ? rows.slice(0, o.limit) : rows, name));
      else await printRows(io.stdout, columns, rows, o);
    } finally {
      db.close();
    }
  });

  program
    .command('report')
    .description('write a self-contained HTML report: charts of participation, unit histories, classes and deadlines, documents with evidence')
    .addOption(dbOption())
    .addOption(new Option('--html <file>', 'the HTML file to write').makeOptionMandatory())
    .action((o) => {
      const db = openDatabase(o.db, { readonly: true, current: true });
      try {
        writeFileSync(o.html, renderReport(db, { dbPath: resolve(o.db), htmlPath: resolve(o.html) }));
        out(`wrote ${resolve(o.html)}\n`);
      } finally {
        db.close();
      }
    });

  program
    .command('export')
    .description('print the archive as records, one per document, streamed')
    .addOption(dbOption())
    .addOption(new Option('--format <format>', 'json (an array), ndjson (one record a line) or csv (one row a document)').choices(['json', 'ndjson', 'csv']).default('json'))
    .addOption(new Option('--excel', 'with --format csv: for Swedish Excel (byte-order mark, ";", CRLF, decimal comma)'))
    .addOption(new Option('--with-evidence', 'add where each value came from: page, offsets, snippet, rule (json and ndjson)'))
    .addOption(new Option('--from <year>', "documents whose report's year is this or later").argParser(year))
    .addOption(new Option('--to <year>', "documents whose report's year is this or earlier").argParser(year))
    .addOption(new Option('--board <name>', 'documents of one board: its name or part of it'))
    .addOption(new Option('--class <class>', 'documents naming a unit of this award class'))
    .action(async (o) => {
      if (o.excel && o.format !== 'csv') throw new UsageError('--excel goes with --format csv');
      if (o.withEvidence && o.format === 'csv') throw new UsageError('--with-evidence needs --format json or ndjson (evidence does not fit in a CSV row)');
      if (o.from !== undefined && o.to !== undefined && o.from > o.to) throw new UsageError(`--from ${o.from} is after --to ${o.to}`);
      const db = openDatabase(o.db, { readonly: true, current: true });
      try {
        const filters: ExportFilters = { from: o.from, to: o.to };
        if (o.board !== undefined) {
          const m = matchBoard(db, o.board);
          if (m.how !== 'exact') io.stderr.write(`beslutsarkiv: --board "${o.board}": ${m.board}\n`);
          filters.board = m.board;
        }
        if (o.class !== undefined) filters.class = matchClass(o.class);
        const options = { withEvidence: o.withEvidence, filters };
        await writeChunks(io.stdout, o.format === 'csv' ? csvChunks(iterateRecords(db, { ...options, validate: false }), o.excel ?? false) : jsonChunks(iterateRecordJson(db, options), o.format));
      } finally {
        db.close();
      }
    });

  program
    .command('datasette-metadata')
    .description("print a metadata.json for Datasette: tables and views described, the pages' full-text index, Swedish labels")
    .addOption(dbOption())
    .action((o) => {
      const db = openDatabase(o.db, { readonly: true, current: true });
      try {
        out(`${JSON.stringify(datasetteMetadata(db, resolve(o.db)), null, 2)}\n`);
      } finally {
        db.close();
      }
    });

  const group = program.command('group').description('show, split or join report groups (documents that are the same report)');
  group
    .command('show')
    .description('the report a document belongs to, with its documents')
    .argument('<document>', 'document id, sha256 (8+ hex digits), file name or path')
    .addOption(dbOption())
    .action((ref: string, o) => {
      const db = openDatabase(o.db, { readonly: true, current: true });
      try {
        out(describeGroups(db, [documentId(db, ref)]));
      } finally {
        db.close();
      }
    });
  group
    .command('split')
    .description('take documents out of their report: each becomes a report of its own, and stays so')
    .argument('<documents...>', 'document ids, sha256 prefixes, file names or paths')
    .addOption(dbOption())
    .action((refs: string[], o) =>
      withWriter(o.db, (db) => {
        const ids = refs.map((r) => documentId(db, r));
        rebuildReportGroups(db);
        decide(db, ids, false);
        rebuildReportGroups(db);
        refreshSummaries(db);
        out(describeGroups(db, ids));
      }),
    );
  group
    .command('join')
    .description('make documents one report, whatever their Dnr or text say')
    .argument('<documents...>', 'two or more: document ids, sha256 prefixes, file names or paths')
    .addOption(dbOption())
    .action((refs: string[], o) =>
      withWriter(o.db, (db) => {
        if (refs.length < 2) throw new UsageError('group join needs two or more documents');
        const ids = refs.map((r) => documentId(db, r));
        rebuildReportGroups(db);
        decide(db, ids, true);
        rebuildReportGroups(db);
        refreshSummaries(db);
        out(describeGroups(db, ids));
      }),
    );

  const lineage = program.command('lineage').description("declare boards renamed or merged into others: a unit's identity is scoped to its board's lineage");
  lineage
    .command('add')
    .description('declare that <board> was renamed or merged into <successor>')
    .argument('<board>', 'the earlier board (name or part of it)')
    .argument('<successor>', 'the board it became part of (name or part of it)')
    .addOption(dbOption())
    .addOption(new Option('--year <year>', 'the year the successor took over').argParser(year))
    .addOption(new Option('--kind <kind>', 'renamed or merged').choices(['renamed', 'merged']).default('merged'))
    .action((board: string, successor: string, o) =>
      withWriter(o.db, (db) => {
        const a = matchBoard(db, board).board;
        const b = matchBoard(db, successor).board;
        addSuccession(db, { board: a, successor: b, year: o.year ?? null, kind: o.kind });
        refreshSummaries(db);
        out(`${a} → ${b}${o.year ? ` (${o.year})` : ''}: ${o.kind}\n`);
      }),
    );
  lineage
    .command('remove')
    .description('take a declared succession back')
    .argument('<board>')
    .argument('<successor>')
    .addOption(dbOption())
    .action((board: string, successor: string, o) =>
      withWriter(o.db, (db) => {
        const a = matchBoard(db, board).board;
        const b = matchBoard(db, successor).board;
        if (!removeSuccession(db, a, b)) throw new UsageError(`no succession ${a} → ${b} was declared`);
        refreshSummaries(db);
        out(`removed ${a} → ${b}\n`);
      }),
    );
  lineage
    .command('list')
    .description('the declared successions')
    .addOption(dbOption())
    .action((o) => {
      const db = openDatabase(o.db, { readonly: true, current: true });
      try {
        const rows = listSuccessions(db);
        out(toTable(['board', 'successor', 'year', 'kind', 'lineage'], rows as never));
      } finally {
        db.close();
      }
    });
  lineage
    .command('import')
    .description("declare many successions at once: from a JSON or CSV file, or Stockholm's stadsdelsnämnder as shipped (--stockholm)")
    .argument('[file]', 'a .json (an array of {board, successor, year, kind, source, note}, or {"successions": [...]}) or .csv with a header row naming those columns')
    .addOption(dbOption())
    .addOption(new Option('--stockholm', "the mergers of Stockholm's stadsdelsnämnder 1999–2023 as shipped in src/data/stockholm-boards.json, each with its source"))
    .addOption(new Option('--dry-run', 'say what would be declared, write nothing'))
    .action((file: string | undefined, o) => {
      if (!file === !o.stockholm) throw new UsageError(file ? 'give a file or --stockholm, not both' : 'give a file of successions, or --stockholm for the shipped list of Stockholm\'s stadsdelsnämnder');
      let rows;
      try {
        rows = o.stockholm ? stockholmBoards() : readLineageFile(file!);
      } catch (error) {
        if (error instanceof LineageFileError) throw new UsageError(error.message);
        throw error;
      }
      const apply = (db: Database) => {
        const done = importSuccessions(db, rows, {
          dryRun: !!o.dryRun,
          // The successions are written, then every participation's distinct unit is recomputed once: say what is being done.
          onDeclare: (s, i, n) =>
            io.stderr.write(`${PREFIX}declaring ${i + 1} of ${n}: ${s.board} → ${s.successor}\n${i + 1 === n ? `${PREFIX}recomputing distinct units\n` : ''}`),
        });
        if (!o.dryRun && done.some((d) => d.status !== 'unchanged')) refreshSummaries(db);
        out(toTable(['line', 'board', 'successor', 'year', 'kind', 'status', 'in_archive'], done as never));
        const n = (s: string) => done.filter((d) => d.status === s).length;
        const verb = o.dryRun ? 'would add' : 'added';
        out(`${verb} ${n('added')}, ${o.dryRun ? 'would update' : 'updated'} ${n('updated')}, unchanged ${n('unchanged')}${o.dryRun ? ' (dry run: nothing written)' : ''}\n`);
      };
      if (o.dryRun) {
        const db = openDatabase(o.db, { readonly: true, current: true });
        try {
          apply(db);
        } finally {
          db.close();
        }
      } else withWriter(o.db, apply);
    });

  const alias = program.command('alias').description('confirm that two names, under their boards, are one unit (a rename, or a unit that moved board)');
  alias
    .command('add')
    .description('confirm that <name> and <other-name> are one unit')
    .argument('<name>', 'a unit name as in query unit')
    .argument('<other-name>', 'the other name')
    .addOption(dbOption())
    .addOption(new Option('--board <board>', 'the board of <name> (and of <other-name> unless --other-board)').makeOptionMandatory())
    .addOption(new Option('--other-board <board>', 'the board of <other-name>'))
    .action((name: string, other: string, o) =>
      withWriter(o.db, (db) => {
        const a = unitUnder(db, name, o.board);
        const b = unitUnder(db, other, o.otherBoard ?? o.board);
        addAlias(db, { board_a: a.board, name_a: a.name, board_b: b.board, name_b: b.name });
        refreshSummaries(db);
        out(`one unit: ${a.name} (${a.board}) = ${b.name} (${b.board})\n`);
      }),
    );
  alias
    .command('remove')
    .description('take a confirmed alias back')
    .argument('<name>')
    .argument('<other-name>')
    .addOption(dbOption())
    .addOption(new Option('--board <board>').makeOptionMandatory())
    .addOption(new Option('--other-board <board>'))
    .action((name: string, other: string, o) =>
      withWriter(o.db, (db) => {
        const a = unitUnder(db, name, o.board);
        const b = unitUnder(db, other, o.otherBoard ?? o.board);
        if (!removeAlias(db, { board_a: a.board, name_a: a.name, board_b: b.board, name_b: b.name })) throw new UsageError('no such alias was confirmed');
        refreshSummaries(db);
        out(`removed: ${a.name} (${a.board}) = ${b.name} (${b.board})\n`);
      }),
    );
  alias
    .command('list')
    .description('the confirmed aliases')
    .addOption(dbOption())
    .action((o) => {
      const db = openDatabase(o.db, { readonly: true, current: true });
      try {
        out(toTable(['board_a', 'name_a', 'board_b', 'name_b'], listAliases(db) as never));
      } finally {
        db.close();
      }
    });

  limitOptions(
    program
      .command('normalize')
      .description("print a document's full text (pages separated by form feeds)")
      .argument('<file>', 'a document file')
      .addOption(new Option('--db <file>', 'reuse OCR results cached in this database (read-only)').default(DEFAULT_DB_PATH))
      .addOption(new Option('--explain', 'list every change the repair made, with its rule, instead of the text'))
      .addOption(new Option('--raw', 'print the text as read, before repair')),
  ).action(async (file: string, o) => {
    const [{ createOcrEngine }, { readDocument }, { Archive }] = await Promise.all([import('../ocr/engine.js'), import('../pipeline.js'), import('../store/archive.js')]);
    // The engine ingest picks by default, so that pages it OCRed come from its cache.
    const pool = createOcrEngine('auto', { size: availableParallelism(), timeoutMs: o.ocrTimeout * 1000 });
    const db = existsSync(resolve(o.db)) ? openDatabase(o.db, { readonly: true }) : undefined;
    try {
      const doc = await readDocument(file, { pool, limits: limitsFrom(o), cache: db ? readOnlyCache(new Archive(db)) : undefined });
      if (o.explain) return void out(explainChanges(doc));
      const text = fullText(doc, o.raw ? 'raw' : 'repaired');
      out(text.endsWith('\n') ? text : `${text}\n`);
    } finally {
      await pool.close();
      db?.close();
    }
  });

  program
    .command('status')
    .description('documents by format, the last run and its failures')
    .addOption(dbOption())
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action((o) => {
      const db = openDatabase(o.db, { readonly: true, current: true });
      try {
        const s = status(db);
        const morning = morningFigures(db);
        if (o.format === 'json') return void out(`${JSON.stringify({ ...s, ...morning }, null, 2)}\n`);
        const lines = [`${resolve(o.db)}: ${s.documents} documents, ${s.pages} pages (${s.ocr_pages} OCRed)`, ''];
        lines.push('format  documents  pages  OCRed documents');
        for (const f of s.by_format) lines.push(`${f.format.padEnd(8)}${String(f.documents).padStart(9)}${String(f.pages).padStart(7)}${String(f.ocr_documents).padStart(17)}`);
        const r = s.last_run;
        lines.push('', `documents by outcome: ${Object.entries(morning.documents_by_outcome).map(([k, v]) => `${v} ${k}`).join(', ') || 'none yet'}`);
        lines.push(`${morning.participation_reports} participation reports, ${morning.distinct_units} distinct units`);
        lines.push('', `${s.missing_files} paths missing, ${s.superseded_documents} documents superseded by a newer version`);
        lines.push(`${s.reports} reports (${s.reports_in_several_documents} of them in more than one document), ${s.incomplete_reports} incomplete (without year, board or units: beslutsarkiv query incomplete)`);
        const oldest = morning.oldest_unprocessed;
        lines.push(oldest ? `${morning.unprocessed_files} files not stored (failed in every run since): the oldest ${oldest.path}, failing since ${localTime(oldest.since)} [${oldest.code}]` : 'every file that failed has since been stored (or none failed)', '');
        if (r) {
          lines.push(`last run ${r.id} (${r.command}): ${r.status}, started ${localTime(r.started_at)}${r.finished_at ? `, took ${duration(r.started_at, r.finished_at)}` : ''}`);
          lines.push(`  versions: ${Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join(', ')}${r.ocr_engine ? `; OCR engine ${r.ocr_engine}` : ''}`);
          lines.push(`  seen ${r.seen}, ingested ${r.ingested}, changed ${r.changed}, unchanged ${r.unchanged}, reprocessed ${r.reprocessed}, moved ${r.moved}, duplicates ${r.duplicate}, missing ${r.missing}, skipped ${r.skipped}, failed ${r.failed}`);
          lines.push('', 'recent runs:');
          for (const x of s.runs) {
            lines.push(`  ${String(x.id).padStart(4)} ${x.command.padEnd(9)} ${x.status.padEnd(11)} ${localTime(x.started_at)}  ${(x.finished_at ? duration(x.started_at, x.finished_at) : '').padStart(8)}  seen ${x.seen}, new ${x.ingested}, changed ${x.changed}, failed ${x.failed}`);
          }
        } else lines.push('no runs yet');
        for (const f of s.failures) lines.push(`  ${f.kind} ${f.path}\n    [${f.code}] ${f.reason}`);
        lines.push('', `${s.needs_review} documents need review${s.needs_review ? ' (uncertain values, or a report about participation without year, board or units):' : ''}`);
        for (const x of s.review) lines.push(`  ${x.file} (${x.sha256.slice(0, 12)})\n    ${x.reasons.join('\n    ')}`);
        if (s.needs_review > s.review.length) lines.push(`  … and ${s.needs_review - s.review.length} more (status --format json lists the first 50 too; export has needs_review per document)`);
        out(`${lines.join('\n')}\n`);
      } finally {
        db.close();
      }
    });

  registerReviewCommands(program, io);
  registerMergeCommand(program);
  registerServeCommand(program, io);

  return program;
}

/** A stored UTC time as local time with its zone: `2026-12-02 02:30:05 CET`. */
export function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString('sv-SE', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });
}

/** The time between two stored times: `42 s`, `3 min 5 s`, `1 h 2 min`. */
export function duration(from: string, to: string): string {
  const s = Math.max(0, (new Date(to).getTime() - new Date(from).getTime()) / 1000);
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

/**
 * What status adds for the morning question: documents by outcome (current reports about taking
 * part, other topics, superseded versions), participation reports and distinct units, and files that
 * failed and were never stored since, the oldest first.
 */
function morningFigures(db: Database) {
  const one = <T>(q: string) => db.prepare(q).pluck().get() as T;
  const byOutcome = db
    .prepare(
      `SELECT CASE WHEN d.superseded_by IS NOT NULL THEN 'superseded' WHEN e.document_id IS NULL THEN 'not extracted'
                   WHEN e.topic = 'award_participation' THEN 'about taking part' ELSE 'other topic' END AS outcome, count(*) AS n
       FROM documents d LEFT JOIN extractions e ON e.document_id = d.id GROUP BY outcome ORDER BY n DESC`,
    )
    .all() as Array<{ outcome: string; n: number }>;
  const unprocessed = `FROM failures f WHERE f.kind = 'failed' AND NOT EXISTS (SELECT 1 FROM files x WHERE x.path = f.path)`;
  const oldest = db.prepare(`SELECT f.path, min(f.at) AS since, f.code ${unprocessed} GROUP BY f.path ORDER BY since LIMIT 1`).get() as
    | { path: string; since: string; code: string }
    | undefined;
  return {
    documents_by_outcome: Object.fromEntries(byOutcome.map((r) => [r.outcome, r.n])),
    participation_reports: one<number>(`SELECT count(*) FROM reports WHERE topic = 'award_participation'`),
    distinct_units: one<number>('SELECT count(DISTINCT identity_id) FROM participations'),
    unprocessed_files: one<number>(`SELECT count(DISTINCT f.path) ${unprocessed}`),
    oldest_unprocessed: oldest ?? null,
  };
}

/** One line per change: where (page, line:column in the text as read), rule, before → after, confidence, why. */
export function explainChanges(doc: DocumentFile): string {
  const lines: string[] = [];
  const estimate = doc.messages.find((m) => m.rule === 'damage-estimate');
  if (estimate) lines.push(`${doc.name}: ${estimate.reason}`);
  const changes = doc.messages.filter((m) => m.stage === 'normalize' && m.expected);
  for (const m of changes) {
    const page = doc.pages.find((p) => p.number === m.page)!;
    const before = page.text.slice(0, m.start);
    const line = before.split('\n').length;
    const column = m.start! - before.lastIndexOf('\n');
    const show = (s: string) => JSON.stringify(s);
    lines.push(
      `p${m.page} ${line}:${column}\t${m.rule}\t${show(m.actual!)} → ${show(m.expected![0]!)}\t(${m.confidence?.toFixed(2)})\t${m.reason}`,
    );
  }
  lines.push(`${changes.length} changes`);
  return `${lines.join('\n')}\n`;
}

/** `-p name value` pairs of query sql as named parameters (`:name`, `@name` or `$name` in the statement). */
function sqlParams(list: string[]): Record<string, string> {
  if (list.length % 2) throw new UsageError(`-p takes a name and a value: -p ${list.at(-1)} <value>`);
  const params: Record<string, string> = {};
  for (let i = 0; i < list.length; i += 2) params[list[i]!.replace(/^[:@$]/, '')] = list[i + 1]!;
  return params;
}

/** Writes text in chunks of about 64 KiB, waiting when the stream asks to. */
async function writeChunks(stream: NodeJS.WritableStream, chunks: Iterable<string>): Promise<void> {
  let buffer = '';
  for (const c of chunks) {
    buffer += c;
    if (buffer.length >= 1 << 16) {
      if (!stream.write(buffer)) await once(stream, 'drain');
      buffer = '';
    }
  }
  if (buffer && !stream.write(buffer)) await once(stream, 'drain');
}

const EXPORT_CSV_COLUMNS = [
  'file', 'path', 'sha256', 'format', 'pages', 'ocr', 'ocr_confidence', 'missing', 'superseded_by', 'report', 'report_documents', 'counted', 'topic', 'year', 'board',
  'administration', 'diarienummer', 'document_date', 'meeting_date', 'units', 'classes', 'target_units', 'case_officer',
];

/** The export as CSV: one row a document, lists joined with "; ". */
function* csvChunks(records: ReturnType<typeof iterateRecords>, excel: boolean): Generator<string> {
  yield toCsv(EXPORT_CSV_COLUMNS, [], { excel });
  for (const r of records) {
    const s = r.source;
    yield csvRecord(
      [
        s.file, s.path, s.sha256, s.format, s.pages, s.ocr ? 1 : 0, s.ocr_confidence, s.missing ? 1 : 0, s.superseded_by, r.report?.id, r.report?.documents, r.report ? (r.report.counted ? 1 : 0) : null, r.topic, r.year, r.board,
        r.administration, r.diarienummer, r.document_date, r.meeting_date, r.units?.map((u) => u.name).join('; '), r.classes?.join('; '), r.target_units,
        r.case_officer?.name,
      ],
      excel,
    );
  }
}

/** The export as a JSON array (one record a line) or NDJSON, from each record's JSON text. */
function* jsonChunks(records: ReturnType<typeof iterateRecordJson>, format: string): Generator<string> {
  if (format === 'ndjson') {
    for (const { json } of records) yield `${json}\n`;
    return;
  }
  let first = true;
  yield '[';
  for (const { json } of records) {
    yield `${first ? '\n' : ',\n'}${json}`;
    first = false;
  }
  yield first ? ']\n' : '\n]\n';
}

/** Runs `fn` holding the writer lock, on the database opened for writing (which must exist). */
function withWriter(dbPath: string, fn: (db: Database) => void): void {
  const lock = acquireWriterLock(dbPath, { mustExist: true });
  try {
    const db = openDatabase(dbPath);
    try {
      fn(db);
    } finally {
      db.close();
    }
  } finally {
    lock.release();
  }
}

/** The one document a user names; refuses names that match none or several. */
function documentId(db: Database, ref: string): number {
  const found = findDocuments(db, ref);
  if (found.length === 1) return found[0]!.id;
  if (!found.length) throw new UsageError(`no document matches "${ref}": give its id, a sha256 prefix, its file name or its path`);
  throw new UsageError(`"${ref}" matches ${found.length} documents; give one of their ids:\n${found.map((d) => `  ${d.id}  ${d.sha256.slice(0, 12)}  ${d.file_name}`).join('\n')}`);
}

/** The report groups of these documents, each with its documents. */
function describeGroups(db: Database, ids: number[]): string {
  const reports = [...new Set(ids.map((id) => (db.prepare('SELECT report_id FROM report_documents WHERE document_id = ?').pluck().get(id) as number | undefined) ?? id))];
  const lines: string[] = [];
  for (const id of reports) {
    const r = db.prepare('SELECT id, year, board, units, documents FROM reports WHERE id = ?').get(id) as { id: number; year: number | null; board: string | null; units: number; documents: number } | undefined;
    if (!r) {
      lines.push(`document ${id} is in no report (not current, or not grouped yet)`);
      continue;
    }
    lines.push(`report ${r.id}: ${r.year ?? 'no year'}, ${r.board ?? 'no board'}, ${r.units} units, ${r.documents} ${r.documents === 1 ? 'document' : 'documents'}`);
    const docs = db
      .prepare('SELECT d.id, d.file_name, d.format, d.ocr, rd.is_primary, rd.joined_by FROM report_documents rd JOIN documents d ON d.id = rd.document_id WHERE rd.report_id = ? ORDER BY rd.is_primary DESC, d.id')
      .all(id) as Array<{ id: number; file_name: string; format: string; ocr: number; is_primary: number; joined_by: string }>;
    for (const d of docs) lines.push(`  ${String(d.id).padStart(6)}  ${d.is_primary ? 'counted' : `joined by ${d.joined_by}`.padEnd(7)}  ${d.format}${d.ocr ? ' (OCR)' : ''}  ${d.file_name}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A unit name as it took part under a board (matched forgivingly), for an alias. */
function unitUnder(db: Database, name: string, boardName: string): { name: string; board: string } {
  const board = matchBoard(db, boardName).board;
  const ids = findUnitIdentities(db, name).map((i) => i.id);
  const row = ids.length
    ? (db.prepare(`SELECT name FROM participations WHERE board = ? AND identity_id IN (${ids.map(() => '?').join(',')}) LIMIT 1`).pluck().get(board, ...ids) as string | undefined)
    : undefined;
  if (!row) throw new UsageError(`no unit named "${name}" took part under ${board}; see beslutsarkiv query unit "${name}"`);
  return { name: row, board };
}

function readOnlyCache(archive: Archive) {
  const cache = archive.ocrCache();
  return { get: cache.get, put: () => {} };
}

/** Where the JSON log goes, read from the arguments before commander runs (so usage errors land in it too). */
function logSettings(argv: string[]): { json: boolean; file?: string } {
  const args = argv.slice(2);
  const command = args.find((a) => !a.startsWith('-'));
  if (command !== 'ingest' && command !== 'reprocess') return { json: false };
  const value = (name: string) => {
    let found: string | undefined;
    args.forEach((a, i) => {
      if (a === name) found = args[i + 1];
      else if (a.startsWith(`${name}=`)) found = a.slice(name.length + 1);
    });
    return found;
  };
  const file = value('--log-file');
  return { json: value('--log-format') === 'json' || file !== undefined, ...(file !== undefined ? { file } : {}) };
}

/** The sentence a person reads for an error, and the exit code. No internal library message is the reason on its own. */
function describeError(error: unknown): { message: string; code: number; usage?: boolean } {
  const e = error as Error & { code?: string };
  if (error instanceof DatabaseLockedError) return { message: e.message, code: EXIT.locked };
  if (error instanceof UsageError || error instanceof QueryUsageError) return { message: e.message, code: EXIT.error, usage: true };
  if (
    error instanceof ReadOnlyQueryError || error instanceof TrainedDataMissingError || error instanceof DatabasePathError ||
    error instanceof DatabaseNotFoundError || error instanceof SchemaTooNewError || error instanceof SchemaTooOldError
  ) {
    return { message: e.message, code: EXIT.error };
  }
  // A document that cannot be read (normalize) is an input failure; anything else is fatal.
  if (error instanceof DocumentError) return { message: e.message, code: EXIT.failures };
  const sys = e?.code && /^E[A-Z]+$/.test(e.code) ? ` (${e.code})` : '';
  return { message: `unexpected error${sys}: ${e?.message ?? String(error)}`, code: EXIT.error };
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], io: IO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let code: number = EXIT.ok;
  const settings = logSettings(argv);
  const ctx: RunContext = {};
  try {
    if (settings.json) ctx.log = openJsonLog(settings.file, io.stderr);
    if (settings.file !== undefined) ctx.logFile = settings.file;
  } catch (error) {
    io.stderr.write(`${PREFIX}cannot write the log file ${resolve(settings.file!)} (${(error as NodeJS.ErrnoException).code}): check the folder and its permissions, or pass another --log-file\n`);
    return EXIT.error;
  }
  /** A failure: into the JSON log (when there is one) and, unless the log is on stderr, as one line on stderr. */
  const report = (message: string, exit: number) => {
    ctx.log?.write({ event: 'fatal', code: exit, message });
    if (!ctx.log?.onStderr) io.stderr.write(`${PREFIX}${message}\n`);
  };
  const program = buildProgram(io, (c) => (code = c), ctx);
  // commander's own errors (unknown option, missing argument, bad value): one line, and where help is.
  const configure = (cmd: Command, path: string) => {
    cmd.configureOutput({
      writeOut: (str) => io.stdout.write(str),
      writeErr: (str) => io.stderr.write(str),
      outputError: (str) => {
        const text = str.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim().replace(/\.$/, '').replace('(Did you mean', '(did you mean');
        report(`${text}; see beslutsarkiv ${path ? `${path} ` : ''}--help`, EXIT.error);
      },
    });
    for (const sub of cmd.commands) configure(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  configure(program, '');
  try {
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    const e = error as Error & { code?: string; exitCode?: number };
    if (e.code?.startsWith('commander.')) {
      // Help and version are not errors; everything else commander throws is a usage error (already said).
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? EXIT.ok : EXIT.error;
    }
    const d = describeError(error);
    report(d.usage && !d.message.includes('\n') ? `${d.message}; see beslutsarkiv ${ctx.command ? `${ctx.command} ` : ''}--help` : d.message, d.code);
    return d.code;
  } finally {
    ctx.log?.close();
  }
}
