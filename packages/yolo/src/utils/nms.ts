// Non-maximum suppression: Ultralytics 8.2.103's ops.non_max_suppression around a torchvision-equivalent greedy NMS
// (Debian's libtorch has no torchvision::nms). IoU tests run as tensor ops on blocks of boxes; only the greedy pass over
// the resulting boolean matrix runs in JS.

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { xywh2xyxy } from './ops.js';

/** Options of `nonMaxSuppression`; defaults are Ultralytics'. */
export interface NmsOptions {
  /** Minimum class confidence of a candidate (0..1). */
  confThres?: number;
  /** IoU above which a lower-scored box is suppressed (0..1). */
  iouThres?: number;
  /** Keep only these class indices. */
  classes?: readonly number[];
  /** Suppress across classes too. */
  agnostic?: boolean;
  /** One row per (box, class) above `confThres` instead of the best class only (needs > 1 class). */
  multiLabel?: boolean;
  /** Detections kept per image. */
  maxDet?: number;
  /** Number of classes; 0 = all channels after the 4 box coordinates (any rest are mask coefficients). */
  nc?: number;
  /** Seconds per image added to a 2 s budget, after which remaining images are skipped with a warning. */
  maxTimeImg?: number;
  /** Candidates per image going into NMS (highest confidence first). */
  maxNms?: number;
  /** Class offset that keeps boxes of different classes apart in class-aware NMS. */
  maxWh?: number;
}

/** Most boxes per block of the IoU matrices: 1024² float32 temporaries are 4 MiB each. */
const BLOCK = 1024;
/** Fewest boxes per block, so that heavy suppression does not mean many tiny blocks. */
const MIN_BLOCK = 256;

/** What the speed lines say for an end-to-end model's predictions. */
export const END_TO_END_NOTE = 'end-to-end top-k, no NMS';

/**
 * Whether `prediction` is an end-to-end model's output, (B, max_det, 6) rows x1, y1, x2, y2, score, class (YOLO26),
 * which nonMaxSuppression only filters by confidence, max_det and classes.
 */
export function isEndToEnd(prediction: Tensor | undefined): boolean {
  return prediction !== undefined && prediction.ndim === 3 && prediction.shape[2] === 6;
}

/**
 * Filters and suppresses raw detections `prediction` (B, 4 + nc + nm, N) — xywh boxes then class scores (then mask
 * coefficients) — into one (n, 6 + nm) tensor per image: [x1, y1, x2, y2, conf, cls, …masks], sorted by confidence.
 * A (B, N, 6) end-to-end output is only filtered by confidence. A list (as a model's eval output) uses its first item.
 * @example
 * const [dets] = nonMaxSuppression(model.call(img), { confThres: 0.25, iouThres: 0.7 });
 */
