/**
 * The stages composed, in order — the one place to read the flow:
 *
 *   find files → (unchanged? rerun only stale stages) → read bytes, sha256 → (known bytes? record path:
 *   moved or copied) → (in flight when an earlier run died? failed: crashed-before) → mark in flight
 *   → parse: ingest (format by content, text layers) in a sandboxed reader process
 *   → OCR (pages without text; their images from the reader)
 *   → normalize (repair spelling and hyphenation) → layout (blocks from any text form)
 *   → extract (the record, with evidence and confidence): these three in a worker
 *   → store (one transaction, which clears the in-flight mark)
 * Every file ends as exactly one outcome (ingested, unchanged, duplicate, skipped or failed);
 * failures are values, and the batch goes on. A watchdog gives each file a deadline over all of its
 * stages (--file-timeout, plus time for each page it OCRs); the stages that parse, render, decode
 * and repair run where they can be killed (src/ingest/sandbox.ts), so a file that never finishes or
 * exhausts memory costs only itself. An interrupt (SIGINT, SIGTERM) stops the run within seconds.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, resolve } from 'node:path';
import pLimit from 'p-limit';
import type { DocumentFile, Message } from './document-file.js';
import { DocumentError } from './errors.js';
import { TextTooLargeError } from './ingest/decode-text.js';
import { readSource, refuseLargeText, UnsupportedFileError } from './ingest/read-source.js';
import { checkShard, findFiles, inShard, type Shard } from './ingest/walk.js';
import { DEFAULT_LIMITS, ocrPageAllowanceMs, type Limits } from './limits.js';
import { ReaderPool, TextStages } from './ingest/sandbox.js';
import { ocrPages, PAGE_FAILED } from './ocr/ocr-pages.js';
import { createOcrEngine, type OcrEngine, type OcrEngineChoice } from './ocr/engine.js';
import { normalizeDocument, REPAIR_VERSION } from './repair/normalize.js';
import { extractDocument, EXTRACT_VERSION } from './extract/extract.js';
import { layoutDocument } from './layout/stage.js';
import { Archive, emptyCounts, type FileStatus, type OcrCache, type RunCounts, type StoredStages } from './store/archive.js';
import type { Database } from 'better-sqlite3';
import { openDatabase } from './store/database.js';
import { acquireWriterLock, type WriterLock } from './store/lock.js';

export type IngestEvent =
  | { event: 'run-start'; run: number; db: string; files: number }
  /** Progress only (a reporter may drop these): a file was started, a page of it OCRed. */
  | { event: 'file-start'; path: string; file: string }
  | { event: 'page'; path: string; file: string; done: number; total: number }
  /** A source folder whose known files were not marked missing (see NotMarkedMissing). */
  | ({ event: 'not-marked-missing' } & NotMarkedMissing)
  | {
      event: 'file';
      status: Exclude<FileStatus, 'failed' | 'skipped'>;
      path: string;
      file: string;
      sha256: string;
      format?: string;
      pages?: number;
      ocr_pages?: number;
      /** Pages that could not be read (each recorded as a page-failed message). */
      page_failures?: number;
      ms: number;
    }
  | { event: 'file'; status: 'failed' | 'skipped'; path: string; file: string; code: string; reason: string; ms: number }
  | {
      event: 'run-end';
      run: number;
      status: 'completed' | 'interrupted';
      counts: RunCounts;
      failures: Failure[];
      page_failures: PageFailure[];
      not_marked_missing: NotMarkedMissing[];
      ms: number;
    };

/**
 * A source folder (a path given to ingest) whose known files were not marked missing: it is empty,
 * missing or not mounted while the database knows files under it, or more than MISSING_SHARE of its
 * known files were not found. Without `allowEmpty` nothing under it is marked missing.
 */
export interface NotMarkedMissing {
  root: string;
  reason: 'empty' | 'missing' | 'too-many-missing';
  /** Known (not yet missing) files under the folder. */
  known: number;
  /** Of those, not found in this run. */
  not_found: number;
  message: string;
}

/** More than this share of a folder's known files not found needs `allowEmpty` to be marked missing. */
export const MISSING_SHARE = 0.2;

export interface Failure {
  path: string;
  file: string;
  kind: 'failed' | 'skipped';
  code: string;
  reason: string;
}

/** A page that could not be read in a document that was stored without it. */
export interface PageFailure {
  path: string;
  file: string;
  page: number;
  code: string;
  reason: string;
}

