/**
 * Reads PyTorch `.pt` files (torch.save's zip format, torch ≥ 1.6): `<archive>/data.pkl` is a pickle whose tensors
 * point, through persistent ids, at storages stored as `<archive>/data/<key>`. Nothing in the pickle is executed.
 */
import { readFileSync } from 'node:fs';
import { type DType, elementSize } from '../dtype.js';
import { describePickled, PickleGlobal, type PickleReducer, unpickle } from './pickle.js';
import { numelOf, type RawTensor } from './safetensors-format.js';
import { ZipArchive } from './zip.js';

/** A tensor read from a `.pt` file: C-contiguous little-endian bytes, plus what torch recorded about it. */
export class PtTensor implements RawTensor {
  /** True for `torch.nn.Parameter`s (rebuilt by `_rebuild_parameter`). */
  isParameter = false;

  constructor(
    readonly dtype: DType,
    readonly shape: number[],
    readonly data: Uint8Array,
    public requiresGrad: boolean,
  ) {}
}

/** One storage of the archive: `numel` elements of `dtype`, shared by every tensor that views it. */
class PtStorage {
  constructor(
    readonly key: string,
    readonly dtype: DType,
    readonly data: Uint8Array,
  ) {}

  get numel(): number {
    return this.data.byteLength / elementSize(this.dtype);
  }
}

/** Element types of torch's typed storage classes (`torch.HalfStorage`, …); untyped storages count bytes. */
const STORAGE_DTYPES: ReadonlyMap<string, DType> = new Map([
  ['torch.DoubleStorage', 'float64'],
  ['torch.FloatStorage', 'float32'],
  ['torch.HalfStorage', 'float16'],
  ['torch.BFloat16Storage', 'bfloat16'],
  ['torch.LongStorage', 'int64'],
  ['torch.IntStorage', 'int32'],
  ['torch.ShortStorage', 'int16'],
  ['torch.CharStorage', 'int8'],
  ['torch.ByteStorage', 'uint8'],
  ['torch.BoolStorage', 'bool'],
  ['torch.UntypedStorage', 'uint8'],
  ['torch.storage.UntypedStorage', 'uint8'],
]);

const ZIP_MAGIC = [0x50, 0x4b];
const PICKLE_PROTO = 0x80;

/**
 * Loads a `.pt` file into its unpickled object graph (see `unpickle` for how Python values map); tensors become
 * `PtTensor`s, and instances of any other class inert `PickleObject`s with their state.
 * @example
 * const ckpt = loadPt('yolov8n.pt') as Map<string, unknown>;
 * ckpt.get('epoch'); // -1
 */
export function loadPt(path: string): unknown {
  return loadPtBytes(readFileSync(path), path);
}

/**
 * Same as `loadPt`, on the bytes of the file; `source` names it in errors.
 * @example
 * const ckpt = loadPtBytes(bytes, 'upload.pt');
 */
