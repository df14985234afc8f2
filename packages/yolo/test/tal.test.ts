import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { bboxIou } from '../src/utils/metrics-box.js';
import { bbox2dist, dist2bbox, makeAnchors, selectCandidatesInGts, selectHighestOverlaps, TaskAlignedAssigner } from '../src/utils/tal.js';

describe('TaskAlignedAssigner behaviour', () => {
  const anchors = (): Tensor => makeAnchors([torch.zeros([1, 1, 4, 4])], [8])[0].mul(8); // 4x4 grid, stride 8, pixels

  test('no GT rows: everything is background', () => {
    const out = new TaskAlignedAssigner({ numClasses: 3 }).forward(
      torch.rand([2, 16, 3]),
      torch.rand([2, 16, 4]),
      anchors(),
      torch.zeros([2, 0, 1]),
      torch.zeros([2, 0, 4]),
      torch.zeros([2, 0, 1]),
    );
    assert.equal(out.fgMask.any().item(), 0);
    assert.equal(out.targetScores.abs().sum().item(), 0);
    assert.deepEqual(out.targetLabels.shape, [2, 16]);
    assert.equal(out.targetLabels.min().item(), 3);
  });

  test('the best-aligned anchor of a GT gets a target equal to that GT’s best IoU, padded GTs assign nothing', () => {
    // One GT covering the top-left 2x2 cells (anchor centres 4 and 12 px); predictions equal the GT on anchor 0.
    const gt = torch.tensor([
      [
        [0, 0, 16, 16],
        [0, 0, 0, 0],
      ],
    ]);
    const labels = torch.tensor([[[2], [0]]]);
    const maskGt = torch.tensor([[[1], [0]]]);
    const pdBboxes = torch
      .tensor([[0, 0, 16, 16]])
      .expand(16, 4)
      .clone()
      .unsqueeze(0);
    pdBboxes.iSet([0, '1:'], torch.tensor([0, 0, 12, 12]));
    const pdScores = torch.full([1, 16, 3], 0.5);
    const out = new TaskAlignedAssigner({ topk: 10, numClasses: 3, alpha: 0.5, beta: 6 }).forward(
      pdScores,
      pdBboxes,
      anchors(),
      labels,
      gt,
      maskGt,
    );
    const fg = out.fgMask.toArray();
    // Inside the GT: anchors (4,4), (12,4), (4,12), (12,12) = indices 0, 1, 4, 5.
    assert.deepEqual(
      fg.flatMap((v, i) => (v ? [i] : [])),
      [0, 1, 4, 5],
    );
    const scores = out.targetScores.select(2, 2).toArray();
    assert.ok(Math.abs(scores[0]! - 1) < 1e-5, `best anchor target ${scores[0]}`);
    const iou = bboxIou(torch.tensor([0, 0, 16, 16]), torch.tensor([0, 0, 12, 12]), { xywh: false, kind: 'ciou' }).item();
    const metricRatio = iou ** 6 / 1; // align of anchor 1 relative to anchor 0 (same score)
    assert.ok(Math.abs(scores[1]! - metricRatio) < 1e-5, `second anchor target ${scores[1]} vs ${metricRatio}`);
    assert.equal(out.targetScores.select(2, 0).abs().sum().item(), 0, 'no score on other classes');
    assert.deepEqual(
      out.targetGtIdx.toArray().filter((_, i) => fg[i]),
      [0, 0, 0, 0],
    );
  });

  test('a batch assigned a few images at a time (maxPairBytes) gives the whole batch’s assignment', () => {
    torch.manualSeed(3);
    const [b, m, a] = [5, 4, 64];
    const grid = makeAnchors([torch.zeros([1, 1, 8, 8])], [8])[0].mul(8); // 8x8 grid, 64 px square
    const xy = torch.rand([b, m, 2]).mul(40);
    const gtBboxes = torch.cat([xy, xy.add(torch.rand([b, m, 2]).mul(30).add(8))], 2);
    const maskGt = torch.tensor([1, 1, 1, 0]).view(1, m, 1).expand(b, m, 1).contiguous();
    maskGt.iSet([2], 0); // an image without labels
    const inputs = [
      torch.rand([b, a, 3]),
      torch.cat([grid.sub(10), grid.add(10)], 1).add(torch.rand([b, a, 4]).mul(6)),
      grid,
      torch.randint(0, 3, [b, m, 1]).float(),
      gtBboxes,
      maskGt,
    ] as const;
    const whole = new TaskAlignedAssigner({ topk: 5, numClasses: 3, alpha: 0.5, beta: 6 }).forward(...inputs);
    // m·a·4 bytes per image: 2 images per chunk, then 1.
    const chunked = new TaskAlignedAssigner({ topk: 5, numClasses: 3, alpha: 0.5, beta: 6, maxPairBytes: 2 * m * a * 4 }).forward(
      ...inputs,
    );
    assert.ok(whole.fgMask.sum().item() > 10, 'the batch has foreground anchors');
    for (const key of ['targetLabels', 'targetBboxes', 'targetScores', 'fgMask', 'targetGtIdx'] as const) {
      assert.deepEqual(chunked[key].shape, whole[key].shape, key);
      assert.deepEqual(chunked[key].toArray(), whole[key].toArray(), key);
    }
  });
});