export interface IngestOptions {
  /** Database file; created when missing. */
  db: string;
  /** Files processed and pages OCRed at once. Default: number of cores. */
  concurrency?: number;
  /**
   * OCR engine: `wasm` (tesseract.js, built in), `native` (the system's tesseract ≥ 5 with swe;
   * NativeOcrMissingError when it is not installed) or `auto` (native when installed; the default).
   * Pages OCRed by one engine are stale for the other: switching OCRs them again.
   */
  ocrEngine?: OcrEngineChoice;
  /** Test seam: the OCR engine to use (default: a new one of ocrEngine, sized by concurrency). */
  pool?: OcrEngine;
  limits?: Partial<Limits>;
  /** Stops the batch: documents already finished stay stored; the run is marked interrupted. */
  signal?: AbortSignal;
  /** OCR every scanned page again, even where the engine, model and settings are unchanged. */
  forceOcr?: boolean;
  /** Read files again that were in flight when an earlier run died (otherwise: failed, crashed-before). */
  retryFailed?: boolean;
  /**
   * Mark known files missing even when their folder is empty, missing or unmounted, or more than
   * MISSING_SHARE of them were not found (they were removed on purpose).
   */
  allowEmpty?: boolean;
  /**
   * Process only the files whose path, relative to the path argument it was found under, hashes
   * into this shard (`index` 0-based, 0 to count − 1): `ingest --shard K/N`. Files of other shards are
   * not read, not counted and never marked missing; the run's args record the shard.
   */
  shard?: Shard;
  /** The writer lock, when the caller holds it across runs (ingest --watch); otherwise taken and released by this run. */
  lock?: WriterLock;
  onEvent?: (event: IngestEvent) => void;
  /**
   * Test seam: called as a file enters each stage (`read`, `parse`, `ocr`, `normalize`, `store`); a
   * test makes a stage hang by returning a promise that never settles.
   */
  stageHook?: (stage: FileStage, path: string) => Promise<void> | void;
}

/** The stages a file goes through, as a timeout names them. */
export type FileStage = 'read' | 'wait' | 'parse' | 'ocr' | 'normalize' | 'layout' | 'extract' | 'store';

/**
 * A file's deadline over all of its stages: --file-timeout, plus a third of --ocr-timeout for each
 * page it OCRs. When it passes (or the run is interrupted), `signal` aborts, which kills the file's reader
 * and stops its OCR and text stages, and `run` rejects at once, whatever the work is waiting on.
 */
class FileWatch {
  stage: FileStage = 'read';
  private detail = '';
  private readonly controller = new AbortController();
  readonly signal = this.controller.signal;
  private started = performance.now();
  private ocrPages = 0;
  private pausedAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private rejectExpired: (reason: unknown) => void = () => {};
  private readonly expired = new Promise<never>((_, reject) => (this.rejectExpired = reject));
  private readonly onRunAbort = () => this.stop(new DocumentError('interrupted', 'interrupted'));

  constructor(
    private readonly name: string,
    private readonly limits: Limits,
    private readonly run?: AbortSignal,
  ) {
    this.expired.catch(() => undefined);
    run?.addEventListener('abort', this.onRunAbort, { once: true });
    this.arm();
  }

  enter(stage: FileStage, detail = ''): void {
    this.stage = stage;
    this.detail = detail;
  }

  /** Time for the pages this file OCRs. */
  allowOcr(pages: number): void {
    this.ocrPages = pages;
    this.arm();
  }

  /** The clock starts again (after waiting for another file, which is not this file's work). */
  restart(): void {
    this.started = performance.now();
    this.arm();
  }

  /** The clock stops while the file waits its turn for a shared stage (another file's time, not this one's). */
  pause(): void {
    clearTimeout(this.timer);
    this.pausedAt ??= performance.now();
  }

  resume(): void {
    if (this.pausedAt === undefined || this.signal.aborted) return;
    this.started += performance.now() - this.pausedAt;
    this.pausedAt = undefined;
    this.arm();
  }

  private get budgetMs(): number {
    return this.limits.fileTimeoutMs + this.ocrPages * ocrPageAllowanceMs(this.limits);
  }

  private arm(): void {
    clearTimeout(this.timer);
    const left = this.budgetMs - (performance.now() - this.started);
    this.timer = setTimeout(() => this.stop(this.timeout()), Math.max(0, left));
  }

  private timeout(): DocumentError {
    const seconds = (ms: number) => Math.round(ms / 1000);
    const allowance = this.ocrPages ? ` + ${this.ocrPages} pages to OCR × ${seconds(ocrPageAllowanceMs(this.limits))} s` : '';
    return new DocumentError(
      'timeout',
      `${this.name}: no outcome within ${seconds(this.budgetMs)} s (--file-timeout ${seconds(this.limits.fileTimeoutMs)} s${allowance}): ` +
        `stopped in the ${this.stage} stage${this.detail ? ` (${this.detail})` : ''}`,
    );
  }

