// YOLO26's detection loss (Ultralytics 8.4): v8DetectionLoss on one head branch's concatenated outputs — with
// reg_max 1 an L1 term on the image-normalised box distances replaces DFL — and E2ELoss, which weights the
// one-to-many and one-to-one branches by a schedule that moves toward the one-to-one branch as epochs finish.

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import type { Batch } from '../data/batch.js';
import type { LossGains } from './loss.js';
import { bceWithLogitsSum, DFLoss, paddedTargets } from './loss.js';
import { bboxIou } from './metrics-box.js';
import { type Assignment, bbox2dist, dist2bbox, makeAnchors, TaskAlignedAssigner } from './tal.js';

/** One branch of an end-to-end head in training mode: outputs concatenated over the levels, and the level inputs. */
export interface BranchOutput {
  /** (B, 4·regMax, A) box outputs: ltrb distances in stride units when regMax is 1, DFL bin logits otherwise. */
  boxes: Tensor;
  /** (B, nc, A) class logits. */
  scores: Tensor;
  /** The feature maps the branch read (their shapes give the anchor grid). */
  feats: Tensor[];
}

/** The training output of an end-to-end head: both branches. */
export interface EndToEndOutput {
  one2many: BranchOutput;
  one2one: BranchOutput;
}

/** Head facts the loss reads. */
export interface BranchHeadInfo {
  stride: readonly number[];
  nc: number;
  regMax: number;
}

/** The loss item names of a detection loss, as Ultralytics logs them: the third term is `l1_loss` without DFL. */
export function detectionLossNames(regMax: number): [string, string, string] {
  return ['box_loss', 'cls_loss', regMax > 1 ? 'dfl_loss' : 'l1_loss'];
}

/**
 * Ultralytics 8.4's v8DetectionLoss on one branch: TaskAlignedAssigner (alpha 0.5, beta 6, STAL with the head's
 * strides, `topk`/`topk2`), BCE class loss, CIoU box loss, and DFL (regMax > 1) or the L1 distance term (regMax 1).
 *
 * @example
 * const o2o = new BranchDetectionLoss({ stride: [8, 16, 32], nc: 80, regMax: 1 }, { box: 7.5, cls: 0.5, dfl: 1.5 }, { topk: 7, topk2: 1 });
 * const [vector, items] = o2o.lossVector(output.one2one, batch); // (box, cls, l1) × batch size; items detached
 */
export class BranchDetectionLoss {
  readonly stride: readonly number[];
  readonly nc: number;
  readonly regMax: number;
  readonly hyp: LossGains;
  readonly assigner: TaskAlignedAssigner;
  private readonly dfl: DFLoss | null;
  /** The last call's assignment summary (foreground count, target-score sum), for diagnostics. */
  lastAssignment: { foreground: number; targetScoresSum: number } | null = null;

  constructor(head: BranchHeadInfo, hyp: LossGains, options: { topk?: number; topk2?: number } = {}) {
    for (const key of ['box', 'cls', 'dfl'] as const) {
      if (!Number.isFinite(hyp[key]))
        throw new TypeError(`BranchDetectionLoss: loss gain '${key}' must be a finite number, got ${hyp[key]}`);
    }
    if (head.stride.length === 0) throw new RangeError('BranchDetectionLoss: the head has no strides (was the model stride computed?)');
    this.stride = [...head.stride];
    this.nc = head.nc;
    this.regMax = head.regMax;
    this.hyp = { box: hyp.box, cls: hyp.cls, dfl: hyp.dfl };
    this.assigner = new TaskAlignedAssigner({
      topk: options.topk ?? 10,
      topk2: options.topk2,
      numClasses: head.nc,
      alpha: 0.5,
      beta: 6.0,
      stride: [...head.stride],
    });
    this.dfl = head.regMax > 1 ? new DFLoss(head.regMax) : null;
  }

  /** [loss × batch size (0-d, with gradient), detached (box, cls, dfl|l1) items]. */
  compute(output: BranchOutput, batch: Pick<Batch, 'batchIdx' | 'cls' | 'bboxes'>): [Tensor, Tensor] {
    return torch.tidy(() => {
      const [vector, items] = this.lossVector(output, batch);
      return [vector.sum(), items];
    });
  }

