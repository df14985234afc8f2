import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '@yolots/torch';
import { TaskAlignedAssigner } from '../../src/utils/tal.js';
import { requireShared, sharedPath } from '../helpers/shared.js';
import { get, maxAbsDiff } from './fixture-set.js';

const FIXTURE = sharedPath('fixtures/ultralytics/assigner.safetensors');
const gate = requireShared([FIXTURE], 'assigner parity');

describe('TaskAlignedAssigner parity with Ultralytics 8.2.103 (assigner.safetensors)', gate, () => {
  test('integer and bool outputs exact, floats within 1e-5; nothing leaked', () => {
    const f = torch.io.loadSafetensors(FIXTURE).tensors;
    const assigner = new TaskAlignedAssigner({ topk: 10, numClasses: 80, alpha: 0.5, beta: 6.0, eps: 1e-9 });
    const baseline = torch.liveTensors();
    const out = assigner.forward(
      get(f, 'pd_scores'),
      get(f, 'pd_bboxes'),
      get(f, 'anc_points'),
      get(f, 'gt_labels'),
      get(f, 'gt_bboxes'),
      get(f, 'mask_gt'),
    );
    assert.equal(out.targetLabels.dtype, 'int64');
    assert.equal(out.fgMask.dtype, 'bool');
    assert.deepEqual(out.targetLabels.toArray(), get(f, 'target_labels').toArray());
    assert.deepEqual(out.targetGtIdx.toArray(), get(f, 'target_gt_idx').toArray());
    assert.deepEqual(out.fgMask.toArray(), get(f, 'fg_mask').toArray());
    torch.tidy(() => {
      assert.ok(out.fgMask.sum().item() > 0, 'the fixture case has foreground anchors');
      assert.ok(maxAbsDiff(out.targetBboxes, get(f, 'target_bboxes'), 'target_bboxes') <= 1e-5);
      assert.ok(maxAbsDiff(out.targetScores, get(f, 'target_scores'), 'target_scores') <= 1e-5);
    });
    torch.dispose(out);
    assert.equal(torch.liveTensors(), baseline);
  });
});
