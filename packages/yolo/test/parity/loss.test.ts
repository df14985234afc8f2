import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { DetectionModel } from '../../src/nn/tasks.js';
import { DetectionLoss } from '../../src/utils/loss.js';
import { requireShared, sharedPath } from '../helpers/shared.js';

const FIXTURES = sharedPath('fixtures/ultralytics/');
const gate = requireShared(
  ['loss.safetensors', 'forward.safetensors', 'batch.safetensors', 'model.safetensors'].map((f) => FIXTURES + f),
  'loss parity',
);

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

describe('DetectionLoss parity with Ultralytics 8.2.103 (fixture batch, train-mode head maps)', gate, () => {
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

describe('gradients through DetectionModel match Ultralytics (loss.safetensors)', gate, () => {
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
