// State dicts to and from safetensors files, as tensors.
import { fromBytes, toBytes } from '../creation.js';
import type { Tensor } from '../tensor.js';
import { parseSafetensors, type RawTensor, readSafetensorsFile, serializeSafetensors, writeSafetensorsFile } from './safetensors-format.js';

/** Named tensors and string metadata, as a safetensors file holds them. */
export interface LoadedSafetensors {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

function toTensors(raw: Map<string, RawTensor>): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, t] of raw) out.set(name, fromBytes(t.data, t.dtype, t.shape));
  return out;
}

function toRaw(tensors: Map<string, Tensor> | Record<string, Tensor>): [string, RawTensor][] {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  return entries.map(([name, t]) => [name, { dtype: t.dtype, shape: t.shape, data: toBytes(t) }]);
}

/**
 * Reads a safetensors file into new CPU tensors (owned by the current scope, or by the caller outside one).
 * @example
 * const { tensors, metadata } = loadSafetensors('weights/best.safetensors');
 * model.loadStateDict(tensors);
 */
export function loadSafetensors(path: string): LoadedSafetensors {
  const { tensors, metadata } = readSafetensorsFile(path);
  return { tensors: toTensors(tensors), metadata };
}

/** As `loadSafetensors`, from bytes in memory. */
export function parseSafetensorsTensors(bytes: Uint8Array): LoadedSafetensors {
  const { tensors, metadata } = parseSafetensors(bytes);
  return { tensors: toTensors(tensors), metadata };
}

/**
 * Writes tensors (e.g. `model.stateDict()`) and string metadata to a safetensors file, atomically
 * (temporary file + rename: a killed process never leaves a torn file).
 * @example saveSafetensors('weights/last.safetensors', model.stateDict(), { epoch: '3' });
 */
export function saveSafetensors(
  path: string,
  tensors: Map<string, Tensor> | Record<string, Tensor>,
  metadata?: Record<string, string>,
): void {
  writeSafetensorsFile(path, toRaw(tensors), metadata);
}

/** The bytes of a safetensors file holding these tensors. */
export function serializeSafetensorsTensors(
  tensors: Map<string, Tensor> | Record<string, Tensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  return serializeSafetensors(toRaw(tensors), metadata);
}
