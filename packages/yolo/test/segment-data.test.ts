// Segment data pipeline pieces on hand-made cases: polygon label parsing, Instances with polygons through the
// transforms (flip, perspective, copy-paste), Format masks, contours (values from OpenCV 4.6), and the built-in
// dataset's polygon labels.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CopyPaste } from '../src/data/augment/copy-paste.js';
import { RandomFlip } from '../src/data/augment/flip.js';
import { Format } from '../src/data/augment/format.js';
import { RandomPerspective } from '../src/data/augment/perspective.js';
import type { Sample } from '../src/data/augment/transform.js';
import { Instances } from '../src/data/instances.js';
import { polygon2mask, resampleSegment } from '../src/data/polygons.js';
import { Random } from '../src/data/random.js';
import { ensureShapesDataset } from '../src/data/shapes.js';
import { parseLabels } from '../src/data/verify.js';
import { findExternalContours } from '../src/utils/contours.js';

/** A sample of an h×w grey image with pixel-space polygons (resampled to 1000 points). */
function sample(h: number, w: number, polygons: number[][], cls: number[]): Sample {
  const segments = new Float32Array(polygons.length * 2000);
  const boxes = new Float32Array(polygons.length * 4);
  polygons.forEach((p, i) => {
    segments.set(resampleSegment(p), i * 2000);
    const xs = p.filter((_, k) => k % 2 === 0);
    const ys = p.filter((_, k) => k % 2 === 1);
    boxes.set([Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)], i * 4);
  });
  return {
    img: { data: new Uint8Array(h * w * 3).fill(114), height: h, width: w },
    cls: Float32Array.from(cls),
    instances: new Instances(boxes, 'xyxy', false, segments),
    imFile: 'x.jpg',
    oriShape: [h, w],
    resizedShape: [h, w],
  };
}

describe('polygon labels', () => {
  test('a line with more than 6 values makes every line a polygon; its box is the extent; duplicates keep polygons aligned', () => {
    const text = '1 0.1 0.1 0.5 0.1 0.5 0.4\n0 0.2 0.2 0.6 0.2 0.6 0.8 0.2 0.8\n1 0.1 0.1 0.5 0.1 0.5 0.4\n';
    const { rows, segments } = parseLabels(text, 'a.txt', 3);
    assert.equal(rows.length, 3);
    assert.deepEqual(
      rows[1]?.map((v) => Number(v.toFixed(6))),
      [0, 0.4, 0.5, 0.4, 0.6],
    );
    assert.equal(segments?.length, 3);
    assert.throws(
      () => parseLabels('0 0.1 0.1 0.2 0.2\n1 0.1 0.1 0.5 0.1 0.5 0.4\n', 'b.txt', 3),
      /b\.txt:1: a polygon needs at least 3 points/,
    );
    assert.throws(() => parseLabels('0 0.1 0.1 0.5 0.1 0.5 0.4 0.3\n', 'c.txt', 3), /c\.txt:1: polygon has an odd number/);
  });

  test('1000-point resampling is uniform in the vertex index, closed, float32', () => {
    const r = resampleSegment([0, 0, 10, 0, 0, 10]);
    assert.equal(r.length, 2000);
    assert.deepEqual([r[0], r[1], r[1998], r[1999]], [0, 0, 0, 0]);
    // Point k sits at vertex index k·3/999: point 333 on vertex 1, point 100 at 0.3003 of the first edge.
    assert.deepEqual([r[666], r[667]], [10, 0]);
    assert.equal(r[200], Math.fround(3.003003003003003));
  });
});

