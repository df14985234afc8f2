import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DATA_DEFAULTS } from '../src/data/args.js';
import { RandomFlip } from '../src/data/augment/flip.js';
import { Format } from '../src/data/augment/format.js';
import { adjustHsv, RandomHSV } from '../src/data/augment/hsv.js';
import { LetterBox } from '../src/data/augment/letterbox.js';
import { MixUp } from '../src/data/augment/mixup.js';
import { Mosaic } from '../src/data/augment/mosaic.js';
import { boxCandidates, RandomPerspective } from '../src/data/augment/perspective.js';
import type { ImageSource, Sample, Transform } from '../src/data/augment/transform.js';
import { v8Transforms } from '../src/data/augment/v8-transforms.js';
import { setRectangle } from '../src/data/dataset.js';
import { Instances } from '../src/data/instances.js';
import { Random } from '../src/data/random.js';

const COLORS: [number, number, number][] = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
  [255, 255, 0],
];

interface Spec {
  h: number;
  w: number;
  box: [number, number, number, number];
}

/** Images of black background with one filled box whose colour encodes its class (= image index). */
class BoxSource implements ImageSource {
  constructor(private readonly specs: Spec[]) {}
  get length(): number {
    return this.specs.length;
  }
  async getImageAndLabel(i: number): Promise<Sample> {
    const { h, w, box } = this.specs[i]!;
    const data = new Uint8Array(h * w * 3);
    const [x1, y1, x2, y2] = box;
    for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) data.set(COLORS[i] as number[], (y * w + x) * 3);
    const bbox = Float32Array.of((x1 + x2) / 2 / w, (y1 + y2) / 2 / h, (x2 - x1) / w, (y2 - y1) / h);
    return {
      img: { data, height: h, width: w },
      cls: Float32Array.of(i),
      instances: new Instances(bbox, 'xywh', true),
      imFile: `img${i}.jpg`,
      oriShape: [h, w],
      resizedShape: [h, w],
      ratio: [1, 1],
    };
  }
}

const SPECS: Spec[] = [
  { h: 160, w: 200, box: [40, 30, 120, 110] },
  { h: 200, w: 150, box: [20, 50, 100, 170] },
  { h: 120, w: 240, box: [100, 20, 220, 90] },
  { h: 180, w: 180, box: [60, 60, 150, 130] },
];

/**
 * The boxes must describe the pixels: the pixels of each box's class colour near the box reach all four of its
 * edges (the box is their tight bounding box, `tol` px for resampled edges), and, when `allCovered`, every pixel
 * of a class colour lies in a box of that class (not so after RandomPerspective, which drops boxes that became
 * too small while their pixels stay visible).
 */
function assertBoxesMatchPixels(s: Sample, tol = 2, allCovered = true): void {
  const inst = s.instances.clone();
  inst.convertBbox('xyxy');
  inst.denormalize(s.img.width, s.img.height);
  const { data, width, height } = s.img;
  const isColor = (p: number, c: number) => COLORS[c]?.every((v, k) => Math.abs(data[p * 3 + k]! - v) < 60) ?? false;
  const boxes = Array.from(s.cls, (c, i) => ({ c, b: Array.from(inst.bboxes.subarray(i * 4, i * 4 + 4)) }));
  assert.ok(boxes.length > 0, 'no boxes left to check');
  for (const { c, b } of boxes) {
    const [x1, y1, x2, y2] = b as [number, number, number, number];
    let [px1, py1, px2, py2] = [Infinity, Infinity, -Infinity, -Infinity];
    for (let y = Math.max(0, Math.floor(y1 - tol)); y < Math.min(height, Math.ceil(y2 + tol)); y++) {
      for (let x = Math.max(0, Math.floor(x1 - tol)); x < Math.min(width, Math.ceil(x2 + tol)); x++) {
        if (!isColor(y * width + x, c)) continue;
        px1 = Math.min(px1, x);
        py1 = Math.min(py1, y);
        px2 = Math.max(px2, x + 1);
        py2 = Math.max(py2, y + 1);
      }
    }
    const got = [px1, py1, px2, py2];
    const ok = got.every((v, k) => Math.abs(v - b[k]!) <= tol + 1);
    assert.ok(ok, `class ${c} box ${b.map((v) => v.toFixed(1))} vs its pixels ${got}`);
  }
  if (!allCovered) return;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < COLORS.length; c++) {
        if (!isColor(y * width + x, c)) continue;
        const covered = boxes.some(
          ({ c: bc, b }) => bc === c && x >= b[0]! - tol && x <= b[2]! + tol && y >= b[1]! - tol && y <= b[3]! + tol,
        );
        assert.ok(covered, `pixel (${x}, ${y}) of class ${c} lies outside every class-${c} box`);
      }
    }
  }
}

