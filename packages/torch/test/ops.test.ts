// Operator results against values worked out by hand (or well-known identities), for the tensor API,
// factories, indexing, reductions and nn.functional.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '@yolots/torch';

const { F } = torch;

function assertClose(actual: number[], expected: number[], tol = 1e-6): void {
  assert.equal(actual.length, expected.length, `length ${actual.length} vs ${expected.length}`);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `element ${i}: ${a} vs ${e}\nactual   ${actual}\nexpected ${expected}`);
  });
}

describe('factories and data', () => {
  test('tensor() infers shape, float32 by default, bool for booleans', () =>
    torch.tidy(() => {
      const t = torch.tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      assert.deepEqual(t.shape, [2, 3]);
      assert.equal(t.dtype, 'float32');
      assert.deepEqual(t.tolist(), [
        [1, 2, 3],
        [4, 5, 6],
      ]);
      assert.equal(torch.tensor([true, false]).dtype, 'bool');
      assert.deepEqual(torch.tensor([1.5, 2], { dtype: 'int64' }).toArray(), [1, 2]);
    }));

  test('arange gives int64 for integers and float32 otherwise; linspace, eye, full', () =>
    torch.tidy(() => {
      const a = torch.arange(0, 10, 3);
      assert.equal(a.dtype, 'int64');
      assert.deepEqual(a.toArray(), [0, 3, 6, 9]);
      const b = torch.arange(0, 1, 0.25);
      assert.equal(b.dtype, 'float32');
      assert.deepEqual(b.toArray(), [0, 0.25, 0.5, 0.75]);
      assert.deepEqual(torch.linspace(-1, 1, 5).toArray(), [-1, -0.5, 0, 0.5, 1]);
      assert.deepEqual(torch.eye(2, 3).tolist(), [
        [1, 0, 0],
        [0, 1, 0],
      ]);
      assert.deepEqual(torch.full([2], 7, { dtype: 'int32' }).toTypedArray(), new Int32Array([7, 7]));
    }));

  test('fromTypedArray keeps the data and dtype; toBytes/fromBytes round-trip', () =>
    torch.tidy(() => {
      const t = torch.fromTypedArray(new Uint8Array([1, 2, 3, 250, 251, 252]), [2, 3]);
      assert.equal(t.dtype, 'uint8');
      assert.deepEqual(t.shape, [2, 3]);
      assert.deepEqual(t.sum(undefined, false, 'int64').item(), 759);
      const f = torch.tensor([0.5, -2, 1e-3]);
      const back = torch.fromBytes(torch.toBytes(f), 'float32', [3]);
      assert.deepEqual(back.toArray(), f.toArray());
    }));

  test('manualSeed makes rand/randn/randint reproducible', () =>
    torch.tidy(() => {
      torch.manualSeed(123);
      const a = torch.randn([5]).toArray();
      const i = torch.randint(0, 10, [5]).toArray();
      torch.manualSeed(123);
      assert.deepEqual(torch.randn([5]).toArray(), a);
      assert.deepEqual(torch.randint(0, 10, [5]).toArray(), i);
      assert.ok(i.every((v) => Number.isInteger(v) && v >= 0 && v < 10));
      assert.deepEqual(torch.randperm(6).sort()[0].toArray(), [0, 1, 2, 3, 4, 5]);
    }));

  test('dtype conversion truncates toward zero and bool is nonzero', () =>
    torch.tidy(() => {
      const t = torch.tensor([-1.7, -0.2, 0, 2.9]);
      assert.deepEqual(t.long().toArray(), [-1, 0, 0, 2]);
      assert.deepEqual(t.bool().toArray(), [1, 1, 0, 1]);
      assert.equal(t.half().dtype, 'float16');
      assertClose(t.half().toArray(), [-1.7, -0.2, 0, 2.9], 1e-3);
      assert.equal(t.to({ dtype: 'float64' }).dtype, 'float64');
    }));
});

