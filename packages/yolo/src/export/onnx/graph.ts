// An ONNX graph under construction: nodes named after the module path that emitted them (as torch.onnx names
// them, '/model.2/cv1/conv/Conv'), initializers from tensors or constants, and the operators whose signature
// changed between opsets (Unsqueeze, Split) written for the target opset.

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import {
  type AttributeProto,
  AttributeType,
  DataType,
  type DataTypeCode,
  type NodeProto,
  type TensorProto,
} from '../../utils/onnx/schema.js';

/** An attribute value, tagged with its ONNX type (JS numbers cannot tell 1 from 1.0). */
export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'float'; value: number }
  | { kind: 'floats'; value: number[] }
  | { kind: 'string'; value: string };

export const attr = {
  int: (value: number): Attr => ({ kind: 'int', value }),
  ints: (value: number[]): Attr => ({ kind: 'ints', value }),
  float: (value: number): Attr => ({ kind: 'float', value }),
  floats: (value: number[]): Attr => ({ kind: 'floats', value }),
  string: (value: string): Attr => ({ kind: 'string', value }),
};

function attributeProto(name: string, a: Attr): AttributeProto {
  switch (a.kind) {
    case 'int':
      return { name, type: AttributeType.INT, i: a.value };
    case 'ints':
      return { name, type: AttributeType.INTS, ints: a.value };
    case 'float':
      return { name, type: AttributeType.FLOAT, f: a.value };
    case 'floats':
      return { name, type: AttributeType.FLOATS, floats: a.value };
    case 'string':
      return { name, type: AttributeType.STRING, s: new TextEncoder().encode(a.value) };
  }
}

/** Little-endian bytes of a typed array (every platform Node runs yolots on is little-endian). */
function bytesOf(data: Float32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

/**
 * Builds the nodes and initializers of one graph for opset `opset`.
 *
 * @example
 * const g = new OnnxGraph(17);
 * const y = g.scoped('model.0', () => g.op('Sigmoid', ['images']));
 */
export class OnnxGraph {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly scope: string[] = [];
  private readonly usedNames = new Set<string>();
  private readonly constants = new Map<string, string>();

  constructor(readonly opset: number) {}

  /** Runs `fn` with `name` appended to the node-name scope ('model.2' then 'cv1' → '/model.2/cv1/…'). */
  scoped<T>(name: string, fn: () => T): T {
    this.scope.push(name);
    try {
      return fn();
    } finally {
      this.scope.pop();
    }
  }

  /** The module path being emitted, for messages ('model.2.cv1'). */
  get scopePath(): string {
    return this.scope.join('.');
  }

  /** Gives the tensor `from` the name `to` (the graph's output takes its final name: 'output0'). */
  rename(from: string, to: string): void {
    if (this.usedNames.has(to)) throw new Error(`ONNX export: the name '${to}' is already used in the graph`);
    for (const node of this.nodes) {
      node.input = node.input.map((n) => (n === from ? to : n));
      node.output = node.output.map((n) => (n === from ? to : n));
    }
    this.usedNames.add(to);
  }

  private uniqueName(base: string): string {
    let name = base;
    for (let k = 1; this.usedNames.has(name); k++) name = `${base}_${k}`;
    this.usedNames.add(name);
    return name;
  }

  /** Adds a node of `opType`; returns its `outputs` output names. */
  node(opType: string, inputs: string[], attrs: Record<string, Attr> = {}, outputs = 1): string[] {
    const name = this.uniqueName(`/${[...this.scope, opType].join('/')}`);
    const outputNames = Array.from({ length: outputs }, (_, k) => `${name}_output_${k}`);
    const attribute = Object.entries(attrs).map(([key, value]) => attributeProto(key, value));
    this.nodes.push({ name, op_type: opType, input: [...inputs], output: [...outputNames], attribute });
    return outputNames;
  }

  /** Adds a single-output node; returns the output name. */
  op(opType: string, inputs: string[], attrs: Record<string, Attr> = {}): string {
    return this.node(opType, inputs, attrs, 1)[0]!;
  }

  /** Stores `tensor` (copied as float32 from any device) as an initializer named after the current scope. */
  weight(name: string, tensor: Tensor): string {
    const data = torch.tidy(() => tensor.detach().to({ dtype: 'float32', device: 'cpu' }).contiguous().toTypedArray()) as Float32Array;
    return this.initializer(`${[...this.scope, name].join('.')}`, DataType.FLOAT, [...tensor.shape], bytesOf(data));
  }

  /** A float32 constant (shared between nodes that need the same values). */
  floats(values: number[], dims: number[] = [values.length]): string {
    return this.constant('float', values, dims, () => bytesOf(Float32Array.from(values)), DataType.FLOAT);
  }

  /** An int64 constant (shapes, axes, indices). */
  int64s(values: number[], dims: number[] = [values.length]): string {
    return this.constant('int64', values, dims, () => bytesOf(BigInt64Array.from(values, (v) => BigInt(v))), DataType.INT64);
  }

  private constant(kind: string, values: number[], dims: number[], bytes: () => Uint8Array, type: DataTypeCode): string {
    const key = `${kind}:${dims.join('x')}:${values.join(',')}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.initializer(`const_${kind}_${this.constants.size}`, type, dims, bytes());
      this.constants.set(key, name);
    }
    return name;
  }

  private initializer(base: string, dataType: DataTypeCode, dims: number[], raw: Uint8Array): string {
    const name = this.uniqueName(base);
    this.initializers.push({ name, dims, data_type: dataType, raw_data: raw });
    return name;
  }

  // ---- operators whose signature depends on the opset ----------------------------------------

  /** Unsqueeze: `axes` is an attribute before opset 13 and an input from 13. */
  unsqueeze(x: string, axes: number[]): string {
    return this.opset >= 13 ? this.op('Unsqueeze', [x, this.int64s(axes)]) : this.op('Unsqueeze', [x], { axes: attr.ints(axes) });
  }

  /** Split along `axis` into pieces of `sizes`: `split` is an attribute before opset 13 and an input from 13. */
  split(x: string, sizes: number[], axis: number): string[] {
    if (this.opset >= 13) return this.node('Split', [x, this.int64s(sizes)], { axis: attr.int(axis) }, sizes.length);
    return this.node('Split', [x], { axis: attr.int(axis), split: attr.ints(sizes) }, sizes.length);
  }
}
