// MuSGD against Ultralytics 8.4.104's two recorded steps (fixture musgd.safetensors, optimizer.json): parameters
// after each step, the orthogonalised Muon update U, and — fed the recorded U — the SGD half to float32 rounding.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '@yolots/torch';
import { fixtureGate, get, loadFixture, readFixtureJson } from './yolo26-fixtures.js';

type Tensor = torch.Tensor;

interface Where {
  lr: number;
  momentum: number;
  weight_decay: number;
  nesterov: boolean;
  use_muon: boolean;
}
interface OptimizerJson {
  muon_scale: number;
  sgd_scale: number;
  where: Record<string, Where>;
}

/** MuSGD whose Muon direction is recorded, or replaced by the recorded one when `replay` has it. */
class RecordingMuSGD extends torch.optim.MuSGD {
  readonly seen = new Map<Tensor, Tensor>();
  replay: Map<Tensor, Tensor> | null = null;
  protected override orthogonalize(u: Tensor): Tensor {
    const owner = this.current;
    const stored = owner ? this.replay?.get(owner) : undefined;
    const out = stored ? stored.clone() : super.orthogonalize(u);
    if (owner) this.seen.set(owner, out.clone().keep());
    return out;
  }
  current: Tensor | null = null;
  protected override update(p: Tensor, grad: Tensor, state: torch.optim.ParamState, group: torch.optim.ParamGroup): void {
    this.current = p;
    super.update(p, grad, state, group);
    this.current = null;
  }
}

const FILES = ['musgd.safetensors', 'optimizer.json'];

describe('YOLO26 MuSGD step (Ultralytics 8.4.104)', fixtureGate(FILES), () => {
  const { tensors } = loadFixture('musgd.safetensors');
  const info = readFixtureJson<OptimizerJson>('optimizer.json');
  const names = Object.keys(info.where);

  /**
   * Two consecutive steps from the recorded start; with `replay` the recorded U replaces ours. Calls `check(step)`
   * after each step with the parameters and the Muon directions used.
   */
  function run(replay: boolean, check: (step: number, params: Map<string, Tensor>, used: Map<string, Tensor>) => void): void {
    const params = new Map(names.map((n) => [n, get(tensors, `before.${n}`).clone().keep()]));
    const groups = names.map((n) => ({ params: [params.get(n) as Tensor], ...(info.where[n] as Where) }));
    const opt = new RecordingMuSGD(groups, { lr: 0.01 }, { muon: info.muon_scale, sgd: info.sgd_scale });
    const byParam = (key: (n: string) => string) =>
      new Map(names.filter((n) => tensors.has(key(n))).map((n) => [params.get(n) as Tensor, get(tensors, key(n))]));
    for (const step of [1, 2]) {
      opt.replay = replay ? byParam((n) => `step${step}.muon_update.${n}`) : null;
      for (const n of names) (params.get(n) as Tensor).grad = get(tensors, `step${step}.grad.${n}`);
      opt.step();
      const used = new Map(
        names.filter((n) => opt.seen.has(params.get(n) as Tensor)).map((n) => [n, opt.seen.get(params.get(n) as Tensor) as Tensor]),
      );
      check(step, params, used);
      for (const t of opt.seen.values()) t.dispose();
      opt.seen.clear();
    }
    opt.dispose();
    for (const p of params.values()) p.dispose();
  }

  test('parameter groups: Muon for matrices, lr × 3 for the class heads, scales 0.2 / 1.0', () => {
    assert.equal(info.muon_scale, 0.2);
    assert.equal(info.sgd_scale, 1.0);
    assert.equal(info.where['model.23.one2one_cv3.0.0.0.conv.weight']?.lr, 0.03);
    assert.equal(info.where['model.0.bn.weight']?.use_muon, false);
  });

  test('bfloat16 Newton–Schulz: U within 7e-2 relative, parameters within 2e-4', (t) => {
    let muonChecked = 0;
    let worstU = 0;
    let worstP = 0;
    run(false, (step, params, used) => {
      for (const n of names) {
        const key = `step${step}.muon_update.${n}`;
        if (tensors.has(key)) {
          const ours = used.get(n);
          assert.ok(ours, `${n}: no Muon update`);
          const ref = get(tensors, key);
          const rel = torch.tidy(() => ours.sub(ref).norm().item() / ref.norm().item());
          assert.ok(rel <= 7e-2, `${key}: relative error ${rel}`);
          worstU = Math.max(worstU, rel);
          muonChecked++;
        } else assert.ok(!used.has(n), `${n} is not a Muon parameter`);
        const d = torch.tidy(() =>
          (params.get(n) as Tensor)
            .sub(get(tensors, `step${step}.after.${n}`))
            .abs()
            .max()
            .item(),
        );
        assert.ok(d <= 2e-4, `${n} after step ${step}: |Δ| ${d}`);
        worstP = Math.max(worstP, d);
      }
    });
    assert.equal(muonChecked, 6);
    t.diagnostic(`worst U relative error ${worstU.toExponential(2)} (≤ 7e-2), worst parameter |Δ| ${worstP.toExponential(2)} (≤ 2e-4)`);
  });

  test('fed the recorded U, both steps match to float32 rounding (1e-7 + 2e-7·|p|)', () => {
    run(true, (step, params) => {
      for (const n of names) {
        const expected = get(tensors, `step${step}.after.${n}`);
        const excess = torch.tidy(() => (params.get(n) as Tensor).sub(expected).abs().sub(expected.abs().mul(2e-7).add(1e-7)).max().item());
        assert.ok(excess <= 0, `${n} after step ${step}: exceeds the tolerance by ${excess}`);
      }
    });
  });
});