  private stop(reason: Error): void {
    if (this.signal.aborted) return;
    clearTimeout(this.timer);
    this.controller.abort(reason);
    this.rejectExpired(reason);
  }

  /** Runs the file's work against its deadline. */
  watch<T>(work: Promise<T>): Promise<T> {
    work.catch(() => undefined); // settles after the deadline: nobody is listening any more
    return Promise.race([work, this.expired]);
  }

  /** Throws once the deadline has passed: before a write that must not happen then. */
  check(): void {
    this.signal.throwIfAborted();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.run?.removeEventListener('abort', this.onRunAbort);
  }
}

export interface RunSummary {
  run: number;
  status: 'completed' | 'interrupted';
  counts: RunCounts;
  failures: Failure[];
  /** Pages that could not be read, in documents stored with their other pages. */
  pageFailures: PageFailure[];
  /** Source folders whose known files were not marked missing (empty, missing, or too many gone). */
  notMarkedMissing: NotMarkedMissing[];
}

/** Versions of the stages, recorded with every run (later issues re-run stages whose version changed). */
export const STAGE_VERSIONS = { ingest: '1', ocr: '1', repair: REPAIR_VERSION, extract: EXTRACT_VERSION } as const;

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface ReadOptions {
  pool: OcrEngine;
  limits: Limits;
  cache?: OcrCache;
  signal?: AbortSignal;
}

/** Ingest and OCR one file into a DocumentFile, without storing it. */
export async function readDocument(path: string, options: ReadOptions): Promise<DocumentFile> {
  const absolute = resolve(path);
  const name = basename(absolute);
  const info = await statFile(absolute, name, options.limits);
  const bytes = await readBytes(absolute, name);
  return readFromBytes({ path: absolute, name, size: info.size, mtimeMs: info.mtimeMs, bytes, sha256: sha256(bytes) }, options);
}

async function statFile(path: string | Buffer, name: string, limits: Limits) {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new DocumentError('unreadable', `${name} cannot be read (${(error as NodeJS.ErrnoException).code})`, { cause: error });
  }
  if (info.size === 0) throw new DocumentError('empty-file', `${name} is empty (0 bytes)`);
  if (info.size > limits.maxFileBytes) {
    throw new DocumentError(
      'file-too-large',
      `${name} is ${Math.round(info.size / 2 ** 20)} MiB, above the limit of ${Math.round(limits.maxFileBytes / 2 ** 20)} MiB (--max-file-size)`,
    );
  }
  return info;
}

async function readBytes(path: string | Buffer, name: string, signal?: AbortSignal): Promise<Buffer> {
  try {
    return await readFile(path, { signal });
  } catch (error) {
    throw new DocumentError('unreadable', `${name} cannot be read (${(error as NodeJS.ErrnoException).code})`, { cause: error });
  }
}

async function readFromBytes(input: Parameters<typeof readSource>[0], options: ReadOptions): Promise<DocumentFile> {
  const source = await readSource(input, options.limits);
  try {
    // Stage 2: OCR the pages that have no text.
    const file = await ocrPages(source, { pool: options.pool, cache: options.cache, signal: options.signal });
    // Stage 3: repair the text (spelling, hyphenation), recording every change.
    normalizeDocument(file);
    // Stage 4: rebuild the blocks (paragraphs, items, tables, header) from the text, whatever its layout.
    layoutDocument(file);
    // Stage 5: extract the record, each value with its evidence and confidence.
    return extractDocument(file);
  } finally {
    await source.close();
  }
}

/** The page-failed messages of a document: pages that could not be read. */
export function failedPages(file: Pick<DocumentFile, 'messages'>): Message[] {
  return file.messages.filter((m) => m.rule === PAGE_FAILED && m.page !== undefined);
}

/** Which stages of a stored document must run again, given the current versions. */
export function staleStages(stored: StoredStages, ocrEngine: () => string, forceOcr: boolean): { ocr: boolean; normalize: boolean; extract: boolean } {
  const ocr = forceOcr || stored.ocrEngines.some((e) => e !== ocrEngine());
  const normalize = ocr || stored.repairVersion !== REPAIR_VERSION;
  const extract = normalize || stored.extractVersion !== EXTRACT_VERSION;
  return { ocr, normalize, extract };
}

