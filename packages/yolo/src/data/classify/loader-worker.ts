// A classification loader worker thread: rebuilds the dataset from its state and answers batch requests.
import { parentPort, workerData } from 'node:worker_threads';
import type { BatchReply, BatchRequest } from '../worker-pool-loader.js';
import { ClassificationDataset, type ClassificationDatasetState } from './dataset.js';
import { type ClassifyRawBatch, loadClassifyBatch } from './loader.js';

const port = parentPort;
if (!port) throw new Error('classify loader-worker must run as a worker thread');
const dataset = ClassificationDataset.fromState((workerData as { state: ClassificationDatasetState }).state);

port.on('message', (msg: BatchRequest) => {
  loadClassifyBatch(dataset, msg.indices, msg.epoch).then(
    (batch) =>
      port.postMessage({ type: 'batch', id: msg.id, batch } satisfies BatchReply<ClassifyRawBatch>, [
        batch.img.buffer as ArrayBuffer,
        batch.cls.buffer as ArrayBuffer,
      ]),
    (e: Error) =>
      port.postMessage({ type: 'error', id: msg.id, message: e.message, stack: e.stack } satisfies BatchReply<ClassifyRawBatch>),
  );
});
