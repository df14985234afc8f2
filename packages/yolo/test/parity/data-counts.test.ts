import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dataArgs } from '../../src/data/args.js';
import { buildYoloDataset } from '../../src/data/build.js';
import { checkDetDataset } from '../../src/data/dataset-yaml.js';
import { requireShared, sharedPath } from '../helpers/shared.js';

const countsFile = sharedPath('fixtures/ultralytics/data_counts.json');
const gate = requireShared([countsFile, 'datasets/coco8.yaml', 'datasets/coco128.yaml'], 'data counts parity');

type Counts = { labelled: number; backgrounds: number; corrupt: number; images: number; instances: number };
const expected = gate.skip ? {} : (JSON.parse(readFileSync(countsFile, 'utf8')) as Record<string, Record<string, Counts>>);

describe('label counts match Ultralytics (data_counts.json)', gate, () => {
  // Each dataset is read through a scratch folder (images linked, labels copied) so that the label cache is written
  // there, whatever the permissions of ../shared.
  let scratch = '';
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'yolots-data-counts-'));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  const cases: [string, string, string][] = [
    ['coco8', 'train', 'train'],
    ['coco8', 'val', 'val'],
    ['coco128', 'train', 'train2017'],
  ];
  for (const [name, split, key] of cases) {
    test(`${name} ${split}`, async () => {
      const dataset = join(scratch, name);
      if (!existsSync(dataset)) {
        mkdirSync(dataset);
        symlinkSync(sharedPath(`datasets/${name}/images`), join(dataset, 'images'));
        const labels = join(dataset, 'labels');
        cpSync(sharedPath(`datasets/${name}/labels`), labels, { recursive: true });
        // The copy keeps the source's modes; make it writeable whatever they were.
        for (const entry of ['', ...readdirSync(labels, { recursive: true, encoding: 'utf8' })]) chmodSync(join(labels, entry), 0o755);
      }
      const data = checkDetDataset(sharedPath(`datasets/${name}.yaml`));
      const warnings: string[] = [];
      const infos: string[] = [];
      const log = { info: (m: string) => infos.push(m), warn: (m: string) => warnings.push(m) };
      const ds = await buildYoloDataset(dataArgs(), join(dataset, 'images', key), 16, data, 'val', false, 32, log);
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
      assert.ok(!warnings.some((m) => m.includes('cache not saved')), warnings.join('\n'));
      assert.ok(existsSync(join(dataset, 'labels', `${key}.cache.json`)), 'the label cache is written beside the labels');
    });
  }
});
