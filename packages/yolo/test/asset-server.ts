// A local HTTP server for download tests, in a worker thread: the downloads under test block the main thread
// (spawnSync), so the server needs its own event loop. Nothing in the tests reaches the internet.
//   /ok/<name>         the file registered under name (404 when none)
//   /flaky/<name>      500 on the first request of each name, then the file
//   /truncated/<name>  announces the full length, sends half, and closes the connection
// `requests` counts every request received (a shared counter, readable while the server runs).
import { Worker } from 'node:worker_threads';

export interface AssetServer {
  /** http://127.0.0.1:<port> */
  url: string;
  requests(): number;
  close(): Promise<void>;
}

const SERVER = `
const { createServer } = require('node:http');
const { parentPort, workerData } = require('node:worker_threads');
const counter = new Int32Array(workerData.counter);
const seen = new Set();
const server = createServer((req, res) => {
  Atomics.add(counter, 0, 1);
  const [, mode, name] = req.url.split('/');
  const body = workerData.files[name];
  if (!body) { res.writeHead(404); res.end('not found'); return; }
  if (mode === 'flaky' && !seen.has(name)) { seen.add(name); res.writeHead(500); res.end('busy'); return; }
  res.writeHead(200, { 'content-length': body.length });
  if (mode === 'truncated') { res.write(body.subarray(0, body.length >> 1), () => res.socket.destroy()); return; }
  res.end(body);
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
parentPort.on('message', () => server.close(() => process.exit(0)));
`;

/** Starts the server with `files` (name → bytes) and resolves once it listens. */
export async function startAssetServer(files: Record<string, Uint8Array>): Promise<AssetServer> {
  const counter = new SharedArrayBuffer(4);
  const worker = new Worker(SERVER, { eval: true, workerData: { files, counter } });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => Atomics.load(new Int32Array(counter), 0),
    close: async () => {
      worker.postMessage('close');
      await new Promise((resolve) => worker.once('exit', resolve));
    },
  };
}
