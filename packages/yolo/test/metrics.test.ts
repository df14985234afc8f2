import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { argmax, interp, linspace, pairwiseSum, roundHalfEven, smooth } from '../src/utils/metric-math.js';
import { apPerClass, boxIou, ConfusionMatrix, computeAp, DetMetrics, IOUV, Metric, matchPredictions } from '../src/utils/metrics.js';

function close(actual: number, expected: number, what: string, tol = 1e-6): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected}`);
}

describe('boxIou', () => {
  test('identical, disjoint, half-overlapping and contained boxes, computed in float32', () => {
    const iou = boxIou([0, 0, 10, 10, 0, 0, 4, 4], [0, 0, 10, 10, 20, 20, 30, 30, 5, 0, 15, 10]);
    assert.equal(iou.length, 6);
    close(iou[0]!, 1, 'identical', 1e-6);
    assert.equal(iou[1], 0);
    assert.equal(iou[2], Math.fround(1 / 3));
    close(iou[3]!, 0.16, 'contained', 1e-6);
    assert.ok(iou instanceof Float32Array);
  });

  test('rejects arrays that are not xyxy rows', () => {
    assert.throws(() => boxIou([0, 0, 1], [0, 0, 1, 1]), /boxes1 must hold xyxy boxes .* got 3/);
  });
});

describe('matchPredictions', () => {
  test('a label goes to the lowest-indexed prediction that chose it, not the highest IoU (8.2.103)', () => {
    // One label of class 0; prediction 0 overlaps it with IoU 0.6, prediction 1 with IoU 0.9.
    const tp = matchPredictions([0, 0], [0], Float32Array.of(0.6, 0.9), IOUV);
    const row = (d: number) => Array.from(tp.subarray(d * 10, d * 10 + 10));
    assert.deepEqual(row(0), [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(row(1), [0, 0, 0, 1, 1, 1, 1, 1, 1, 0]);
  });

  test('each prediction keeps its best label; a prediction losing that label does not fall back to another', () => {
    // Labels 0 and 1 (both class 2), IoU rows per label: prediction 0 prefers label 0, prediction 1 label 1.
    assert.deepEqual(Array.from(matchPredictions([2, 2], [2, 2], Float32Array.of(0.8, 0, 0.7, 0.75), [0.5])), [1, 1]);
    // Both prefer label 0; prediction 0 (lower index) gets it and prediction 1 stays FP although label 1 is free.
    assert.deepEqual(Array.from(matchPredictions([2, 2], [2, 2], Float32Array.of(0.8, 0.9, 0.7, 0.6), [0.5])), [1, 0]);
  });

  test('class mismatches never match; empty inputs give an all-false matrix', () => {
    assert.deepEqual(Array.from(matchPredictions([1], [0], [0.99], [0.5, 0.9])), [0, 0]);
    assert.equal(matchPredictions([0, 1], [], [], IOUV).length, 20);
    assert.equal(matchPredictions([], [0], [], IOUV).length, 0);
  });

  test('thresholds compare as float32: IoU 0.55 (float32) is a match at the float32 threshold 0.55', () => {
    const tp = matchPredictions([0], [0], Float32Array.of(0.55), [0.55]);
    assert.deepEqual(Array.from(tp), [1]);
    assert.throws(() => matchPredictions([0, 0], [0], [0.5], IOUV), /1x2 \(labels x predictions\) matrix, got 1/);
  });
});

describe('computeAp and apPerClass', () => {
  test('101-point interpolated AP, trapezoid rule (values from NumPy)', () => {
    close(computeAp([0.5, 1], [1, 0.5]).ap, 0.8724999999999999, 'ap', 1e-15);
    close(computeAp([0.25, 0.25, 0.5, 0.75], [1, 0.5, 0.667, 0.75]).ap, 0.7175, 'ap', 1e-15);
    const { mrec, mpre } = computeAp([0.5, 1], [0.4, 0.5]);
    assert.deepEqual(Array.from(mrec), [0, 0.5, 1, 1]);
    assert.deepEqual(Array.from(mpre), [1, 0.5, 0.5, 0]);
  });

  test('classes come from the ground truth: other detections are ignored, undetected classes score 0', () => {
    // class 0: two labels, detections TP (0.9), FP (0.8), TP (0.7); class 5: a detection without labels; class 3: labels only.
    const tp = [1, 0, 1, 1];
    const r = apPerClass(tp, [0.9, 0.8, 0.7, 0.95], [0, 0, 0, 5], [0, 3, 0], 1);
    assert.deepEqual(Array.from(r.uniqueClasses), [0, 3]);
    assert.equal(r.ap[1]![0], 0);
    assert.equal(r.p[1], 0);
    assert.equal(r.precValues.length, 1, 'only classes with detections get a PR envelope');
    // recall 0.5, 0.5, 1; precision 1, 0.5, 2/3 → envelope 1 up to recall 0.5, then 2/3.
    const expected = computeAp([0.5, 0.5, 1], [1, 0.5, 2 / 3]).ap;
    assert.equal(r.ap[0]![0], expected);
    assert.equal(r.px.length, 1000);
    assert.equal(r.f1Curve.length, 2);
  });

  test('no labels and no detections give empty results and zero means', () => {
    const m = new Metric();
    m.update(apPerClass([], [], [], []));
    assert.equal(m.p.length, 0);
    assert.deepEqual(m.meanResults(), [0, 0, 0, 0]);
    assert.equal(m.fitness(), 0);
  });

  test('mismatched tp/conf/predCls lengths are an Error', () => {
    assert.throws(() => apPerClass([1, 0, 1], [0.5, 0.4], [0, 0], [0], 10), /disagree on the number of detections/);
  });
});

describe('Metric and DetMetrics', () => {
  const metric = () => {
    const m = new Metric();
    m.nc = 4;
    m.p = Float64Array.of(0.5, 1);
    m.r = Float64Array.of(0.25, 0.75);
    m.allAp = [Float64Array.from({ length: 10 }, (_, j) => 1 - j * 0.1), Float64Array.from({ length: 10 }, () => 0.2)];
    m.apClassIndex = Int32Array.of(1, 3);
    return m;
  };

  test('means, map75, fitness = 0.1·mAP50 + 0.9·mAP50-95', () => {
    const m = metric();
    close(m.mp, 0.75, 'mp', 1e-15);
    close(m.mr, 0.5, 'mr', 1e-15);
    close(m.map50, 0.6, 'map50', 1e-15);
    close(m.map75, (0.5 + 0.2) / 2, 'map75', 1e-15);
    close(m.map, (0.55 + 0.2) / 2, 'map', 1e-15);
    close(m.fitness(), 0.1 * 0.6 + 0.9 * 0.375, 'fitness', 1e-15);
    assert.deepEqual(
      m.classResult(1).map((v) => Number(v.toFixed(12))),
      [1, 0.75, 0.2, 0.2],
    );
  });

  test('maps: per class id, classes absent from the ground truth get map', () => {
    const maps = Array.from(metric().maps).map((v) => Number(v.toFixed(12)));
    assert.deepEqual(maps, [0.375, 0.55, 0.375, 0.2]);
    const bad = metric();
    bad.nc = 2;
    assert.throws(() => bad.maps, /class 3 is outside the dataset's 2 classes/);
  });

  test('DetMetrics keys, curves, and nc taken from names', () => {
    const dm = new DetMetrics({ 0: 'a', 1: 'b', 2: 'c' });
    dm.process([1, 0], [0.9, 0.3], [0, 1], [0, 1], 1);
    assert.deepEqual(dm.keys, ['metrics/precision(B)', 'metrics/recall(B)', 'metrics/mAP50(B)', 'metrics/mAP50-95(B)']);
    assert.equal(dm.box.nc, 3);
    assert.deepEqual(dm.curves, ['Precision-Recall(B)', 'F1-Confidence(B)', 'Precision-Confidence(B)', 'Recall-Confidence(B)']);
    assert.deepEqual(
      dm.curvesResults.map(([, , x, y]) => `${x}/${y}`),
      ['Recall/Precision', 'Confidence/F1', 'Confidence/Precision', 'Confidence/Recall'],
    );
    assert.equal(dm.maps.length, 3);
    assert.equal(dm.resultsDict.fitness, dm.fitness);
  });
});

describe('ConfusionMatrix', () => {
  const box = (x: number) => [x, 0, x + 10, 10];

  test('conf null or 0.001 falls back to 0.25; matching ignores classes', () => {
    assert.equal(new ConfusionMatrix(2, null).conf, 0.25);
    assert.equal(new ConfusionMatrix(2, 0.001).conf, 0.25);
    const cm = new ConfusionMatrix(2, 0.5);
    // A class-1 detection on a class-0 label, and a low-confidence detection that is dropped.
    cm.processBatch([...box(0), 0.9, 1, ...box(100), 0.3, 0], box(0), [0]);
    assert.deepEqual(cm.toArray(), [
      [0, 0, 0],
      [1, 0, 0],
      [0, 0, 0],
    ]);
  });

  test('unmatched labels are background FNs; extra detections background FPs when the image has a match', () => {
    const cm = new ConfusionMatrix(2);
    cm.processBatch([...box(0), 0.9, 0, ...box(50), 0.8, 1], [...box(0), ...box(200)], [0, 1]);
    assert.deepEqual(cm.toArray(), [
      [1, 0, 0],
      [0, 0, 1],
      [0, 1, 0],
    ]);
    const { tp, fp } = cm.tpFp();
    assert.deepEqual(Array.from(tp), [1, 0]);
    assert.deepEqual(Array.from(fp), [0, 1]);
  });

  test('8.2.103 quirk: with labels but no match at all, the detections are not counted', () => {
    const cm = new ConfusionMatrix(2);
    cm.processBatch([...box(100), 0.9, 1], box(0), [0]);
    assert.deepEqual(cm.toArray(), [
      [0, 0, 0],
      [0, 0, 0],
      [1, 0, 0],
    ]);
  });

  test('images without labels count every confident detection as background FP; null detections count labels as FN', () => {
    const cm = new ConfusionMatrix(2);
    cm.processBatch([...box(0), 0.9, 1, ...box(20), 0.1, 0], [], []);
    cm.processBatch(null, box(0), [1]);
    assert.equal(cm.get(1, 2), 1);
    assert.equal(cm.get(0, 2), 0);
    assert.equal(cm.get(2, 1), 1);
  });

  test('one detection per label and one label per detection, highest IoU first', () => {
    const cm = new ConfusionMatrix(1);
    // Two labels overlap one detection (IoU 1 and IoU 0.67); the other label stays unmatched.
    cm.processBatch([...box(0), 0.9, 0], [...box(0), 2, 0, 12, 10], [0, 0]);
    assert.deepEqual(cm.toArray(), [
      [1, 0],
      [1, 0],
    ]);
  });

  test('bad rows and class ids are Errors', () => {
    const cm = new ConfusionMatrix(2);
    assert.throws(() => cm.processBatch([0, 0, 1, 1, 0.9], [], []), /multiple of 6/);
    assert.throws(() => cm.processBatch([...box(0), 0.9, 7], [], []), /outside 0..2/);
  });
});

describe('NumPy arithmetic helpers', () => {
  test('linspace, interp, pairwise sums, round half to even, smoothing', () => {
    const x = linspace(0, 1, 1000);
    assert.equal(x[1], 0.001001001001001001);
    assert.equal(x[998], 0.998998998998999);
    assert.equal(x[999], 1);
    const out = interp([-1, 0, 0.5, 1, 1.5, 2, 3], [0, 1, 1, 2], [10, 20, 30, 40], 4, new Float64Array(7));
    // 1 appears twice in xp: NumPy takes the last, so x=1 gives 30 and x=1.5 interpolates from it.
    assert.deepEqual(Array.from(out), [10, 10, 15, 30, 35, 40, 40]);
    const a = Float64Array.from({ length: 300 }, (_, i) => 0.1 * i);
    close(pairwiseSum(a), 4485, 'pairwise', 1e-9);
    assert.deepEqual([0.5, 1.5, 2.5, 3.5, 2.51].map(roundHalfEven), [0, 2, 2, 4, 3]);
    const constant = smooth(new Float64Array(50).fill(0.3), 0.1);
    assert.ok(constant.every((v) => Math.abs(v - 0.3) < 1e-15));
    const step = smooth(
      Float64Array.from({ length: 100 }, (_, i) => (i === 40 ? 1 : 0)),
      0.1,
    );
    assert.equal(argmax(step), 35, 'a spike spreads over an 11-wide window; argmax is its first index');
  });
});