/** Reruns normalize and/or extract on a stored document from its stored page text (never OCR). */
export function rerunStages(archive: Archive, documentId: number, stages: { normalize: boolean; extract: boolean }): DocumentFile {
  const file = archive.loadDocument(documentId);
  const run: Array<'normalize' | 'layout' | 'extract'> = [];
  if (stages.normalize) {
    file.messages = file.messages.filter((m) => m.stage !== 'normalize');
    normalizeDocument(file);
    run.push('normalize');
  }
  if (stages.extract || stages.normalize) {
    file.messages = file.messages.filter((m) => m.stage !== 'layout');
    layoutDocument(file);
    extractDocument(file);
    run.push('layout', 'extract');
  }
  if (run.length) archive.replaceStages(documentId, file, run);
  return file;
}

const isUnder = (path: string, root: string) => path === root || path.startsWith(root.endsWith('/') ? root : `${root}/`);

/** The known paths (not marked missing) at or under a folder. */
function knownUnder(archive: Archive, root: string): string[] {
  const paths = archive.db.prepare('SELECT path FROM files WHERE missing_since IS NULL').pluck().all() as string[];
  return paths.filter((p) => isUnder(p, root));
}

/** Ingests files and folders into the archive: the library behind `beslutsarkiv ingest`. */
export async function ingest(paths: string[], options: IngestOptions): Promise<RunSummary> {
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const concurrency = Math.max(1, options.concurrency ?? availableParallelism());
  const shard = options.shard && checkShard(options.shard);
  const dbPath = resolve(options.db);
  // The engine first: `--ocr-engine native` without native tesseract fails before anything is opened.
  const pool = options.pool ?? createOcrEngine(options.ocrEngine ?? 'auto', { size: concurrency, timeoutMs: limits.ocrTimeoutMs });
  const lock = options.lock ?? acquireWriterLock(dbPath);
  const releaseLock = () => {
    if (!options.lock) lock.release();
  };
  let db: Database;
  try {
    db = openDatabase(dbPath);
  } catch (error) {
    releaseLock();
    throw error;
  }
  const archive = new Archive(db);
  // As many readers as files in flight; started on first use.
  const readers = new ReaderPool({ limits });
  const textStages = new TextStages(limits);
  // A second Ctrl-C ends the process at once (process.exit): the lock goes with it.
  const releaseOnExit = () => releaseLock();
  process.once('exit', releaseOnExit);
  const emit = options.onEvent ?? (() => {});
  const started = performance.now();
  const counts = emptyCounts();
  const failures: Failure[] = [];
  const pageFailures: PageFailure[] = [];
  // The run records which engine OCRs its pages, for status and the run record (schema 14).
  const run = archive.startRun('ingest', shard ? [...paths, '--shard', `${shard.index}/${shard.count}`] : paths, STAGE_VERSIONS, pool.label);
  try {
    // The database's own files are never inputs.
    const own = new Set([dbPath, `${dbPath}-wal`, `${dbPath}-shm`, `${dbPath}-journal`, lock.path]);
    const walked = await findFiles(paths, own);
    const roots = paths.map((p) => resolve(p));
    // Sharded: only this shard's files (a path argument that cannot be read is said by every shard).
    const ours = (path: string) => !shard || inShard(path, roots, shard);
    const found = shard ? walked.filter((f) => ('error' in f && roots.includes(f.path)) || ours(f.path)) : walked;
    emit({ event: 'run-start', run, db: dbPath, files: found.length });
    // A folder that yields no file while the archive knows files under it is not taken as emptied.
    const notMarkedMissing: NotMarkedMissing[] = [];
    for (const root of new Set(roots)) {
      const paths = knownUnder(archive, root).filter(ours);
      const known = paths.length;
      // A file named on the command line that is gone is just missing. (Sharded: a folder with files of other shards is not empty.)
      if (!known || (known === 1 && paths[0] === root) || walked.some((f) => !('error' in f) && isUnder(f.path, root))) continue;
      const exists = existsSync(root);
      const what = exists ? `archive folder ${root} is empty` : `archive folder ${root} is missing or not mounted`;
      const entry: NotMarkedMissing = {
        root,
        reason: exists ? 'empty' : 'missing',
        known,
        not_found: known,
        message: `${what}; ${known} known ${known === 1 ? 'file' : 'files'} not marked missing (use --allow-empty if they were removed on purpose)`,
      };
      if (!options.allowEmpty) {
        notMarkedMissing.push(entry);
        emit({ event: 'not-marked-missing', ...entry });
      }
    }
    const refusedRoot = (path: string) => notMarkedMissing.some((r) => r.root === path);
    const cache = archive.ocrCache();
    // One file more in flight than OCR workers: the next file is read, opened and its first page
    // prepared while the workers finish the last pages of the others, so no worker waits.
    const limit = pLimit(concurrency + 1);
    const inflight = new Map<string, Promise<DocumentFile>>();
    /** Content that failed in this run: a copy of it fails the same way without being read again. */
    const failedContent = new Map<string, { code: string; reason: string; file: string }>();
    const seen = new Set<string>();

    const fail = (path: string, kind: 'failed' | 'skipped', code: string, reason: string, t0: number) => {
      const f: Failure = { path, file: basename(path), kind, code, reason };
      failures.push(f);
      counts[kind]++;
      archive.recordFailure(run, { ...f, name: f.file });
      emit({ event: 'file', status: kind, path, file: f.file, code, reason, ms: Math.round(performance.now() - t0) });
    };

    /** `raw`: the path as bytes, when it is not valid UTF-8 (`path` shows it with U+FFFD). */
    const processOne = async (path: string, raw?: Buffer): Promise<void> => {
      const t0 = performance.now();
      const name = basename(path);
      counts.seen++;
      seen.add(path);
      const watch = new FileWatch(name, limits, options.signal);
      emit({ event: 'file-start', path, file: name });
      const enter = async (stage: FileStage, detail?: string) => {
        watch.enter(stage, detail);
        if (options.stageHook) await options.stageHook(stage, path);
      };
      let contentSha: string | undefined;
      const done = (status: Exclude<FileStatus, 'failed' | 'skipped'>, sha: string, file?: DocumentFile) => {
        counts[status]++;
        emit({
          event: 'file',
          status,
          path,
          file: name,
          sha256: sha,
          ...(file ? { format: file.format, pages: file.pages.length, ocr_pages: file.pages.filter((p) => p.source === 'ocr').length } : {}),
          ...(file && failedPages(file).length ? { page_failures: failedPages(file).length } : {}),
          ms: Math.round(performance.now() - t0),
        });
      };
      /** Parse (in a reader), OCR, normalize and extract: the file as it will be stored. */
      const readAll = async (sha: string, info: { size: number; mtimeMs: number }, fresh: boolean): Promise<DocumentFile> => {
        // A file that was being read when an earlier run died is a suspect: not read again blindly.
        const crashed = archive.crashedBefore(path, sha, run);
        if (crashed && !options.retryFailed) {
          throw new DocumentError(
            'crashed-before',
            `${name} was being read when run ${crashed.run} died (a crash, kill -9 or power cut, at or after ${crashed.startedAt}); ` +
              'it is not read again until it changes, or with --retry-failed',
          );
        }
        await enter('parse');
        // Waiting for a reader (one starting, or all busy with other files) is not this file's time.
        watch.pause();
        const opened = await readers.open({ path, ...(raw ? { raw } : {}), name, size: info.size, mtimeMs: info.mtimeMs, sha256: sha }, watch.signal, () => {
          // Reading starts now.
          watch.resume();
          archive.markInFlight(path, sha, run);
        });
        // The timeout names what a page was waiting for: its image from the reader, or OCR.
        const source = {
          ...opened,
          pages: opened.pages.map((p) => {
            const load = p.loadImage;
            if (!load) return p;
            return {
              ...p,
              loadImage: async () => {
                watch.enter('ocr', `loading the image of page ${p.number} in the reader`);
                const image = await load();
                watch.enter('ocr', `page ${p.number}: preparing the image and OCR`);
                return image;
              },
            };
          }),
        };
        let file: DocumentFile;
        try {
          // Stage 2: OCR the pages that have no text, with time for each.
          const pages = source.pages.filter((p) => p.text === null).length;
          // The text stages' worker (about a second of CPU for its modules and models) starts when its
          // first document is near: now, for a file without pages to OCR; for a scan, once its first page is
          // OCRed, so that at the start of a run it does not take a core from the readers and the first
          // pages' preparation.
          if (!pages) textStages.prestart();
          watch.allowOcr(pages);
          await enter('ocr', pages ? `${pages} pages` : '');
          // Forced OCR reads nothing from the cache (and writes the new results to it).
          const base = fresh ? { get: () => undefined, put: cache.put } : cache;
          // Each page OCRed (and cached) is progress a reporter can show with a rate and an ETA.
          let done = 0;
          if (pages) emit({ event: 'page', path, file: name, done, total: pages });
          const ocrCache: OcrCache = {
            get: base.get,
            put: (...args) => {
              base.put(...args);
              textStages.prestart();
              emit({ event: 'page', path, file: name, done: ++done, total: pages });
            },
          };
          file = await ocrPages(source, { pool, cache: ocrCache, signal: watch.signal });
        } finally {
          await source.close();
        }
        // Stages 3 to 5: repair the text, rebuild its blocks, extract the record (in the text-stage
        // worker, one document at a time: waiting for the one before is not this file's time).
        await enter('normalize');
        watch.pause();
        return textStages.run(file, watch.signal, (stage) => watch.enter(stage), () => watch.resume());
      };
      const read = (_bytes: Buffer, sha: string, info: { size: number; mtimeMs: number }, fresh = false) => {
        const reading = readAll(sha, info, fresh);
        inflight.set(sha, reading);
        return reading
          .then((file) => {
            for (const m of failedPages(file)) pageFailures.push({ path, file: name, page: m.page!, code: m.actual ?? 'page-failed', reason: m.reason });
            return file;
          })
          .finally(() => inflight.delete(sha));
      };
      /** A stored document whose stage versions are out of date: rerun what is stale. */
      const refresh = async (documentId: number, sha: string, info: { size: number; mtimeMs: number }, bytes?: Buffer): Promise<boolean> => {
        const stale = staleStages(archive.storedStages(documentId), () => pool.engineId, options.forceOcr ?? false);
        if (stale.ocr) {
          // OCR again (engine, model or settings changed, or forced): read the file anew.
          const content = bytes ?? (await readBytes(raw ?? path, name, watch.signal));
          if (sha256(content) !== sha) return false;
          const file = await read(content, sha, info, options.forceOcr ?? false);
          await enter('store');
          watch.check();
          archive.db.transaction(() => {
            archive.clearInFlight(path);
            archive.clearDocumentContent(documentId);
            archive.saveDocumentContent(documentId, file);
          })();
          return true;
        }
        if (stale.normalize || stale.extract) {
          rerunStages(archive, documentId, stale);
          return true;
        }
        return false;
      };
      const work = async () => {
        await enter('read');
        const info = await statFile(raw ?? path, name, limits);
        await refuseLargeText(raw ?? path, info.size, limits, name);
        // Cheap check first: same path, size and modification time as stored.
        const known = archive.knownFile(path);
        if (known && known.size === info.size && known.mtimeMs === info.mtimeMs) {
          archive.touchPath(path, known.documentId);
          return done((await refresh(known.documentId, known.sha256, info)) ? 'reprocessed' : 'unchanged', known.sha256);
        }
        const bytes = await readBytes(raw ?? path, name, watch.signal);
        const sha = sha256(bytes);
        contentSha = sha;
        // The same bytes under another path in this batch: wait for that file (files start in
        // sorted order, so the first path is the original) instead of reading and OCRing twice.
        const earlier = inflight.get(sha);
        if (earlier) {
          await enter('wait');
          await earlier.catch(() => undefined);
          watch.restart();
          const failed = failedContent.get(sha);
          if (failed) throw new DocumentError(failed.code as DocumentError['code'], `${name} has the same content as ${failed.file}, which failed: ${failed.reason}`);
        }
        const existing = archive.documentIdBySha(sha);
        if (existing !== undefined) {
          if (known?.sha256 === sha) {
            archive.touchPath(path, existing, info.size, info.mtimeMs);
            return done((await refresh(existing, sha, info, bytes)) ? 'reprocessed' : 'unchanged', sha);
          }
          // Known bytes at a new path: a move when none of its other paths is still there, else a copy.
          const others = archive.otherPaths(existing, path);
          const present = others.some((p) => existsSync(p));
          archive.recordPath(existing, { path, name, size: info.size, mtimeMs: info.mtimeMs });
          if (known) archive.markSuperseded(known.documentId, existing);
          if (!present && others.length) archive.markMoved(others, path);
          return done(known ? 'changed' : present || !others.length ? 'duplicate' : 'moved', sha);
        }
        const file = await read(bytes, sha, info);
        // Stage 5: store, in one transaction (unless the deadline passed meanwhile).
        await enter('store');
        watch.check();
        const saved = archive.saveDocument(file, run);
        if (known && saved.status === 'ingested') {
          archive.markSuperseded(known.documentId, saved.documentId);
          return done('changed', sha, file);
        }
        done(saved.status, sha, saved.status === 'ingested' ? file : undefined);
      };
      try {
        await watch.watch(work());
      } catch (error) {
        if (options.signal?.aborted) {
          // Not a failure of the file, nor a crash: the run was stopped.
          archive.clearInFlight(path);
          return;
        }
        const failed = (kind: 'failed' | 'skipped', code: string, reason: string) => {
          if (contentSha && kind === 'failed') failedContent.set(contentSha, { code, reason, file: name });
          fail(path, kind, code, reason, t0);
        };
        if (error instanceof UnsupportedFileError || error instanceof TextTooLargeError) return failed('skipped', error.code, error.message);
        if (error instanceof DocumentError) return failed('failed', error.code, error.message);
        // Anything else is a bug or an environment problem (OCR data missing): still this file's failure.
        const e = error as Error;
        failed('failed', e?.name === 'TrainedDataMissingError' ? 'ocr-unavailable' : 'internal-error', `${name}: ${e?.message ?? String(error)}`);
      } finally {
        watch.dispose();
      }
    };

    await Promise.all(
      found.map((f) =>
        limit(async () => {
          if (options.signal?.aborted) return;
          if ('error' in f) {
            counts.seen++;
            // A known path that is gone is missing, not a failure.
            if (f.error === 'no such file or folder' && (archive.knownFile(f.path) || refusedRoot(f.path))) return;
            return fail(f.path, f.skipped ? 'skipped' : 'failed', f.code ?? 'unreadable', `${basename(f.path)}: ${f.error}`, performance.now());
          }
          await processOne(f.path, f.raw);
        }),
      ),
    );
    const status = options.signal?.aborted ? 'interrupted' : 'completed';
    // Only a run that saw everything can say what is missing.
    if (status === 'completed') {
      const markable: string[] = [];
      for (const root of new Set(roots)) {
        if (refusedRoot(root)) continue;
        // Sharded: the known files of other shards were not looked for, so they are not gone.
        const known = knownUnder(archive, root).filter(ours);
        if (known.length === 1 && known[0] === root) {
          markable.push(root);
          continue;
        }
        const gone = known.filter((p) => !seen.has(p)).length;
        if (!options.allowEmpty && gone > MISSING_SHARE * known.length) {
          const entry: NotMarkedMissing = {
            root,
            reason: 'too-many-missing',
            known: known.length,
            not_found: gone,
            message:
              `${gone} of ${known.length} known files under ${root} were not found (more than ${MISSING_SHARE * 100} %); ` +
              'not marked missing (use --allow-empty if they were removed on purpose)',
          };
          notMarkedMissing.push(entry);
          emit({ event: 'not-marked-missing', ...entry });
        } else markable.push(root);
      }
      // Known files of other shards count as seen: never marked missing by this shard.
      const keep = shard ? new Set([...seen, ...markable.flatMap((root) => knownUnder(archive, root).filter((p) => !ours(p)))]) : seen;
      counts.missing = markable.length ? archive.markMissing(markable, keep) : 0;
    }
    archive.refreshSummaries();
    archive.finishRun(run, status, counts);
    // Pages that could not be read in documents that were stored (a failed file is counted in `failed`).
    db.prepare('UPDATE runs SET pages_failed = ? WHERE id = ?').run(pageFailures.length, run);
    emit({
      event: 'run-end',
      run,
      status,
      counts,
      failures,
      page_failures: pageFailures,
      not_marked_missing: notMarkedMissing,
      ms: Math.round(performance.now() - started),
    });
    return { run, status, counts, failures, pageFailures, notMarkedMissing };
  } finally {
    await Promise.all([options.pool ? undefined : pool.close(), readers.close(), textStages.close()]);
    db.close();
    releaseLock();
    process.off('exit', releaseOnExit);
  }
}

