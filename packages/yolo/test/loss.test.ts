import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { DetectionModel } from '../src/nn/tasks.js';
import { BboxLoss, DetectionLoss, DFLoss } from '../src/utils/loss.js';

const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/ultralytics/', import.meta.url));
const HAVE_FIXTURES = ['loss.safetensors', 'forward.safetensors', 'batch.safetensors', 'model.safetensors'].every((f) =>
  existsSync(FIXTURES + f),
);
if (!HAVE_FIXTURES) console.log(`# skipping loss parity tests: ${FIXTURES} is absent`);

const HEAD = { stride: [8, 16, 32], nc: 80, regMax: 16 } as const;
const GAINS = { box: 7.5, cls: 0.5, dfl: 1.5 } as const;

function load(name: string): Map<string, Tensor> {
  return torch.io.loadSafetensors(`${FIXTURES}${name}`).tensors;
}

function get(map: Map<string, Tensor>, key: string): Tensor {
  const t = map.get(key);
  if (t === undefined) throw new Error(`fixture tensor '${key}' missing`);
  return t;
}

function assertRelClose(actual: number, expected: number, rtol: number, what: string): void {
  const rel = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-12);
  assert.ok(rel <= rtol, `${what}: ${actual} vs ${expected} (relative diff ${rel.toExponential(2)} > ${rtol})`);
}

describe('DetectionLoss parity with Ultralytics 8.2.103 (fixture batch, train-mode head maps)', { skip: !HAVE_FIXTURES }, () => {
  test('loss and (box, cls, dfl) items within 1e-4 relative, no leaked tensors', () => {
    const forward = load('forward.safetensors');
    const batchTensors = load('batch.safetensors');
    const expected = load('loss.safetensors');
    const preds = ['train_p3', 'train_p4', 'train_p5'].map((k) => get(forward, k));
    const batch = { batchIdx: get(batchTensors, 'batch_idx'), cls: get(batchTensors, 'cls'), bboxes: get(batchTensors, 'bboxes') };
    const criterion = new DetectionLoss(HEAD, GAINS);

    const baseline = torch.liveTensors();
    const [loss, items] = criterion.compute(preds, batch);
    assert.deepEqual(loss.shape, []);
    assert.deepEqual(items.shape, [3]);
    assertRelClose(loss.item(), get(expected, 'loss').item(), 1e-4, 'loss');
    const want = get(expected, 'loss_items').toArray();
    const got = items.toArray();
    for (const [i, v] of got.entries()) assertRelClose(v, want[i]!, 1e-4, ['box', 'cls', 'dfl'][i]!);
    console.log(`loss ${loss.item()} (fixture ${get(expected, 'loss').item()}), items ${got.join(', ')} (fixture ${want.join(', ')})`);
    loss.dispose();
    items.dispose();
    assert.equal(torch.liveTensors(), baseline, 'compute() leaked tensors');
  });

  test('gradients reach the head maps and the loss is scaled by batch size', () => {
    const forward = load('forward.safetensors');
    const batchTensors = load('batch.safetensors');
    const batch = { batchIdx: get(batchTensors, 'batch_idx'), cls: get(batchTensors, 'cls'), bboxes: get(batchTensors, 'bboxes') };
    const preds = ['train_p3', 'train_p4', 'train_p5'].map((k) => get(forward, k).clone().requiresGrad_(true));
    const [loss, items] = new DetectionLoss(HEAD, GAINS).compute(preds, batch);
    assertRelClose(loss.item(), items.sum().item() * 2, 1e-6, 'loss = sum(items) × B');
    assert.equal(items.requiresGrad, false);
    loss.backward();
    for (const p of preds) {
      const g = p.grad;
      assert.ok(g !== null && g.abs().sum().item() > 0, 'head map received no gradient');
    }
  });
});

describe('gradients through DetectionModel match Ultralytics (loss.safetensors)', { skip: !HAVE_FIXTURES }, () => {
  test('grad_norm and the three named parameter grads within 1e-3 relative', () => {
    const weights = torch.io.loadSafetensors(`${FIXTURES}model.safetensors`);
    const batchTensors = load('batch.safetensors');
    const expected = load('loss.safetensors');
    const model = new DetectionModel(JSON.parse(weights.metadata.yaml as string), { verbose: false });
    try {
      model.loadStateDict(weights.tensors, { strict: true });
      model.train();
      const batch = { batchIdx: get(batchTensors, 'batch_idx'), cls: get(batchTensors, 'cls'), bboxes: get(batchTensors, 'bboxes') };
      const criterion = new DetectionLoss({ stride: model.stride, nc: model.nc, regMax: 16 }, GAINS);
      const params = new Map(model.namedParameters());
      torch.tidy(() => {
        const [loss] = criterion.compute(model.call(get(batchTensors, 'img')) as Tensor[], batch);
        assertRelClose(loss.item(), get(expected, 'loss').item(), 1e-4, 'loss through the model');
        loss.sum().backward();

        const squares = [...params.values()].map((p) => (p.grad === null ? 0 : p.grad.pow(2).sum().item()));
        const gradNorm = Math.sqrt(squares.reduce((a, b) => a + b, 0));
        const wantNorm = get(expected, 'grad_norm').item();
        assertRelClose(gradNorm, wantNorm, 1e-3, 'grad_norm');
        const report = [`grad_norm ${gradNorm.toFixed(4)} vs ${wantNorm.toFixed(4)}`];
        for (const name of ['model.0.conv.weight', 'model.22.cv3.2.2.weight', 'model.22.cv2.0.2.bias']) {
          const grad = params.get(name)?.grad;
          assert.ok(grad, `no gradient for ${name}`);
          const want = get(expected, `grad.${name}`);
          const rel = grad.sub(want).norm().item() / want.norm().item();
          assert.ok(rel <= 1e-3, `${name}: ‖grad − expected‖ / ‖expected‖ = ${rel.toExponential(2)}`);
          report.push(`${name} ${rel.toExponential(2)}`);
        }
        console.log(`relative gradient diffs: ${report.join(', ')}`);
      });
    } finally {
      model.dispose();
    }
  });
});

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
