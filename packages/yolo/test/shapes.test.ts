import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import YAML from 'yaml';
import { circleSpans, forEachPixel, type Point, polygonSpans } from '../src/data/shapes/raster.js';
import {
  BUILTIN_DATASET,
  defaultShapesDir,
  ensureShapesDataset,
  imageStem,
  isBuiltinDataset,
  renderScene,
  type Scene,
  SHAPE_NAMES,
  sceneSeed,
  yoloLabels,
} from '../src/data/shapes.js';

let scratch = '';
before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'yolots-shapes-test-'));
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const SMALL = { trainImages: 24, valImages: 8, imgsz: 128 } as const;

/** Ray casting on one point, written independently of the scanline rasteriser. */
function insidePolygon(points: readonly Point[], x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const [xi, yi] = points[i]!;
    const [xj, yj] = points[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function maskOf(spansPixels: (visit: (p: number) => void) => void, size: number): Uint8Array {
  const mask = new Uint8Array(size);
  spansPixels((p) => {
    mask[p] = 1;
  });
  return mask;
}

describe('rasteriser', () => {
  test('an axis-aligned square covers exactly its pixels', () => {
    const spans = polygonSpans(
      [
        [2, 3],
        [6, 3],
        [6, 7],
        [2, 7],
      ],
      10,
      10,
    );
    const mask = maskOf((v) => forEachPixel(spans, 10, v), 100);
    for (let y = 0; y < 10; y++) {
      for (let x = 0; x < 10; x++) assert.equal(mask[y * 10 + x], x >= 2 && x < 6 && y >= 3 && y < 7 ? 1 : 0, `${x},${y}`);
    }
    assert.equal(spans.pixelCount, 16);
  });

  test('polygon and disc spans match a per-pixel inside test, clipped at the border', () => {
    const size = 40;
    const star: Point[] = Array.from({ length: 10 }, (_, i): Point => {
      const a = 0.3 + (Math.PI * i) / 5;
      const r = i % 2 === 0 ? 25 : 11;
      return [35 + r * Math.cos(a), 12 + r * Math.sin(a)]; // partly outside the image
    });
    const polygon = maskOf((v) => forEachPixel(polygonSpans(star, size, size), size, v), size * size);
    const disc = maskOf((v) => forEachPixel(circleSpans(-3.2, 20.7, 14.3, size, size), size, v), size * size);
    let polygonPixels = 0;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const inStar = insidePolygon(star, x + 0.5, y + 0.5);
        polygonPixels += inStar ? 1 : 0;
        assert.equal(polygon[y * size + x], inStar ? 1 : 0, `star pixel ${x},${y}`);
        const inDisc = (x + 0.5 + 3.2) ** 2 + (y + 0.5 - 20.7) ** 2 < 14.3 ** 2;
        assert.equal(disc[y * size + x], inDisc ? 1 : 0, `disc pixel ${x},${y}`);
      }
    }
    assert.ok(polygonPixels > 100, 'the star test shape lies partly inside the image');
  });
});

/** Checks every label of a scene against visibility recomputed from the objects' full masks. */
function checkTruthfulBoxes(scene: Scene, where: string): void {
  const { width, height, data } = scene.image;
  const masks = scene.objects.map((o) => maskOf((v) => forEachPixel(o.spans, width, v), width * height));
  scene.objects.forEach((object, j) => {
    let x0 = width;
    let y0 = height;
    let x1 = 0;
    let y1 = 0;
    let visible = 0;
    for (let p = 0; p < width * height; p++) {
      if (!masks[j]?.[p] || masks.slice(j + 1).some((m) => m[p])) continue;
      const x = p % width;
      const y = Math.floor(p / width);
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x + 1);
      y1 = Math.max(y1, y + 1);
      visible++;
      assert.deepEqual([data[p * 3], data[p * 3 + 1], data[p * 3 + 2]], [...object.color], `${where} object ${j} pixel ${p}`);
    }
    assert.deepEqual(object.box, { x0, y0, x1, y1 }, `${where} object ${j} (${object.shape}) box`);
    assert.equal(object.visiblePixels, visible, `${where} object ${j} visible count`);
    assert.ok(visible >= 0.4 * object.spans.pixelCount, `${where} object ${j} is at most 60% hidden`);
  });
}

