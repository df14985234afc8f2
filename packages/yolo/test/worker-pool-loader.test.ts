// The loader skeleton both task loaders share (data/worker-pool-loader.ts), with a trivial batch: batches in sampler
// order for any worker count, an epoch's first batches prefetched and used only under the same settings, a failing
// sample's error reaching the consumer with the loader's name, no use after close().
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WorkerPoolLoader, type WorkerPoolLoaderOptions } from '../src/data/worker-pool-loader.js';
import { indicesBatch } from './helpers/indices-worker.js';

class IndicesLoader extends WorkerPoolLoader<number[]> {
  constructor(samples: number, options: WorkerPoolLoaderOptions) {
    super('IndicesLoader', samples, 0, options);
  }

  protected async loadHere(indices: number[]): Promise<number[]> {
    return indicesBatch(indices);
  }

  protected workerSetup(): { entry: URL; workerData: unknown } {
    return { entry: new URL('./helpers/indices-worker.ts', import.meta.url), workerData: null };
  }
}

/** Counts the requests sent to its worker threads; its settings are a string the test changes. */
class CountingLoader extends IndicesLoader {
  requests = 0;
  settings = 'mosaic';

  protected override settingsKey(): string {
    return this.settings;
  }

  protected override beforeRequest(): void {
    this.requests++;
  }
}

async function collect(loader: IndicesLoader, epoch: number): Promise<number[][]> {
  loader.setEpoch(epoch);
  const out: number[][] = [];
  for await (const batch of loader) out.push(batch);
  return out;
}

describe('WorkerPoolLoader', () => {
  test('the same batches in sampler order on the calling thread and on 2 workers, for two epochs', async () => {
    const inline = new IndicesLoader(12, { batchSize: 5, shuffle: true, workers: 0 });
    const threaded = new IndicesLoader(12, { batchSize: 5, shuffle: true, workers: 2, prefetch: 1 });
    try {
      assert.equal(threaded.length, 3);
      for (const epoch of [0, 1]) {
        const want = await collect(inline, epoch);
        const got = await collect(threaded, epoch);
        assert.deepEqual(got, want);
        assert.deepEqual(
          got.map((b) => b.length),
          [5, 5, 2],
        );
        assert.deepEqual(
          got.flat().sort((a, b) => a - b),
          Array.from({ length: 12 }, (_, i) => i * 10),
        );
      }
      assert.notDeepEqual(await collect(inline, 0), await collect(inline, 1), 'each epoch reshuffles');
    } finally {
      await Promise.all([inline.close(), threaded.close()]);
    }
  });

  test('prefetchEpoch: the first batches are requested ahead and used by that epoch; dropped for another epoch or changed settings', async () => {
    const inline = new IndicesLoader(12, { batchSize: 2, shuffle: true, workers: 0 });
    const loader = new CountingLoader(12, { batchSize: 2, shuffle: true, workers: 2, prefetch: 2 });
    try {
      loader.prefetchEpoch(1);
      assert.equal(loader.requests, 2, 'one per worker thread (an iteration keeps 2 x prefetch 2 in flight)');
      assert.deepEqual(await collect(loader, 1), await collect(inline, 1));
      assert.equal(loader.requests, 6, 'the 2 prefetched batches were used, 4 more requested');
      loader.prefetchEpoch(2);
      assert.deepEqual(await collect(loader, 3), await collect(inline, 3));
      assert.equal(loader.requests, 6 + 2 + 6, 'prefetched for epoch 2, epoch 3 came: all 6 requested');
      loader.prefetchEpoch(2);
      loader.settings = 'no mosaic';
      assert.deepEqual(await collect(loader, 2), await collect(inline, 2));
      assert.equal(loader.requests, 14 + 2 + 6, 'settings changed after the prefetch: all 6 requested again');
    } finally {
      await Promise.all([inline.close(), loader.close()]);
    }
  });

  test("a failing sample's error reaches the consumer, named; iterating after close() is refused", async () => {
    for (const workers of [0, 2]) {
      const loader = new IndicesLoader(20, { batchSize: 4, shuffle: false, workers });
      try {
        await assert.rejects(
          collect(loader, 0),
          workers ? /^Error: IndicesLoader worker: sample 13 is unreadable/ : /sample 13 is unreadable/,
        );
      } finally {
        await loader.close();
      }
      await assert.rejects(collect(loader, 0), /IndicesLoader: iterated after close\(\)/);
    }
  });
});
