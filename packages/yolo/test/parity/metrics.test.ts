import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { boxIou, ConfusionMatrix, DetMetrics, IOUV, matchPredictions } from '../../src/utils/metrics.js';
import { requireShared, sharedPath } from '../helpers/shared.js';

const FIXTURE = sharedPath('fixtures/ultralytics/metrics.json');
const gate = requireShared([FIXTURE], 'metrics parity');

interface FixtureImage {
  gt_boxes: number[][];
  gt_cls: number[];
  pred: number[][];
}
interface Fixture {
  nc: number;
  images: FixtureImage[];
  expected: {
    iouv: number[];
    classes_present: number[];
    per_class: Record<string, { p: number; r: number; ap50: number; ap50_95: number }>;
    mp: number;
    mr: number;
    map50: number;
    map: number;
    fitness: number;
    confusion_matrix: number[][];
  };
}

function close(actual: number, expected: number, what: string, tol = 1e-6): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected}`);
}

describe('Ultralytics 8.2.103 parity (shared/fixtures/ultralytics/metrics.json)', gate, () => {
  test('raw predictions → boxIou → matchPredictions → DetMetrics and ConfusionMatrix', () => {
    const fx = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Fixture;
    assert.deepEqual(Array.from(IOUV), fx.expected.iouv);

    const tp: number[] = [];
    const conf: number[] = [];
    const predCls: number[] = [];
    const targetCls: number[] = [];
    const cm = new ConfusionMatrix(fx.nc, 0.25, 0.45);
    for (const image of fx.images) {
      const iou = boxIou(
        image.gt_boxes.flat(),
        image.pred.flatMap((row) => row.slice(0, 4)),
      );
      tp.push(
        ...matchPredictions(
          image.pred.map((row) => row[5]!),
          image.gt_cls,
          iou,
          IOUV,
        ),
      );
      conf.push(...image.pred.map((row) => row[4]!));
      predCls.push(...image.pred.map((row) => row[5]!));
      targetCls.push(...image.gt_cls);
      cm.processBatch(image.pred.length ? image.pred.flat() : null, image.gt_boxes.flat(), image.gt_cls);
    }
    const metrics = new DetMetrics(Object.fromEntries(Array.from({ length: fx.nc }, (_, i) => [i, `c${i}`])));
    metrics.process(tp, conf, predCls, targetCls);

    assert.deepEqual(Array.from(metrics.apClassIndex), fx.expected.classes_present);
    metrics.apClassIndex.forEach((c, i) => {
      const want = fx.expected.per_class[String(c)]!;
      const [p, r, ap50, ap] = metrics.classResult(i);
      close(p, want.p, `class ${c} P`);
      close(r, want.r, `class ${c} R`);
      close(ap50, want.ap50, `class ${c} AP50`);
      close(ap, want.ap50_95, `class ${c} AP50-95`);
    });
    const box = metrics.box;
    close(box.mp, fx.expected.mp, 'mp');
    close(box.mr, fx.expected.mr, 'mr');
    close(box.map50, fx.expected.map50, 'map50');
    close(box.map, fx.expected.map, 'map');
    close(metrics.fitness, fx.expected.fitness, 'fitness');
    const results = metrics.resultsDict;
    assert.deepEqual(Object.keys(results), [...metrics.keys, 'fitness']);
    close(results['metrics/mAP50(B)']!, 0.757484, 'results_dict mAP50', 1e-6);
    close(results['metrics/mAP50-95(B)']!, 0.439566, 'results_dict mAP50-95', 1e-6);
    assert.deepEqual(cm.toArray(), fx.expected.confusion_matrix);
  });
});
