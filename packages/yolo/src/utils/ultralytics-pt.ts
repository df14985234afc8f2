/**
 * Reads checkpoints written by the real Ultralytics (`yolov8n.pt`, `best.pt`, …) without Python: the pickled
 * DetectionModel is walked as data to rebuild its state_dict under PyTorch's names, plus the metadata YOLO needs.
 */
import * as torch from '@yolots/torch';

type RawTensor = torch.io.RawTensor;

/** What a YOLO model needs from an Ultralytics checkpoint. */
export interface UltralyticsCheckpoint {
  /** PyTorch state_dict names and order (`model.0.conv.weight`, …); floating tensors as float32, others as saved. */
  stateDict: Map<string, RawTensor>;
  /**
   * The Python class of every module stored under a child named `act` (`model.9.cv1.act` → `torch.nn.modules.
   * activation.SiLU`): activations hold no weights, so only these say which function a rebuilt model must compute.
   */
  activations: Map<string, string>;
  /** The model's `yaml` attribute: the parsed model yaml, with `scale`, `yaml_file`, `ch` added by Ultralytics. */
  yaml: Record<string, unknown>;
  names: Record<number, string>;
  nc: number;
  stride: number[];
  /** `train_args`: the training configuration (cfg keys); null when the checkpoint has none. */
  trainArgs: Record<string, unknown> | null;
  /** -1 once training finished (Ultralytics' strip_optimizer); null when absent. */
  epoch: number | null;
  bestFitness: number | null;
  date: string | null;
  version: string | null;
}

/**
 * Loads an Ultralytics `.pt` checkpoint.
 * @example
 * const ckpt = loadUltralyticsCheckpoint('yolov8n.pt');
 * ckpt.stateDict.get('model.0.conv.weight')?.shape; // [16, 3, 3, 3]
 */
export function loadUltralyticsCheckpoint(path: string): UltralyticsCheckpoint {
  return extractUltralyticsCheckpoint(torch.io.loadPt(path), path);
}

/**
 * Pulls the weights and metadata out of an unpickled checkpoint, taking the model from `ema` when present and not
 * None, else from `model`, as Ultralytics' `attempt_load_one_weight` does.
 * @example
 * const ckpt = extractUltralyticsCheckpoint(torch.io.loadPt('best.pt'), 'best.pt');
 */
export function extractUltralyticsCheckpoint(checkpoint: unknown, source = 'checkpoint'): UltralyticsCheckpoint {
  if (!(checkpoint instanceof Map)) {
    throw new Error(
      `${source}: not an Ultralytics checkpoint (the file holds ${describeValue(checkpoint)}, expected a dict with a 'model' key)`,
    );
  }
  const ema = checkpoint.get('ema');
  const model = ema ?? checkpoint.get('model');
  if (model === undefined || model === null) throw new Error(`${source}: not an Ultralytics checkpoint (no 'model' key)`);
  const modelKey = ema ? 'ema' : 'model';
  if (!(model instanceof torch.io.PickleObject)) throw new Error(`${source}: '${modelKey}' holds ${describeValue(model)}, not a model`);
  const attributes = moduleAttributes(model, modelKey, source);

  const stateDict = new Map<string, RawTensor>();
  const activations = new Map<string, string>();
  collectStateDict(model, '', stateDict, activations, source);

  const yaml = toPlain(attributes.get('yaml'));
  if (yaml === null || typeof yaml !== 'object' || Array.isArray(yaml)) throw new Error(`${source}: the model has no 'yaml' dict`);
  const names = namesOf(attributes.get('names'), source);
  const ncValue = attributes.get('nc') ?? (yaml as Record<string, unknown>).nc ?? Object.keys(names).length;
  if (typeof ncValue !== 'number') throw new Error(`${source}: the model's nc is ${describeValue(ncValue)}, not a number`);
  const trainArgs = toPlain(checkpoint.get('train_args') ?? null);
  return {
    stateDict,
    activations,
    yaml: yaml as Record<string, unknown>,
    names,
    nc: ncValue,
    stride: strideOf(attributes.get('stride'), source),
    trainArgs: trainArgs as Record<string, unknown> | null,
    epoch: numberOrNull(checkpoint.get('epoch')),
    bestFitness: numberOrNull(checkpoint.get('best_fitness')),
    date: stringOrNull(checkpoint.get('date')),
    version: stringOrNull(checkpoint.get('version')),
  };
}

/** The pickled `__dict__` of an nn.Module. */
function moduleAttributes(module: torch.io.PickleObject, path: string, source: string): Map<unknown, unknown> {
  const state = module.state;
  if (!(state instanceof Map) || !(state.get('_parameters') instanceof Map)) {
    throw new Error(`${source}: '${path}' (${module.className}) is not a torch.nn.Module (no _parameters)`);
  }
  return state;
}

/** Parameters, then persistent buffers, then each child module in order: the order of PyTorch's `state_dict()`. */
function collectStateDict(
  module: torch.io.PickleObject,
  prefix: string,
  out: Map<string, RawTensor>,
  activations: Map<string, string>,
  source: string,
): void {
  const attributes = moduleAttributes(module, prefix.slice(0, -1) || 'model', source);
  const nonPersistent = attributes.get('_non_persistent_buffers_set');
  const skip = nonPersistent instanceof Set ? nonPersistent : new Set();
  for (const group of ['_parameters', '_buffers']) {
    const tensors = attributes.get(group);
    if (!(tensors instanceof Map)) {
      if (group === '_buffers' && tensors === undefined) continue;
      throw new Error(`${source}: ${prefix}${group} of ${module.className} is ${describeValue(tensors)}, not a dict`);
    }
    for (const [name, tensor] of tensors) {
      if (tensor === null || skip.has(name)) continue;
      if (!(tensor instanceof torch.io.PtTensor))
        throw new Error(`${source}: ${prefix}${String(name)} is ${describeValue(tensor)}, not a tensor`);
      out.set(`${prefix}${String(name)}`, isFloating(tensor.dtype) ? toFloat32(tensor) : tensor);
    }
  }
  const children = attributes.get('_modules');
  if (!(children instanceof Map)) return;
  for (const [name, child] of children) {
    if (child === null) continue;
    if (!(child instanceof torch.io.PickleObject)) throw new Error(`${source}: module ${prefix}${String(name)} is ${describeValue(child)}`);
    if (name === 'act') activations.set(`${prefix}act`, child.className);
    collectStateDict(child, `${prefix}${String(name)}.`, out, activations, source);
  }
}

