// YOLO26 against the real Ultralytics 8.4.104 (fixtures/ultralytics-yolo26, README §1, §2, §3, §6, §7): layer tables
// and model.info() of yolo26n/s unfused and fused; the trained weights load strictly; the end-to-end head's
// one-to-many / one-to-one outputs (eval and train), the top-k inference output (also fused), BatchNorm statistics;
// the top-k on synthetic input; the loss and gradients through the model at epochs 0 and 60.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import type { Batch } from '../../src/data/batch.js';
import { loadDetectionModel } from '../../src/models/yolo/detect/load.js';
import type { DetectionPrediction84 } from '../../src/nn/modules/head.js';
import { topkDetections } from '../../src/nn/modules/head-e2e.js';
import { DetectionModel } from '../../src/nn/tasks.js';
import type { E2ELoss, EndToEndOutput } from '../../src/utils/loss-e2e.js';
import { captureLog } from '../helpers/capture-log.js';
import { checkBatchNormStats, checkDecoded, checkGradients, fixtureSet, get, relWithin, scoresWithin, within } from './fixture-set.js';
import { checkLayerTables, checkSummaries } from './layer-tables.js';

const fixtures = fixtureSet('ultralytics-yolo26');
const gate = fixtures.gate([
  'model.safetensors',
  'forward.safetensors',
  'batch.safetensors',
  'loss.safetensors',
  'loss.json',
  'model_info.json',
  'topk.safetensors',
  'layers_yolo26n.txt',
  'layers_yolo26s.txt',
]);

/** Top-k rows: same classes row by row, boxes ≤ 1e-3 px, scores relative. */
function checkTopk(rows: Tensor, expected: Tensor, what: string): void {
  assert.deepEqual(rows.shape, expected.shape, `${what}: shape`);
  assert.ok(
    torch.tidy(() => rows.select(-1, 5).eq(expected.select(-1, 5)).all().item()),
    `${what}: classes differ`,
  );
  within(rows.narrow(-1, 0, 4), expected.narrow(-1, 0, 4), 1e-3, `${what} boxes`);
  scoresWithin(rows.select(-1, 4), expected.select(-1, 4), `${what} scores`);
}

function fixtureModel(): DetectionModel {
  const weights = fixtures.load('model.safetensors');
  const model = new DetectionModel('yolo26n.yaml', { verbose: false });
  model.loadStateDict(weights.tensors, { strict: true });
  assert.deepEqual(model.stride, JSON.parse(weights.metadata.stride as string));
  torch.dispose([...weights.tensors.values()]);
  return model;
}

