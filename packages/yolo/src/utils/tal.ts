// Task-aligned assignment (TOOD) and the anchor/box-distance helpers of YOLOv8's head (Ultralytics' utils/tal.py).

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { bboxIou } from './metrics-box.js';

/** What `TaskAlignedAssigner.forward` returns (B = batch, A = anchors, C = classes). */
export interface Assignment {
  /** (B, A) int64: the assigned GT's class (0 for background anchors, as Ultralytics). */
  targetLabels: Tensor;
  /** (B, A, 4) xyxy: the assigned GT's box. */
  targetBboxes: Tensor;
  /** (B, A, C): one-hot of the assigned class scaled by the normalised alignment; 0 for background. */
  targetScores: Tensor;
  /** (B, A) bool: foreground anchors. */
  fgMask: Tensor;
  /** (B, A) int64: index of the assigned GT within its image. */
  targetGtIdx: Tensor;
}

/** How many images of `bytesPerImage` each fit in `budget` bytes (at least one): the piece size of batch-chunked work. */
export function imagesWithin(budget: number, bytesPerImage: number): number {
  return Math.max(1, Math.floor(budget / Math.max(1, bytesPerImage)));
}

const ASSIGNMENT_KEYS = ['targetLabels', 'targetBboxes', 'targetScores', 'fgMask', 'targetGtIdx'] as const;

/** Hyperparameters of the assigner; Ultralytics' v8DetectionLoss uses topk 10, alpha 0.5, beta 6. */
export interface AssignerOptions {
  topk?: number;
  numClasses?: number;
  alpha?: number;
  beta?: number;
  eps?: number;
  /**
   * Level strides for small-target-aware assignment (STAL, Ultralytics 8.4): a GT side shorter than `stride[0]` is
   * widened to `stride[1]` around its centre for the "anchor inside the GT" test only. Unset: no widening (8.2/8.3).
   */
  stride?: number[];
  /** After conflict resolution each GT keeps only its `topk2` best-aligned anchors (8.4's one-to-one loss: 1). Default topk. */
  topk2?: number;
  /**
   * The largest (images, GTs, anchors) float tensor built at once, in bytes: a batch whose tensors would be larger is
   * assigned a few images at a time, with the same result (default 8 MiB: at 640 with ~100 labels per image, 2
   * images at a time; at 320 9).
   */
  maxPairBytes?: number;
}

/**
 * Assigns ground-truth boxes to anchors by the task-aligned metric score^alpha · CIoU^beta: per GT the top-k anchors
 * whose centres lie inside it, an anchor claimed by several GTs going to the one it overlaps most. Runs without
 * gradient.
 * @example
 * const assigner = new TaskAlignedAssigner({ topk: 10, numClasses: 80, alpha: 0.5, beta: 6 });
 * const { targetScores, fgMask } = assigner.forward(scores, boxes, anchors, gtLabels, gtBboxes, maskGt);
 */
export class TaskAlignedAssigner {
  readonly topk: number;
  readonly numClasses: number;
  readonly alpha: number;
  readonly beta: number;
  readonly eps: number;
  readonly stride: number[] | null;
  readonly topk2: number;
  readonly maxPairBytes: number;

  constructor(options: AssignerOptions = {}) {
    const { topk = 13, numClasses = 80, alpha = 1.0, beta = 6.0, eps = 1e-9, stride, topk2, maxPairBytes = 8 * 2 ** 20 } = options;
    this.topk = topk;
    this.maxPairBytes = maxPairBytes;
    this.topk2 = topk2 ?? topk;
    this.stride = stride ? [...stride] : null;
    this.numClasses = numClasses;
    this.alpha = alpha;
    this.beta = beta;
    this.eps = eps;
  }