function isFloating(dtype: RawTensor['dtype']): boolean {
  return dtype === 'float16' || dtype === 'bfloat16' || dtype === 'float32' || dtype === 'float64';
}

/**
 * Converts a floating tensor to float32 (as `model.float()` does when Ultralytics loads fp16 weights).
 * @example
 * toFloat32({ dtype: 'float16', shape: [1], data: new Uint8Array([0x00, 0x3c]) }).data; // bytes of 1.0f
 */
export function toFloat32(tensor: RawTensor): RawTensor {
  const { dtype, shape, data } = tensor;
  let values: Float32Array;
  switch (dtype) {
    case 'float32':
      return tensor;
    case 'float16': {
      const bits = aligned(data, 2);
      values = float16ToFloat32(new Uint16Array(bits.buffer, bits.byteOffset, data.byteLength / 2));
      break;
    }
    case 'bfloat16': {
      const bits = aligned(data, 2);
      const halves = new Uint16Array(bits.buffer, bits.byteOffset, data.byteLength / 2);
      const words = new Uint32Array(halves.length);
      for (let i = 0; i < halves.length; i++) words[i] = halves[i]! << 16;
      values = new Float32Array(words.buffer);
      break;
    }
    case 'float64': {
      const bits = aligned(data, 8);
      values = Float32Array.from(new Float64Array(bits.buffer, bits.byteOffset, data.byteLength / 8));
      break;
    }
    default:
      throw new Error(`toFloat32: ${dtype} is not a floating dtype`);
  }
  return { dtype: 'float32', shape: [...shape], data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

/** The same bytes, copied if needed so that a typed array of `alignment`-byte elements can view them. */
function aligned(data: Uint8Array, alignment: number): Uint8Array {
  return data.byteOffset % alignment === 0 ? data : new Uint8Array(data);
}

/**
 * IEEE half-precision bit patterns to float32 values, exactly (every half is representable in float32), including
 * subnormals, infinities and NaN payloads.
 * @example
 * float16ToFloat32(Uint16Array.of(0x3c00, 0xc000)); // Float32Array [1, -2]
 */
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  const words = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i]!;
    const sign = (h & 0x8000) << 16;
    const exponent = (h >> 10) & 0x1f;
    let mantissa = h & 0x3ff;
    if (exponent === 0x1f) {
      words[i] = sign | 0x7f800000 | (mantissa << 13);
    } else if (exponent !== 0) {
      words[i] = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa === 0) {
      words[i] = sign;
    } else {
      // Subnormal half: shift the leading 1 into the implicit-bit position, lowering the exponent once per shift.
      let e = 113;
      while ((mantissa & 0x400) === 0) {
        mantissa <<= 1;
        e--;
      }
      words[i] = sign | (e << 23) | ((mantissa & 0x3ff) << 13);
    }
  }
  return new Float32Array(words.buffer);
}

function namesOf(value: unknown, source: string): Record<number, string> {
  const names: Record<number, string> = {};
  const entries: [unknown, unknown][] = value instanceof Map ? [...value] : Array.isArray(value) ? value.map((name, i) => [i, name]) : [];
  if (entries.length === 0) throw new Error(`${source}: the model has no class names (names is ${describeValue(value)})`);
  for (const [index, name] of entries) {
    if (!Number.isSafeInteger(index) || typeof name !== 'string') {
      throw new Error(`${source}: class name entry ${String(index)} → ${describeValue(name)} is not index → string`);
    }
    names[index as number] = name;
  }
  return names;
}

function strideOf(value: unknown, source: string): number[] {
  if (value instanceof torch.io.PtTensor && isFloating(value.dtype)) {
    const bytes = aligned(toFloat32(value).data, 4);
    return [...new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)];
  }
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return [...value];
  throw new Error(`${source}: the model's stride is ${describeValue(value)}, expected a float tensor or a list`);
}

/** Classes that are only attribute bags; their state is what matters. */
const NAMESPACE_CLASSES = new Set(['types.SimpleNamespace', 'ultralytics.utils.IterableSimpleNamespace']);

/** Pickled dicts, tuples and sets as plain JSON-like values (dict keys become strings). Tensors and objects stay. */
function toPlain(value: unknown): unknown {
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) out[String(k)] = toPlain(v);
    return out;
  }
  if (value instanceof torch.io.PickleObject && NAMESPACE_CLASSES.has(value.className) && value.state instanceof Map)
    return toPlain(value.state);
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Set) return [...value].map(toPlain);
  return value;
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' ? value : null;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function describeValue(value: unknown): string {
  if (value === null) return 'None';
  if (value === undefined) return 'nothing';
  if (value instanceof torch.io.PickleObject) return `a ${value.className} object`;
  if (value instanceof Map) return 'a dict';
  if (value instanceof torch.io.PtTensor) return `a ${value.dtype} tensor`;
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}
