import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as torch from '@yolots/torch';
import sharp from 'sharp';
import { globFiles } from '../src/data/glob.js';
import { type InferenceBatch, loadInferenceSource } from '../src/data/sources.js';

let dir = '';

/** A w×h PNG whose pixel (x, y) is (x, y, seed). */
async function writePng(file: string, width: number, height: number, seed: number): Promise<void> {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([x, y, seed], (y * width + x) * 3);
  }
  await sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toFile(file);
}

async function collect(
  source: Parameters<typeof loadInferenceSource>[0],
  batch = 1,
  warn?: (m: string) => void,
): Promise<InferenceBatch[]> {
  const batches: InferenceBatch[] = [];
  for await (const b of loadInferenceSource(source, batch, warn)) batches.push(b);
  return batches;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'yolots-sources-'));
  mkdirSync(join(dir, 'imgs', 'sub'), { recursive: true });
  mkdirSync(join(dir, 'empty'));
  await writePng(join(dir, 'imgs', 'b.png'), 8, 6, 2);
  await writePng(join(dir, 'imgs', 'a.png'), 5, 4, 1);
  await writePng(join(dir, 'imgs', 'sub', 'c.png'), 3, 3, 3);
  await writePng(join(dir, 'imgs', '.hidden.png'), 3, 3, 9);
  writeFileSync(join(dir, 'imgs', 'notes.md'), 'not an image');
  writeFileSync(join(dir, 'imgs', 'broken.jpg'), 'this is not a jpeg');
  writeFileSync(join(dir, 'list.txt'), `imgs/sub/c.png\n${join(dir, 'imgs', 'a.png')}\n\n`);
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('loadInferenceSource: files', () => {
  test('one file: absolute path, decoded RGB, Ultralytics log prefix', async () => {
    const [batch] = await collect(join(dir, 'imgs', 'a.png'));
    assert.deepEqual(batch?.paths, [join(dir, 'imgs', 'a.png')]);
    assert.deepEqual(batch?.infos, [`image 1/1 ${join(dir, 'imgs', 'a.png')}: `]);
    const img = batch!.images[0]!;
    assert.equal(img.width, 5);
    assert.equal(img.height, 4);
    assert.deepEqual([...img.data.subarray((2 * 5 + 3) * 3, (2 * 5 + 3) * 3 + 3)], [3, 2, 1]);
  });

  test('a folder: its images sorted, not recursive, other suffixes ignored; unreadable ones warned about by name and skipped', async () => {
    const warnings: string[] = [];
    const batches = await collect(join(dir, 'imgs'), 2, (m) => warnings.push(m));
    const paths = batches.flatMap((b) => b.paths);
    assert.deepEqual(paths, [join(dir, 'imgs', 'a.png'), join(dir, 'imgs', 'b.png')]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /Image Read Error .*broken\.jpg/);
    assert.deepEqual(
      batches.flatMap((b) => b.infos),
      [`image 1/3 ${join(dir, 'imgs', 'a.png')}: `, `image 2/3 ${join(dir, 'imgs', 'b.png')}: `],
    );
  });

  test('batches hold `batch` images', async () => {
    const batches = await collect([join(dir, 'imgs', 'a.png'), join(dir, 'imgs', 'b.png'), join(dir, 'imgs', 'sub', 'c.png')], 2);
    assert.deepEqual(
      batches.map((b) => b.images.length),
      [2, 1],
    );
  });

  test('a recursive glob', async () => {
    const batches = await collect(join(dir, 'imgs', '**', '*.png'), 8);
    assert.deepEqual(batches[0]?.paths, [join(dir, 'imgs', 'a.png'), join(dir, 'imgs', 'b.png'), join(dir, 'imgs', 'sub', 'c.png')]);
  });

  test('a .txt list: entries sorted, relative ones resolved against the list folder', async () => {
    const [batch] = await collect(join(dir, 'list.txt'), 4);
    assert.deepEqual(batch?.paths, [join(dir, 'imgs', 'a.png'), join(dir, 'imgs', 'sub', 'c.png')].sort());
  });
});