  /**
   * @param pdScores (B, A, C) predicted class probabilities
   * @param pdBboxes (B, A, 4) predicted xyxy boxes, in the same units as the GT boxes
   * @param ancPoints (A, 2) anchor centres
   * @param gtLabels (B, M, 1) GT classes (padded rows arbitrary)
   * @param gtBboxes (B, M, 4) GT xyxy boxes
   * @param maskGt (B, M, 1) 1 for real GT rows, 0 for padding
   */
  forward(pdScores: Tensor, pdBboxes: Tensor, ancPoints: Tensor, gtLabels: Tensor, gtBboxes: Tensor, maskGt: Tensor): Assignment {
    const [bs, na] = pdScores.shape as [number, number];
    const imagesPerChunk = imagesWithin(this.maxPairBytes, gtBboxes.shape[1]! * na * 4);
    if (imagesPerChunk >= bs) return this.assign(pdScores, pdBboxes, ancPoints, gtLabels, gtBboxes, maskGt);
    // Images are assigned independently, so a few at a time gives the same result with a fraction of the peak. Each
    // chunk's result is copied into the batch's tensors at once, so the outputs are never held twice.
    return torch.tidy(() => {
      const inputs = [pdScores, pdBboxes, gtLabels, gtBboxes, maskGt].map((t) => t.split(imagesPerChunk));
      const chunk = (i: number): Assignment =>
        this.assign(inputs[0]![i]!, inputs[1]![i]!, ancPoints, inputs[2]![i]!, inputs[3]![i]!, inputs[4]![i]!);
      const first = chunk(0);
      const out = Object.fromEntries(
        ASSIGNMENT_KEYS.map((key) => {
          const part = first[key];
          const whole = torch.empty([bs, ...part.shape.slice(1)], { dtype: part.dtype, device: part.device });
          whole.narrow(0, 0, part.shape[0]!).copy_(part);
          part.dispose();
          return [key, whole];
        }),
      ) as unknown as Assignment;
      for (let i = 1, start = imagesPerChunk; i < inputs[0]!.length; i++, start += imagesPerChunk) {
        torch.tidy(() => {
          const part = chunk(i);
          for (const key of ASSIGNMENT_KEYS) out[key].narrow(0, start, part[key].shape[0]!).copy_(part[key]);
        });
      }
      return out;
    });
  }

  /** `forward` on a whole batch at once. */
  private assign(pdScores: Tensor, pdBboxes: Tensor, ancPoints: Tensor, gtLabels: Tensor, gtBboxes: Tensor, maskGt: Tensor): Assignment {
    const [bs, na] = pdScores.shape as [number, number];
    const nMaxBoxes = gtBboxes.shape[1]!;
    return torch.noGrad(() =>
      torch.tidy(() => {
        if (nMaxBoxes === 0) return this.background(pdScores, pdBboxes);

        // The (B, M, A) tensors are the loss phase's peak memory (one is 54 MB at batch 16, 640, 100 labels per image):
        // each stage runs in its own scope and what a later stage no longer needs is freed at once.
        const { alignMetric, overlaps, candidates } = torch.tidy(() => {
          const maskInGts = selectCandidatesInGts(ancPoints, this.stride ? growSmallBoxes(gtBboxes, maskGt, this.stride) : gtBboxes);
          const maskCandidates = torch.tidy(() => maskInGts.mul(maskGt).bool());
          const metrics = this.boxMetrics(pdScores, pdBboxes, gtLabels, gtBboxes, maskCandidates, na);
          maskCandidates.dispose();
          const candidates = torch.tidy(() => this.selectTopkCandidates(metrics.alignMetric).mul_(maskInGts).mul_(maskGt));
          return { ...metrics, candidates };
        });
        const resolved = selectHighestOverlaps(candidates, overlaps);
        const { targetGtIdx, fgMask, maskPos } = this.topk2 !== this.topk ? keepTopk2(resolved.maskPos, alignMetric, this.topk2) : resolved;

        const { targetLabels, targetBboxes } = this.targets(gtLabels, gtBboxes, targetGtIdx, bs, nMaxBoxes);

        // Scale each positive's one-hot target so that a GT's best-aligned anchor gets that GT's best IoU.
        const fgNorm = torch.tidy(() => {
          const posAlign = alignMetric.mul(maskPos);
          const maxAlign = posAlign.amax(-1, true);
          const maxOverlap = torch.tidy(() => overlaps.mul(maskPos).amax(-1, true));
          const norm = posAlign.mul_(maxOverlap).div_(maxAlign.add(this.eps)).amax(-2); // (B, A)
          return norm.where(fgMask.gt(0), 0).unsqueeze(-1);
        });
        torch.dispose([candidates, resolved.maskPos, maskPos, alignMetric, overlaps]);
        // Ultralytics multiplies an int64 one-hot (B, A, C) by `norm`; scattering the masked norm gives the same values
        // without the 8-byte-per-element one-hot.
        const targetScores = torch
          .zeros([bs, na, this.numClasses], { dtype: fgNorm.dtype, device: fgNorm.device })
          .scatter_(2, targetLabels.unsqueeze(-1), fgNorm);
        return { targetLabels, targetBboxes, targetScores, fgMask: fgMask.bool(), targetGtIdx };
      }),
    );
  }

