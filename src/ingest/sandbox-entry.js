// Entry of a sandboxed reader process or text-stage worker thread: loads the TypeScript module named
// in its arguments (a child process: argv; a worker thread: workerData.entry).
//
// The heavy dependencies named after it are imported first, before tsx is registered: through tsx's
// loader, with the source maps tsx turns on, pdf.js takes about 1.5 s more and 150 MB more to load,
// and its worker module is loaded again for every process.
import { isMainThread, workerData } from 'node:worker_threads';

const [target, ...preload] = isMainThread ? process.argv.slice(2) : workerData.entry;
for (const specifier of preload) await import(specifier);
const { register } = await import('tsx/esm/api');
register();
// Stack traces of the reader are never shown; source maps only cost memory there.
if (isMainThread) process.setSourceMapsEnabled(false);
await import(target);
