/**
 * The command as a user calls it: src/cli/bin.js running the compiled dist/ (built here first when
 * missing or older than a source file, as `npm ci` or `npm pack` would build it).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..');
export const BIN = join(ROOT, 'src/cli/bin.js');
const MARKER = join(ROOT, 'dist/.built');

function newestSource(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const info = statSync(path);
    newest = Math.max(newest, info.isDirectory() ? (name === 'data' ? 0 : newestSource(path)) : info.mtimeMs);
  }
  return newest;
}

/** Builds dist/ unless it is newer than every source file. */
export function ensureBuilt(): void {
  const built = existsSync(MARKER) ? statSync(MARKER).mtimeMs : 0;
  if (built > Math.max(newestSource(join(ROOT, 'src')), newestSource(join(ROOT, 'schemas')))) return;
  execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built command. */
export function run(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Result {
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0', ...options.env };
  delete env.BESLUTSARKIV_FROM_SOURCE;
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the built command in the background. */
export function start(args: string[], options: { cwd?: string } = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0' };
  delete env.BESLUTSARKIV_FROM_SOURCE;
  return spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Every non-empty line parsed as JSON (a line that is not JSON fails the test with the line in its message). */
export function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON line: ${l}`);
      }
    });
}
