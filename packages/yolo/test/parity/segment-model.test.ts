// SegmentationModel against the real Ultralytics 8.2.103 (fixtures/ultralytics-segment, README §1, §3, §4, §8): the
// yolov8n-seg weights load strictly; eval, fused, train outputs and BatchNorm statistics; the loss with and without
// overlap masks, its assignment and gradients; the layer tables and model.info() counts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import type { Batch } from '../../src/data/batch.js';
import type { SegmentPrediction, SegmentTrainOutput } from '../../src/nn/modules/segment.js';
import { SegmentationModel } from '../../src/nn/segmentation-model.js';
import type { DetectionTerms } from '../../src/utils/loss.js';
import { SegmentationLoss } from '../../src/utils/loss-segment.js';
import { captureLog } from '../helpers/capture-log.js';
import { asUltralyticsRow } from '../helpers/ultralytics-table.js';
import { fixtureGate, get, loadFixture, maxAbsDiff, readFixtureJson, SEGMENT_FIXTURES } from './segment-fixtures.js';

const gate = fixtureGate(['model.safetensors', 'forward.safetensors', 'batch.safetensors', 'loss.safetensors', 'model_info.json']);

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

/** Rows 0-3 (boxes, px), 4-6 (scores), 7-38 (coefficients) of an eval output, each within its tolerance. */
function checkEval(pred: Tensor, expected: Tensor, what: string): void {
  within(pred.narrow(1, 0, 4), expected.narrow(1, 0, 4), 2e-3, `${what} boxes`);
  within(pred.narrow(1, 4, 3), expected.narrow(1, 4, 3), 1e-5, `${what} scores`);
  within(pred.narrow(1, 7, 32), expected.narrow(1, 7, 32), 1e-4, `${what} coefficients`);
}

/** A criterion that keeps (clones of) the assignment of its last call. */
class RecordingLoss extends SegmentationLoss {
  assignment: { fgMask: Tensor; targetGtIdx: Tensor; targetScoresMax: Tensor; targetBboxes: Tensor } | null = null;

  protected override detectionTerms(preds: Tensor[], batch: Parameters<SegmentationLoss['compute']>[1]): DetectionTerms {
    const terms = super.detectionTerms(preds, batch);
    const { fgMask, targetGtIdx, targetScores, targetBboxes } = terms.assignment;
    this.assignment = {
      fgMask: fgMask.clone().keep(),
      targetGtIdx: targetGtIdx.clone().keep(),
      targetScoresMax: targetScores.amax(-1).keep(),
      targetBboxes: targetBboxes.clone().keep(),
    };
    return terms;
  }
}

