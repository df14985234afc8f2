// Test helper: a loader worker thread whose batch is its sample indices times 10; sample 13 fails.
import { parentPort } from 'node:worker_threads';
import type { BatchReply, BatchRequest } from '../../src/data/worker-pool-loader.js';

/** The batch of `indices`: each index times 10; index 13 throws. */
export function indicesBatch(indices: readonly number[]): number[] {
  if (indices.includes(13)) throw new Error('sample 13 is unreadable');
  return indices.map((i) => i * 10);
}

parentPort?.on('message', (msg: BatchRequest) => {
  try {
    parentPort?.postMessage({ type: 'batch', id: msg.id, batch: indicesBatch(msg.indices) } satisfies BatchReply<number[]>);
  } catch (e) {
    parentPort?.postMessage({ type: 'error', id: msg.id, message: (e as Error).message } satisfies BatchReply<number[]>);
  }
});