describe('scenes', () => {
  test('the same seed renders identical pixels and objects; another seed does not', () => {
    const a = renderScene(sceneSeed(7, 'train', 3), 128, SHAPE_NAMES);
    const b = renderScene(sceneSeed(7, 'train', 3), 128, SHAPE_NAMES);
    assert.deepEqual(b.image.data, a.image.data);
    assert.equal(yoloLabels(b), yoloLabels(a));
    const c = renderScene(sceneSeed(8, 'train', 3), 128, SHAPE_NAMES);
    assert.notDeepEqual(c.image.data, a.image.data);
  });

  test('the generator still draws what docs/builtin-dataset.md shows (else bump SHAPES_GENERATOR_VERSION)', () => {
    const scene = renderScene(sceneSeed(0, 'train', 2), 256, SHAPE_NAMES);
    assert.equal(
      yoloLabels(scene),
      [
        '3 0.896484 0.240234 0.105469 0.113281',
        '1 0.210938 0.398438 0.093750 0.093750',
        '1 0.560547 0.365234 0.277344 0.277344',
        '4 0.097656 0.472656 0.093750 0.093750',
        '',
      ].join('\n'),
    );
  });

  test('every label box is exactly the bounds of its object’s visible pixels', () => {
    let overlapped = 0;
    let clipped = 0;
    for (let i = 0; i < 40; i++) {
      const scene = renderScene(sceneSeed(1, 'train', i), 96, SHAPE_NAMES);
      checkTruthfulBoxes(scene, `scene ${i}`);
      overlapped += scene.objects.filter((o) => o.visiblePixels < o.spans.pixelCount).length;
      clipped += scene.objects.filter((o) => o.box.x0 === 0 || o.box.y0 === 0 || o.box.x1 === 96 || o.box.y1 === 96).length;
    }
    assert.ok(overlapped > 0, 'some objects are partly hidden by others');
    assert.ok(clipped > 0, 'some objects are cut by the image border');
  });
});

/** Parses a label file, asserting every line is a valid normalised YOLO box with a class below nc. */
type LabelRow = [cls: number, x: number, y: number, w: number, h: number];

function parseLabels(text: string, nc: number, file: string): LabelRow[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line, i): LabelRow => {
      const fields = line.split(' ');
      assert.equal(fields.length, 5, `${file}:${i + 1} has 5 columns`);
      const [cls, x, y, w, h] = fields.map(Number) as LabelRow;
      assert.ok(Number.isInteger(cls) && cls >= 0 && cls < nc, `${file}:${i + 1} class ${cls} < ${nc}`);
      for (const v of [x, y, w, h]) assert.ok(v >= 0 && v <= 1, `${file}:${i + 1} value ${v} normalised`);
      assert.ok(w > 0 && h > 0 && x - w / 2 >= -1e-6 && x + w / 2 <= 1 + 1e-6, `${file}:${i + 1} box inside the image`);
      assert.ok(y - h / 2 >= -1e-6 && y + h / 2 <= 1 + 1e-6, `${file}:${i + 1} box inside the image`);
      return [cls, x, y, w, h];
    });
}

async function labelFiles(dir: string, split: string): Promise<Map<string, string>> {
  const folder = join(dir, 'labels', split);
  const names = (await readdir(folder)).sort();
  return new Map(await Promise.all(names.map(async (n): Promise<[string, string]> => [n, await readFile(join(folder, n), 'utf8')])));
}

