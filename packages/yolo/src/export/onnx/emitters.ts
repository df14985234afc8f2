// How each module type writes itself as ONNX nodes: the ONNX counterpart of its forward(). Convolutions are
// emitted fused (BatchNorm folded with the same fuseConvAndBn a model.fuse() uses), so exporting never changes
// the model. Subclasses use their parent's emitter (DWConv → Conv, C3x → C3) unless they register their own.

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { fuseConvAndBn, fuseDeconvAndBn } from '../../nn/fuse.js';
import { GELU, Hardswish, LeakyReLU, ReLU, ReLU6, Sigmoid, SiLU, Tanh } from '../../nn/modules/activation.js';
import { Bottleneck, C1, C2, C2f, C3, SPP, SPPF } from '../../nn/modules/block.js';
import { Concat, Conv, ConvTranspose, Focus } from '../../nn/modules/conv.js';
import { ConvTranspose2d } from '../../nn/modules/layers.js';
import { type Attr, attr, type OnnxGraph } from './graph.js';

const { nn } = torch;

type AnyModule = torch.nn.Module<any, any>;

/** A value flowing between modules: one tensor name, or a list (Concat's and Detect's inputs). */
export type Value = string | string[];

/** What an emitter can use: the graph, the export options, and `emit` for its child modules. */
export interface EmitContext {
  graph: OnnxGraph;
  /**
   * (h, w) of each detection-head input map at the export size, from the dry run; null for a dynamic export,
   * where the head computes its anchors from the maps' shapes in the graph.
   */
  featureSizes: [number, number][] | null;
  /** Anchors at the export size (from the dry run): an end-to-end head's top-k count is min(max_det, anchors). */
  anchors?: number;
  /** Emits `module` (a child, named `name` in the node scope) on `input`. */
  emit(module: AnyModule, input: Value, name: string): Value;
}

/** Writes `module`'s forward on `input` as nodes of `ctx.graph`; returns the output name(s). */
export type Emitter<M extends AnyModule = AnyModule> = (ctx: EmitContext, module: M, input: Value) => Value;

const emitters = new Map<abstract new (...args: any[]) => AnyModule, Emitter<any>>();

/**
 * Teaches the ONNX exporter a module class (e.g. one added to model YAMLs with registerModule).
 *
 * @example
 * registerOnnxEmitter(MyScale, (ctx, m, x) => ctx.graph.op('Mul', [one(x), ctx.graph.floats([m.factor], [])]));
 */
export function registerOnnxEmitter<M extends AnyModule>(cls: abstract new (...args: any[]) => M, emitter: Emitter<M>): void {
  emitters.set(cls, emitter as Emitter<any>);
}

/** The emitter of `module`'s class or of its nearest registered ancestor. */
export function emitterFor(module: AnyModule, where: string): Emitter {
  for (let proto = Object.getPrototypeOf(module); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const emitter = emitters.get(proto.constructor);
    if (emitter) return emitter;
  }
  throw new Error(
    `ONNX export: ${where} is a ${module.constructor.name}, which has no ONNX emitter. ` +
      `Register one with registerOnnxEmitter(${module.constructor.name}, (ctx, module, input) => outputName).`,
  );
}

/** The single tensor name of `value` (an Error when a module got a list where it expects one tensor). */
export function one(value: Value): string {
  if (typeof value !== 'string') throw new Error(`ONNX export: expected one tensor, got a list of ${value.length}`);
  return value;
}

function many(value: Value): string[] {
  return typeof value === 'string' ? [value] : value;
}

function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

/** A Conv node from a torch Conv2d's hyper-parameters and the given (already fused) weight and bias. */
function convNode(ctx: EmitContext, x: string, conv: torch.nn.Conv2d, weight: Tensor, bias: Tensor | null): string {
  const g = ctx.graph;
  const inputs = [x, g.weight('weight', weight), ...(bias ? [g.weight('bias', bias)] : [])];
  const [ph, pw] = conv.padding;
  return g.op('Conv', inputs, {
    dilations: attr.ints(conv.dilation),
    group: attr.int(conv.groups),
    kernel_shape: attr.ints(conv.kernelSize),
    pads: attr.ints([ph, pw, ph, pw]),
    strides: attr.ints(conv.stride),
  });
}

function convTransposeNode(ctx: EmitContext, x: string, deconv: ConvTranspose2d): string {
  const g = ctx.graph;
  const inputs = [x, g.weight('weight', deconv.weight), ...(deconv.bias ? [g.weight('bias', deconv.bias)] : [])];
  const [ph, pw] = deconv.padding;
  return g.op('ConvTranspose', inputs, {
    dilations: attr.ints(deconv.dilation),
    group: attr.int(deconv.groups),
    kernel_shape: attr.ints(deconv.kernelSize),
    output_padding: attr.ints(deconv.outputPadding),
    pads: attr.ints([ph, pw, ph, pw]),
    strides: attr.ints(deconv.stride),
  });
}