export interface ReprocessOptions {
  db: string;
  /** Rerun this stage (and what depends on it) on every document, even where its version is current. */
  stage?: 'repair' | 'extract';
  /** Rerun repair and extraction on every document, not only where stage versions are out of date. */
  all?: boolean;
  onEvent?: (event: ReprocessEvent) => void;
}

/** What reprocessing changed in one document's extracted values (fields, and `units` by name). */
export interface ValueChanges {
  /** Fields that had no value and now have one (for units: the names gained). */
  added: string[];
  removed: string[];
  /** Fields whose value changed: `field: before → after`. */
  changed: string[];
}

export type ReprocessEvent =
  | { event: 'run-start'; run: number; db: string; command: 'reprocess'; documents: number }
  | ({ event: 'reprocessed'; document: string; document_id: number; stages: string[] } & ValueChanges)
  | { event: 'run-end'; run: number; status: 'completed'; counts: RunCounts; changes: ReprocessTotals; ms: number };

/** Per field: in how many documents a value was added, removed or changed. */
export type ReprocessTotals = Record<string, { added: number; removed: number; changed: number }>;

export interface ReprocessResult {
  run: number;
  reprocessed: number;
  unchanged: number;
  /** Documents whose extracted values changed, with what changed. */
  changed: Array<{ document: string; document_id: number } & ValueChanges>;
  totals: ReprocessTotals;
}

