// NMS with mask coefficients and the mask post-processing against the real Ultralytics 8.2.103
// (fixtures/ultralytics-segment, README §5): non_max_suppression(nc=3) rows for the validator's and the predictor's
// settings, process_mask at proto resolution and upsampled, process_mask_native, and mask_iou against the GT.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { nonMaxSuppression } from '../../src/utils/nms.js';
import { maskIou, maskLogits, processMask, processMaskNative } from '../../src/utils/ops-mask.js';
import { fixtureGate, get, loadFixture, maxAbsDiff, readFixtureJson } from './segment-fixtures.js';

const gate = fixtureGate(['masks.safetensors', 'masks.json', 'forward.safetensors', 'batch.safetensors']);

/** Same rows in the same order: coordinates ≤ 1e-3 px, conf ≤ 1e-6, coefficients ≤ 1e-5. */
function checkNmsRows(rows: Tensor, want: Tensor, what: string): void {
  assert.deepEqual(rows.shape, want.shape, `${what}: kept rows`);
  if (rows.shape[0] === 0) return;
  const coords = maxAbsDiff(rows.narrow(1, 0, 4), want.narrow(1, 0, 4), what);
  const conf = maxAbsDiff(rows.narrow(1, 4, 1), want.narrow(1, 4, 1), what);
  const coef = maxAbsDiff(rows.narrow(1, 6, 32), want.narrow(1, 6, 32), what);
  assert.deepEqual(rows.select(1, 5).toArray(), want.select(1, 5).toArray(), `${what}: classes`);
  assert.ok(coords <= 1e-3 && conf <= 1e-6 && coef <= 1e-5, `${what}: coords ${coords}, conf ${conf}, coefficients ${coef}`);
  console.log(
    `# ${what}: ${rows.shape[0]} rows; coords ${coords.toExponential(2)} px, conf ${conf.toExponential(2)}, coefficients ${coef.toExponential(2)}`,
  );
}

function count(mask: Tensor): number[] {
  return torch.tidy(() => mask.flatten(1).sum(1).toArray());
}

describe('NMS and mask post-processing parity with Ultralytics 8.2.103', gate, () => {
  test('non_max_suppression with nc: validator and predictor settings on the stored eval output', () => {
    const forward = loadFixture('forward.safetensors');
    const masks = loadFixture('masks.safetensors');
    try {
      torch.tidy(() => {
        const pred = get(forward.tensors, 'eval');
        const val = nonMaxSuppression(pred, { confThres: 0.001, iouThres: 0.7, multiLabel: true, maxDet: 300, nc: 3 });
        const predict = nonMaxSuppression(pred, { confThres: 0.25, iouThres: 0.7, multiLabel: false, maxDet: 300, nc: 3 });
        for (const i of [0, 1]) {
          checkNmsRows(val[i]!, get(masks.tensors, `nms.val.img${i}`), `NMS val image ${i}`);
          checkNmsRows(predict[i]!, get(masks.tensors, `nms.predict.img${i}`), `NMS predict image ${i}`);
        }
        const first = nonMaxSuppression(pred, { confThres: 0.05, iouThres: 0.7, nc: 3 })[0]!;
        checkNmsRows(first.narrow(0, 0, 6), get(masks.tensors, 'detections'), 'NMS conf 0.05 image 0 (first 6)');
      });
    } finally {
      torch.dispose([...forward.tensors.values(), ...masks.tensors.values()]);
    }
  });

  test('process_mask (proto resolution, upsampled), process_mask_native and mask_iou are identical', () => {
    const forward = loadFixture('forward.safetensors');
    const masks = loadFixture('masks.safetensors');
    const batch = loadFixture('batch.safetensors');
    const info = readFixtureJson<{ ori_shape_hw: [number, number]; input_hw: [number, number] }>('masks.json');
    try {
      torch.tidy(() => {
        const m = masks.tensors;
        const protos = get(forward.tensors, 'eval_proto').select(0, 0);
        const det = get(m, 'detections');
        const coef = det.narrow(1, 6, 32);
        const logits = maxAbsDiff(maskLogits(protos, coef), get(m, 'mask_logits'), 'mask logits');
        const protoRes = processMask(protos, coef, det.narrow(1, 0, 4), info.input_hw, false);
        const upsampled = processMask(protos, coef, det.narrow(1, 0, 4), info.input_hw, true);
        const native = processMaskNative(
          protos,
          get(m, 'detections_native').narrow(1, 6, 32),
          get(m, 'detections_native').narrow(1, 0, 4),
          info.ori_shape_hw,
        );
        for (const [what, ours, key] of [
          ['proto resolution', protoRes, 'masks_proto_res'],
          ['upsampled', upsampled, 'masks_upsampled'],
          ['native', native, 'masks_native'],
        ] as const) {
          const want = get(m, key);
          const differing = torch.tidy(() => ours.ne(want).sum().item());
          console.log(`# masks ${what}: ${differing} pixels differ, counts ${count(ours).join(', ')}`);
          assert.equal(differing, 0, `masks ${what}: ${differing} pixels differ`);
          assert.deepEqual(count(ours), count(want));
        }
        const gtIndex = get(batch.tensors, 'masks').select(0, 0);
        const gt = torch.stack([1, 2, 3, 4].map((k) => gtIndex.eq(k))).flatten(1);
        const iou = maxAbsDiff(maskIou(gt, protoRes.flatten(1)), get(m, 'iou_gt_vs_proto_res'), 'mask IoU');
        console.log(`# mask logits max |diff| ${logits.toExponential(2)}; mask IoU max |diff| ${iou.toExponential(2)} (tolerance 1e-6)`);
        assert.ok(iou <= 1e-6);
      });
    } finally {
      torch.dispose([...forward.tensors.values(), ...masks.tensors.values(), ...batch.tensors.values()]);
    }
  });
});
