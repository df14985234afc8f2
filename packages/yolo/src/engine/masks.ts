// Results.masks (Ultralytics' engine/results.py Masks): the predicted masks of one image, and drawing them.
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import type { RgbImage } from '../data/images.js';
import { masks2segments, scaleCoords, scaleMasks } from '../utils/ops-mask.js';
import type { Rgb } from '../utils/plotting/colors.js';
import type { ShapeHW } from './boxes.js';

/**
 * The masks of one image's detections, Ultralytics' `Masks`: N binary masks of the model input's size (the
 * letterboxed image, or the original image with retina_masks), in JS memory. `xy` / `xyn` are their outlines in
 * original-image pixels / normalised, one (points × 2) array per mask; `data` returns a new (N, h, w) float32 tensor
 * owned by the caller.
 *
 * @example
 * const masks = results[0].masks;
 * masks.xy[0]; // Float32Array [x0, y0, x1, y1, …] in original-image pixels
 */
export class Masks {
  private xyCache: Float32Array[] | null = null;

  constructor(
    /** N × h × w values, 0 or 1, row-major. */
    readonly masks: Uint8Array,
    /** [N, h, w]. */
    readonly shape: readonly [number, number, number],
    /** [h, w] of the original image. */
    readonly origShape: ShapeHW,
  ) {
    if (masks.length !== shape[0] * shape[1] * shape[2]) {
      throw new RangeError(`Masks: ${masks.length} values for shape [${shape.join(', ')}]`);
    }
  }

  /** Masks from an (N, h, w) tensor of any dtype (non-zero = inside); the tensor is read, not kept. */
  static fromTensor(data: Tensor, origShape: ShapeHW): Masks {
    if (data.ndim !== 3) throw new RangeError(`Masks: expected an (N, h, w) tensor, got [${data.shape.join(', ')}]`);
    const values = torch.tidy(() => data.ne(0).to({ dtype: 'uint8', device: 'cpu' }).contiguous().toTypedArray() as Uint8Array);
    return new Masks(values, data.shape as [number, number, number], origShape);
  }

  /** Number of masks. */
  get length(): number {
    return this.shape[0];
  }

  /** (N, h, w) float32 0/1 tensor, new on each call. */
  get data(): Tensor {
    return torch.tidy(() => torch.fromTypedArray(this.masks.slice(), [...this.shape]).float());
  }

  /** Each mask's largest outer contour in original-image pixels (flat x, y), as Ultralytics' `Masks.xy`. */
  get xy(): Float32Array[] {
    this.xyCache ??= masks2segments(this.masks, this.shape).map((points) =>
      scaleCoords([this.shape[1], this.shape[2]], points, this.origShape),
    );
    return this.xyCache;
  }

  /** `xy` divided by the original width and height. */
  get xyn(): Float32Array[] {
    const [h, w] = this.origShape;
    return this.xy.map((points) => points.map((v, i) => v / (i % 2 === 0 ? w : h)));
  }

  /** The masks at `indices`, as new Masks. */
  select(indices: readonly number[]): Masks {
    const [n, h, w] = this.shape;
    const out = new Uint8Array(indices.length * h * w);
    indices.forEach((index, k) => {
      const i = index < 0 ? n + index : index;
      if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`Masks: index ${index} is out of range for ${n} masks`);
      out.set(this.masks.subarray(i * h * w, (i + 1) * h * w), k * h * w);
    });
    return new Masks(out, [indices.length, h, w], this.origShape);
  }
}

/**
 * Paints masks over `img` (the original image) as Ultralytics' Annotator.masks blends them: each pixel becomes
 * pixel · Π(1 − α·mᵢ) + maxᵢ(α·mᵢ·colourᵢ). Masks of the letterboxed input are mapped back to the image first
 * (padding cut, bilinear resize, > 0.5).
 */
export function drawMasks(img: RgbImage, masks: Masks, colors: readonly Rgb[], alpha = 0.5): RgbImage {
  const { width, height } = img;
  const n = masks.length;
  if (n === 0) return img;
  const full = torch.tidy(() => {
    const data = masks.data;
    const same = masks.shape[1] === height && masks.shape[2] === width;
    const scaled = same ? data : scaleMasks(data.unsqueeze(0), [height, width]).squeeze(0).gt(0.5);
    return scaled.to({ dtype: 'uint8' }).contiguous().toTypedArray() as Uint8Array;
  });
  const out = Uint8Array.from(img.data);
  const plane = width * height;
  for (let p = 0; p < plane; p++) {
    let keep = 1;
    let r = 0;
    let g = 0;
    let b = 0;
    for (let i = 0; i < n; i++) {
      if (!full[i * plane + p]) continue;
      keep *= 1 - alpha;
      const c = colors[i] ?? [255, 0, 0];
      r = Math.max(r, alpha * c[0]);
      g = Math.max(g, alpha * c[1]);
      b = Math.max(b, alpha * c[2]);
    }
    if (keep === 1) continue;
    out[p * 3] = out[p * 3]! * keep + r;
    out[p * 3 + 1] = out[p * 3 + 1]! * keep + g;
    out[p * 3 + 2] = out[p * 3 + 2]! * keep + b;
  }
  return { data: out, width, height };
}