describe('YOLO26 parity with Ultralytics 8.4.104 (yolo26n fixture weights)', gate, () => {
  test('layer tables and model.info() of yolo26n and yolo26s, unfused and fused', () => {
    checkLayerTables(fixtures, 'yolo26');
  });

  test("m/l/x (C3k forced, attention kept in layer 22) match the yaml's summaries", () => {
    const summaries = { m: [280, 21896248, 75.4], l: [392, 26299704, 93.8], x: [392, 58993368, 209.5] } as const;
    checkSummaries(summaries, (scale) => new DetectionModel(`yolo26${scale}.yaml`, { verbose: false }));
  });

  test('eval: one-to-one and one-to-many outputs, top-k [B, 300, 6]; end2end=false decodes xywh; fused top-k', () => {
    const forward = fixtures.load('forward.safetensors').tensors;
    const img = get(fixtures.load('batch.safetensors').tensors, 'img');
    const model = fixtureModel();
    try {
      model.eval();
      torch.noGrad(() =>
        torch.tidy(() => {
          const [topk, train] = model.call(img) as DetectionPrediction84;
          const { one2many, one2one } = train as EndToEndOutput;
          within(one2one.boxes, get(forward, 'eval.one2one.boxes'), 1e-3, 'eval one2one raw boxes');
          within(one2many.boxes, get(forward, 'eval.one2many.boxes'), 1e-3, 'eval one2many raw boxes');
          checkTopk(topk, get(forward, 'eval.topk'), 'eval top-k');
          const head = model.head;
          head.end2end = false;
          const [decoded] = model.call(img) as DetectionPrediction84;
          checkDecoded(decoded, get(forward, 'eval.one2many.decoded'), 1e-3, 'end2end=false decoded (xywh)');
          head.end2end = true;
        }),
      );
      captureLog(() => model.fuse());
      assert.equal(model.head.getModule('cv2'), undefined, 'fuse drops the one-to-many branch');
      torch.noGrad(() =>
        torch.tidy(() => {
          const [topk] = model.call(img) as DetectionPrediction84;
          checkTopk(topk, get(forward, 'eval_fused.topk'), 'fused top-k');
        }),
      );
      assert.throws(() => {
        model.head.end2end = false;
      }, /fused end-to-end head/);
    } finally {
      model.dispose();
    }
  });

  test('train: both branches (one-to-one on detached features) and BatchNorm running statistics', () => {
    const forward = fixtures.load('forward.safetensors').tensors;
    const img = get(fixtures.load('batch.safetensors').tensors, 'img');
    const model = fixtureModel();
    try {
      model.train();
      torch.noGrad(() =>
        torch.tidy(() => {
          const out = model.call(img) as EndToEndOutput;
          for (const branch of ['one2many', 'one2one'] as const) {
            within(out[branch].boxes, get(forward, `train.${branch}.boxes`), 1e-3, `train ${branch} boxes`);
            within(out[branch].scores, get(forward, `train.${branch}.scores`), 1e-3, `train ${branch} scores`);
          }
        }),
      );
      const layers = ['model.0.bn', 'model.10.m.0.attn.qkv.bn', 'model.22.m.0.1.attn.qkv.bn', 'model.23.one2one_cv3.0.0.0.bn'];
      checkBatchNormStats(model.stateDict(), forward, layers);
    } finally {
      model.dispose();
    }
  });

  test('top-k on synthetic scores: max_det 20, agnostic, 100 (> anchors) identical', () => {
    const { tensors } = fixtures.load('topk.safetensors');
    const preds = get(tensors, 'preds');
    for (const [key, maxDet, agnostic] of [
      ['k20', 20, false],
      ['k20_agnostic', 20, true],
      ['k100', 100, false],
    ] as const) {
      torch.tidy(() => {
        const ours = topkDetections(preds, 5, maxDet, agnostic);
        const want = get(tensors, `${key}.out`);
        assert.deepEqual(ours.shape, want.shape, key);
        assert.ok(ours.eq(want).all().item(), `${key}: differs`);
      });
    }
  });

  test('loss and gradients through the model at epoch 0 and epoch 60', () => {
    const batchFile = fixtures.load('batch.safetensors').tensors;
    const expected = fixtures.load('loss.safetensors').tensors;
    const batch = {
      img: get(batchFile, 'img'),
      batchIdx: get(batchFile, 'batch_idx'),
      cls: get(batchFile, 'cls'),
      bboxes: get(batchFile, 'bboxes'),
    } as unknown as Batch;
    const model = fixtureModel();
    try {
      model.train();
      for (const p of model.parameters()) p.requiresGrad_(true);
      const criterion = model.initCriterion() as E2ELoss;
      model.criterion = criterion;
      for (const [prefix, updates] of [
        ['', 0],
        ['epoch60.', 60],
      ] as const) {
        criterion.setUpdates(updates);
        model.zeroGrad();
        // Train-mode forwards update BatchNorm statistics; the fixture ran each case on a fresh copy.
        const bnState = new Map([...model.stateDict()].filter(([k]) => k.includes('running_')).map(([k, v]) => [k, v.clone().keep()]));
        torch.tidy(() => {
          const [loss] = model.loss(batch);
          relWithin(loss.item(), get(expected, `${prefix}loss`).item(), 1e-4, `${prefix}loss`);
          loss.backward();
        });
        model.loadStateDict(bnState, { strict: false });
        torch.dispose([...bnState.values()]);
        checkGradients(new Map(model.namedParameters()), expected, prefix);
      }
    } finally {
      model.dispose();
    }
  });

  test("Ultralytics 8.4's best.pt (new classes, extra metadata) loads without executing anything and predicts as the fixture", () => {
    const forward = fixtures.load('forward.safetensors').tensors;
    const img = get(fixtures.load('batch.safetensors').tensors, 'img');
    const model = loadDetectionModel(`${fixtures.dir}model.pt`);
    try {
      assert.equal(model.family, 'yolo26');
      assert.equal(model.head.end2end, true);
      assert.equal(model.args?.epochs, 100);
      torch.noGrad(() =>
        torch.tidy(() => {
          const [topk] = model.call(img) as DetectionPrediction84;
          checkTopk(topk, get(forward, 'eval.topk'), '.pt eval top-k');
        }),
      );
    } finally {
      model.dispose();
    }
  });
});
