/**
 * Finding input files: folders are walked recursively in sorted order (so runs are repeatable),
 * hidden files and folders are left out, a `.beslutsarkivignore` file in a folder excludes files
 * below it by name pattern (like .gitignore), and paths that cannot be read are reported, not dropped.
 *
 * Names are kept as bytes: a file whose name is not valid UTF-8 (an old Latin-1 archive) is found
 * and can be read through its `raw` path; its `path` shows the name with U+FFFD. Anything that is
 * not a regular file or folder (a FIFO, a socket, a device) is reported as skipped, never opened.
 * A folder reached again through a symbolic link inside itself (a loop) is not walked again.
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, relative, resolve, sep } from 'node:path';

export type Found =
  | {
      path: string;
      /** The path as bytes, when it is not valid UTF-8 (`path` then has U+FFFD in its place): open the file by this. */
      raw?: Buffer;
    }
  | {
      path: string;
      error: string;
      /** Not a failure: what the path is, is not a document (a FIFO, a socket, a device, a link loop). */
      skipped?: boolean;
      code?: 'not-a-regular-file';
    };

export const IGNORE_FILE = '.beslutsarkivignore';

const SLASH = Buffer.from(sep);

interface IgnoreRule {
  base: string;
  pattern: RegExp;
  /** Patterns with a slash match the path relative to the ignore file's folder; others the name. */
  anchored: boolean;
}

/** `*` any run within a name, `?` one character, `**` any run of folders. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

async function readIgnoreRules(folder: string, raw: Buffer): Promise<IgnoreRule[]> {
  let text: string;
  try {
    const prefix = raw.subarray(raw.length - SLASH.length).equals(SLASH) ? raw : Buffer.concat([raw, SLASH]);
    text = await readFile(Buffer.concat([prefix, Buffer.from(IGNORE_FILE)]), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const glob = l.replace(/^\/+/, '').replace(/\/+$/, '');
      return { base: folder, pattern: globToRegExp(glob), anchored: l.includes('/') };
    });
}

function ignored(path: string, rules: IgnoreRule[]): boolean {
  return rules.some((r) => {
    const rel = relative(r.base, path).split(sep).join('/');
    return r.anchored ? r.pattern.test(rel) : r.pattern.test(basename(path));
  });
}

/** What a path that is neither file nor folder is. */
function kindOf(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/** Display text of a path given as bytes (invalid UTF-8 shown as U+FFFD). */
const shown = (path: Buffer) => path.toString('utf8');

export async function findFiles(inputs: string[], exclude: Set<string> = new Set()): Promise<Found[]> {
  const out: Found[] = [];
  // Paths by their bytes: two names that differ only in invalid bytes are two files.
  const seen = new Set<string>();
  const visit = async (raw: Buffer, explicit: boolean, rules: IgnoreRule[], ancestors: Set<string>): Promise<void> => {
    const path = shown(raw);
    const key = raw.toString('latin1');
    if (seen.has(key) || exclude.has(path)) return;
    seen.add(key);
    // Files named on the command line are always read; walked ones may be hidden or ignored.
    if (!explicit && (basename(path).startsWith('.') || ignored(path, rules))) return;
    let info: Stats;
    try {
      info = await stat(raw);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') out.push({ path, error: 'a symbolic link that points to itself (a loop)', skipped: true, code: 'not-a-regular-file' });
      else out.push({ path, error: code === 'ENOENT' ? 'no such file or folder' : `cannot be read (${code})` });
      return;
    }
    if (info.isDirectory()) {
      // A folder that is its own ancestor (a symbolic link back up the tree) would be walked forever.
      const id = `${info.dev}:${info.ino}`;
      if (ancestors.has(id)) return;
      let entries: Buffer[];
      try {
        entries = await readdir(raw, { encoding: 'buffer' });
      } catch (error) {
        out.push({ path, error: `folder cannot be read (${(error as NodeJS.ErrnoException).code})` });
        return;
      }
      // Sorted as names read (invalid bytes last among equals), so runs are repeatable.
      entries.sort((a, b) => {
        const x = shown(a);
        const y = shown(b);
        return x < y ? -1 : x > y ? 1 : Buffer.compare(a, b);
      });
      const inner = [...rules, ...(await readIgnoreRules(path, raw))];
      const within = new Set(ancestors).add(id);
      const prefix = raw.subarray(raw.length - SLASH.length).equals(SLASH) ? raw : Buffer.concat([raw, SLASH]);
      for (const entry of entries) await visit(Buffer.concat([prefix, entry]), false, inner, within);
    } else if (info.isFile()) {
      out.push(isUtf8(raw) ? { path } : { path, raw });
    } else {
      out.push({ path, error: `${kindOf(info)}, not a regular file: skipped`, skipped: true, code: 'not-a-regular-file' });
    }
  };
  for (const input of inputs) await visit(Buffer.from(resolve(input)), true, [], new Set());
  return out;
}

/**
 * A shard of a sharded ingest (`--shard K/N`): `index` is 0-based (0 to count − 1), so a Kubernetes
 * Indexed Job's JOB_COMPLETION_INDEX is K as it is.
 */
export interface Shard {
  index: number;
  count: number;
}

/** A `--shard` value that is not K/N with 0 ≤ K < N. */
export class ShardError extends Error {
  override name = 'ShardError';
}

/** Checks a shard: whole numbers, count ≥ 1, 0 ≤ index < count. */
export function checkShard(shard: Shard): Shard {
  const { index, count } = shard;
  if (!Number.isSafeInteger(count) || count < 1) throw new ShardError(`shard count ${count} must be a whole number of 1 or more`);
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) {
    throw new ShardError(`shard ${index} of ${count} does not exist: shards are numbered from 0, so K is 0 to ${count - 1} for ${count} shards`);
  }
  return shard;
}

/** Reads `K/N` (K 0-based), as `--shard` takes it. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new ShardError(`"${text}" is not K/N (e.g. 0/4: the first of 4 shards; K is 0-based)`);
  return checkShard({ index: Number(m[1]), count: Number(m[2]) });
}

/**
 * The shard (0-based) of a path relative to the folder given to ingest, with `/` separators:
 * the first 8 bytes of its SHA-256, big-endian, modulo `count`. The same relative path lands in the
 * same shard on every run and machine, wherever the folder is mounted.
 */
export function shardOfRelative(relativePath: string, count: number): number {
  const digest = createHash('sha256').update(relativePath, 'utf8').digest();
  return Number(digest.readBigUInt64BE(0) % BigInt(count));
}

const under = (path: string, root: string) => path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);

/**
 * A found path relative to its root, as the shard hash reads it: the root is the first of `roots`
 * (absolute, in the order given) that holds it, as the walk reaches a file through the first
 * folder that holds it. A file given itself as a root is its name. Undefined: under no root.
 */
export function relativeToRoot(path: string, roots: string[]): string | undefined {
  const root = roots.find((r) => under(path, r));
  if (root === undefined) return undefined;
  return (path === root ? basename(path) : relative(root, path)).split(sep).join('/');
}

/** Whether a path (found, or known to the archive) belongs to a shard. A path under none of the roots belongs to none. */
export function inShard(path: string, roots: string[], shard: Shard): boolean {
  const rel = relativeToRoot(path, roots);
  return rel !== undefined && shardOfRelative(rel, shard.count) === shard.index;
}
