// YOLOv8 segmentation loss (Ultralytics' v8SegmentationLoss): the detection terms, plus a mask term on the
// foreground anchors — BCE of each anchor's mask logits (coefficients × prototypes) against its assigned GT mask,
// cropped to the target box, averaged over the whole map and divided by the box's normalised area.

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import type { Batch } from '../data/batch.js';
import { type DetectionHeadInfo, DetectionLoss, type LossGains } from './loss.js';
import { xyxy2xywh } from './ops.js';
import { cropMask } from './ops-mask.js';

/** What the segmentation criterion reads of a batch: the detection labels and the GT masks (see `Batch.masks`). */
export type SegmentLossBatch = Pick<Batch, 'batchIdx' | 'cls' | 'bboxes' | 'masks'>;

/**
 * The segmentation criterion. `overlap` says how the batch's masks are laid out (the `overlap_mask` argument).
 * The mask term has the box gain: Ultralytics has no separate one.
 *
 * @example
 * const criterion = new SegmentationLoss({ stride: [8, 16, 32], nc: 80, regMax: 16 }, { box: 7.5, cls: 0.5, dfl: 1.5 }, true);
 * const [loss, items] = criterion.compute(model.call(batch.img), batch); // items: (box, seg, cls, dfl)
 */
export class SegmentationLoss extends DetectionLoss {
  constructor(
    model: DetectionHeadInfo,
    hyp: LossGains,
    readonly overlap = true,
  ) {
    super(model, hyp);
  }

  /**
   * Loss of a segmentation head's training output `[maps, coefficients (B, nm, A), protos (B, nm, h, w)]`.
   * @returns [loss × batch size (0-d, with gradient), detached (box, seg, cls, dfl) items (4,)]
   */
  override compute(preds: Tensor[] | [Tensor[], Tensor, Tensor], batch: SegmentLossBatch): [Tensor, Tensor] {
    const [feats, predMasks, protos] = preds as [Tensor[], Tensor, Tensor];
    if (!Array.isArray(feats) || !(predMasks instanceof torch.Tensor) || !(protos instanceof torch.Tensor)) {
      throw new TypeError('SegmentationLoss: expected the head output [maps, coefficients, protos]');
    }
    const gtMasks = batch.masks;
    if (!(gtMasks instanceof torch.Tensor)) throw new TypeError('SegmentationLoss: the batch has no masks (segment datasets give them)');
    return torch.tidy(() => {
      const terms = this.detectionTerms(feats, batch);
      const coefficients = predMasks.permute(0, 2, 1).contiguous(); // (B, A, nm)
      let lossSeg: Tensor;
      if (terms.anyForeground) {
        const [, , mh, mw] = protos.shape as [number, number, number, number];
        let masks = gtMasks.to({ dtype: 'float32', device: protos.device });
        if (masks.shape[1] !== mh || masks.shape[2] !== mw) {
          masks = torch.F.interpolate(masks.unsqueeze(0), { size: [mh, mw], mode: 'nearest' }).squeeze(0);
        }
        lossSeg = this.segmentationTerm(terms.assignment, masks, batch.batchIdx, protos, coefficients, terms.imgsz);
      } else {
        // Keeps protos and coefficients in the graph (Ultralytics: unused-gradient errors under DDP otherwise).
        lossSeg = protos.mul(0).sum().add(coefficients.mul(0).sum());
      }
      const loss = torch.stack([
        terms.lossBox.mul(this.hyp.box),
        lossSeg.mul(this.hyp.box),
        terms.lossCls.mul(this.hyp.cls),
        terms.lossDfl.mul(this.hyp.dfl),
      ]);
      return [loss.sum().mul(terms.batchSize), loss.detach()];
    });
  }

  /** Ultralytics' calculate_segmentation_loss: per image, the mask loss of its foreground anchors; ÷ all foreground anchors. */
  private segmentationTerm(
    assignment: { fgMask: Tensor; targetGtIdx: Tensor; targetBboxes: Tensor },
    masks: Tensor,
    batchIdx: Tensor,
    protos: Tensor,
    coefficients: Tensor,
    [imgH, imgW]: [number, number],
  ): Tensor {
    const { fgMask, targetGtIdx, targetBboxes } = assignment;
    const [batchSize, , mh, mw] = protos.shape as [number, number, number, number];
    const normalized = targetBboxes.div(torch.tensor([imgW, imgH, imgW, imgH], { dtype: targetBboxes.dtype, device: targetBboxes.device }));
    const areas = xyxy2xywh(normalized).narrow(-1, 2, 2).prod(2); // (B, A)
    const boxesInMask = normalized.mul(torch.tensor([mw, mh, mw, mh], { dtype: normalized.dtype, device: normalized.device }));
    const imageOfLabel = this.overlap ? null : batchIdx.view(-1);
    let loss: Tensor = torch.zeros([], { device: protos.device });
    for (let i = 0; i < batchSize; i++) {
      const fg = fgMask.select(0, i);
      if (!fg.any().item()) {
        loss = loss.add(protos.mul(0).sum()).add(coefficients.mul(0).sum());
        continue;
      }
      const maskIdx = targetGtIdx.select(0, i).i(fg);
      const gtMask = imageOfLabel
        ? masks.i(imageOfLabel.eq(i)).indexSelect(0, maskIdx)
        : masks
            .select(0, i)
            .unsqueeze(0)
            .eq(maskIdx.add(1).view(-1, 1, 1))
            .float();
      loss = loss.add(
        singleMaskLoss(
          gtMask,
          coefficients.select(0, i).i(fg),
          protos.select(0, i),
          boxesInMask.select(0, i).i(fg),
          areas.select(0, i).i(fg),
        ),
      );
    }
    return loss.div(fgMask.sum());
  }
}

/**
 * Ultralytics' single_mask_loss: BCE-with-logits of the masks `pred` (n, nm) × `protos` (nm, h, w) against `gtMask`
 * (n, h, w), cropped to `xyxy` (n, 4, mask pixels), mean over the map, ÷ `area` (n,), summed.
 */
export function singleMaskLoss(gtMask: Tensor, pred: Tensor, protos: Tensor, xyxy: Tensor, area: Tensor): Tensor {
  return torch.tidy(() => {
    const predMask = torch.einsum('in,nhw->ihw', [pred, protos]);
    const bce = torch.F.binaryCrossEntropyWithLogits(predMask, gtMask, { reduction: 'none' });
    return cropMask(bce, xyxy).mean([1, 2]).div(area).sum();
  });
}