function concat(ctx: EmitContext, inputs: string[], axis: number): string {
  return ctx.graph.op('Concat', inputs, { axis: attr.int(axis) });
}

/** Runs the emitters of `modules` in sequence, the children named by their index as in a Sequential. */
function sequence(ctx: EmitContext, modules: Iterable<AnyModule>, x: Value): Value {
  let out = x;
  let i = 0;
  for (const m of modules) out = ctx.emit(m, out, String(i++));
  return out;
}

// ---- layers -------------------------------------------------------------------------------------

registerOnnxEmitter(nn.Conv2d, (ctx, m, x) => convNode(ctx, one(x), m, m.weight, m.bias));

registerOnnxEmitter(ConvTranspose2d, (ctx, m, x) => convTransposeNode(ctx, one(x), m));

registerOnnxEmitter(nn.BatchNorm2d, (ctx, m, x) => {
  const g = ctx.graph;
  if (!m.weight || !m.bias || !m.runningMean || !m.runningVar)
    throw new Error('ONNX export: BatchNorm2d without affine parameters or running statistics is not supported');
  const inputs = [
    one(x),
    g.weight('weight', m.weight),
    g.weight('bias', m.bias),
    g.weight('running_mean', m.runningMean),
    g.weight('running_var', m.runningVar),
  ];
  return g.op('BatchNormalization', inputs, { epsilon: attr.float(m.eps) });
});

registerOnnxEmitter(nn.MaxPool2d, (ctx, m, x) => {
  const [kh, kw] = pair(m.kernelSize);
  const [sh, sw] = pair(m.stride);
  const [ph, pw] = pair(m.padding);
  return ctx.graph.op('MaxPool', [one(x)], {
    ceil_mode: attr.int(0),
    kernel_shape: attr.ints([kh, kw]),
    pads: attr.ints([ph, pw, ph, pw]),
    strides: attr.ints([sh, sw]),
  });
});

registerOnnxEmitter(nn.Upsample, (ctx, m, x) => {
  const { scaleFactor, mode = 'nearest' } = m.options;
  if (scaleFactor === undefined)
    throw new Error(`ONNX export: ${ctx.graph.scopePath} is an Upsample to a fixed size; only scale factors are supported`);
  // torch.onnx's choices: nearest → asymmetric/floor; bilinear (align_corners=False) → pytorch_half_pixel.
  const modeAttrs: Record<string, Attr> =
    mode === 'nearest'
      ? { mode: attr.string('nearest'), coordinate_transformation_mode: attr.string('asymmetric'), nearest_mode: attr.string('floor') }
      : { mode: attr.string('linear'), coordinate_transformation_mode: attr.string('pytorch_half_pixel') };
  const [sh, sw] = pair(scaleFactor);
  // roi is required before opset 13 and ignored by these modes: an empty tensor serves every opset.
  return ctx.graph.op('Resize', [one(x), ctx.graph.floats([], [0]), ctx.graph.floats([1, 1, sh, sw])], modeAttrs);
});

registerOnnxEmitter(nn.Identity, (_ctx, _m, x) => x);

registerOnnxEmitter(nn.Sequential, (ctx, m, x) => sequence(ctx, m.children(), x));

// ---- activations ------------------------------------------------------------------------------

registerOnnxEmitter(SiLU, (ctx, _m, x) => ctx.graph.op('Mul', [one(x), ctx.graph.op('Sigmoid', [one(x)])]));
registerOnnxEmitter(Sigmoid, (ctx, _m, x) => ctx.graph.op('Sigmoid', [one(x)]));
registerOnnxEmitter(Tanh, (ctx, _m, x) => ctx.graph.op('Tanh', [one(x)]));
registerOnnxEmitter(ReLU, (ctx, _m, x) => ctx.graph.op('Relu', [one(x)]));
registerOnnxEmitter(ReLU6, (ctx, _m, x) => ctx.graph.op('Clip', [one(x), ctx.graph.floats([0], []), ctx.graph.floats([6], [])]));
registerOnnxEmitter(LeakyReLU, (ctx, m, x) => ctx.graph.op('LeakyRelu', [one(x)], { alpha: attr.float(m.negativeSlope) }));
registerOnnxEmitter(Hardswish, (ctx, _m, x) => {
  const g = ctx.graph;
  // HardSwish exists from opset 14; before, x · HardSigmoid(x) with PyTorch's 1/6 slope is the same function.
  if (g.opset >= 14) return g.op('HardSwish', [one(x)]);
  return g.op('Mul', [one(x), g.op('HardSigmoid', [one(x)], { alpha: attr.float(1 / 6), beta: attr.float(0.5) })]);
});
registerOnnxEmitter(GELU, (ctx, _m, x) => {
  const g = ctx.graph;
  // The exact (erf) GELU, as torch's default; the Gelu operator only exists from opset 20.
  const erf = g.op('Erf', [g.op('Div', [one(x), g.floats([Math.SQRT2], [])])]);
  return g.op('Mul', [g.op('Mul', [one(x), g.floats([0.5], [])]), g.op('Add', [erf, g.floats([1], [])])]);
});

