// Tensor: a handle on one libtorch tensor, with methods that mirror PyTorch's (camelCased).
// Every method returns a new Tensor registered with the current scope (see scope.ts); methods ending in
// `_` work in place and return `this`, as in PyTorch.
import { opId } from './aten.js';
import { type DType, dtypeCode, dtypeFromCode, type MemoryFormat, memoryFormatCode, type TypedArray } from './dtype.js';
import { type Handle, type NativeArg, type NativeResult, native } from './native.js';
import { keep, type Owned, track } from './scope.js';

/** A tensor or a plain number where PyTorch accepts a Scalar. */
export type TensorOrScalar = Tensor | number | boolean;

/** One entry of `Tensor.i()`: an index, a Python slice string ('1:3', '::2', ':'), '...', null (new axis), or a Tensor. */
export type IndexSpec = number | string | null | Tensor;

type Reduction = 'none' | 'mean' | 'sum';

function toNative(value: unknown): NativeArg {
  if (value instanceof Tensor) return value.handle;
  if (Array.isArray(value)) return value.map(toNative);
  return value as NativeArg;
}

function wrap(result: NativeResult): unknown {
  if (result === null || typeof result !== 'object') return result;
  if (Array.isArray(result)) return result.map(wrap);
  return track(new Tensor(result as Handle));
}

/**
 * Calls `aten::<qualified>` with PyTorch's positional argument order; `undefined` takes the schema default,
 * `kwargs` fills arguments by name. Tensors in the result are registered with the current scope.
 */
export function aten<T = Tensor>(qualified: string, args: unknown[], kwargs?: Record<string, unknown>): T {
  const nativeKwargs =
    kwargs === undefined
      ? undefined
      : (Object.fromEntries(Object.entries(kwargs).map(([k, v]) => [k, toNative(v)])) as Record<string, NativeArg>);
  return wrap(native.callOp(opId(qualified), args.map(toNative), nativeKwargs, true)) as T;
}

/** As `aten`, for in-place operators: the result (an alias of an argument) is not wrapped. */
export function atenInPlace(qualified: string, args: unknown[], kwargs?: Record<string, unknown>): void {
  const nativeKwargs =
    kwargs === undefined
      ? undefined
      : (Object.fromEntries(Object.entries(kwargs).map(([k, v]) => [k, toNative(v)])) as Record<string, NativeArg>);
  native.callOp(opId(qualified), args.map(toNative), nativeKwargs, false);
}

function reductionCode(reduction: Reduction): number {
  return reduction === 'none' ? 0 : reduction === 'mean' ? 1 : 2;
}

export { reductionCode };

export class Tensor implements Owned {
  /** @internal */ private h: Handle | null;
  kept = false;

  /** @internal Use the creation functions (`zeros`, `tensor`, …) instead. */
  constructor(handle: Handle) {
    this.h = handle;
  }

  /** @internal The native handle; throws if disposed. */
  get handle(): Handle {
    if (this.h === null) throw new Error('this Tensor was disposed and can no longer be used');
    return this.h;
  }

  // ---- memory ---------------------------------------------------------------------------------

  /** Frees the native tensor now. Idempotent. */
  dispose(): void {
    if (this.h !== null) {
      native.dispose(this.h);
      this.h = null;
    }
  }

  /** @internal Called by the scope machinery when no scope owns this tensor any more. */
  handToGc(): void {
    if (this.h !== null) native.handToGc(this.h);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  get isDisposed(): boolean {
    return this.h === null;
  }

  /** Takes this tensor out of scope-based disposal; it lives until `dispose()`. */
  keep(): this {
    return keep(this);
  }

  // ---- metadata -------------------------------------------------------------------------------

  get shape(): number[] {
    return native.shape(this.handle);
  }

  /** `size()` is the shape; `size(d)` one dimension (negative counts from the end). */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    const shape = this.shape;
    if (dim === undefined) return shape;
    const d = dim < 0 ? dim + shape.length : dim;
    if (d < 0 || d >= shape.length) throw new RangeError(`size(${dim}): tensor has ${shape.length} dimensions`);
    return shape[d]!;
  }

