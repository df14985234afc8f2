// nn.Module and the standard layers: registration and naming, modes, initialisation, BatchNorm statistics,
// and state-dict round trips with loadStateDict's missing / unexpected / shape-mismatch errors.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '@yolots/torch';

const { nn, F } = torch;
type Tensor = torch.Tensor;

/** Ultralytics-style block: conv (no bias) + BN + SiLU, then a 1x1 head conv with bias. */
class Block extends nn.Module {
  readonly conv: torch.nn.Conv2d;
  readonly bn: torch.nn.BatchNorm2d;
  readonly head: torch.nn.Sequential;

  constructor(c1 = 2, c2 = 4) {
    super();
    this.conv = this.registerModule('conv', new nn.Conv2d(c1, c2, 3, { padding: 1, bias: false }));
    this.bn = this.registerModule('bn', new nn.BatchNorm2d(c2, { eps: 1e-3, momentum: 0.03 }));
    this.head = this.registerModule('head', new nn.Sequential(new nn.Identity(), new nn.Conv2d(c2, 3, 1)));
    this.registerBuffer('scratch', torch.zeros([1]), false);
  }

  forward(x: Tensor): Tensor {
    return this.head.call(F.silu(this.bn.call(this.conv.call(x))));
  }
}

function cloneState(model: torch.nn.Module<any, any>): Map<string, Tensor> {
  return torch.noGrad(() => new Map([...model.stateDict()].map(([k, v]) => [k, v.clone().keep()])));
}

describe('registration', () => {
  test('state-dict names and order follow registration, as PyTorch', () => {
    const model = new Block();
    assert.deepEqual(
      [...model.stateDict().keys()],
      [
        'conv.weight',
        'bn.weight',
        'bn.bias',
        'bn.running_mean',
        'bn.running_var',
        'bn.num_batches_tracked',
        'head.1.weight',
        'head.1.bias',
      ],
    );
    assert.deepEqual(
      [...model.namedParameters()].map(([name]) => name),
      ['conv.weight', 'bn.weight', 'bn.bias', 'head.1.weight', 'head.1.bias'],
    );
    assert.deepEqual(
      [...model.namedBuffers()].map(([name]) => name),
      ['scratch', 'bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked'],
      'non-persistent buffers are buffers, but not in the state dict',
    );
    assert.deepEqual(
      [...model.namedModules()].map(([name]) => name),
      ['', 'conv', 'bn', 'head', 'head.0', 'head.1'],
    );
    assert.equal(model.conv.bias, null);
    assert.ok(model.parameters().every((p) => p.requiresGrad));
    assert.equal(model.head.length, 2);
    model.dispose();
  });

  test('registered tensors are kept: creating a module inside a scope does not free its parameters', () => {
    const before = torch.liveTensors();
    const model = torch.tidy(() => new Block());
    assert.ok(model.parameters().every((p) => !p.isDisposed));
    assert.equal(torch.liveTensors(), before + 9);
    model.dispose();
    assert.equal(torch.liveTensors(), before);
  });

  test('setParameter/setBuffer replace and free the old tensor; setModule swaps a child', () => {
    const model = new Block();
    const old = model.bn.getParameter('weight') as Tensor;
    model.bn.setParameter('weight', torch.full([4], 2));
    assert.equal(old.isDisposed, true);
    assert.deepEqual(model.bn.weight?.toArray(), [2, 2, 2, 2]);
    assert.equal(model.bn.weight?.requiresGrad, true);
    const oldMean = model.bn.runningMean as Tensor;
    model.bn.setBuffer('running_mean', torch.ones([4]));
    assert.equal(oldMean.isDisposed, true);
    const replaced = model.getModule('head') as torch.nn.Module<any, any>;
    model.setModule('head', new nn.Identity());
    assert.equal(model.getModule('head') instanceof nn.Identity, true);
    replaced.dispose();
    model.dispose();
  });

  test('train/eval propagate; apply visits children before the parent', () => {
    const model = new Block();
    model.eval();
    assert.ok(model.modules().every((m) => !m.training));
    model.train();
    assert.ok(model.modules().every((m) => m.training));
    const order: string[] = [];
    model.apply((m) => order.push(m.constructor.name));
    assert.deepEqual(order, ['Conv2d', 'BatchNorm2d', 'Identity', 'Conv2d', 'Sequential', 'Block']);
    model.dispose();
  });

  test('to(dtype) casts floating parameters and buffers in place, leaving integer buffers', () => {
    const model = new Block();
    const weight = model.conv.weight;
    model.to('float64');
    assert.equal(model.conv.weight, weight, 'same tensor object, new data');
    assert.equal(weight.dtype, 'float64');
    assert.equal(model.bn.getBuffer('num_batches_tracked')?.dtype, 'int64');
    assert.equal(weight.requiresGrad, true);
    model.dispose();
  });
});

