// classify_augmentations' pieces on synthetic images, and the loader's worker threads: the PIL operations RandAugment and ColorJitter use behave as
// Pillow's (identities at neutral factors, posterize/solarize/autocontrast/equalize tables, affine sampling), and a
// sample's augmentation depends only on (seed, epoch, index).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ClassifyAugmentOptions, checkAutoAugment, classifyAugment, randomResizedCropParams } from '../src/data/classify/augment.js';
import { ClassificationDataset } from '../src/data/classify/dataset.js';
import { ClassificationLoader } from '../src/data/classify/loader.js';
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  affineTransform,
  autocontrast,
  equalize,
  posterize,
  rotate,
  solarize,
} from '../src/data/classify/pil-ops.js';
import type { RgbImage } from '../src/data/images.js';
import { Random } from '../src/data/random.js';
import { CLASSIFY_FIXTURES, fixtureGate } from './parity/classify-fixtures.js';

/** A 40 × 30 gradient with a bright square: varied colours, levels 20..230. */
function sample(): RgbImage {
  const [h, w] = [30, 40];
  const data = new Uint8Array(h * w * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      const inSquare = x > 10 && x < 25 && y > 8 && y < 20;
      data[o] = inSquare ? 230 : 20 + x * 4;
      data[o + 1] = inSquare ? 200 : 30 + y * 5;
      data[o + 2] = inSquare ? 40 : 120;
    }
  return { data, height: h, width: w };
}

const maxDiff = (a: Uint8Array, b: Uint8Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] as number))), 0);

const OPTIONS: ClassifyAugmentOptions = {
  size: 32,
  scale: [0.5, 1],
  ratio: [3 / 4, 4 / 3],
  hflip: 0.5,
  vflip: 0,
  autoAugment: 'randaugment',
  hsv: [0.015, 0.7, 0.4],
  erasing: 0.4,
};

describe('classification augmentations', () => {
  test('enhancers are identities at factor 1; brightness 0 is black; saturation 0 is grey', () => {
    const img = sample();
    for (const f of [adjustBrightness, adjustContrast, adjustSaturation]) assert.deepEqual(f(img, 1).data, img.data);
    assert.ok(adjustBrightness(img, 0).data.every((v) => v === 0));
    const grey = adjustSaturation(img, 0).data;
    for (let i = 0; i < grey.length; i += 3) assert.ok(grey[i] === grey[i + 1] && grey[i + 1] === grey[i + 2]);
  });

  test('posterize, solarize, autocontrast, equalize: Pillow lookup tables', () => {
    const img = sample();
    assert.ok(posterize(img, 4).data.every((v, i) => v === ((img.data[i] as number) & 0xf0)));
    assert.ok(solarize(img, 128).data.every((v, i) => v === ((img.data[i] as number) < 128 ? img.data[i] : 255 - (img.data[i] as number))));
    const stretched = autocontrast(img).data;
    for (let c = 0; c < 3; c++) {
      const channel = stretched.filter((_, i) => i % 3 === c);
      assert.equal(Math.min(...channel), 0);
      assert.equal(Math.max(...channel), 255);
    }
    const flat = { data: new Uint8Array(300).fill(77), height: 10, width: 10 };
    assert.deepEqual(equalize(flat).data, flat.data, 'one level: identity');
    const eq = equalize(img).data;
    assert.equal(eq.length, img.data.length);
  });

  test('hue: a zero shift stays within PIL HSV round-trip error; affine identity and rotate 0 keep the image', () => {
    const img = sample();
    assert.ok(maxDiff(adjustHue(img, 0).data, img.data) <= 3);
    assert.notDeepEqual(adjustHue(img, 0.25).data, img.data);
    assert.deepEqual(affineTransform(img, [1, 0, 0, 0, 1, 0]).data, img.data);
    assert.deepEqual(rotate(img, 0).data, img.data);
    const shifted = affineTransform(img, [1, 0, -5, 0, 1, 0]).data; // output x samples input x − 5: left 5 columns black
    assert.equal(shifted[0], 0);
    assert.equal(shifted[5 * 3], img.data[0]);
  });

  test('RandomResizedCrop window inside the image; augmentation seeded by (seed, epoch, index)', () => {
    const rng = new Random(1);
    for (let k = 0; k < 50; k++) {
      const [top, left, h, w] = randomResizedCropParams(30, 40, [0.08, 1], [3 / 4, 4 / 3], rng);
      assert.ok(top >= 0 && left >= 0 && top + h <= 30 && left + w <= 40 && h > 0 && w > 0);
    }
    const img = sample();
    const a = classifyAugment(img, OPTIONS, Random.forSample(0, 1, 7));
    assert.equal(a.length, 3 * 32 * 32);
    assert.deepEqual(classifyAugment(img, OPTIONS, Random.forSample(0, 1, 7)), a);
    assert.notDeepEqual(classifyAugment(img, OPTIONS, Random.forSample(0, 2, 7)), a);
    const jittered = classifyAugment(img, { ...OPTIONS, autoAugment: null }, Random.forSample(0, 1, 7));
    assert.equal(jittered.length, a.length);
  });

  test('auto_augment: randaugment or none; the other Ultralytics policies are refused by name', () => {
    assert.equal(checkAutoAugment('randaugment'), 'randaugment');
    assert.equal(checkAutoAugment(null), null);
    assert.throws(() => checkAutoAugment('augmix'), /auto_augment=augmix is not supported by yolots yet/);
    assert.throws(() => checkAutoAugment('bogus'), /invalid/);
  });
});

describe('classification loader', fixtureGate(['dataset/train/circle']), () => {
  test('worker threads give the same batches as the calling thread', async () => {
    const args = {
      imgsz: 32,
      fraction: 1,
      scale: 0.5,
      fliplr: 0.5,
      flipud: 0,
      erasing: 0.4,
      auto_augment: 'randaugment',
      hsv_h: 0.015,
      hsv_s: 0.7,
      hsv_v: 0.4,
      crop_fraction: 1,
      seed: 0,
      cache: false,
    };
    const quiet = { info: () => {}, warn: () => {} };
    const dataset = await ClassificationDataset.create(`${CLASSIFY_FIXTURES}dataset/train`, args, true, 'train', quiet);
    const batches = async (workers: number) => {
      const loader = new ClassificationLoader(dataset, { batchSize: 16, shuffle: true, workers });
      loader.setEpoch(1);
      const out = [];
      for await (const b of loader) out.push(b);
      await loader.close();
      return out;
    };
    const inline = await batches(0);
    const threaded = await batches(2);
    assert.equal(threaded.length, inline.length);
    threaded.forEach((b, i) => {
      assert.deepEqual(Array.from(b.cls), Array.from(inline[i]?.cls ?? []));
      assert.deepEqual(b.imFile, inline[i]?.imFile);
      assert.ok(Buffer.from(b.img).equals(Buffer.from(inline[i]?.img ?? [])), `batch ${i} pixels`);
    });
  });
});
