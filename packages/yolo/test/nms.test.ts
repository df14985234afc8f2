import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { nms, nonMaxSuppression } from '../src/utils/nms.js';

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