describe('arithmetic', () => {
  test('broadcasting add/sub/mul/div with tensors and scalars', () =>
    torch.tidy(() => {
      const a = torch.tensor([
        [1, 2],
        [3, 4],
      ]);
      const row = torch.tensor([10, 20]);
      assert.deepEqual(a.add(row).tolist(), [
        [11, 22],
        [13, 24],
      ]);
      assert.deepEqual(a.sub(1, 2).toArray(), [-1, 0, 1, 2]);
      assert.deepEqual(a.mul(row.unsqueeze(1)).tolist(), [
        [10, 20],
        [60, 80],
      ]);
      assert.deepEqual(a.div(2).toArray(), [0.5, 1, 1.5, 2]);
      assert.deepEqual(torch.tensor([-7, 7]).div(2, 'floor').toArray(), [-4, 3]);
      assert.deepEqual(torch.tensor([-7, 7]).div(2, 'trunc').toArray(), [-3, 3]);
      assert.deepEqual(a.rsub(10).toArray(), [9, 8, 7, 6]);
      assert.deepEqual(a.pow(2).toArray(), [1, 4, 9, 16]);
    }));

  test('elementwise functions', () =>
    torch.tidy(() => {
      const x = torch.tensor([-2, 0, 1, 4], { dtype: 'float64' });
      assertClose(x.sigmoid().toArray(), [1 / (1 + Math.exp(2)), 0.5, 1 / (1 + Math.exp(-1)), 1 / (1 + Math.exp(-4))]);
      assertClose(x.exp().toArray(), [Math.exp(-2), 1, Math.E, Math.exp(4)]);
      assertClose(x.abs().sqrt().toArray(), [Math.SQRT2, 0, 1, 2]);
      assertClose(x.atan().toArray(), [Math.atan(-2), 0, Math.PI / 4, Math.atan(4)]);
      assert.deepEqual(x.clamp(-1, 2).toArray(), [-1, 0, 1, 2]);
      assert.deepEqual(x.clampMin(0.5).toArray(), [0.5, 0.5, 1, 4]);
      assertClose(F.silu(x).toArray(), [-2 / (1 + Math.exp(2)), 0, 1 / (1 + Math.exp(-1)), 4 / (1 + Math.exp(-4))]);
      assert.deepEqual(F.relu(x).toArray(), [0, 0, 1, 4]);
      assertClose(torch.callOp<torch.Tensor>('erf', [x]).toArray(), [-0.9953222650189527, 0, 0.8427007929497149, 0.9999999845827421]);
    }));

  test('matmul, bmm and einsum', () =>
    torch.tidy(() => {
      const a = torch.tensor([
        [1, 2],
        [3, 4],
      ]);
      const b = torch.tensor([
        [5, 6],
        [7, 8],
      ]);
      assert.deepEqual(a.matmul(b).tolist(), [
        [19, 22],
        [43, 50],
      ]);
      assert.deepEqual(
        torch
          .stack([a, b])
          .bmm(torch.stack([b, a]))
          .tolist(),
        [
          [
            [19, 22],
            [43, 50],
          ],
          [
            [23, 34],
            [31, 46],
          ],
        ],
      );
      assert.deepEqual(torch.einsum('ij,ij->i', [a, b]).toArray(), [17, 53]);
    }));

  test('in-place ops return this and change the data', () =>
    torch.tidy(() => {
      const t = torch.zeros([3]);
      assert.equal(t.add_(2).mul_(3).sub_(1), t);
      assert.deepEqual(t.toArray(), [5, 5, 5]);
      t.lerp_(torch.tensor([15, 25, 5]), 0.5);
      assert.deepEqual(t.toArray(), [10, 15, 5]);
      t.clamp_(6, 12);
      assert.deepEqual(t.toArray(), [10, 12, 6]);
      t.copy_(torch.tensor([1, 2, 3]));
      assert.deepEqual(t.toArray(), [1, 2, 3]);
      t.addcmul_(torch.tensor([1, 1, 1]), torch.tensor([2, 3, 4]), 0.5);
      assert.deepEqual(t.toArray(), [2, 3.5, 5]);
      assert.deepEqual(t.zero_().toArray(), [0, 0, 0]);
    }));

  test('comparisons, logic and where', () =>
    torch.tidy(() => {
      const x = torch.tensor([1, 5, 3]);
      assert.deepEqual(x.gt(2).toArray(), [0, 1, 1]);
      assert.equal(x.gt(2).dtype, 'bool');
      assert.deepEqual(x.eq(torch.tensor([1, 0, 3])).toArray(), [1, 0, 1]);
      assert.deepEqual(x.gt(2).logicalAnd(x.lt(4)).toArray(), [0, 0, 1]);
      assert.deepEqual(torch.where(x.gt(2), x, 0).toArray(), [0, 5, 3]);
      assert.deepEqual(torch.where(x.gt(2), -1, x).toArray(), [1, -1, -1]);
      assert.deepEqual(x.maskedFill(x.eq(5), 9).toArray(), [1, 9, 3]);
      assert.ok(torch.allclose(x, torch.tensor([1, 5, 3.000001])));
      assert.ok(!torch.allclose(x, torch.tensor([1, 5, 3.1])));
    }));
});