  /** [(box, cls, dfl|l1) with gains, × batch size (with gradient), the same detached and not × batch size]. */
  lossVector(output: BranchOutput, batch: Pick<Batch, 'batchIdx' | 'cls' | 'bboxes'>): [Tensor, Tensor] {
    return torch.tidy(() => {
      const { boxes, scores, feats } = output;
      const batchSize = boxes.shape[0] as number;
      if (boxes.shape[1] !== 4 * this.regMax || scores.shape[1] !== this.nc) {
        throw new RangeError(
          `BranchDetectionLoss: boxes [${boxes.shape}] and scores [${scores.shape}] do not fit (B, ${4 * this.regMax}, A) and (B, ${this.nc}, A)`,
        );
      }
      const predDist = boxes.permute(0, 2, 1).contiguous(); // (B, A, 4·regMax)
      const predScores = scores.permute(0, 2, 1).contiguous(); // (B, A, nc)
      const first = feats[0] as Tensor;
      const [, , h0, w0] = first.shape as [number, number, number, number];
      const stride0 = this.stride[0] as number;
      const [imgH, imgW] = [h0 * stride0, w0 * stride0];
      const [anchorPoints, strideTensor] = makeAnchors(feats, this.stride, 0.5);
      const { gtLabels, gtBboxes } = paddedTargets(batch, batchSize, [imgW, imgH, imgW, imgH], boxes.device, boxes.dtype);
      const maskGt = gtBboxes.sum(2, true).gt(0).to(gtBboxes.dtype);

      const predBboxes = this.decode(anchorPoints, predDist); // xyxy, grid units
      const assignment: Assignment = this.assigner.forward(
        predScores.detach().sigmoid(),
        predBboxes.detach().mul(strideTensor).to(gtBboxes.dtype),
        anchorPoints.mul(strideTensor),
        gtLabels,
        gtBboxes,
        maskGt,
      );
      const { targetBboxes, targetScores, fgMask } = assignment;
      const targetScoresSum = targetScores.sum().clampMin(1);
      this.lastAssignment = { foreground: fgMask.sum().item(), targetScoresSum: targetScores.sum().item() };

      const lossCls = bceWithLogitsSum(predScores, targetScores.to(predScores.dtype)).div(targetScoresSum);
      let lossBox = torch.zeros([], { device: boxes.device });
      let lossDist = torch.zeros([], { device: boxes.device });
      if (fgMask.any().item()) {
        const targets = targetBboxes.div(strideTensor);
        const weight = targetScores.sum(-1).i(fgMask).unsqueeze(-1);
        const iou = bboxIou(predBboxes.i(fgMask), targets.i(fgMask), { xywh: false, kind: 'ciou' });
        lossBox = iou.rsub(1).mul(weight).sum().div(targetScoresSum);
        lossDist = this.distanceTerm(predDist, anchorPoints, targets, strideTensor, fgMask, weight, [imgH, imgW]).div(targetScoresSum);
      }
      const vector = torch.stack([lossBox.mul(this.hyp.box), lossCls.mul(this.hyp.cls), lossDist.mul(this.hyp.dfl)]);
      return [vector.mul(batchSize), vector.detach()];
    });
  }

  /** DFL (regMax > 1), or the L1 between predicted and target ltrb distances in pixels over the image width/height. */
  private distanceTerm(
    predDist: Tensor,
    anchorPoints: Tensor,
    targets: Tensor,
    strideTensor: Tensor,
    fgMask: Tensor,
    weight: Tensor,
    [imgH, imgW]: [number, number],
  ): Tensor {
    if (this.dfl) {
      const targetLtrb = bbox2dist(anchorPoints, targets, this.regMax - 1);
      return this.dfl.compute(predDist.i(fgMask).view(-1, this.regMax), targetLtrb.i(fgMask)).mul(weight).sum();
    }
    // Unclamped ltrb (Ultralytics' bbox2dist without reg_max), to pixels, then l, r over the width and t, b over the height.
    const [x1y1, x2y2] = targets.chunk(2, -1) as [Tensor, Tensor];
    const norm = torch.tensor([imgW, imgH, imgW, imgH], { dtype: predDist.dtype, device: predDist.device });
    const targetLtrb = torch
      .cat([anchorPoints.sub(x1y1), x2y2.sub(anchorPoints)], -1)
      .mul(strideTensor)
      .div(norm);
    const predLtrb = predDist.mul(strideTensor).div(norm);
    return predLtrb.i(fgMask).sub(targetLtrb.i(fgMask)).abs().mean(-1, true).mul(weight).sum();
  }

