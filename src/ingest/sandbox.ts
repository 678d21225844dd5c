/**
 * Where hostile files are read: stages that can be killed.
 *
 * - **Readers** (ReaderPool): child processes that run the ingest stage (readSource: pdf.js parsing
 *   and rendering, image decoding; see reader-process.ts), one file at a time, reused across files.
 *   Each has a V8 heap cap (--max-old-space-size) and a resident-memory cap checked from here; a
 *   reader that goes over either, crashes, or is still busy when its file's time is up is killed and
 *   replaced, and only that file fails. A child process, not a worker thread, because pdf.js renders
 *   through native code (Skia), where a crash or an allocation outside the V8 heap takes the whole
 *   process with it.
 * - **The text stages** (TextStages): repair, layout and extraction, pure JavaScript, in one worker thread
 *   with a heap cap, so that a document that sends them into an endless loop can be stopped: a
 *   blocked main thread could not even notice its deadline.
 *
 * Like OCRmyPDF's page jobs: the failure is data (a DocumentError with code `resource-limit`,
 * `reader-crashed` or the caller's timeout), and the batch goes on.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DocumentFile } from '../document-file.js';
import { DocumentError } from '../errors.js';
import type { Limits } from '../limits.js';
import type { OcrImage } from './image.js';
import type { FileRef, OpenedFile, ReaderReply, ReaderRequest, SentImage, SerializedError } from './reader-process.js';
import { TextTooLargeError } from './decode-text.js';
import { UnsupportedFileError, type Source } from './read-source.js';

const ENTRY = new URL('./sandbox-entry.js', import.meta.url);
/** The modules the entry loads: TypeScript in a checkout (through tsx), JavaScript when compiled (dist/). */
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
/** How often resident memory of the readers is checked. */
const RSS_CHECK_MS = 100;
/**
 * A further reader is started only for a file that has waited this long for one: a batch of text
 * files is served by one reader faster than a second could start (about a second of CPU).
 */
const GROW_AFTER_MS = 250;
/** A reader that answers nothing this long after it was started is given up. */
const START_TIMEOUT_MS = 60_000;

/** The V8 heap cap of each reader and of the text-stage worker: half the readers' memory limit. */
export function heapMiB(limits: Pick<Limits, 'readerMemoryBytes'>): number {
  return Math.max(64, Math.floor(limits.readerMemoryBytes / 2 / 2 ** 20));
}

type Answer = Extract<ReaderReply, { ok: true }>;
type RequestBody = ReaderRequest extends infer R ? (R extends ReaderRequest ? Omit<R, 'id'> : never) : never;

function mib(bytes: number): number {
  return Math.round(bytes / 2 ** 20);
}

function deserialize(e: SerializedError): Error {
  if (e.name === 'UnsupportedFileError') return new UnsupportedFileError(e.message);
  if (e.name === 'TextTooLargeError') return Object.defineProperty(new TextTooLargeError(0, 0), 'message', { value: e.message });
  if (e.code) return new DocumentError(e.code as DocumentError['code'], e.message);
  return Object.assign(new Error(e.message), { name: e.name });
}

/** Resident memory of a process, from /proc (Linux); undefined elsewhere or when it is gone. */
export function residentBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

class Reader {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  files = 0;
  /** Why it was killed, when this process killed it. */
  private killedFor: 'memory' | 'abort' | 'recycle' | undefined;
  /** Resident memory when last checked. */
  rss = 0;
  /** When killed for memory: its resident memory and the readers' together, then. */
  private overrun = { rss: 0, total: 0 };
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private stderr = '';
  private next = 1;
  private readonly pending = new Map<number, { resolve: (r: Answer) => void; reject: (e: Error) => void; what: string; name: string }>();
  private readonly exited: Promise<void>;

