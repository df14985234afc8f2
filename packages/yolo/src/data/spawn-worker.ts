// Starting a data-loading worker thread from sources or from the compiled package.
import { Worker } from 'node:worker_threads';

/**
 * Starts the worker whose entry is `entry` (the .ts source URL). Compiled, the worker is the sibling .js file. Run
 * from sources under tsx, the worker would not understand TypeScript: tsx registers its hooks on the main thread
 * only, so the worker registers them itself before importing the .ts entry.
 * @example const worker = spawnWorker(new URL('./loader-worker.ts', import.meta.url), { state });
 */
export function spawnWorker(entry: URL, workerData: unknown): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL(entry.href.replace(/\.ts$/, '.js')), { workerData });
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(code, { eval: true, workerData });
}
