// TaskAlignedAssigner with STAL and topk2 against Ultralytics 8.4.104 (fixture assigner_stal.safetensors): the
// one-to-many assigner (topk 10), the one-to-one one (topk 7, topk2 1) and the 8.2/8.3 assigner (no STAL).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '@yolots/torch';
import { growSmallBoxes, selectCandidatesInGts, TaskAlignedAssigner } from '../../src/utils/tal.js';
import { fixtureGate, get, loadFixture, maxAbsDiff } from './yolo26-fixtures.js';

const CASES = {
  o2m: { topk: 10, stride: [8, 16, 32] },
  o2o: { topk: 7, topk2: 1, stride: [8, 16, 32] },
  o2m_nostal: { topk: 10, stride: [0, 0, 0] },
} as const;

describe('YOLO26 TaskAlignedAssigner: STAL and topk2 (Ultralytics 8.4.104)', fixtureGate(['assigner_stal.safetensors']), () => {
  const { tensors } = loadFixture('assigner_stal.safetensors');
  const input = (k: string) => get(tensors, k);

  for (const [name, options] of Object.entries(CASES)) {
    test(`${name}: candidates, labels, boxes, scores, foreground and GT indices`, () => {
      torch.tidy(() => {
        const grown = growSmallBoxes(input('gt_bboxes'), input('mask_gt'), [...options.stride]);
        const inGts = selectCandidatesInGts(input('anc_points'), grown).bool();
        assert.ok(
          inGts
            .eq(get(tensors, `${name}.mask_in_gts`))
            .all()
            .item(),
          `${name}: mask_in_gts differs`,
        );

        const assigner = new TaskAlignedAssigner({ numClasses: 80, alpha: 0.5, beta: 6.0, ...options, stride: [...options.stride] });
        const out = assigner.forward(
          input('pd_scores'),
          input('pd_bboxes'),
          input('anc_points'),
          input('gt_labels'),
          input('gt_bboxes'),
          input('mask_gt'),
        );
        const same = (ours: torch.Tensor, key: string) =>
          assert.ok(
            ours
              .eq(get(tensors, `${name}.${key}`))
              .all()
              .item(),
            `${name}.${key} differs`,
          );
        same(out.fgMask, 'fg_mask');
        same(out.targetGtIdx, 'target_gt_idx');
        same(out.targetLabels, 'target_labels');
        for (const key of ['target_bboxes', 'target_scores'] as const) {
          const ours = key === 'target_bboxes' ? out.targetBboxes : out.targetScores;
          const d = maxAbsDiff(ours, get(tensors, `${name}.${key}`), `${name}.${key}`);
          assert.ok(d <= 1e-6, `${name}.${key}: |Δ| ${d}`);
        }
      });
    });
  }

  test('without stride the assigner is 8.2’s (equal to stride [0, 0, 0])', () => {
    torch.tidy(() => {
      const out = new TaskAlignedAssigner({ topk: 10, numClasses: 80, alpha: 0.5, beta: 6.0 }).forward(
        input('pd_scores'),
        input('pd_bboxes'),
        input('anc_points'),
        input('gt_labels'),
        input('gt_bboxes'),
        input('mask_gt'),
      );
      assert.ok(out.fgMask.eq(get(tensors, 'o2m_nostal.fg_mask')).all().item());
    });
  });
});
