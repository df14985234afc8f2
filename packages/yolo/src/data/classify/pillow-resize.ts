// Pillow's Image.resize(..., BILINEAR) on 8-bit RGB (libImaging/Resample.c, Pillow 9.4): what torchvision's Resize
// and RandomResizedCrop do to a PIL image, reproduced to the bit. A separable triangle filter whose support grows with
// the downscale factor (so shrinking is antialiased), 22-bit fixed-point weights, a horizontal pass then a vertical
// one, each rounded and clipped to uint8. OpenCV's resizers differ by up to 37 grey levels at sharp edges.
import type { RgbImage } from '../images.js';

const PRECISION_BITS = 32 - 8 - 2;
const ROUNDING = 1 << (PRECISION_BITS - 1);

/** Per output pixel: first input index, count, and the fixed-point weights (ksize per pixel). */
interface Coefficients {
  ksize: number;
  bounds: Int32Array;
  weights: Int32Array;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for the bilinear (triangle) filter over [0, inSize). */
function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 1 * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterScale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - center + 0.5) * ss);
      const w = t < 1 ? 1 - t : 0;
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < ksize; x++) {
      const w = x < xmax && ww !== 0 ? (k[x] as number) / ww : 0;
      // C's (int) cast after ±0.5: rounding half away from zero.
      weights[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * (1 << PRECISION_BITS)) : Math.trunc(0.5 + w * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

function clip8(v: number): number {
  const x = v >> PRECISION_BITS;
  return Math.min(Math.max(x, 0), 255);
}

/**
 * Resizes an RGB image to `height` × `width` exactly as Pillow's BILINEAR resample does (horizontal pass first,
 * only over the rows the vertical pass reads, then vertical). The image itself when the size is unchanged.
 *
 * @example
 * const small = pillowResizeBilinear(img, 64, 68); // what PIL's img.resize((68, 64), Image.BILINEAR) gives
 */
export function pillowResizeBilinear(src: RgbImage, height: number, width: number): RgbImage {
  if (height === src.height && width === src.width) return src;
  if (height < 1 || width < 1) throw new RangeError(`pillowResizeBilinear: target size ${height}x${width} must be at least 1x1`);
  const needH = width !== src.width;
  const needV = height !== src.height;
  const horiz = coefficients(src.width, width);
  const vert = coefficients(src.height, height);
  let img = src;
  let rowOffset = 0;
  if (needH) {
    // Only the source rows the vertical pass will read (Pillow's ybox_first..ybox_last).
    const first = needV ? (vert.bounds[0] as number) : 0;
    const last = needV ? (vert.bounds[height * 2 - 2] as number) + (vert.bounds[height * 2 - 1] as number) : src.height;
    const rows = last - first;
    const out = new Uint8Array(rows * width * 3);
    const { ksize, bounds, weights } = horiz;
    for (let y = 0; y < rows; y++) {
      const inRow = (y + first) * src.width * 3;
      for (let xx = 0; xx < width; xx++) {
        const xmin = bounds[xx * 2] as number;
        const xmax = bounds[xx * 2 + 1] as number;
        let r = ROUNDING;
        let g = ROUNDING;
        let b = ROUNDING;
        for (let x = 0; x < xmax; x++) {
          const w = weights[xx * ksize + x] as number;
          const p = inRow + (x + xmin) * 3;
          r += (src.data[p] as number) * w;
          g += (src.data[p + 1] as number) * w;
          b += (src.data[p + 2] as number) * w;
        }
        const o = (y * width + xx) * 3;
        out[o] = clip8(r);
        out[o + 1] = clip8(g);
        out[o + 2] = clip8(b);
      }
    }
    img = { data: out, height: rows, width };
    rowOffset = first;
  }
  if (!needV) return img;
  const out = new Uint8Array(height * width * 3);
  const { ksize, bounds, weights } = vert;
  const stride = width * 3;
  for (let yy = 0; yy < height; yy++) {
    const ymin = (bounds[yy * 2] as number) - rowOffset;
    const ymax = bounds[yy * 2 + 1] as number;
    for (let i = 0; i < stride; i++) {
      let s = ROUNDING;
      for (let y = 0; y < ymax; y++) s += (img.data[(y + ymin) * stride + i] as number) * (weights[yy * ksize + y] as number);
      out[yy * stride + i] = clip8(s);
    }
  }
  return { data: out, height, width };
}

/** A `height` × `width` window of `src` at (`top`, `left`), inside the image (PIL's crop within bounds). */
export function cropImage(src: RgbImage, top: number, left: number, height: number, width: number): RgbImage {
  if (top < 0 || left < 0 || top + height > src.height || left + width > src.width)
    throw new RangeError(`cropImage: window ${height}x${width} at (${top}, ${left}) leaves the ${src.height}x${src.width} image`);
  const out = new Uint8Array(height * width * 3);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * src.width + left) * 3;
    out.set(src.data.subarray(from, from + width * 3), y * width * 3);
  }
  return { data: out, height, width };
}
