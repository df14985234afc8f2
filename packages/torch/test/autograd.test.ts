// Autograd against central finite differences, in float64: every element of every input's gradient of
// sum(f(inputs) · w), for a fixed random projection w, must match (f(x+h) - f(x-h)) / 2h.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '@yolots/torch';

const { F } = torch;
type Tensor = torch.Tensor;

const H = 1e-6;

/**
 * Checks d/d(inputs) of sum(fn(inputs) · w) for the differentiable inputs (marked by `wrt`), element by element.
 * `make` builds the inputs from their flat float64 data, so perturbed copies can be evaluated.
 */
function gradcheck(
  fn: (inputs: Tensor[]) => Tensor,
  inputs: { data: number[]; shape: number[]; wrt: boolean; dtype?: torch.DType }[],
  tolerance = { atol: 1e-7, rtol: 1e-5 },
): void {
  const live = torch.liveTensors();
  torch.tidy(() => {
    const build = (datas: number[][], grad: boolean): Tensor[] =>
      inputs.map((spec, k) =>
        torch.tensor(datas[k]!, { shape: spec.shape, dtype: spec.dtype ?? 'float64', requiresGrad: grad && spec.wrt }),
      );
    const originals = inputs.map((spec) => spec.data);
    const leaves = build(originals, true);
    const out = fn(leaves);
    torch.manualSeed(7);
    const projection = torch.randn(out.shape, { dtype: 'float64' });
    out.mul(projection).sum().backward();
    const objective = (datas: number[][]): number =>
      torch.noGrad(() => torch.tidy(() => fn(build(datas, false)).mul(projection).sum().item()));
    inputs.forEach((spec, k) => {
      if (!spec.wrt) return;
      const grad = leaves[k]!.grad;
      assert.ok(grad !== null, `input ${k} got no gradient`);
      const analytic = grad.toArray();
      spec.data.forEach((value, e) => {
        const shifted = (delta: number): number[][] =>
          originals.map((d, j) => (j === k ? d.map((v, i) => (i === e ? value + delta : v)) : d));
        const numeric = (objective(shifted(H)) - objective(shifted(-H))) / (2 * H);
        const a = analytic[e]!;
        assert.ok(
          Math.abs(a - numeric) <= tolerance.atol + tolerance.rtol * Math.abs(numeric),
          `input ${k} element ${e}: autograd ${a} vs finite difference ${numeric}`,
        );
      });
    });
  });
  assert.equal(torch.liveTensors(), live, 'gradcheck leaked tensors');
}

function randomData(n: number, seed: number, low = -1, high = 1): number[] {
  torch.manualSeed(seed);
  return torch.tidy(() =>
    torch
      .rand([n], { dtype: 'float64' })
      .mul(high - low)
      .add(low)
      .toArray(),
  );
}

