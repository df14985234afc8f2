import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import {
  Annotator,
  boxSmooth,
  classColor,
  gaussianFilter1d,
  hexToRgb,
  parseResultsCsv,
  plotConfusionMatrix,
  plotImages,
  plotLabels,
  plotMcCurve,
  plotPrCurve,
  plotResults,
  type Rgb,
  rgbToHex,
} from '../src/utils/plotting/index.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'yolots-plots-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Decoded {
  data: Buffer;
  width: number;
  height: number;
}

async function decode(file: string): Promise<Decoded> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, 3);
  return { data, width: info.width, height: info.height };
}

function pixel(image: { data: Uint8Array; width: number }, x: number, y: number): Rgb {
  const i = (y * image.width + x) * 3;
  return [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!];
}

/** Standard deviation of all channel values: a blank or single-colour image has ~0. */
function stdDev(image: Decoded): number {
  let sum = 0;
  let sq = 0;
  for (const v of image.data) {
    sum += v;
    sq += v * v;
  }
  const n = image.data.length;
  return Math.sqrt(sq / n - (sum / n) ** 2);
}

/** Pixels within `tol` of `color` on every channel. */
function countNear(image: Decoded, color: Rgb, tol: number): number {
  let count = 0;
  for (let i = 0; i < image.data.length; i += 3) {
    if (
      Math.abs(image.data[i]! - color[0]) <= tol &&
      Math.abs(image.data[i + 1]! - color[1]) <= tol &&
      Math.abs(image.data[i + 2]! - color[2]) <= tol
    ) {
      count++;
    }
  }
  return count;
}

/** Distinct colours after quantising each channel to 3 bits (so anti-aliasing shades don't inflate the count). */
function distinctColors(image: Decoded): number {
  const seen = new Set<number>();
  for (let i = 0; i < image.data.length; i += 3) {
    seen.add((image.data[i]! >> 5) * 64 + (image.data[i + 1]! >> 5) * 8 + (image.data[i + 2]! >> 5));
  }
  return seen.size;
}

async function assertChart(file: string, width: number, height: number): Promise<Decoded> {
  const image = await decode(file);
  assert.deepEqual([image.width, image.height], [width, height], `${file} size`);
  assert.ok(stdDev(image) > 15, `${file} looks blank (std-dev ${stdDev(image).toFixed(1)})`);
  assert.ok(countNear(image, [0, 0, 0], 40) > 2000, `${file} has no dark text/axes`);
  return image;
}

const px = Array.from({ length: 1000 }, (_, i) => i / 999);
const MPL_BLUE: Rgb = [31, 119, 180];
const MPL_ORANGE: Rgb = [255, 127, 14];

