// Conv2d.forwardFused: conv2d, SiLU and a residual add as one oneDNN primitive (native/dnnl_conv.cc) gives the
// unfused values for the layer shapes YOLO models use, re-reads weights that changed, frees what it holds on
// dispose, and steps aside (null) where it does not apply. Skipped in an addon built without oneDNN's headers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '@yolots/torch';
import { DnnlConvCache } from '../src/nn/dnnl-conv.js';

const { F, nn } = torch;
const skip = nn.dnnlConvAvailable() ? false : 'addon built without oneDNN headers';

/** Max |a - b| relative to max |b|. */
function relDiff(a: torch.Tensor, b: torch.Tensor): number {
  return torch.tidy(() => (a.sub(b).abs().max().item() as number) / Math.max(1, b.abs().max().item() as number));
}

function fused(conv: torch.nn.Conv2d, x: torch.Tensor, residual: torch.Tensor | null = null): torch.Tensor {
  const y = torch.noGrad(() => nn.withPackedConvolutions(() => conv.forwardFused(x, { silu: true, residual })));
  assert.ok(y !== null, 'the fused primitive ran');
  return y;
}

function unfused(conv: torch.nn.Conv2d, x: torch.Tensor, residual: torch.Tensor | null = null): torch.Tensor {
  return torch.noGrad(() => {
    const y = F.silu(conv.call(x));
    return residual ? residual.add(y) : y;
  });
}

describe('Conv2d.forwardFused (oneDNN)', { skip }, () => {
  const shapes: Array<[string, () => torch.nn.Conv2d]> = [
    ['3x3 stride 2', () => new nn.Conv2d(8, 16, 3, { stride: 2, padding: 1 })],
    ['1x1 no bias', () => new nn.Conv2d(8, 16, 1, { bias: false })],
    ['depth-wise (YOLO11 heads)', () => new nn.Conv2d(8, 8, 3, { padding: 1, groups: 8 })],
    ['2 groups', () => new nn.Conv2d(8, 12, 3, { padding: 1, groups: 2 })],
    ['dilated', () => new nn.Conv2d(8, 4, 3, { padding: 2, dilation: 2 })],
    ['5x5 stride 2, odd size', () => new nn.Conv2d(8, 16, 5, { stride: 2, padding: 2 })],
  ];
  for (const [name, make] of shapes) {
    test(`${name}: silu(conv2d), with and without a residual, channels-last or not`, () => {
      torch.tidy(() => {
        const conv = make().eval();
        for (const x of [torch.randn([2, 8, 13, 17]), torch.randn([1, 8, 20, 20]).to({ memoryFormat: 'channels_last' })]) {
          assert.ok(relDiff(fused(conv, x), unfused(conv, x)) < 1e-5, name);
          const residual = torch.randn(unfused(conv, x).shape);
          assert.ok(relDiff(fused(conv, x, residual), unfused(conv, x, residual)) < 1e-5, `${name} + residual`);
        }
        conv.dispose();
      });
    });
  }

  test('channel slices of channels-last tensors (a C2f split) as input and residual are read with their strides', () => {
    torch.tidy(() => {
      const conv = new nn.Conv2d(4, 4, 3, { padding: 1 }).eval();
      const whole = torch.randn([1, 8, 24, 24]).to({ memoryFormat: 'channels_last' });
      const [first, second] = whole.chunk(2, 1) as [torch.Tensor, torch.Tensor];
      const expected = unfused(conv, second.contiguous(), first.contiguous());
      assert.ok(relDiff(fused(conv, second, first), expected) < 1e-5);
    });
  });

  test('a weight updated in place or replaced, or a new input size, gives the new values', () => {
    torch.tidy(() => {
      const conv = new nn.Conv2d(3, 5, 3, { padding: 1 }).eval();
      const x = torch.randn([1, 3, 16, 16]);
      const before = fused(conv, x);
      torch.noGrad(() => conv.weight.mul_(2));
      const after = fused(conv, x);
      assert.ok(relDiff(after, before) > 1e-2, 'the update shows');
      assert.ok(relDiff(after, unfused(conv, x)) < 1e-5);
      conv.toMemoryFormat('channels_last'); // new weight tensors
      torch.noGrad(() => conv.getParameter('bias')?.add_(1));
      assert.ok(relDiff(fused(conv, x), unfused(conv, x)) < 1e-5);
      const bigger = torch.randn([2, 3, 24, 20]);
      assert.ok(relDiff(fused(conv, bigger), unfused(conv, bigger)) < 1e-5);
      conv.dispose();
    });
  });

  test('gradients, autocast, float64 and a broadcast residual are left to the caller (null)', () => {
    torch.tidy(() => {
      const conv = new nn.Conv2d(3, 4, 3, { padding: 1 });
      const x = torch.randn([1, 3, 8, 8]);
      const run = (input: torch.Tensor, residual: torch.Tensor | null = null) =>
        nn.withPackedConvolutions(() => conv.forwardFused(input, { silu: true, residual }));
      assert.equal(run(x), null, 'a gradient to record');
      assert.equal(
        torch.noGrad(() => torch.autocast('cpu', () => run(x))),
        null,
        'CPU autocast',
      );
      assert.equal(
        torch.noGrad(() => run(x, torch.randn([1, 4, 1, 1]))),
        null,
        'a broadcast residual',
      );
      assert.equal(conv.forwardFused(x, { silu: true, residual: null }), null, 'outside withPackedConvolutions');
      conv.to('float64');
      assert.equal(
        torch.noGrad(() => run(x.to('float64'))),
        null,
        'float64',
      );
      conv.dispose();
    });
  });

  test('dispose lets the weights go', () => {
    const x = torch.randn([1, 64, 8, 8]);
    const start = torch.memoryStats().nativeBytes;
    const conv = new nn.Conv2d(64, 256, 3, { padding: 1 }).eval(); // 576 KiB of weights
    const cache = new DnnlConvCache();
    torch.noGrad(() => cache.run(conv, x, { silu: true, residual: null }))?.dispose();
    cache.dispose();
    conv.dispose();
    assert.ok(torch.memoryStats().nativeBytes - start < 64 * 1024, 'the handle no longer holds the weight');
    x.dispose();
  });
});
