import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '@yolots/torch';
import { bboxIou } from '../src/utils/metrics-box.js';
import { boxIou, clipBoxes, scaleBoxes, xywh2xyxy, xyxy2xywh } from '../src/utils/ops.js';

function assertAllClose(actual: unknown, expected: unknown, tol: number, path = 'value'): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual) && actual.length === expected.length, `${path}: length differs`);
    for (const [i, e] of expected.entries()) assertAllClose((actual as unknown[])[i], e, tol, `${path}[${i}]`);
  } else {
    assert.ok(Math.abs((actual as number) - (expected as number)) <= tol, `${path}: ${actual} vs ${expected}`);
  }
}

describe('box conversions', () => {
  test('xywh2xyxy and xyxy2xywh round-trip over leading dims', () => {
    const xywh = torch.tensor([[[10, 20, 4, 6]], [[0, 0, 1, 1]]]);
    const xyxy = xywh2xyxy(xywh);
    assert.deepEqual(xyxy.tolist(), [[[8, 17, 12, 23]], [[-0.5, -0.5, 0.5, 0.5]]]);
    assert.deepEqual(xyxy2xywh(xyxy).tolist(), xywh.tolist());
    assert.throws(() => xywh2xyxy(torch.zeros([2, 5])), /xywh2xyxy: expected boxes of shape \(\.\.\., 4\), got \[2, 5\]/);
  });

  test('clipBoxes clamps x to width and y to height, leaving extra columns alone', () => {
    const dets = torch.tensor([[-5, 3, 700, 500, 0.9, 2]]);
    assert.deepEqual(clipBoxes(dets, [480, 640]).tolist(), [[0, 3, 640, 480, 0.8999999761581421, 2]]);
  });

  test('scaleBoxes undoes a letterbox (computed and from ratio_pad)', () => {
    // 640x480 (w x h) image letterboxed into 640x640: gain 1, vertical pad 80.
    const boxes = torch.tensor([[100, 180, 200, 280]]);
    assert.deepEqual(scaleBoxes([640, 640], boxes, [480, 640]).tolist(), [[100, 100, 200, 200]]);
    // 481 wide, 640 high into 320x320: gain 0.5, pad w = round((320 - 240.5)/2 - 0.1) = round(39.65) = 40.
    const small = torch.tensor([[40, 0, 80, 20]]);
    assert.deepEqual(scaleBoxes([320, 320], small, [640, 481]).tolist(), [[0, 0, 80, 40]]);
    // ratio_pad as the dataset records it wins over the recomputed geometry.
    const rp = [
      [0.5, 0.501039501039501],
      [39, 0],
    ] as const;
    assert.deepEqual(scaleBoxes([320, 320], small, [640, 481], { ratioPad: rp }).tolist(), [[2, 0, 82, 40]]);
    assert.deepEqual(scaleBoxes([320, 320], small, [640, 481], { ratioPad: rp, padding: false }).tolist(), [[80, 0, 160, 40]]);
  });

  test('the padding is rounded after subtracting 0.1, as Ultralytics does', () => {
    // (100 - 79)/2 = 10.5 would round to 11 (or 10 by halves-to-even); Ultralytics rounds 10.5 - 0.1 = 10.4 → 10.
    const box = torch.tensor([[20, 20, 30, 30]]);
    assert.deepEqual(scaleBoxes([100, 100], box, [79, 100]).tolist(), [[20, 10, 30, 20]]);
  });
});

describe('IoU', () => {
  test('boxIou pairwise matrix', () => {
    const a = torch.tensor([
      [0, 0, 2, 2],
      [1, 1, 3, 3],
    ]);
    const b = torch.tensor([
      [0, 0, 2, 2],
      [2, 2, 4, 4],
      [10, 10, 11, 11],
    ]);
    assertAllClose(
      boxIou(a, b).tolist(),
      [
        [1, 0, 0],
        [1 / 7, 1 / 7, 0],
      ],
      1e-6,
    );
  });

  test('bboxIou: IoU, GIoU, DIoU and CIoU against hand-computed values', () => {
    const b1 = torch.tensor([[0, 0, 4, 2]]);
    const b2 = torch.tensor([[2, 0, 6, 4]]);
    // inter 2x2 = 4; union 8 + 16 - 4 = 20 → IoU 0.2; hull 6x4 = 24 → GIoU 0.2 - 4/24.
    const iou = 0.2;
    const giou = iou - 4 / 24;
    // centres (2,1) and (4,2): rho² = 5; hull diagonal² = 36 + 16 = 52.
    const diou = iou - 5 / 52;
    const v = (4 / Math.PI ** 2) * (Math.atan(1) - Math.atan(2)) ** 2;
    const ciou = diou - v * (v / (v - iou + 1));
    for (const [kind, want] of [
      ['iou', iou],
      ['giou', giou],
      ['diou', diou],
      ['ciou', ciou],
    ] as const) {
      const got = bboxIou(b1, b2, { xywh: false, kind }).item();
      assert.ok(Math.abs(got - want) < 1e-5, `${kind}: ${got} vs ${want}`);
    }
    const asXywh = bboxIou(xyxy2xywh(b1), xyxy2xywh(b2), { kind: 'ciou' }).item();
    assert.ok(Math.abs(asXywh - ciou) < 1e-5, `xywh input: ${asXywh}`);
  });

  test('CIoU gradient flows through IoU, distance and aspect terms but not through alpha', () => {
    const pred = torch.tensor([[0.5, 0, 4, 3]]).requiresGrad_(true);
    const target = torch.tensor([[0, 0, 4, 2]]);
    bboxIou(pred, target, { xywh: false, kind: 'ciou' }).sum().backward();
    const grad = pred.grad?.toArray() ?? [];
    assert.equal(grad.length, 4);
    assert.ok(grad.every((g) => Number.isFinite(g)) && grad.some((g) => g !== 0));
  });
});