describe('autograd matches finite differences (float64)', () => {
  test('conv2d: input, weight and bias, with stride, padding and groups', () => {
    gradcheck(
      ([x, w, b]) => F.conv2d(x as Tensor, w as Tensor, b as Tensor, { stride: 2, padding: 1 }),
      [
        { data: randomData(2 * 2 * 5 * 5, 1), shape: [2, 2, 5, 5], wrt: true },
        { data: randomData(3 * 2 * 3 * 3, 2), shape: [3, 2, 3, 3], wrt: true },
        { data: randomData(3, 3), shape: [3], wrt: true },
      ],
    );
    gradcheck(
      ([x, w]) => F.conv2d(x as Tensor, w as Tensor, null, { groups: 2 }),
      [
        { data: randomData(1 * 4 * 4 * 4, 4), shape: [1, 4, 4, 4], wrt: true },
        { data: randomData(4 * 2 * 3 * 3, 5), shape: [4, 2, 3, 3], wrt: true },
      ],
    );
  });

  test('batch_norm in training mode: input, weight and bias', () => {
    gradcheck(
      ([x, w, b]) => F.batchNorm(x as Tensor, null, null, w as Tensor, b as Tensor, true, 0.03, 1e-3),
      [
        { data: randomData(3 * 2 * 3 * 3, 11), shape: [3, 2, 3, 3], wrt: true },
        { data: randomData(2, 12, 0.5, 1.5), shape: [2], wrt: true },
        { data: randomData(2, 13), shape: [2], wrt: true },
      ],
    );
  });

  test('batch_norm_silu (fused, backward recomputes the BN output): input, weight and bias', () => {
    gradcheck(
      ([x, w, b]) => F.batchNormSilu(x as Tensor, null, null, w as Tensor, b as Tensor, true, 0.03, 1e-3),
      [
        { data: randomData(3 * 2 * 3 * 3, 21), shape: [3, 2, 3, 3], wrt: true },
        { data: randomData(2, 22, 0.5, 1.5), shape: [2], wrt: true },
        { data: randomData(2, 23), shape: [2], wrt: true },
      ],
    );
    gradcheck(
      ([x]) => F.batchNormSilu(x as Tensor, null, null, null, null, true, 0.1, 1e-5),
      [{ data: randomData(2 * 3 * 2 * 2, 24), shape: [2, 3, 2, 2], wrt: true }],
    );
  });

  test('batch_norm in eval mode uses the running statistics', () => {
    gradcheck(
      ([x, mean, variance, w, b]) =>
        F.batchNorm(x as Tensor, mean as Tensor, variance as Tensor, w as Tensor, b as Tensor, false, 0.1, 1e-5),
      [
        { data: randomData(2 * 2 * 2 * 2, 14), shape: [2, 2, 2, 2], wrt: true },
        { data: [0.3, -0.2], shape: [2], wrt: false },
        { data: [1.5, 0.7], shape: [2], wrt: false },
        { data: [0.9, 1.1], shape: [2], wrt: true },
        { data: [0.1, -0.1], shape: [2], wrt: true },
      ],
    );
  });

  test('silu', () => {
    gradcheck(([x]) => F.silu(x as Tensor), [{ data: randomData(12, 21, -4, 4), shape: [3, 4], wrt: true }]);
  });

  test('binary cross entropy with logits: input and target, with weight and posWeight, every reduction', () => {
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      gradcheck(
        ([x, t, w, pw]) =>
          F.binaryCrossEntropyWithLogits(x as Tensor, t as Tensor, { weight: w as Tensor, posWeight: pw as Tensor, reduction }),
        [
          { data: randomData(8, 31, -3, 3), shape: [2, 4], wrt: true },
          { data: randomData(8, 32, 0, 1), shape: [2, 4], wrt: true },
          { data: randomData(8, 33, 0.5, 2), shape: [2, 4], wrt: false },
          { data: [1, 2, 0.5, 3], shape: [4], wrt: false },
        ],
      );
    }
  });

  test('grid_sample (bilinear, zeros and border padding): input and grid', () => {
    for (const paddingMode of ['zeros', 'border'] as const) {
      for (const alignCorners of [false, true]) {
        gradcheck(
          ([x, g]) => F.gridSample(x as Tensor, g as Tensor, { paddingMode, alignCorners }),
          [
            { data: randomData(1 * 2 * 4 * 5, 41), shape: [1, 2, 4, 5], wrt: true },
            // strictly inside, off the pixel lattice: bilinear sampling is smooth there
            { data: randomData(1 * 3 * 3 * 2, 42, -0.87, 0.87), shape: [1, 3, 3, 2], wrt: true },
          ],
        );
      }
    }
  });

  test('gather, scatter (self and src), scatterAdd and index', () => {
    const index = torch.tensor(
      [
        [2, 0, 1],
        [1, 1, 3],
      ],
      { dtype: 'int64' },
    );
    const unique = torch.tensor(
      [
        [2, 0, 3],
        [1, 3, 0],
      ],
      { dtype: 'int64' },
    );
    try {
      gradcheck(([x]) => (x as Tensor).gather(1, index), [{ data: randomData(8, 51), shape: [2, 4], wrt: true }]);
      gradcheck(
        ([x, src]) => (x as Tensor).scatter(1, unique, src as Tensor),
        [
          { data: randomData(8, 52), shape: [2, 4], wrt: true },
          { data: randomData(6, 53), shape: [2, 3], wrt: true },
        ],
      );
      gradcheck(
        ([x, src]) => (x as Tensor).scatterAdd(1, index, src as Tensor),
        [
          { data: randomData(8, 54), shape: [2, 4], wrt: true },
          { data: randomData(6, 55), shape: [2, 3], wrt: true },
        ],
      );
      gradcheck(([x]) => (x as Tensor).index([index]).pow(2), [{ data: randomData(8, 56), shape: [4, 2], wrt: true }]);
    } finally {
      index.dispose();
      unique.dispose();
    }
  });

  test('a composed expression: maxPool2d, interpolate, cat, softmax, clamp', () => {
    gradcheck(
      ([x]) => {
        const p = F.maxPool2d(x as Tensor, 3, { stride: 1, padding: 1 });
        const up = F.interpolate(F.avgPool2d(x as Tensor, 2), { scaleFactor: 2 });
        return torch
          .cat([p, up], 1)
          .softmax(1)
          .narrow(1, 1, 2)
          .mul(x as Tensor)
          .clamp(-0.5, 0.8);
      },
      [{ data: randomData(1 * 2 * 4 * 4, 61), shape: [1, 2, 4, 4], wrt: true }],
    );
  });
});

