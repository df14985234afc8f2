// The end-to-end head's inference output (Ultralytics 8.4 Detect.postprocess / get_topk_index): the best
// max_det (anchor, class) pairs of the one-to-one branch, sorted by score — no NMS, no confidence threshold.

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';

/**
 * Top-k detections of decoded predictions `preds` (B, A, 4 + nc): boxes (any format, passed through) then scores.
 * Returns (B, k, 6) rows box (4), score, class, sorted by score; k = maxDet when exporting (a constant graph shape),
 * else min(maxDet, A). Two stages as Ultralytics: the k anchors of best max-class score, then the k best of their
 * k·nc scores (an anchor may appear with two classes); `agnostic` keeps each anchor's best class only.
 *
 * @example topkDetections(decoded.permute(0, 2, 1), 80, 300) // (B, 300, 6)
 */
export function topkDetections(preds: Tensor, nc: number, maxDet: number, agnostic = false, exporting = false): Tensor {
  return torch.tidy(() => {
    const anchors = preds.shape[1] as number;
    const [boxes, scores] = preds.split([4, nc], -1) as [Tensor, Tensor];
    const k = exporting ? maxDet : Math.min(maxDet, anchors);
    let best: Tensor;
    let labels: Tensor;
    let index: Tensor;
    if (agnostic) {
      const [maxScores, maxLabels] = scores.maxDim(-1, true);
      [best, index] = maxScores.topk(k, 1);
      labels = maxLabels.gather(1, index).to(preds.dtype);
    } else {
      const [, anchorIdx] = scores.amax(-1).topk(k);
      const candidates = anchorIdx.unsqueeze(-1); // (B, k, 1)
      const [flatScores, flatIdx] = scores
        .gather(1, candidates.repeat([1, 1, nc]))
        .flatten(1)
        .topk(k);
      best = flatScores.unsqueeze(-1);
      labels = flatIdx.remainder(nc).unsqueeze(-1).to(preds.dtype);
      index = candidates.gather(1, flatIdx.div(nc, 'floor').unsqueeze(-1));
    }
    return torch.cat([boxes.gather(1, index.repeat([1, 1, 4])), best, labels], -1);
  });
}