describe('shape and indexing', () => {
  test('view/reshape/permute/transpose/flatten/squeeze/expand/repeat', () =>
    torch.tidy(() => {
      const t = torch.arange(0, 6).view(2, 3);
      assert.deepEqual(t.transpose(0, 1).tolist(), [
        [0, 3],
        [1, 4],
        [2, 5],
      ]);
      assert.deepEqual(t.permute(1, 0).contiguous().toArray(), [0, 3, 1, 4, 2, 5]);
      assert.deepEqual(t.reshape([3, 2]).shape, [3, 2]);
      assert.deepEqual(t.unsqueeze(0).shape, [1, 2, 3]);
      assert.deepEqual(t.unsqueeze(0).squeeze().shape, [2, 3]);
      assert.deepEqual(t.view(1, 6).flatten().shape, [6]);
      assert.deepEqual(torch.tensor([1, 2]).view(2, 1).expand(2, 3).toArray(), [1, 1, 1, 2, 2, 2]);
      assert.deepEqual(torch.tensor([1, 2]).repeat(2).toArray(), [1, 2, 1, 2]);
      assert.deepEqual(t.unflatten(1, [3, 1]).shape, [2, 3, 1]);
      assert.deepEqual(t.size(-1), 3);
    }));

  test('split/chunk/narrow/slice/select/cat/stack', () =>
    torch.tidy(() => {
      const t = torch.arange(0, 10);
      assert.deepEqual(
        t.split(4).map((p) => p.toArray()),
        [
          [0, 1, 2, 3],
          [4, 5, 6, 7],
          [8, 9],
        ],
      );
      assert.deepEqual(
        t.split([2, 8]).map((p) => p.numel()),
        [2, 8],
      );
      assert.deepEqual(
        t.chunk(2).map((p) => p.toArray()),
        [
          [0, 1, 2, 3, 4],
          [5, 6, 7, 8, 9],
        ],
      );
      assert.deepEqual(t.narrow(0, 3, 2).toArray(), [3, 4]);
      assert.deepEqual(t.slice(0, 1, null, 3).toArray(), [1, 4, 7]);
      assert.deepEqual(t.view(2, 5).select(1, 2).toArray(), [2, 7]);
      assert.deepEqual(torch.cat([t.narrow(0, 0, 2), t.narrow(0, 8, 2)]).toArray(), [0, 1, 8, 9]);
      assert.deepEqual(torch.stack([t.narrow(0, 0, 2), t.narrow(0, 8, 2)], 1).tolist(), [
        [0, 8],
        [1, 9],
      ]);
    }));

  test('i() follows Python indexing: numbers, slices, ..., None, masks and index tensors', () =>
    torch.tidy(() => {
      const t = torch.arange(0, 24).view(2, 3, 4);
      assert.deepEqual(t.i(1, ':', 0).toArray(), [12, 16, 20]);
      assert.deepEqual(t.i(0, '1:', '::2').tolist(), [
        [4, 6],
        [8, 10],
      ]);
      assert.deepEqual(t.i('...', -1).shape, [2, 3]);
      assert.deepEqual(t.i('...', -1).toArray(), [3, 7, 11, 15, 19, 23]);
      assert.deepEqual(t.i(null, 0).shape, [1, 3, 4]);
      const row = t.i(0, 0);
      assert.deepEqual(row.i(row.gt(1)).toArray(), [2, 3]);
      assert.deepEqual(t.i(':', torch.tensor([2, 0], { dtype: 'int64' }), 0).tolist(), [
        [8, 0],
        [20, 12],
      ]);
    }));

  test('iSet writes through views, masks and index tensors', () =>
    torch.tidy(() => {
      const t = torch.zeros([3, 3]);
      t.iSet([':', 0], 1);
      t.iSet([2, '1:'], torch.tensor([5, 6]));
      t.iSet([t.eq(0)], -1);
      assert.deepEqual(t.tolist(), [
        [1, -1, -1],
        [1, -1, -1],
        [1, 5, 6],
      ]);
      const u = torch.zeros([4]);
      u.indexPut_([torch.tensor([1, 1, 3], { dtype: 'int64' })], torch.tensor([2, 3, 4]), true);
      assert.deepEqual(u.toArray(), [0, 5, 0, 4]);
    }));

  test('gather, scatter, scatterAdd, indexSelect, nonzero', () =>
    torch.tidy(() => {
      const src = torch.tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      const idx = torch.tensor(
        [
          [2, 0],
          [1, 1],
        ],
        { dtype: 'int64' },
      );
      assert.deepEqual(src.gather(1, idx).tolist(), [
        [3, 1],
        [5, 5],
      ]);
      assert.deepEqual(torch.zeros([2, 3]).scatter(1, idx, 7).tolist(), [
        [7, 0, 7],
        [0, 7, 0],
      ]);
      assert.deepEqual(
        torch
          .zeros([2, 3])
          .scatterAdd(1, idx, torch.ones([2, 2]))
          .tolist(),
        [
          [1, 0, 1],
          [0, 2, 0],
        ],
      );
      assert.deepEqual(src.indexSelect(1, torch.tensor([2, 0], { dtype: 'int64' })).tolist(), [
        [3, 1],
        [6, 4],
      ]);
      assert.deepEqual(src.gt(4).nonzero().tolist(), [
        [1, 1],
        [1, 2],
      ]);
      const [rows, cols] = torch.nonzeroTuple(src.gt(4)) as [torch.Tensor, torch.Tensor];
      assert.deepEqual(
        [rows.toArray(), cols.toArray()],
        [
          [1, 1],
          [1, 2],
        ],
      );
    }));

  test('meshgrid ij', () =>
    torch.tidy(() => {
      const [gy, gx] = torch.meshgrid([torch.arange(0, 2), torch.arange(0, 3)]) as [torch.Tensor, torch.Tensor];
      assert.deepEqual(gy.tolist(), [
        [0, 0, 0],
        [1, 1, 1],
      ]);
      assert.deepEqual(gx.tolist(), [
        [0, 1, 2],
        [0, 1, 2],
      ]);
    }));
});