describe('dataset folder', () => {
  test('two generations with the same seed write identical labels, valid YOLO lines, and a parseable data.yaml', async () => {
    const dirA = join(scratch, 'a', 'shapes');
    const dirB = join(scratch, 'b', 'shapes');
    const yamlA = await ensureShapesDataset({ ...SMALL, dir: dirA, seed: 3 });
    await ensureShapesDataset({ ...SMALL, dir: dirB, seed: 3 });
    assert.equal(yamlA, join(dirA, 'data.yaml'));

    const data = YAML.parse(await readFile(yamlA, 'utf8'));
    assert.deepEqual(data, {
      path: dirA,
      train: 'images/train',
      val: 'images/val',
      nc: 5,
      names: { 0: 'circle', 1: 'square', 2: 'triangle', 3: 'star', 4: 'cross' },
    });

    for (const split of ['train', 'val'] as const) {
      const a = await labelFiles(dirA, split);
      const b = await labelFiles(dirB, split);
      assert.equal(a.size, split === 'train' ? 24 : 8);
      assert.deepEqual(b, a);
      assert.deepEqual(
        (await readdir(join(dirA, 'images', split))).sort(),
        [...a.keys()].map((n) => n.replace('.txt', '.jpg')),
      );
      for (const [name, text] of a) parseLabels(text, 5, `${split}/${name}`);
      // The files hold the scenes the generator describes.
      const index = 5 % a.size;
      const scene = renderScene(sceneSeed(3, split, index), 128, SHAPE_NAMES);
      assert.equal(a.get(`${imageStem(index, a.size)}.txt`), yoloLabels(scene));
    }
  });

  test('the JPEG on disk shows the rendered scene', async () => {
    const dir = join(scratch, 'a', 'shapes');
    const scene = renderScene(sceneSeed(3, 'train', 2), 128, SHAPE_NAMES);
    const { data, info } = await sharp(join(dir, 'images/train/000002.jpg')).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height, info.channels], [128, 128, 3]);
    let error = 0;
    for (let i = 0; i < data.length; i++) error += Math.abs(data[i]! - scene.image.data[i]!);
    assert.ok(error / data.length < 6, `mean absolute JPEG error ${error / data.length}`);
  });

  test('the default dataset: 256 + 64 images at 256 px, some empty, all classes, varied sizes, border cuts', async (t) => {
    const dir = join(scratch, 'defaults', 'shapes');
    const started = performance.now();
    await ensureShapesDataset({ dir });
    t.diagnostic(`default dataset generated in ${((performance.now() - started) / 1000).toFixed(2)} s`);
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    assert.deepEqual(manifest.options, { seed: 0, trainImages: 256, valImages: 64, imgsz: 256, classes: [...SHAPE_NAMES] });

    assert.equal((await sharp(join(dir, 'images/val/000000.jpg')).metadata()).width, 256);
    const boxes: LabelRow[] = [];
    let empty = 0;
    for (const split of ['train', 'val']) {
      for (const [name, text] of await labelFiles(dir, split)) {
        const rows = parseLabels(text, 5, `${split}/${name}`);
        if (rows.length === 0) empty++;
        assert.ok(rows.length <= 6, `${split}/${name}: at most 6 objects`);
        boxes.push(...rows);
      }
    }
    assert.equal(empty, manifest.stats.train.empty + manifest.stats.val.empty);
    assert.ok(empty >= 0.03 * 320 && empty <= 0.15 * 320, `${empty} of 320 images are empty`);
    const perClass = SHAPE_NAMES.map((_, c) => boxes.filter((b) => b[0] === c).length);
    assert.ok(Math.min(...perClass) > 0.6 * (boxes.length / 5), `classes are balanced: ${perClass}`);
    const sides = boxes.map(([, , , w, h]) => Math.max(w, h));
    assert.ok(Math.min(...sides) < 0.1 && Math.max(...sides) > 0.4, 'sizes range from small to large');
    const atBorder = boxes.filter(([, x, y, w, h]) => x - w / 2 < 1e-6 || y - h / 2 < 1e-6 || x + w / 2 > 1 - 1e-6 || y + h / 2 > 1 - 1e-6);
    assert.ok(atBorder.length > 0.05 * boxes.length, `${atBorder.length} of ${boxes.length} objects touch the border`);
  });
});