  get ndim(): number {
    return native.shape(this.handle).length;
  }

  dim(): number {
    return this.ndim;
  }

  numel(): number {
    return native.numel(this.handle);
  }

  get dtype(): DType {
    return dtypeFromCode(native.scalarType(this.handle));
  }

  get device(): string {
    return native.device(this.handle);
  }

  get strides(): number[] {
    return native.strides(this.handle);
  }

  isContiguous(memoryFormat: MemoryFormat = 'contiguous'): boolean {
    return native.isContiguous(this.handle, memoryFormatCode(memoryFormat));
  }

  isFloatingPoint(): boolean {
    const d = this.dtype;
    return d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16';
  }

  toString(): string {
    if (this.h === null) return 'Tensor(disposed)';
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.device})`;
  }

  // ---- autograd -------------------------------------------------------------------------------

  get requiresGrad(): boolean {
    return native.requiresGrad(this.handle);
  }

  set requiresGrad(value: boolean) {
    native.setRequiresGrad(this.handle, value);
  }

  requiresGrad_(value = true): this {
    native.setRequiresGrad(this.handle, value);
    return this;
  }

  get isLeaf(): boolean {
    return native.isLeaf(this.handle);
  }

  /** The accumulated gradient (a new handle on it each read), or null. */
  get grad(): Tensor | null {
    const g = native.grad(this.handle);
    return g === null ? null : track(new Tensor(g));
  }

  set grad(value: Tensor | null) {
    native.setGrad(this.handle, value === null ? null : value.handle);
  }

  /** Computes gradients of this tensor w.r.t. graph leaves, accumulating into their `.grad`. */
  backward(gradient?: Tensor, options: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
    native.backward([this.handle], [gradient ? gradient.handle : null], options.retainGraph, options.createGraph ?? false);
  }

  detach(): Tensor {
    return aten('detach', [this]);
  }

  /** Replaces this tensor's data (PyTorch's `t.data = other`), keeping its identity. */
  setData_(source: Tensor): this {
    native.setData(this.handle, source.handle);
    return this;
  }

  // ---- data in and out ------------------------------------------------------------------------

  /** The single value of a one-element tensor. */
  item(): number {
    const v = native.item(this.handle);
    return typeof v === 'boolean' ? Number(v) : v;
  }

  /** A copy of the data as the matching typed array (float16/bfloat16 are widened to Float32Array; bool to Uint8Array). */
  toTypedArray(): TypedArray {
    const dtype = this.dtype;
    if (dtype === 'float16' || dtype === 'bfloat16') {
      const wide = aten<Tensor>('to.dtype', [this, dtypeCode('float32')]);
      try {
        return wide.toTypedArray();
      } finally {
        wide.dispose();
      }
    }
    const buffer = native.toBuffer(this.handle);
    switch (dtype) {
      case 'float32':
        return new Float32Array(buffer);
      case 'float64':
        return new Float64Array(buffer);
      case 'int64':
        return new BigInt64Array(buffer);
      case 'int32':
        return new Int32Array(buffer);
      case 'int16':
        return new Int16Array(buffer);
      case 'int8':
        return new Int8Array(buffer);
      default:
        return new Uint8Array(buffer);
    }
  }

  /** The data as a flat array of numbers (int64 converted with Number()). */
  toArray(): number[] {
    const data = this.toTypedArray();
    return data instanceof BigInt64Array ? Array.from(data, Number) : Array.from(data as ArrayLike<number>);
  }

  /** The data as nested arrays following the shape, like PyTorch's `tolist()`. */
  tolist(): unknown {
    const flat = this.toArray();
    const shape = this.shape;
    if (shape.length === 0) return flat[0];
    let offset = 0;
    const build = (d: number): unknown[] => {
      const out: unknown[] = [];
      for (let i = 0; i < shape[d]!; i++) out.push(d === shape.length - 1 ? flat[offset++] : build(d + 1));
      return out;
    };
    return build(0);
  }

  // ---- conversion -----------------------------------------------------------------------------

  /** `to('float16')`, `to('cuda:0')`, or `to({ dtype, device, memoryFormat, copy })`. */
  to(target: DType | string | { dtype?: DType; device?: string; memoryFormat?: MemoryFormat; copy?: boolean }): Tensor {
    const options = typeof target === 'string' ? (isDType(target) ? { dtype: target } : { device: target }) : target;
    return aten('to.dtype_layout', [this], {
      dtype: options.dtype === undefined ? undefined : dtypeCode(options.dtype),
      device: options.device,
      copy: options.copy ?? false,
      memory_format: options.memoryFormat === undefined ? undefined : memoryFormatCode(options.memoryFormat),
    });
  }

  float(): Tensor {
    return this.to('float32');
  }

  double(): Tensor {
    return this.to('float64');
  }

  half(): Tensor {
    return this.to('float16');
  }

  long(): Tensor {
    return this.to('int64');
  }

  int(): Tensor {
    return this.to('int32');
  }

  bool(): Tensor {
    return this.to('bool');
  }

  byte(): Tensor {
    return this.to('uint8');
  }

  cpu(): Tensor {
    return this.to('cpu');
  }

  cuda(index = 0): Tensor {
    return this.to(`cuda:${index}`);
  }

  contiguous(memoryFormat: MemoryFormat = 'contiguous'): Tensor {
    return aten('contiguous', [this], { memory_format: memoryFormatCode(memoryFormat) });
  }

  clone(memoryFormat?: MemoryFormat): Tensor {
    return aten('clone', [this], { memory_format: memoryFormat === undefined ? undefined : memoryFormatCode(memoryFormat) });
  }

  // ---- shape ----------------------------------------------------------------------------------

  view(...shape: number[] | [number[]]): Tensor {
    return aten('view', [this, flatShape(shape)]);
  }

  reshape(...shape: number[] | [number[]]): Tensor {
    return aten('reshape', [this, flatShape(shape)]);
  }

  viewAs(other: Tensor): Tensor {
    return aten('view_as', [this, other]);
  }

  permute(...dims: number[] | [number[]]): Tensor {
    return aten('permute', [this, flatShape(dims)]);
  }

  transpose(dim0: number, dim1: number): Tensor {
    return aten('transpose.int', [this, dim0, dim1]);
  }

  /** Transpose of a 2-D tensor. */
  t(): Tensor {
    return aten('t', [this]);
  }

  flatten(startDim = 0, endDim = -1): Tensor {
    return aten('flatten.using_ints', [this, startDim, endDim]);
  }

  unflatten(dim: number, sizes: number[]): Tensor {
    const shape = this.shape;
    const d = dim < 0 ? dim + shape.length : dim;
    return this.view([...shape.slice(0, d), ...sizes, ...shape.slice(d + 1)]);
  }

  squeeze(dim?: number): Tensor {
    return dim === undefined ? aten('squeeze', [this]) : aten('squeeze.dim', [this, dim]);
  }

  unsqueeze(dim: number): Tensor {
    return aten('unsqueeze', [this, dim]);
  }

  expand(...shape: number[] | [number[]]): Tensor {
    return aten('expand', [this, flatShape(shape)]);
  }

  expandAs(other: Tensor): Tensor {
    return aten('expand_as', [this, other]);
  }

  repeat(...repeats: number[] | [number[]]): Tensor {
    return aten('repeat', [this, flatShape(repeats)]);
  }

  /** Splits into chunks of `size` (a number) or of the listed sizes along `dim`. */
  split(size: number | number[], dim = 0): Tensor[] {
    return typeof size === 'number' ? aten('split.Tensor', [this, size, dim]) : aten('split_with_sizes', [this, size, dim]);
  }

  chunk(chunks: number, dim = 0): Tensor[] {
    return aten('chunk', [this, chunks, dim]);
  }

  unbind(dim = 0): Tensor[] {
    return aten('unbind.int', [this, dim]);
  }

  narrow(dim: number, start: number, length: number): Tensor {
    return aten('narrow', [this, dim, start, length]);
  }

  /** Python's `t[..., start:end:step, ...]` along one dimension; `end` null = to the end. */
  slice(dim: number, start: number | null = null, end: number | null = null, step = 1): Tensor {
    return aten('slice.Tensor', [this, dim, start, end, step]);
  }

  select(dim: number, index: number): Tensor {
    return aten('select.int', [this, dim, index]);
  }

  flip(...dims: number[] | [number[]]): Tensor {
    return aten('flip', [this, flatShape(dims)]);
  }

  roll(shifts: number | number[], dims: number | number[]): Tensor {
    return aten('roll', [this, toList(shifts), toList(dims)]);
  }

  // ---- indexing -------------------------------------------------------------------------------

  indexSelect(dim: number, index: Tensor): Tensor {
    return aten('index_select', [this, dim, index]);
  }

  gather(dim: number, index: Tensor): Tensor {
    return aten('gather', [this, dim, index]);
  }

  scatter(dim: number, index: Tensor, src: TensorOrScalar): Tensor {
    return src instanceof Tensor ? aten('scatter.src', [this, dim, index, src]) : aten('scatter.value', [this, dim, index, src]);
  }

  scatter_(dim: number, index: Tensor, src: TensorOrScalar): this {
    if (src instanceof Tensor) atenInPlace('scatter_.src', [this, dim, index, src]);
    else atenInPlace('scatter_.value', [this, dim, index, src]);
    return this;
  }

  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return aten('scatter_add', [this, dim, index, src]);
  }

  scatterAdd_(dim: number, index: Tensor, src: Tensor): this {
    atenInPlace('scatter_add_', [this, dim, index, src]);
    return this;
  }

  maskedFill(mask: Tensor, value: TensorOrScalar): Tensor {
    return value instanceof Tensor ? aten('masked_fill.Tensor', [this, mask, value]) : aten('masked_fill.Scalar', [this, mask, value]);
  }

  maskedFill_(mask: Tensor, value: TensorOrScalar): this {
    if (value instanceof Tensor) atenInPlace('masked_fill_.Tensor', [this, mask, value]);
    else atenInPlace('masked_fill_.Scalar', [this, mask, value]);
    return this;
  }

  maskedSelect(mask: Tensor): Tensor {
    return aten('masked_select', [this, mask]);
  }

  nonzero(): Tensor {
    return aten('nonzero', [this]);
  }

  /** Advanced indexing, one entry per leading dimension (null = all of it): `t[idx0, idx1]`. */
  index(indices: (Tensor | null)[]): Tensor {
    return aten('index.Tensor', [this, indices]);
  }

  /** `t[indices] = values` (or `+=` with accumulate). */
  indexPut_(indices: (Tensor | null)[], values: TensorOrScalar, accumulate = false): this {
    const v = values instanceof Tensor ? values : scalarLike(this, values);
    try {
      atenInPlace('index_put_', [this, indices, v, accumulate]);
    } finally {
      if (v !== values) v.dispose();
    }
    return this;
  }

  /**
   * Python-style indexing: `t.i(0, ':', '1:5:2', null, mask)` is `t[0, :, 1:5:2, None, mask]`.
   * Numbers select, slice strings slice, '...' skips dimensions, null inserts an axis, tensors index
   * (integer or boolean) as in PyTorch.
   */
  i(...specs: IndexSpec[]): Tensor {
    const { view, tensors } = this.basicIndex(specs);
    if (tensors.every((t) => t === null)) return view;
    try {
      return view.index(trimTrailingNulls(tensors));
    } finally {
      view.dispose();
    }
  }

  /** Python-style index assignment: `t.iSet([':', 0], 1)` is `t[:, 0] = 1`. Returns `this`. */
  iSet(specs: IndexSpec[], value: TensorOrScalar): this {
    const { view, tensors } = this.basicIndex(specs);
    try {
      if (tensors.every((t) => t === null)) {
        if (value instanceof Tensor) atenInPlace('copy_', [view, value]);
        else atenInPlace('fill_.Scalar', [view, value]);
      } else {
        view.indexPut_(trimTrailingNulls(tensors), value);
      }
    } finally {
      view.dispose();
    }
    return this;
  }

  private basicIndex(specs: IndexSpec[]): { view: Tensor; tensors: (Tensor | null)[] } {
    const ndim = this.ndim;
    const consumed = specs.filter((s) => s !== null && s !== '...').length;
    let view: Tensor = aten('alias', [this]);
    const tensors: (Tensor | null)[] = [];
    let dim = 0;
    const replace = (next: Tensor): void => {
      view.dispose();
      view = next;
    };
    try {
      for (const spec of specs) {
        if (spec === '...') {
          const skip = ndim - consumed;
          for (let k = 0; k < skip; k++) tensors.push(null);
          dim += skip;
        } else if (spec === null) {
          replace(view.unsqueeze(dim));
          tensors.push(null);
          dim++;
        } else if (typeof spec === 'number') {
          replace(view.select(dim, spec));
        } else if (typeof spec === 'string') {
          const [start, end, step] = parseSlice(spec);
          replace(view.slice(dim, start, end, step));
          tensors.push(null);
          dim++;
        } else {
          tensors.push(spec);
          dim += spec.dtype === 'bool' ? spec.ndim : 1;
        }
      }
    } catch (error) {
      view.dispose();
      throw error;
    }
    return { view, tensors };
  }

  // ---- arithmetic -----------------------------------------------------------------------------

  add(other: TensorOrScalar, alpha = 1): Tensor {
    return other instanceof Tensor ? aten('add.Tensor', [this, other], { alpha }) : aten('add.Scalar', [this, other, alpha]);
  }

  sub(other: TensorOrScalar, alpha = 1): Tensor {
    return other instanceof Tensor ? aten('sub.Tensor', [this, other], { alpha }) : aten('sub.Scalar', [this, other, alpha]);
  }

  /** `other - this`. */
  rsub(other: TensorOrScalar): Tensor {
    return other instanceof Tensor ? aten('rsub.Tensor', [this, other]) : aten('rsub.Scalar', [this, other]);
  }

  mul(other: TensorOrScalar): Tensor {
    return other instanceof Tensor ? aten('mul.Tensor', [this, other]) : aten('mul.Scalar', [this, other]);
  }

  /** True division; `roundingMode` 'floor' or 'trunc' as in PyTorch. */
  div(other: TensorOrScalar, roundingMode?: 'floor' | 'trunc'): Tensor {
    if (roundingMode !== undefined) {
      return other instanceof Tensor
        ? aten('div.Tensor_mode', [this, other], { rounding_mode: roundingMode })
        : aten('div.Scalar_mode', [this, other], { rounding_mode: roundingMode });
    }
    return other instanceof Tensor ? aten('div.Tensor', [this, other]) : aten('div.Scalar', [this, other]);
  }

  remainder(other: TensorOrScalar): Tensor {
    return other instanceof Tensor ? aten('remainder.Tensor', [this, other]) : aten('remainder.Scalar', [this, other]);
  }

  pow(exponent: TensorOrScalar): Tensor {
    return exponent instanceof Tensor ? aten('pow.Tensor_Tensor', [this, exponent]) : aten('pow.Tensor_Scalar', [this, exponent]);
  }

  neg(): Tensor {
    return aten('neg', [this]);
  }

  abs(): Tensor {
    return aten('abs', [this]);
  }

  exp(): Tensor {
    return aten('exp', [this]);
  }

  log(): Tensor {
    return aten('log', [this]);
  }

  log1p(): Tensor {
    return aten('log1p', [this]);
  }

  sqrt(): Tensor {
    return aten('sqrt', [this]);
  }

  rsqrt(): Tensor {
    return aten('rsqrt', [this]);
  }

  reciprocal(): Tensor {
    return aten('reciprocal', [this]);
  }

  sigmoid(): Tensor {
    return aten('sigmoid', [this]);
  }

  tanh(): Tensor {
    return aten('tanh', [this]);
  }

  atan(): Tensor {
    return aten('atan', [this]);
  }

  sin(): Tensor {
    return aten('sin', [this]);
  }

  cos(): Tensor {
    return aten('cos', [this]);
  }

  floor(): Tensor {
    return aten('floor', [this]);
  }

  ceil(): Tensor {
    return aten('ceil', [this]);
  }

  round(): Tensor {
    return aten('round', [this]);
  }

  sign(): Tensor {
    return aten('sign', [this]);
  }

  clamp(min: TensorOrScalar | null = null, max: TensorOrScalar | null = null): Tensor {
    if (min instanceof Tensor || max instanceof Tensor) return aten('clamp.Tensor', [this, min, max]);
    return aten('clamp', [this, min, max]);
  }

  /** PyTorch's `clamp_min`/`clamp(min=…)`. */
  clampMin(min: number): Tensor {
    return aten('clamp_min', [this, min]);
  }

  clampMax(max: number): Tensor {
    return aten('clamp_max', [this, max]);
  }

  minimum(other: Tensor): Tensor {
    return aten('minimum', [this, other]);
  }

  maximum(other: Tensor): Tensor {
    return aten('maximum', [this, other]);
  }

  lerp(end: Tensor, weight: TensorOrScalar): Tensor {
    return weight instanceof Tensor ? aten('lerp.Tensor', [this, end, weight]) : aten('lerp.Scalar', [this, end, weight]);
  }

  addcmul(t1: Tensor, t2: Tensor, value = 1): Tensor {
    return aten('addcmul', [this, t1, t2], { value });
  }

  addcdiv(t1: Tensor, t2: Tensor, value = 1): Tensor {
    return aten('addcdiv', [this, t1, t2], { value });
  }

  matmul(other: Tensor): Tensor {
    return aten('matmul', [this, other]);
  }

  mm(other: Tensor): Tensor {
    return aten('mm', [this, other]);
  }

  bmm(other: Tensor): Tensor {
    return aten('bmm', [this, other]);
  }

  // ---- comparison and logic -------------------------------------------------------------------

  eq(other: TensorOrScalar): Tensor {
    return other instanceof Tensor ? aten('eq.Tensor', [this, other]) : aten('eq.Scalar', [this, other]);
  }

  ne(other: TensorOrScalar): Tensor {
    return other instanceof Tensor ? aten('ne.Tensor', [this, other]) : aten('ne.Scalar', [this, other]);
  }

  lt(other: TensorOrScalar): Tensor {
    return other instanceof Tensor ? aten('lt.Tensor', [this, other]) : aten('lt.Scalar', [this, other]);
  }

  le(other: TensorOrScalar): Tensor {
    return other instanceof Tensor ? aten('le.Tensor', [this, other]) : aten('le.Scalar', [this, other]);
  }

  gt(other: TensorOrScalar): Tensor {
    return other instanceof Tensor ? aten('gt.Tensor', [this, other]) : aten('gt.Scalar', [this, other]);
  }

  ge(other: TensorOrScalar): Tensor {
    return other instanceof Tensor ? aten('ge.Tensor', [this, other]) : aten('ge.Scalar', [this, other]);
  }

  logicalAnd(other: Tensor): Tensor {
    return aten('logical_and', [this, other]);
  }

  logicalOr(other: Tensor): Tensor {
    return aten('logical_or', [this, other]);
  }

  logicalXor(other: Tensor): Tensor {
    return aten('logical_xor', [this, other]);
  }

  logicalNot(): Tensor {
    return aten('logical_not', [this]);
  }

  isnan(): Tensor {
    return aten('isnan', [this]);
  }

  isfinite(): Tensor {
    return aten('isfinite', [this]);
  }

  /** `where(condition, this, other)`. */
  where(condition: Tensor, other: TensorOrScalar): Tensor {
    const o = other instanceof Tensor ? other : scalarLike(this, other);
    try {
      return aten('where.self', [condition, this, o]);
    } finally {
      if (o !== other) o.dispose();
    }
  }

  // ---- reductions -----------------------------------------------------------------------------

  sum(dim?: number | number[], keepdim = false, dtype?: DType): Tensor {
    const code = dtype === undefined ? undefined : dtypeCode(dtype);
    return dim === undefined
      ? aten('sum', [this], { dtype: code })
      : aten('sum.dim_IntList', [this, toList(dim), keepdim], { dtype: code });
  }

  mean(dim?: number | number[], keepdim = false): Tensor {
    return dim === undefined ? aten('mean', [this]) : aten('mean.dim', [this, toList(dim), keepdim]);
  }

  prod(dim?: number, keepdim = false): Tensor {
    return dim === undefined ? aten('prod', [this]) : aten('prod.dim_int', [this, dim, keepdim]);
  }

  std(dim?: number | number[], unbiased = true, keepdim = false): Tensor {
    return dim === undefined ? aten('std', [this, unbiased]) : aten('std.dim', [this, toList(dim), unbiased, keepdim]);
  }

  var(dim?: number | number[], unbiased = true, keepdim = false): Tensor {
    return dim === undefined ? aten('var', [this, unbiased]) : aten('var.dim', [this, toList(dim), unbiased, keepdim]);
  }

  /** Maximum of all elements; see `maxDim` for values and indices along a dimension. */
  max(): Tensor {
    return aten('max', [this]);
  }

  min(): Tensor {
    return aten('min', [this]);
  }

  /** `[values, indices]` of the maximum along `dim` (PyTorch's `max(dim)`). */
  maxDim(dim: number, keepdim = false): [Tensor, Tensor] {
    return aten('max.dim', [this, dim, keepdim]);
  }

  minDim(dim: number, keepdim = false): [Tensor, Tensor] {
    return aten('min.dim', [this, dim, keepdim]);
  }

  amax(dim: number | number[] = [], keepdim = false): Tensor {
    return aten('amax', [this, toList(dim), keepdim]);
  }

  amin(dim: number | number[] = [], keepdim = false): Tensor {
    return aten('amin', [this, toList(dim), keepdim]);
  }

  argmax(dim?: number, keepdim = false): Tensor {
    return aten('argmax', [this, dim ?? null, keepdim]);
  }

  argmin(dim?: number, keepdim = false): Tensor {
    return aten('argmin', [this, dim ?? null, keepdim]);
  }

  all(dim?: number, keepdim = false): Tensor {
    return dim === undefined ? aten('all', [this]) : aten('all.dim', [this, dim, keepdim]);
  }

  any(dim?: number, keepdim = false): Tensor {
    return dim === undefined ? aten('any', [this]) : aten('any.dim', [this, dim, keepdim]);
  }

  cumsum(dim: number, dtype?: DType): Tensor {
    return aten('cumsum', [this, dim], { dtype: dtype === undefined ? undefined : dtypeCode(dtype) });
  }

  /** Vector p-norm over all elements or `dim`. */
  norm(p = 2, dim?: number | number[], keepdim = false): Tensor {
    return aten('linalg_vector_norm', [this, p, dim === undefined ? null : toList(dim), keepdim]);
  }

  /** `[values, indices]` of the k largest (or smallest) along `dim`. */
  topk(k: number, dim = -1, largest = true, sorted = true): [Tensor, Tensor] {
    return aten('topk', [this, k, dim, largest, sorted]);
  }

  /** `[values, indices]` sorted along `dim`. */
  sort(dim = -1, descending = false, stable = false): [Tensor, Tensor] {
    return aten('sort.stable', [this], { stable, dim, descending });
  }

  argsort(dim = -1, descending = false): Tensor {
    return aten('argsort', [this, dim, descending]);
  }

  /** Unique values (sorted), and optionally the inverse indices and counts: always `[values, inverse, counts]`. */
  unique(options: { sorted?: boolean; returnInverse?: boolean; returnCounts?: boolean; dim?: number } = {}): [Tensor, Tensor, Tensor] {
    const { sorted = true, returnInverse = false, returnCounts = false, dim } = options;
    return dim === undefined
      ? aten('_unique2', [this, sorted, returnInverse, returnCounts])
      : aten('unique_dim', [this, dim, sorted, returnInverse, returnCounts]);
  }

  softmax(dim: number): Tensor {
    return aten('softmax.int', [this, dim]);
  }

  logSoftmax(dim: number): Tensor {
    return aten('log_softmax.int', [this, dim]);
  }

  // ---- in place (optimizers, EMA, initialisation) ---------------------------------------------

  add_(other: TensorOrScalar, alpha = 1): this {
    if (other instanceof Tensor) atenInPlace('add_.Tensor', [this, other], { alpha });
    else atenInPlace('add_.Scalar', [this, other, alpha]);
    return this;
  }

  sub_(other: TensorOrScalar, alpha = 1): this {
    if (other instanceof Tensor) atenInPlace('sub_.Tensor', [this, other], { alpha });
    else atenInPlace('sub_.Scalar', [this, other, alpha]);
    return this;
  }

  mul_(other: TensorOrScalar): this {
    atenInPlace(other instanceof Tensor ? 'mul_.Tensor' : 'mul_.Scalar', [this, other]);
    return this;
  }

  div_(other: TensorOrScalar): this {
    atenInPlace(other instanceof Tensor ? 'div_.Tensor' : 'div_.Scalar', [this, other]);
    return this;
  }

  pow_(exponent: number): this {
    atenInPlace('pow_.Scalar', [this, exponent]);
    return this;
  }

  sqrt_(): this {
    atenInPlace('sqrt_', [this]);
    return this;
  }

  addcmul_(t1: Tensor, t2: Tensor, value = 1): this {
    atenInPlace('addcmul_', [this, t1, t2], { value });
    return this;
  }

  addcdiv_(t1: Tensor, t2: Tensor, value = 1): this {
    atenInPlace('addcdiv_', [this, t1, t2], { value });
    return this;
  }

  lerp_(end: Tensor, weight: TensorOrScalar): this {
    atenInPlace(weight instanceof Tensor ? 'lerp_.Tensor' : 'lerp_.Scalar', [this, end, weight]);
    return this;
  }

  copy_(src: Tensor): this {
    atenInPlace('copy_', [this, src]);
    return this;
  }

  zero_(): this {
    atenInPlace('zero_', [this]);
    return this;
  }

  fill_(value: TensorOrScalar): this {
    atenInPlace(value instanceof Tensor ? 'fill_.Tensor' : 'fill_.Scalar', [this, value]);
    return this;
  }

  clamp_(min: number | null = null, max: number | null = null): this {
    atenInPlace('clamp_', [this, min, max]);
    return this;
  }

  uniform_(from = 0, to = 1): this {
    atenInPlace('uniform_', [this, from, to]);
    return this;
  }

  normal_(mean = 0, std = 1): this {
    atenInPlace('normal_', [this, mean, std]);
    return this;
  }

  sigmoid_(): this {
    atenInPlace('sigmoid_', [this]);
    return this;
  }

  nanToNum_(nan = 0, posinf?: number, neginf?: number): this {
    atenInPlace('nan_to_num_', [this, nan, posinf ?? null, neginf ?? null]);
    return this;
  }
}

function isDType(value: string): value is DType {
  return ['float32', 'float16', 'bfloat16', 'float64', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool'].includes(value);
}

function flatShape(args: number[] | [number[]]): number[] {
  return Array.isArray(args[0]) ? (args[0] as number[]) : (args as number[]);
}

function toList(value: number | number[]): number[] {
  return typeof value === 'number' ? [value] : value;
}

function trimTrailingNulls(indices: (Tensor | null)[]): (Tensor | null)[] {
  let end = indices.length;
  while (end > 0 && indices[end - 1] === null) end--;
  return indices.slice(0, end);
}

function parseSlice(spec: string): [number | null, number | null, number] {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3) throw new SyntaxError(`bad slice '${spec}': expected 'start:end' or 'start:end:step'`);
  const num = (s: string | undefined): number | null => {
    if (s === undefined || s.trim() === '') return null;
    const n = Number(s);
    if (!Number.isInteger(n)) throw new SyntaxError(`bad slice '${spec}': '${s}' is not an integer`);
    return n;
  };
  const step = num(parts[2]) ?? 1;
  if (step <= 0) throw new RangeError(`bad slice '${spec}': step must be positive`);
  return [num(parts[0]), num(parts[1]), step];
}

/** A 0-d tensor holding `value` with `like`'s dtype and device. */
function scalarLike(like: Tensor, value: number | boolean): Tensor {
  return aten('scalar_tensor', [value], { dtype: dtypeCode(like.dtype), device: like.device });
}
