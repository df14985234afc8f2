// Elementwise box IoU and its GIoU / DIoU / CIoU variants (Ultralytics' metrics.bbox_iou), used by the assigner and
// the box loss. The operation order follows Ultralytics' so float32 results match it bit for bit.

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';

/** Which IoU `bboxIou` returns: plain, generalised, distance or complete IoU. */
export type IouKind = 'iou' | 'giou' | 'diou' | 'ciou';

/**
 * IoU of boxes `box1` and `box2` (broadcastable, last dim 4) → (..., 1). `xywh` says whether boxes are centre-size
 * (default, as Ultralytics) or corners. CIoU's trade-off factor alpha is computed without gradient, as in Ultralytics.
 * @example bboxIou(pred, target, { xywh: false, kind: 'ciou' }) // (n, 1)
 */
export function bboxIou(box1: Tensor, box2: Tensor, options: { xywh?: boolean; kind?: IouKind; eps?: number } = {}): Tensor {
  const { xywh = true, kind = 'iou', eps = 1e-7 } = options;
  return torch.tidy(() => {
    let b1x1: Tensor, b1y1: Tensor, b1x2: Tensor, b1y2: Tensor, b2x1: Tensor, b2y1: Tensor, b2x2: Tensor, b2y2: Tensor;
    let w1: Tensor, h1: Tensor, w2: Tensor, h2: Tensor;
    if (xywh) {
      const [x1, y1, bw1, bh1] = box1.chunk(4, -1) as [Tensor, Tensor, Tensor, Tensor];
      const [x2, y2, bw2, bh2] = box2.chunk(4, -1) as [Tensor, Tensor, Tensor, Tensor];
      [w1, h1, w2, h2] = [bw1, bh1, bw2, bh2];
      const [hw1, hh1, hw2, hh2] = [bw1.div(2), bh1.div(2), bw2.div(2), bh2.div(2)];
      [b1x1, b1x2, b1y1, b1y2] = [x1.sub(hw1), x1.add(hw1), y1.sub(hh1), y1.add(hh1)];
      [b2x1, b2x2, b2y1, b2y2] = [x2.sub(hw2), x2.add(hw2), y2.sub(hh2), y2.add(hh2)];
    } else {
      [b1x1, b1y1, b1x2, b1y2] = box1.chunk(4, -1) as [Tensor, Tensor, Tensor, Tensor];
      [b2x1, b2y1, b2x2, b2y2] = box2.chunk(4, -1) as [Tensor, Tensor, Tensor, Tensor];
      [w1, h1] = [b1x2.sub(b1x1), b1y2.sub(b1y1).add(eps)];
      [w2, h2] = [b2x2.sub(b2x1), b2y2.sub(b2y1).add(eps)];
    }
    const inter = b1x2
      .minimum(b2x2)
      .sub(b1x1.maximum(b2x1))
      .clampMin(0)
      .mul(b1y2.minimum(b2y2).sub(b1y1.maximum(b2y1)).clampMin(0));
    const union = w1.mul(h1).add(w2.mul(h2)).sub(inter).add(eps);
    const iou = inter.div(union);
    if (kind === 'iou') return iou;

    const cw = b1x2.maximum(b2x2).sub(b1x1.minimum(b2x1)); // enclosing box width
    const ch = b1y2.maximum(b2y2).sub(b1y1.minimum(b2y1));
    if (kind === 'giou') {
      const cArea = cw.mul(ch).add(eps);
      return iou.sub(cArea.sub(union).div(cArea));
    }
    const c2 = cw.pow(2).add(ch.pow(2)).add(eps); // enclosing diagonal squared
    const dx = b2x1.add(b2x2).sub(b1x1).sub(b1x2);
    const dy = b2y1.add(b2y2).sub(b1y1).sub(b1y2);
    const rho2 = dx.pow(2).add(dy.pow(2)).div(4); // centre distance squared
    if (kind === 'diou') return iou.sub(rho2.div(c2));

    const v = w2
      .div(h2)
      .atan()
      .sub(w1.div(h1).atan())
      .pow(2)
      .mul(4 / Math.PI ** 2);
    const alpha = torch.noGrad(() => v.div(v.sub(iou).add(1 + eps)));
    return iou.sub(rho2.div(c2).add(v.mul(alpha)));
  });
}
