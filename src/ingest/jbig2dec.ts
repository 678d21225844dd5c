/**
 * JBIG2 images that pdf.js cannot decode (its decoder lacks some of the standard: some combination
 * operators, refinement, halftone regions, …), decoded by the `jbig2dec` command (Debian package
 * `jbig2dec`) when it is installed. An optional system tool: without it such a page fails as
 * before, and the reason says that installing jbig2dec would read it.
 *
 * The image stream's bytes (undecoded by JBIG2Decode, after any other filters in its chain) and its
 * /JBIG2Globals stream are written to a private temp folder, and jbig2dec writes a PBM (1 = black),
 * under a wall-clock limit, a memory limit and a cap on the output's size.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A bitonal image: rows padded to whole bytes, most significant bit first, 1 = black (as in PBM). */
export interface Bitonal {
  width: number;
  height: number;
  bits: Uint8Array;
}

/** Why jbig2dec did not give an image: said in our words, jbig2dec's own only as the detail. */
export class Jbig2decError extends Error {
  override name = 'Jbig2decError';
}

/**
 * Test seam: the command run (a name that is not installed makes the tool missing), and `force`,
 * which sends every JBIG2 page image to jbig2dec without asking pdf.js first.
 */
export const jbig2decSettings: { command: string; force: boolean } = { command: 'jbig2dec', force: false };

const available = new Map<string, boolean>();

/** jbig2dec can be run (looked up once per command). */
export function hasJbig2dec(): boolean {
  const command = jbig2decSettings.command;
  if (!available.has(command)) {
    const run = spawnSync(command, ['--version'], { stdio: 'ignore', timeout: 5_000 });
    available.set(command, run.error === undefined && run.status === 0);
  }
  return available.get(command)!;
}

export interface Jbig2decLimits {
  /** Wall-clock limit of the jbig2dec process. */
  timeoutMs: number;
  /** Pixels of the decoded page at most (its PBM is capped at this many bits). */
  maxPixels: number;
}

export const JBIG2DEC_TIMEOUT_MS = 30_000;

/**
 * Decodes an embedded JBIG2 stream (no file header, as PDFs hold it) with its global segments.
 * Throws Jbig2decError when jbig2dec fails, overruns a limit or writes no page.
 */
export async function decodeJbig2(data: Uint8Array, globals: Uint8Array | null, limits: Jbig2decLimits): Promise<Bitonal> {
  const dir = await mkdtemp(join(tmpdir(), 'beslutsarkiv-jbig2-'));
  try {
    const image = join(dir, 'image.jb2');
    const out = join(dir, 'page.pbm');
    await writeFile(image, data);
    // Some writers embed a whole JBIG2 file, header and all (its ID string): read as such.
    const args = [...(hasFileHeader(data) ? [] : ['--embedded']), '-t', 'pbm', '-o', out];
    // jbig2dec's own memory limit: the page's bitmap several times over, at least 64 MiB.
    const maxOutput = Math.ceil(limits.maxPixels / 8) + 1024;
    args.push('-M', String(Math.max(64 * 2 ** 20, maxOutput * 8)));
    if (globals && globals.length > 0) {
      const g = join(dir, 'globals.jb2');
      await writeFile(g, globals);
      args.push(g);
    }
    args.push(image);
    const result = await run(jbig2decSettings.command, args, limits.timeoutMs);
    if (result.timedOut) throw new Jbig2decError(`jbig2dec did not finish within ${Math.round(limits.timeoutMs / 1000)} s`);
    const size = await stat(out).then((s) => s.size, () => -1);
    if (size > maxOutput) throw new Jbig2decError(`jbig2dec decodes it to more than the pixel limit of ${limits.maxPixels} (--max-pixels)`);
    // jbig2dec writes the page it has even after a fatal error (a segment type it does not implement,
    // such as an intermediate generic region): a blank or partial page, which would be a lost page.
    if (result.code !== 0 || size <= 0 || /FATAL ERROR/.test(result.stderr)) {
      // Its fatal error where it says one, else its first line.
      const lines = result.stderr.split('\n').map((l) => l.replace(/^jbig2dec\s+/, '').trim()).filter(Boolean);
      const said = (lines.find((l) => /^FATAL/.test(l)) ?? lines[0] ?? '').slice(0, 200);
      throw new Jbig2decError(`jbig2dec cannot decode it either${said ? ` (jbig2dec: ${said})` : ` (exit ${result.code ?? result.signal})`}`);
    }
    return parsePbm(await readFile(out));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The JBIG2 file header's ID string: 97 4A 42 32 0D 0A 1A 0A. */
const FILE_ID = [0x97, 0x4a, 0x42, 0x32, 0x0d, 0x0a, 0x1a, 0x0a];

function hasFileHeader(data: Uint8Array): boolean {
  return FILE_ID.every((b, i) => data[i] === b);
}

function run(command: string, args: string[], timeoutMs: number): Promise<{ code: number | null; signal: string | null; stderr: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 4096) stderr += chunk;
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Jbig2decError(`jbig2dec cannot be run (${(error as NodeJS.ErrnoException).code ?? error.message})`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, timedOut });
    });
  });
}

/** A binary PBM (P4): header with optional comments, then rows padded to whole bytes, 1 = black. */
export function parsePbm(bytes: Uint8Array): Bitonal {
  let at = 0;
  const skip = () => {
    for (;;) {
      while (at < bytes.length && /\s/.test(String.fromCharCode(bytes[at]!))) at++;
      if (bytes[at] !== 0x23) return;
      while (at < bytes.length && bytes[at] !== 0x0a && bytes[at] !== 0x0d) at++;
    }
  };
  const token = () => {
    skip();
    const start = at;
    while (at < bytes.length && !/\s/.test(String.fromCharCode(bytes[at]!))) at++;
    return Buffer.from(bytes.subarray(start, at)).toString('latin1');
  };
  if (token() !== 'P4') throw new Jbig2decError('jbig2dec wrote no binary PBM');
  const width = Number(token());
  const height = Number(token());
  // One white-space byte ends the header.
  at++;
  const rowBytes = (width + 7) >> 3;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0) || bytes.length - at < rowBytes * height) {
    throw new Jbig2decError(`jbig2dec wrote a PBM that is cut short or has no size (${width}×${height})`);
  }
  return { width, height, bits: bytes.subarray(at, at + rowBytes * height) };
}
