/**
 * The sandboxed reader: a child process (see sandbox.ts) that runs the ingest stage, readSource, on
 * one file at a time: pdf.js parsing and rendering, TIFF decoding, text decoding, Markdown. It holds
 * the file's Source while the OCR stage asks it for page images, so a file that exhausts memory or
 * never finishes costs this process, which the main process kills and replaces, not the run.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DocumentFile, PageSource } from '../document-file.js';
import { DocumentError } from '../errors.js';
import { TextTooLargeError } from './decode-text.js';
import type { Limits } from '../limits.js';
import type { OcrImage } from './image.js';
import { findOversizedStream } from './pdf-streams.js';
import { readSource, refuseLargeText, UnsupportedFileError, type Source } from './read-source.js';

export interface FileRef {
  path: string;
  /** The path as bytes, when it is not valid UTF-8 (`path` shows it with U+FFFD). */
  raw?: Uint8Array;
  name: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}

export type ReaderRequest =
  | { id: number; op: 'open'; file: FileRef; limits: Limits }
  /** `spill`: a folder of the main process where an image larger than SPILL_BYTES is written instead of sent. */
  | { id: number; op: 'image'; page: number; spill?: string }
  /** The image's other way to the same pixels (OcrImage.fallback), when its bytes do not decode. */
  | { id: number; op: 'fallback'; page: number; spill?: string }
  | { id: number; op: 'close' };

export interface OpenedFile {
  /** The DocumentFile as the ingest stage left it (no pages yet). */
  file: DocumentFile;
  pages: Array<{ number: number; text: string | null; source: PageSource; image: boolean }>;
  /** The reader has closed the file already (no page image to load): no close request needed. */
  closed: boolean;
}

/** An OcrImage as sent: functions stay here (`hasFallback` says there is one to ask for). */
/**
 * An image as sent to the main process. Its bytes or pixels come in the message, or, when larger
 * than SPILL_BYTES, in a file of the main process's spill folder that the main process reads and
 * removes (`spilled`): Node's IPC joins a message's chunks by copying all received so far at every
 * chunk, so a 12 MB scan cost a gigabyte of copying and a 35 MB rendered page many times that.
 */
export type SentImage = Omit<OcrImage, 'fallback'> & { hasFallback?: boolean; spilled?: { path: string; as: 'data' | 'rgba' } };

/** Images larger than this go through a file rather than the IPC channel. */
export const SPILL_BYTES = 256 * 1024;
let spills = 0;

export interface SerializedError {
  name: string;
  code?: string;
  message: string;
}

export type ReaderReply =
  | { ready: true }
  | { id: number; ok: true; opened?: OpenedFile; image?: SentImage }
  | { id: number; ok: false; error: SerializedError };

/**
 * Test seam: `BESLUTSARKIV_TEST_FAULT=<fault>:<name part>[,…]` makes the reader misbehave on files
 * whose name contains the part: `hang` (never answers), `spin` (blocks its event loop for good),
 * `allocate` (fills its heap until V8 gives up), `crash` (dies of SIGSEGV).
 */
function injectFault(name: string): Promise<void> | void {
  for (const entry of (process.env.BESLUTSARKIV_TEST_FAULT ?? '').split(',')) {
    const [fault, part] = entry.split(':');
    if (!part || !name.includes(part)) continue;
    if (fault === 'hang') return new Promise(() => {});
    if (fault === 'spin') for (;;);
    if (fault === 'allocate') {
      const hoard: string[][] = [];
      for (let i = 0; ; i++) hoard.push(Array.from({ length: 1e5 }, (_, j) => `${i}:${j}`));
    }
    if (fault === 'crash') process.kill(process.pid, 'SIGSEGV');
  }
}

let source: Source | undefined;
/** The fallbacks of the images sent, by page. */
const fallbacks = new Map<number, () => Promise<OcrImage>>();

async function sendable(page: number, image: OcrImage, spill: string | undefined): Promise<SentImage> {
  const { fallback, ...rest } = image;
  if (fallback) fallbacks.set(page, fallback);
  const sent: SentImage = fallback ? { ...rest, hasFallback: true } : rest;
  const as = sent.data ? 'data' : sent.rgba ? 'rgba' : undefined;
  const bytes = sent.data ?? sent.rgba;
  if (!spill || !as || !bytes || bytes.byteLength <= SPILL_BYTES) return sent;
  const path = join(spill, `${process.pid}-${++spills}.img`);
  await writeFile(path, bytes);
  const { data: _data, rgba: _rgba, ...described } = sent;
  return { ...described, spilled: { path, as } };
}