const VALUE_FIELDS = ['topic', 'year', 'board', 'administration', 'diarienummer', 'document_date', 'meeting_date', 'target_units', 'case_officer_name', 'case_officer_phone'];

/** The extracted values of a document, as compared before and after reprocessing. */
function extractedValues(db: Database, documentId: number): { fields: Record<string, unknown>; units: string[] } {
  const row = (db.prepare(`SELECT ${VALUE_FIELDS.join(', ')} FROM extractions WHERE document_id = ?`).get(documentId) ?? {}) as Record<string, unknown>;
  const units = db.prepare('SELECT name FROM units WHERE document_id = ? ORDER BY position').pluck().all(documentId) as string[];
  return { fields: row, units };
}

function compareValues(before: ReturnType<typeof extractedValues>, after: ReturnType<typeof extractedValues>): ValueChanges {
  const c: ValueChanges = { added: [], removed: [], changed: [] };
  for (const f of VALUE_FIELDS) {
    const a = before.fields[f] ?? null;
    const b = after.fields[f] ?? null;
    if (a === b) continue;
    if (a === null) c.added.push(f);
    else if (b === null) c.removed.push(f);
    else c.changed.push(`${f}: ${String(a)} → ${String(b)}`);
  }
  const had = new Set(before.units);
  const has = new Set(after.units);
  for (const u of has) if (!had.has(u)) c.added.push(`units: ${u}`);
  for (const u of had) if (!has.has(u)) c.removed.push(`units: ${u}`);
  return c;
}

