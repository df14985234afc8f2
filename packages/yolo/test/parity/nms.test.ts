import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { nonMaxSuppression } from '../../src/utils/nms.js';
import { requireShared, sharedPath } from '../helpers/shared.js';

const FIXTURES = sharedPath('fixtures/ultralytics/');
const gate = requireShared([`${FIXTURES}nms.json`, `${FIXTURES}nms_input.safetensors`], 'NMS parity');

interface NmsFixture {
  iou: number;
  max_det: number;
  synthetic_kept: Record<string, number[][][]>;
  model_output_kept: Record<string, number[][][]>;
}

/** Same rows in the same order: boxes within 1e-3 px, confidences within 1e-6, identical classes. */
function assertSameDetections(actual: Tensor, expected: number[][], what: string): void {
  const rows = actual.tolist() as number[][];
  assert.equal(rows.length, expected.length, `${what}: ${rows.length} detections, expected ${expected.length}`);
  rows.forEach((row, r) => {
    const want = expected[r]!;
    for (let c = 0; c < 4; c++) {
      assert.ok(Math.abs(row[c]! - want[c]!) <= 1e-3, `${what} row ${r} col ${c}: ${row[c]} vs ${want[c]}`);
    }
    assert.ok(Math.abs(row[4]! - want[4]!) <= 1e-6, `${what} row ${r} conf: ${row[4]} vs ${want[4]}`);
    assert.equal(row[5], want[5], `${what} row ${r} class`);
  });
}

function parseSetting(key: string): { confThres: number; agnostic: boolean; multiLabel: boolean } {
  const fields = Object.fromEntries(key.split(',').map((kv) => kv.split('=') as [string, string]));
  if (fields.conf === undefined || fields.agnostic === undefined || fields.multi_label === undefined) {
    throw new Error(`nms.json: unexpected setting key '${key}'`);
  }
  return { confThres: Number(fields.conf), agnostic: fields.agnostic === 'True', multiLabel: fields.multi_label === 'True' };
}

describe('nonMaxSuppression parity with Ultralytics 8.2.103 (nms.json)', gate, () => {
  const fixture = (): NmsFixture => JSON.parse(readFileSync(`${FIXTURES}nms.json`, 'utf8')) as NmsFixture;

  test('synthetic clustered boxes: same boxes in the same order for every setting, no leaks', () => {
    const { iou, max_det: maxDet, synthetic_kept: kept } = fixture();
    const pred = torch.io.loadSafetensors(`${FIXTURES}nms_input.safetensors`).tensors.get('pred') as Tensor;
    assert.ok(Object.keys(kept).length >= 3);
    for (const [key, perImage] of Object.entries(kept)) {
      const baseline = torch.liveTensors();
      const out = nonMaxSuppression(pred, { ...parseSetting(key), iouThres: iou, maxDet });
      assert.equal(out.length, perImage.length);
      for (const [i, dets] of out.entries()) assertSameDetections(dets, perImage[i]!, `${key} image ${i}`);
      torch.dispose(out);
      assert.equal(torch.liveTensors(), baseline, `${key}: leaked tensors`);
    }
  });

  test('model eval output at conf 0.001 / 0.05 / 0.25', () => {
    const { iou, max_det: maxDet, model_output_kept: kept } = fixture();
    const pred = torch.io.loadSafetensors(`${FIXTURES}forward.safetensors`).tensors.get('eval') as Tensor;
    for (const [conf, perImage] of Object.entries(kept)) {
      const out = nonMaxSuppression(pred, { confThres: Number(conf), iouThres: iou, maxDet, multiLabel: true });
      assert.equal(out.length, perImage.length);
      out.forEach((dets, i) => {
        assert.deepEqual(dets.shape.slice(1), [6]);
        assertSameDetections(dets, perImage[i]!, `conf ${conf} image ${i}`);
      });
    }
  });
});