  constructor(
    private readonly limits: Limits,
    onExit: (reader: Reader) => void,
  ) {
    this.child = fork(ENTRY, [new URL(`./reader-process${EXT}`, import.meta.url).href], {
      execArgv: [`--max-old-space-size=${heapMiB(limits)}`],
      // pdf.js and leptonica print to stdout and stderr: stdout is dropped, stderr kept for the
      // reason a reader died (V8's "Reached heap limit").
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4096);
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.kill('abort');
        reject(new Error(`the reader process did not start within ${START_TIMEOUT_MS / 1000} s`));
      }, START_TIMEOUT_MS);
      this.child.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
      this.child.once('exit', () => {
        clearTimeout(timer);
        reject(new Error(`the reader process could not start: ${this.stderr.trim().split('\n').slice(-3).join(' ') || 'it exited'}`));
      });
    });
    this.ready.catch(() => undefined);
    this.child.on('message', (reply: ReaderReply) => {
      if (!('id' in reply)) return;
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve(reply);
      else p.reject(deserialize(reply.error));
    });
    this.child.on('error', () => undefined);
    this.child.once('exit', (code, signal) => {
      this.exit = { code, signal };
      for (const p of this.pending.values()) p.reject(this.deathReason(p.name, p.what));
      this.pending.clear();
      onExit(this);
    });
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  /** Alive and not being killed: may be given a file. */
  get usable(): boolean {
    return this.exit === undefined && this.killedFor === undefined;
  }

  /** Why the reader died, as the failure of the file it was reading. */
  private deathReason(name: string, what: string): Error {
    const limit = mib(this.limits.readerMemoryBytes);
    if (this.killedFor === 'memory') {
      return new DocumentError(
        'resource-limit',
        `${name}: memory: the readers used ${mib(this.overrun.total)} MiB together, over their limit of ${limit} MiB (--reader-memory); ` +
          `this one used ${mib(this.overrun.rss)} MiB while ${what}`,
      );
    }
    if (/heap limit|heap out of memory|Allocation failed/i.test(this.stderr)) {
      return new DocumentError(
        'resource-limit',
        `${name}: heap: the reader ran out of its heap of ${heapMiB(this.limits)} MiB (half of --reader-memory ${limit} MiB) while ${what}`,
      );
    }
    const how = this.exit?.signal ? `signal ${this.exit.signal}` : `exit code ${this.exit?.code}`;
    const last = this.stderr.trim().split('\n').filter((l) => /\S/.test(l) && !/^\s+at /.test(l)).at(-1)?.trim().slice(0, 200);
    return new DocumentError('reader-crashed', `${name}: the reader process died (${how}) while ${what}${last ? ` (it said: ${last})` : ''}`);
  }

  /** Sends a request; the answer, or the file's failure (the reader died, or `signal` fired and the reader was killed). */
  async request(body: RequestBody, name: string, what: string, signal: AbortSignal): Promise<Answer> {
    signal.throwIfAborted();
    await this.ready;
    if (!this.alive) throw this.deathReason(name, what);
    const id = this.next++;
    let onAbort: (() => void) | undefined;
    try {
      return await new Promise<Answer>((resolve, reject) => {
        this.pending.set(id, { resolve, reject, what, name });
        onAbort = () => {
          this.pending.delete(id);
          // Whatever it is doing (a blocked event loop included), it is stopped.
          this.kill('abort');
          reject(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        this.child.send({ ...body, id } as ReaderRequest);
      });
    } finally {
      signal.removeEventListener('abort', onAbort!);
    }
  }

  /** Resident memory now (0 once it is gone). */
  measure(): number {
    this.rss = this.alive && this.child.pid !== undefined ? (residentBytes(this.child.pid) ?? 0) : 0;
    return this.rss;
  }

  kill(reason: 'memory' | 'abort' | 'recycle', total = 0): void {
    if (!this.alive) return;
    if (!this.killedFor && reason === 'memory') this.overrun = { rss: this.rss, total };
    this.killedFor ??= reason;
    this.child.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    this.kill('recycle');
    await this.exited;
  }
}

export interface ReaderPoolOptions {
  limits: Limits;
  /** Replace a reader after this many files (pdf.js's caches and a fragmented heap only grow). */
  recycleAfter?: number;
}

/**
 * Readers, one per file in flight, reused across files. They start on demand, one at a time: a
 * reader takes about a second of CPU to start (tsx, pdf.js), and a batch of text files is served by
 * the first reader long before a second one would be ready.
 */

/**
 * A reader that has read a text file larger than this is replaced rather than reused (its heap grew
 * to hold the text and its copies); other files (scans of 5–15 MB are common) only when larger than
 * RECYCLE_AFTER_BINARY_BYTES, or when the reader is left large (its resident memory is checked).
 */
const RECYCLE_AFTER_BYTES = 4 * 2 ** 20;
const RECYCLE_AFTER_BINARY_BYTES = 64 * 2 ** 20;
export class ReaderPool {
  private readonly idle: Reader[] = [];
  private readonly all = new Set<Reader>();
  private readonly waiting: Array<(reader: Reader) => void> = [];
  private spawning = false;
  private growTimer: NodeJS.Timeout | undefined;
  private readonly recycleAfter: number;
  private monitor: NodeJS.Timeout | undefined;
  private closed = false;
  /** Readers started (for tests and reports). */
  started = 0;
  /** The highest resident memory of the readers together, in bytes. */
  peakRss = 0;
  /** Where readers write large page images for this process to read (see SentImage); made when first needed, removed on close. */
  private spillDir: string | undefined;

  constructor(private readonly options: ReaderPoolOptions) {
    this.recycleAfter = options.recycleAfter ?? 200;
  }

  /** An idle reader, or the next one released or started. */
  private acquire(signal: AbortSignal): Promise<Reader> {
    if (this.closed) throw new Error('the reader pool is closed');
    signal.throwIfAborted();
    let reader: Reader | undefined;
    while ((reader = this.idle.pop())) if (reader.usable) return Promise.resolve(reader);
    return new Promise<Reader>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiting.indexOf(take);
        if (i !== -1) this.waiting.splice(i, 1);
        reject(signal.reason);
      };
      const take = (r: Reader) => {
        signal.removeEventListener('abort', onAbort);
        resolve(r);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(take);
      this.grow();
    });
  }

  /**
   * Starts a reader when files wait for one and none is starting: at once when there is none, else
   * when a file is still waiting after GROW_AFTER_MS.
   */
  private grow(): void {
    if (this.spawning || this.closed || this.waiting.length === 0) return;
    if (this.all.size === 0) return this.spawn();
    if (this.growTimer) return;
    const first = this.waiting[0];
    this.growTimer = setTimeout(() => {
      this.growTimer = undefined;
      if (this.waiting[0] === first) this.spawn();
      else this.grow();
    }, GROW_AFTER_MS);
    this.growTimer.unref();
  }

  private spawn(): void {
    if (this.spawning || this.closed || this.waiting.length === 0) return;
    this.spawning = true;
    const reader = new Reader(this.options.limits, (r) => {
      this.all.delete(r);
      const i = this.idle.indexOf(r);
      if (i !== -1) this.idle.splice(i, 1);
    });
    this.started++;
    this.all.add(reader);
    this.monitor ??= setInterval(() => this.checkMemory(), RSS_CHECK_MS).unref();
    // A reader that failed to start is handed out all the same: its file fails with the reason.
    void reader.ready
      .catch(() => undefined)
      .then(() => {
        this.spawning = false;
        this.hand(reader);
        this.grow();
      });
  }

  /**
   * The readers together over the memory limit: the one using the most is killed (its file fails with
   * resource-limit). Checked from here, so a reader whose event loop is blocked is measured too.
   */
  private checkMemory(): void {
    let total = 0;
    let largest: Reader | undefined;
    for (const r of this.all) {
      total += r.measure();
      if (!largest || r.rss > largest.rss) largest = r;
    }
    this.peakRss = Math.max(this.peakRss, total);
    if (largest && total > this.options.limits.readerMemoryBytes) largest.kill('memory', total);
  }

  private hand(reader: Reader): void {
    const next = this.waiting.shift();
    if (next) next(reader);
    else if (reader.usable) this.idle.push(reader);
  }

  private release(reader: Reader, largeFile = false): void {
    // A reader killed for its file (deadline, memory) may not have exited yet: never handed on.
    if (!reader.usable) return this.grow();
    // pdf.js keeps caches and V8 rarely gives memory back: a reader left large by its file is
    // replaced rather than kept holding a quarter of the readers' memory for the next one; so is one
    // that read a large file (a 10 MB text leaves it at ~230 MiB for the rest of the run otherwise).
    if (this.closed || largeFile || reader.files >= this.recycleAfter || reader.measure() > this.options.limits.readerMemoryBytes / 4) {
      void reader.stop();
      return this.grow();
    }
    this.hand(reader);
  }

  /**
   * Runs the ingest stage on a file in a reader: the Source, whose page images come from the same
   * reader, which stays this file's until `close()`. `signal` (the file's deadline, or the run's
   * end) kills the reader and rejects whatever is pending with its reason. `onReader` is called
   * once a reader is this file's.
   */
  async open(ref: FileRef, signal: AbortSignal, onReader?: () => void): Promise<Source> {
    const reader = await this.acquire(signal);
    onReader?.();
    reader.files++;
    let opened: OpenedFile;
    try {
      opened = (await reader.request({ op: 'open', file: ref, limits: this.options.limits }, ref.name, 'parsing', signal)).opened!;
    } catch (error) {
      this.release(reader);
      throw error;
    }
    let closed = false;
    if (opened.closed) {
      // A text file: the reader is free again at once.
      closed = true;
      this.release(reader, ref.size > RECYCLE_AFTER_BYTES);
    }
    const spillDir = () => (this.spillDir ??= mkdtempSync(join(tmpdir(), 'beslutsarkiv-images-')));
    /** An image as the OCR stage wants it: Buffers (they arrive as Uint8Array, or in a spill file), its fallback asked of the reader. */
    const received = async (image: SentImage, page: number): Promise<OcrImage> => {
      const { hasFallback, spilled, ...rest } = image;
      let { data } = rest;
      let { rgba } = rest;
      if (spilled) {
        const bytes = await readFile(spilled.path).finally(() => rm(spilled.path, { force: true }));
        if (spilled.as === 'data') data = bytes;
        else rgba = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      }
      return {
        ...rest,
        ...(data ? { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) } : {}),
        ...(rgba ? { rgba } : {}),
        ...(hasFallback
          ? {
              fallback: async () => {
                const { image: other } = await reader.request({ op: 'fallback', page, spill: spillDir() }, ref.name, `decoding the image of page ${page} another way`, signal);
                return received(other!, page);
              },
            }
          : {}),
      };
    };
    return {
      file: opened.file,
      pages: opened.pages.map((p) => ({
        number: p.number,
        text: p.text,
        source: p.source,
        ...(p.image
          ? {
              loadImage: async (): Promise<OcrImage> => {
                const { image } = await reader.request({ op: 'image', page: p.number, spill: spillDir() }, ref.name, `loading the image of page ${p.number}`, signal);
                return received(image!, p.number);
              },
            }
          : {}),
      })),
      close: async () => {
        if (closed) return;
        closed = true;
        try {
          // A reader whose file was stopped may be busy with it still: it is not reused.
          if (signal.aborted) reader.kill('recycle');
          else await reader.request({ op: 'close' }, ref.name, 'closing', signal);
        } catch {
          reader.kill('recycle');
        }
        this.release(reader, ref.size > (opened.file.format === 'txt' || opened.file.format === 'md' ? RECYCLE_AFTER_BYTES : RECYCLE_AFTER_BINARY_BYTES));
      },
    };
  }

  /** Kills every reader. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.monitor);
    clearTimeout(this.growTimer);
    this.idle.length = 0;
    await Promise.all([...this.all].map((r) => r.stop()));
    // Images a killed reader wrote and nobody read.
    if (this.spillDir) rmSync(this.spillDir, { recursive: true, force: true });
  }
}

export type TextStage = 'normalize' | 'layout' | 'extract';

type TextReply = { ready: true } | { stage: TextStage } | { done: DocumentFile } | { error: SerializedError };

/** The text-stage worker loads the repair models (about a second) before it takes documents. */
const TEXT_START_TIMEOUT_MS = 120_000;

