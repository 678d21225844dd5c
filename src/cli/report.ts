/**
 * Printing ingest progress and results: a progress bar when stderr is a terminal, one JSON object
 * per event with --log-format json (for cron mail and log shipping), and a final summary.
 */
import cliProgress from 'cli-progress';
import type { IngestEvent, RunSummary } from '../pipeline.js';

export type LogFormat = 'text' | 'json';

export interface Reporter {
  onEvent(event: IngestEvent): void;
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

export function createReporter(format: LogFormat, stderr: NodeJS.WriteStream = process.stderr): Reporter {
  if (format === 'json') {
    const guarded = jsonOnlyStderr(stderr);
    return {
      onEvent: (event) => guarded.write(jsonLine(event)),
      done: () => guarded.restore(),
    };
  }
  if (!stderr.isTTY) return { onEvent: () => {}, done: () => {} };
  const bar = new cliProgress.SingleBar(
    { stream: stderr, format: 'ingest {bar} {value}/{total} files | {failed} failed | {file}', hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let failed = 0;
  return {
    onEvent(event) {
      if (event.event === 'run-start') bar.start(event.files, 0, { file: '', failed });
      else if (event.event === 'file') {
        if (event.status === 'failed') failed++;
        bar.increment({ file: event.file, failed });
      } else if (event.event === 'run-end') bar.stop();
    },
    done: () => bar.stop(),
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
  return `${lines.join('\n')}\n`;
}