/** A short sentence of the totals, e.g. "2 documents gained units, 1 changed year". */
export function describeChanges(totals: ReprocessTotals): string {
  const parts: string[] = [];
  const docs = (n: number) => `${n} ${n === 1 ? 'document' : 'documents'}`;
  for (const [field, t] of Object.entries(totals)) {
    if (t.added) parts.push(`${docs(t.added)} gained ${field}`);
    if (t.removed) parts.push(`${docs(t.removed)} lost ${field}`);
    if (t.changed) parts.push(`${docs(t.changed)} changed ${field}`);
  }
  return parts.length ? parts.join(', ') : 'no extracted value changed';
}

/**
 * Reruns repair and/or extraction on stored documents from their stored page text: no file is
 * read and nothing is OCRed. The library behind `beslutsarkiv reprocess`. The database must exist.
 */
export function reprocess(options: ReprocessOptions): ReprocessResult {
  const dbPath = resolve(options.db);
  const lock = acquireWriterLock(dbPath, { mustExist: true });
  try {
    const db = openDatabase(dbPath, { mustExist: true });
    try {
      const started = performance.now();
      const archive = new Archive(db);
      const run = archive.startRun('reprocess', [options.stage ?? 'stale', options.all ? 'all' : 'stale'], STAGE_VERSIONS);
      const ids = (db.prepare('SELECT id, file_name FROM documents ORDER BY id').all() as Array<{ id: number; file_name: string }>);
      options.onEvent?.({ event: 'run-start', run, db: dbPath, command: 'reprocess', documents: ids.length });
      let reprocessed = 0;
      const changed: ReprocessResult['changed'] = [];
      const totals: ReprocessTotals = {};
      // Asked for a stage (or --all): rerun it everywhere; otherwise only where versions are stale.
      const forced = options.all === true || options.stage !== undefined;
      const forceRepair = forced && options.stage !== 'extract';
      for (const { id, file_name } of ids) {
        // Reprocessing never OCRs: the stored OCR stays whatever engine made it.
        const stale = staleStages({ ...archive.storedStages(id), ocrEngines: [] }, () => '', false);
        const normalize = stale.normalize || forceRepair;
        const extract = normalize || stale.extract || forced;
        if (!extract) continue;
        const before = extractedValues(db, id);
        rerunStages(archive, id, { normalize, extract });
        const diff = compareValues(before, extractedValues(db, id));
        reprocessed++;
        if (diff.added.length || diff.removed.length || diff.changed.length) {
          changed.push({ document: file_name, document_id: id, ...diff });
          const bump = (list: string[], kind: 'added' | 'removed' | 'changed') => {
            for (const field of new Set(list.map((x) => x.split(':')[0]!))) (totals[field] ??= { added: 0, removed: 0, changed: 0 })[kind]++;
          };
          bump(diff.added, 'added');
          bump(diff.removed, 'removed');
          bump(diff.changed, 'changed');
        }
        options.onEvent?.({ event: 'reprocessed', document: file_name, document_id: id, stages: normalize ? ['repair', 'extract'] : ['extract'], ...diff });
      }
      const counts = { ...emptyCounts(), seen: ids.length, reprocessed, unchanged: ids.length - reprocessed };
      archive.refreshSummaries();
      archive.finishRun(run, 'completed', counts);
      options.onEvent?.({ event: 'run-end', run, status: 'completed', counts, changes: totals, ms: Math.round(performance.now() - started) });
      return { run, reprocessed, unchanged: ids.length - reprocessed, changed, totals };
    } finally {
      db.close();
    }
  } finally {
    lock.release();
  }
}
