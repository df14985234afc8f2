// The detection head as ONNX: per level cat(cv2, cv3) → (B, no, H·W), the levels concatenated, DFL decoding of
// the box bins, dist2bbox against the anchor grid, scaled by the strides, and sigmoid class scores — Detect's
// export-mode forward, output (B, 4 + nc, anchors). The anchor grid is a constant for a static export and is
// computed in the graph from the feature maps' shapes for a dynamic one.
import * as torch from '@yolots/torch';
import { DFL } from '../../nn/modules/block.js';
import { Detect } from '../../nn/modules/head.js';
import { makeAnchors } from '../../utils/tal.js';
import { emitDetect84 } from './detect-e2e.js';
import { type EmitContext, one, registerOnnxEmitter, type Value } from './emitters.js';
import { attr } from './graph.js';

/** Anchor points (1, 2, A) and strides (1, A) as constants for feature maps of the given (h, w). */
export function constantAnchors(ctx: EmitContext, sizes: [number, number][], strides: number[]): [string, string] {
  const [points, strideRows] = torch.tidy(() => {
    const feats = sizes.map(([h, w]) => torch.empty([1, 1, h, w]));
    const [p, s] = makeAnchors(feats, strides, 0.5);
    return [p.transpose(0, 1).contiguous().toArray(), s.transpose(0, 1).contiguous().toArray()];
  });
  const anchorCount = strideRows.length;
  return [ctx.graph.floats(points, [1, 2, anchorCount]), ctx.graph.floats(strideRows, [1, anchorCount])];
}

/**
 * Anchor points (1, 2, A) and strides (1, A) computed from each level's (B, no, H, W) map at run time, as
 * make_anchors does: x = arange(W) + 0.5, y = arange(H) + 0.5 on an (H, W) grid, x varying fastest.
 */
export function graphAnchors(ctx: EmitContext, maps: string[], strides: number[]): [string, string] {
  const g = ctx.graph;
  const points: string[] = [];
  const strideRows: string[] = [];
  maps.forEach((map, i) => {
    g.scoped(`anchors.${i}`, () => {
      const shape = g.op('Shape', [map]);
      const h = g.op('Gather', [shape, g.int64s([2], [])], { axis: attr.int(0) });
      const w = g.op('Gather', [shape, g.int64s([3], [])], { axis: attr.int(0) });
      const centres = (n: string) =>
        g.op('Add', [g.op('Cast', [g.op('Range', [g.int64s([0], []), n, g.int64s([1], [])])], { to: attr.int(1) }), g.floats([0.5], [])]);
      const gridShape = g.op('Concat', [g.unsqueeze(h, [0]), g.unsqueeze(w, [0])], { axis: attr.int(0) });
      const gx = g.op('Expand', [g.unsqueeze(centres(w), [0]), gridShape]);
      const gy = g.op('Expand', [g.unsqueeze(centres(h), [1]), gridShape]);
      const row = g.int64s([1, -1]);
      points.push(g.op('Concat', [g.op('Reshape', [gx, row]), g.op('Reshape', [gy, row])], { axis: attr.int(0) }));
      const rowShape = g.op('Concat', [g.int64s([1]), g.unsqueeze(g.op('Mul', [h, w]), [0])], { axis: attr.int(0) });
      strideRows.push(g.op('Expand', [g.floats([strides[i]!], [1, 1]), rowShape]));
    });
  });
  const anchors = g.unsqueeze(g.op('Concat', points, { axis: attr.int(1) }), [0]);
  return [anchors, g.op('Concat', strideRows, { axis: attr.int(1) })];
}

/**
 * DFL (B, 4·c1, A) → (B, 4, A): the expectation of each side's bin distribution. The softmax runs over the
 * last axis (bins moved there), which means the same in every opset (before 13, Softmax flattened from `axis`
 * on), and the expectation is a MatMul with the DFL conv's weights (0 … c1-1).
 */
registerOnnxEmitter(DFL, (ctx, m, x) => {
  const g = ctx.graph;
  const bins = g.op('Reshape', [one(x), g.int64s([0, 4, m.c1, -1])]);
  const probabilities = g.op('Softmax', [g.op('Transpose', [bins], { perm: attr.ints([0, 1, 3, 2]) })], { axis: attr.int(3) });
  const weights = g.scoped('conv', () => g.weight('weight', m.conv.weight.view(m.c1, 1)));
  return g.op('Reshape', [g.op('MatMul', [probabilities, weights]), g.int64s([0, 4, -1])]);
});

/** Detect's export output (B, 4 + nc, anchors) for its input maps; Segment builds on it. */
export function emitDetect(ctx: EmitContext, m: Detect<unknown>, x: Value): string {
  if (m.v84) return emitDetect84(ctx, m, x);
  const g = ctx.graph;
  const inputs = typeof x === 'string' ? [x] : x;
  if (inputs.length !== m.nl) throw new Error(`ONNX export: Detect has ${m.nl} levels but got ${inputs.length} inputs`);
  const maps = inputs.map((xi, i) => {
    const box = one(g.scoped('cv2', () => ctx.emit(m.cv2.at(i), xi, String(i))));
    const cls = one(g.scoped('cv3', () => ctx.emit(m.cv3.at(i), xi, String(i))));
    return g.op('Concat', [box, cls], { axis: attr.int(1) });
  });
  const flat = maps.map((map) => g.op('Reshape', [map, g.int64s([0, m.no, -1])]));
  const all = g.op('Concat', flat, { axis: attr.int(2) });
  const [boxBins, logits] = g.split(all, [m.regMax * 4, m.nc], 1) as [string, string];
  const distances = one(ctx.emit(m.dfl, boxBins, 'dfl'));

  const sizes = ctx.featureSizes;
  const [anchors, strides] = sizes ? constantAnchors(ctx, sizes, m.stride) : graphAnchors(ctx, maps, m.stride);
  // dist2bbox(xywh): centre = anchor + (rb - lt) / 2 written as ((anchor - lt) + (anchor + rb)) / 2, as Detect does.
  const [lt, rb] = g.split(distances, [2, 2], 1) as [string, string];
  const x1y1 = g.op('Sub', [anchors, lt]);
  const x2y2 = g.op('Add', [anchors, rb]);
  const centre = g.op('Div', [g.op('Add', [x1y1, x2y2]), g.floats([2], [])]);
  const wh = g.op('Sub', [x2y2, x1y1]);
  const boxes = g.op('Mul', [g.op('Concat', [centre, wh], { axis: attr.int(1) }), strides]);
  return g.op('Concat', [boxes, g.op('Sigmoid', [logits])], { axis: attr.int(1) });
}

registerOnnxEmitter(Detect, emitDetect);
