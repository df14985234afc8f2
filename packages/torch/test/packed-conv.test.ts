// nn.withPackedConvolutions: Conv2d through oneDNN weights reordered once (native/prepacked_conv.cc) gives conv2d's
// values for every layer shape the YOLO models use, repacks when the weights change, and steps aside (plain conv2d)
// where packing does not apply: gradients to record, CPU autocast, other dtypes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '@yolots/torch';

const { nn } = torch;

function maxDiff(a: torch.Tensor, b: torch.Tensor): number {
  return torch.tidy(() => a.sub(b).abs().max().item() as number);
}

function packed(conv: torch.nn.Conv2d, x: torch.Tensor): torch.Tensor {
  return torch.noGrad(() => nn.withPackedConvolutions(() => conv.call(x)));
}

describe('withPackedConvolutions', () => {
  const shapes: Array<[string, () => torch.nn.Conv2d]> = [
    ['3x3 stride 2', () => new nn.Conv2d(8, 16, 3, { stride: 2, padding: 1 })],
    ['1x1 no bias', () => new nn.Conv2d(8, 16, 1, { bias: false })],
    ['depth-wise', () => new nn.Conv2d(8, 8, 3, { padding: 1, groups: 8 })],
    ['dilated', () => new nn.Conv2d(8, 4, 3, { padding: 2, dilation: 2 })],
  ];
  for (const [name, make] of shapes) {
    test(`${name}: conv2d's values, channels-last or not`, () => {
      torch.tidy(() => {
        const conv = make().eval();
        for (const x of [torch.randn([2, 8, 13, 17]), torch.randn([1, 8, 20, 20]).to({ memoryFormat: 'channels_last' })]) {
          const expected = torch.noGrad(() => conv.call(x));
          assert.ok(maxDiff(packed(conv, x), expected) < 1e-5, name);
        }
        conv.dispose();
      });
    });
  }

  test('a channel slice of a channels-last tensor (a C2f split) is read with its strides', () => {
    torch.tidy(() => {
      const conv = new nn.Conv2d(4, 6, 3, { padding: 1 });
      const whole = torch.randn([1, 8, 24, 24]).to({ memoryFormat: 'channels_last' });
      const [, half] = whole.chunk(2, 1) as [torch.Tensor, torch.Tensor];
      const expected = torch.noGrad(() => conv.call(half.contiguous()));
      assert.ok(maxDiff(packed(conv, half), expected) < 1e-5);
      conv.dispose();
    });
  });

  test('a weight updated in place or replaced is packed again', () => {
    torch.tidy(() => {
      const conv = new nn.Conv2d(3, 5, 3, { padding: 1 });
      const x = torch.randn([1, 3, 16, 16]);
      packed(conv, x);
      torch.noGrad(() => conv.weight.mul_(2));
      assert.ok(
        maxDiff(
          packed(conv, x),
          torch.noGrad(() => conv.call(x)),
        ) < 1e-5,
      );
      conv.toMemoryFormat('channels_last');
      torch.noGrad(() => conv.getParameter('bias')?.add_(1));
      assert.ok(
        maxDiff(
          packed(conv, x),
          torch.noGrad(() => conv.call(x)),
        ) < 1e-5,
      );
      conv.dispose();
    });
  });

  test('gradients, autocast and float64 run plain conv2d', () => {
    torch.tidy(() => {
      const conv = new nn.Conv2d(3, 4, 3, { padding: 1 });
      const x = torch.randn([1, 3, 8, 8]);
      const y = nn.withPackedConvolutions(() => conv.call(x));
      assert.equal(y.requiresGrad, true, 'the graph is recorded');
      const bf = torch.noGrad(() => nn.withPackedConvolutions(() => torch.autocast('cpu', () => conv.call(x))));
      assert.equal(bf.dtype, 'bfloat16');
      conv.to('float64');
      const x64 = x.to('float64');
      assert.equal(packed(conv, x64).dtype, 'float64');
      assert.ok(
        maxDiff(
          packed(conv, x64),
          torch.noGrad(() => conv.call(x64)),
        ) === 0,
      );
      conv.dispose();
    });
  });
});