describe('reductions', () => {
  test('sum/mean/prod/std/var/norm/cumsum over all and along dims', () =>
    torch.tidy(() => {
      const t = torch.tensor(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        { dtype: 'float64' },
      );
      assert.equal(t.sum().item(), 21);
      assert.deepEqual(t.sum(0).toArray(), [5, 7, 9]);
      assert.deepEqual(t.sum(1, true).shape, [2, 1]);
      assert.deepEqual(t.mean(1).toArray(), [2, 5]);
      assert.equal(t.prod().item(), 720);
      assertClose(t.std(1).toArray(), [1, 1]);
      assertClose([t.var(undefined, false).item()], [35 / 12]);
      assertClose([t.norm().item()], [Math.sqrt(91)]);
      assertClose(t.norm(1, 1).toArray(), [6, 15]);
      assert.deepEqual(t.cumsum(1).toArray(), [1, 3, 6, 4, 9, 15]);
    }));

  test('max/min/maxDim/argmax/amax/topk/sort/argsort/unique', () =>
    torch.tidy(() => {
      const t = torch.tensor([
        [3, 9, 1],
        [7, 2, 8],
      ]);
      assert.equal(t.max().item(), 9);
      assert.equal(t.min().item(), 1);
      const [values, indices] = t.maxDim(1);
      assert.deepEqual(values.toArray(), [9, 8]);
      assert.deepEqual(indices.toArray(), [1, 2]);
      assert.equal(indices.dtype, 'int64');
      assert.deepEqual(t.argmax(0).toArray(), [1, 0, 1]);
      assert.deepEqual(t.amax(0).toArray(), [7, 9, 8]);
      const [top, topIdx] = t.flatten().topk(2);
      assert.deepEqual(
        [top.toArray(), topIdx.toArray()],
        [
          [9, 8],
          [1, 5],
        ],
      );
      const [sorted, order] = t.flatten().sort(-1, true);
      assert.deepEqual(sorted.toArray(), [9, 8, 7, 3, 2, 1]);
      assert.deepEqual(order.toArray(), [1, 5, 3, 0, 4, 2]);
      assert.deepEqual(t.flatten().argsort().toArray(), [2, 4, 0, 3, 5, 1]);
      const [uniq, inverse, counts] = torch.tensor([3, 1, 3, 2, 1, 3]).unique({ returnInverse: true, returnCounts: true });
      assert.deepEqual(uniq.toArray(), [1, 2, 3]);
      assert.deepEqual(inverse.toArray(), [2, 0, 2, 1, 0, 2]);
      assert.deepEqual(counts.toArray(), [2, 1, 3]);
      assert.equal(t.gt(8).any().item(), 1);
      assert.equal(t.gt(0).all().item(), 1);
    }));

  test('softmax and logSoftmax', () =>
    torch.tidy(() => {
      const t = torch.tensor([0, Math.log(3)], { dtype: 'float64' });
      assertClose(t.softmax(0).toArray(), [0.25, 0.75]);
      assertClose(t.logSoftmax(0).toArray(), [Math.log(0.25), Math.log(0.75)]);
    }));
});

