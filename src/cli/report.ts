/**
 * Printing what a run does: a progress bar when stderr is a terminal (files, OCR pages with a rate
 * and an ETA, the files in flight), one JSON object per event with --log-format json (to --log-file,
 * or to stderr when no log file is given), a final summary, and, whenever the exit code is not 0, a
 * short summary on stderr that cron mails to a person.
 */
import { appendFileSync, closeSync, openSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { EXIT, type IngestEvent, type RunSummary } from '../index.js';
import { PREFIX } from './output.js';

export type LogFormat = 'text' | 'json';

export interface Reporter {
  onEvent(event: IngestEvent): void;
  /** A notice on a line of its own (the bar, if any, is stopped first). */
  notice(text: string): void;
  done(): void;
}

/** One JSON log line: the event with its time. */
export const jsonLine = (event: object) => `${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`;

/**
 * With --log-format json every line on stderr must be JSON, or a log shipper or `jq` chokes. The
 * OCR engine's image library (leptonica, inside the tesseract.js workers) prints diagnostics such as
 * "Error in boxClipToRectangle: box outside rectangle" to stderr on odd images; while the run lasts,
 * any such line is wrapped as a `stderr` event. Returns the raw writer and a restore function.
 */
export function jsonOnlyStderr(stream: NodeJS.WritableStream): { write: (line: string) => void; restore: () => void } {
  const original = stream.write;
  const raw = original.bind(stream) as (chunk: string) => boolean;
  let pending = '';
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) if (line.trim()) raw(jsonLine({ event: 'stderr', text: line.trimEnd() }));
    (rest.find((r) => typeof r === 'function') as (() => void) | undefined)?.();
    return true;
  }) as typeof stream.write;
  return {
    write: (line) => void raw(line),
    restore: () => {
      if (pending.trim()) raw(jsonLine({ event: 'stderr', text: pending.trimEnd() }));
      pending = '';
      stream.write = original;
    },
  };
}

/**
 * Where the JSON log goes: appended to `file` (one write per line, so lines of concurrent runs do not
 * mix), or to stderr, where nothing else is then written (the exit summary too is a JSON event).
 */
export interface JsonLog {
  /** Writes one event. */
  write(event: object): void;
  /** True when the log goes to stderr (so the exit summary must be JSON as well). */
  readonly onStderr: boolean;
  close(): void;
}

export function openJsonLog(file: string | undefined, stderr: NodeJS.WritableStream): JsonLog {
  if (file) {
    // Opened at once, so that a log file that cannot be written is said before any work.
    const fd = openSync(file, 'a');
    return {
      write: (event) => appendFileSync(fd, jsonLine(event)),
      onStderr: false,
      close: () => closeSync(fd),
    };
  }
  const guarded = jsonOnlyStderr(stderr);
  return { write: (event) => guarded.write(jsonLine(event)), onStderr: true, close: () => guarded.restore() };
}

/** Progress events are for the bar; the JSON log keeps what happened to each file and to the run. */
const PROGRESS = new Set(['file-start', 'page']);

/**
 * `log`: the JSON log, when there is one (--log-format json, or --log-file). `text`: --log-format text
 * (notices and, on a terminal, the progress bar on stderr); with json, stderr has no text of ours.
 */
export function createReporter(options: { log?: JsonLog; text: boolean; stderr: NodeJS.WriteStream }): Reporter {
  const { log, stderr } = options;
  const progress = options.text && stderr.isTTY ? progressBar(stderr) : undefined;
  return {
    onEvent(event) {
      if (log && !PROGRESS.has(event.event)) log.write(event);
      progress?.onEvent(event);
    },
    notice(text) {
      // Off the bar's line first, so that the notice and the summary do not overwrite each other.
      const onBar = progress?.stop() ?? false;
      log?.write({ event: 'notice', message: text });
      if (options.text) stderr.write(`${onBar ? '\n' : ''}${PREFIX}${text}\n`);
    },
    done() {
      progress?.stop();
    },
  };
}

const fmtDuration = (s: number) => (s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min` : s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.round(s)} s`);

/**
 * The bar: a line at once (`reading 17 files…`), then files done/total, OCR pages done/total of the
 * files in flight with pages per second and an ETA, failures, and the names of the files in flight.
 */