export function nonMaxSuppression(prediction: Tensor | Tensor[], options: NmsOptions = {}): Tensor[] {
  const {
    confThres = 0.25,
    iouThres = 0.45,
    classes,
    agnostic = false,
    maxDet = 300,
    maxTimeImg = 0.05,
    maxNms = 30000,
    maxWh = 7680,
  } = options;
  if (!(confThres >= 0 && confThres <= 1))
    throw new RangeError(`nonMaxSuppression: invalid confThres ${confThres}, valid values are between 0.0 and 1.0`);
  if (!(iouThres >= 0 && iouThres <= 1))
    throw new RangeError(`nonMaxSuppression: invalid iouThres ${iouThres}, valid values are between 0.0 and 1.0`);
  const pred = Array.isArray(prediction) ? prediction[0] : prediction;
  if (pred === undefined || pred.ndim !== 3) throw new RangeError('nonMaxSuppression: expected a (B, 4 + nc, N) prediction tensor');

  return torch.noGrad(() =>
    torch.tidy(() => {
      const classFilter = classes === undefined ? null : torch.tensor([...classes], { dtype: pred.dtype, device: pred.device });
      const [bs, channels] = pred.shape as [number, number, number];
      if (isEndToEnd(pred)) {
        return Array.from({ length: bs }, (_, b) => {
          const x = pred.select(0, b);
          const confident = x.i(x.select(1, 4).gt(confThres));
          const kept = confident.narrow(0, 0, Math.min(maxDet, confident.shape[0]!));
          return classFilter === null ? kept : kept.i(kept.narrow(1, 5, 1).eq(classFilter).any(1));
        });
      }

      const nc = options.nc || channels - 4;
      const nm = channels - nc - 4;
      const multiLabel = (options.multiLabel ?? false) && nc > 1;
      const isCandidate = pred.narrow(1, 4, nc).amax(1).gt(confThres); // (B, N)
      const rows = pred.transpose(-1, -2); // (B, N, channels)
      const boxes = torch.cat([xywh2xyxy(rows.narrow(-1, 0, 4)), rows.narrow(-1, 4, channels - 4)], -1);

      const timeLimit = 2.0 + maxTimeImg * bs;
      const start = performance.now();
      const output: Tensor[] = [];
      for (let xi = 0; xi < bs; xi++) {
        output.push(
          torch.tidy(() => {
            const x = boxes.select(0, xi).i(isCandidate.select(0, xi));
            const detections = candidateRows(x, { nc, nm, confThres, multiLabel, classFilter, maxNms });
            if (detections === null) return torch.zeros([0, 6 + nm], { dtype: pred.dtype, device: pred.device });
            const offset = detections.narrow(1, 5, 1).mul(agnostic ? 0 : maxWh);
            const keep = nms(detections.narrow(1, 0, 4).add(offset), detections.select(1, 4), iouThres, maxDet);
            return detections.indexSelect(0, keep);
          }),
        );
        if ((performance.now() - start) / 1000 > timeLimit) {
          console.warn(`WARNING ⚠️ NMS time limit ${timeLimit.toFixed(3)}s exceeded`);
          break;
        }
      }
      while (output.length < bs) output.push(torch.zeros([0, 6 + nm], { dtype: pred.dtype, device: pred.device }));
      return output;
    }),
  );
}

/** One image's detection rows [x1, y1, x2, y2, conf, cls, …masks] before NMS, or null when none remain. */
function candidateRows(
  x: Tensor,
  opts: { nc: number; nm: number; confThres: number; multiLabel: boolean; classFilter: Tensor | null; maxNms: number },
): Tensor | null {
  const { nc, nm, confThres, multiLabel, classFilter, maxNms } = opts;
  if (x.shape[0] === 0) return null;
  const [box, cls, mask] = x.split([4, nc, nm], 1) as [Tensor, Tensor, Tensor];
  let rows: Tensor;
  if (multiLabel) {
    const [i, j] = torch.nonzeroTuple(cls.gt(confThres)) as [Tensor, Tensor];
    rows = torch.cat([box.index([i]), cls.index([i, j]).unsqueeze(1), j.unsqueeze(1).to(x.dtype), mask.index([i])], 1);
  } else {
    const [conf, j] = cls.maxDim(1, true);
    rows = torch.cat([box, conf, j.to(x.dtype), mask], 1).i(conf.view(-1).gt(confThres));
  }
  if (classFilter !== null) rows = rows.i(rows.narrow(1, 5, 1).eq(classFilter).any(1));
  const n = rows.shape[0]!;
  if (n === 0) return null;
  if (n > maxNms) rows = rows.indexSelect(0, rows.select(1, 4).argsort(0, true).narrow(0, 0, maxNms));
  return rows;
}

/**
 * Greedy NMS as torchvision.ops.nms: visits boxes by descending score (stable for ties) and drops every later box
 * whose IoU with a kept one exceeds `iouThreshold`. Returns the kept indices (int64) in that order, at most `maxKeep`
 * (the result is a prefix of the unlimited one, so the search stops early). The tensor work grows as boxes × kept
 * boxes, so pass `maxKeep` when only the best are wanted (nonMaxSuppression passes maxDet).
 * @example const keep = nms(xyxy, scores, 0.7); // (k,) int64
 */
