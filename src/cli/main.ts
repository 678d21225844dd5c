/**
 * The command line: argument parsing and printing only; the work is in the library (src/index.ts).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { availableParallelism } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import Table from 'cli-table3';
import { stringify } from 'csv-stringify/sync';
import type { Database } from 'better-sqlite3';
import {
  boards, classesOffered, deadlines, participation, ReadOnlyQueryError, search, signatories, sql, unitAliases, unitHistory,
  type Filters, type ParticipationKey, type Row,
} from '../query/queries.js';
import { renderReport } from '../query/report.js';
import { resolve } from 'node:path';
import { fullText, type DocumentFile } from '../document-file.js';
import { DatabaseLockedError, DocumentError, EXIT, TrainedDataMissingError } from '../errors.js';
import { DEFAULT_LIMITS, parseByteSize, type Limits } from '../limits.js';
import { OcrPool } from '../ocr/worker-pool.js';
import { ingest, readDocument, reprocess } from '../pipeline.js';
import { Archive } from '../store/archive.js';
import { DEFAULT_DB_PATH, openDatabase } from '../store/database.js';
import { exportRecords, status } from '../store/read.js';
import { createReporter, formatSummary, jsonLine, type LogFormat } from './report.js';

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

function limitsFrom(o: { maxPages: number; maxPixels: number; maxFileSize: number; maxTextBytes: number; ocrTimeout: number }): Limits {
  return { maxPages: o.maxPages, maxPixels: o.maxPixels * 1e6, maxFileBytes: o.maxFileSize * 2 ** 20, maxTextBytes: o.maxTextBytes, ocrTimeoutMs: o.ocrTimeout * 1000 };
}

export function buildProgram(io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream }, setExit: (code: number) => void): Command {
  const out = (s: string) => io.stdout.write(s);
  const program = new Command('beslutsarkiv')
    .description('Turn archived Swedish municipal decision documents into a queryable SQLite archive.')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError();

  limitOptions(
    program
      .command('ingest')
      .description('read files and folders (recursively) into the archive')
      .argument('<paths...>', 'files and folders')
      .addOption(dbOption())
      .addOption(new Option('--concurrency <n>', 'files and OCR pages processed at once').argParser(positiveInt).default(availableParallelism()))
      .addOption(new Option('--log-format <format>', 'text: progress bar and summary; json: one JSON object per event on stderr').choices(['text', 'json']).default('text'))
      .addOption(new Option('--force-ocr', 'OCR scanned pages again even where engine, model and settings are unchanged')),
  ).action(async (paths: string[], o) => {
    const controller = new AbortController();
    const stop = () => {
      if (controller.signal.aborted) process.exit(EXIT.interrupted);
      io.stderr.write('\nStopping: finishing stored documents; press Ctrl-C again to quit at once\n');
      controller.abort();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const reporter = createReporter(o.logFormat as LogFormat, io.stderr);
    try {
      const summary = await ingest(paths, {
        db: o.db,
        concurrency: o.concurrency,
        limits: limitsFrom(o),
        signal: controller.signal,
        forceOcr: o.forceOcr ?? false,
        onEvent: (e) => reporter.onEvent(e),
      });
      reporter.done();
      if (o.logFormat === 'text') out(formatSummary(summary, resolve(o.db)));
      setExit(summary.status === 'interrupted' ? EXIT.interrupted : summary.counts.failed > 0 ? EXIT.failures : EXIT.ok);
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
    .action((o) => {
      const result = reprocess({
        db: o.db,
        stage: o.stage,
        all: o.all,
        onEvent: o.logFormat === 'json' ? (e) => io.stderr.write(jsonLine(e)) : undefined,
      });
      if (o.logFormat === 'text') out(`Done: run ${result.run}: ${result.reprocessed} documents reprocessed, ${result.unchanged} current\n`);
    });

  const query = program
    .command('query')
    .description('answer a trend question from the archive (read-only): participation, unit, unit-aliases, classes, deadlines, boards, signatories, sql, search')
    .argument('<name>', 'participation | unit | unit-aliases | classes | deadlines | boards | signatories | sql | search')
    .argument('[args...]', 'the unit name, the SELECT statement, or the search words')
    .addOption(dbOption())
    .addOption(new Option('--format <format>', 'table (default on a terminal), csv or json (default in a pipe)').choices(['table', 'csv', 'json']))
    .addOption(new Option('--from <year>', 'from this year').argParser(positiveInt))
    .addOption(new Option('--to <year>', 'up to this year').argParser(positiveInt))
    .addOption(new Option('--board <name>', 'one board only'))
    .addOption(new Option('--by <keys>', 'participation: year, year,board or year,class').default('year'))
    .action((name: string, args: string[], o) => {
      const db = openDatabase(o.db, { readonly: true });
      try {
        const filters = { from: o.from, to: o.to, board: o.board };
        const rows = runQuery(db, name, args.join(' '), filters, o.by);
        const format = o.format ?? (io.stdout.isTTY ? 'table' : 'json');
        out(formatRows(rows, format));
      } finally {
        db.close();
      }
    });
  void query;

  program
    .command('report')
    .description('write a self-contained HTML report: charts of participation, unit histories, classes and deadlines, documents with evidence')
    .addOption(dbOption())
    .addOption(new Option('--html <file>', 'the HTML file to write').makeOptionMandatory())
    .action((o) => {
    const db = openDatabase(o.db, { readonly: true });
    try {
      writeFileSync(o.html, renderReport(db, { dbPath: resolve(o.db) }));
      out(`wrote ${resolve(o.html)}\n`);
    } finally {
      db.close();
    }
  });

  program
    .command('export')
    .description('print the archive as records, one per document')
    .addOption(dbOption())
    .addOption(new Option('--format <format>', 'output format').choices(['json']).default('json'))
    .addOption(new Option('--with-evidence', 'add where each value came from: page, offsets, snippet, rule'))
    .action((o) => {
      const db = openDatabase(o.db, { readonly: true });
      try {
        out(`${JSON.stringify(exportRecords(db, { withEvidence: o.withEvidence }), null, 2)}\n`);
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
      const db = openDatabase(o.db, { readonly: true });
      try {
        const s = status(db);
        if (o.format === 'json') return void out(`${JSON.stringify(s, null, 2)}\n`);
        const lines = [`${resolve(o.db)}: ${s.documents} documents, ${s.pages} pages (${s.ocr_pages} OCRed)`, ''];
        lines.push('format  documents  pages  OCRed documents');
        for (const f of s.by_format) lines.push(`${f.format.padEnd(8)}${String(f.documents).padStart(9)}${String(f.pages).padStart(7)}${String(f.ocr_documents).padStart(17)}`);
        const r = s.last_run;
        lines.push('', `${s.missing_files} paths missing, ${s.superseded_documents} documents superseded by a newer version`, '');
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

const QUERY_NAMES = ['participation', 'unit', 'unit-aliases', 'classes', 'deadlines', 'boards', 'signatories', 'sql', 'search'];

function runQuery(db: Database, name: string, arg: string, filters: Filters, by: string): Row[] {
  switch (name) {
    case 'participation': {
      const keys = by.split(',').map((k) => k.trim());
      if (!keys.every((k) => ['year', 'board', 'class'].includes(k))) throw new UsageError(`--by takes year, board and class, not "${by}"`);
      return participation(db, keys as ParticipationKey[], filters);
    }
    case 'unit':
      if (!arg) throw new UsageError('query unit needs a unit name, e.g. beslutsarkiv query unit "Lönnen"');
      return unitHistory(db, arg, filters);
    case 'unit-aliases':
      return unitAliases(db, filters);
    case 'classes':
      return classesOffered(db, filters);
    case 'deadlines':
      return deadlines(db, filters);
    case 'boards':
      return boards(db, filters);
    case 'signatories':
      return signatories(db, filters);
    case 'sql':
      if (!arg) throw new UsageError('query sql needs a SELECT statement');
      return sql(db, arg);
    case 'search':
      if (!arg) throw new UsageError('query search needs words to look for');
      return search(db, arg);
    default:
      throw new UsageError(`no query named "${name}": use one of ${QUERY_NAMES.join(', ')}`);
  }
}

function formatRows(rows: Row[], format: string): string {
  if (format === 'json') return `${JSON.stringify(rows, null, 2)}\n`;
  const columns = rows.length ? Object.keys(rows[0]!) : [];
  if (format === 'csv') return stringify(rows, { header: true, columns });
  if (!rows.length) return '(no rows)\n';
  const table = new Table({ head: columns, style: { head: [], border: [] } });
  for (const r of rows) table.push(columns.map((c) => (r[c] === null ? '' : String(r[c]))));
  return `${table.toString()}\n${rows.length} rows\n`;
}

function readOnlyCache(archive: Archive) {
  const cache = archive.ocrCache();
  return { get: cache.get, put: () => {} };
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
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
    if (error instanceof UsageError || error instanceof ReadOnlyQueryError) {
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