describe('colours and smoothing', () => {
  test('palette matches Ultralytics Colors and cycles every 20 classes', () => {
    assert.deepEqual(classColor(0), [255, 56, 56]);
    assert.deepEqual(classColor(14), [0, 24, 236]);
    assert.deepEqual(classColor(21), classColor(1));
    assert.equal(rgbToHex(hexToRgb('#2C99A8')), '#2c99a8');
    assert.throws(() => hexToRgb('#12345'), /not a #RRGGBB/);
  });

  test('gaussianFilter1d matches scipy.ndimage.gaussian_filter1d(y, 3)', () => {
    // Values from scipy 1.17 with the default mode='reflect', truncate=4.
    const y = [3.4477, 3.1, 2.9, 2.95, 2.7, 2.5, 2.52, 2.3, 2.2, 2.21];
    const expected = [3.033542, 2.995374, 2.924599, 2.83078, 2.725188, 2.61883, 2.521385, 2.440856, 2.383487, 2.353658];
    gaussianFilter1d(y, 3).forEach((v, i) => {
      assert.ok(Math.abs(v - expected[i]!) < 1e-6, `index ${i}: ${v}`);
    });
    const two = gaussianFilter1d([1, 5], 3);
    assert.ok(Math.abs(two[0]! - 2.99996) < 1e-5 && Math.abs(two[1]! - 3.00004) < 1e-5);
  });

  test("boxSmooth matches Ultralytics' smooth(), including its even-window length", () => {
    const y = Array.from({ length: 50 }, (_, i) => Math.sin(i / 5));
    const s = boxSmooth(y, 0.1); // nf = 6 → 51 points, as numpy's 'valid' convolution gives
    assert.equal(s.length, 51);
    const expected: [number, number][] = [
      [0, 0.098015],
      [1, 0.192122],
      [10, 0.892021],
      [48, -0.04125],
      [49, -0.171016],
    ];
    for (const [i, v] of expected) assert.ok(Math.abs(s[i]! - v) < 1e-6, `index ${i}: ${s[i]}`);
    assert.equal(boxSmooth(px, 0.05).length, 1000);
  });
});

describe('Annotator', () => {
  const width = 200;
  const height = 160;
  const grey = () => new Uint8Array(width * height * 3).fill(90);

  test('box edges take the class colour, the inside is untouched, the label sits above the box', async () => {
    const color = classColor(3);
    const annotator = new Annotator(grey(), width, height, { lineWidth: 3, fontSize: 14 });
    const out = await annotator.boxLabel([40, 50, 150, 140], 'car 0.91', color).result();
    assert.deepEqual([out.width, out.height, out.data.length], [width, height, width * height * 3]);
    for (const [x, y] of [
      [40, 90],
      [42, 90],
      [150, 90],
      [148, 90],
      [100, 50],
      [100, 52],
      [100, 140],
    ] as const) {
      assert.deepEqual(pixel(out, x, y), color, `edge pixel (${x}, ${y})`);
    }
    assert.deepEqual(pixel(out, 43, 90), [90, 90, 90], 'just inside the 3 px outline');
    assert.deepEqual(pixel(out, 100, 100), [90, 90, 90], 'box interior');
    // Label box spans y 50 - lineHeight .. 51 above the box, with white text on it.
    assert.deepEqual(pixel(out, 41, 36), color, 'label background');
    let white = 0;
    for (let y = 33; y < 50; y++) for (let x = 40; x < 110; x++) if (pixel(out, x, y).every((v) => v > 230)) white++;
    assert.ok(white > 20, `label text pixels: ${white}`);
  });

  test('a box touching the top gets its label inside; defaults follow Ultralytics sizes', async () => {
    const annotator = new Annotator(grey(), width, height);
    assert.equal(annotator.lineWidth, 2); // max(round((160 + 200 + 3) / 2 * 0.003), 2)
    assert.equal(annotator.fontSize, 12); // max(round(180 * 0.035), 12)
    const out = await annotator.boxLabel([10, 0, 120, 100], 'person', classColor(0)).result();
    // The label box spans rows 0..15 inside the box, its colour showing around the white text.
    let background = 0;
    for (let y = 2; y < 15; y++) for (let x = 12; x < 50; x++) if (pixel(out, x, y).join() === classColor(0).join()) background++;
    assert.ok(background > 0.5 * 13 * 38, `label background pixels below the top edge: ${background}`);
    assert.deepEqual(pixel(out, 60, 60), [90, 90, 90]);
  });

  test('encodes PNG/JPEG and rejects a wrong buffer size', async () => {
    const png = await new Annotator(grey(), width, height).text([5, 5], 'hello <&>', { color: [0, 255, 0] }).toBuffer('png');
    const meta = await sharp(png).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', width, height]);
    assert.ok(countNear(await decode(await writeTemp('text.png', png)), [0, 255, 0], 30) > 10, 'green text drawn');
    assert.throws(() => new Annotator(new Uint8Array(10), width, height), /expected 200x160x3/);
  });
});

async function writeTemp(name: string, data: Buffer): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, data);
  return file;
}

function resultsCsv(epochs: number): string {
  const columns = [
    'epoch',
    'train/box_loss',
    'train/cls_loss',
    'train/dfl_loss',
    'metrics/precision(B)',
    'metrics/recall(B)',
    'metrics/mAP50(B)',
    'metrics/mAP50-95(B)',
    'val/box_loss',
    'val/cls_loss',
    'val/dfl_loss',
    'lr/pg0',
    'lr/pg1',
    'lr/pg2',
  ];
  const rows = [columns.map((c) => c.padStart(23)).join(',')];
  for (let e = 1; e <= epochs; e++) {
    const d = Math.exp(-e / 8);
    const values = [
      e,
      1 + d,
      2 + d,
      1 + d / 2,
      0.6 - d / 3,
      0.5 - d / 3,
      0.6 - d / 2,
      0.4 - d / 3,
      1.2 + d,
      2.2 + d,
      1.1 + d,
      0.01,
      0.01,
      0.01,
    ];
    rows.push(values.map((v) => Number(v.toPrecision(5)).toString().padStart(23)).join(','));
  }
  return `${rows.join('\n')}\n`;
}

