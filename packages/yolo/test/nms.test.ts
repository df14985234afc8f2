import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { nms, nonMaxSuppression } from '../src/utils/nms.js';

const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/ultralytics/', import.meta.url));
const HAVE_FIXTURES = existsSync(`${FIXTURES}nms.json`) && existsSync(`${FIXTURES}nms_input.safetensors`);
if (!HAVE_FIXTURES) console.log(`# skipping NMS parity tests: nms fixtures absent under ${FIXTURES}`);

interface NmsFixture {
  iou: number;
  max_det: number;
  synthetic_kept: Record<string, number[][][]>;
  model_output_kept: Record<string, number[][][]>;
}

/** Same rows in the same order: boxes within 1e-3 px, confidences within 1e-6, identical classes. */
function assertSameDetections(actual: Tensor, expected: number[][], what: string): void {
  const rows = actual.tolist() as number[][];
  assert.equal(rows.length, expected.length, `${what}: ${rows.length} detections, expected ${expected.length}`);
  rows.forEach((row, r) => {
    const want = expected[r]!;
    for (let c = 0; c < 4; c++) {
      assert.ok(Math.abs(row[c]! - want[c]!) <= 1e-3, `${what} row ${r} col ${c}: ${row[c]} vs ${want[c]}`);
    }
    assert.ok(Math.abs(row[4]! - want[4]!) <= 1e-6, `${what} row ${r} conf: ${row[4]} vs ${want[4]}`);
    assert.equal(row[5], want[5], `${what} row ${r} class`);
  });
}

function parseSetting(key: string): { confThres: number; agnostic: boolean; multiLabel: boolean } {
  const fields = Object.fromEntries(key.split(',').map((kv) => kv.split('=') as [string, string]));
  if (fields.conf === undefined || fields.agnostic === undefined || fields.multi_label === undefined) {
    throw new Error(`nms.json: unexpected setting key '${key}'`);
  }
  return { confThres: Number(fields.conf), agnostic: fields.agnostic === 'True', multiLabel: fields.multi_label === 'True' };
}

describe('nonMaxSuppression parity with Ultralytics 8.2.103 (nms.json)', { skip: !HAVE_FIXTURES }, () => {
  const fixture = (): NmsFixture => JSON.parse(readFileSync(`${FIXTURES}nms.json`, 'utf8')) as NmsFixture;

  test('synthetic clustered boxes: same boxes in the same order for every setting, no leaks', () => {
    const { iou, max_det: maxDet, synthetic_kept: kept } = fixture();
    const pred = torch.io.loadSafetensors(`${FIXTURES}nms_input.safetensors`).tensors.get('pred') as Tensor;
    assert.ok(Object.keys(kept).length >= 3);
    for (const [key, perImage] of Object.entries(kept)) {
      const baseline = torch.liveTensors();
      const out = nonMaxSuppression(pred, { ...parseSetting(key), iouThres: iou, maxDet });
      assert.equal(out.length, perImage.length);
      for (const [i, dets] of out.entries()) assertSameDetections(dets, perImage[i]!, `${key} image ${i}`);
      torch.dispose(out);
      assert.equal(torch.liveTensors(), baseline, `${key}: leaked tensors`);
    }
  });

  test('model eval output at conf 0.001 / 0.05 / 0.25', () => {
    const { iou, max_det: maxDet, model_output_kept: kept } = fixture();
    const pred = torch.io.loadSafetensors(`${FIXTURES}forward.safetensors`).tensors.get('eval') as Tensor;
    for (const [conf, perImage] of Object.entries(kept)) {
      const out = nonMaxSuppression(pred, { confThres: Number(conf), iouThres: iou, maxDet, multiLabel: true });
      assert.equal(out.length, perImage.length);
      out.forEach((dets, i) => {
        assert.deepEqual(dets.shape.slice(1), [6]);
        assertSameDetections(dets, perImage[i]!, `conf ${conf} image ${i}`);
      });
    }
  });
});