describe('layers', () => {
  test('Conv2d and Linear use PyTorch default init: U(-1/√fan_in, 1/√fan_in)', () => {
    torch.manualSeed(0);
    const conv = new nn.Conv2d(16, 32, 3);
    const bound = 1 / Math.sqrt(16 * 9);
    torch.tidy(() => {
      const w = conv.weight;
      assert.ok((w.abs().max().item() as number) <= bound);
      assert.ok((w.abs().max().item() as number) > 0.95 * bound);
      assert.ok(Math.abs(w.std().item() - bound / Math.sqrt(3)) < 0.05 * bound);
      assert.ok((conv.bias?.abs().max().item() as number) <= bound);
    });
    conv.dispose();
    const linear = new nn.Linear(4, 2);
    torch.tidy(() => {
      const y = linear.call(torch.zeros([3, 4]));
      assert.deepEqual(y.shape, [3, 2]);
      assert.deepEqual(y.i(0).toArray(), linear.getParameter('bias')?.toArray(), 'zero input gives the bias');
    });
    linear.dispose();
  });

  test('BatchNorm2d: batch statistics in training with momentum 0.03 updates, running statistics in eval', () => {
    const bn = new nn.BatchNorm2d(1, { eps: 1e-3, momentum: 0.03 });
    torch.tidy(() => {
      const x = torch.tensor([1, 3, 5, 7]).view(4, 1, 1, 1);
      const y = bn.call(x);
      const sd = Math.sqrt(5 + 1e-3);
      y.toArray().forEach((v, i) => {
        assert.ok(Math.abs(v - [-3, -1, 1, 3][i]! / sd) < 1e-5);
      });
      assert.ok(Math.abs((bn.runningMean?.item() as number) - 0.03 * 4) < 1e-6);
      assert.ok(Math.abs((bn.runningVar?.item() as number) - (0.97 + 0.03 * (20 / 3))) < 1e-6);
      assert.equal(bn.getBuffer('num_batches_tracked')?.item(), 1);
      bn.eval();
      const z = bn.call(x);
      assert.equal(bn.getBuffer('num_batches_tracked')?.item(), 1, 'eval does not count batches');
      const rv = 0.97 + 0.03 * (20 / 3);
      z.toArray().forEach((v, i) => {
        assert.ok(Math.abs(v - ([1, 3, 5, 7][i]! - 0.12) / Math.sqrt(rv + 1e-3)) < 1e-5);
      });
    });
    bn.dispose();
  });

  test('MaxPool2d, Upsample, Sequential and ModuleList', () => {
    const seq = new nn.Sequential(new nn.MaxPool2d(2), new nn.Upsample({ scaleFactor: 2, mode: 'nearest' }));
    torch.tidy(() => {
      const x = torch.arange(0, 16, 1, { dtype: 'float32' }).view(1, 1, 4, 4);
      assert.deepEqual(seq.call(x).i(0, 0, 0).toArray(), [5, 5, 7, 7]);
    });
    const list = new nn.ModuleList([new nn.Identity(), new nn.Conv2d(1, 1, 1)]);
    assert.equal(list.length, 2);
    assert.deepEqual(
      [...list].map((m) => m.constructor.name),
      ['Identity', 'Conv2d'],
    );
    assert.deepEqual([...list.stateDict().keys()], ['1.weight', '1.bias']);
    list.dispose();
  });
});

