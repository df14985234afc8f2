// Ultralytics' v8ClassificationLoss: mean cross-entropy of the class logits against the image classes.
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';

/** The part of a batch the classification loss reads. */
export interface ClassLabels {
  /** (B,) int64 class index of each image. */
  cls: Tensor;
}

/**
 * Cross-entropy over (B, nc) logits, averaged over the batch — not multiplied by the batch size, unlike the
 * detection losses. Returns [loss (with gradient), the same value detached] as every criterion does.
 *
 * @example
 * const [loss, items] = new ClassificationLoss().compute(logits, { cls }); // items: (1,)
 */
export class ClassificationLoss {
  compute(preds: Tensor | Tensor[], batch: ClassLabels): [Tensor, Tensor] {
    // A (features, logits) pair, as some classifiers return, is read by its logits (Ultralytics does the same).
    const logits = Array.isArray(preds) ? (preds[1] as Tensor) : preds;
    const loss = torch.F.crossEntropy(logits, batch.cls, { reduction: 'mean' });
    return [loss, loss.detach()];
  }
}
