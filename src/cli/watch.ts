/**
 * `ingest --watch`: keeps running and ingests files that appear or change in the given folders once
 * they have stopped growing (same size and modification time over STABLE_MS), holding the writer lock
 * the whole time. Change events (fs.watch, recursive) wake it at once; a scan every few seconds finds
 * what events miss (network shares; `--poll` relies on the scan alone). SIGTERM or Ctrl-C ends it
 * cleanly: the run in progress stops as an interrupted ingest does, the lock is released.
 */
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { acquireWriterLock, EXIT, findFiles } from '../index.js';
import type { IngestOptions, RunSummary } from '../index.js';
import { ingestExitCode } from './report.js';

/** A file is taken once its size and modification time have not changed for this long. */
export const STABLE_MS = 2000;
/** How often the folders are scanned (a fallback for events that do not arrive). */
const SCAN_MS = 1000;

export interface WatchOptions extends IngestOptions {
  poll: boolean;
  ingest: (paths: string[], options: IngestOptions) => Promise<RunSummary>;
  notice: (text: string) => void;
  onRun: (summary: RunSummary) => void;
}

/** Watches until the signal aborts (SIGTERM, Ctrl-C: a clean end); returns the exit code, the worst of its runs. */
export async function watchAndIngest(paths: string[], options: WatchOptions): Promise<number> {
  const roots = paths.map((p) => resolve(p));
  const lock = acquireWriterLock(options.db);
  const signal = options.signal!;
  let worst: number = EXIT.ok;
  const watchers: FSWatcher[] = [];
  let wake: (() => void) | undefined;
  const nudge = () => wake?.();
  try {
    // The first run: everything there now (as a plain ingest).
    const first = await options.ingest(roots, { ...options, lock });
    options.onRun(first);
    worst = Math.max(worst, ingestExitCode(first) === EXIT.interrupted ? EXIT.ok : ingestExitCode(first));
    if (!options.poll) {
      for (const root of roots) {
        try {
          const w = watch(root, { recursive: true }, nudge);
          w.on('error', () => w.close());
          watchers.push(w);
        } catch {
          /* not watchable (a file, a share): the scan finds its changes */
        }
      }
    }
    options.notice(`watching ${roots.join(', ')} for new and changed files (SIGTERM or Ctrl-C ends)`);
    /** Size and mtime of every file as last seen, and since when they have been so. */
    const seen = new Map<string, { size: number; mtimeMs: number; since: number; done: boolean }>();
    // What the first run read counts as done.
    for (const f of await findFiles(roots)) {
      if ('error' in f) continue;
      const info = await stat(f.raw ?? f.path).catch(() => undefined);
      if (info) seen.set(f.path, { size: info.size, mtimeMs: info.mtimeMs, since: 0, done: true });
    }
    while (!signal.aborted) {
      await new Promise<void>((done) => {
        const timer = setTimeout(done, SCAN_MS);
        wake = () => {
          clearTimeout(timer);
          // Events come in bursts while a file is written: let them settle a little.
          setTimeout(done, 200);
        };
        signal.addEventListener('abort', () => (clearTimeout(timer), done()), { once: true });
      });
      wake = undefined;
      if (signal.aborted) break;
      const now = Date.now();
      const ready: string[] = [];
      for (const f of await findFiles(roots)) {
        if ('error' in f) continue;
        const info = await stat(f.raw ?? f.path).catch(() => undefined);
        if (!info) continue;
        const before = seen.get(f.path);
        if (!before || before.size !== info.size || before.mtimeMs !== info.mtimeMs) {
          seen.set(f.path, { size: info.size, mtimeMs: info.mtimeMs, since: now, done: false });
          continue;
        }
        if (!before.done && now - before.since >= STABLE_MS) ready.push(f.path);
      }
      if (!ready.length) continue;
      const summary = await options.ingest(ready, { ...options, lock, allowEmpty: true });
      options.onRun(summary);
      for (const p of ready) {
        const entry = seen.get(p);
        if (entry) entry.done = true;
      }
      const code = ingestExitCode(summary);
      if (code !== EXIT.interrupted) worst = Math.max(worst, code);
    }
    return worst;
  } finally {
    for (const w of watchers) w.close();
    lock.release();
  }
}
