import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { DetectionModel } from '../../src/nn/tasks.js';
import { DetectionLoss } from '../../src/utils/loss.js';
import { checkGradients, fixtureSet, get, relWithin } from './fixture-set.js';

const fixtures = fixtureSet('ultralytics');
const gate = fixtures.gate(['loss.safetensors', 'forward.safetensors', 'batch.safetensors', 'model.safetensors']);

const HEAD = { stride: [8, 16, 32], nc: 80, regMax: 16 } as const;
const GAINS = { box: 7.5, cls: 0.5, dfl: 1.5 } as const;

const load = (name: string): Map<string, Tensor> => fixtures.load(name).tensors;

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
    relWithin(loss.item(), get(expected, 'loss').item(), 1e-4, 'loss');
    const want = get(expected, 'loss_items').toArray();
    const got = items.toArray();
    for (const [i, v] of got.entries()) relWithin(v, want[i]!, 1e-4, ['box', 'cls', 'dfl'][i]!);
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
    relWithin(loss.item(), items.sum().item() * 2, 1e-6, 'loss = sum(items) × B');
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
    const weights = fixtures.load('model.safetensors');
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
        relWithin(loss.item(), get(expected, 'loss').item(), 1e-4, 'loss through the model');
        loss.sum().backward();

        checkGradients(params, expected);
      });
    } finally {
      model.dispose();
    }
  });
});
