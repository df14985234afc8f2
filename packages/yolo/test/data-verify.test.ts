import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { dataArgs } from '../src/data/args.js';
import { YOLODataset } from '../src/data/dataset.js';
import { decodeImage } from '../src/data/images.js';

const root = mkdtempSync(join(tmpdir(), 'yolots-verify-'));
const images = join(root, 'images', 'train');
const labels = join(root, 'labels', 'train');

function collectLog(): { info: string[]; warn: string[]; info_: (m: string) => void } & {
  log: { info(m: string): void; warn(m: string): void };
} {
  const info: string[] = [];
  const warn: string[] = [];
  return { info, warn, info_: (m) => info.push(m), log: { info: (m) => info.push(m), warn: (m) => warn.push(m) } };
}

async function image(name: string, w = 64, h = 48, format: 'jpeg' | 'png' | 'webp' | 'tiff' = 'jpeg'): Promise<Buffer> {
  const buf = await sharp({ create: { width: w, height: h, channels: 3, background: { r: 200, g: 30, b: 60 } } })
    .toFormat(format)
    .toBuffer();
  writeFileSync(join(images, name), buf);
  return buf;
}

function label(name: string, text: string): void {
  writeFileSync(join(labels, name), text);
}

const build = (log: { info(m: string): void; warn(m: string): void }, imgPath = images) =>
  YOLODataset.create({ imgPath, hyp: dataArgs({ imgsz: 64 }), nc: 80, batchSize: 4, augment: false, log });