  /** The empty-GT result: every anchor background. */
  private background(pdScores: Tensor, pdBboxes: Tensor): Assignment {
    const perAnchor = pdScores.select(-1, 0);
    return {
      targetLabels: torch.fullLike(perAnchor, this.numClasses, { dtype: 'int64' }),
      targetBboxes: torch.zerosLike(pdBboxes),
      targetScores: torch.zerosLike(pdScores),
      fgMask: torch.zerosLike(perAnchor, { dtype: 'bool' }),
      targetGtIdx: torch.zerosLike(perAnchor, { dtype: 'int64' }),
    };
  }

  /** Alignment metric and CIoU for (GT, anchor) pairs in `mask` (B, M, A); zero elsewhere. */
  private boxMetrics(pdScores: Tensor, pdBboxes: Tensor, gtLabels: Tensor, gtBboxes: Tensor, mask: Tensor, na: number) {
    const [bs, nMaxBoxes] = mask.shape as [number, number];
    return torch.tidy(() => {
      // scores[b, m, a] = pdScores[b, a, gtLabels[b, m]]
      const labelIndex = gtLabels.long().expand(bs, nMaxBoxes, na);
      const scores = pdScores.transpose(1, 2).gather(1, labelIndex);
      const bboxScores = torch.zerosLike(scores).indexPut_([mask], scores.i(mask));
      scores.dispose();

      // CIoU only for the masked pairs, as Ultralytics: the pair grid (B, M, A, 4) is never materialised.
      const iou = torch.tidy(() => {
        const pdBoxes = pdBboxes.unsqueeze(1).expand(-1, nMaxBoxes, -1, -1).i(mask);
        const gtBoxes = gtBboxes.unsqueeze(2).expand(-1, -1, na, -1).i(mask);
        return bboxIou(gtBoxes, pdBoxes, { xywh: false, kind: 'ciou' }).squeeze(-1).clampMin(0);
      });
      const overlaps = torch.zeros([bs, nMaxBoxes, na], { dtype: pdBboxes.dtype, device: pdBboxes.device }).indexPut_([mask], iou);

      // score^alpha · IoU^beta, in place in the scores (the same arithmetic as out of place)
      const alignMetric = torch.tidy(() => bboxScores.pow_(this.alpha).mul_(overlaps.pow(this.beta)));
      return { alignMetric, overlaps };
    });
  }

  /**
   * (B, M, A) float mask of each GT's top-k anchors by `metrics`. Ultralytics counts top-k hits with an int8 tensor and
   * drops counts > 1, which only removes the rows of padded GTs (topk never repeats an index); those rows are masked
   * by `maskGt` afterwards anyway, so a plain scatter gives the same result.
   */
  private selectTopkCandidates(metrics: Tensor): Tensor {
    const [, topkIdxs] = metrics.topk(this.topk, -1, true);
    return torch.zerosLike(metrics).scatter_(-1, topkIdxs, 1);
  }