describe('charts', () => {
  test('plotResults writes results.png with data and smoothed lines', async () => {
    const csv = join(dir, 'results.csv');
    await writeFile(csv, resultsCsv(12));
    const file = await plotResults(csv);
    assert.equal(file, join(dir, 'results.png'));
    const image = await assertChart(file, 2400, 1200);
    assert.ok(countNear(image, MPL_BLUE, 30) > 3000, 'blue data lines');
    assert.ok(countNear(image, MPL_ORANGE, 40) > 300, 'orange smoothed lines');
  });

  test('results.csv problems name the file, line and column', async () => {
    assert.throws(() => parseResultsCsv('epoch,a\n1,2\n3\n', 'r.csv'), /r\.csv:3: expected 2 fields, got 1/);
    assert.throws(() => parseResultsCsv('epoch,a\n1,x\n', 'r.csv'), /r\.csv:2: 'x' in a is not a number/);
    assert.ok(Number.isNaN(parseResultsCsv('epoch,a\n1,nan\n').rows[0]?.[1]));
    const csv = join(dir, 'short.csv');
    await writeFile(csv, 'epoch,train/box_loss\n1,2\n');
    await assert.rejects(plotResults(csv, dir), /column 'train\/cls_loss' is missing/);
  });

  test('plotPrCurve draws one coloured line per class and the bold blue mean', async () => {
    const py = [0, 1, 2].map((c) => Float64Array.from(px, (x) => 1 - x ** (1 + c)));
    const file = await plotPrCurve(px, py, [0.5, 0.67, 0.75], ['person', 'car', 'dog'], join(dir, 'PR_curve.png'));
    const image = await assertChart(file, 2250, 1500);
    assert.ok(countNear(image, [0, 0, 255], 40) > 3000, 'bold blue all-classes line');
    assert.ok(countNear(image, MPL_BLUE, 25) > 500, 'class 0 in tab10 blue');
    assert.ok(countNear(image, MPL_ORANGE, 30) > 500, 'class 1 in tab10 orange');
    assert.ok(distinctColors(image) > 8);
    await assert.rejects(plotPrCurve(px, py, [0.5], ['a', 'b', 'c'], join(dir, 'x.png')), /1 AP values for 3 curves/);
  });

  test('plotMcCurve draws grey class lines when there are 21+ classes', async () => {
    const py = Array.from({ length: 25 }, (_, c) => Float64Array.from(px, (x) => Math.sin(Math.PI * x) * (0.5 + c / 50)));
    const names = py.map((_, c) => `c${c}`);
    const file = await plotMcCurve(px, py, names, join(dir, 'F1_curve.png'), 'F1');
    const image = await assertChart(file, 2250, 1500);
    assert.ok(countNear(image, [128, 128, 128], 20) > 2000, 'grey per-class lines');
    assert.ok(countNear(image, [0, 0, 255], 40) > 3000, 'bold blue smoothed mean');
    assert.equal(countNear(image, MPL_ORANGE, 30), 0, 'no per-class colours');
    await assert.rejects(plotMcCurve(px, [new Float64Array(3)], [], join(dir, 'y.png')), /curve 0 has 3 points, px has 1000/);
  });

  test('plotConfusionMatrix writes both variants with a Blues heatmap', async () => {
    const matrix = [
      [30, 2, 1, 4],
      [1, 25, 0, 2],
      [0, 3, 40, 5],
      [2, 1, 3, 0],
    ];
    const names = ['person', 'car', 'dog'];
    const normalized = await plotConfusionMatrix(matrix, names, dir, { normalize: true });
    const counts = await plotConfusionMatrix(matrix, names, dir, { normalize: false });
    assert.equal(normalized, join(dir, 'confusion_matrix_normalized.png'));
    assert.equal(counts, join(dir, 'confusion_matrix.png'));
    for (const file of [normalized, counts]) {
      const image = await assertChart(file, 3000, 2250);
      assert.ok(countNear(image, hexToRgb('#08306b'), 20) > 10000, `${file}: darkest cell`);
      assert.ok(distinctColors(image) > 6, `${file}: shades of blue`);
    }
    await assert.rejects(plotConfusionMatrix([[1, 2]], names, dir), /square/);
  });

  test('plotLabels writes labels.jpg with class-coloured bars and box statistics', async () => {
    const n = 300;
    const cls = Float32Array.from({ length: n }, (_, i) => i % 3);
    const boxes = Float32Array.from({ length: 4 * n }, (_, k) => (k % 4 < 2 ? (k * 0.6180339) % 1 : 0.05 + ((k * 0.414) % 0.5)));
    const file = await plotLabels(cls, boxes, ['person', 'car', 'dog'], dir);
    assert.equal(file, join(dir, 'labels.jpg'));
    const image = await assertChart(file, 1600, 1600);
    for (const c of [0, 1, 2]) assert.ok(countNear(image, classColor(c), 24) > 2000, `bar of class ${c}`);
    await assert.rejects(plotLabels([], [], [], dir), /no labels/);
    await assert.rejects(plotLabels([0], [0.5, 0.5], [], dir), /need 4 box values/);
  });
});

