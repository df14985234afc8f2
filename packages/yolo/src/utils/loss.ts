// YOLOv8 detection loss (Ultralytics' v8DetectionLoss, BboxLoss, DFLoss): CIoU box loss and distribution focal loss
// on the task-aligned positives, BCE class loss on every anchor, all normalised by the sum of the soft targets.

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import type { Batch } from '../data/batch.js';
import { bboxIou } from './metrics-box.js';
import { xywh2xyxy } from './ops.js';
import { type Assignment, bbox2dist, dist2bbox, imagesWithin, makeAnchors, TaskAlignedAssigner } from './tal.js';

/** What the criterion needs to know of the detection head. */
export interface DetectionHeadInfo {
  /** Strides of the feature levels, P3 first (e.g. [8, 16, 32]). */
  stride: readonly number[];
  /** Number of classes. */
  nc: number;
  /** DFL bins per box side (16 for YOLOv8). */
  regMax: number;
}

/** Loss gains, Ultralytics' `box`, `cls` and `dfl` hyperparameters (defaults 7.5, 0.5, 1.5). */
export interface LossGains {
  box: number;
  cls: number;
  dfl: number;
}

/** The detection terms of one loss call, unweighted, with the assignment behind them (see `detectionTerms`). */
export interface DetectionTerms {
  batchSize: number;
  /** Input image size [h, w] in pixels (first map's size × its stride). */
  imgsz: [number, number];
  /** The task-aligned assignment: target boxes in input pixels, soft scores, foreground mask, GT index per anchor. */
  assignment: Assignment;
  /** Whether any anchor is foreground (box and DFL terms are zero otherwise). */
  anyForeground: boolean;
  lossBox: Tensor;
  lossCls: Tensor;
  lossDfl: Tensor;
}

/**
 * Distribution focal loss: cross entropy of each side's bin logits against the two bins around the target distance,
 * weighted by proximity.
 * @example new DFLoss(16).compute(binLogits, targetLtrb) // (n·4, 16) and (n, 4) → (n, 1)
 */
export class DFLoss {
  constructor(readonly regMax = 16) {}

  /** `predDist` (n·4, regMax) logits, `target` (n, 4) distances in bins → (n, 1) loss averaged over the 4 sides. */
  compute(predDist: Tensor, target: Tensor): Tensor {
    return torch.tidy(() => {
      const t = target.clamp(0, this.regMax - 1 - 0.01);
      const tl = t.long();
      const tr = tl.add(1);
      const wl = tr.sub(t);
      const wr = wl.rsub(1);
      const ce = (bins: Tensor): Tensor => torch.F.crossEntropy(predDist, bins.view(-1), { reduction: 'none' }).view(tl.shape);
      return ce(tl).mul(wl).add(ce(tr).mul(wr)).mean(-1, true);
    });
  }
}

/**
 * Box regression loss on foreground anchors: (1 − CIoU) and DFL, each weighted by the anchor's target score and
 * divided by the target-score sum.
 * @example const [iouLoss, dflLoss] = new BboxLoss(16).compute(distri, boxes, anchors, targets, scores, scoresSum, fg);
 */
export class BboxLoss {
  readonly dflLoss: DFLoss | null;

  constructor(regMax = 16) {
    this.dflLoss = regMax > 1 ? new DFLoss(regMax) : null;
  }

  /**
   * @param predDist (B, A, 4·regMax) distribution logits
   * @param predBboxes (B, A, 4) decoded xyxy boxes, grid units
   * @param anchorPoints (A, 2) anchor centres, grid units
   * @param targetBboxes (B, A, 4) assigned xyxy boxes, grid units
   * @param targetScores (B, A, C) soft targets
   * @param targetScoresSum scalar normaliser
   * @param fgMask (B, A) bool
   * @returns [iou loss, dfl loss] scalars
   */
  compute(
    predDist: Tensor,
    predBboxes: Tensor,
    anchorPoints: Tensor,
    targetBboxes: Tensor,
    targetScores: Tensor,
    targetScoresSum: Tensor,
    fgMask: Tensor,
  ): [Tensor, Tensor] {
    return torch.tidy(() => {
      const weight = targetScores.sum(-1).i(fgMask).unsqueeze(-1);
      const iou = bboxIou(predBboxes.i(fgMask), targetBboxes.i(fgMask), { xywh: false, kind: 'ciou' });
      const lossIou = iou.rsub(1).mul(weight).sum().div(targetScoresSum);
      if (this.dflLoss === null) return [lossIou, torch.zeros([], { device: predDist.device })];
      const { regMax } = this.dflLoss;
      const targetLtrb = bbox2dist(anchorPoints, targetBboxes, regMax - 1);
      const lossDfl = this.dflLoss
        .compute(predDist.i(fgMask).view(-1, regMax), targetLtrb.i(fgMask))
        .mul(weight)
        .sum()
        .div(targetScoresSum);
      return [lossIou, lossDfl];
    });
  }
}