describe('autograd mechanics', () => {
  test('grads accumulate across backward calls until set to null', () =>
    torch.tidy(() => {
      const x = torch.tensor([1, 2, 3], { requiresGrad: true });
      x.mul(x).sum().backward();
      assert.deepEqual(x.grad?.toArray(), [2, 4, 6]);
      x.mul(3).sum().backward();
      assert.deepEqual(x.grad?.toArray(), [5, 7, 9]);
      x.grad = null;
      assert.equal(x.grad, null);
    }));

  test('noGrad stops tracking, enableGrad restores it inside, detach cuts the graph', () =>
    torch.tidy(() => {
      const x = torch.ones([2], { requiresGrad: true });
      assert.equal(
        torch.noGrad(() => x.mul(2).requiresGrad),
        false,
      );
      assert.equal(
        torch.noGrad(() => torch.enableGrad(() => x.mul(2).requiresGrad)),
        true,
      );
      assert.equal(torch.isGradEnabled(), true);
      assert.equal(x.mul(2).detach().requiresGrad, false);
      assert.equal(x.isLeaf, true);
      assert.equal(x.mul(2).isLeaf, false);
    }));

  test('backward with an explicit gradient and retainGraph', () =>
    torch.tidy(() => {
      const x = torch.tensor([1, 2], { requiresGrad: true });
      const y = x.pow(3);
      y.backward(torch.tensor([1, 0.5]), { retainGraph: true });
      assert.deepEqual(x.grad?.toArray(), [3, 6]);
      y.backward(torch.tensor([1, 0.5]));
      assert.deepEqual(x.grad?.toArray(), [6, 12]);
      assert.throws(() => y.backward(torch.tensor([1, 0.5])), /backward through the graph a second time/);
    }));

  test('createGraph gives differentiable gradients (second derivative)', () =>
    torch.tidy(() => {
      const x = torch.tensor([2], { dtype: 'float64', requiresGrad: true });
      const y = x.pow(3);
      y.backward(undefined, { createGraph: true });
      const g = x.grad as Tensor;
      assert.equal(g.item(), 12);
      x.grad = null;
      g.backward();
      assert.equal((x.grad as Tensor | null)?.item(), 12); // d(3x²)/dx = 6x
    }));
});
