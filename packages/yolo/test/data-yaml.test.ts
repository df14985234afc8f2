import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { checkDetDataset } from '../src/data/dataset-yaml.js';
import { getImgFiles, img2labelPaths } from '../src/data/files.js';

const root = mkdtempSync(join(tmpdir(), 'yolots-yaml-'));
after(() => rmSync(root, { recursive: true, force: true }));

function yaml(name: string, text: string): string {
  const file = join(root, name);
  writeFileSync(file, text);
  return file;
}

mkdirSync(join(root, 'ds', 'images', 'train', 'sub'), { recursive: true });
mkdirSync(join(root, 'ds', 'images', 'val'), { recursive: true });
for (const f of ['b.jpg', 'a.PNG', 'sub/c.webp', 'notes.txt']) writeFileSync(join(root, 'ds', 'images', 'train', f), '');
writeFileSync(join(root, 'ds', 'images', 'val', 'v.jpg'), '');
writeFileSync(join(root, 'ds', 'list.txt'), './images/train/b.jpg\n./images/val/v.jpg\n\n');

describe('data.yaml', () => {
  test('names map, path relative to the yaml, splits resolved', () => {
    const d = checkDetDataset(yaml('a.yaml', 'path: ds\ntrain: images/train\nval: [images/val]\nnames:\n  0: cat\n  1: dog\n'));
    assert.deepEqual(d.names, ['cat', 'dog']);
    assert.equal(d.nc, 2);
    assert.equal(d.path, join(root, 'ds'));
    assert.deepEqual(d.train, [join(root, 'ds', 'images', 'train')]);
    assert.deepEqual(d.val, [join(root, 'ds', 'images', 'val')]);
    assert.equal(d.test, null);
  });

  test('names list, nc only, validation renamed, no path = yaml folder', () => {
    const d = checkDetDataset(yaml('b.yaml', 'train: ds/images/train\nvalidation: ds/images/val\nnc: 3\n'));
    assert.deepEqual(d.names, ['class_0', 'class_1', 'class_2']);
    assert.deepEqual(d.val, [join(root, 'ds', 'images', 'val')]);
    const l = checkDetDataset(yaml('c.yaml', 'path: ds\ntrain: list.txt\nval: list.txt\nnames: [x, y]\nnc: 2\n'));
    assert.deepEqual(l.names, ['x', 'y']);
  });

  test('bad yaml files name the file and key', () => {
    assert.throws(() => checkDetDataset(yaml('d.yaml', 'path: ds\ntrain: images/train\nnames: [a]\n')), /d\.yaml': 'val:' key missing/);
    assert.throws(
      () => checkDetDataset(yaml('e.yaml', 'path: ds\ntrain: images/train\nval: images/val\nnames: [a, b]\nnc: 3\n')),
      /'names' length 2 and 'nc: 3' must match/,
    );
    assert.throws(() => checkDetDataset(yaml('f.yaml', 'path: ds\ntrain: images/train\nval: images/val\n')), /f\.yaml': needs a 'names'/);
    assert.throws(
      () => checkDetDataset(yaml('g.yaml', 'path: ds\ntrain: images/train\nval: images/nope\nnames: [a]\n')),
      /images not found, missing path '.*images\/nope'/,
    );
    assert.throws(
      () => checkDetDataset(yaml('h.yaml', 'path: ds\ntrain: images/train\nval: images/val\nnames: {0: a, 2: b}\n')),
      /keys must be the integers 0-1, found '2'/,
    );
    assert.throws(() => checkDetDataset(join(root, 'none.yaml')), /not found/);
  });

  test('image discovery: recursive folders, .txt lists, suffix filter, sorted, fraction', () => {
    const train = join(root, 'ds', 'images', 'train');
    assert.deepEqual(getImgFiles(train), [join(train, 'a.PNG'), join(train, 'b.jpg'), join(train, 'sub', 'c.webp')]);
    assert.deepEqual(getImgFiles(join(root, 'ds', 'list.txt')), [join(train, 'b.jpg'), join(root, 'ds', 'images', 'val', 'v.jpg')]);
    // Python's round(3 · 0.5) = 2 and round(3 · 0.25) = 1 (halves to even).
    assert.deepEqual(getImgFiles(train, 0.5), [join(train, 'a.PNG'), join(train, 'b.jpg')]);
    assert.deepEqual(getImgFiles(train, 0.25), [join(train, 'a.PNG')]);
    assert.throws(() => getImgFiles(join(root, 'missing')), /missing does not exist/);
  });

  test('label path rule replaces the last /images/ and the extension', () => {
    assert.deepEqual(img2labelPaths(['/d/images/x/images/train/a.b.jpg', '/d/images/c.png']), [
      '/d/images/x/labels/train/a.b.txt',
      '/d/labels/c.txt',
    ]);
  });
});