describe('transforms move polygons with their boxes', () => {
  test('horizontal flip mirrors the polygons; the mask follows', () => {
    const s = sample(40, 40, [[2, 2, 12, 2, 12, 30, 2, 30]], [0]);
    const rng = new Random(0);
    new RandomFlip('horizontal', 1).apply(s, rng);
    const xs = s.instances.segment(0).filter((_, k) => k % 2 === 0);
    assert.deepEqual([Math.min(...xs), Math.max(...xs)], [28, 38]);
  });

  test('RandomPerspective: boxes come from the warped polygons; a 90° rotation keeps the area', async () => {
    const s = sample(64, 64, [[10, 20, 30, 20, 30, 28, 10, 28]], [2]);
    const rp = new RandomPerspective({ degrees: 0, translate: 0, scale: 0, shear: 0 });
    const out = await rp.apply(s, new Random(1));
    assert.equal(out.instances.length, 1);
    assert.deepEqual(Array.from(out.instances.bboxes), [10, 20, 30, 28]);
    assert.ok(out.instances.hasSegments);
  });

  test('CopyPaste(1): every instance whose mirror overlaps nothing is pasted mirrored, pixels included', () => {
    const s = sample(32, 64, [[4, 4, 20, 4, 20, 20, 4, 20]], [1]);
    // A red object on the left.
    for (let y = 4; y < 20; y++) for (let x = 4; x < 20; x++) s.img.data.set([255, 0, 0], (y * 64 + x) * 3);
    const out = new CopyPaste(1).apply(s, new Random(2));
    assert.deepEqual(Array.from(out.cls), [1, 1]);
    assert.equal(out.instances.length, 2);
    assert.deepEqual(Array.from(out.instances.bboxes.subarray(4)), [44, 4, 60, 20]);
    const px = (x: number, y: number) => Array.from(out.img.data.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3));
    assert.deepEqual(px(50, 10), [255, 0, 0], 'the mirrored object is painted');
    assert.deepEqual(px(30, 10), [114, 114, 114], 'outside it nothing changes');
  });

  test('Format: overlap masks number the labels by area (largest first, reordered), per-label masks keep order', () => {
    const make = () =>
      sample(
        32,
        32,
        [
          [8, 8, 12, 8, 12, 12, 8, 12],
          [0, 0, 32, 0, 32, 32, 0, 32],
        ],
        [0, 1],
      );
    const overlap = new Format(0, { ratio: 4, overlap: true }).apply(make(), new Random(0));
    assert.deepEqual(overlap.masksShape, [1, 8, 8]);
    assert.deepEqual(Array.from(overlap.cls), [1, 0], 'the large polygon first');
    assert.equal(overlap.masks?.[2 * 8 + 2], 2, 'the small one painted over it');
    assert.equal(overlap.masks?.[0], 1);
    const perLabel = new Format(0, { ratio: 4, overlap: false }).apply(make(), new Random(0));
    assert.deepEqual(perLabel.masksShape, [2, 8, 8]);
    assert.deepEqual(Array.from(perLabel.cls), [0, 1]);
    assert.equal(perLabel.masks?.[2 * 8 + 2], 1);
  });
});

describe('findExternalContours (expected values from cv2.findContours, OpenCV 4.6)', () => {
  const mask = (h: number, w: number, cells: [number, number][]): Uint8Array => {
    const m = new Uint8Array(h * w);
    for (const [y, x] of cells) m[y * w + x] = 1;
    return m;
  };
  const block = (y0: number, y1: number, x0: number, x1: number): [number, number][] =>
    Array.from({ length: (y1 - y0) * (x1 - x0) }, (_, k) => [y0 + Math.floor(k / (x1 - x0)), x0 + (k % (x1 - x0))]);

  test('three squares come out last-found first, each counterclockwise from its top-left pixel', () => {
    const m = mask(10, 20, [...block(1, 3, 1, 3), ...block(6, 8, 12, 14), ...block(1, 3, 15, 17)]);
    assert.deepEqual(
      findExternalContours(m, 10, 20).map((c) => Array.from(c)),
      [
        [12, 6, 12, 7, 13, 7, 13, 6],
        [15, 1, 15, 2, 16, 2, 16, 1],
        [1, 1, 1, 2, 2, 2, 2, 1],
      ],
    );
  });

  test('a diagonal neighbour joins a blob (8-connectivity); a blob inside a hole is not external', () => {
    const m = mask(6, 6, [[1, 1], ...block(2, 5, 2, 5)]);
    assert.deepEqual(Array.from(findExternalContours(m, 6, 6)[0] ?? []), [1, 1, 2, 2, 2, 4, 4, 4, 4, 2, 2, 2]);
    const ring = mask(7, 7, [...block(1, 6, 1, 6).filter(([y, x]) => !(y >= 2 && y < 5 && x >= 2 && x < 5)), [3, 3]]);
    assert.equal(findExternalContours(ring, 7, 7).length, 1);
  });
});

describe('built-in dataset with polygon labels', () => {
  const dir = mkdtempSync(join(tmpdir(), 'yolots-shapes-seg-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('each polygon outlines the visible pixels of its object', async () => {
    await ensureShapesDataset({ dir, polygons: true, trainImages: 4, valImages: 1, imgsz: 64 });
    const labels = readdirSync(join(dir, 'labels', 'train'));
    assert.equal(labels.length, 4);
    let lines = 0;
    for (const f of labels) {
      for (const line of readFileSync(join(dir, 'labels', 'train', f), 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)) {
        const values = line.split(' ').map(Number);
        assert.ok(values.length > 6 && values.length % 2 === 1, `${f}: a polygon line`);
        const polygon = values.slice(1).map((v) => v * 64);
        assert.ok(
          polygon2mask([64, 64], polygon).some((v) => v === 1),
          `${f}: a non-empty polygon`,
        );
        lines++;
      }
    }
    assert.ok(lines > 0);
  });
});