before(async () => {
  mkdirSync(images, { recursive: true });
  mkdirSync(labels, { recursive: true });
  await image('good.jpg');
  label('good.txt', '0 0.5 0.5 0.2 0.2\n3 0.25 0.25 0.1 0.1\n');
  const noise = Uint8Array.from({ length: 200 * 150 * 3 }, (_, i) => (i * 2654435761) >>> 24);
  const jpg = await sharp(noise, { raw: { width: 200, height: 150, channels: 3 } })
    .jpeg()
    .toBuffer();
  writeFileSync(join(images, 'truncated.jpg'), jpg.subarray(0, Math.floor(jpg.length / 2)));
  label('truncated.txt', '0 0.5 0.5 0.2 0.2\n');
  writeFileSync(join(images, 'notimage.jpg'), 'this is not an image');
  label('notimage.txt', '0 0.5 0.5 0.2 0.2\n');
  await image('tiny.png', 8, 30, 'png');
  label('tiny.txt', '0 0.5 0.5 0.2 0.2\n');
  await image('cols.jpg');
  label('cols.txt', '0 0.5 0.5 0.2 0.2\n1 0.5 0.5 0.2\n');
  await image('nonnum.jpg');
  label('nonnum.txt', '0 0.5 abc 0.2 0.2\n');
  await image('outside.jpg');
  label('outside.txt', '0 0.5 0.5 1.2 0.2\n');
  await image('negative.jpg');
  label('negative.txt', '-1 0.5 0.5 0.2 0.2\n');
  await image('bigcls.jpg');
  label('bigcls.txt', '80 0.5 0.5 0.2 0.2\n');
  await image('dup.jpg');
  label('dup.txt', '5 0.5 0.5 0.2 0.2\n1 0.3 0.3 0.1 0.1\n5 0.5 0.5 0.2 0.2\n');
  await image('empty.jpg');
  label('empty.txt', '');
  await image('missing.jpg');
  await image('polygon.jpg');
  label('polygon.txt', '2 0.1 0.1 0.5 0.1 0.5 0.4 0.1 0.4\n');
  await image('format.png', 30, 20, 'png');
  await image('format.webp', 30, 20, 'webp');
  await image('format.tiff', 30, 20, 'tiff');
  const rotated = await sharp({ create: { width: 40, height: 20, channels: 3, background: { r: 0, g: 0, b: 255 } } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toBuffer();
  writeFileSync(join(images, 'rotated.jpg'), rotated);
});

after(() => rmSync(root, { recursive: true, force: true }));

describe('label verification', () => {
  test('counts, skips and warns per bad file like Ultralytics, touching nothing', async () => {
    const truncatedBefore = readFileSync(join(images, 'truncated.jpg'));
    const mtime = statSync(join(images, 'truncated.jpg')).mtimeMs;
    const { log, warn, info } = collectLog();
    const ds = await build(log);
    const scan = ds.scan;
    assert.ok(scan);
    // 17 images: 8 corrupt; good, dup, polygon, empty, missing, 3 formats and rotated usable.
    assert.equal(scan.total, 17);
    assert.equal(scan.corrupt, 8);
    assert.equal(scan.found, 9); // label files found, corrupt labels and the empty one included (Ultralytics' nf)
    assert.equal(scan.missing, 5); // missing.jpg, format.{png,webp,tiff}, rotated.jpg
    assert.equal(scan.empty, 1);
    assert.equal(ds.length, 9);
    const reason = (file: string) => warn.find((w) => w.includes(`${join(images, file)}:`)) ?? '';
    assert.match(reason('truncated.jpg'), /ignoring corrupt image\/label: truncated or undecodable image/);
    assert.match(reason('notimage.jpg'), /unreadable image/);
    assert.match(reason('tiny.png'), /<10 pixels/);
    assert.match(reason('cols.jpg'), /cols\.txt:2: labels require 5 columns, 4 columns detected/);
    assert.match(reason('nonnum.jpg'), /nonnum\.txt:1: non-numeric value 'abc'/);
    assert.match(reason('outside.jpg'), /outside\.txt:1: non-normalized or out of bounds coordinates 1\.2/);
    assert.match(reason('negative.jpg'), /negative\.txt:1: negative label values -1/);
    assert.match(reason('bigcls.jpg'), /bigcls\.txt:1: label class 80 exceeds dataset class count 80/);
    assert.match(reason('dup.jpg'), /1 duplicate labels removed/);
    assert.ok(
      info.some((m) => /Scanning .*9 images, 6 backgrounds, 8 corrupt/.test(m)),
      info.join('\n'),
    );

    const byName = (f: string) => ds.labels.find((l) => l.imFile.endsWith(f));
    assert.deepEqual(Array.from(byName('dup.jpg')?.cls ?? []), [1, 5]);
    const poly = Array.from(byName('polygon.jpg')?.bboxes ?? []);
    [0.3, 0.25, 0.4, 0.3].forEach((v, i) => assert.ok(Math.abs(poly[i]! - v) < 1e-6, `polygon box ${poly}`));
    assert.deepEqual(byName('rotated.jpg')?.shape, [40, 20]);
    assert.deepEqual(byName('format.webp')?.shape, [20, 30]);
    assert.equal(byName('empty.jpg')?.cls.length, 0);

    assert.deepEqual(readFileSync(join(images, 'truncated.jpg')), truncatedBefore);
    assert.equal(statSync(join(images, 'truncated.jpg')).mtimeMs, mtime);
  });

  test('EXIF orientation is applied when decoding', async () => {
    const img = await decodeImage(join(images, 'rotated.jpg'));
    assert.deepEqual([img.height, img.width], [40, 20]);
    const tiff = await decodeImage(join(images, 'format.tiff'));
    assert.deepEqual([tiff.height, tiff.width, tiff.data[0]], [20, 30, 200]);
  });

  test('a dataset without usable images is an error that says why', async () => {
    const dir = join(root, 'bad', 'images');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'a.jpg'), 'garbage');
    const { log } = collectLog();
    await assert.rejects(
      build(log, dir),
      /No usable images in 1 found \(1 corrupt\)[\s\S]*a\.jpg: ignoring corrupt image\/label: unreadable image/,
    );
  });

  test('a split without its labels folder fails at the scan, saying where the labels were expected', async () => {
    const dir = join(root, 'unlabelled', 'images', 'train');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'a.jpg'), readFileSync(join(images, 'good.jpg')));
    const { log, warn } = collectLog();
    const expected = join(root, 'unlabelled', 'labels', 'train');
    await assert.rejects(
      YOLODataset.create({ imgPath: dir, hyp: dataArgs({ imgsz: 64 }), nc: 80, batchSize: 4, augment: true, log, prefix: 'train: ' }),
      (e: Error) => e.message.startsWith(`train: no labels found for train, expected ${expected} (one .txt per image`),
    );
    assert.deepEqual(warn, [], 'no cache warning first');
    assert.ok(!existsSync(join(root, 'unlabelled', 'labels.cache.json')), 'no cache of an all-background scan is kept');
  });

  test('the label cache is reused, rebuilt when a file changes, and skipped in read-only folders', async () => {
    const dir = join(root, 'cached');
    mkdirSync(join(dir, 'images', 'x'), { recursive: true });
    mkdirSync(join(dir, 'labels', 'x'), { recursive: true });
    const img = await sharp({ create: { width: 32, height: 32, channels: 3, background: 'white' } })
      .png()
      .toBuffer();
    for (const n of ['a', 'b']) {
      writeFileSync(join(dir, 'images', 'x', `${n}.png`), img);
      writeFileSync(join(dir, 'labels', 'x', `${n}.txt`), '0 0.5 0.5 0.5 0.5\n');
    }
    const cacheFile = join(dir, 'labels', 'x.cache.json');
    const first = collectLog();
    await build(first.log, join(dir, 'images', 'x'));
    assert.ok(existsSync(cacheFile));
    assert.ok(first.info.some((m) => m.includes('New cache created')));

    const second = collectLog();
    await build(second.log, join(dir, 'images', 'x'));
    assert.ok(
      second.info.some((m) => m.includes('(cached)')),
      second.info.join('\n'),
    );

    appendFileSync(join(dir, 'labels', 'x', 'b.txt'), '1 0.2 0.2 0.1 0.1\n');
    const third = collectLog();
    const ds = await build(third.log, join(dir, 'images', 'x'));
    assert.ok(!third.info.some((m) => m.includes('(cached)')));
    assert.equal(
      ds.labels.reduce((n, l) => n + l.cls.length, 0),
      3,
    );

    rmSync(cacheFile);
    chmodSync(join(dir, 'labels'), 0o555);
    const readOnly = collectLog();
    await build(readOnly.log, join(dir, 'images', 'x'));
    chmodSync(join(dir, 'labels'), 0o755);
    assert.ok(readOnly.warn.some((m) => /Cache directory .*labels is not writeable, cache not saved/.test(m)));
    assert.ok(!existsSync(cacheFile));
  });
});
