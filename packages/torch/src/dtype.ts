// Data types and memory formats by name, and their libtorch codes (c10::ScalarType / c10::MemoryFormat).

export type DType = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

const CODES: Record<DType, number> = {
  uint8: 0,
  int8: 1,
  int16: 2,
  int32: 3,
  int64: 4,
  float16: 5,
  float32: 6,
  float64: 7,
  bool: 11,
  bfloat16: 15,
};

const NAMES = new Map<number, DType>(Object.entries(CODES).map(([name, code]) => [code, name as DType]));

export function dtypeCode(dtype: DType): number {
  const code = CODES[dtype];
  if (code === undefined) throw new TypeError(`unknown dtype '${dtype}'; expected one of ${Object.keys(CODES).join(', ')}`);
  return code;
}

export function dtypeFromCode(code: number): DType {
  const name = NAMES.get(code);
  if (name === undefined) throw new TypeError(`libtorch scalar type ${code} has no @yolots/torch dtype`);
  return name;
}

export function isFloatingPoint(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float16' || dtype === 'bfloat16' || dtype === 'float64';
}

/** Bytes per element. */
export function elementSize(dtype: DType): number {
  switch (dtype) {
    case 'float64':
    case 'int64':
      return 8;
    case 'float32':
    case 'int32':
      return 4;
    case 'float16':
    case 'bfloat16':
    case 'int16':
      return 2;
    default:
      return 1;
  }
}

export type TypedArray = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | BigInt64Array | Uint16Array;

/** The dtype a typed array holds; Uint16Array is read as float16 bits. */
export function dtypeOfTypedArray(data: TypedArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Uint16Array) return 'float16';
  throw new TypeError('unsupported typed array');
}

export type MemoryFormat = 'contiguous' | 'preserve' | 'channels_last';

export function memoryFormatCode(format: MemoryFormat): number {
  switch (format) {
    case 'contiguous':
      return 0;
    case 'preserve':
      return 1;
    case 'channels_last':
      return 2;
    default:
      throw new TypeError(`unknown memory format '${format as string}'`);
  }
}
