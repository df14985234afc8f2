import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { type DataArgs, dataArgs } from '../src/data/args.js';
import { buildYoloDataset } from '../src/data/build.js';
import type { RawBatch } from '../src/data/collate.js';
import { checkDetDataset } from '../src/data/dataset-yaml.js';
import { DataLoader } from '../src/data/loader.js';
import { requireShared, sharedPath } from './helpers/shared.js';

const shared = sharedPath('datasets/');
const gate = requireShared([`${shared}coco8.yaml`], 'data option tests');
const tmp = mkdtempSync(join(tmpdir(), 'yolots-options-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function copyCoco8(): string {
  cpSync(`${shared}coco8`, join(tmp, 'coco8'), { recursive: true });
  cpSync(`${shared}coco8.yaml`, join(tmp, 'coco8.yaml'));
  const makeWriteable = (dir: string): void => {
    chmodSync(dir, 0o755);
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) makeWriteable(join(dir, e.name));
  };
  makeWriteable(join(tmp, 'coco8'));
  return join(tmp, 'coco8.yaml');
}

const silent = { info: () => undefined, warn: () => undefined };

async function firstEpoch(args: DataArgs, dataYaml: string, workers: number): Promise<RawBatch[]> {
  const data = checkDetDataset(dataYaml);
  const ds = await buildYoloDataset(args, data.train, 2, data, 'train', false, 32, silent);
  const loader = new DataLoader(ds, { batchSize: 2, workers, shuffle: true });
  const out: RawBatch[] = [];
  try {
    for await (const b of loader) out.push(b);
  } finally {
    await loader.close();
  }
  return out;
}

describe('dataset options', gate, () => {
  test('single_cls, classes and fraction', async () => {
    const data = checkDetDataset(`${shared}coco8.yaml`);
    const single = await buildYoloDataset(dataArgs({ single_cls: true }), data.train, 4, data, 'train', false, 32, silent);
    assert.ok(single.labels.every((l) => l.cls.every((c) => c === 0)));
    assert.equal(
      single.labels.reduce((n, l) => n + l.cls.length, 0),
      13,
    );
    const people = await buildYoloDataset(dataArgs({ classes: [0] }), data.train, 4, data, 'train', false, 32, silent);
    assert.equal(people.length, 4); // images stay, as in Ultralytics, even without a kept box
    assert.ok(people.labels.every((l) => l.cls.every((c) => c === 0)));
    assert.ok(people.labels.reduce((n, l) => n + l.cls.length, 0) < 13);
    const half = await buildYoloDataset(dataArgs({ fraction: 0.5 }), data.train, 4, data, 'train', false, 32, silent);
    assert.equal(half.length, 2);
    const valIgnoresFraction = await buildYoloDataset(dataArgs({ fraction: 0.5 }), data.val, 4, data, 'val', false, 32, silent);
    assert.equal(valIgnoresFraction.length, 4);
  });

  test("cache='ram' and cache='disk' give the same batches as decoding", async () => {
    const yaml = copyCoco8();
    const args = dataArgs({ imgsz: 256, seed: 1 });
    const plain = await firstEpoch(args, yaml, 0);
    const ram = await firstEpoch({ ...args, cache: 'ram' }, yaml, 2);
    const disk = await firstEpoch({ ...args, cache: 'disk' }, yaml, 0);
    const npy = readdirSync(join(tmp, 'coco8', 'images', 'train')).filter((f) => f.endsWith('.npy'));
    assert.equal(npy.length, 4);
    const diskAgain = await firstEpoch({ ...args, cache: 'disk' }, yaml, 0);
    for (const other of [ram, disk, diskAgain]) {
      assert.equal(other.length, plain.length);
      other.forEach((b, i) => {
        assert.deepEqual(b.imFile, plain[i]?.imFile);
        assert.deepEqual(b.bboxes, plain[i]?.bboxes);
      });
    }
    // Pixels from RAM are bit-identical; from .npy they were resized from raw pixels instead of the JPEG, so close.
    ram.forEach((b, i) => assert.ok(Buffer.from(b.img).equals(Buffer.from(plain[i]?.img ?? []))));
    const diff = disk[0]?.img.reduce((s, v, k) => s + Math.abs(v - plain[0]!.img[k]!), 0) ?? Infinity;
    assert.ok(diff / (disk[0]?.img.length ?? 1) < 2, `disk cache differs by ${diff}`);
  });
});
