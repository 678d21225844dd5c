/**
 * The command line: argument parsing and printing only; the work is in the library (src/index.ts).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { availableParallelism } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import type { Database } from 'better-sqlite3';
import { findUnitIdentities, matchBoard, matchClass, QueryUsageError, ReadOnlyQueryError } from '../query/queries.js';
import { QUERY_NAMES, runNamedQuery, type QueryOption } from '../query/named.js';
import { csvRecord, toCsv, toJson, toTable, toXlsx } from '../query/format.js';
import { datasetteMetadata } from '../query/datasette.js';
import { renderReport } from '../query/report.js';
import { decide, findDocuments, rebuildReportGroups } from '../store/reports.js';
import { addAlias, addSuccession, listAliases, listSuccessions, removeAlias, removeSuccession } from '../store/units.js';
import { acquireWriterLock } from '../store/lock.js';
import { refreshSummaries } from '../store/migrations.js';
import { resolve } from 'node:path';
import { fullText, type DocumentFile } from '../document-file.js';
import { DatabaseLockedError, DocumentError, EXIT, TrainedDataMissingError } from '../errors.js';
import { DEFAULT_LIMITS, parseByteSize, type Limits } from '../limits.js';
// The pipeline (OCR, PDF, repair and extraction models) is loaded only by the commands that read
// documents, so query, export, report and status start in a fraction of the time and memory.
import type { Archive } from '../store/archive.js';
import { DEFAULT_DB_PATH, openDatabase } from '../store/database.js';
import { iterateRecordJson, iterateRecords, status, type ExportFilters } from '../store/read.js';
import { createReporter, formatSummary, jsonLine, type LogFormat } from './report.js';
import { registerReviewCommands } from './review.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive whole number');
  return n;
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

export function buildProgram(io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream }, setExit: (code: number) => void): Command {
  const out = (s: string) => io.stdout.write(s);
  const program = new Command('beslutsarkiv')
    .description('Turn archived Swedish municipal decision documents into a queryable SQLite archive.')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError();

  sandboxOptions(limitOptions(
    program
      .command('ingest')
      .description('read files and folders (recursively) into the archive')
      .argument('<paths...>', 'files and folders')
      .addOption(dbOption())
      .addOption(new Option('--concurrency <n>', 'files and OCR pages processed at once').argParser(positiveInt).default(availableParallelism()))
      .addOption(new Option('--log-format <format>', 'text: progress bar and summary; json: one JSON object per event on stderr').choices(['text', 'json']).default('text'))
      .addOption(new Option('--force-ocr', 'OCR scanned pages again even where engine, model and settings are unchanged')),
  )).action(async (paths: string[], o) => {
    const controller = new AbortController();
    const stop = () => {
      if (controller.signal.aborted) process.exit(EXIT.interrupted);
      io.stderr.write('\nStopping: documents in progress are abandoned, stored ones stay; press Ctrl-C again to quit at once\n');
      controller.abort();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const reporter = createReporter(o.logFormat as LogFormat, io.stderr);
    try {
      const { ingest } = await import('../pipeline.js');
      const summary = await ingest(paths, {
        db: o.db,
        concurrency: o.concurrency,
        limits: limitsFrom(o),
        signal: controller.signal,
        forceOcr: o.forceOcr ?? false,
        retryFailed: o.retryFailed ?? false,
        onEvent: (e) => reporter.onEvent(e),
      });
      reporter.done();
      if (o.logFormat === 'text') out(formatSummary(summary, resolve(o.db)));
      setExit(summary.status === 'interrupted' ? EXIT.interrupted : summary.counts.failed > 0 ? EXIT.failures : EXIT.ok);
      // Interrupted: the run is recorded and the lock released. Whatever work was abandoned (a read
      // stuck in the kernel on a dead network share) must not keep the process alive.
      if (summary.status === 'interrupted') setTimeout(() => process.exit(EXIT.interrupted), 2000).unref();
    } finally {
      reporter.done();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  });

  program
    .command('reprocess')
    .description('rerun repair and/or extraction from stored page text (no file is read, nothing is OCRed)')
    .addOption(dbOption())
    .addOption(new Option('--stage <stage>', 'rerun this stage even where its version is current (repair also reruns extract)').choices(['repair', 'extract']))
    .addOption(new Option('--all', 'every document, not only those whose stage versions are out of date'))
    .addOption(new Option('--log-format <format>', 'text: summary; json: one JSON object per document on stderr').choices(['text', 'json']).default('text'))
    .action(async (o) => {
      const { reprocess } = await import('../pipeline.js');
      const result = reprocess({
        db: o.db,
        stage: o.stage,
        all: o.all,
        onEvent: o.logFormat === 'json' ? (e) => io.stderr.write(jsonLine(e)) : undefined,
      });
      if (o.logFormat === 'text') out(`Done: run ${result.run}: ${result.reprocessed} documents reprocessed, ${result.unchanged} current\n`);
    });

  program
    .command('query')
    .description(`answer a trend question from the archive (read-only): ${QUERY_NAMES.join(', ')}`)
    .argument('<name>', QUERY_NAMES.join(' | '))
    .argument('[args...]', 'the unit name, the SELECT statement, or the search words')
    .addOption(dbOption())
    .addOption(new Option('--format <format>', 'table (default on a terminal), json (default in a pipe), csv or xlsx').choices(['table', 'csv', 'json', 'xlsx']))
    .addOption(new Option('--excel', 'CSV for Swedish Excel: UTF-8 byte-order mark, ";" between fields, CRLF, decimal comma (implies --format csv)'))
    .addOption(new Option('--from <year>', 'from this year (four digits)').argParser(year))
    .addOption(new Option('--to <year>', 'up to this year (four digits)').argParser(year))
    .addOption(new Option('--board <name>', 'one board: its name or part of it, any case, with or without å/ä/ö'))
    .addOption(new Option('--class <class>', 'one award class: its key (forskola, unknown) or Swedish name, or part of it'))
    .addOption(new Option('--by <keys>', 'participation: year (default), year,board, year,class or year,board,class'))
    .addOption(new Option('--limit <n>', 'the most rows to show: search (default 20 pages), signatories and incomplete (default 100); the total is said on stderr').argParser(positiveInt))
    .action(async (name: string, args: string[], o) => {
      const format = outputFormat(o, io.stdout);
      const db = openDatabase(o.db, { readonly: true, current: true });
      try {
        const given = (['from', 'to', 'board', 'class', 'by', 'limit'] as QueryOption[]).filter((k) => o[k] !== undefined);
        const answer = runNamedQuery(db, name, args.join(' '), { filters: { from: o.from, to: o.to, board: o.board, class: o.class }, by: o.by, limit: o.limit }, given);
        for (const note of answer.notes) io.stderr.write(`beslutsarkiv: ${note}\n`);
        if (format === 'xlsx') io.stdout.write(await toXlsx(answer.columns, answer.rows, name));
        else if (format === 'csv') out(toCsv(answer.columns, answer.rows, { excel: o.excel }));
        else if (format === 'json') out(toJson(answer.rows));
        else out(toTable(answer.columns, answer.rows));
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
    const [{ OcrPool }, { readDocument }, { Archive }] = await Promise.all([import('../ocr/worker-pool.js'), import('../pipeline.js'), import('../store/archive.js')]);
    const pool = new OcrPool({ size: availableParallelism(), timeoutMs: o.ocrTimeout * 1000 });
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
        if (o.format === 'json') return void out(`${JSON.stringify(s, null, 2)}\n`);
        const lines = [`${resolve(o.db)}: ${s.documents} documents, ${s.pages} pages (${s.ocr_pages} OCRed)`, ''];
        lines.push('format  documents  pages  OCRed documents');
        for (const f of s.by_format) lines.push(`${f.format.padEnd(8)}${String(f.documents).padStart(9)}${String(f.pages).padStart(7)}${String(f.ocr_documents).padStart(17)}`);
        const r = s.last_run;
        lines.push('', `${s.missing_files} paths missing, ${s.superseded_documents} documents superseded by a newer version`);
        lines.push(`${s.reports} reports (${s.reports_in_several_documents} of them in more than one document), ${s.incomplete_reports} incomplete (without year, board or units: beslutsarkiv query incomplete)`, '');
        if (r) {
          lines.push(`last run ${r.id} (${r.command}): ${r.status}, started ${r.started_at}${r.finished_at ? `, finished ${r.finished_at}` : ''}`);
          lines.push(`  versions: ${Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
          lines.push(`  seen ${r.seen}, ingested ${r.ingested}, changed ${r.changed}, unchanged ${r.unchanged}, reprocessed ${r.reprocessed}, moved ${r.moved}, duplicates ${r.duplicate}, missing ${r.missing}, skipped ${r.skipped}, failed ${r.failed}`);
          lines.push('', 'recent runs:');
          for (const x of s.runs) lines.push(`  ${String(x.id).padStart(4)} ${x.command.padEnd(9)} ${x.status.padEnd(11)} ${x.started_at}  seen ${x.seen}, new ${x.ingested}, changed ${x.changed}, failed ${x.failed}`);
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

  return program;
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

export class UsageError extends Error {
  override name = 'UsageError';
}

type Format = 'table' | 'csv' | 'json' | 'xlsx';

/** The query's output format: --excel implies csv; a binary workbook is not written to a terminal. */
function outputFormat(o: { format?: Format; excel?: boolean }, stdout: NodeJS.WriteStream): Format {
  if (o.excel && o.format && o.format !== 'csv') throw new UsageError(`--excel goes with --format csv, not ${o.format}`);
  const format = o.format ?? (o.excel ? 'csv' : stdout.isTTY ? 'table' : 'json');
  if (format === 'xlsx' && stdout.isTTY) throw new UsageError('an .xlsx workbook is binary: redirect it to a file, e.g. beslutsarkiv query participation --format xlsx > deltagande.xlsx');
  return format;
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
  if (!existsSync(resolve(dbPath))) throw new UsageError(`no database at ${resolve(dbPath)}: run "beslutsarkiv ingest <paths>" first, or pass --db`);
  const lock = acquireWriterLock(dbPath);
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

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream } = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    const e = error as Error & { code?: string; exitCode?: number };
    if (e.code?.startsWith('commander.')) {
      // Help and version are not errors; everything else commander throws is a usage error.
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? EXIT.ok : EXIT.error;
    }
    if (error instanceof DatabaseLockedError) {
      io.stderr.write(`beslutsarkiv: ${e.message}\n`);
      return EXIT.locked;
    }
    if (error instanceof UsageError || error instanceof ReadOnlyQueryError || error instanceof QueryUsageError) {
      io.stderr.write(`beslutsarkiv: ${e.message}\n`);
      return EXIT.error;
    }
    if (error instanceof TrainedDataMissingError) {
      io.stderr.write(`beslutsarkiv: ${e.message}\n`);
      return EXIT.error;
    }
    io.stderr.write(`beslutsarkiv: ${e?.message ?? String(error)}\n`);
    // A document that cannot be read (normalize) is an input failure; anything else is fatal.
    return error instanceof DocumentError ? EXIT.failures : EXIT.error;
  }
}