  /** Labels and boxes of each anchor's assigned GT. */
  private targets(gtLabels: Tensor, gtBboxes: Tensor, targetGtIdx: Tensor, bs: number, nMaxBoxes: number) {
    const batchOffset = torch.arange(0, bs, 1, { device: gtLabels.device }).unsqueeze(-1).mul(nMaxBoxes);
    const flatIdx = targetGtIdx.add(batchOffset); // (B, A)
    const targetLabels = gtLabels.long().flatten().index([flatIdx]).clampMin(0);
    const targetBboxes = gtBboxes.view(-1, gtBboxes.shape[2]!).index([flatIdx]);
    return { targetLabels, targetBboxes };
  }
}

/**
 * (B, M, A) float: 1 where anchor centre `xyCenters` (A, 2) lies strictly inside GT box `gtBboxes` (B, M, 4), by more
 * than `eps` on every side.
 */
export function selectCandidatesInGts(xyCenters: Tensor, gtBboxes: Tensor, eps = 1e-9): Tensor {
  return torch.tidy(() => {
    const nAnchors = xyCenters.shape[0]!;
    const [bs, nBoxes] = gtBboxes.shape as [number, number];
    const boxes = gtBboxes.view(-1, 4);
    const [cx, cy] = [xyCenters.select(1, 0), xyCenters.select(1, 1)];
    // Each side's margin (BM, A) > eps, ANDed: the same subtractions as Ultralytics' (B, M, A, 4) deltas and their
    // min, without materialising the four of them at once.
    const margin = (fn: (side: Tensor) => Tensor, side: number): Tensor => torch.tidy(() => fn(boxes.select(1, side).unsqueeze(1)).gt(eps));
    const inside = margin((x1) => cx.sub(x1), 0);
    const sides: [(side: Tensor) => Tensor, number][] = [
      [(y1) => cy.sub(y1), 1],
      [(x2) => x2.sub(cx), 2],
      [(y2) => y2.sub(cy), 3],
    ];
    for (const [fn, side] of sides) {
      const next = margin(fn, side);
      inside.mul_(next); // bool × bool in place: logical and
      next.dispose();
    }
    return inside.view(bs, nBoxes, nAnchors).to(gtBboxes.dtype);
  });
}

/**
 * STAL's candidate boxes: each side of a real GT (`maskGt`) shorter than `stride[0]` becomes `stride[1]` (or
 * `stride[0]` for a single-level model) around the same centre, through xywh as Ultralytics 8.4 computes it.
 */
export function growSmallBoxes(gtBboxes: Tensor, maskGt: Tensor, stride: number[]): Tensor {
  return torch.tidy(() => {
    const small = stride[0] as number;
    const grown = stride.length > 1 ? (stride[1] as number) : small;
    const [x1y1, x2y2] = gtBboxes.chunk(2, -1) as [Tensor, Tensor];
    const xy = x1y1.add(x2y2).div(2);
    const wh = x2y2.sub(x1y1);
    const grow = wh.lt(small).logicalAnd(maskGt.bool());
    const half = wh.maskedFill(grow, grown).div(2);
    return torch.cat([xy.sub(half), xy.add(half)], -1);
  });
}

/**
 * 8.4's `topk2` step after conflict resolution: each GT keeps its `topk2` anchors of highest alignment metric among
 * its positives (`maskPos` (B, M, A)).
 */
export function keepTopk2(maskPos: Tensor, alignMetric: Tensor, topk2: number): { targetGtIdx: Tensor; fgMask: Tensor; maskPos: Tensor } {
  return torch.tidy(() => {
    const [, idx] = alignMetric.mul(maskPos).topk(topk2, -1, true);
    const kept = maskPos.mul(torch.zerosLike(maskPos).scatter_(-1, idx, 1));
    return { targetGtIdx: kept.argmax(-2), fgMask: kept.sum(-2), maskPos: kept };
  });
}