describe('SegmentationModel parity with Ultralytics 8.2.103 (yolov8n-seg fixture weights)', gate, () => {
  test('weights load strictly; eval, fused and train outputs, BatchNorm statistics', () => {
    const weights = loadFixture('model.safetensors');
    const forward = loadFixture('forward.safetensors');
    const batchFile = loadFixture('batch.safetensors');
    const model = new SegmentationModel('yolov8n-seg.yaml', { nc: 3, verbose: false });
    try {
      model.loadStateDict(weights.tensors, { strict: true });
      assert.deepEqual(model.stride, JSON.parse(weights.metadata.stride as string));
      assert.equal(model.head.nm, Number(weights.metadata.nm));
      assert.equal(model.head.npr, Number(weights.metadata.npr));
      const img = torch.tidy(() => get(batchFile.tensors, 'img_uint8').float().div(255).keep());
      model.eval();
      torch.noGrad(() =>
        torch.tidy(() => {
          const [pred, [maps, mc, protos]] = model.call(img) as SegmentPrediction;
          assert.equal(maps.length, 3);
          assert.deepEqual(mc.shape, [2, 32, 1344]);
          checkEval(pred, get(forward.tensors, 'eval'), 'eval');
          within(protos, get(forward.tensors, 'eval_proto'), 1e-4, 'eval protos');
        }),
      );
      model.train();
      torch.noGrad(() =>
        torch.tidy(() => {
          const [maps, mc, protos] = model.call(img) as SegmentTrainOutput;
          ['train_p3', 'train_p4', 'train_p5'].forEach((key, i) => {
            within(maps[i]!, get(forward.tensors, key), 1e-3, key);
          });
          within(mc, get(forward.tensors, 'train_mc'), 1e-4, 'train_mc');
          within(protos, get(forward.tensors, 'train_proto'), 1e-4, 'train_proto');
        }),
      );
      const state = model.stateDict();
      for (const layer of ['model.0.bn', 'model.22.proto.cv1.bn']) {
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
          const [pred] = model.call(img) as SegmentPrediction;
          checkEval(pred, get(forward.tensors, 'eval_fused'), 'eval fused');
        }),
      );
      img.dispose();
    } finally {
      model.dispose();
      torch.dispose([...weights.tensors.values(), ...forward.tensors.values(), ...batchFile.tensors.values()]);
    }
  });

  test('loss, loss items, assignment and gradients; the overlap_mask=False branch', () => {
    const baseline = torch.liveTensors();
    const weights = loadFixture('model.safetensors');
    const batchFile = loadFixture('batch.safetensors');
    const expected = loadFixture('loss.safetensors');
    const model = new SegmentationModel('yolov8n-seg.yaml', { nc: 3, verbose: false });
    const criterion = new RecordingLoss({ stride: [8, 16, 32], nc: 3, regMax: 16 }, { box: 7.5, cls: 0.5, dfl: 1.5 }, true);
    try {
      model.loadStateDict(weights.tensors, { strict: true });
      model.train();
      model.criterion = criterion;
      const t = batchFile.tensors;
      const img = torch.tidy(() => get(t, 'img_uint8').float().div(255).keep());
      const batch: Batch = {
        img,
        batchIdx: get(t, 'batch_idx'),
        cls: get(t, 'cls'),
        bboxes: get(t, 'bboxes'),
        masks: get(t, 'masks'),
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
          relWithin(v, want[i]!, 1e-4, `loss item ${['box', 'seg', 'cls', 'dfl'][i]}`);
        });
      });
      const a = criterion.assignment;
      assert.ok(a);
      assert.deepEqual(a.fgMask.toArray(), get(expected.tensors, 'assigner.fg_mask').toArray(), 'fg_mask identical');
      assert.deepEqual(a.targetGtIdx.toArray(), get(expected.tensors, 'assigner.target_gt_idx').toArray(), 'target_gt_idx identical');
      within(a.targetScoresMax, get(expected.tensors, 'assigner.target_scores_max'), 1e-4, 'target_scores_max');
      within(a.targetBboxes, get(expected.tensors, 'assigner.target_bboxes'), 1e-4, 'target_bboxes');
      torch.dispose(Object.values(a));

      torch.tidy(() => {
        const params = model.stateDict();
        const grads = model.parameters().flatMap((p) => p.grad ?? []);
        const norm = Math.sqrt(grads.reduce((sum, g) => sum + g.pow(2).sum().item(), 0));
        relWithin(norm, get(expected.tensors, 'grad_norm').item(), 1e-3, 'gradient norm');
        let worst = 0;
        for (const key of expected.tensors.keys()) {
          if (!key.startsWith('grad.')) continue;
          const name = key.slice(5);
          const want = get(expected.tensors, key);
          const grad = get(params, name).grad as Tensor;
          // A zero fixture gradient (no foreground anchor on that level) is compared absolutely.
          const rel = grad.sub(want).norm().item() / Math.max(want.norm().item(), 1e-12);
          assert.ok(rel <= 1e-3, `gradient of ${name}: ‖Δ‖/‖fixture‖ ${rel.toExponential(3)} > 1e-3`);
          worst = Math.max(worst, rel);
        }
        console.log(`# named gradients: worst ‖Δ‖/‖fixture‖ ${worst.toExponential(2)} (tolerance 1e-3)`);
      });
      model.zeroGrad();

      // overlap_mask=False: one mask per label in label-file order.
      model.criterion = new SegmentationLoss({ stride: [8, 16, 32], nc: 3, regMax: 16 }, { box: 7.5, cls: 0.5, dfl: 1.5 }, false);
      const e = expected.tensors;
      torch.noGrad(() =>
        torch.tidy(() => {
          const [loss, items] = model.loss({
            ...batch,
            batchIdx: get(e, 'no_overlap.batch_idx'),
            cls: get(e, 'no_overlap.cls'),
            bboxes: get(e, 'no_overlap.bboxes'),
            masks: get(e, 'no_overlap.masks'),
          });
          relWithin(loss.item(), get(e, 'no_overlap.loss').item(), 1e-4, 'loss without overlap masks');
          const want = get(e, 'no_overlap.loss_items').toArray();
          items.toArray().forEach((v, i) => {
            relWithin(v, want[i]!, 1e-4, `no-overlap loss item ${i}`);
          });
        }),
      );
      img.dispose();
    } finally {
      model.dispose();
      torch.dispose([...weights.tensors.values(), ...batchFile.tensors.values(), ...expected.tensors.values()]);
    }
    assert.equal(torch.liveTensors(), baseline, 'no tensors leak');
  });

  test('layer tables and model.info() of yolov8n/s-seg (80 and 3 classes), unfused and fused', () => {
    const info =
      readFixtureJson<Record<string, { summary_lines: string[]; unfused: { layers: number; gflops_640: number } }>>('model_info.json');
    for (const name of ['yolov8n-seg', 'yolov8n-seg_nc3', 'yolov8s-seg', 'yolov8s-seg_nc3']) {
      const [stem, nc] = name.endsWith('_nc3') ? [name.slice(0, -4), 3] : [name, undefined];
      const table = readFileSync(`${SEGMENT_FIXTURES}layers_${name}.txt`, 'utf8').trimEnd().split('\n');
      let model: SegmentationModel | null = null;
      const printed = captureLog(() => {
        model = new SegmentationModel(`${stem}.yaml`, { nc, verbose: true });
      });
      const built = model as unknown as SegmentationModel;
      try {
        built.eval();
        printed.push(...captureLog(() => built.fuse()));
        const lines = printed.flatMap((l) => l.split('\n')).filter((l, i) => i > 0 || l !== '');
        assert.deepEqual(
          lines.map((l) => asUltralyticsRow(l).trimEnd()),
          table.map((l) => l.trimEnd()),
          `${name}: printed table and summaries`,
        );
        assert.deepEqual(
          [lines.find((l) => l.includes('summary:')), lines.find((l) => l.includes('summary (fused)'))],
          info[name]?.summary_lines,
        );
      } finally {
        built.dispose();
      }
    }
  });
});
