// torch._foreach_*: one native call over a list of tensors instead of one per tensor. Optimizers, the EMA and
// gradient clipping walk the ~350 tensors of a YOLO model every step; per tensor, each op costs a JS→native
// crossing and a dispatch. On CPU libtorch 1.13 runs the per-tensor kernels in a C++ loop, so results are
// bit-identical to the one-tensor ops. Empty lists are no-ops (libtorch refuses them).
import { aten, atenInPlace, type Tensor } from './tensor.js';

/** self[i] += alpha · other[i] (a tensor list), or self[i] += other (a number, or one number per tensor). */
export function foreachAdd_(self: Tensor[], other: Tensor[] | number | number[], alpha = 1): void {
  if (self.length === 0) return;
  if (typeof other === 'number') atenInPlace('_foreach_add_.Scalar', [self, other]);
  else if (isNumbers(other)) atenInPlace('_foreach_add_.ScalarList', [self, other]);
  else atenInPlace('_foreach_add_.List', [self, other], { alpha });
}

/** New tensors self[i] + alpha · other[i]. */
export function foreachAdd(self: Tensor[], other: Tensor[], alpha = 1): Tensor[] {
  if (self.length === 0) return [];
  return aten<Tensor[]>('_foreach_add.List', [self, other], { alpha });
}

/** New tensors self[i] − other[i]. */
export function foreachSub(self: Tensor[], other: Tensor[]): Tensor[] {
  if (self.length === 0) return [];
  return aten<Tensor[]>('_foreach_sub.List', [self, other]);
}

/** self[i] *= other: a number, one number per tensor, or a tensor list. */
export function foreachMul_(self: Tensor[], other: number | number[] | Tensor[]): void {
  if (self.length === 0) return;
  if (typeof other === 'number') atenInPlace('_foreach_mul_.Scalar', [self, other]);
  else if (isNumbers(other)) atenInPlace('_foreach_mul_.ScalarList', [self, other]);
  else atenInPlace('_foreach_mul_.List', [self, other]);
}

/** self[i] /= other: a number or one number per tensor. */
export function foreachDiv_(self: Tensor[], other: number | number[]): void {
  if (self.length === 0) return;
  if (typeof other === 'number') atenInPlace('_foreach_div_.Scalar', [self, other]);
  else atenInPlace('_foreach_div_.ScalarList', [self, other]);
}

/** self[i] += value · t1[i] · t2[i] (value: a number, or one per tensor). */
export function foreachAddcmul_(self: Tensor[], t1: Tensor[], t2: Tensor[], value: number | number[] = 1): void {
  if (self.length === 0) return;
  if (typeof value === 'number') atenInPlace('_foreach_addcmul_.Scalar', [self, t1, t2, value]);
  else atenInPlace('_foreach_addcmul_.ScalarList', [self, t1, t2, value]);
}

/** self[i] += value · t1[i] / t2[i] (value: a number, or one per tensor). */
export function foreachAddcdiv_(self: Tensor[], t1: Tensor[], t2: Tensor[], value: number | number[] = 1): void {
  if (self.length === 0) return;
  if (typeof value === 'number') atenInPlace('_foreach_addcdiv_.Scalar', [self, t1, t2, value]);
  else atenInPlace('_foreach_addcdiv_.ScalarList', [self, t1, t2, value]);
}

/**
 * self[i] += weight · (end[i] − self[i]). libtorch 1.13 has no `_foreach_lerp_`, so this is composed of two foreach
 * calls; it rounds as `a + w·(b − a)`, which may differ from `lerp_` in the last bit.
 */
export function foreachLerp_(self: Tensor[], end: Tensor[], weight: number): void {
  if (self.length === 0) return;
  const diff = foreachSub(end, self);
  foreachAdd_(self, diff, weight);
  for (const d of diff) d.dispose();
}

/** New tensors √self[i]. */
export function foreachSqrt(self: Tensor[]): Tensor[] {
  if (self.length === 0) return [];
  return aten<Tensor[]>('_foreach_sqrt', [self]);
}

/** The `ord`-norm of each tensor (0-d tensors), as torch._foreach_norm. */
export function foreachNorm(self: Tensor[], ord = 2): Tensor[] {
  if (self.length === 0) return [];
  return aten<Tensor[]>('_foreach_norm.Scalar', [self, ord]);
}

/** self[i].zero_(). */
export function foreachZero_(self: Tensor[]): void {
  if (self.length > 0) atenInPlace('_foreach_zero_', [self]);
}

function isNumbers(list: unknown[]): list is number[] {
  return typeof list[0] === 'number';
}
