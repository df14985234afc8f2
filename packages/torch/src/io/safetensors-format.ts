/**
 * The safetensors container on raw bytes: an 8-byte little-endian header length N, N bytes of JSON
 * `{"__metadata__": {str: str}, name: {dtype, shape, data_offsets: [start, end]}}` padded with spaces to a multiple of
 * 8, then the little-endian tensor data, C order, with no gaps. Byte-compatible with huggingface/safetensors.
 */
import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type DType, elementSize } from '../dtype.js';

/** A tensor as bytes: little-endian, C-contiguous, `data.byteLength === numel(shape) * elementSize(dtype)`. */
export interface RawTensor {
  dtype: DType;
  shape: number[];
  data: Uint8Array;
}

/** What a safetensors file holds. */
export interface SafetensorsContents {
  tensors: Map<string, RawTensor>;
  metadata: Record<string, string>;
}

const SAFETENSORS_NAME: Readonly<Record<DType, string>> = {
  float64: 'F64',
  int64: 'I64',
  float32: 'F32',
  int32: 'I32',
  float16: 'F16',
  bfloat16: 'BF16',
  int16: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};

const DTYPE_OF_NAME: ReadonlyMap<string, DType> = new Map(
  (Object.entries(SAFETENSORS_NAME) as [DType, string][]).map(([dtype, name]) => [name, dtype]),
);

/**
 * Rank of each dtype in the Rust library's `Dtype` enum (declaration order, which its derived `Ord` follows). The writer
 * lays tensors out by descending rank, then by name, so that every tensor starts aligned to its element size.
 */
const RUST_DTYPE_RANK: Readonly<Record<DType, number>> = {
  bool: 0,
  uint8: 1,
  int8: 2,
  int16: 5,
  float16: 7,
  bfloat16: 8,
  int32: 9,
  float32: 11,
  float64: 12,
  int64: 13,
};

/** The Rust library refuses headers above this size (a corrupt length would otherwise allocate gigabytes). */
const MAX_HEADER_BYTES = 100_000_000;

/**
 * Number of elements of a shape (1 for a scalar `[]`).
 * @example numelOf([2, 3]) // 6
 */
export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

interface HeaderEntry {
  name: string;
  dtype: DType;
  shape: number[];
  start: number;
  end: number;
}

/**
 * Parses a whole safetensors file held in memory. Tensor data are views into `bytes` (no copy).
 * @example
 * const { tensors, metadata } = parseSafetensors(readFileSync('model.safetensors'));
 * tensors.get('model.0.conv.weight')?.shape; // [16, 3, 3, 3]
 */
export function parseSafetensors(input: Uint8Array, source = 'safetensors buffer'): SafetensorsContents {
  // A plain view: Node's Buffer overrides slice() to return a view, and callers' copies must not alias the file.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const headerLength = readHeaderLength(bytes, source);
  if (8 + headerLength > bytes.byteLength) {
    throw new Error(`${source}: header length ${headerLength} runs past the end of the file (${bytes.byteLength} bytes)`);
  }
  const { entries, metadata, dataLength } = parseHeader(bytes.subarray(8, 8 + headerLength), source);
  const dataStart = 8 + headerLength;
  if (dataStart + dataLength !== bytes.byteLength) {
    throw new Error(
      `${source}: tensors cover ${dataLength} data bytes but the file holds ${bytes.byteLength - dataStart} after the header` +
        (dataStart + dataLength > bytes.byteLength ? ' (truncated file?)' : ''),
    );
  }
  const tensors = new Map<string, RawTensor>();
  for (const e of entries) {
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: bytes.subarray(dataStart + e.start, dataStart + e.end) });
  }
  return { tensors, metadata };
}

