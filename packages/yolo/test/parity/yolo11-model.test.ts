// YOLO11 against the real Ultralytics 8.3.28 (fixtures/ultralytics-yolo11, README §2, §3, §5): the layer tables and
// model.info() of yolo11n/s unfused and fused; the trained yolo11n weights load strictly; eval, fused and train
// outputs and BatchNorm statistics; the loss, its assignment and gradients.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import type { Batch } from '../../src/data/batch.js';
import { C3k, type C3k2 } from '../../src/nn/modules/block-yolo11.js';
import type { DetectionPrediction } from '../../src/nn/modules/head.js';
import { DetectionModel } from '../../src/nn/tasks.js';
import { DetectionLoss, type DetectionTerms } from '../../src/utils/loss.js';
import { checkBatchNormStats, checkDecoded, checkGradients, fixtureSet, get, relWithin, within } from './fixture-set.js';
import { checkLayerTables, checkSummaries } from './layer-tables.js';

const fixtures = fixtureSet('ultralytics-yolo11');
const gate = fixtures.gate([
  'model.safetensors',
  'forward.safetensors',
  'batch.safetensors',
  'loss.safetensors',
  'loss.json',
  'model_info.json',
  'layers_yolo11n.txt',
  'layers_yolo11s.txt',
]);

/** A criterion that keeps (clones of) the assignment of its last call. */
class RecordingLoss extends DetectionLoss {
  assignment: { fgMask: Tensor; targetGtIdx: Tensor; targetScoresMax: Tensor } | null = null;

  protected override detectionTerms(preds: Tensor[], batch: Pick<Batch, 'batchIdx' | 'cls' | 'bboxes'>): DetectionTerms {
    const terms = super.detectionTerms(preds, batch);
    const { fgMask, targetGtIdx, targetScores } = terms.assignment;
    this.assignment = {
      fgMask: fgMask.clone().keep(),
      targetGtIdx: targetGtIdx.clone().keep(),
      targetScoresMax: targetScores.amax(-1).keep(),
    };
    return terms;
  }
}