describe('plotImages', () => {
  /** B images of 3×h×w, each a horizontal gradient so tiles are not uniform. */
  function gradientBatch(b: number, h: number, w: number): Uint8Array {
    const images = new Uint8Array(b * 3 * h * w);
    for (let i = 0; i < b; i++) {
      for (let c = 0; c < 3; c++) {
        for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) images[((i * 3 + c) * h + y) * w + x] = (x * 2 + c * 40) % 200;
      }
    }
    return images;
  }

  test('labels mosaic: tiles column-first, unused tiles white, boxes in class colours', async () => {
    const [b, h, w] = [5, 64, 80];
    const fname = join(dir, 'train_batch0.png');
    await plotImages({
      images: gradientBatch(b, h, w),
      shape: [b, 3, h, w],
      batchIdx: [0, 3],
      cls: [2, 7],
      bboxes: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.6, 0.6], // normalised xywh
      paths: ['a/img0.jpg', 'b', 'c', 'd', 'e'],
      names: { 2: 'car', 7: 'truck' },
      fname,
    });
    const image = await decode(fname);
    assert.deepEqual([image.width, image.height], [3 * w, 3 * h]); // ns = ceil(sqrt(5)) = 3
    assert.deepEqual(pixel(image, 2 * w + 30, 2 * h + 30), [255, 255, 255], 'tile 8 is unused');
    // Image 0 sits at (0, 0); its box is x 20..60, y 16..48, and its edge is drawn in class 2's colour.
    assert.deepEqual(pixel(image, 20, 32), classColor(2), 'image 0 box edge');
    // Image 3 goes to column 1, row 0 (column-first), box x 16..64 → 96..144 in the mosaic.
    assert.deepEqual(pixel(image, w + 16, 32), classColor(7), 'image 3 box edge');
    assert.ok(stdDev(image) > 20);
  });

  test('prediction mosaic skips boxes at conf ≤ 0.25 and shrinks big batches to 1920 px', async () => {
    const [b, h, w] = [20, 640, 640];
    const fname = join(dir, 'val_batch0_pred.jpg');
    await plotImages({
      images: gradientBatch(b, h, w),
      shape: [b, 3, h, w],
      batchIdx: [0, 0],
      cls: [0, 5],
      bboxes: [100, 100, 300, 300, 400, 400, 600, 600], // pixel xyxy, as NMS outputs
      boxFormat: 'xyxy',
      confs: [0.9, 0.1],
      names: ['person'],
      fname,
    });
    const image = await decode(fname);
    assert.deepEqual([image.width, image.height], [1920, 1920]); // 16 tiles of 480
    const near = (p: Rgb, q: Rgb, tol: number) => p.every((v, i) => Math.abs(v - q[i]!) <= tol);
    // scale 0.75: the kept box's left edge is at x = 75; the skipped one would be at 300.
    assert.ok(near(pixel(image, 76, 150), classColor(0), 40), `kept box edge ${pixel(image, 76, 150)}`);
    assert.ok(!near(pixel(image, 301, 400), classColor(5), 40), 'box below the conf threshold is not drawn');
  });

  test('rejects a shape that does not match the data', async () => {
    await assert.rejects(
      plotImages({ images: new Uint8Array(10), shape: [1, 3, 4, 4], batchIdx: [], cls: [], fname: join(dir, 'bad.jpg') }),
      /needs 48 values, images has 10/,
    );
  });
});
