// torch.* functions over several tensors (cat, stack, where, …), the ones that are not Tensor methods.
import { aten, Tensor, type TensorOrScalar } from './tensor.js';

export function cat(tensors: Tensor[], dim = 0): Tensor {
  return aten('cat', [tensors, dim]);
}

export function stack(tensors: Tensor[], dim = 0): Tensor {
  return aten('stack', [tensors, dim]);
}

/** Elementwise `condition ? a : b` (scalars broadcast). */
export function where(condition: Tensor, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  if (a instanceof Tensor) return a.where(condition, b);
  if (b instanceof Tensor) return aten('where.ScalarSelf', [condition, a, b]);
  return aten('where.Scalar', [condition, a, b]);
}

/** Indices of true elements, one tensor per dimension (PyTorch's `where(condition)`). */
export function nonzeroTuple(condition: Tensor): Tensor[] {
  return aten('nonzero_numpy', [condition]);
}

/** Coordinate grids; indexing 'ij' (PyTorch's default) or 'xy'. */
export function meshgrid(tensors: Tensor[], indexing: 'ij' | 'xy' = 'ij'): Tensor[] {
  return aten('meshgrid.indexing', [tensors], { indexing });
}

export function minimum(a: Tensor, b: Tensor): Tensor {
  return a.minimum(b);
}

export function maximum(a: Tensor, b: Tensor): Tensor {
  return a.maximum(b);
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  return a.matmul(b);
}

/** Batched matrix product; `einsum` is libtorch's own. */
export function einsum(equation: string, tensors: Tensor[]): Tensor {
  return aten('einsum', [equation, tensors]);
}

export function isclose(a: Tensor, b: Tensor, rtol = 1e-5, atol = 1e-8): Tensor {
  return aten('isclose', [a, b, rtol, atol]);
}

export function allclose(a: Tensor, b: Tensor, rtol = 1e-5, atol = 1e-8): boolean {
  return aten<boolean>('allclose', [a, b, rtol, atol]);
}

/** Calls any libtorch operator by schema name, for what this package does not wrap: `callOp('erf', [x])`. */
export function callOp<T = Tensor>(name: string, args: unknown[], kwargs?: Record<string, unknown>): T {
  return aten<T>(name, args, kwargs);
}