  /** Box outputs → xyxy boxes in grid units (DFL expectation first when regMax > 1). */
  private decode(anchorPoints: Tensor, predDist: Tensor): Tensor {
    if (this.regMax === 1) return dist2bbox(predDist, anchorPoints, false);
    const [b, a, c] = predDist.shape as [number, number, number];
    const proj = torch.arange(0, this.regMax, 1, { dtype: predDist.dtype, device: predDist.device });
    return dist2bbox(
      predDist
        .view(b, a, 4, c / 4)
        .softmax(3)
        .matmul(proj),
      anchorPoints,
      false,
    );
  }
}

/**
 * Ultralytics 8.4's E2ELoss ("ProgLoss"): one-to-many (topk 10) and one-to-one (topk 7, topk2 1) branch losses,
 * summed with weights w_o2m = max(1 − e/max(epochs − 1, 1), 0)·(0.8 − 0.1) + 0.1 and w_o2o = 1 − w_o2m, e being the
 * number of `update()` calls (the trainer calls it at every epoch end, and sets it when resuming). The logged items
 * are the one-to-one branch's.
 *
 * @example
 * const criterion = new E2ELoss(head, { box: 7.5, cls: 0.5, dfl: 1.5 }, 100);
 * const [loss, items] = criterion.compute(model.call(batch.img), batch);
 * criterion.update(); // after each epoch
 */
export class E2ELoss {
  readonly one2many: BranchDetectionLoss;
  readonly one2one: BranchDetectionLoss;
  /** Epochs finished (update() calls). */
  updates = 0;
  o2m = 0.8;
  o2o = 0.2;
  private readonly initialO2m = 0.8;
  private readonly finalO2m = 0.1;

  constructor(head: BranchHeadInfo, hyp: LossGains, epochs: number | (() => number)) {
    this.epochsOf = typeof epochs === 'number' ? () => epochs : epochs;
    this.checkEpochs();
    this.one2many = new BranchDetectionLoss(head, hyp, { topk: 10 });
    this.one2one = new BranchDetectionLoss(head, hyp, { topk: 7, topk2: 1 });
    this.o2o = 1 - this.o2m;
  }

  /** Moves the weights one epoch along the schedule. */
  update(): void {
    this.setUpdates(this.updates + 1);
  }

  /**
   * The run's epoch count, read at every update: Ultralytics reads `hyp.epochs` there, so a run whose epochs change
   * (a `time` limit, resuming for more epochs) moves along the new schedule. A number, or a function reading it.
   */
  private readonly epochsOf: () => number;

  get epochs(): number {
    return this.epochsOf();
  }

  private checkEpochs(): number {
    const epochs = this.epochsOf();
    if (!Number.isInteger(epochs) || epochs < 1) throw new RangeError(`E2ELoss: epochs must be a positive integer, got ${epochs}`);
    return epochs;
  }

  /** Sets the weights for `updates` finished epochs (resume). */
  setUpdates(updates: number): void {
    this.updates = updates;
    const epochs = this.checkEpochs();
    this.o2m = Math.max(1 - updates / Math.max(epochs - 1, 1), 0) * (this.initialO2m - this.finalO2m) + this.finalO2m;
    this.o2o = Math.max(1 - this.o2m, 0);
  }

  /** [(box, cls, l1) × batch size, weighted sum of both branches (with gradient); the one-to-one items (detached)]. */
  lossVector(preds: EndToEndOutput, batch: Pick<Batch, 'batchIdx' | 'cls' | 'bboxes'>): [Tensor, Tensor] {
    return torch.tidy(() => {
      const [o2m] = this.one2many.lossVector(preds.one2many, batch);
      const [o2o, items] = this.one2one.lossVector(preds.one2one, batch);
      return [o2m.mul(this.o2m).add(o2o.mul(this.o2o)), items];
    });
  }

  /** [loss (0-d, what is backpropagated), the one-to-one items]. */
  compute(preds: EndToEndOutput, batch: Pick<Batch, 'batchIdx' | 'cls' | 'bboxes'>): [Tensor, Tensor] {
    return torch.tidy(() => {
      const [vector, items] = this.lossVector(preds, batch);
      return [vector.sum(), items];
    });
  }
}
