// _foreach_* ops give exactly what the one-tensor ops give (libtorch runs the same kernels per tensor on CPU).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@yolots/torch';

type Tensor = torch.Tensor;

function lists(): { a: Tensor[]; b: Tensor[]; c: Tensor[] } {
  torch.manualSeed(0);
  const shapes = [[3], [2, 5], [4, 1, 3]];
  return {
    a: shapes.map((s) => torch.randn(s)),
    b: shapes.map((s) => torch.randn(s)),
    c: shapes.map((s) => torch.rand(s).add(0.5)),
  };
}

function same(x: Tensor[], y: Tensor[]): void {
  x.forEach((t, i) => assert.deepEqual(t.toArray(), (y[i] as Tensor).toArray(), `tensor ${i}`));
}

test('in-place foreach ops equal their per-tensor forms bit for bit', () =>
  torch.tidy(() => {
    const { a, b, c } = lists();
    const ref = a.map((t) => t.clone());
    torch.foreachMul_(a, 0.9);
    torch.foreachAdd_(a, b, 0.1);
    torch.foreachAddcmul_(a, b, c, 0.01);
    torch.foreachAddcdiv_(a, b, c, [0.5, -1, 2]);
    torch.foreachDiv_(a, [1.5, 2, 3]);
    torch.foreachAdd_(a, 1e-8);
    torch.foreachMul_(a, [2, 3, 4]);
    ref.forEach((t, i) => {
      const [bi, ci] = [b[i] as Tensor, c[i] as Tensor];
      t.mul_(0.9)
        .add_(bi, 0.1)
        .addcmul_(bi, ci, 0.01)
        .addcdiv_(bi, ci, [0.5, -1, 2][i] as number);
      t.div_([1.5, 2, 3][i] as number)
        .add_(1e-8)
        .mul_([2, 3, 4][i] as number);
    });
    same(a, ref);
  }));

test('foreach results: add, sub, sqrt, norm, lerp, zero', () =>
  torch.tidy(() => {
    const { a, b, c } = lists();
    same(
      torch.foreachAdd(a, b, 2),
      a.map((t, i) => t.add(b[i] as Tensor, 2)),
    );
    same(
      torch.foreachSub(a, b),
      a.map((t, i) => t.sub(b[i] as Tensor)),
    );
    same(
      torch.foreachSqrt(c),
      c.map((t) => t.sqrt()),
    );
    torch.foreachNorm(a).forEach((n, i) => assert.ok(Math.abs(n.item() - (a[i] as Tensor).norm().item()) < 1e-6));
    const lerped = a.map((t) => t.clone());
    torch.foreachLerp_(lerped, b, 0.25);
    lerped.forEach((t, i) => assert.ok(torch.allclose(t, (a[i] as Tensor).lerp(b[i] as Tensor, 0.25), 1e-6, 1e-6)));
    torch.foreachZero_(lerped);
    lerped.forEach((t) => assert.equal(t.abs().sum().item(), 0));
    // empty lists are no-ops, not libtorch errors
    torch.foreachAdd_([], 1);
    assert.deepEqual(torch.foreachNorm([]), []);
  }));
