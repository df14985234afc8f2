// Mask operations of Ultralytics' utils/ops.py: crop_mask, process_mask (validator and predictor),
// process_mask_native, scale_masks; and metrics.mask_iou. Every function returns new tensors.

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { findExternalContours } from './contours.js';
import type { ShapeHW } from './ops.js';

/**
 * Zeroes each mask (n, h, w) outside its box (n, 4) xyxy in mask pixels: keeps column index c with x1 ≤ c < x2 and
 * row index r with y1 ≤ r < y2 (indices compared with the box, not pixel centres).
 * @example cropMask(masks, boxes) // same shape as masks
 */
export function cropMask(masks: Tensor, boxes: Tensor): Tensor {
  return torch.tidy(() => {
    const [, h, w] = masks.shape as [number, number, number];
    const [x1, y1, x2, y2] = boxes.unsqueeze(2).chunk(4, 1) as [Tensor, Tensor, Tensor, Tensor]; // (n, 1, 1)
    const r = torch.arange(0, w, 1, { dtype: x1.dtype, device: masks.device }).view(1, 1, w);
    const c = torch.arange(0, h, 1, { dtype: x1.dtype, device: masks.device }).view(1, h, 1);
    const inside = r.ge(x1).logicalAnd(r.lt(x2)).logicalAnd(c.ge(y1)).logicalAnd(c.lt(y2));
    return masks.mul(inside);
  });
}

/** Mask logits (n, mh, mw): coefficients (n, nm) times the prototypes (nm, mh, mw). */
export function maskLogits(protos: Tensor, coefficients: Tensor): Tensor {
  return torch.tidy(() => {
    const [c, mh, mw] = protos.shape as [number, number, number];
    return coefficients.matmul(protos.float().view(c, -1)).view(-1, mh, mw);
  });
}

/**
 * Ultralytics' process_mask: masks of the detections `bboxes` (n, 4) xyxy in input pixels of an input of `shape`
 * [h, w]. The logits are cropped to the boxes at prototype resolution; with `upsample` they are then resized
 * bilinearly to the input size. Returns (n, mh, mw) or (n, h, w) bool masks (logit > 0).
 * @example processMask(protos[0], dets.narrow(1, 6, 32), dets.narrow(1, 0, 4), [640, 640], true)
 */
export function processMask(protos: Tensor, coefficients: Tensor, bboxes: Tensor, shape: ShapeHW, upsample = false): Tensor {
  return torch.tidy(() => {
    const [, mh, mw] = protos.shape as [number, number, number];
    const [ih, iw] = shape;
    const masks = maskLogits(protos, coefficients);
    const scale = torch.tensor([mw / iw, mh / ih, mw / iw, mh / ih], { dtype: bboxes.dtype, device: bboxes.device });
    let cropped = cropMask(masks, bboxes.mul(scale));
    if (upsample) cropped = torch.F.interpolate(cropped.unsqueeze(0), { size: [ih, iw], mode: 'bilinear', alignCorners: false }).squeeze(0);
    return cropped.gt(0);
  });
}

/**
 * Ultralytics' process_mask_native: the logits resized to the original image `shape` [h, w] (`scaleMasks`), then
 * cropped with `bboxes` in original-image pixels. Returns (n, h, w) bool masks.
 */
export function processMaskNative(protos: Tensor, coefficients: Tensor, bboxes: Tensor, shape: ShapeHW): Tensor {
  return torch.tidy(() => {
    const masks = scaleMasks(maskLogits(protos, coefficients).unsqueeze(0), shape).squeeze(0);
    return cropMask(masks, bboxes).gt(0);
  });
}

/**
 * Ultralytics' scale_masks: masks (B, n, mh, mw) of a letterboxed input → the original image `shape` [h, w]: the
 * letterbox padding (recomputed from the sizes, or `padding` false for none) is cut away and the rest resized
 * bilinearly.
 */
export function scaleMasks(masks: Tensor, shape: ShapeHW, padding = true): Tensor {
  return torch.tidy(() => {
    const [, , mh, mw] = masks.shape as [number, number, number, number];
    const [h0, w0] = shape;
    const gain = Math.min(mh / h0, mw / w0);
    let padW = mw - w0 * gain;
    let padH = mh - h0 * gain;
    if (padding) {
      padW /= 2;
      padH /= 2;
    }
    const top = padding ? Math.trunc(padH) : 0;
    const left = padding ? Math.trunc(padW) : 0;
    const bottom = Math.trunc(mh - padH);
    const right = Math.trunc(mw - padW);
    const cut = masks.narrow(2, top, bottom - top).narrow(3, left, right - left);
    return torch.F.interpolate(cut, { size: [h0, w0], mode: 'bilinear', alignCorners: false });
  });
}

/**
 * Ultralytics' mask_iou: IoU of flattened masks `mask1` (n, p) and `mask2` (m, p) → (n, m): intersection as a
 * matrix product, ÷ (union + eps).
 */
export function maskIou(mask1: Tensor, mask2: Tensor, eps = 1e-7): Tensor {
  return torch.tidy(() => {
    const a = mask1.float();
    const b = mask2.float();
    const intersection = a.matmul(b.t()).clampMin(0);
    const union = a.sum(1).unsqueeze(1).add(b.sum(1).unsqueeze(0)).sub(intersection);
    return intersection.div(union.add(eps));
  });
}

/**
 * Ultralytics' masks2segments: each mask (h, w, row-major 0/1) → the points of its outer contour with the most
 * points ('largest') or all of them concatenated ('concat'); an empty (0 × 2) array for an empty mask. float32 (x, y).
 */
export function masks2segments(
  masks: Uint8Array,
  shape: readonly [number, number, number],
  strategy: 'largest' | 'concat' = 'largest',
): Float32Array[] {
  const [n, h, w] = shape;
  const out: Float32Array[] = [];
  for (let i = 0; i < n; i++) {
    const contours = findExternalContours(masks.subarray(i * h * w, (i + 1) * h * w), h, w);
    if (contours.length === 0) {
      out.push(new Float32Array(0));
    } else if (strategy === 'concat') {
      out.push(Float32Array.from(contours.flatMap((c) => Array.from(c))));
    } else {
      // The first contour with the most points (numpy argmax).
      let best = contours[0]!;
      for (const c of contours) if (c.length > best.length) best = c;
      out.push(Float32Array.from(best));
    }
  }
  return out;
}

/**
 * Ultralytics' scale_coords: points (flat x, y) of an image of `img1Shape` [h, w], letterboxed from `img0Shape`,
 * back to `img0Shape` pixels (padding from the sizes, not rounded; ÷ gain; clipped), divided by its size with
 * `normalize`. float32 in and out.
 */
export function scaleCoords(img1Shape: ShapeHW, coords: Float32Array, img0Shape: ShapeHW, normalize = false): Float32Array {
  const gain = Math.min(img1Shape[0] / img0Shape[0], img1Shape[1] / img0Shape[1]);
  const padW = (img1Shape[1] - img0Shape[1] * gain) / 2;
  const padH = (img1Shape[0] - img0Shape[0] * gain) / 2;
  const [h0, w0] = img0Shape;
  const f32 = Math.fround;
  const out = new Float32Array(coords.length);
  for (let i = 0; i < coords.length; i += 2) {
    const x = Math.min(Math.max(f32(f32(coords[i]! - f32(padW)) / f32(gain)), 0), w0);
    const y = Math.min(Math.max(f32(f32(coords[i + 1]! - f32(padH)) / f32(gain)), 0), h0);
    out[i] = normalize ? x / w0 : x;
    out[i + 1] = normalize ? y / h0 : y;
  }
  return out;
}