describe('nms (torchvision semantics)', () => {
  test('greedy by score; IoU exactly at the threshold is kept; ties keep input order', () => {
    // Boxes 0 and 1 overlap with IoU 0.5 exactly; box 2 overlaps box 1 only.
    const boxes = torch.tensor([
      [0, 0, 3, 1],
      [1, 0, 4, 1],
      [2.5, 0, 5.5, 1],
      [10, 10, 11, 11],
    ]);
    const scores = torch.tensor([0.9, 0.8, 0.7, 0.8]);
    assert.deepEqual(nms(boxes, scores, 0.5).toArray(), [0, 1, 3, 2]);
    assert.deepEqual(nms(boxes, scores, 0.49).toArray(), [0, 3, 2]);
    assert.deepEqual(nms(boxes, scores, 0.49, 2).toArray(), [0, 3]);
    assert.deepEqual(nms(torch.zeros([0, 4]), torch.zeros([0]), 0.5).toArray(), []);
  });

  test('matches a plain greedy reference across block boundaries (3000 random boxes)', () => {
    torch.manualSeed(3);
    const n = 3000;
    const xy = torch.rand([n, 2]).mul(400);
    const wh = torch.rand([n, 2]).mul(60).add(2);
    const boxes = torch.cat([xy, xy.add(wh)], 1);
    const scores = torch.rand([n]);
    const got = nms(boxes, scores, 0.45).toArray();

    const b = boxes.toArray();
    const order = Array.from(scores.argsort(0, true).toArray());
    const f = Math.fround;
    const area = (i: number): number => f(f(b[i * 4 + 2]! - b[i * 4]!) * f(b[i * 4 + 3]! - b[i * 4 + 1]!));
    const suppressed = new Uint8Array(n);
    const want: number[] = [];
    for (let p = 0; p < n; p++) {
      const i = order[p]!;
      if (suppressed[i]) continue;
      want.push(i);
      for (let q = p + 1; q < n; q++) {
        const j = order[q]!;
        if (suppressed[j]) continue;
        const w = Math.max(0, f(Math.min(b[i * 4 + 2]!, b[j * 4 + 2]!) - Math.max(b[i * 4]!, b[j * 4]!)));
        const h = Math.max(0, f(Math.min(b[i * 4 + 3]!, b[j * 4 + 3]!) - Math.max(b[i * 4 + 1]!, b[j * 4 + 1]!)));
        const inter = f(w * h);
        if (f(inter / f(f(area(i) + area(j)) - inter)) > 0.45) suppressed[j] = 1;
      }
    }
    assert.ok(want.length > 1100 && want.length < n, `reference kept ${want.length}`);
    assert.deepEqual(got, want);
    // A capped search (blocks sized to the quota) returns the prefix of the full result.
    assert.deepEqual(nms(boxes, scores, 0.45, 700).toArray(), want.slice(0, 700));
  });
});

describe('nonMaxSuppression options', () => {
  // Two images, 3 classes, 4 anchors: rows [x, y, w, h, score0, score1, score2], transposed to (B, 7, N).
  const prediction = (): Tensor =>
    torch
      .tensor([
        [
          [10, 10, 8, 8, 0.9, 0.1, 0.0],
          [11, 10, 8, 8, 0.7, 0.8, 0.0],
          [50, 50, 8, 8, 0.0, 0.0, 0.6],
          [90, 90, 8, 8, 0.1, 0.15, 0.2],
        ],
        [
          [10, 10, 8, 8, 0.0, 0.0, 0.0],
          [10, 10, 8, 8, 0.0, 0.0, 0.0],
          [10, 10, 8, 8, 0.0, 0.0, 0.0],
          [10, 10, 8, 8, 0.0, 0.0, 0.0],
        ],
      ])
      .permute(0, 2, 1)
      .contiguous();

  test('best class, class-aware suppression, empty image', () => {
    const [first, second] = nonMaxSuppression(prediction(), { confThres: 0.25, iouThres: 0.45 });
    assert.deepEqual(first?.tolist(), [
      [6, 6, 14, 14, 0.8999999761581421, 0],
      [7, 6, 15, 14, 0.800000011920929, 1],
      [46, 46, 54, 54, 0.6000000238418579, 2],
    ]);
    assert.deepEqual(second?.shape, [0, 6]);
  });

  test('agnostic suppresses across classes; multi-label adds one row per class; classes filters', () => {
    const [agnostic] = nonMaxSuppression(prediction(), { confThres: 0.25, iouThres: 0.45, agnostic: true });
    assert.deepEqual(agnostic?.select(1, 5).toArray(), [0, 2]);
    const [multi] = nonMaxSuppression(prediction(), { confThres: 0.25, iouThres: 0.45, multiLabel: true });
    // (anchor 1, class 0, 0.7) is suppressed by anchor 0 of the same class; (anchor 1, class 1) survives.
    assert.deepEqual(multi?.narrow(1, 4, 2).tolist(), [
      [0.8999999761581421, 0],
      [0.800000011920929, 1],
      [0.6000000238418579, 2],
    ]);
    const [only2] = nonMaxSuppression(prediction(), { confThres: 0.05, iouThres: 0.45, classes: [2] });
    assert.deepEqual(only2?.select(1, 5).toArray(), [2, 2]);
    const [capped] = nonMaxSuppression(prediction(), { confThres: 0.25, iouThres: 0.45, maxDet: 1 });
    assert.equal(capped?.shape[0], 1);
  });

  test('rejects out-of-range thresholds', () => {
    assert.throws(() => nonMaxSuppression(prediction(), { confThres: 1.5 }), /invalid confThres 1.5/);
    assert.throws(() => nonMaxSuppression(prediction(), { iouThres: -0.1 }), /invalid iouThres -0.1/);
  });
});
