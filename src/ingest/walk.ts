/**
 * Finding input files: folders are walked recursively in sorted order (so runs are repeatable),
 * hidden files and folders are left out, a `.beslutsarkivignore` file in a folder excludes files
 * below it by name pattern (like .gitignore), and paths that cannot be read are reported, not dropped.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';

export type Found = { path: string } | { path: string; error: string };

export const IGNORE_FILE = '.beslutsarkivignore';

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

async function readIgnoreRules(folder: string): Promise<IgnoreRule[]> {
  let text: string;
  try {
    text = await readFile(join(folder, IGNORE_FILE), 'utf8');
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

export async function findFiles(inputs: string[], exclude: Set<string> = new Set()): Promise<Found[]> {
  const out: Found[] = [];
  const seen = new Set<string>();
  const visit = async (path: string, explicit: boolean, rules: IgnoreRule[]): Promise<void> => {
    if (seen.has(path) || exclude.has(path)) return;
    seen.add(path);
    // Files named on the command line are always read; walked ones may be hidden or ignored.
    if (!explicit && (basename(path).startsWith('.') || ignored(path, rules))) return;
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      out.push({ path, error: code === 'ENOENT' ? 'no such file or folder' : `cannot be read (${code})` });
      return;
    }
    if (info.isDirectory()) {
      let entries: string[];
      try {
        entries = (await readdir(path)).sort();
      } catch (error) {
        out.push({ path, error: `folder cannot be read (${(error as NodeJS.ErrnoException).code})` });
        return;
      }
      const inner = [...rules, ...(await readIgnoreRules(path))];
      for (const entry of entries) await visit(join(path, entry), false, inner);
    } else if (info.isFile()) {
      out.push({ path });
    }
  };
  for (const input of inputs) await visit(resolve(input), true, []);
  return out;
}