describe('YOLO11 parity with Ultralytics 8.3.28 (yolo11n fixture weights)', gate, () => {
  test('layer tables and model.info() of yolo11n and yolo11s, unfused and fused', () => {
    checkLayerTables(fixtures, 'yolo11');
  });

  test('m/l/x force C3k blocks and match the summaries of the yaml', () => {
    const summaries = { m: [409, 20114688, 68.5], l: [631, 25372160, 87.6], x: [631, 56966176, 196.0] } as const;
    checkSummaries(
      summaries,
      (scale) => new DetectionModel(`yolo11${scale}.yaml`, { verbose: false }),
      (model, scale) => assert.ok((model.model.at(2) as unknown as C3k2).m.at(0) instanceof C3k, `yolo11${scale} layer 2 uses C3k`),
    );
  });

  test('weights load strictly; eval, fused and train outputs, BatchNorm statistics', () => {
    const baseline = torch.liveTensors();
    const weights = fixtures.load('model.safetensors');
    const forward = fixtures.load('forward.safetensors');
    const batchFile = fixtures.load('batch.safetensors');
    const model = new DetectionModel('yolo11n.yaml', { verbose: false });
    try {
      model.loadStateDict(weights.tensors, { strict: true });
      assert.deepEqual(model.stride, JSON.parse(weights.metadata.stride as string));
      const img = get(batchFile.tensors, 'img');
      model.eval();
      torch.noGrad(() =>
        torch.tidy(() => {
          const [pred] = model.call(img) as DetectionPrediction;
          checkDecoded(pred, get(forward.tensors, 'eval'), 2e-3, 'eval'); // README §2
        }),
      );
      model.train();
      torch.noGrad(() =>
        torch.tidy(() => {
          const maps = model.call(img) as Tensor[];
          ['train_p3', 'train_p4', 'train_p5'].forEach((key, i) => {
            within(maps[i]!, get(forward.tensors, key), 1e-3, key);
          });
        }),
      );
      checkBatchNormStats(model.stateDict(), forward.tensors, ['model.0.bn', 'model.10.m.0.attn.qkv.bn', 'model.23.cv3.0.0.0.bn']);
      model.loadStateDict(weights.tensors);
      model.eval();
      model.fuse(false);
      torch.noGrad(() =>
        torch.tidy(() => {
          const [pred] = model.call(img) as DetectionPrediction;
          checkDecoded(pred, get(forward.tensors, 'eval_fused'), 2e-3, 'eval fused');
        }),
      );
    } finally {
      model.dispose();
      torch.dispose([...weights.tensors.values(), ...forward.tensors.values(), ...batchFile.tensors.values()]);
    }
    assert.equal(torch.liveTensors(), baseline, 'no tensors leak');
  });

  test('loss, loss items, assignment and gradients', () => {
    const baseline = torch.liveTensors();
    const weights = fixtures.load('model.safetensors');
    const batchFile = fixtures.load('batch.safetensors');
    const expected = fixtures.load('loss.safetensors');
    const perParameter = fixtures.json<{ grad_l2_norm_per_parameter: Record<string, number> }>('loss.json').grad_l2_norm_per_parameter;
    const model = new DetectionModel('yolo11n.yaml', { verbose: false });
    const criterion = new RecordingLoss({ stride: [8, 16, 32], nc: 80, regMax: 16 }, { box: 7.5, cls: 0.5, dfl: 1.5 });
    try {
      model.loadStateDict(weights.tensors, { strict: true });
      model.train();
      model.criterion = criterion;
      const t = batchFile.tensors;
      const batch: Batch = {
        img: get(t, 'img'),
        batchIdx: get(t, 'batch_idx'),
        cls: get(t, 'cls'),
        bboxes: get(t, 'bboxes'),
        imFile: [],
        oriShape: [],
        resizedShape: [],
      };
      model.zeroGrad();
      torch.tidy(() => {
        const [loss, items] = model.loss(batch);
        loss.backward();
        relWithin(loss.item(), get(expected.tensors, 'loss').item(), 1e-4, 'loss');
        const want = get(expected.tensors, 'loss_items').toArray();
        items.toArray().forEach((v, i) => {
          relWithin(v, want[i]!, 1e-4, `loss item ${['box', 'cls', 'dfl'][i]}`);
        });
      });
      const a = criterion.assignment;
      assert.ok(a);
      assert.deepEqual(a.fgMask.toArray(), get(expected.tensors, 'assigner.fg_mask').toArray(), 'fg_mask identical');
      assert.deepEqual(a.targetGtIdx.toArray(), get(expected.tensors, 'assigner.target_gt_idx').toArray(), 'target_gt_idx identical');
      within(a.targetScoresMax, get(expected.tensors, 'assigner.target_scores_max'), 1e-5, 'target_scores_max');
      torch.dispose(Object.values(a));

      torch.tidy(() => {
        const params = model.stateDict();
        const withGrad = [...model.namedParameters()].filter(([, p]) => p.grad);
        assert.equal(withGrad.length, Object.keys(perParameter).length, 'parameters with a gradient');
        checkGradients(params, expected.tensors);
        // Every parameter's gradient norm (loss.json): relative 1e-3, or absolute 1e-6 where it is ~0.
        let worstNorm = 0;
        for (const [name, p] of withGrad) {
          const want = perParameter[name];
          assert.ok(want !== undefined, `loss.json has no gradient norm for ${name}`);
          const ours = (p.grad as Tensor).norm().item();
          const diff = Math.abs(ours - want);
          assert.ok(diff <= Math.max(1e-3 * want, 1e-6), `‖grad‖ of ${name}: ${ours} vs ${want}`);
          if (want > 1e-6) worstNorm = Math.max(worstNorm, diff / want);
        }
        console.log(`# per-parameter gradient norms: worst relative diff ${worstNorm.toExponential(2)} (tolerance 1e-3)`);
      });
      model.zeroGrad();
    } finally {
      model.dispose();
      torch.dispose([...weights.tensors.values(), ...batchFile.tensors.values(), ...expected.tensors.values()]);
    }
    assert.equal(torch.liveTensors(), baseline, 'no tensors leak');
  });
});
