#!/usr/bin/env node
// Start-up time of the installed command: `beslutsarkiv --version` (goal: at most 0.3 s) and, for
// comparison, `--help` (loads the CLI and the library) and a bare `node -e ''`. Median of 10 runs
// each, through src/cli/bin.js as the installed `beslutsarkiv` runs it (dist/ when built: `npm run build`).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'src/cli/bin.js');
const RUNS = 10;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function time(args) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return median(times);
}

console.log(`compiled dist/: ${existsSync(join(root, 'dist/src/cli/main.js')) ? 'yes' : 'no (run npm run build; --help then compiles with tsx)'}`);
const node = time(['-e', '']);
const version = time([bin, '--version']);
const help = time([bin, '--help']);
console.log(`node -e ''                  median ${node.toFixed(3)} s`);
console.log(`beslutsarkiv --version      median ${version.toFixed(3)} s   (goal ≤ 0.300 s: ${version <= 0.3 ? 'met' : 'NOT met'})`);
console.log(`beslutsarkiv --help         median ${help.toFixed(3)} s`);
console.log(`--version over bare node    ${((version - node) * 1000).toFixed(0)} ms (the machine's own start-up is the rest; load average ${(await import('node:os')).loadavg()[0].toFixed(1)})`);
