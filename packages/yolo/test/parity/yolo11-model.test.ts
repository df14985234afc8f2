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
import { captureLog } from '../helpers/capture-log.js';
import { asUltralyticsRow } from '../helpers/ultralytics-table.js';
import { fixtureSet } from './fixture-set.js';
import { get, maxAbsDiff } from './segment-fixtures.js';

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

/** Asserts |actual − fixture| ≤ atol and reports it. */
function within(actual: Tensor, expected: Tensor, atol: number, what: string): void {
  const diff = maxAbsDiff(actual, expected, what);
  assert.ok(diff <= atol, `${what}: max |diff| ${diff.toExponential(3)} > ${atol}`);
  console.log(`# ${what}: max |diff| ${diff.toExponential(2)} (tolerance ${atol})`);
}

/** Asserts |a − b| / |b| ≤ rtol for a scalar and reports it. */
function relWithin(actual: number, expected: number, rtol: number, what: string): void {
  const rel = Math.abs(actual - expected) / Math.abs(expected);
  assert.ok(rel <= rtol, `${what}: ${actual} vs ${expected}, relative ${rel.toExponential(3)} > ${rtol}`);
  console.log(`# ${what}: relative diff ${rel.toExponential(2)} (tolerance ${rtol})`);
}

/** Boxes (rows 0-3) within 2e-3 px; scores within 1e-9 + 1e-4·|score| (README §2). */
function checkEval(pred: Tensor, expected: Tensor, what: string): void {
  within(pred.narrow(1, 0, 4), expected.narrow(1, 0, 4), 2e-3, `${what} boxes`);
  const scores = pred.narrow(1, 4, 80);
  const want = expected.narrow(1, 4, 80);
  const excess = torch.tidy(() => scores.sub(want).abs().sub(want.abs().mul(1e-4).add(1e-9)).max().item());
  const worst = torch.tidy(() => scores.sub(want).abs().div(want.abs().add(1e-12)).max().item());
  assert.ok(excess <= 0, `${what} scores: |diff| exceeds 1e-9 + 1e-4·|score| by ${excess}`);
  console.log(`# ${what} scores: worst relative diff ${worst.toExponential(2)} (tolerance 1e-4 + 1e-9 absolute)`);
}

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
    type Counts = { parameters: number; gradients: number; gflops_640: number; gflops_320: number; modules: number };
    const info = fixtures.json<Record<string, { summary_lines: string[]; unfused: Counts; fused: Counts }>>('model_info.json');
    for (const scale of ['n', 's']) {
      const expected = info[scale];
      assert.ok(expected);
      const table = fixtures.text(`layers_yolo11${scale}.txt`).trimEnd().split('\n');
      let model: DetectionModel | null = null;
      const printed = captureLog(() => {
        model = new DetectionModel(`yolo11${scale}.yaml`, { verbose: true });
      });
      const built = model as unknown as DetectionModel;
      try {
        const unfused = built.info({ verbose: false });
        const at320 = built.info({ verbose: false, imgsz: 320 });
        built.eval();
        printed.push(...captureLog(() => built.fuse()));
        const fused = built.info({ verbose: false });
        const fused320 = built.info({ verbose: false, imgsz: 320 });
        const lines = printed.flatMap((l) => l.split('\n')).filter((l, i) => i > 0 || l !== '');
        assert.deepEqual(
          lines.map((l) => asUltralyticsRow(l).trimEnd()),
          table.map((l) => l.trimEnd()),
          `yolo11${scale}: printed table and summaries`,
        );
        for (const [ours, ours320, want] of [
          [unfused, at320, expected.unfused],
          [fused, fused320, expected.fused],
        ] as const) {
          assert.equal(ours.layers, want.modules);
          assert.equal(ours.parameters, want.parameters);
          assert.equal(ours.gradients, want.gradients);
          assert.ok(Math.abs(ours.gflops - want.gflops_640) < 1e-9, `GFLOPs at 640: ${ours.gflops} vs ${want.gflops_640}`);
          assert.ok(Math.abs(ours320.gflops - want.gflops_320) < 1e-9, `GFLOPs at 320: ${ours320.gflops} vs ${want.gflops_320}`);
        }
      } finally {
        built.dispose();
      }
    }
  });

  test('m/l/x force C3k blocks and match the summaries of the yaml', () => {
    const summaries: Record<string, [number, number, number]> = {
      m: [409, 20114688, 68.5],
      l: [631, 25372160, 87.6],
      x: [631, 56966176, 196.0],
    };
    for (const [scale, [layers, parameters, gflops]] of Object.entries(summaries)) {
      const model = new DetectionModel(`yolo11${scale}.yaml`, { verbose: false });
      try {
        const info = model.info({ verbose: false });
        assert.deepEqual([info.layers, info.parameters, info.gflops.toFixed(1)], [layers, parameters, gflops.toFixed(1)], scale);
        assert.ok((model.model.at(2) as unknown as C3k2).m.at(0) instanceof C3k, `yolo11${scale} layer 2 uses C3k`);
      } finally {
        model.dispose();
      }
    }
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
          checkEval(pred, get(forward.tensors, 'eval'), 'eval');
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
      const state = model.stateDict();
      for (const layer of ['model.0.bn', 'model.10.m.0.attn.qkv.bn', 'model.23.cv3.0.0.0.bn']) {
        for (const stat of ['running_mean', 'running_var']) {
          const key = `${layer}.${stat}`;
          within(get(state, key), get(forward.tensors, `bn_after_train_forward.${key}`), 1e-5, `BatchNorm ${key} after a train forward`);
        }
      }
      model.loadStateDict(weights.tensors);
      model.eval();
      model.fuse(false);
      torch.noGrad(() =>
        torch.tidy(() => {
          const [pred] = model.call(img) as DetectionPrediction;
          checkEval(pred, get(forward.tensors, 'eval_fused'), 'eval fused');
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
        const norm = Math.sqrt(withGrad.reduce((sum, [, p]) => sum + (p.grad as Tensor).pow(2).sum().item(), 0));
        relWithin(norm, get(expected.tensors, 'grad_norm').item(), 1e-3, 'gradient norm');
        let worst = 0;
        for (const key of expected.tensors.keys()) {
          if (!key.startsWith('grad.')) continue;
          const name = key.slice(5);
          const want = get(expected.tensors, key);
          const grad = get(params, name).grad as Tensor;
          const rel = grad.sub(want).norm().item() / Math.max(want.norm().item(), 1e-12);
          assert.ok(rel <= 1e-3, `gradient of ${name}: ‖Δ‖/‖fixture‖ ${rel.toExponential(3)} > 1e-3`);
          worst = Math.max(worst, rel);
        }
        console.log(`# named gradients: worst ‖Δ‖/‖fixture‖ ${worst.toExponential(2)} (tolerance 1e-3)`);
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