export function nms(boxes: Tensor, scores: Tensor, iouThreshold: number, maxKeep = Number.POSITIVE_INFINITY): Tensor {
  return torch.noGrad(() =>
    torch.tidy(() => {
      const n = boxes.shape[0]!;
      const [, order] = scores.sort(0, true, true);
      const sorted = boxes.indexSelect(0, order);
      const threshold = sorted.dtype === 'float32' ? float32Threshold(iouThreshold) : iouThreshold;
      const kept: number[] = [];
      for (let start = 0, size = 0; start < n && kept.length < maxKeep; start += size) {
        // Twice the boxes still wanted usually fills the quota in one block without paying for a full-size one.
        size = Math.min(n - start, BLOCK, Math.max(MIN_BLOCK, 2 * (maxKeep - kept.length)));
        const block = sorted.narrow(0, start, size);
        const suppressed = suppressedByKept(sorted, kept, block, threshold);
        const overlapping = pairwiseIou(block, block).gt(threshold).toTypedArray() as Uint8Array;
        for (let i = 0; i < size && kept.length < maxKeep; i++) {
          if (suppressed[i]) continue;
          kept.push(start + i);
          const row = i * size;
          for (let j = i + 1; j < size; j++) if (overlapping[row + j]) suppressed[j] = 1;
        }
      }
      return order.indexSelect(0, torch.tensor(kept, { dtype: 'int64', device: order.device }));
    }),
  );
}

/** Per box of `block`: 1 if a kept box (positions into `sorted`) overlaps it above the threshold. */
function suppressedByKept(sorted: Tensor, kept: number[], block: Tensor, threshold: number): Uint8Array {
  const size = block.shape[0]!;
  if (kept.length === 0) return new Uint8Array(size);
  return torch.tidy(() => {
    const hits: Tensor[] = [];
    for (let k = 0; k < kept.length; k += BLOCK) {
      const index = torch.tensor(kept.slice(k, k + BLOCK), { dtype: 'int64', device: sorted.device });
      hits.push(pairwiseIou(sorted.indexSelect(0, index), block).gt(threshold).any(0));
    }
    const any = hits.length === 1 ? hits[0]! : torch.stack(hits).any(0);
    return new Uint8Array(any.toTypedArray() as Uint8Array);
  });
}

/** IoU of xyxy boxes a (m, 4) × b (n, 4) → (m, n), computed in float32 exactly as torchvision's CPU kernel (no eps). */
function pairwiseIou(a: Tensor, b: Tensor): Tensor {
  return torch.tidy(() => {
    const [ax1, ay1, ax2, ay2] = a.unbind(1).map((t) => t.unsqueeze(1)) as [Tensor, Tensor, Tensor, Tensor];
    const [bx1, by1, bx2, by2] = b.unbind(1).map((t) => t.unsqueeze(0)) as [Tensor, Tensor, Tensor, Tensor];
    const areaA = ax2.sub(ax1).mul(ay2.sub(ay1));
    const areaB = bx2.sub(bx1).mul(by2.sub(by1));
    const w = ax2.minimum(bx2).sub(ax1.maximum(bx1)).clampMin(0);
    const h = ay2.minimum(by2).sub(ay1.maximum(by1)).clampMin(0);
    const inter = w.mul(h);
    return inter.div(areaA.add(areaB).sub(inter));
  });
}

/**
 * torchvision compares the float32 IoU with the threshold as a double; a tensor comparison casts the threshold to
 * float32 instead. They differ only when float32(t) rounds up past t; then "x > t" equals "x > the float below it".
 */
function float32Threshold(t: number): number {
  const f = Math.fround(t);
  if (f <= t) return t;
  const bits = new Float32Array([f]);
  const view = new Int32Array(bits.buffer);
  view[0] = view[0]! + (f > 0 ? -1 : 1);
  return bits[0]!;
}