/**
 * The YOLOv8 detection criterion. Gains are passed in explicitly rather than read from model state.
 * @example
 * const criterion = new DetectionLoss({ stride: [8, 16, 32], nc: 80, regMax: 16 }, { box: 7.5, cls: 0.5, dfl: 1.5 });
 * const [loss, items] = criterion.compute(model.call(batch.img), batch); // loss = (box+cls+dfl)·B; items (3,) detached
 * loss.backward();
 */
export class DetectionLoss {
  readonly stride: readonly number[];
  readonly nc: number;
  readonly regMax: number;
  /** Outputs per anchor: 4·regMax distribution logits, then nc class logits. */
  readonly no: number;
  readonly hyp: LossGains;
  readonly assigner: TaskAlignedAssigner;
  readonly bboxLoss: BboxLoss;

  constructor(model: DetectionHeadInfo, hyp: LossGains) {
    for (const key of ['box', 'cls', 'dfl'] as const) {
      if (!Number.isFinite(hyp[key])) throw new TypeError(`DetectionLoss: loss gain '${key}' must be a finite number, got ${hyp[key]}`);
    }
    if (model.stride.length === 0) throw new RangeError('DetectionLoss: model.stride is empty (was the model stride computed?)');
    this.stride = model.stride;
    this.nc = model.nc;
    this.regMax = model.regMax;
    this.no = model.nc + model.regMax * 4;
    this.hyp = { box: hyp.box, cls: hyp.cls, dfl: hyp.dfl };
    this.assigner = new TaskAlignedAssigner({ topk: 10, numClasses: model.nc, alpha: 0.5, beta: 6.0 });
    this.bboxLoss = new BboxLoss(model.regMax);
  }

  /**
   * Loss of the raw head maps `preds` (one (B, no, H, W) per level) against `batch`'s labels.
   * @returns [loss × batch size (0-d, with gradient), detached (box, cls, dfl) items (3,)]
   */
  compute(preds: Tensor[], batch: Pick<Batch, 'batchIdx' | 'cls' | 'bboxes'>): [Tensor, Tensor] {
    return torch.tidy(() => {
      const { batchSize, lossBox, lossCls, lossDfl } = this.detectionTerms(preds, batch);
      const loss = torch.stack([lossBox.mul(this.hyp.box), lossCls.mul(this.hyp.cls), lossDfl.mul(this.hyp.dfl)]);
      return [loss.sum().mul(batchSize), loss.detach()];
    });
  }

  /**
   * The three detection terms (before their gains) and the assignment they came from, for `compute` and for
   * criteria that add terms of their own (segmentation). Tensors belong to the caller's scope.
   */
  protected detectionTerms(preds: Tensor[], batch: Pick<Batch, 'batchIdx' | 'cls' | 'bboxes'>): DetectionTerms {
    this.checkPreds(preds);
    const first = preds[0]!;
    const [batchSize, , h0, w0] = first.shape as [number, number, number, number];
    const device = first.device;
    // In a scope of their own: the concatenated maps (77 MB at batch 16, 640) are freed before the assignment.
    const [predScores, predDist] = torch.tidy(() => {
      const [predDistri, predLogits] = torch
        .cat(
          preds.map((p) => p.view(batchSize, this.no, -1)),
          2,
        )
        .split([this.regMax * 4, this.nc], 1) as [Tensor, Tensor];
      return [predLogits.permute(0, 2, 1).contiguous(), predDistri.permute(0, 2, 1).contiguous()]; // (B, A, nc), (B, A, 4·regMax)
    });

    const stride0 = this.stride[0]!;
    const imgsz: [number, number] = [h0 * stride0, w0 * stride0];
    const [anchorPoints, strideTensor] = makeAnchors(preds, this.stride, 0.5);

    const [imgH, imgW] = imgsz;
    const { gtLabels, gtBboxes } = paddedTargets(batch, batchSize, [imgW, imgH, imgW, imgH], device, first.dtype);
    const maskGt = gtBboxes.sum(2, true).gt(0).to(gtBboxes.dtype);

    const predBboxes = this.bboxDecode(anchorPoints, predDist); // xyxy, grid units
    // The assigner's inputs are freed with it.
    const assignment = torch.tidy(() =>
      this.assigner.forward(
        predScores.detach().sigmoid(),
        predBboxes.detach().mul(strideTensor).to(gtBboxes.dtype),
        anchorPoints.mul(strideTensor),
        gtLabels,
        gtBboxes,
        maskGt,
      ),
    );
    const { targetBboxes, targetScores, fgMask } = assignment;

    const targetScoresSum = targetScores.sum().clampMin(1);
    const lossCls = bceWithLogitsSum(predScores, targetScores.to(predScores.dtype)).div(targetScoresSum);

    let lossBox = torch.zeros([], { device });
    let lossDfl = torch.zeros([], { device });
    const anyForeground = Boolean(fgMask.any().item());
    if (anyForeground) {
      [lossBox, lossDfl] = this.bboxLoss.compute(
        predDist,
        predBboxes,
        anchorPoints,
        targetBboxes.div(strideTensor),
        targetScores,
        targetScoresSum,
        fgMask,
      );
    }
    return { batchSize, imgsz, assignment, anyForeground, lossBox, lossCls, lossDfl };
  }

