// SegmentMetrics and the validator's box and mask matching against the real Ultralytics 8.2.103
// (fixtures/ultralytics-segment, README §6): per-image tp / tp_m matrices and the confusion matrix identical,
// every metric within 1e-6.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '@yolots/torch';
import { boxIou, ConfusionMatrix, IOUV, matchPredictions } from '../../src/utils/metrics.js';
import { maskTruePositives, SegmentMetrics } from '../../src/utils/metrics-segment.js';
import { fixtureGate, get, loadFixture, readFixtureJson } from './segment-fixtures.js';

const gate = fixtureGate(['metrics.json', 'metrics_masks.safetensors']);

interface MetricsFixture {
  nc: number;
  names: Record<string, string>;
  images: { gt_bboxes: number[][]; gt_cls: number[]; pred: number[][] }[];
  expected: {
    box: { mp: number; mr: number; map50: number; map: number };
    mask: { mp: number; mr: number; map50: number; map: number };
    fitness: number;
    results_dict: Record<string, number>;
    per_class: Record<string, Record<'box' | 'mask', { p: number; r: number; ap50: number; ap50_95: number }>>;
    tp_per_image: (number[][] | null)[];
    tp_m_per_image: (number[][] | null)[];
    confusion_matrix: number[][];
  };
}

function rows(flat: Uint8Array, n: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from(flat.subarray(i * 10, i * 10 + 10)));
}

describe('SegmentMetrics parity with Ultralytics 8.2.103', gate, () => {
  test('tp and tp_m per image, confusion matrix, box and mask metrics, fitness', () => {
    const fx = readFixtureJson<MetricsFixture>('metrics.json');
    const { tensors } = loadFixture('metrics_masks.safetensors');
    const stats = { tp: [] as number[], tpM: [] as number[], conf: [] as number[], predCls: [] as number[], targetCls: [] as number[] };
    const cm = new ConfusionMatrix(fx.nc, 0.25, 0.45);
    let worst = 0;
    try {
      fx.images.forEach((image, i) => {
        const npr = image.pred.length;
        const nl = image.gt_cls.length;
        stats.targetCls.push(...image.gt_cls);
        if (npr === 0) {
          if (nl) cm.processBatch(null, image.gt_bboxes.flat(), image.gt_cls);
          assert.deepEqual(fx.expected.tp_per_image[i] ?? [], [], `image ${i}: no predictions`);
          return;
        }
        const predCls = image.pred.map((r) => r[5]!);
        let tp = new Uint8Array(npr * 10);
        let tpM = new Uint8Array(npr * 10);
        if (nl) {
          tp = matchPredictions(
            predCls,
            image.gt_cls,
            boxIou(
              image.gt_bboxes.flat(),
              image.pred.flatMap((r) => r.slice(0, 4)),
            ),
            IOUV,
          );
          tpM = maskTruePositives(get(tensors, `img${i}.pred_masks`), get(tensors, `img${i}.gt_index_mask`), true, predCls, image.gt_cls);
          cm.processBatch(image.pred.flat(), image.gt_bboxes.flat(), image.gt_cls);
        }
        assert.deepEqual(rows(tp, npr), fx.expected.tp_per_image[i], `image ${i}: box tp`);
        assert.deepEqual(rows(tpM, npr), fx.expected.tp_m_per_image[i], `image ${i}: mask tp`);
        stats.tp.push(...tp);
        stats.tpM.push(...tpM);
        stats.conf.push(...image.pred.map((r) => r[4]!));
        stats.predCls.push(...predCls);
      });
    } finally {
      torch.dispose([...tensors.values()]);
    }
    assert.deepEqual(cm.toArray(), fx.expected.confusion_matrix);

    const metrics = new SegmentMetrics(Object.fromEntries(Object.entries(fx.names).map(([k, v]) => [Number(k), v])));
    metrics.process(stats.tp, stats.tpM, stats.conf, stats.predCls, stats.targetCls);
    const close = (actual: number, want: number, what: string): void => {
      const d = Math.abs(actual - want);
      worst = Math.max(worst, d);
      assert.ok(d <= 1e-6, `${what}: ${actual} vs ${want}`);
    };
    const [bp, br, b50, b] = metrics.box.meanResults();
    const [mp, mr, m50, m] = metrics.seg.meanResults();
    close(bp, fx.expected.box.mp, 'box P');
    close(br, fx.expected.box.mr, 'box R');
    close(b50, fx.expected.box.map50, 'box mAP50');
    close(b, fx.expected.box.map, 'box mAP50-95');
    close(mp, fx.expected.mask.mp, 'mask P');
    close(mr, fx.expected.mask.mr, 'mask R');
    close(m50, fx.expected.mask.map50, 'mask mAP50');
    close(m, fx.expected.mask.map, 'mask mAP50-95');
    close(metrics.fitness, fx.expected.fitness, 'fitness');
    metrics.apClassIndex.forEach((c, i) => {
      const want = fx.expected.per_class[String(c)];
      assert.ok(want);
      const values = metrics.classResult(i);
      ['box', 'mask'].forEach((kind, k) => {
        const w = want[kind as 'box' | 'mask'];
        close(values[k * 4]!, w.p, `class ${c} ${kind} P`);
        close(values[k * 4 + 1]!, w.r, `class ${c} ${kind} R`);
        close(values[k * 4 + 2]!, w.ap50, `class ${c} ${kind} AP50`);
        close(values[k * 4 + 3]!, w.ap50_95, `class ${c} ${kind} AP50-95`);
      });
    });
    assert.deepEqual(Object.keys(metrics.resultsDict), Object.keys(fx.expected.results_dict));
    for (const [key, want] of Object.entries(fx.expected.results_dict)) close(metrics.resultsDict[key]!, want, key);
    console.log(`# segment metrics: worst |diff| ${worst.toExponential(2)} (tolerance 1e-6); tp, tp_m and confusion matrix identical`);
  });
});
