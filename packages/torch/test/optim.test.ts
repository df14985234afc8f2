// Optimizer steps against values computed by hand from PyTorch's documented update rules (float64, two
// parameters, three steps with fixed gradients), plus param groups, clipping and optimizer state dicts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '@yolots/torch';

const { optim } = torch;
type Tensor = torch.Tensor;

const START = [1, -2];
const GRADS = [
  [0.5, 1],
  [-0.25, 0.5],
  [1, -1],
];

/** Runs three steps of `make([p])` on p = START with the fixed GRADS; returns p and the live-tensor growth. */
function trajectory(make: (params: Tensor[]) => torch.optim.Optimizer<{ lr: number }>): { values: number[]; leaked: number } {
  const p = torch.tensor(START, { dtype: 'float64', requiresGrad: true }).keep();
  const optimizer = make([p]);
  let afterFirst = 0;
  GRADS.forEach((g, step) => {
    const grad = torch.tensor(g, { dtype: 'float64' });
    p.grad = grad;
    grad.dispose(); // the handle only: p.grad keeps its own reference to the data
    optimizer.step();
    if (step === 0) afterFirst = torch.liveTensors();
  });
  const leaked = torch.liveTensors() - afterFirst;
  const values = p.toArray();
  for (const state of optimizer.state.values()) for (const v of state.values()) if (typeof v !== 'number') v.dispose();
  p.dispose();
  return { values, leaked };
}

function assertClose(actual: number[], expected: number[], tol = 1e-12): void {
  actual.forEach((a, i) => {
    assert.ok(Math.abs(a - expected[i]!) <= tol, `element ${i}: ${a} vs ${expected[i]} (all: ${actual})`);
  });
}

describe('update rules', () => {
  test('SGD: p -= lr·g', () => {
    // 1 - 0.1·(0.5 - 0.25 + 1) = 0.875; -2 - 0.1·(1 + 0.5 - 1) = -2.05
    const { values, leaked } = trajectory((ps) => new optim.SGD(ps, { lr: 0.1 }));
    assertClose(values, [0.875, -2.05]);
    assert.equal(leaked, 0);
  });

  test('SGD momentum: buf = g first, then buf = 0.9·buf + g', () => {
    // p0: bufs 0.5, 0.2, 1.18 → 1 - 0.1·1.88 = 0.812; p1: bufs 1, 1.4, 0.26 → -2 - 0.1·2.66 = -2.266
    assertClose(trajectory((ps) => new optim.SGD(ps, { lr: 0.1, momentum: 0.9 })).values, [0.812, -2.266]);
  });

  test('SGD momentum with dampening: buf = 0.9·buf + 0.5·g after the first step', () => {
    // p0: bufs 0.5, 0.325, 0.7925 → 1 - 0.1·1.6175; p1: bufs 1, 1.15, 0.535 → -2 - 0.1·2.685
    assertClose(trajectory((ps) => new optim.SGD(ps, { lr: 0.1, momentum: 0.9, dampening: 0.5 })).values, [0.83825, -2.2685]);
  });

  test('SGD Nesterov with weight decay (the Ultralytics SGD): d = g + wd·p; buf; p -= lr·(d + 0.9·buf)', () => {
    const { values, leaked } = trajectory((ps) => new optim.SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 0.01 }));
    assertClose(values, [0.6981892081909999, -2.272120188182]);
    assert.equal(leaked, 0);
  });

  test('Adam: bias-corrected moments', () => {
    assertClose(trajectory((ps) => new optim.Adam(ps, { lr: 0.1 })).values, [0.8075551396770898, -2.2042962687061283]);
  });

  test('Adam with L2 weight decay folds wd·p into the gradient', () => {
    assertClose(trajectory((ps) => new optim.Adam(ps, { lr: 0.1, weight_decay: 0.1 })).values, [0.7815043998631658, -2.1750430965361343]);
  });

  test('AdamW decays the weights directly: p *= 1 - lr·wd before the Adam step', () => {
    const { values, leaked } = trajectory((ps) => new optim.AdamW(ps, { lr: 0.1, betas: [0.9, 0.999], weight_decay: 0.1 }));
    assertClose(values, [0.7801104766702113, -2.14197208909901]);
    assert.equal(leaked, 0);
  });

  test('AdamW default weight decay is 0.01, as PyTorch', () => {
    const withDefault = trajectory((ps) => new optim.AdamW(ps, { lr: 0.1 })).values;
    const explicit = trajectory((ps) => new optim.AdamW(ps, { lr: 0.1, weight_decay: 0.01 })).values;
    assert.deepEqual(withDefault, explicit);
    assert.notDeepEqual(withDefault, trajectory((ps) => new optim.Adam(ps, { lr: 0.1 })).values);
  });

  test('RMSprop, plain and centered with momentum', () => {
    assertClose(trajectory((ps) => new optim.RMSprop(ps, { lr: 0.01 })).values, [0.8574273783928595, -2.077900298880414]);
    assertClose(
      trajectory((ps) => new optim.RMSprop(ps, { lr: 0.01, momentum: 0.9, centered: true })).values,
      [0.7250347474647706, -2.2914168768786745],
    );
  });
});

