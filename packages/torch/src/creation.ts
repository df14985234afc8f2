// Creating tensors: factories mirroring torch.zeros/ones/arange/…, and conversion from JS data.
import { type DType, dtypeCode, dtypeOfTypedArray, elementSize, type TypedArray } from './dtype.js';
import { native } from './native.js';
import { track } from './scope.js';
import { aten, Tensor } from './tensor.js';

/** Options every factory takes. `dtype` defaults to float32 (int64 for integer ranges), `device` to 'cpu'. */
export interface TensorOptions {
  dtype?: DType;
  device?: string;
  requiresGrad?: boolean;
}

function factoryKwargs(options: TensorOptions, defaultDtype?: DType): Record<string, unknown> {
  const dtype = options.dtype ?? defaultDtype;
  return { dtype: dtype === undefined ? undefined : dtypeCode(dtype), device: options.device };
}

function finish(t: Tensor, options: TensorOptions): Tensor {
  if (options.requiresGrad) t.requiresGrad_(true);
  return t;
}

export function zeros(shape: number[], options: TensorOptions = {}): Tensor {
  return finish(aten('zeros', [shape], factoryKwargs(options, 'float32')), options);
}

export function ones(shape: number[], options: TensorOptions = {}): Tensor {
  return finish(aten('ones', [shape], factoryKwargs(options, 'float32')), options);
}

export function full(shape: number[], value: number | boolean, options: TensorOptions = {}): Tensor {
  return finish(aten('full', [shape, value], factoryKwargs(options, 'float32')), options);
}

export function empty(shape: number[], options: TensorOptions = {}): Tensor {
  return finish(aten('empty.memory_format', [shape], factoryKwargs(options, 'float32')), options);
}

export function zerosLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return finish(aten('zeros_like', [t], factoryKwargs(options)), options);
}

export function onesLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return finish(aten('ones_like', [t], factoryKwargs(options)), options);
}

export function fullLike(t: Tensor, value: number | boolean, options: TensorOptions = {}): Tensor {
  return finish(aten('full_like', [t, value], factoryKwargs(options)), options);
}

export function emptyLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return finish(aten('empty_like', [t], factoryKwargs(options)), options);
}

/**
 * `arange(end)` or `arange(start, end, step)`. Integer arguments give int64, as in PyTorch, unless a dtype is given.
 * @example arange(0, 10, 2) // [0, 2, 4, 6, 8] int64
 */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  const [s, e] = end === undefined ? [0, start] : [start, end];
  const integral = Number.isInteger(s) && Number.isInteger(e) && Number.isInteger(step);
  return finish(aten('arange.start_step', [s, e, step], factoryKwargs(options, integral ? 'int64' : 'float32')), options);
}

export function linspace(start: number, end: number, steps: number, options: TensorOptions = {}): Tensor {
  return finish(aten('linspace', [start, end, steps], factoryKwargs(options, 'float32')), options);
}

export function eye(n: number, m?: number, options: TensorOptions = {}): Tensor {
  return finish(aten('eye.m', [n, m ?? n], factoryKwargs(options, 'float32')), options);
}

/** Uniform on [0, 1). Seeded by `manualSeed`. */
export function rand(shape: number[], options: TensorOptions = {}): Tensor {
  return finish(aten('rand', [shape], factoryKwargs(options, 'float32')), options);
}

/** Standard normal. */
export function randn(shape: number[], options: TensorOptions = {}): Tensor {
  return finish(aten('randn', [shape], factoryKwargs(options, 'float32')), options);
}

/** Integers uniform in [low, high). */
export function randint(low: number, high: number, shape: number[], options: TensorOptions = {}): Tensor {
  return finish(aten('randint.low', [low, high, shape], factoryKwargs(options, 'int64')), options);
}

/** A random permutation of 0..n-1. */
export function randperm(n: number, options: TensorOptions = {}): Tensor {
  return finish(aten('randperm', [n], factoryKwargs(options, 'int64')), options);
}

/** A 0-d tensor. */
export function scalarTensor(value: number | boolean, options: TensorOptions = {}): Tensor {
  return finish(aten('scalar_tensor', [value], factoryKwargs(options, typeof value === 'boolean' ? 'bool' : 'float32')), options);
}

/**
 * A tensor copied from a typed array (dtype from the array type; Uint16Array is float16 bits) with the given shape
 * (default: 1-D).
 * @example fromTypedArray(new Uint8Array(rgb), [h, w, 3])
 */
export function fromTypedArray(data: TypedArray, shape?: number[], options: TensorOptions = {}): Tensor {
  const dtype = dtypeOfTypedArray(data);
  const t = track(new Tensor(native.fromBuffer(data, dtypeCode(dtype), shape ?? [data.length])));
  return castAndPlace(t, dtype, options);
}

/** A tensor from raw little-endian bytes of the given dtype (e.g. a safetensors payload). */
export function fromBytes(bytes: Uint8Array, dtype: DType, shape: number[]): Tensor {
  const expected = shape.reduce((a, b) => a * b, 1) * elementSize(dtype);
  if (bytes.byteLength !== expected) {
    throw new RangeError(`fromBytes: ${bytes.byteLength} bytes for shape [${shape}] of ${dtype} (needs ${expected})`);
  }
  return track(new Tensor(native.fromBuffer(bytes, dtypeCode(dtype), shape)));
}

/** The raw little-endian bytes of a tensor (a contiguous CPU copy). */
export function toBytes(t: Tensor): Uint8Array {
  return new Uint8Array(native.toBuffer(t.handle));
}

/** Nested JS numbers (or booleans) of rectangular shape. */
export type NestedArray = number | boolean | NestedArray[];

/**
 * `tensor([[1, 2], [3, 4]])` like torch.tensor: infers the shape; dtype float32 unless given (or bool for booleans).
 * Typed arrays are accepted too.
 */
export function tensor(data: NestedArray | TypedArray, options: TensorOptions & { shape?: number[] } = {}): Tensor {
  if (ArrayBuffer.isView(data)) return fromTypedArray(data as TypedArray, options.shape, options);
  const shape: number[] = [];
  for (let level: NestedArray = data; Array.isArray(level); level = level[0]!) {
    shape.push(level.length);
    if (level.length === 0) break;
  }
  const flat: (number | boolean)[] = [];
  const collect = (v: NestedArray): void => {
    if (Array.isArray(v)) for (const item of v) collect(item);
    else flat.push(v);
  };
  collect(data);
  const expected = shape.reduce((a, b) => a * b, 1);
  if (flat.length !== expected)
    throw new RangeError(`tensor(): nested arrays are not rectangular (shape [${shape}] needs ${expected} values, got ${flat.length})`);
  const isBool = flat.length > 0 && typeof flat[0] === 'boolean';
  const dtype = options.dtype ?? (isBool ? 'bool' : 'float32');
  const source = isBool ? Uint8Array.from(flat, Number) : Float64Array.from(flat as number[]);
  const t = track(new Tensor(native.fromBuffer(source, dtypeCode(isBool ? 'bool' : 'float64'), options.shape ?? shape)));
  return castAndPlace(t, isBool ? 'bool' : 'float64', { ...options, dtype });
}

function castAndPlace(t: Tensor, current: DType, options: TensorOptions): Tensor {
  let out = t;
  if ((options.dtype !== undefined && options.dtype !== current) || (options.device !== undefined && options.device !== 'cpu')) {
    out = t.to({ dtype: options.dtype, device: options.device });
    t.dispose();
  }
  return finish(out, options);
}
