// ClassificationValidator, ClassifyMetrics and ClassificationPredictor against the real Ultralytics 8.2.103
// (fixtures/ultralytics-classify, README §5, §6, §7): metric cases through the validator's hooks; the fixture
// best.pt validated on the val folder (top1, top5, fitness, confusion matrix); predict's probabilities and top-5.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '@yolots/torch';
import { ClassificationPredictor } from '../../src/models/yolo/classify/predict.js';
import { ClassificationValidator } from '../../src/models/yolo/classify/val.js';
import type { ClassificationModel } from '../../src/nn/classification-model.js';
import { CLASSIFY_FIXTURES, fixtureGate, readFixtureJson } from './classify-fixtures.js';

const gate = fixtureGate(['model.pt', 'metrics.json', 'val.json', 'predict.json', 'dataset/val/square/val_square_01.png']);

interface MetricCase {
  nc: number;
  batches_of: number;
  probs: number[][];
  targets: number[];
  expected: { top1: number; top5: number; fitness: number; topk_pred: number[][]; confusion_matrix: number[][] };
}

describe('classification validation and prediction parity with Ultralytics 8.2.103', gate, () => {
  test('metric cases: top-k kept per image, top1/top5/fitness and the confusion matrix', () => {
    for (const c of readFixtureJson<{ cases: MetricCase[] }>('metrics.json').cases) {
      const validator = new ClassificationValidator();
      const names = Object.fromEntries(Array.from({ length: c.nc }, (_, i) => [i, String(i)]));
      validator.initMetrics({ names } as unknown as ClassificationModel);
      for (let s = 0; s < c.targets.length; s += c.batches_of) {
        torch.tidy(() => {
          const probs = torch.tensor(c.probs.slice(s, s + c.batches_of));
          const cls = torch.tensor(c.targets.slice(s, s + c.batches_of), { dtype: 'int64' });
          validator.updateMetrics(probs, { img: probs, cls, imFile: [] });
        });
      }
      const stats = validator.getStats();
      validator.finalizeMetrics();
      assert.deepEqual(
        validator.pred.map((r) => Array.from(r)),
        c.expected.topk_pred,
      );
      assert.ok(Math.abs((stats['metrics/accuracy_top1'] as number) - c.expected.top1) <= 1e-6);
      assert.ok(Math.abs((stats['metrics/accuracy_top5'] as number) - c.expected.top5) <= 1e-6);
      assert.ok(Math.abs((stats.fitness as number) - c.expected.fitness) <= 1e-6);
      assert.deepEqual(validator.confusionMatrix?.toArray(), c.expected.confusion_matrix);
    }
  });

  test('validator on the val folder with the fixture best.pt: top1 0.75, top5 1.0, confusion matrix', async () => {
    const expected = readFixtureJson<{ results_dict: Record<string, number>; confusion_matrix: number[][] }>('val.json');
    const validator = new ClassificationValidator({
      args: { data: `${CLASSIFY_FIXTURES}dataset`, imgsz: 64, batch: 32, split: 'val', plots: false, project: '/tmp/yolots-cls-val-test' },
    });
    const stats = await validator.run({ model: `${CLASSIFY_FIXTURES}model.pt` });
    for (const [key, value] of Object.entries(expected.results_dict)) {
      assert.ok(Math.abs((stats[key] as number) - value) <= 1e-6, `${key}: ${stats[key]} vs ${value}`);
    }
    assert.deepEqual(validator.confusionMatrix?.toArray(), expected.confusion_matrix);
  });

  test('predictor: imgsz from the checkpoint, probabilities ≤ 1e-5, top1 / top5 identical', async () => {
    const expected = readFixtureJson<{ image: string; probs: number[]; top1: number; top5: number[]; top5conf: number[] }>('predict.json');
    // No imgsz: the checkpoint's transforms (its training imgsz, 64) apply, as in Ultralytics.
    const predictor = new ClassificationPredictor({ overrides: { save: false, verbose: false } });
    const [result] = await predictor.predict(CLASSIFY_FIXTURES + expected.image, `${CLASSIFY_FIXTURES}model.pt`);
    const probs = result?.probs;
    assert.ok(probs);
    assert.equal(probs.top1, expected.top1);
    assert.deepEqual(probs.top5, expected.top5);
    probs.top5conf.forEach((v, i) => {
      assert.ok(Math.abs(v - (expected.top5conf[i] as number)) <= 1e-5, `top5conf[${i}]`);
    });
    assert.match(result?.verbose() ?? '', /^square 0\.61, cross 0\.38, /);
  });
});
