// Box conversions, rescaling and pairwise IoU (Ultralytics' utils/ops.py and metrics.box_iou). Unlike the Python
// originals, which often write into their argument, every function here returns a new tensor.

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { roundHalfEven } from './metric-math.js';

/** Image size as Ultralytics passes it: [height, width]. */
export type ShapeHW = readonly [number, number];

/** Letterbox geometry as Ultralytics' `ratio_pad`: [[gainH, gainW], [padW, padH]]. */
export type RatioPad = readonly [readonly [number, number], readonly [number, number]];

/**
 * Centre-size boxes (..., 4) [x, y, w, h] to corner boxes [x1, y1, x2, y2].
 * @example xywh2xyxy(torch.tensor([[10, 10, 4, 2]])) // [[8, 9, 12, 11]]
 */
export function xywh2xyxy(x: Tensor): Tensor {
  checkLastDim(x, 'xywh2xyxy');
  return torch.tidy(() => {
    const [xy, wh] = x.split(2, -1) as [Tensor, Tensor];
    const half = wh.div(2);
    return torch.cat([xy.sub(half), xy.add(half)], -1);
  });
}

/**
 * Corner boxes (..., 4) [x1, y1, x2, y2] to centre-size boxes [x, y, w, h].
 * @example xyxy2xywh(torch.tensor([[8, 9, 12, 11]])) // [[10, 10, 4, 2]]
 */
export function xyxy2xywh(x: Tensor): Tensor {
  checkLastDim(x, 'xyxy2xywh');
  return torch.tidy(() => {
    const [x1y1, x2y2] = x.split(2, -1) as [Tensor, Tensor];
    return torch.cat([x1y1.add(x2y2).div(2), x2y2.sub(x1y1)], -1);
  });
}

/**
 * Clamps the first four columns (x1, y1, x2, y2) of `boxes` (..., >=4) to an image of `shape` [h, w]; other columns
 * (conf, cls, …) pass through.
 * @example clipBoxes(dets, [480, 640])
 */
export function clipBoxes(boxes: Tensor, shape: ShapeHW): Tensor {
  return torch.tidy(() => {
    const [h, w] = shape;
    const upper = torch.tensor([w, h, w, h], { dtype: boxes.dtype, device: boxes.device });
    return mapFirstFour(boxes, (xyxy) => xyxy.clamp(torch.zerosLike(upper), upper));
  });
}

/**
 * Maps xyxy boxes (..., >=4) from the letterboxed image `img1Shape` [h, w] back to the original image `img0Shape`:
 * removes the padding, divides by the gain and clips. `ratioPad` (the dataset's value) takes precedence over
 * recomputing the letterbox geometry, as in Ultralytics' `scale_boxes`.
 * @example scaleBoxes([640, 640], dets, [480, 640]) // letterboxed 640x640 → original 480x640
 */
export function scaleBoxes(
  img1Shape: ShapeHW,
  boxes: Tensor,
  img0Shape: ShapeHW,
  options: { ratioPad?: RatioPad; padding?: boolean } = {},
): Tensor {
  const { ratioPad, padding = true } = options;
  let gain: number;
  let padW: number;
  let padH: number;
  if (ratioPad === undefined) {
    gain = Math.min(img1Shape[0] / img0Shape[0], img1Shape[1] / img0Shape[1]);
    padW = roundHalfEven((img1Shape[1] - img0Shape[1] * gain) / 2 - 0.1);
    padH = roundHalfEven((img1Shape[0] - img0Shape[0] * gain) / 2 - 0.1);
  } else {
    gain = ratioPad[0][0];
    [padW, padH] = ratioPad[1];
  }
  return torch.tidy(() => {
    const scaled = mapFirstFour(boxes, (xyxy) => {
      const shifted = padding ? xyxy.sub(torch.tensor([padW, padH, padW, padH], { dtype: xyxy.dtype, device: xyxy.device })) : xyxy;
      return shifted.div(gain);
    });
    return clipBoxes(scaled, img0Shape);
  });
}

/**
 * Pairwise IoU of xyxy boxes `box1` (N, 4) and `box2` (M, 4) → (N, M), with Ultralytics' eps in the denominator.
 * @example boxIou(gt, dets).gt(0.5)
 */
export function boxIou(box1: Tensor, box2: Tensor, eps = 1e-7): Tensor {
  return torch.tidy(() => {
    const [a1, a2] = box1.unsqueeze(1).chunk(2, 2) as [Tensor, Tensor];
    const [b1, b2] = box2.unsqueeze(0).chunk(2, 2) as [Tensor, Tensor];
    const inter = a2.minimum(b2).sub(a1.maximum(b1)).clampMin(0).prod(2);
    return inter.div(a2.sub(a1).prod(2).add(b2.sub(b1).prod(2)).sub(inter).add(eps));
  });
}

function checkLastDim(x: Tensor, name: string): void {
  const last = x.shape[x.ndim - 1];
  if (last !== 4) throw new RangeError(`${name}: expected boxes of shape (..., 4), got [${x.shape.join(', ')}]`);
}

function mapFirstFour(boxes: Tensor, fn: (xyxy: Tensor) => Tensor): Tensor {
  const columns = boxes.shape[boxes.ndim - 1] ?? 0;
  if (columns < 4) throw new RangeError(`expected boxes of shape (..., >=4), got [${boxes.shape.join(', ')}]`);
  if (columns === 4) return fn(boxes);
  return torch.cat([fn(boxes.narrow(-1, 0, 4)), boxes.narrow(-1, 4, columns - 4)], -1);
}