/**
 * Repair and extraction in a worker thread (see text-worker.ts), one document at a time: the models
 * load once per worker. A document whose deadline passes has its worker terminated (even in an
 * endless loop) and the next document gets a new one.
 */
export class TextStages {
  private worker: { thread: Worker; ready: Promise<void> } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Workers started (for tests). */
  started = 0;

  constructor(private readonly limits: Limits) {}

  /** Starts the worker (and its model loading) ahead of the first document. */
  prestart(): void {
    if (!this.closed) this.worker ??= this.start();
  }

  private start(): { thread: Worker; ready: Promise<void> } {
    this.started++;
    const worker = new Worker(ENTRY, {
      workerData: { entry: [new URL(`./text-worker${EXT}`, import.meta.url).href] },
      resourceLimits: { maxOldGenerationSizeMb: heapMiB(this.limits) },
      stdout: true,
      stderr: true,
    });
    // Nothing of theirs is printed (it would land in the middle of a JSON log).
    worker.stdout.resume();
    worker.stderr.resume();
    worker.unref();
    worker.on('error', () => undefined);
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the text-stage worker did not start within ${TEXT_START_TIMEOUT_MS / 1000} s`)), TEXT_START_TIMEOUT_MS);
      timer.unref();
      const onMessage = (m: TextReply) => {
        if (!('ready' in m)) return;
        clearTimeout(timer);
        worker.off('message', onMessage);
        resolve();
      };
      worker.on('message', onMessage);
      worker.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the text-stage worker stopped while starting (exit code ${code})`));
      });
    });
    ready.catch(() => undefined);
    const started = { thread: worker, ready };
    worker.once('exit', () => {
      if (this.worker === started) this.worker = undefined;
    });
    return started;
  }

  /**
   * Runs repair then extraction on a document; `onStart` hears when its turn comes (documents wait
   * for the one before them), `onStage` which stage is running.
   */
  run(file: DocumentFile, signal: AbortSignal, onStage: (stage: TextStage) => void, onStart?: () => void): Promise<DocumentFile> {
    const job = this.queue.then(async () => {
      signal.throwIfAborted();
      if (this.closed) throw new Error('the text stages are closed');
      const worker = (this.worker ??= this.start());
      // Started (and the models loaded) before this document's clock runs again.
      await worker.ready;
      onStart?.();
      return this.runNow(worker.thread, file, signal, onStage);
    });
    this.queue = job.catch(() => undefined);
    return job;
  }

  private runNow(worker: Worker, file: DocumentFile, signal: AbortSignal, onStage: (stage: TextStage) => void): Promise<DocumentFile> {
    signal.throwIfAborted();
    worker.ref();
    return new Promise<DocumentFile>((resolve, reject) => {
      const cleanup = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        signal.removeEventListener('abort', onAbort);
        worker.unref();
      };
      const onMessage = (reply: TextReply) => {
        if ('ready' in reply) return;
        if ('stage' in reply) return onStage(reply.stage);
        cleanup();
        // The Markdown source stayed here (the text stages read the pages).
        if ('done' in reply) resolve(file.raw === undefined ? reply.done : { ...reply.done, raw: file.raw });
        else reject(deserialize(reply.error));
      };
      const onError = (error: Error & { code?: string }) => {
        cleanup();
        this.discard(worker);
        reject(
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new DocumentError('resource-limit', `${file.name}: heap: repair and extraction ran out of their heap of ${heapMiB(this.limits)} MiB (half of --reader-memory)`)
            : error,
        );
      };
      const onExit = (code: number) => {
        cleanup();
        reject(new Error(`the text-stage worker stopped (exit code ${code})`));
      };
      const onAbort = () => {
        cleanup();
        this.discard(worker);
        reject(signal.reason);
      };
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      signal.addEventListener('abort', onAbort, { once: true });
      // Without the Markdown source: the text stages do not read it, and it is as large as the text.
      const { raw: _raw, ...sent } = file;
      worker.postMessage(sent);
    });
  }

  private discard(worker: Worker): void {
    if (this.worker?.thread === worker) this.worker = undefined;
    void worker.terminate();
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    await worker?.thread.terminate();
  }
}
