// YOLO11's attention blocks as ONNX (C2PSA, PSABlock, Attention): their forward written with MatMul / Softmax. C3k2
// and C3k need nothing of their own: they are a C2f and a C3, whose emitters they inherit.
import { Attention, C2PSA, PSABlock } from '../../nn/modules/block-yolo11.js';
import { one, registerOnnxEmitter } from './emitters.js';
import { attr } from './graph.js';

registerOnnxEmitter(Attention, (ctx, m, x) => {
  const g = ctx.graph;
  const input = one(x);
  // (B, C, H, W) of the input, for reshaping back; read from the graph, so dynamic exports keep working.
  const shape = g.op('Shape', [input]);
  const qkv = g.op('Reshape', [one(ctx.emit(m.qkv, input, 'qkv')), g.int64s([0, m.numHeads, m.keyDim * 2 + m.headDim, -1])]);
  const [q, k, v] = g.split(qkv, [m.keyDim, m.keyDim, m.headDim], 2) as [string, string, string];
  const swapLast = { perm: attr.ints([0, 1, 3, 2]) };
  const scores = g.op('Mul', [g.op('MatMul', [g.op('Transpose', [q], swapLast), k]), g.floats([m.scale], [])]);
  // Softmax over the last axis: the same in every opset (before 13 it flattened from `axis` on).
  const attn = g.op('Softmax', [scores], { axis: attr.int(3) });
  const attended = g.op('Reshape', [g.op('MatMul', [v, g.op('Transpose', [attn], swapLast)]), shape]);
  const positional = one(ctx.emit(m.pe, g.op('Reshape', [v, shape]), 'pe'));
  return ctx.emit(m.proj, g.op('Add', [attended, positional]), 'proj');
});

registerOnnxEmitter(PSABlock, (ctx, m, x) => {
  const g = ctx.graph;
  const attn = one(ctx.emit(m.attn, x, 'attn'));
  const a = m.add ? g.op('Add', [one(x), attn]) : attn;
  const ffn = one(ctx.emit(m.ffn, a, 'ffn'));
  return m.add ? g.op('Add', [a, ffn]) : ffn;
});

registerOnnxEmitter(C2PSA, (ctx, m, x) => {
  const g = ctx.graph;
  const [a, b] = g.split(one(ctx.emit(m.cv1, x, 'cv1')), [m.c, m.c], 1) as [string, string];
  return ctx.emit(m.cv2, g.op('Concat', [a, one(ctx.emit(m.m, b, 'm'))], { axis: attr.int(1) }), 'cv2');
});