async function run(t: Transform, index = 0, seed = 1): Promise<Sample> {
  const src = new BoxSource(SPECS);
  return t.apply(await src.getImageAndLabel(index), new Random(seed));
}

describe('augmentations keep boxes on their pixels', () => {
  test('LetterBox (up- and down-scaling, rect shape, Python rounding of the padding)', async () => {
    const up = await run(new LetterBox([320, 320]));
    assert.deepEqual([up.img.height, up.img.width], [320, 320]);
    assert.deepEqual(up.pad, [0, 32]); // r = 1.6: 320x256 → top = round(31.9) = 32
    assertBoxesMatchPixels(up);
    const down = await run(new LetterBox([100, 100], { scaleup: false }), 1);
    assert.deepEqual([down.img.height, down.img.width], [100, 100]);
    assertBoxesMatchPixels(down);
    const src = new BoxSource(SPECS);
    const s = await src.getImageAndLabel(2);
    s.rectShape = [128, 256];
    const rect = new LetterBox([640, 640], { scaleup: false }).apply(s);
    assert.deepEqual([rect.img.height, rect.img.width, rect.pad], [128, 256, [8, 4]]);
    assertBoxesMatchPixels(rect);
  });

  test('RandomFlip horizontal and vertical', async () => {
    const h = await run(new RandomFlip('horizontal', 1));
    assertBoxesMatchPixels(h);
    assert.ok(Math.abs(h.instances.bboxes[0]! - (1 - 80 / 200)) < 1e-6);
    const v = await run(new RandomFlip('vertical', 1), 1);
    assertBoxesMatchPixels(v);
    const none = await run(new RandomFlip('horizontal', 0));
    assert.ok(Math.abs(none.instances.bboxes[0]! - 80 / 200) < 1e-6);
  });

  test('RandomPerspective with rotation, shear, scale and perspective', async () => {
    for (let seed = 0; seed < 6; seed++) {
      const rp = new RandomPerspective({
        degrees: 20,
        translate: 0.05,
        scale: 0.3,
        shear: 5,
        perspective: seed % 2 ? 0.0005 : 0,
        preTransform: new LetterBox([256, 256]),
      });
      const out = await run(rp, seed % 4, seed);
      assert.deepEqual([out.img.height, out.img.width], [256, 256]);
      assert.equal(out.ratio, undefined);
      if (out.cls.length) assertBoxesMatchPixels(out, 2, false);
    }
  });

  test('Mosaic then RandomPerspective crop back to imgsz, as in training', async () => {
    const src = new BoxSource(SPECS);
    const pipeline = v8Transforms(src, 256, { ...DATA_DEFAULTS, hsv_h: 0, hsv_s: 0, hsv_v: 0 });
    let boxes = 0;
    for (let seed = 0; seed < 6; seed++) {
      const mosaic = await new Mosaic(src, 256, 1).apply(await src.getImageAndLabel(seed % 4), new Random(seed));
      assert.deepEqual([mosaic.img.height, mosaic.img.width, mosaic.mosaicBorder], [512, 512, [-128, -128]]);
      assertBoxesMatchPixels(mosaic, 0.5);
      const out = await pipeline.apply(await src.getImageAndLabel(seed % 4), new Random(seed));
      assert.deepEqual([out.img.height, out.img.width], [256, 256]);
      if (out.cls.length) assertBoxesMatchPixels(out, 2, false);
      boxes += out.cls.length;
    }
    assert.ok(boxes >= 6, `only ${boxes} boxes survived 6 mosaics`);
  });

  test('MixUp blends pixels and concatenates labels', async () => {
    const src = new BoxSource([SPECS[0]!, SPECS[0]!]);
    const a = await src.getImageAndLabel(0);
    const before = a.img.data.slice();
    const out = await new MixUp(src, null, 1).apply(a, new Random(3));
    assert.equal(out.cls.length, 2);
    assert.equal(out.instances.length, 2);
    // Inside the box: red here, red or green in the partner; the blend splits 255 between the two channels.
    const p = (70 * 200 + 80) * 3;
    const sum = out.img.data[p]! + out.img.data[p + 1]!;
    assert.ok(sum >= 254 && sum <= 255, `blend ${out.img.data[p]}, ${out.img.data[p + 1]}`);
    assert.ok(out.img.data[p]! > 60, 'the sample keeps about half its weight');
    assert.equal(out.img.data[0], 0);
    assert.equal(before[p], 255);
  });

  test('RandomHSV: OpenCV HSV round trip, colours change, geometry does not', async () => {
    const s = await run(new RandomHSV(0, 0, 0));
    const ref = await new BoxSource(SPECS).getImageAndLabel(0);
    assert.deepEqual(s.img.data, ref.img.data);
    const noise = Uint8Array.from({ length: 3 * 4096 }, (_, i) => (i * 2654435761) >>> 24);
    const roundTrip = noise.slice();
    const identity = Uint8Array.from({ length: 256 }, (_, i) => i);
    adjustHsv(roundTrip, identity, identity, identity);
    const maxDiff = roundTrip.reduce((m, v, i) => Math.max(m, Math.abs(v - noise[i]!)), 0);
    assert.ok(maxDiff <= 3, `HSV round trip differs by ${maxDiff}`);
    const sample = await new BoxSource(SPECS).getImageAndLabel(0);
    sample.img.data.set(noise.subarray(0, sample.img.data.length));
    const changed = new RandomHSV(0.5, 0.7, 0.4).apply(sample, new Random(5));
    assert.notDeepEqual(changed.img.data, noise.subarray(0, sample.img.data.length));
    assert.deepEqual(changed.instances.bboxes, ref.instances.bboxes);
  });

  test('Format gives CHW RGB and normalised xywh', async () => {
    const s = await run(new LetterBox([200, 200]));
    const f = new Format(0).apply(s, new Random(0));
    assert.equal(f.img.length, 3 * 200 * 200);
    const p = 70 * 200 + 80 + 0; // y=70 → letterboxed y = 70 + 20
    assert.deepEqual([f.img[p + 20 * 200], f.img[200 * 200 + p + 20 * 200], f.img[2 * 40000 + p + 20 * 200]], [255, 0, 0]);
    assert.deepEqual(
      Array.from(f.bboxes, (v) => Math.round(v * 1000) / 1000),
      [0.4, 0.45, 0.4, 0.4],
    );
    assert.deepEqual(f.ratioPad, [
      [1, 1],
      [0, 20],
    ]);
    const bgr = new Format(1).apply(await run(new LetterBox([200, 200])), new Random(0));
    assert.equal(bgr.img[2 * 40000 + p + 20 * 200], 255);
  });
});