export function loadPtBytes(bytes: Uint8Array, source = '.pt data'): unknown {
  if (bytes.byteLength >= 2 && bytes[0] === PICKLE_PROTO) {
    throw new Error(
      `${source}: legacy torch.save format (torch < 1.6 or _use_new_zipfile_serialization=False) is not supported; re-save it with a newer torch`,
    );
  }
  if (bytes.byteLength < 4 || bytes[0] !== ZIP_MAGIC[0] || bytes[1] !== ZIP_MAGIC[1]) {
    throw new Error(`${source}: not a PyTorch .pt file (not a zip archive)`);
  }
  const zip = new ZipArchive(bytes, source);
  const pickleName = [...zip.entries.keys()].find((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickleName === undefined) throw new Error(`${source}: no <archive>/data.pkl in the zip (not a torch.save file)`);
  const prefix = pickleName.slice(0, -'data.pkl'.length);
  const byteOrder = zip.has(`${prefix}byteorder`) ? new TextDecoder().decode(zip.read(`${prefix}byteorder`)).trim() : 'little';
  if (byteOrder !== 'little') throw new Error(`${source}: byte order "${byteOrder}" is not supported (only little-endian)`);

  // Keyed by key and dtype: torch ≥ 2 may view one untyped storage through several dtypes.
  const storages = new Map<string, PtStorage>();
  const loadStorage = (pid: unknown): PtStorage => {
    const [kind, storageType, key, , numel] = Array.isArray(pid) ? pid : [];
    if (kind !== 'storage' || !(storageType instanceof PickleGlobal) || typeof key !== 'string') {
      throw new Error(`expected ('storage', type, key, location, numel), got ${describePickled(pid)}`);
    }
    const dtype = STORAGE_DTYPES.get(storageType.path);
    if (dtype === undefined) throw new Error(`storage type ${storageType.path} is not supported`);
    const cacheKey = `${key}:${dtype}`;
    let storage = storages.get(cacheKey);
    if (storage === undefined) {
      const name = `${prefix}data/${key}`;
      if (!zip.has(name)) throw new Error(`storage "${key}" is missing from the archive (${name})`);
      storage = new PtStorage(key, dtype, zip.read(name));
      if (typeof numel === 'number' && storage.data.byteLength !== numel * elementSize(dtype)) {
        throw new Error(`storage "${key}" holds ${storage.data.byteLength} bytes, expected ${numel} × ${dtype}`);
      }
      storages.set(cacheKey, storage);
    }
    return storage;
  };
  return unpickle(zip.read(pickleName), { source: `${source} (${pickleName})`, persistentLoad: loadStorage, reducers: TORCH_REDUCERS });
}

function integers(value: unknown, what: string): number[] {
  if (!Array.isArray(value) || !value.every((v) => Number.isSafeInteger(v) && v >= 0)) {
    throw new Error(`${what} must be a tuple of non-negative integers, got ${describePickled(value)}`);
  }
  return [...value];
}

/** `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, ...)`. */
function rebuildTensor(args: readonly unknown[], offset: number): PtTensor {
  const [storage, storageOffset, sizeArg, strideArg, requiresGrad] = args;
  const where = `tensor rebuilt at pickle offset ${offset}`;
  if (!(storage instanceof PtStorage)) throw new Error(`${where}: expected a storage, got ${describePickled(storage)}`);
  if (!Number.isSafeInteger(storageOffset) || (storageOffset as number) < 0)
    throw new Error(`${where}: invalid storage offset ${String(storageOffset)}`);
  const shape = integers(sizeArg, `${where}: size`);
  const stride = integers(strideArg, `${where}: stride`);
  if (stride.length !== shape.length) throw new Error(`${where}: size [${shape}] and stride [${stride}] differ in rank`);
  const data = tensorBytes(storage, storageOffset as number, shape, stride, where);
  return new PtTensor(storage.dtype, shape, data, requiresGrad === true);
}

/**
 * The tensor's elements in C order. A tensor that is exactly its whole storage is a view of it; one that is a
 * sub-range or strided is copied, so that every tensor owns bytes matching its shape.
 */
function tensorBytes(storage: PtStorage, start: number, shape: number[], stride: number[], where: string): Uint8Array {
  const size = elementSize(storage.dtype);
  const numel = numelOf(shape);
  if (numel === 0) return new Uint8Array(0);
  let last = start;
  for (let d = 0; d < shape.length; d++) last += (shape[d]! - 1) * stride[d]!;
  if (last >= storage.numel) {
    throw new Error(
      `${where}: size [${shape}] stride [${stride}] offset ${start} reaches element ${last} of storage "${storage.key}" (${storage.numel} elements)`,
    );
  }
  if (isContiguous(shape, stride)) {
    const bytes = storage.data.subarray(start * size, (start + numel) * size);
    return numel === storage.numel ? bytes : bytes.slice();
  }
  return gather(storage.data, size, start, shape, stride, numel);
}

function isContiguous(shape: number[], stride: number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d]!;
  }
  return true;
}

/** Copies a strided view into C order, one innermost row at a time. */
function gather(src: Uint8Array, size: number, start: number, shape: number[], stride: number[], numel: number): Uint8Array {
  const out = new Uint8Array(numel * size);
  const rank = shape.length;
  const rowLength = shape[rank - 1]!;
  const rowStride = stride[rank - 1]!;
  const index = new Array<number>(rank - 1).fill(0);
  let base = start;
  for (let o = 0; o < out.byteLength; ) {
    if (rowStride === 1) {
      out.set(src.subarray(base * size, (base + rowLength) * size), o);
      o += rowLength * size;
    } else {
      for (let j = 0; j < rowLength; j++) {
        const from = (base + j * rowStride) * size;
        for (let b = 0; b < size; b++) out[o++] = src[from + b]!;
      }
    }
    // Advance the odometer over the outer dimensions.
    for (let d = rank - 2; d >= 0; d--) {
      index[d]!++;
      base += stride[d]!;
      if (index[d]! < shape[d]!) break;
      base -= stride[d]! * shape[d]!;
      index[d] = 0;
    }
  }
  return out;
}

function asParameter(data: unknown, requiresGrad: unknown, offset: number): PtTensor {
  if (!(data instanceof PtTensor)) throw new Error(`parameter at pickle offset ${offset}: expected a tensor, got ${describePickled(data)}`);
  data.isParameter = true;
  data.requiresGrad = requiresGrad === true;
  return data;
}

const TORCH_REDUCERS: ReadonlyMap<string, PickleReducer> = new Map<string, PickleReducer>([
  ['torch._utils._rebuild_tensor_v2', rebuildTensor],
  ['torch._utils._rebuild_tensor', rebuildTensor],
  ['torch._utils._rebuild_parameter', ([data, requiresGrad], offset) => asParameter(data, requiresGrad, offset)],
  ['torch._utils._rebuild_parameter_with_state', ([data, requiresGrad], offset) => asParameter(data, requiresGrad, offset)],
  // Tensor subclasses (and tensors with Python attributes) wrap their rebuild call in this one.
  [
    'torch._tensor._rebuild_from_type_v2',
    ([func, , args], offset) => {
      const inner = func instanceof PickleGlobal ? TORCH_REDUCERS.get(func.path) : undefined;
      if (inner === undefined || !Array.isArray(args))
        throw new Error(`_rebuild_from_type_v2 at pickle offset ${offset}: cannot rebuild with ${describePickled(func)}`);
      return inner(args, offset);
    },
  ],
  ['torch.Size', ([dims]) => integers(dims, 'torch.Size')],
]);