describe('assigner helpers', () => {
  test('selectCandidatesInGts is strict on the box edge', () => {
    const centers = torch.tensor([
      [4, 4],
      [8, 4],
      [12, 4],
    ]);
    const inside = selectCandidatesInGts(centers, torch.tensor([[[0, 0, 8, 8]]]));
    assert.deepEqual(inside.toArray(), [1, 0, 0]);
  });

  test('selectHighestOverlaps gives a shared anchor to the GT with the larger IoU', () => {
    const maskPos = torch.tensor([
      [
        [1, 1, 0],
        [0, 1, 1],
      ],
    ]);
    const overlaps = torch.tensor([
      [
        [0.9, 0.3, 0],
        [0, 0.6, 0.8],
      ],
    ]);
    const { targetGtIdx, fgMask, maskPos: resolved } = selectHighestOverlaps(maskPos, overlaps);
    assert.deepEqual(targetGtIdx.toArray(), [0, 1, 1]);
    assert.deepEqual(fgMask.toArray(), [1, 1, 1]);
    assert.deepEqual(resolved.tolist(), [
      [
        [1, 0, 0],
        [0, 1, 1],
      ],
    ]);
  });

  test('makeAnchors: cell centres per level, row-major, with strides', () => {
    const [points, strides] = makeAnchors([torch.zeros([1, 5, 2, 3]), torch.zeros([1, 5, 1, 2])], [8, 16]);
    assert.deepEqual(points.tolist(), [
      [0.5, 0.5],
      [1.5, 0.5],
      [2.5, 0.5],
      [0.5, 1.5],
      [1.5, 1.5],
      [2.5, 1.5],
      [0.5, 0.5],
      [1.5, 0.5],
    ]);
    assert.deepEqual(strides.flatten().toArray(), [8, 8, 8, 8, 8, 8, 16, 16]);
    assert.throws(() => makeAnchors([torch.zeros([1, 1, 1, 1])], []), /1 feature maps but 0 strides/);
  });

  test('dist2bbox and bbox2dist invert each other within the clamp range', () => {
    const anchorsPts = torch.tensor([
      [5.5, 3.5],
      [1.5, 1.5],
    ]);
    const ltrb = torch.tensor([
      [1, 2, 3, 4],
      [0.5, 1, 20, 1],
    ]);
    const xyxy = dist2bbox(ltrb, anchorsPts, false);
    assert.deepEqual(xyxy.tolist(), [
      [4.5, 1.5, 8.5, 7.5],
      [1, 0.5, 21.5, 2.5],
    ]);
    assert.deepEqual(dist2bbox(ltrb, anchorsPts, true).tolist(), [
      [6.5, 4.5, 4, 6],
      [11.25, 1.5, 20.5, 2],
    ]);
    const back = bbox2dist(anchorsPts, xyxy, 15).tolist() as number[][];
    assert.deepEqual(back[0], [1, 2, 3, 4]);
    assert.ok(Math.abs(back[1]![2]! - 14.99) < 1e-5, 'distance clamped to regMax - 0.01');
  });
});
