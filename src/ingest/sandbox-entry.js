// Entry of a sandboxed reader process or text-stage worker thread: loads the module named in its
// arguments (a child process: argv; a worker thread: workerData.entry), through tsx when it is
// TypeScript (a checkout run from source); compiled JavaScript (dist/) loads directly.
//
// A reader then unregisters tsx: everything it loads later (pdf.js, pdf-lib, utif2, imported on
// first use) loads as plain JavaScript. Through tsx's loader, with the source maps tsx turns on,
// pdf.js takes about 1.5 s and 150 MB more to load, in every reader. So the TypeScript a reader runs
// must be imported statically from the target module; dynamic imports there are for npm packages.
import { isMainThread, workerData } from 'node:worker_threads';

const [target] = isMainThread ? process.argv.slice(2) : workerData.entry;
const typescript = target.endsWith('.ts');
const unregister = typescript ? (await import('tsx/esm/api')).register() : undefined;
await import(target);
if (isMainThread) {
  await unregister?.();
  // A reader takes files from now on.
  process.send?.({ ready: true });
}
