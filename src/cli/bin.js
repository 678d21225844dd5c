#!/usr/bin/env node
// Runs the TypeScript CLI directly (tsx), so `npx beslutsarkiv` works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv);
