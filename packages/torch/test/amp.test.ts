// Autocast regions (libtorch's AutocastCPU key), the CPU bf16 probe, and GradScaler's logic on CPU.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '@yolots/torch';

const { nn, amp } = torch;
const bf16Cpu = amp.cpuBf16Support().avx512Bf16 || amp.cpuBf16Support().amxBf16;
const noBf16 = bf16Cpu ? false : 'this CPU has neither AVX512-BF16 nor AMX-BF16: libtorch has no fast bf16 path to test';

describe('autocast', () => {
  test('a conv runs in bfloat16 inside the CPU region, float32 outside and with enabled=false', { skip: noBf16 }, () =>
    torch.tidy(() => {
      const conv = new nn.Conv2d(3, 4, 3);
      const x = torch.randn([1, 3, 8, 8]);
      assert.equal(
        torch.autocast('cpu', () => conv.call(x).dtype),
        'bfloat16',
      );
      assert.equal(conv.call(x).dtype, 'float32');
      assert.equal(
        torch.autocast('cpu', () => conv.call(x).dtype, { enabled: false }),
        'float32',
      );
      // a float32 island inside a region, then back to bf16
      const dtypes = torch.autocast('cpu', () => [torch.autocast('cpu', () => conv.call(x).dtype, { enabled: false }), conv.call(x).dtype]);
      assert.deepEqual(dtypes, ['float32', 'bfloat16']);
      conv.dispose();
    }),
  );

  test('state is restored after the region, also when it throws', () => {
    assert.deepEqual(amp.autocastState('cpu').enabled, false);
    assert.equal(
      torch.autocast('cpu', () => amp.autocastState('cpu').enabled),
      true,
    );
    assert.throws(
      () =>
        torch.autocast('cpu', () => {
          throw new Error('inside');
        }),
      /inside/,
    );
    assert.deepEqual(amp.autocastState('cpu'), { enabled: false, dtype: 'bfloat16' });
  });

  test('gradients flow through a bf16 region back to float32 weights', { skip: noBf16 }, () =>
    torch.tidy(() => {
      const conv = new nn.Conv2d(3, 4, 3);
      const y = torch.autocast('cpu', () => conv.call(torch.randn([2, 3, 8, 8])));
      y.float().pow(2).mean().backward();
      const grad = conv.weight.grad;
      assert.ok(grad !== null);
      assert.equal(grad.dtype, 'float32');
      assert.equal(conv.weight.dtype, 'float32');
      conv.dispose();
    }),
  );

  test('bad dtypes and async callbacks are refused', () => {
    assert.throws(() => torch.autocast('cpu', () => 0, { dtype: 'float16' }), /dtype must be bfloat16/);
    assert.throws(() => torch.autocast('cpu', async () => 0), /synchronous code only/);
    assert.equal(amp.autocastState('cpu').enabled, false);
  });
});

describe('cpu bf16 probe', () => {
  test('reads the flags line of /proc/cpuinfo', () => {
    const flags = amp.parseCpuFlags('processor\t: 0\nflags\t\t: fpu sse avx512_bf16 amx_tile amx_bf16\nbugs\t\t: none\n');
    assert.ok(flags.has('avx512_bf16') && flags.has('amx_bf16'));
    assert.equal(amp.parseCpuFlags('no flags here').size, 0);
  });
});

describe('GradScaler', () => {
  function setup(): { p: torch.Tensor; opt: torch.optim.SGD } {
    const p = torch.tensor([1, 2], { requiresGrad: true }).keep();
    return { p, opt: new torch.optim.SGD([p], { lr: 0.1 }) };
  }

  test('scales the loss, unscales the gradients, steps and grows the scale after growthInterval steps', () => {
    const { p, opt } = setup();
    const scaler = new amp.GradScaler({ initScale: 8, growthInterval: 2 });
    for (let step = 0; step < 2; step++) {
      torch.tidy(() => scaler.scale(p.mul(p).sum()).backward());
      const expected = step === 0 ? [16, 32] : [12.8, 25.6]; // 8 · 2p
      p.grad?.toArray().forEach((g, i) => assert.ok(Math.abs(g - (expected[i] as number)) < 1e-5, `${g}`));
      scaler.unscale_(opt);
      assert.throws(() => scaler.unscale_(opt), /already called/);
      assert.equal(scaler.step(opt), true);
      scaler.update();
      opt.zeroGrad();
    }
    // 1 → 0.8 → 0.64 (p -= 0.1·2p twice); after 2 finite steps the scale doubled
    assert.deepEqual(
      p.toArray().map((v) => Math.round(v * 1e6) / 1e6),
      [0.64, 1.28],
    );
    assert.equal(scaler.getScale(), 16);
    scaler.dispose();
    p.dispose();
  });

  test('an inf gradient skips the step, halves the scale and restarts the growth streak', () => {
    const { p, opt } = setup();
    const scaler = new amp.GradScaler({ initScale: 8, growthInterval: 2 });
    torch.tidy(() => scaler.scale(p.sum()).backward());
    scaler.step(opt);
    scaler.update();
    opt.zeroGrad();
    torch.tidy(() => scaler.scale(p.mul(Number.POSITIVE_INFINITY).sum()).backward());
    assert.equal(scaler.step(opt), false);
    scaler.update();
    assert.equal(scaler.getScale(), 4);
    assert.deepEqual(
      p.toArray().map((v) => Math.round(v * 1e6) / 1e6),
      [0.9, 1.9],
    );
    opt.zeroGrad();
    // one finite step after the overflow is not yet a streak of 2
    torch.tidy(() => scaler.scale(p.sum()).backward());
    scaler.step(opt);
    scaler.update();
    assert.equal(scaler.getScale(), 4);
    scaler.dispose();
    p.dispose();
  });

  test('disabled, it is a pass-through', () => {
    const { p, opt } = setup();
    const scaler = new amp.GradScaler({ enabled: false });
    const loss = torch.tidy(() => p.sum());
    assert.equal(scaler.scale(loss), loss);
    loss.backward();
    assert.equal(scaler.step(opt), true);
    scaler.update();
    assert.equal(scaler.getScale(), 1);
    assert.deepEqual(
      p.toArray().map((v) => Math.round(v * 1e6) / 1e6),
      [0.9, 1.9],
    );
    loss.dispose();
    p.dispose();
  });

  test('rejects bad factors', () => {
    assert.throws(() => new amp.GradScaler({ backoffFactor: 2 }), /backoffFactor/);
    assert.throws(() => new amp.GradScaler({ growthInterval: 0 }), /growthInterval/);
  });
});
