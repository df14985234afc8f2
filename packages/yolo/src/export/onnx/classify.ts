// The classification head as ONNX: Classify's eval forward — Conv (fused), global average pooling, flatten, the
// Linear layer as Gemm, softmax — giving (B, nc) probabilities.
import * as torch from '@yolots/torch';
import { Classify } from '../../nn/modules/classify.js';
import { type EmitContext, one, registerOnnxEmitter, type Value } from './emitters.js';
import { attr } from './graph.js';

registerOnnxEmitter(Classify, (ctx: EmitContext, m: Classify, x: Value) => {
  const g = ctx.graph;
  const input = typeof x === 'string' ? x : g.op('Concat', x, { axis: attr.int(1) });
  const features = one(ctx.emit(m.conv, input, 'conv'));
  const pooled = g.op('Flatten', [g.op('GlobalAveragePool', [features])], { axis: attr.int(1) });
  const [weight, bias] = torch.noGrad(() => [m.linear.getParameter('weight'), m.linear.getParameter('bias')]);
  if (!weight) throw new Error('ONNX export: the Classify head has no linear weight');
  const inputs = [pooled, g.weight('linear.weight', weight)];
  if (bias) inputs.push(g.weight('linear.bias', bias));
  // Dropout is the identity at inference.
  const logits = g.op('Gemm', inputs, { transB: attr.int(1) });
  return g.op('Softmax', [logits], { axis: attr.int(1) });
});
