// YOLO26's loss (E2ELoss over two BranchDetectionLoss with reg_max 1) against Ultralytics 8.4.104, fed the
// recorded training outputs of both head branches (forward.safetensors) and the batch: loss vectors per branch,
// the weighted loss at epochs 0 and 60, the logged items and each branch's assignment (loss.safetensors).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '@yolots/torch';
import type { Batch } from '../../src/data/batch.js';
import { E2ELoss, type EndToEndOutput } from '../../src/utils/loss-e2e.js';
import { fixtureGate, get, loadFixture, maxAbsDiff, readFixtureJson } from './yolo26-fixtures.js';

const FILES = ['forward.safetensors', 'batch.safetensors', 'loss.safetensors', 'loss.json'];

interface LossJson {
  e2e_weight_schedule: Array<{ epoch: number; o2m: number; o2o: number }>;
  one2many: { fg_anchors: number; target_scores_sum: number };
  one2one: { fg_anchors: number; target_scores_sum: number };
}

function relClose(actual: number[], expected: number[], rel: number, what: string): number {
  let worst = 0;
  actual.forEach((a, i) => {
    const e = expected[i] as number;
    const r = Math.abs(a - e) / Math.max(Math.abs(e), 1e-12);
    worst = Math.max(worst, r);
    assert.ok(r <= rel, `${what}[${i}]: ${a} vs ${e} (relative ${r})`);
  });
  return worst;
}

describe('YOLO26 E2ELoss, reg_max 1 (Ultralytics 8.4.104)', fixtureGate(FILES), () => {
  const forward = loadFixture('forward.safetensors').tensors;
  const batchFile = loadFixture('batch.safetensors').tensors;
  const expected = loadFixture('loss.safetensors').tensors;
  const info = readFixtureJson<LossJson>('loss.json');
  const batch = {
    batchIdx: get(batchFile, 'batch_idx'),
    cls: get(batchFile, 'cls'),
    bboxes: get(batchFile, 'bboxes'),
  } as unknown as Batch;
  const feats = [40, 20, 10].map((s) => torch.zeros([2, 1, s, s]).keep());
  const branch = (name: string) => ({
    boxes: get(forward, `train.${name}.boxes`),
    scores: get(forward, `train.${name}.scores`),
    feats,
  });
  const preds: EndToEndOutput = { one2many: branch('one2many'), one2one: branch('one2one') };
  const head = { stride: [8, 16, 32], nc: 80, regMax: 1 };
  const hyp = { box: 7.5, cls: 0.5, dfl: 1.5 };

  test('each branch: loss vector (box, cls, l1) × batch, assignment; logged items are the one-to-one ones', (t) => {
    const criterion = new E2ELoss(head, hyp, 100);
    torch.tidy(() => {
      const worst: number[] = [];
      for (const [name, loss] of [
        ['o2m', criterion.one2many],
        ['o2o', criterion.one2one],
      ] as const) {
        const [vector, items] = loss.lossVector(name === 'o2m' ? preds.one2many : preds.one2one, batch);
        worst.push(relClose(vector.toArray(), get(expected, `${name}.loss_vec`).toArray(), 1e-4, `${name}.loss_vec`));
        worst.push(relClose(items.toArray(), get(expected, `${name}.loss_items`).toArray(), 1e-4, `${name}.loss_items`));
        const facts = name === 'o2m' ? info.one2many : info.one2one;
        assert.equal(loss.lastAssignment?.foreground, facts.fg_anchors);
        relClose([loss.lastAssignment?.targetScoresSum ?? 0], [facts.target_scores_sum], 1e-4, `${name} target score sum`);
      }
      t.diagnostic(`worst relative error of branch loss vectors/items: ${Math.max(...worst).toExponential(2)} (≤ 1e-4)`);
    });
  });

  test('assignments of both branches: foreground, GT index identical; target score maxima ≤ 1e-5', () => {
    const criterion = new E2ELoss(head, hyp, 100);
    for (const [name, loss, out] of [
      ['o2m', criterion.one2many, preds.one2many],
      ['o2o', criterion.one2one, preds.one2one],
    ] as const) {
      const captured: Array<{ fg: torch.Tensor; idx: torch.Tensor; max: torch.Tensor }> = [];
      const original = loss.assigner.forward.bind(loss.assigner);
      loss.assigner.forward = (...args) => {
        const a = original(...args);
        captured.push({ fg: a.fgMask.clone().keep(), idx: a.targetGtIdx.clone().keep(), max: a.targetScores.amax(-1).keep() });
        return a;
      };
      torch.tidy(() => loss.lossVector(out, batch));
      const got = captured[0];
      assert.ok(got);
      assert.ok(
        got.fg
          .eq(get(expected, `assigner.${name}.fg_mask`))
          .all()
          .item(),
        `${name}: fg_mask differs`,
      );
      const fg = got.fg;
      assert.ok(
        torch.tidy(() =>
          got.idx
            .i(fg)
            .eq(get(expected, `assigner.${name}.target_gt_idx`).i(fg))
            .all()
            .item(),
        ),
        `${name}: target_gt_idx differs on the foreground`,
      );
      const d = maxAbsDiff(got.max, get(expected, `assigner.${name}.target_scores_max`), `${name}.target_scores_max`);
      assert.ok(d <= 1e-5, `${name}: target_scores_max |Δ| ${d}`);
      torch.dispose([got.fg, got.idx, got.max]);
    }
  });

  test('weighted loss at epoch 0 (0.8 / 0.2) and after 60 updates (epoch 60); the ProgLoss schedule', () => {
    const criterion = new E2ELoss(head, hyp, 100);
    torch.tidy(() => {
      const [vector, items] = criterion.lossVector(preds, batch);
      relClose(vector.toArray(), get(expected, 'loss_vec').toArray(), 1e-4, 'loss_vec');
      relClose([vector.sum().item()], get(expected, 'loss').toArray(), 1e-4, 'loss');
      relClose(items.toArray(), get(expected, 'loss_items').toArray(), 1e-4, 'loss_items');
      for (let e = 0; e < 60; e++) criterion.update();
      const [v60] = criterion.lossVector(preds, batch);
      relClose(v60.toArray(), get(expected, 'epoch60.loss_vec').toArray(), 1e-4, 'epoch60.loss_vec');
      relClose([v60.sum().item()], get(expected, 'epoch60.loss').toArray(), 1e-4, 'epoch60.loss');
    });
    // The epoch count is read at each update: a run whose epochs change moves along the new schedule.
    let epochs = 100;
    const fresh = new E2ELoss(head, hyp, () => epochs);
    for (const { epoch, o2m, o2o } of info.e2e_weight_schedule) {
      fresh.setUpdates(epoch);
      assert.ok(Math.abs(fresh.o2m - o2m) < 1e-6 && Math.abs(fresh.o2o - o2o) < 1e-6, `epoch ${epoch}: ${fresh.o2m}/${fresh.o2o}`);
    }
    epochs = 50;
    fresh.setUpdates(49);
    assert.equal(fresh.o2m, 0.1, 'the last epoch of a 50-epoch run reaches the final weight');
  });
});
