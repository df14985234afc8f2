import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '@yolots/torch';
import { BboxLoss, DetectionLoss, DFLoss } from '../src/utils/loss.js';

const HEAD = { stride: [8, 16, 32], nc: 80, regMax: 16 } as const;
const GAINS = { box: 7.5, cls: 0.5, dfl: 1.5 } as const;

function assertRelClose(actual: number, expected: number, rtol: number, what: string): void {
  const rel = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-12);
  assert.ok(rel <= rtol, `${what}: ${actual} vs ${expected} (relative diff ${rel.toExponential(2)} > ${rtol})`);
}

describe('DetectionLoss edge cases', () => {
  test('an image batch without labels gives only a class loss and no box/dfl loss', () => {
    torch.manualSeed(0);
    const preds = [torch.randn([2, 144, 4, 4]), torch.randn([2, 144, 2, 2]), torch.randn([2, 144, 1, 1])];
    const empty = { batchIdx: torch.zeros([0]), cls: torch.zeros([0, 1]), bboxes: torch.zeros([0, 4]) };
    const [loss, items] = new DetectionLoss(HEAD, GAINS).compute(preds, empty);
    const [box, cls, dfl] = items.toArray() as [number, number, number];
    assert.equal(box, 0);
    assert.equal(dfl, 0);
    // With no positives every target is 0 and the normaliser is 1: cls = 0.5 · Σ BCE(logit, 0) = 0.5 · Σ softplus(logit).
    const expectedCls = torch.tidy(() =>
      torch
        .cat(preds.map((p) => p.narrow(1, 64, 80).flatten()))
        .exp()
        .log1p()
        .sum()
        .mul(0.5)
        .item(),
    );
    assertRelClose(cls, expectedCls, 1e-5, 'cls');
    assertRelClose(loss.item(), cls * 2, 1e-6, 'loss');
  });

  test('bad inputs name the problem', () => {
    const criterion = new DetectionLoss(HEAD, GAINS);
    const wrongChannels = [torch.zeros([1, 100, 2, 2]), torch.zeros([1, 144, 1, 1]), torch.zeros([1, 144, 1, 1])];
    const batch = { batchIdx: torch.zeros([0]), cls: torch.zeros([0, 1]), bboxes: torch.zeros([0, 4]) };
    assert.throws(() => criterion.compute(wrongChannels, batch), /feature map 0 has shape \[1,100,2,2\], expected \(B, 144, H, W\)/);
    const preds = [torch.zeros([1, 144, 2, 2]), torch.zeros([1, 144, 1, 1]), torch.zeros([1, 144, 1, 1])];
    const outside = { batchIdx: torch.tensor([3]), cls: torch.zeros([1, 1]), bboxes: torch.tensor([[0.5, 0.5, 0.2, 0.2]]) };
    assert.throws(() => criterion.compute(preds, outside), /label 0 has batchIdx 3, outside the batch of 1 images/);
    assert.throws(() => new DetectionLoss(HEAD, { box: Number.NaN, cls: 0.5, dfl: 1.5 }), /loss gain 'box'/);
  });
});

describe('DFLoss and BboxLoss', () => {
  test('DFL of a target exactly on a bin is the cross entropy of that bin', () => {
    torch.manualSeed(1);
    const logits = torch.randn([4, 16]);
    const target = torch.tensor([[3, 0, 7.5, 14.99]]);
    const got = new DFLoss(16).compute(logits, target).item();
    const logp = logits.logSoftmax(1).tolist() as number[][];
    const ce = (row: number, bin: number): number => -logp[row]![bin]!;
    const sides = [ce(0, 3), ce(1, 0), 0.5 * ce(2, 7) + 0.5 * ce(2, 8), 0.01 * ce(3, 14) + 0.99 * ce(3, 15)];
    assertRelClose(got, sides.reduce((a, b) => a + b) / 4, 1e-5, 'dfl');
  });

  test('a perfect prediction has zero IoU loss; the loss is normalised by the target-score sum', () => {
    const box = torch.tensor([[[1, 1, 3, 4]]]);
    const anchors = torch.tensor([[2, 2]]);
    const scores = torch.tensor([[[0.8, 0]]]);
    const fg = torch.tensor([[true]]);
    const dist = torch.zeros([1, 1, 64]);
    const [iouLoss] = new BboxLoss(16).compute(dist, box, anchors, box, scores, torch.tensor(2), fg);
    assert.ok(Math.abs(iouLoss.item()) < 1e-6, `iou loss ${iouLoss.item()}`);
    const shifted = torch.tensor([[[2, 1, 4, 4]]]);
    const [iouHalf] = new BboxLoss(16).compute(dist, shifted, anchors, box, scores, torch.tensor(2), fg);
    const [iouOne] = new BboxLoss(16).compute(dist, shifted, anchors, box, scores, torch.tensor(1), fg);
    assertRelClose(iouOne.item(), iouHalf.item() * 2, 1e-6, 'normalisation');
    assert.ok(iouOne.item() > 0.3);
  });
});
