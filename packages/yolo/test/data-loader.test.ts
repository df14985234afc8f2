import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { dataArgs } from '../src/data/args.js';
import { buildDataloader, buildYoloDataset } from '../src/data/build.js';
import type { RawBatch } from '../src/data/collate.js';
import { checkDetDataset } from '../src/data/dataset-yaml.js';
import { DataLoader } from '../src/data/loader.js';
import { EpochSampler } from '../src/data/sampler.js';
import { requireShared, sharedPath } from './helpers/shared.js';

const yaml = sharedPath('datasets/coco8.yaml');
const gate = requireShared([yaml], 'loader tests on coco8');
const quiet = { info: () => undefined, warn: () => undefined };
const tmp = mkdtempSync(join(tmpdir(), 'yolots-loader-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function collect(loader: DataLoader, epoch: number): Promise<RawBatch[]> {
  loader.setEpoch(epoch);
  const out: RawBatch[] = [];
  for await (const b of loader) out.push(b);
  return out;
}

function assertSameBatches(a: RawBatch[], b: RawBatch[]): void {
  assert.equal(a.length, b.length);
  a.forEach((x, i) => {
    const y = b[i]!;
    assert.deepEqual(x.imFile, y.imFile);
    assert.deepEqual(x.imgShape, y.imgShape);
    assert.deepEqual(x.cls, y.cls);
    assert.deepEqual(x.bboxes, y.bboxes);
    assert.deepEqual(x.batchIdx, y.batchIdx);
    assert.ok(Buffer.from(x.img).equals(Buffer.from(y.img)), `batch ${i} pixels differ`);
  });
}

describe('sampler', () => {
  test('seeded shuffle per epoch, disjoint rank shares padded to equal length', () => {
    const s0 = new EpochSampler(10, { seed: 0, rank: 0, worldSize: 3 });
    const s1 = new EpochSampler(10, { seed: 0, rank: 1, worldSize: 3 });
    const s2 = new EpochSampler(10, { seed: 0, rank: 2, worldSize: 3 });
    const all = [...s0.indices(), ...s1.indices(), ...s2.indices()];
    assert.equal(s0.length, 4);
    assert.equal(all.length, 12);
    assert.deepEqual(
      [...new Set(all)].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    const e0 = s0.indices();
    s0.setEpoch(1);
    assert.notDeepEqual(s0.indices(), e0);
    s0.setEpoch(0);
    assert.deepEqual(s0.indices(), e0);
    assert.deepEqual(new EpochSampler(5, { shuffle: false }).indices(), [0, 1, 2, 3, 4]);
  });
});

describe('data loader on coco8', gate, () => {
  const data = gate.skip ? null : checkDetDataset(yaml);
  const args = dataArgs({ imgsz: 320, seed: 3 });

  test('train batches: Ultralytics layout, identical for 0 and 2 workers, seeded per epoch', async () => {
    assert.ok(data);
    const ds = await buildYoloDataset(args, data.train, 2, data, 'train', false, 32, quiet);
    const inline = buildDataloader(ds, 2, 0, true, -1, 1, quiet);
    const threaded = buildDataloader(ds, 2, 2, true, -1, 1, quiet);
    try {
      assert.equal(inline.length, 2);
      const a = await collect(inline, 1);
      const b = await collect(threaded, 1);
      assertSameBatches(a, b);
      const batch = a[0]!;
      assert.deepEqual(batch.imgShape, [2, 3, 320, 320]);
      assert.equal(batch.img.length, 2 * 3 * 320 * 320);
      assert.equal(batch.bboxes.length, batch.cls.length * 4);
      assert.equal(batch.batchIdx.length, batch.cls.length);
      assert.ok(batch.batchIdx.every((v) => v === 0 || v === 1));
      assert.ok(batch.bboxes.every((v) => v >= 0 && v <= 1));
      assert.equal(batch.ratioPad, undefined);
      assert.deepEqual(batch.resizedShape, [
        [320, 320],
        [320, 320],
      ]);
      const again = await collect(threaded, 1);
      assertSameBatches(a, again);
      const next = await collect(threaded, 2);
      assert.ok(!Buffer.from(next[0]?.img ?? []).equals(Buffer.from(batch.img)), 'epoch 2 repeats epoch 1');

      // close_mosaic (a loader method) reaches the workers: both loaders of the dataset switch to letterbox +
      // perspective alike.
      threaded.closeMosaic();
      assert.equal(ds.hyp.mosaic, 0);
      const c = await collect(inline, 3);
      const d = await collect(threaded, 3);
      assertSameBatches(c, d);
    } finally {
      await threaded.close();
    }
  });

  test('validation: rect batches by aspect ratio with ratio_pad, no shuffle', async () => {
    assert.ok(data);
    const ds = await buildYoloDataset(args, data.val, 2, data, 'val', true, 32, quiet);
    const warnings: string[] = [];
    const loader = buildDataloader(ds, 2, 0, true, -1, 1, { info: () => undefined, warn: (m) => warnings.push(m) });
    assert.ok(warnings.some((w) => w.includes("'rect=True' is incompatible with DataLoader shuffle")));
    const batches = await collect(loader, 0);
    assert.deepEqual(
      batches.map((b) => b.imgShape.slice(2)),
      ds.batchShapes,
    );
    assert.deepEqual(
      batches.flatMap((b) => b.imFile),
      ds.imFiles,
    );
    for (const b of batches) {
      assert.ok(b.ratioPad && b.ratioPad.length === 2);
      b.ratioPad.forEach(([ratio, pad], i) => {
        const [h0, w0] = b.oriShape[i]!;
        assert.ok(Math.abs(ratio[0] - Math.min(320 / h0, 320 / w0)) < 0.01);
        assert.ok(pad[0] >= 0 && pad[1] >= 0);
      });
    }
    assert.equal(
      batches.reduce((n, b) => n + b.cls.length, 0),
      17,
    );
  });

  test('a user transform from a module runs in the worker threads too', async () => {
    assert.ok(data);
    const file = join(tmp, 'paint.mjs');
    writeFileSync(file, 'export class Paint { constructor(o) { this.v = o.value; } apply(s) { s.img.data.fill(this.v); return s; } }\n');
    const ds = await buildYoloDataset(args, data.val, 2, data, 'val', false, 32, quiet);
    await ds.useTransform({ module: pathToFileURL(file).href, exportName: 'Paint', options: { value: 7 } });
    const loader = new DataLoader(ds, { batchSize: 2, workers: 2, shuffle: false });
    try {
      const batches = await collect(loader, 0);
      assert.equal(batches.length, 2);
      assert.ok(batches.every((b) => b.img.every((v) => v === 7)));
    } finally {
      await loader.close();
    }
    await assert.rejects(ds.useTransform({ module: pathToFileURL(file).href, exportName: 'Nope' }), /has no export 'Nope'/);
  });
});