describe('nn.functional', () => {
  test('conv2d against a hand computation (stride, padding, bias, groups)', () =>
    torch.tidy(() => {
      const x = torch.arange(1, 10, 1, { dtype: 'float32' }).view(1, 1, 3, 3);
      const w = torch.tensor([
        [
          [
            [1, 0],
            [0, -1],
          ],
        ],
      ]);
      // out[i][j] = x[i][j] - x[i+1][j+1] = -4 everywhere, plus bias 0.5
      assert.deepEqual(F.conv2d(x, w, torch.tensor([0.5])).toArray(), [-3.5, -3.5, -3.5, -3.5]);
      const ones = torch.ones([1, 1, 3, 3]);
      // 3x3 box sum with zero padding 1, stride 2: corners of the 3x3 image see 4 pixels
      assert.deepEqual(F.conv2d(x, ones, null, { padding: 1, stride: 2 }).toArray(), [12, 16, 24, 28]);
      const two = torch.cat([x, x.mul(10)], 1);
      const depthwise = torch.tensor([[[[1]]], [[[2]]]]);
      const out = F.conv2d(two, depthwise, null, { groups: 2 });
      assert.deepEqual(out.i(0, 1, 0).toArray(), [20, 40, 60]);
    }));

  test('batchNorm training normalises per channel and updates running stats with momentum', () =>
    torch.tidy(() => {
      const x = torch.tensor([1, 3, 5, 7], { dtype: 'float64' }).view(4, 1, 1, 1);
      const mean = torch.zeros([1], { dtype: 'float64' });
      const variance = torch.ones([1], { dtype: 'float64' });
      const y = F.batchNorm(x, mean, variance, null, null, true, 0.1, 0);
      // batch mean 4, biased var 5 → (x-4)/√5; running var uses the unbiased 20/3
      assertClose(
        y.toArray(),
        [-3, -1, 1, 3].map((v) => v / Math.sqrt(5)),
      );
      assertClose(mean.toArray(), [0.4]);
      assertClose(variance.toArray(), [0.9 + 0.1 * (20 / 3)]);
      const evalOut = F.batchNorm(
        x,
        mean,
        variance,
        torch.tensor([2], { dtype: 'float64' }),
        torch.tensor([1], { dtype: 'float64' }),
        false,
        0.1,
        0,
      );
      const sd = Math.sqrt(0.9 + 0.1 * (20 / 3));
      assertClose(
        evalOut.toArray(),
        [1, 3, 5, 7].map((v) => ((v - 0.4) / sd) * 2 + 1),
      );
    }));

  test('batchNormSilu equals silu(batchNorm): same values and running stats, gradients to rounding', () =>
    torch.tidy(() => {
      torch.manualSeed(3);
      for (const layout of ['contiguous', 'channels_last'] as const) {
        const run = (fused: boolean) =>
          torch.tidy(() => {
            const x = torch.randn([4, 6, 5, 7]).mul(2).add(0.5).contiguous(layout).requiresGrad_();
            const w = torch.rand([6]).add(0.5).requiresGrad_();
            const b = torch.randn([6]).requiresGrad_();
            const mean = torch.zeros([6]);
            const variance = torch.ones([6]);
            const y = fused
              ? F.batchNormSilu(x, mean, variance, w, b, true, 0.03, 1e-3)
              : F.silu(F.batchNorm(x, mean, variance, w, b, true, 0.03, 1e-3));
            y.mul(torch.linspace(-1, 1, y.numel()).view(y.shape))
              .sum()
              .backward();
            return { y: y.detach(), mean, variance, gx: x.grad as torch.Tensor, gw: w.grad as torch.Tensor, gb: b.grad as torch.Tensor };
          });
        torch.manualSeed(7);
        const fused = run(true);
        torch.manualSeed(7);
        const composed = run(false);
        assert.equal(fused.y.isContiguous(layout), true, `output stays ${layout}`);
        assert.deepEqual(fused.y.toArray(), composed.y.toArray(), 'forward is bit-identical');
        assert.deepEqual(fused.mean.toArray(), composed.mean.toArray());
        assert.deepEqual(fused.variance.toArray(), composed.variance.toArray());
        for (const key of ['gx', 'gw', 'gb'] as const) {
          assertClose(fused[key].toArray() as number[], composed[key].toArray() as number[], 1e-5);
        }
      }
      const mean = torch.tensor([0.5, -0.5]);
      const variance = torch.tensor([2, 0.5]);
      const x = torch.randn([3, 2, 4, 4]);
      assert.deepEqual(
        F.batchNormSilu(x, mean, variance, null, null, false, 0.1, 1e-5).toArray(),
        F.silu(F.batchNorm(x, mean, variance, null, null, false, 0.1, 1e-5)).toArray(),
        'eval mode: running statistics',
      );
    }));

  test('batchNormSilu keeps one activation fewer alive for backward than silu(batchNorm)', () =>
    torch.tidy(() => {
      const x = torch.randn([8, 16, 32, 32]).requiresGrad_(); // 512 KiB
      const held = (fused: boolean): number => {
        const before = torch.memoryStats().nativeBytes;
        return torch.tidy(() => {
          const y = fused
            ? F.batchNormSilu(x, null, null, null, null, true, 0.1, 1e-5)
            : F.silu(F.batchNorm(x, null, null, null, null, true, 0.1, 1e-5));
          const loss = y.sum();
          const bytes = torch.memoryStats().nativeBytes - before; // graph alive: what backward would need
          loss.backward();
          return bytes;
        });
      };
      const tensorBytes = x.numel() * 4;
      const saved = held(false) - held(true);
      assert.ok(saved >= tensorBytes, `fused holds ${saved} bytes less; one activation is ${tensorBytes}`);
    }));

  test('pooling, interpolate, pad', () =>
    torch.tidy(() => {
      const x = torch.arange(0, 16, 1, { dtype: 'float32' }).view(1, 1, 4, 4);
      assert.deepEqual(F.maxPool2d(x, 2).toArray(), [5, 7, 13, 15]);
      assert.deepEqual(F.maxPool2d(x, 3, { stride: 1, padding: 1 }).i(0, 0, 0).toArray(), [5, 6, 7, 7]);
      assert.deepEqual(F.avgPool2d(x, 2).toArray(), [2.5, 4.5, 10.5, 12.5]);
      assert.deepEqual(F.adaptiveAvgPool2d(x, 1).toArray(), [7.5]);
      const small = torch
        .tensor([
          [1, 2],
          [3, 4],
        ])
        .view(1, 1, 2, 2);
      assert.deepEqual(F.interpolate(small, { scaleFactor: 2 }).i(0, 0).tolist(), [
        [1, 1, 2, 2],
        [1, 1, 2, 2],
        [3, 3, 4, 4],
        [3, 3, 4, 4],
      ]);
      assert.deepEqual(F.interpolate(small, { size: [1, 1], mode: 'bilinear' }).toArray(), [2.5]);
      assert.deepEqual(F.pad(small, [1, 0, 0, 1], 'constant', 9).i(0, 0).tolist(), [
        [9, 1, 2],
        [9, 3, 4],
        [9, 9, 9],
      ]);
    }));

  test('losses: BCE with logits (weight, posWeight, reduction), cross entropy, mse, l1, smooth l1', () =>
    torch.tidy(() => {
      const logits = torch.tensor([0, 2, -1], { dtype: 'float64' });
      const target = torch.tensor([1, 0, 0.5], { dtype: 'float64' });
      const softplus = (v: number): number => Math.log1p(Math.exp(v));
      const perElement = [softplus(0), softplus(2), 0.5 * softplus(1) + 0.5 * softplus(-1)];
      assertClose(F.binaryCrossEntropyWithLogits(logits, target, { reduction: 'none' }).toArray(), perElement);
      assertClose([F.binaryCrossEntropyWithLogits(logits, target).item()], [perElement.reduce((a, b) => a + b) / 3]);
      const posWeight = torch.tensor([3], { dtype: 'float64' });
      // pos_weight scales the positive term: p·t·softplus(-x) + (1-t)·softplus(x)
      assertClose(F.binaryCrossEntropyWithLogits(logits, target, { posWeight, reduction: 'none' }).toArray(), [
        3 * softplus(0),
        softplus(2),
        1.5 * softplus(1) + 0.5 * softplus(-1),
      ]);
      const weight = torch.tensor([2, 0, 1], { dtype: 'float64' });
      assertClose(
        [F.binaryCrossEntropyWithLogits(logits, target, { weight, reduction: 'sum' }).item()],
        [2 * perElement[0]! + perElement[2]!],
      );
      const scores = torch.tensor([[0, Math.log(3)]], { dtype: 'float64' });
      assertClose([F.crossEntropy(scores, torch.tensor([1], { dtype: 'int64' })).item()], [-Math.log(0.75)]);
      const a = torch.tensor([1, 2, 5]);
      const b = torch.tensor([1, 4, 4]);
      assertClose([F.mseLoss(a, b).item()], [5 / 3]);
      assertClose([F.l1Loss(a, b, 'sum').item()], [3]);
      assertClose([F.smoothL1Loss(a, b).item()], [(1.5 + 0.5) / 3]);
    }));

  test('affineGrid + gridSample with the identity transform reproduce the input', () =>
    torch.tidy(() => {
      const x = torch.arange(0, 12, 1, { dtype: 'float32' }).view(1, 1, 3, 4);
      const theta = torch.tensor([
        [
          [1, 0, 0],
          [0, 1, 0],
        ],
      ]);
      const grid = F.affineGrid(theta, [1, 1, 3, 4]);
      assert.deepEqual(grid.shape, [1, 3, 4, 2]);
      assertClose(F.gridSample(x, grid).toArray(), x.toArray(), 1e-5);
      // sampling exactly between pixels 0 and 1 of row 0 (align_corners=false: pixel i is at (2i+1)/W - 1)
      const between = torch.tensor([[[[-0.5, -2 / 3]]]]);
      assertClose(F.gridSample(x, between, { alignCorners: false }).toArray(), [0.5], 1e-5);
      assertClose(
        F.gridSample(x, between, { mode: 'nearest' })
          .toArray()
          .map((v) => (v === 0 || v === 1 ? 1 : 0)),
        [1],
      );
    }));

  test('memory formats: channels_last keeps values, changes strides', () =>
    torch.tidy(() => {
      const x = torch.arange(0, 24, 1, { dtype: 'float32' }).view(1, 2, 3, 4);
      const cl = x.contiguous('channels_last');
      assert.ok(cl.isContiguous('channels_last'));
      assert.ok(!cl.isContiguous());
      assert.deepEqual(cl.strides, [24, 1, 8, 2]);
      assert.deepEqual(cl.toArray(), x.toArray());
    }));

  test('schema() prints libtorch signatures and callOp reaches any operator', () =>
    torch.tidy(() => {
      assert.match(torch.schema('conv2d'), /conv2d\(Tensor input, Tensor weight/);
      assert.match(torch.schema('add.Tensor'), /alpha/);
      const x = torch.tensor([1, 4, 9]);
      assert.deepEqual(torch.callOp<torch.Tensor>('sqrt', [x]).toArray(), [1, 2, 3]);
      assert.deepEqual(torch.callOp<torch.Tensor>('clamp', [x], { min: 2, max: 5 }).toArray(), [2, 4, 5]);
    }));
});