describe('ensureShapesDataset', () => {
  test('skips a complete dataset, regenerates when the manifest is missing or differs, or on force', async () => {
    const dir = join(scratch, 'regen', 'shapes');
    const marker = join(dir, 'marker');
    const addMarker = () => writeFile(marker, 'kept while the dataset is not regenerated');
    await ensureShapesDataset({ ...SMALL, dir });
    await addMarker();

    await ensureShapesDataset({ ...SMALL, dir });
    assert.ok(existsSync(marker), 'same options: not regenerated');

    await ensureShapesDataset({ ...SMALL, dir, seed: 1 });
    assert.ok(!existsSync(marker), 'other seed: regenerated');
    assert.equal(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')).options.seed, 1);

    await addMarker();
    await rm(join(dir, 'manifest.json'));
    await ensureShapesDataset({ ...SMALL, dir, seed: 1 });
    assert.ok(!existsSync(marker), 'no manifest: regenerated');

    await addMarker();
    await rm(join(dir, 'images/val/000003.jpg'));
    await ensureShapesDataset({ ...SMALL, dir, seed: 1 });
    assert.ok(!existsSync(marker) && existsSync(join(dir, 'images/val/000003.jpg')), 'missing image: regenerated');

    // A crashed generator's temporary folder (its pid is beyond any real pid) is cleaned up on the next generation.
    const abandoned = join(scratch, 'regen', 'shapes.partial-999999999-deadbeef');
    await mkdir(join(abandoned, 'images'), { recursive: true });
    const hourAgo = new Date(Date.now() - 3600_000);
    await utimes(abandoned, hourAgo, hourAgo);
    await addMarker();
    await ensureShapesDataset({ ...SMALL, dir, seed: 1, force: true });
    assert.ok(!existsSync(marker), 'force: regenerated');
    assert.deepEqual(await readdir(join(scratch, 'regen')), ['shapes'], 'no temporary folder is left beside it');
  });

  test('concurrent calls on one folder both succeed and leave one complete dataset', async () => {
    const dir = join(scratch, 'race', 'shapes');
    const [a, b] = await Promise.all([ensureShapesDataset({ ...SMALL, dir }), ensureShapesDataset({ ...SMALL, dir })]);
    assert.equal(a, b);
    assert.equal((await readdir(join(dir, 'labels/train'))).length, SMALL.trainImages);
    assert.deepEqual(await readdir(join(scratch, 'race')), ['shapes']);
  });

  test('a class subset is written in the given order and only those shapes appear', async () => {
    const dir = join(scratch, 'subset', 'shapes');
    const yamlPath = await ensureShapesDataset({ ...SMALL, dir, classes: ['star', 'circle'] });
    const data = YAML.parse(await readFile(yamlPath, 'utf8'));
    assert.deepEqual([data.nc, data.names], [2, { 0: 'star', 1: 'circle' }]);
    for (const [name, text] of await labelFiles(dir, 'train')) parseLabels(text, 2, name);
    const shapes = new Set(renderScene(sceneSeed(0, 'train', 1), 128, ['star', 'circle']).objects.map((o) => o.shape));
    assert.ok([...shapes].every((s) => s === 'star' || s === 'circle'));
  });

  test('bad options are rejected with an error naming the option', async () => {
    const dir = join(scratch, 'bad');
    await assert.rejects(ensureShapesDataset({ dir, imgsz: 10 }), /'imgsz'/);
    await assert.rejects(ensureShapesDataset({ dir, trainImages: 0 }), /'trainImages'/);
    await assert.rejects(ensureShapesDataset({ dir, seed: -1 }), /'seed'/);
    await assert.rejects(ensureShapesDataset({ dir, classes: ['hexagon' as 'circle'] }), /'classes' has unknown shape 'hexagon'/);
    await assert.rejects(ensureShapesDataset({ dir, classes: ['star', 'star'] }), /lists 'star' twice/);
    assert.ok(!existsSync(dir), 'nothing is written for bad options');
  });

  test('default folder and the built-in data name', () => {
    assert.equal(defaultShapesDir({ YOLOTS_DATASETS_DIR: '/data/sets' }), '/data/sets/shapes');
    assert.match(defaultShapesDir({}), /\.cache\/yolots\/datasets\/shapes$/);
    assert.equal(BUILTIN_DATASET, 'shapes.yaml');
    assert.ok(isBuiltinDataset(undefined) && isBuiltinDataset('') && isBuiltinDataset('shapes.yaml'));
    assert.ok(!isBuiltinDataset('coco8.yaml'));
  });
});