function readHeaderLength(bytes: Uint8Array, source: string): number {
  if (bytes.byteLength < 8) throw new Error(`${source}: ${bytes.byteLength} bytes is too short for a safetensors file`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw new Error(`${source}: header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  return Number(n);
}

/** Parses and validates the JSON header; entries come back in data order, `dataLength` is where the last one ends. */
function parseHeader(
  headerBytes: Uint8Array,
  source: string,
): { entries: HeaderEntry[]; metadata: Record<string, string>; dataLength: number } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new Error(`${source}: header is not valid UTF-8`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: header is not valid JSON (${(err as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new Error(`${source}: header must be a JSON object`);
  }
  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, info] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (info === null || typeof info !== 'object' || Array.isArray(info)) {
        throw new Error(`${source}: __metadata__ must be an object of strings`);
      }
      for (const [key, value] of Object.entries(info)) {
        if (typeof value !== 'string') throw new Error(`${source}: __metadata__ value of "${key}" is not a string`);
        metadata[key] = value;
      }
      continue;
    }
    entries.push(parseEntry(name, info, source));
  }
  entries.sort((a, b) => a.start - b.start || a.end - b.end);
  let expectedStart = 0;
  for (const e of entries) {
    if (e.start !== expectedStart) {
      const problem = e.start < expectedStart ? 'overlaps the previous tensor' : `leaves a gap after byte ${expectedStart}`;
      throw new Error(`${source}: tensor "${e.name}" data_offsets [${e.start}, ${e.end}] ${problem}`);
    }
    const expectedBytes = numelOf(e.shape) * elementSize(e.dtype);
    if (e.end - e.start !== expectedBytes) {
      throw new Error(
        `${source}: tensor "${e.name}" spans ${e.end - e.start} bytes but shape [${e.shape}] of ${SAFETENSORS_NAME[e.dtype]} needs ${expectedBytes}`,
      );
    }
    expectedStart = e.end;
  }
  return { entries, metadata, dataLength: expectedStart };
}

function parseEntry(name: string, info: unknown, source: string): HeaderEntry {
  const where = `${source}: tensor "${name}"`;
  if (info === null || typeof info !== 'object' || Array.isArray(info))
    throw new Error(`${where} has no {dtype, shape, data_offsets} entry`);
  const { dtype: dtypeName, shape, data_offsets: offsets } = info as Record<string, unknown>;
  const dtype = typeof dtypeName === 'string' ? DTYPE_OF_NAME.get(dtypeName) : undefined;
  if (dtype === undefined) {
    throw new Error(`${where} has unsupported dtype ${JSON.stringify(dtypeName)} (known: ${[...DTYPE_OF_NAME.keys()].join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger))
    throw new Error(`${where} has an invalid shape ${JSON.stringify(shape)}`);
  const [start, end] = Array.isArray(offsets) && offsets.length === 2 && offsets.every(isNonNegativeInteger) ? offsets : [];
  if (start === undefined || end === undefined || end < start) {
    throw new Error(`${where} has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  return { name, dtype, shape: [...shape], start, end };
}

function isNonNegativeInteger(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/** The header bytes (length prefix included) and the tensors in the order their data follow it. */
interface PreparedFile {
  header: Uint8Array;
  ordered: RawTensor[];
  dataLength: number;
}

function prepare(tensors: Iterable<[string, RawTensor]>, metadata: Record<string, string> | undefined): PreparedFile {
  const items = [...tensors];
  const seen = new Set<string>();
  for (const [name, t] of items) {
    if (seen.has(name)) throw new Error(`safetensors: tensor name "${name}" given twice`);
    seen.add(name);
    if (name === '__metadata__') throw new Error('safetensors: "__metadata__" is reserved and cannot name a tensor');
    if (!(t.dtype in SAFETENSORS_NAME)) throw new Error(`safetensors: tensor "${name}" has unsupported dtype ${JSON.stringify(t.dtype)}`);
    if (!t.shape.every(isNonNegativeInteger)) throw new Error(`safetensors: tensor "${name}" has an invalid shape [${t.shape}]`);
    const expectedBytes = numelOf(t.shape) * elementSize(t.dtype);
    if (t.data.byteLength !== expectedBytes) {
      throw new Error(
        `safetensors: tensor "${name}" holds ${t.data.byteLength} bytes but shape [${t.shape}] of ${t.dtype} needs ${expectedBytes}`,
      );
    }
  }
  // Rust's `str::cmp` orders by UTF-8 bytes; comparing code points gives the same order (UTF-16 units would not).
  items.sort(([an, a], [bn, b]) => RUST_DTYPE_RANK[b.dtype] - RUST_DTYPE_RANK[a.dtype] || compareCodePoints(an, bn));

  // Built by hand rather than from an object so that names like "0" keep their place (JS objects list integer keys first).
  const parts: string[] = [];
  if (metadata !== undefined) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') throw new Error(`safetensors: metadata value of "${key}" is not a string`);
    }
    parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  for (const [name, t] of items) {
    const end = offset + t.data.byteLength;
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"${SAFETENSORS_NAME[t.dtype]}","shape":${JSON.stringify(t.shape)},"data_offsets":[${offset},${end}]}`,
    );
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const header = new Uint8Array(8 + padded).fill(0x20);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(json, 8);
  return { header, ordered: items.map(([, t]) => t), dataLength: offset };
}

function compareCodePoints(a: string, b: string): number {
  const ai = a[Symbol.iterator]();
  const bi = b[Symbol.iterator]();
  for (;;) {
    const x = ai.next();
    const y = bi.next();
    if (x.done || y.done) return (x.done ? 0 : 1) - (y.done ? 0 : 1);
    const d = (x.value.codePointAt(0) ?? 0) - (y.value.codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
}

/**
 * Serialises tensors into the exact bytes huggingface/safetensors writes for them (same header JSON, same order).
 * `metadata` undefined writes no `__metadata__` entry; `{}` writes an empty one, as the reference does.
 * @example
 * const bytes = serializeSafetensors([['w', { dtype: 'float32', shape: [2], data: new Uint8Array(8) }]], { format: 'pt' });
 */
export function serializeSafetensors(tensors: Iterable<[string, RawTensor]>, metadata?: Record<string, string>): Uint8Array {
  const { header, ordered, dataLength } = prepare(tensors, metadata);
  const out = new Uint8Array(header.byteLength + dataLength);
  out.set(header, 0);
  let at = header.byteLength;
  for (const t of ordered) {
    out.set(t.data, at);
    at += t.data.byteLength;
  }
  return out;
}

/**
 * Reads a safetensors file: the header is read and validated first, so a corrupt or truncated file fails before its
 * data are loaded. Tensor data are views into one buffer that starts 8-byte aligned.
 * @example
 * const { tensors } = readSafetensorsFile('weights/last.safetensors');
 */
export function readSafetensorsFile(path: string): SafetensorsContents {
  const fd = openSync(path, 'r');
  try {
    const { prefix, headerBytes, dataLength, fileSize } = readHeader(fd, path);
    const headerLength = headerBytes.byteLength;
    if (8 + headerLength + dataLength !== fileSize) {
      throw new Error(
        `${path}: tensors cover ${dataLength} data bytes but the file holds ${fileSize - 8 - headerLength} after the header` +
          (8 + headerLength + dataLength > fileSize ? ' (truncated file?)' : ''),
      );
    }
    const whole = new Uint8Array(fileSize);
    whole.set(prefix, 0);
    whole.set(headerBytes, 8);
    readExactly(fd, whole.subarray(8 + headerLength), 8 + headerLength, path);
    return parseSafetensors(whole, path);
  } finally {
    closeSync(fd);
  }
}

/**
 * The string metadata of a safetensors file, from its validated header alone: no tensor data is read.
 * @example readSafetensorsMetadata('weights/best.safetensors').yolots
 */
export function readSafetensorsMetadata(path: string): Record<string, string> {
  const fd = openSync(path, 'r');
  try {
    return readHeader(fd, path).metadata;
  } finally {
    closeSync(fd);
  }
}

/** Reads and validates the length prefix and JSON header of an open safetensors file. */
function readHeader(
  fd: number,
  path: string,
): { prefix: Uint8Array; headerBytes: Uint8Array; metadata: Record<string, string>; dataLength: number; fileSize: number } {
  const fileSize = fstatSync(fd).size;
  const prefix = new Uint8Array(8);
  readExactly(fd, prefix, 0, path);
  const headerLength = readHeaderLength(prefix, path);
  if (8 + headerLength > fileSize) {
    throw new Error(`${path}: header length ${headerLength} runs past the end of the file (${fileSize} bytes)`);
  }
  const headerBytes = new Uint8Array(headerLength);
  readExactly(fd, headerBytes, 8, path);
  const { metadata, dataLength } = parseHeader(headerBytes, path);
  return { prefix, headerBytes, metadata, dataLength, fileSize };
}

function readExactly(fd: number, into: Uint8Array, position: number, path: string): void {
  let done = 0;
  while (done < into.byteLength) {
    const n = readSync(fd, into, done, into.byteLength - done, position + done);
    if (n === 0) throw new Error(`${path}: unexpected end of file at byte ${position + done}`);
    done += n;
  }
}

/**
 * Writes a safetensors file atomically: the bytes go to a temporary file in the same directory, which is fsynced and
 * then renamed over `path`, so a process killed mid-write leaves either the old file or the new one, never a torn one.
 * @example
 * writeSafetensorsFile('weights/last.safetensors', stateDict, { epoch: '3' });
 */
export function writeSafetensorsFile(path: string, tensors: Iterable<[string, RawTensor]>, metadata?: Record<string, string>): void {
  const { header, ordered } = prepare(tensors, metadata);
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, 'wx');
  try {
    writeAll(fd, header);
    for (const t of ordered) writeAll(fd, t.data);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  syncDirectory(dir);
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.byteLength) done += writeSync(fd, bytes, done, bytes.byteLength - done);
}

/** Makes the rename itself durable; some filesystems refuse fsync on a directory, in which case there is nothing more to do. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Directory fsync is unsupported here (e.g. some network filesystems); the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
