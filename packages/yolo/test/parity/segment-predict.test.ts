// SegmentationPredictor on Ultralytics' own best.pt against YOLO(model.pt).predict (fixtures/ultralytics-segment,
// README §7): boxes ≤ 0.05 px, conf ≤ 1e-4, mask pixel counts within 1 %, outlines (Masks.xy) as filled masks IoU ≥ 0.98.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { polygon2mask } from '../../src/data/polygons.js';
import { SegmentationPredictor } from '../../src/models/yolo/segment/predict.js';
import { fixtureGate, readFixtureJson, SEGMENT_FIXTURES } from './segment-fixtures.js';

const gate = fixtureGate(['model.pt', 'predict.json', 'dataset/images/val/val_006.jpg']);

interface PredictFixture {
  image: string;
  orig_shape: [number, number];
  boxes_xyxy_conf_cls: number[][];
  masks_data_shape: [number, number, number];
  mask_pixel_counts: number[];
  masks_xy: number[][][];
}

/** IoU of two polygons (flat xy, image pixels) filled on an h×w canvas. */
function polygonIou(a: ArrayLike<number>, b: ArrayLike<number>, [h, w]: [number, number]): number {
  const ma = polygon2mask([h, w], a);
  const mb = polygon2mask([h, w], b);
  let inter = 0;
  let union = 0;
  for (let p = 0; p < ma.length; p++) {
    inter += ma[p] && mb[p] ? 1 : 0;
    union += ma[p] || mb[p] ? 1 : 0;
  }
  return union ? inter / union : 1;
}

describe('SegmentationPredictor parity with Ultralytics 8.2.103 (its best.pt)', gate, () => {
  const dir = mkdtempSync(join(tmpdir(), 'yolots-seg-predict-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('boxes, confidences, mask sizes and pixel counts, outlines', async () => {
    const fx = readFixtureJson<PredictFixture>('predict.json');
    const predictor = new SegmentationPredictor({ overrides: { imgsz: 256, conf: 0.1, save: false, verbose: false, project: dir } });
    const [result] = await predictor.predict(join(SEGMENT_FIXTURES, fx.image), join(SEGMENT_FIXTURES, 'model.pt'));
    assert.ok(result?.boxes && result.masks);
    assert.deepEqual(result.origShape, fx.orig_shape);
    assert.deepEqual(result.masks.shape, fx.masks_data_shape);
    const rows = result.boxes.rows;
    assert.equal(result.boxes.length, fx.boxes_xyxy_conf_cls.length);
    let box = 0;
    let conf = 0;
    fx.boxes_xyxy_conf_cls.forEach((want, i) => {
      for (let c = 0; c < 4; c++) box = Math.max(box, Math.abs(rows[i * 6 + c]! - want[c]!));
      conf = Math.max(conf, Math.abs(rows[i * 6 + 4]! - want[4]!));
      assert.equal(rows[i * 6 + 5], want[5], `detection ${i}: class`);
    });
    const [n, h, w] = result.masks.shape;
    const counts = Array.from(
      { length: n },
      (_, i) => result.masks?.masks.subarray(i * h * w, (i + 1) * h * w).reduce((a, b) => a + b, 0) ?? 0,
    );
    const countRel = Math.max(...counts.map((c, i) => Math.abs(c - fx.mask_pixel_counts[i]!) / fx.mask_pixel_counts[i]!));
    const ious = result.masks.xy.map((xy, i) => polygonIou(xy, fx.masks_xy[i]!.flat(), fx.orig_shape));
    console.log(
      `# predict: boxes max |diff| ${box.toExponential(2)} px (tolerance 0.05), conf ${conf.toExponential(2)} (1e-4), ` +
        `pixel counts ${counts.join(', ')} (worst ${(countRel * 100).toFixed(2)} %, tolerance 1 %), outline IoU min ${Math.min(...ious).toFixed(4)} (≥ 0.98)`,
    );
    assert.ok(box <= 0.05, `boxes differ by ${box} px`);
    assert.ok(conf <= 1e-4, `confidences differ by ${conf}`);
    assert.ok(countRel <= 0.01, `pixel counts ${counts} vs ${fx.mask_pixel_counts}`);
    assert.ok(Math.min(...ious) >= 0.98, `outline IoUs ${ious}`);
  });
});
