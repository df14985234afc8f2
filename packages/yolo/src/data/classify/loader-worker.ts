// A classification loader worker thread: rebuilds the dataset from its state and answers batch requests.
import { parentPort, workerData } from 'node:worker_threads';
import { ClassificationDataset, type ClassificationDatasetState } from './dataset.js';
import { loadClassifyBatch } from './loader.js';

/** A request: the samples of one batch of one epoch. */
export interface ClassifyWorkerRequest {
  id: number;
  indices: number[];
  epoch: number;
}

const port = parentPort;
if (!port) throw new Error('classify loader-worker must run as a worker thread');
const dataset = ClassificationDataset.fromState((workerData as { state: ClassificationDatasetState }).state);

port.on('message', (msg: ClassifyWorkerRequest) => {
  loadClassifyBatch(dataset, msg.indices, msg.epoch).then(
    (batch) => port.postMessage({ id: msg.id, batch }, [batch.img.buffer as ArrayBuffer, batch.cls.buffer as ArrayBuffer]),
    (e: Error) => port.postMessage({ id: msg.id, error: e.message, stack: e.stack }),
  );
});
