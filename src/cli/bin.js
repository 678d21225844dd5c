#!/usr/bin/env node
// The `beslutsarkiv` command. Runs the compiled JavaScript in dist/ (built by `npm run build`, and by
// the `prepare` script on `npm ci`, `npm install` and `npm pack`); only in a checkout without dist/
// (or with BESLUTSARKIV_FROM_SOURCE=1, as the tests of the sources use) does it compile the
// TypeScript sources on the fly with tsx (about a second more at every start).
import { existsSync, readFileSync } from 'node:fs';

// `beslutsarkiv --version` answers without loading anything (a health check in scripts, cron, CI).
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version}\n`);
  process.exit(0);
}

const compiled = new URL('../../dist/src/cli/main.js', import.meta.url);
let main;
if (existsSync(compiled) && process.env.BESLUTSARKIV_FROM_SOURCE !== '1') ({ main } = await import(compiled.href));
else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('./main.ts'));
}
process.exitCode = await main(process.argv);
