// The segmentation head as ONNX: Detect's decoded output with each anchor's mask coefficients concatenated after it
// (B, 4 + nc + nm, anchors), and the prototypes (B, nm, H/4, W/4) as a second output — Segment's export-mode forward.
import { Proto, Segment } from '../../nn/modules/segment.js';
import { emitDetect } from './detect.js';
import { type EmitContext, one, registerOnnxEmitter, type Value } from './emitters.js';
import { attr } from './graph.js';

registerOnnxEmitter(Proto, (ctx, m, x) => {
  let y = one(x);
  for (const name of ['cv1', 'upsample', 'cv2', 'cv3'] as const) y = one(ctx.emit(m[name], y, name));
  return y;
});

registerOnnxEmitter(Segment, (ctx: EmitContext, m: Segment, x: Value) => {
  const g = ctx.graph;
  const inputs = typeof x === 'string' ? [x] : x;
  const protos = one(ctx.emit(m.proto, inputs[0]!, 'proto'));
  const coefficients = inputs.map((xi, i) => {
    const map = one(g.scoped('cv4', () => ctx.emit(m.cv4.at(i), xi, String(i))));
    return g.op('Reshape', [map, g.int64s([0, m.nm, -1])]);
  });
  const mc = g.op('Concat', coefficients, { axis: attr.int(2) });
  const detections = emitDetect(ctx, m, inputs);
  return [g.op('Concat', [detections, mc], { axis: attr.int(1) }), protos];
});