describe('optimizer mechanics', () => {
  test('param groups carry their own lr and weight_decay; params without grad are skipped', () =>
    torch.tidy(() => {
      const weight = torch.tensor([1], { dtype: 'float64', requiresGrad: true });
      const bias = torch.tensor([1], { dtype: 'float64', requiresGrad: true });
      const frozen = torch.tensor([1], { dtype: 'float64', requiresGrad: true });
      const opt = new optim.SGD(
        [
          { params: [weight], weight_decay: 0.5 },
          { params: [bias, frozen], lr: 0.2 },
        ],
        { lr: 0.1 },
      );
      assert.equal(opt.paramGroups[0]?.lr, 0.1);
      assert.equal(opt.paramGroups[1]?.weight_decay, 0);
      weight.grad = torch.tensor([1], { dtype: 'float64' });
      bias.grad = torch.tensor([1], { dtype: 'float64' });
      opt.step();
      assert.equal(weight.item(), 1 - 0.1 * (1 + 0.5));
      assert.equal(bias.item(), 1 - 0.2);
      assert.equal(frozen.item(), 1);
      assert.equal(opt.state.has(frozen), false);
      opt.zeroGrad();
      assert.equal(weight.grad, null);
      opt.paramGroups[0].lr = 0; // a scheduler writes lr like this
      bias.grad = torch.tensor([1], { dtype: 'float64' });
      opt.step();
      assert.equal(weight.item(), 1 - 0.1 * (1 + 0.5));
    }));

  test('bad configurations are rejected', () =>
    torch.tidy(() => {
      const p = torch.zeros([1], { requiresGrad: true });
      assert.throws(() => new optim.SGD([p], { lr: 0.1, nesterov: true }), /Nesterov momentum requires momentum > 0/);
      assert.throws(() => new optim.SGD([{ params: [p] }, { params: [p] }], { lr: 0.1 }), /more than one parameter group/);
    }));

  test('clipGradNorm scales every gradient by maxNorm / total norm and returns the norm', () =>
    torch.tidy(() => {
      const a = torch.tensor([3], { dtype: 'float64', requiresGrad: true });
      const b = torch.tensor([0], { dtype: 'float64', requiresGrad: true });
      a.grad = torch.tensor([3], { dtype: 'float64' });
      b.grad = torch.tensor([4], { dtype: 'float64' });
      assert.equal(optim.clipGradNorm([a, b], 10), 5);
      assert.equal(a.grad?.item(), 3);
      const before = torch.liveTensors();
      const norm = optim.clipGradNorm([a, b], 1);
      assert.equal(torch.liveTensors(), before);
      assert.equal(norm, 5);
      assertClose([a.grad?.item() as number, b.grad?.item() as number], [3 / (5 + 1e-6), 4 / (5 + 1e-6)]);
    }));

  test('stateDict/loadStateDict round-trip: a restored optimizer continues the same trajectory', () =>
    torch.tidy(() => {
      const make = (): [Tensor, torch.optim.AdamW] => {
        const p = torch.tensor(START, { dtype: 'float64', requiresGrad: true });
        return [p, new optim.AdamW([{ params: [p], weight_decay: 0.05 }], { lr: 0.1 })];
      };
      const [p1, opt1] = make();
      for (const g of GRADS.slice(0, 2)) {
        p1.grad = torch.tensor(g, { dtype: 'float64' });
        opt1.step();
      }
      const [p2, opt2] = make();
      p2.setData_(p1.detach().clone());
      opt2.paramGroups[0]!.lr = 0.5;
      const saved = opt1.stateDict();
      assert.equal(saved.state.get(0)?.get('step'), 2);
      opt2.loadStateDict(saved);
      assert.equal(opt2.paramGroups[0]!.lr, 0.1);
      assert.equal(opt2.paramGroups[0]!.weight_decay, 0.05);
      const grad = GRADS[2]!;
      for (const [p, opt] of [
        [p1, opt1],
        [p2, opt2],
      ] as const) {
        p.grad = torch.tensor(grad, { dtype: 'float64' });
        opt.step();
      }
      assert.deepEqual(p2.toArray(), p1.toArray());
      // the loaded state is a copy: stepping one optimizer does not move the other's moments
      assert.notEqual(opt2.state.get(p2)?.get('exp_avg'), opt1.state.get(p1)?.get('exp_avg'));
      for (const opt of [opt1, opt2])
        for (const s of opt.state.values()) for (const v of s.values()) if (typeof v !== 'number') v.dispose();
    }));

  test('loadStateDict rejects a state of a different shape', () =>
    torch.tidy(() => {
      const p = torch.zeros([1], { requiresGrad: true });
      const q = torch.zeros([1], { requiresGrad: true });
      const one = new optim.SGD([p], { lr: 0.1 });
      const two = new optim.SGD([{ params: [p] }, { params: [q] }], { lr: 0.1 });
      assert.throws(() => one.loadStateDict(two.stateDict()), /2 parameter groups, this optimizer has 1/);
      const pair = new optim.SGD([p, q], { lr: 0.1 });
      assert.throws(() => one.loadStateDict(pair.stateDict()), /state has 2 parameters, optimizer has 1/);
    }));
});

