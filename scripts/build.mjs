#!/usr/bin/env node
// Compiles the TypeScript sources to JavaScript in dist/ (run by `npm run build` and by the
// `prepare` script on `npm ci`, `npm install` and `npm pack`), so the installed `beslutsarkiv`
// starts without compiling anything. dist/ mirrors the checkout (dist/src, dist/schemas); the
// JavaScript files of src (worker and sandbox entries) are copied beside their compiled siblings.
// The data files stay in src/data and corpus/ (found from the package root).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'scripts/tsconfig.build.json')], { stdio: 'inherit' });

function copyJs(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'data') copyJs(path);
    } else if (/\.(m?js|cjs)$/.test(name)) {
      const target = join(dist, relative(root, path));
      mkdirSync(dirname(target), { recursive: true });
      cpSync(path, target);
    }
  }
}
copyJs(join(root, 'src'));
// When it was built (tests rebuild when a source is newer).
writeFileSync(join(dist, '.built'), `${new Date().toISOString()}\n`);