// ---- Ultralytics modules ----------------------------------------------------------------------

registerOnnxEmitter(Conv, (ctx, m, x) => {
  const y = ctx.graph.scoped('conv', () => {
    if (!m.bn) return convNode(ctx, one(x), m.conv, m.conv.weight, m.conv.bias);
    const fused = fuseConvAndBn(m.conv, m.bn);
    try {
      return convNode(ctx, one(x), fused, fused.weight, fused.bias);
    } finally {
      fused.dispose();
    }
  });
  return ctx.emit(m.act, y, 'act');
});

registerOnnxEmitter(ConvTranspose, (ctx, m, x) => {
  const y = ctx.graph.scoped('conv_transpose', () => {
    if (!(m.bn instanceof nn.BatchNorm2d)) return convTransposeNode(ctx, one(x), m.conv_transpose);
    const fused = fuseDeconvAndBn(m.conv_transpose, m.bn);
    try {
      return convTransposeNode(ctx, one(x), fused);
    } finally {
      fused.dispose();
    }
  });
  return ctx.emit(m.act, y, 'act');
});

registerOnnxEmitter(Concat, (ctx, m, x) => concat(ctx, many(x), m.d));

registerOnnxEmitter(Focus, (ctx, m, x) => {
  const g = ctx.graph;
  const end = Number.MAX_SAFE_INTEGER;
  const phase = (h0: number, w0: number) =>
    g.op('Slice', [one(x), g.int64s([h0, w0]), g.int64s([end, end]), g.int64s([2, 3]), g.int64s([2, 2])]);
  return ctx.emit(m.conv, concat(ctx, [phase(0, 0), phase(1, 0), phase(0, 1), phase(1, 1)], 1), 'conv');
});

registerOnnxEmitter(Bottleneck, (ctx, m, x) => {
  const y = one(ctx.emit(m.cv2, ctx.emit(m.cv1, x, 'cv1'), 'cv2'));
  return m.add ? ctx.graph.op('Add', [one(x), y]) : y;
});

registerOnnxEmitter(C1, (ctx, m, x) => {
  const y = one(ctx.emit(m.cv1, x, 'cv1'));
  return ctx.graph.op('Add', [one(ctx.emit(m.m, y, 'm')), y]);
});

registerOnnxEmitter(C2, (ctx, m, x) => {
  const [a, b] = ctx.graph.split(one(ctx.emit(m.cv1, x, 'cv1')), [m.c, m.c], 1) as [string, string];
  return ctx.emit(m.cv2, concat(ctx, [one(ctx.emit(m.m, a, 'm')), b], 1), 'cv2');
});

registerOnnxEmitter(C2f, (ctx, m, x) => {
  // Split rather than chunk, as Ultralytics' export switches C2f to forward_split.
  const y = ctx.graph.split(one(ctx.emit(m.cv1, x, 'cv1')), [m.c, m.c], 1);
  ctx.graph.scoped('m', () => {
    let i = 0;
    for (const block of m.m) y.push(one(ctx.emit(block, y[y.length - 1]!, String(i++))));
  });
  return ctx.emit(m.cv2, concat(ctx, y, 1), 'cv2');
});

registerOnnxEmitter(C3, (ctx, m, x) => {
  const a = one(ctx.emit(m.m, ctx.emit(m.cv1, x, 'cv1'), 'm'));
  return ctx.emit(m.cv3, concat(ctx, [a, one(ctx.emit(m.cv2, x, 'cv2'))], 1), 'cv3');
});

registerOnnxEmitter(SPP, (ctx, m, x) => {
  const y = one(ctx.emit(m.cv1, x, 'cv1'));
  const pooled = ctx.graph.scoped('m', () => [...m.m].map((pool, i) => one(ctx.emit(pool, y, String(i)))));
  return ctx.emit(m.cv2, concat(ctx, [y, ...pooled], 1), 'cv2');
});

registerOnnxEmitter(SPPF, (ctx, m, x) => {
  const y = [one(ctx.emit(m.cv1, x, 'cv1'))];
  for (let i = 0; i < m.n; i++) y.push(one(ctx.emit(m.m, y[y.length - 1]!, 'm')));
  const out = one(ctx.emit(m.cv2, concat(ctx, y, 1), 'cv2'));
  // YOLO26's SPPF adds its input (shortcut with c1 == c2).
  return m.add ? ctx.graph.op('Add', [out, one(x)]) : out;
});
