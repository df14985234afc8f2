// YOLO26's detection head as ONNX (Ultralytics 8.4 Detect in export mode): the branch inference uses (one-to-one
// when end-to-end, else one-to-many), boxes decoded against the anchor grid, and — end-to-end — the top-k of
// Detect.postprocess written with TopK / GatherElements: output (B, k, 6) rows x1, y1, x2, y2, score, class, with
// k = min(max_det, anchors at the export size) a constant, as Ultralytics' exporter fixes it (with agnostic_nms, one
// class per anchor). Without end2end the
// output is (B, 4 + nc, anchors) xywh + scores, for NMS, as YOLOv8's.
import type { Detect } from '../../nn/modules/head.js';
import { constantAnchors, graphAnchors } from './detect.js';
import { type EmitContext, one, type Value } from './emitters.js';
import { attr } from './graph.js';

/** The top-k count of an end-to-end export: min(max_det, anchors of the dry run). */
export function exportTopk(maxDet: number, anchors: number): number {
  return Math.min(maxDet, anchors);
}

export function emitDetect84(ctx: EmitContext, m: Detect<unknown>, x: Value): string {
  const g = ctx.graph;
  const inputs = typeof x === 'string' ? [x] : x;
  if (inputs.length !== m.nl) throw new Error(`ONNX export: Detect has ${m.nl} levels but got ${inputs.length} inputs`);
  const end2end = m.end2end;
  const [boxHead, clsHead, boxName, clsName] =
    end2end && m.one2oneCv2 && m.one2oneCv3 ? [m.one2oneCv2, m.one2oneCv3, 'one2one_cv2', 'one2one_cv3'] : [m.cv2, m.cv3, 'cv2', 'cv3'];
  const boxMaps = inputs.map((xi, i) => one(g.scoped(boxName, () => ctx.emit(boxHead.at(i), xi, String(i)))));
  const clsMaps = inputs.map((xi, i) => one(g.scoped(clsName, () => ctx.emit(clsHead.at(i), xi, String(i)))));
  const flat = (maps: string[], channels: number) =>
    g.op(
      'Concat',
      maps.map((map) => g.op('Reshape', [map, g.int64s([0, channels, -1])])),
      { axis: attr.int(2) },
    );
  const distances = one(ctx.emit(m.dfl, flat(boxMaps, 4 * m.regMax), 'dfl'));
  const logits = flat(clsMaps, m.nc);

  const sizes = ctx.featureSizes;
  const [anchors, strides] = sizes ? constantAnchors(ctx, sizes, m.stride) : graphAnchors(ctx, boxMaps, m.stride);
  const [lt, rb] = g.split(distances, [2, 2], 1) as [string, string];
  const x1y1 = g.op('Sub', [anchors, lt]);
  const x2y2 = g.op('Add', [anchors, rb]);
  const corners = end2end
    ? g.op('Concat', [x1y1, x2y2], { axis: attr.int(1) })
    : g.op('Concat', [g.op('Div', [g.op('Add', [x1y1, x2y2]), g.floats([2], [])]), g.op('Sub', [x2y2, x1y1])], { axis: attr.int(1) });
  const decoded = g.op('Concat', [g.op('Mul', [corners, strides]), g.op('Sigmoid', [logits])], { axis: attr.int(1) });
  if (!end2end) return decoded;

  const total = ctx.anchors ?? sizes?.reduce((n, [h, w]) => n + h * w, 0);
  if (total === undefined) throw new Error('ONNX export: the anchor count of the dry run is needed for the end-to-end top-k');
  const k = exportTopk(m.maxDet, total);
  return g.scoped('postprocess', () => {
    const preds = g.op('Transpose', [decoded], { perm: attr.ints([0, 2, 1]) }); // (B, A, 4 + nc)
    const [boxes, scores] = g.split(preds, [4, m.nc], 2) as [string, string];
    const kTensor = g.int64s([k]);
    const topk = (input: string, kk: string, axis: number) =>
      g.node('TopK', [input, kk], { axis: attr.int(axis), largest: attr.int(1), sorted: attr.int(1) }, 2) as [string, string];
    const widen = (idx: string, width: number) =>
      g.op('Expand', [g.unsqueeze(idx, [2]), g.op('Concat', [g.op('Shape', [idx]), g.int64s([width])], { axis: attr.int(0) })]);
    const [best, bestClass] = topk(scores, g.int64s([1]), 2); // (B, A, 1) each
    if (m.agnosticNms) {
      // agnostic: the k anchors of best class score, each with that class.
      const [values, anchorIdx] = topk(g.op('Reshape', [best, g.int64s([0, -1])]), kTensor, 1); // (B, k)
      const labels = g.op('GatherElements', [g.op('Reshape', [bestClass, g.int64s([0, -1])]), anchorIdx], { axis: attr.int(1) });
      const rowBoxes = g.op('GatherElements', [boxes, widen(anchorIdx, 4)], { axis: attr.int(1) });
      const classes = g.op('Cast', [labels], { to: attr.int(1) });
      return g.op('Concat', [rowBoxes, g.unsqueeze(values, [2]), g.unsqueeze(classes, [2])], { axis: attr.int(2) });
    }
    // The k anchors of best class score, then the k best of their k·nc scores (Detect.get_topk_index).
    const [, anchorIdx] = topk(g.op('Reshape', [best, g.int64s([0, -1])]), kTensor, 1); // (B, k)
    const candidates = g.op('GatherElements', [scores, widen(anchorIdx, m.nc)], { axis: attr.int(1) }); // (B, k, nc)
    const [values, flatIdx] = topk(g.op('Reshape', [candidates, g.int64s([0, -1])]), kTensor, 1); // (B, k)
    const nc = g.int64s([m.nc], []);
    const classes = g.op('Cast', [g.op('Mod', [flatIdx, nc])], { to: attr.int(1) });
    const anchorOfRow = g.op('GatherElements', [anchorIdx, g.op('Div', [flatIdx, nc])], { axis: attr.int(1) });
    const rowBoxes = g.op('GatherElements', [boxes, widen(anchorOfRow, 4)], { axis: attr.int(1) }); // (B, k, 4)
    return g.op('Concat', [rowBoxes, g.unsqueeze(values, [2]), g.unsqueeze(classes, [2])], { axis: attr.int(2) });
  });
}