  /** Expected box distances: softmax over each side's bins, then the expectation over bin indices. */
  bboxDecode(anchorPoints: Tensor, predDist: Tensor): Tensor {
    return torch.tidy(() => {
      const [b, a, c] = predDist.shape as [number, number, number];
      const proj = torch.arange(0, this.regMax, 1, { dtype: predDist.dtype, device: predDist.device });
      const ltrb =
        this.regMax > 1
          ? predDist
              .view(b, a, 4, c / 4)
              .softmax(3)
              .matmul(proj)
          : predDist;
      return dist2bbox(ltrb, anchorPoints, false);
    });
  }

  private checkPreds(preds: Tensor[]): void {
    if (preds.length !== this.stride.length) {
      throw new RangeError(`DetectionLoss: got ${preds.length} feature maps for ${this.stride.length} strides`);
    }
    for (const [i, p] of preds.entries()) {
      if (p.ndim !== 4 || p.shape[1] !== this.no) {
        throw new RangeError(`DetectionLoss: feature map ${i} has shape [${p.shape}], expected (B, ${this.no}, H, W)`);
      }
    }
  }
}

/**
 * The batch's labels padded per image: classes (B, M, 1) and xyxy boxes in input pixels (B, M, 4), M being the
 * most labels any image has; padding rows are zero.
 */
export function paddedTargets(
  batch: Pick<Batch, 'batchIdx' | 'cls' | 'bboxes'>,
  batchSize: number,
  scale: [number, number, number, number],
  device: string,
  dtype: torch.DType,
): { gtLabels: Tensor; gtBboxes: Tensor } {
  const imageOfLabel = batch.batchIdx.toArray();
  const n = imageOfLabel.length;
  if (batch.cls.numel() !== n || batch.bboxes.numel() !== n * 4) {
    throw new RangeError(`loss: batch has ${n} batchIdx entries but cls [${batch.cls.shape}] and bboxes [${batch.bboxes.shape}]`);
  }
  // Each label's row within its image, in label order (Ultralytics fills images by a boolean mask, keeping order).
  const counts = new Array<number>(batchSize).fill(0);
  const slots = imageOfLabel.map((image, i) => {
    if (!Number.isInteger(image) || image < 0 || image >= batchSize) {
      throw new RangeError(`loss: label ${i} has batchIdx ${image}, outside the batch of ${batchSize} images`);
    }
    return counts[image]!++;
  });
  const maxLabels = Math.max(0, ...counts);
  const labels = torch.cat([batch.cls.view(-1, 1), batch.bboxes.view(-1, 4)], 1).to({ dtype, device });
  const padded = torch.zeros([batchSize, maxLabels, 5], { dtype, device });
  if (n > 0) {
    const toIndex = (values: number[]): Tensor => torch.tensor(values, { dtype: 'int64', device });
    padded.indexPut_([toIndex(imageOfLabel), toIndex(slots)], labels);
  }
  const [gtLabels, xywh] = padded.split([1, 4], 2) as [Tensor, Tensor];
  const gtBboxes = xywh2xyxy(xywh.mul(torch.tensor(scale, { dtype, device })));
  return { gtLabels, gtBboxes };
}

/**
 * The sum of BCE-with-logits over every element of `logits` (B, A, nc) against `targets`, computed a few images at a
 * time: libtorch's kernel holds five input-sized temporaries at once (215 MB at batch 16, 640, 80 classes), which set
 * the peak of a training step. Each element's value is the kernel's; only the order of the sum differs.
 */
export function bceWithLogitsSum(logits: Tensor, targets: Tensor): Tensor {
  const imagesPerChunk = imagesWithin(BCE_CHUNK_BYTES, (logits.numel() / Math.max(1, logits.shape[0]!)) * 4); // counted as float32
  return torch.tidy(() => {
    const targetChunks = targets.split(imagesPerChunk);
    const sums = logits
      .split(imagesPerChunk)
      .map((chunk, i) => torch.tidy(() => torch.F.binaryCrossEntropyWithLogits(chunk, targetChunks[i]!, { reduction: 'none' }).sum()));
    return torch.stack(sums).sum();
  });
}

/**
 * The most logits `bceWithLogitsSum` hands the kernel at once: at 640 with 80 classes (2.7 MB per image) 3 images,
 * so the temporaries are a fifth of the whole batch's; at 320 6 images.
 */
const BCE_CHUNK_BYTES = 8 * 2 ** 20;