async function open(ref: FileRef, limits: Limits): Promise<OpenedFile> {
  await injectFault(ref.name);
  // A text file too large to read is refused from its first bytes.
  await refuseLargeText(ref.raw ? Buffer.from(ref.raw) : ref.path, ref.size, limits, ref.name);
  let bytes: Buffer;
  try {
    bytes = await readFile(ref.raw ? Buffer.from(ref.raw) : ref.path);
  } catch (error) {
    throw new DocumentError('unreadable', `${ref.name} cannot be read (${(error as NodeJS.ErrnoException).code})`, { cause: error });
  }
  // The main process hashed the bytes it read; these must be the same.
  if (createHash('sha256').update(bytes).digest('hex') !== ref.sha256) {
    throw new DocumentError('unreadable', `${ref.name} changed while it was being read`);
  }
  if (bytes.subarray(0, 1024).includes('%PDF-')) {
    const bomb = findOversizedStream(bytes, limits.maxStreamBytes);
    if (bomb) {
      throw new DocumentError(
        'resource-limit',
        `${ref.name}: a compressed stream${bomb.object ? ` (object ${bomb.object})` : ''} of ${bomb.compressed} bytes inflates to more than ` +
          `${Math.round(limits.maxStreamBytes / 2 ** 20)} MiB (--max-stream-size)`,
      );
    }
  }
  await close(); // a reader holds one file at a time
  const { raw: _raw, ...identity } = ref;
  source = await readSource({ ...identity, bytes }, limits);
  const opened = {
    file: source.file,
    pages: source.pages.map((p) => ({ number: p.number, text: p.text, source: p.source, image: p.loadImage !== undefined })),
    closed: false,
  };
  // Nothing more to ask of this file (text, or a PDF with text on every page): closed already.
  if (!opened.pages.some((p) => p.image)) {
    await close();
    opened.closed = true;
  }
  return opened;
}

async function image(page: number, spill?: string): Promise<SentImage> {
  const p = source?.pages.find((x) => x.number === page);
  if (!p?.loadImage) throw new Error(`page ${page} has no image to load`);
  return sendable(page, await p.loadImage(), spill);
}

async function fallback(page: number, spill?: string): Promise<SentImage> {
  const other = fallbacks.get(page);
  if (!other) throw new Error(`page ${page} has no other way to its image`);
  fallbacks.delete(page);
  return sendable(page, await other(), spill);
}

async function close(): Promise<void> {
  const s = source;
  source = undefined;
  fallbacks.clear();
  await s?.close();
}

function serialize(error: unknown): SerializedError {
  const e = error as Error & { code?: string };
  return {
    name: error instanceof UnsupportedFileError ? 'UnsupportedFileError' : error instanceof TextTooLargeError ? 'TextTooLargeError' : (e?.name ?? 'Error'),
    code: error instanceof DocumentError ? error.code : undefined,
    message: e?.message ?? String(error),
  };
}

function send(reply: ReaderReply): void {
  try {
    process.send!(reply);
  } catch (error) {
    // An answer that cannot be sent (a value that does not clone) fails the request, not the reader.
    if ('id' in reply) process.send!({ id: reply.id, ok: false, error: serialize(error) });
  }
}

process.on('message', (request: ReaderRequest) => {
  const work =
    request.op === 'open' ? open(request.file, request.limits)
    : request.op === 'image' ? image(request.page, request.spill)
    : request.op === 'fallback' ? fallback(request.page, request.spill)
    : close();
  work.then(
    (result) => {
      if (request.op === 'open') send({ id: request.id, ok: true, opened: result as OpenedFile });
      else if (request.op === 'image' || request.op === 'fallback') send({ id: request.id, ok: true, image: result as SentImage });
      else send({ id: request.id, ok: true });
    },
    (error) => send({ id: request.id, ok: false, error: serialize(error) }),
  );
});
// The main process went away: so does the reader.
process.on('disconnect', () => process.exit(0));

// A reader whose event loop is blocked (pdf.js in an endless loop) never sees the disconnect. This
// thread does: when the main process is gone (killed with -9, crashed), the reader kills itself.
new Worker(
  `const { ppid } = process;
   setInterval(() => { if (process.ppid !== ppid) process.kill(process.pid, 'SIGKILL'); }, 1000);`,
  { eval: true, resourceLimits: { maxOldGenerationSizeMb: 8 } },
).unref();

// Ready is sent by sandbox-entry.js once tsx is unregistered.
