// Segment labels → masks against the real Ultralytics 8.2.103 (fixtures/ultralytics-segment, README §0, §2, §9):
// polygon2mask / polygons2masks_overlap from the stored letterboxed polygons (identical), the overlap quirk case, and
// the whole validation pipeline (label files → 1000-point polygons → LetterBox → Format masks → collate).
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { dataArgs } from '../../src/data/args.js';
import { collate } from '../../src/data/collate.js';
import { YOLODataset } from '../../src/data/dataset.js';
import { polygons2masks, polygons2masksOverlap } from '../../src/data/polygons.js';
import { fixtureGate, get, loadFixture, readFixtureJson, SEGMENT_FIXTURES } from './segment-fixtures.js';

const gate = fixtureGate(['batch.safetensors', 'overlap_case.json', 'dataset/labels/val/val_000.txt']);
const quiet = { info: () => {}, warn: () => {} };

interface OverlapCase {
  image_hw: [number, number];
  mask_ratio: number;
  polygons_px: number[][][];
  per_polygon_masks: number[][][];
  areas: number[];
  order: number[];
  overlap_mask: number[][];
}

describe('segment masks parity with Ultralytics 8.2.103', gate, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'yolots-seg-data-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  test('polygons2masks_overlap on the hand-made case: per-polygon masks, areas, order (zero area first), overlap mask', () => {
    const c = readFixtureJson<OverlapCase>('overlap_case.json');
    const polygons = c.polygons_px.map((p) => p.flat());
    const per = polygons2masks(c.image_hw, polygons, c.mask_ratio);
    assert.deepEqual(Array.from(per), c.per_polygon_masks.flat(2));
    const { mask, order } = polygons2masksOverlap(c.image_hw, polygons, c.mask_ratio);
    assert.deepEqual(order, c.order);
    assert.deepEqual(Array.from(mask), c.overlap_mask.flat());
  });

  test('instance and overlap masks from the stored letterboxed polygons are identical', () => {
    const { tensors } = loadFixture('batch.safetensors');
    try {
      for (const i of [0, 1]) {
        const segments = get(tensors, `segments.${i}`);
        const n = segments.shape[0]!;
        const flat = segments.toTypedArray() as Float32Array;
        const polygons = Array.from({ length: n }, (_, k) => flat.subarray(k * 2000, (k + 1) * 2000));
        const per = polygons2masks([256, 256], polygons, 4);
        assert.deepEqual(per, get(tensors, `instance_masks.${i}`).toTypedArray(), `instance masks of image ${i}`);
        const { mask, order } = polygons2masksOverlap([256, 256], polygons, 4);
        assert.deepEqual(order, get(tensors, `label_order.${i}`).toArray(), `label order of image ${i}`);
        assert.deepEqual(mask, (get(tensors, 'masks').select(0, i).contiguous().toTypedArray() as Uint8Array).slice(), `overlap mask ${i}`);
      }
    } finally {
      torch.dispose([...tensors.values()]);
    }
  });

  test('the validation pipeline from the label files: label order, boxes, masks (edge pixels aside), polygons', async () => {
    const { tensors, metadata } = loadFixture('batch.safetensors');
    const files = JSON.parse(metadata.im_file as string) as string[];
    for (const split of ['images', 'labels']) mkdirSync(join(scratch, split, 'val'), { recursive: true });
    for (const f of files) {
      const stem = f
        .split('/')
        .pop()
        ?.replace(/\.jpg$/, '') as string;
      copyFileSync(join(SEGMENT_FIXTURES, 'dataset/labels/val', `${stem}.txt`), join(scratch, 'labels/val', `${stem}.txt`));
      copyFileSync(join(SEGMENT_FIXTURES, f), join(scratch, 'images/val', `${stem}.jpg`));
    }
    const ds = await YOLODataset.create({
      imgPath: join(scratch, 'images/val'),
      hyp: dataArgs({ imgsz: 256 }),
      nc: 3,
      batchSize: 2,
      augment: false,
      task: 'segment',
      log: quiet,
    });
    try {
      const batch = collate([await ds.getItem(0, 0), await ds.getItem(1, 0)]);
      assert.deepEqual(batch.masksShape, [2, 64, 64]);
      assert.deepEqual(Array.from(batch.batchIdx), get(tensors, 'batch_idx').toArray());
      assert.deepEqual(Array.from(batch.cls), get(tensors, 'cls').toArray(), 'classes in area order: identical label order');
      const boxes = get(tensors, 'bboxes').toArray();
      const boxDiff = Math.max(...Array.from(batch.bboxes, (v, k) => Math.abs(v - boxes[k]!)));
      assert.ok(boxDiff <= 1e-6, `bboxes: max |diff| ${boxDiff}`);
      const want = get(tensors, 'masks').toTypedArray() as Uint8Array;
      const got = batch.masks as Uint8Array;
      let differing = 0;
      for (let p = 0; p < want.length; p++) if (got[p] !== want[p]) differing++;
      console.log(
        `# pipeline: bboxes max |diff| ${boxDiff.toExponential(2)} (tolerance 1e-6); ${differing} of ${want.length} mask pixels differ`,
      );
      assert.ok(differing <= 8, `${differing} mask pixels differ (only edge pixels may)`);

      // The 1000-point polygons after LetterBox, before masks: the same points within float32 rounding.
      for (const i of [0, 1]) {
        const sample = await ds.transforms.apply(
          await ds.getImageAndLabel(i),
          (await import('../../src/data/random.js')).Random.forSample(0, 0, i),
        );
        const stored = get(tensors, `segments.${i}`).toTypedArray() as Float32Array;
        const diff = Math.max(...Array.from(sample.instances.segments, (v, k) => Math.abs(v - stored[k]!)));
        console.log(`# image ${i}: letterboxed 1000-point polygons max |diff| ${diff.toExponential(2)} px`);
        assert.ok(diff <= 1e-3, `polygons of image ${i} differ by ${diff} px`);
      }
    } finally {
      torch.dispose([...tensors.values()] as Tensor[]);
    }
  });
});