describe('MuSGD', () => {
  test('newtonSchulz5 orthogonalises approximately (singular values near 1), wide and tall, in float32', () =>
    torch.tidy(() => {
      for (const shape of [
        [8, 24],
        [24, 8],
      ]) {
        const x = optim.newtonSchulz5(torch.randn(shape));
        assert.equal(x.dtype, 'float32');
        assert.deepEqual(x.shape, shape);
        const small = shape[0]! < shape[1]! ? x.matmul(x.t()) : x.t().matmul(x);
        const rows = small.tolist() as number[][];
        const diag = rows.map((row, i) => row[i] as number);
        assert.ok(
          diag.every((d) => d > 0.3 && d < 1.5),
          `diag of XXᵀ ${diag}`,
        );
      }
    }));

  test('groups without use_muon are Nesterov SGD exactly; Muon groups need matrices', () =>
    torch.tidy(() => {
      const a = torch.tensor(START, { dtype: 'float64', requiresGrad: true });
      const b = torch.tensor(START, { dtype: 'float64', requiresGrad: true });
      const musgd = new optim.MuSGD([{ params: [a], weight_decay: 0.1 }], { lr: 0.1, momentum: 0.9, nesterov: true });
      const sgd = new optim.SGD([{ params: [b], weight_decay: 0.1 }], { lr: 0.1, momentum: 0.9, nesterov: true });
      for (const g of GRADS) {
        a.grad = torch.tensor(g, { dtype: 'float64' });
        b.grad = torch.tensor(g, { dtype: 'float64' });
        musgd.step();
        sgd.step();
      }
      assertClose(a.toArray(), b.toArray(), 0);
      const vector = torch.zeros([4], { requiresGrad: true });
      vector.grad = torch.ones([4]);
      assert.throws(() => new optim.MuSGD([{ params: [vector], use_muon: true }], { lr: 0.1 }).step(), /expects a matrix/);
    }));

  test('a Muon parameter keeps two buffers, saved by stateDict', () =>
    torch.tidy(() => {
      const w = torch.randn([4, 2, 3, 3], { requiresGrad: true });
      const before = w.clone();
      w.grad = torch.randn([4, 2, 3, 3]);
      const opt = new optim.MuSGD(
        [{ params: [w], use_muon: true, weight_decay: 5e-4 }],
        { lr: 0.01, momentum: 0.9, nesterov: true },
        { muon: 0.2, sgd: 1 },
      );
      opt.step();
      assert.ok(w.sub(before).abs().max().item() > 0);
      assert.deepEqual([...(opt.stateDict().state.get(0)?.keys() ?? [])].sort(), ['momentum_buffer', 'momentum_buffer_SGD']);
      opt.dispose();
    }));
});