describe('box utilities', () => {
  test('Instances conversions round-trip and clip', () => {
    const inst = new Instances(Float32Array.of(0.5, 0.5, 0.2, 0.4), 'xywh', true);
    inst.convertBbox('xyxy');
    inst.denormalize(640, 480);
    assert.deepEqual(Array.from(inst.bboxes), [256, 144, 384, 336]);
    inst.addPadding(300, 0);
    inst.clip(640, 480);
    assert.deepEqual(Array.from(inst.bboxes), [556, 144, 640, 336]);
    inst.convertBbox('xywh');
    assert.deepEqual(Array.from(inst.bboxes), [598, 240, 84, 192]);
    const z = new Instances(Float32Array.of(0, 0, 0, 5, 1, 1, 3, 3), 'xyxy', false);
    assert.deepEqual(z.removeZeroAreaBoxes(), [1]);
  });

  test('box candidates: min size 2 px, area ratio 0.1, aspect ratio 100', () => {
    const before = Float32Array.of(0, 0, 100, 100, 0, 0, 100, 100, 0, 0, 10, 10, 0, 0, 300, 300);
    const after = Float32Array.of(0, 0, 50, 50, 0, 0, 20, 20, 0, 0, 2, 10, 0, 0, 299, 2.5);
    assert.deepEqual(boxCandidates(before, after), [0]);
  });

  test('rect batch shapes follow Ultralytics (sorted by aspect ratio, pad 0.5)', () => {
    const mk = (h: number, w: number) => ({
      imFile: `${h}x${w}`,
      shape: [h, w] as [number, number],
      cls: new Float32Array(0),
      bboxes: new Float32Array(0),
    });
    const labels = [mk(480, 640), mk(640, 480), mk(427, 640), mk(640, 640)];
    const { batchShapes, batchOf } = setRectangle(labels, 2, 640, 32, 0.5);
    assert.deepEqual(
      labels.map((l) => l.imFile),
      ['427x640', '480x640', '640x640', '640x480'],
    );
    assert.deepEqual(batchOf, [0, 0, 1, 1]);
    // batch 0: max ar 0.75 → [0.75, 1]·20 + 0.5 → ceil → [16, 21]·32; batch 1 spans ar 1..1.33 → [1, 1]
    assert.deepEqual(batchShapes, [
      [512, 672],
      [672, 672],
    ]);
  });
});