describe('state dicts', () => {
  test('round trip: a trained model copied into a fresh one gives identical eval outputs', () => {
    torch.manualSeed(1);
    const trained = new Block();
    torch.tidy(() => {
      const opt = new torch.optim.SGD(trained.parameters(), { lr: 0.1 });
      trained
        .call(torch.randn([2, 2, 6, 6]))
        .pow(2)
        .mean()
        .backward();
      opt.step();
    });
    trained.zeroGrad();
    const fresh = new Block();
    const result = fresh.loadStateDict(trained.stateDict());
    assert.deepEqual(result, { missingKeys: [], unexpectedKeys: [] });
    for (const [key, value] of fresh.stateDict()) {
      const source = trained.stateDict().get(key) as Tensor;
      assert.notEqual(value, source, `${key} must be copied, not shared`);
      assert.deepEqual(value.toArray(), source.toArray(), key);
    }
    trained.eval();
    fresh.eval();
    torch.tidy(() => {
      const x = torch.randn([1, 2, 6, 6]);
      assert.deepEqual(fresh.call(x).toArray(), trained.call(x).toArray());
    });
    trained.dispose();
    fresh.dispose();
  });

  test('round trip through raw bytes (what a checkpoint file holds), and dtype conversion on load', () => {
    const source = new Block();
    const bytes = new Map([...source.stateDict()].map(([k, v]) => [k, { data: torch.toBytes(v), dtype: v.dtype, shape: v.shape }]));
    const target = new Block().to('float64');
    torch.tidy(() => {
      const restored = new Map([...bytes].map(([k, { data, dtype, shape }]) => [k, torch.fromBytes(data, dtype, shape)]));
      target.loadStateDict(restored);
    });
    assert.equal(target.conv.weight.dtype, 'float64');
    torch.tidy(() => {
      const diff = target.conv.weight.sub(source.conv.weight.double()).abs().max().item();
      assert.equal(diff, 0);
    });
    source.dispose();
    target.dispose();
  });

  test('strict load names every missing and unexpected key and changes nothing', () => {
    const model = new Block();
    const before = cloneState(model);
    const state = cloneState(model);
    state.delete('bn.running_var');
    state.delete('head.1.bias');
    state.set('bn.extra', torch.zeros([1]).keep());
    torch.tidy(() => {
      const shifted = new Map([...state].map(([k, v]) => [k, v.add(1)]));
      assert.throws(
        () => model.loadStateDict(shifted),
        (e: Error) =>
          /loadStateDict for Block failed/.test(e.message) &&
          /missing keys \(2\): bn\.running_var, head\.1\.bias/.test(e.message) &&
          /unexpected keys \(1\): bn\.extra/.test(e.message),
      );
    });
    for (const [k, v] of model.stateDict()) assert.deepEqual(v.toArray(), before.get(k)?.toArray(), `${k} changed by a failed load`);
    torch.dispose([before, state]);
    model.dispose();
  });

  test('non-strict load reports the keys and copies what matches', () => {
    const model = new Block();
    torch.tidy(() => {
      const state = new Map([
        ['conv.weight', torch.ones([4, 2, 3, 3])],
        ['unknown.weight', torch.ones([1])],
      ]);
      const result = model.loadStateDict(state, { strict: false });
      assert.deepEqual(result.unexpectedKeys, ['unknown.weight']);
      assert.equal(result.missingKeys.length, 7);
      assert.equal(model.conv.weight.sum().item(), 72);
    });
    model.dispose();
  });

  test('a shape mismatch is an error naming the key and both shapes, strict or not', () => {
    const model = new Block();
    for (const strict of [true, false]) {
      const state = torch.tidy(() => {
        const s = cloneState(model);
        (s.get('head.1.weight') as Tensor).dispose();
        s.set('head.1.weight', torch.zeros([80, 4, 1, 1]).keep());
        return s;
      });
      assert.throws(
        () => model.loadStateDict(state, { strict }),
        /shape mismatches \(1\): head\.1\.weight: checkpoint \[80,4,1,1\] vs model \[3,4,1,1\]/,
      );
      torch.dispose(state);
    }
    model.dispose();
  });
});

describe('ConvTranspose2d', () => {
  test('upsamples with the output size PyTorch computes and its weight layout (in, out / groups, kh, kw)', () => {
    const deconv = new nn.ConvTranspose2d(4, 6, 2, { stride: 2, groups: 2 });
    try {
      assert.deepEqual(deconv.weight.shape, [4, 3, 2, 2]);
      assert.deepEqual(deconv.stateDict().get('bias')?.shape, [6]);
      const y = torch.tidy(() => deconv.call(torch.rand([1, 4, 5, 7])).shape);
      assert.deepEqual(y, [1, 6, 10, 14]);
    } finally {
      deconv.dispose();
    }
  });
});
