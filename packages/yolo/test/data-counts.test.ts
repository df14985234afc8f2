import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { dataArgs } from '../src/data/args.js';
import { buildYoloDataset } from '../src/data/build.js';
import { checkDetDataset } from '../src/data/dataset-yaml.js';

const shared = fileURLToPath(new URL('../../../../shared/', import.meta.url));
const countsFile = `${shared}fixtures/ultralytics/data_counts.json`;
const missing = !existsSync(countsFile) || !existsSync(`${shared}datasets/coco128.yaml`);
if (missing) console.log(`skipping data counts: ${shared} (datasets + fixtures) not found`);

type Counts = { labelled: number; backgrounds: number; corrupt: number; images: number; instances: number };
const expected = missing ? {} : (JSON.parse(readFileSync(countsFile, 'utf8')) as Record<string, Record<string, Counts>>);

describe('label counts match Ultralytics (data_counts.json)', { skip: missing }, () => {
  const cases: [string, string, string][] = [
    ['coco8', 'train', 'train'],
    ['coco8', 'val', 'val'],
    ['coco128', 'train', 'train2017'],
  ];
  for (const [name, split, key] of cases) {
    test(`${name} ${split}`, async () => {
      const data = checkDetDataset(`${shared}datasets/${name}.yaml`);
      const warnings: string[] = [];
      const infos: string[] = [];
      const log = { info: (m: string) => infos.push(m), warn: (m: string) => warnings.push(m) };
      const labelsDir = `${shared}datasets/${name}/labels`;
      const before = readdirSync(labelsDir).sort();
      const ds = await buildYoloDataset(dataArgs(), split === 'train' ? data.train : data.val, 16, data, 'val', false, 32, log);
      const want = expected[name]![key]!;
      const scan = ds.scan;
      assert.ok(scan);
      assert.equal(scan.found, want.labelled);
      assert.equal(scan.missing + scan.empty, want.backgrounds);
      assert.equal(scan.corrupt, want.corrupt);
      assert.equal(ds.length, want.images);
      assert.equal(
        ds.labels.reduce((n, l) => n + l.cls.length, 0),
        want.instances,
      );
      assert.ok(infos.some((m) => m.includes(`${want.labelled} images, ${want.backgrounds} backgrounds, 0 corrupt`)));
      // The shared datasets are read-only: no cache is written there, the scan just warns.
      assert.ok(warnings.some((m) => m.includes('is not writeable, cache not saved')));
      assert.deepEqual(readdirSync(labelsDir).sort(), before);
    });
  }
});