function progressBar(stderr: NodeJS.WriteStream) {
  const bar = new cliProgress.SingleBar(
    {
      stream: stderr,
      format: '{bar} {value}/{total} files{pages} | {failed} failed | {inflight}',
      hideCursor: true,
      clearOnComplete: true,
      barsize: 20,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let failed = 0;
  let running = false;
  const inflight = new Map<string, { done: number; total: number }>();
  let pagesDone = 0;
  let firstPageAt: number | undefined;
  const payload = () => {
    let pages = '';
    const total = [...inflight.values()].reduce((a, p) => a + p.total, 0);
    const done = [...inflight.values()].reduce((a, p) => a + p.done, 0);
    if (total > 0) {
      pages = ` | OCR ${done}/${total} pages`;
      const seconds = firstPageAt === undefined ? 0 : (performance.now() - firstPageAt) / 1000;
      if (pagesDone > 1 && seconds > 0) {
        const rate = pagesDone / seconds;
        pages += `, ${rate.toFixed(1)}/s, ETA ${fmtDuration((total - done) / rate)}`;
      }
    }
    const width = Math.max(10, (stderr.columns ?? 80) - 60 - pages.length);
    let names = [...inflight.keys()].join(', ');
    if (names.length > width) names = `${names.slice(0, width - 1)}…`;
    return { failed, pages, inflight: names };
  };
  /** Stops the bar; true when it was running. */
  const stop = () => {
    const was = running;
    if (running) bar.stop();
    running = false;
    return was;
  };
  return {
    stop,
    onEvent(event: IngestEvent) {
      if (event.event === 'run-start') {
        stderr.write(`reading ${event.files} ${event.files === 1 ? 'file' : 'files'}…\n`);
        bar.start(event.files, 0, payload());
        running = true;
        return;
      }
      if (!running) return;
      if (event.event === 'file-start') inflight.set(event.file, { done: 0, total: 0 });
      else if (event.event === 'page') {
        // The rate counts from the first page started, not from the start of the run.
        firstPageAt ??= performance.now();
        if (event.done > 0) pagesDone++;
        inflight.set(event.file, { done: event.done, total: event.total });
      } else if (event.event === 'file') {
        if (event.status === 'failed') failed++;
        inflight.delete(event.file);
        bar.increment(payload());
        return;
      } else if (event.event === 'run-end') return void stop();
      bar.update(payload());
    },
  };
}

/** The summary printed at the end of a text-mode run. */
export function formatSummary(summary: RunSummary, db: string): string {
  const { counts } = summary;
  const lines = [
    `${summary.status === 'interrupted' ? 'Interrupted' : 'Done'}: run ${summary.run} into ${db}`,
    `  files seen   ${counts.seen}`,
    `  ingested     ${counts.ingested}`,
    `  changed      ${counts.changed}   (new content at a known path; the old version is kept, superseded)`,
    `  unchanged    ${counts.unchanged}`,
    `  reprocessed  ${counts.reprocessed}   (unchanged; stages rerun because their version changed)`,
    `  moved        ${counts.moved}`,
    `  duplicates   ${counts.duplicate}   (same bytes as a stored document: path recorded)`,
    `  missing      ${counts.missing}   (known paths not found: marked, never deleted)`,
    `  skipped      ${counts.skipped}`,
    `  failed       ${counts.failed}`,
    `  failed pages ${summary.pageFailures.length}   (pages that could not be read; the rest of each document is stored)`,
  ];
  const failed = summary.failures.filter((f) => f.kind === 'failed');
  const skipped = summary.failures.filter((f) => f.kind === 'skipped');
  if (failed.length) {
    lines.push('', 'Failed:');
    for (const f of failed) lines.push(`  ${f.path}\n    [${f.code}] ${f.reason}`);
  }
  if (summary.pageFailures.length) {
    lines.push('', 'Failed pages:');
    for (const f of summary.pageFailures) lines.push(`  ${f.path} page ${f.page}\n    [${f.code}] ${f.reason}`);
  }
  if (skipped.length) {
    lines.push('', 'Skipped:');
    for (const f of skipped) lines.push(`  ${f.path}\n    [${f.code}] ${f.reason}`);
  }
  if (summary.notMarkedMissing.length) {
    lines.push('', 'Not marked missing:');
    for (const r of summary.notMarkedMissing) lines.push(`  ${r.message}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The few lines a person gets when a run did not go well (exit code ≠ 0): what happened, the first
 * failures, and where the full log is. Short on purpose: it is what cron mails.
 */
export function failureSummary(summary: RunSummary, where: { db: string; logFile?: string }): string[] {
  const { counts } = summary;
  const lines: string[] = [];
  const run = `ingest run ${summary.run} into ${where.db}`;
  if (summary.status === 'interrupted') lines.push(`${run} was interrupted after ${counts.seen} files; the stored ones stay, the next run goes on`);
  else if (counts.failed) lines.push(`${run}: ${counts.failed} of ${counts.seen} files failed`);
  else lines.push(`${run}: ${counts.seen} files seen`);
  for (const r of summary.notMarkedMissing) lines.push(r.message);
  const failed = summary.failures.filter((f) => f.kind === 'failed');
  for (const f of failed.slice(0, 10)) lines.push(`  ${f.path}: [${f.code}] ${f.reason}`);
  if (failed.length > 10) lines.push(`  … and ${failed.length - 10} more`);
  if (where.logFile) lines.push(`full log: ${where.logFile}`);
  return lines;
}

/** The exit code of an ingest run: interrupted, folders not marked missing (3), failures (1), or 0. */
export function ingestExitCode(summary: RunSummary): number {
  if (summary.status === 'interrupted') return EXIT.interrupted;
  if (summary.notMarkedMissing.length) return EXIT.emptySource;
  return summary.counts.failed > 0 ? EXIT.failures : EXIT.ok;
}