describe('loadInferenceSource: in-memory inputs', () => {
  test('Buffer, RGB pixels and a uint8 HWC tensor decode to the same pixels; lists log the image index', async () => {
    const file = join(dir, 'imgs', 'b.png');
    const [fromFile] = await collect(file);
    const rgb = fromFile!.images[0]!;
    const tensor = torch.tensor(rgb.data, { shape: [rgb.height, rgb.width, 3] });
    try {
      const [batch] = await collect([readFileSync(file), rgb, tensor, file], 4);
      assert.deepEqual(batch?.paths, ['image0.jpg', 'image1.jpg', 'image2.jpg', file]);
      assert.deepEqual(batch?.infos, ['0: ', '1: ', '2: ', '3: ']);
      for (const img of batch?.images ?? []) assert.deepEqual(img, rgb);
    } finally {
      tensor.dispose();
    }
  });
});

describe('loadInferenceSource: bad sources', () => {
  test('a missing file names the path', () => {
    assert.throws(() => loadInferenceSource(join(dir, 'nope.jpg')), new RegExp(`${join(dir, 'nope.jpg')} does not exist`));
  });

  test('a missing entry of a .txt list names the entry and the list', () => {
    writeFileSync(join(dir, 'bad.txt'), 'missing.png\n');
    assert.throws(() => loadInferenceSource(join(dir, 'bad.txt')), /missing\.png does not exist \(listed in .*bad\.txt\)/);
  });

  test('an empty folder and an unmatched glob say no images or videos were found there', () => {
    assert.throws(() => loadInferenceSource(join(dir, 'empty')), new RegExp(`No images or videos found in ${join(dir, 'empty')}`));
    assert.throws(() => loadInferenceSource(join(dir, 'imgs', '*.tif')), /No images or videos found matching .*\*\.tif/);
  });

  test('image URLs are refused (nothing is downloaded); stream and video URLs are sources', () => {
    for (const url of ['https://ultralytics.com/images/bus.jpg', 'http://example.com/a.png']) {
      assert.throws(() => loadInferenceSource(url), /is an image URL: yolots does not download sources/);
    }
    assert.throws(() => loadInferenceSource(['https://x/y.jpg']), /is an image URL/);
    assert.equal(loadInferenceSource('rtsp://cam/stream').mode, 'stream');
    assert.equal(loadInferenceSource('http://cam.local/live').mode, 'stream');
    assert.equal(loadInferenceSource('https://example.com/clip.mp4').mode, 'video');
    assert.throws(() => loadInferenceSource(['rtsp://cam/stream']), /is a stream: pass a stream URL alone/);
  });

  test('webcams and screenshots are refused by name; a list holds images only', () => {
    writeFileSync(join(dir, 'clip.mp4'), '');
    assert.throws(() => loadInferenceSource([join(dir, 'clip.mp4')]), /holds the video .*clip\.mp4: a list holds images only/);
    assert.throws(() => loadInferenceSource('0'), /webcam/);
    assert.throws(() => loadInferenceSource('screen'), /screenshots/);
  });

  test('undecodable bytes name the in-memory image', async () => {
    await assert.rejects(collect(Buffer.from('garbage')), /image0\.jpg: the in-memory bytes \(7 B\) are not a decodable image/);
  });

  test('wrong pixel arrays and tensors say what is expected', () => {
    assert.throws(() => loadInferenceSource({ data: new Uint8Array(10), width: 2, height: 2 }), /10 bytes is not 2x2x3 RGB/);
    const t = torch.zeros([3, 4, 4]);
    try {
      assert.throws(() => loadInferenceSource(t), /must be uint8 RGB of shape \(H, W, 3\), got float32 \[3, 4, 4\]/);
    } finally {
      t.dispose();
    }
    assert.throws(() => loadInferenceSource([42 as unknown as string]), /source item 0 is a number/);
    assert.throws(() => loadInferenceSource([]), /empty list/);
  });
});

describe('globFiles', () => {
  test('*, ?, [set] and ** as Python glob (hidden names skipped)', () => {
    const base = join(dir, 'imgs');
    assert.deepEqual(globFiles(join(base, '*.png')), [join(base, 'a.png'), join(base, 'b.png')]);
    assert.deepEqual(globFiles(join(base, '?.png')), [join(base, 'a.png'), join(base, 'b.png')]);
    assert.deepEqual(globFiles(join(base, '[!a].png')), [join(base, 'b.png')]);
    assert.deepEqual(globFiles(join(base, '.*.png')), [join(base, '.hidden.png')]);
    assert.deepEqual(globFiles(join(dir, '**', 'c.png')), [join(base, 'sub', 'c.png')]);
    assert.deepEqual(globFiles(join(dir, 'nothing', '*.png')), []);
  });
});