/**
 * Resolves anchors claimed by several GTs in favour of the GT with the highest overlap.
 * @returns targetGtIdx (B, A), fgMask (B, A) float count of assigned GTs (0 or 1), maskPos (B, M, A) float
 */
export function selectHighestOverlaps(maskPos: Tensor, overlaps: Tensor): { targetGtIdx: Tensor; fgMask: Tensor; maskPos: Tensor } {
  return torch.tidy(() => {
    let positives = maskPos;
    let fgMask = positives.sum(-2);
    if (fgMask.max().item() > 1) {
      const multiGts = fgMask.unsqueeze(1).gt(1).expandAs(positives);
      const maxOverlapIdx = overlaps.argmax(1);
      const isMaxOverlap = torch.zerosLike(positives).scatter_(1, maxOverlapIdx.unsqueeze(1), 1);
      positives = isMaxOverlap.where(multiGts, positives).float();
      fgMask = positives.sum(-2);
    }
    return { targetGtIdx: positives.argmax(-2), fgMask, maskPos: positives };
  });
}

/**
 * Anchor centres (A, 2) in grid units (cell index + `offset`) and their strides (A, 1) for feature maps `feats`
 * (each (B, C, H, W)), concatenated level by level in row-major order.
 * @example const [anchors, strides] = makeAnchors([p3, p4, p5], [8, 16, 32]);
 */
export function makeAnchors(feats: Tensor[], strides: readonly number[], offset = 0.5): [Tensor, Tensor] {
  if (feats.length === 0) throw new RangeError('makeAnchors: no feature maps');
  if (strides.length < feats.length) throw new RangeError(`makeAnchors: ${feats.length} feature maps but ${strides.length} strides`);
  const first = feats[0]!;
  const opts = { dtype: first.dtype, device: first.device };
  return torch.tidy(() => {
    const points: Tensor[] = [];
    const strideRows: Tensor[] = [];
    feats.forEach((feat, i) => {
      const [, , h, w] = feat.shape as [number, number, number, number];
      const sx = torch.arange(0, w, 1, opts).add(offset);
      const sy = torch.arange(0, h, 1, opts).add(offset);
      const [gy, gx] = torch.meshgrid([sy, sx], 'ij') as [Tensor, Tensor];
      points.push(torch.stack([gx, gy], -1).view(-1, 2));
      strideRows.push(torch.full([h * w, 1], strides[i]!, opts));
    });
    return [torch.cat(points), torch.cat(strideRows)];
  });
}

/**
 * Distances (…, 4) [left, top, right, bottom] from `anchorPoints` (…, 2) to boxes: xyxy, or xywh when `xywh`.
 * @example dist2bbox(ltrb, anchors, false) // (B, A, 4) xyxy
 */
export function dist2bbox(distance: Tensor, anchorPoints: Tensor, xywh = true, dim = -1): Tensor {
  return torch.tidy(() => {
    const [lt, rb] = distance.chunk(2, dim) as [Tensor, Tensor];
    const x1y1 = anchorPoints.sub(lt);
    const x2y2 = anchorPoints.add(rb);
    if (xywh) return torch.cat([x1y1.add(x2y2).div(2), x2y2.sub(x1y1)], dim);
    return torch.cat([x1y1, x2y2], dim);
  });
}

/**
 * xyxy boxes (…, 4) to [left, top, right, bottom] distances from `anchorPoints`, clamped to [0, regMax - 0.01] so the
 * DFL target's right bin (floor + 1) stays within the regMax + 1 bins.
 * @example bbox2dist(anchors, targets, 15) // in [0, 14.99]
 */
export function bbox2dist(anchorPoints: Tensor, bbox: Tensor, regMax: number): Tensor {
  return torch.tidy(() => {
    const [x1y1, x2y2] = bbox.chunk(2, -1) as [Tensor, Tensor];
    return torch.cat([anchorPoints.sub(x1y1), x2y2.sub(anchorPoints)], -1).clamp(0, regMax - 0.01);
  });
}
