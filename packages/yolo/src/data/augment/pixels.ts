import type { RgbImage } from '../images.js';

/**
 * Pixel kernels for the transforms, on RGB HWC uint8 images. They run in loader worker threads, so they are
 * plain typed-array loops without per-pixel allocation.
 */

/** Pads with a constant grey border (cv2.copyMakeBorder BORDER_CONSTANT). */
export function padImage(src: RgbImage, top: number, bottom: number, left: number, right: number, value = 114): RgbImage {
  const width = src.width + left + right;
  const height = src.height + top + bottom;
  const out = new Uint8Array(height * width * 3).fill(value);
  pasteRegion(out, width, src, 0, 0, src.width, src.height, left, top);
  return { data: out, height, width };
}

/** Copies src[y1:y2, x1:x2] into a canvas of width `canvasWidth` at (dx, dy), row by row. */
export function pasteRegion(
  canvas: Uint8Array,
  canvasWidth: number,
  src: RgbImage,
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  dx: number,
  dy: number,
): void {
  const n = (x2 - x1) * 3;
  if (n <= 0) return;
  for (let y = y1; y < y2; y++) {
    const from = (y * src.width + x1) * 3;
    canvas.set(src.data.subarray(from, from + n), ((dy + y - y1) * canvasWidth + dx) * 3);
  }
}

// OpenCV's remap precision: source positions snap to 1/32 px and bilinear weights are 15-bit integers.
const INTER_BITS = 5;
const INTER_TAB = 1 << INTER_BITS;
const COEF_BITS = 15;
const COEF_ROUND = 1 << (COEF_BITS - 1);
const BILINEAR_TAB = (() => {
  const tab = new Int32Array(INTER_TAB * INTER_TAB * 4);
  for (let fy = 0; fy < INTER_TAB; fy++) {
    for (let fx = 0; fx < INTER_TAB; fx++) {
      const ax = fx / INTER_TAB;
      const ay = fy / INTER_TAB;
      const o = (fy * INTER_TAB + fx) * 4;
      tab[o] = Math.round((1 - ax) * (1 - ay) * (1 << COEF_BITS));
      tab[o + 1] = Math.round(ax * (1 - ay) * (1 << COEF_BITS));
      tab[o + 2] = Math.round((1 - ax) * ay * (1 << COEF_BITS));
      tab[o + 3] = (1 << COEF_BITS) - (tab[o] as number) - tab[o + 1]! - tab[o + 2]!;
    }
  }
  return tab;
})();

/**
 * Warps with a forward 3x3 matrix M (dst = M·src), sampling the source bilinearly through M's inverse; outside
 * pixels read as `border` (cv2.warpAffine / warpPerspective with BORDER_CONSTANT and INTER_LINEAR).
 */
export function warpImage(src: RgbImage, M: Float64Array, width: number, height: number, border = 114): RgbImage {
  const inv = invert3x3(M);
  const out = new Uint8Array(height * width * 3);
  const s = src.data;
  const sw = src.width;
  const sh = src.height;
  const [i0, i1, i2, i3, i4, i5, i6, i7, i8] = inv as unknown as number[] as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const affine = i6 === 0 && i7 === 0 && i8 === 1;
  let o = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let u = i0 * x + i1 * y + i2;
      let v = i3 * x + i4 * y + i5;
      if (!affine) {
        const w = i6 * x + i7 * y + i8;
        u /= w;
        v /= w;
      }
      const ui = Math.round(u * INTER_TAB);
      const vi = Math.round(v * INTER_TAB);
      const x0 = ui >> INTER_BITS;
      const y0 = vi >> INTER_BITS;
      if (x0 < -1 || y0 < -1 || x0 >= sw || y0 >= sh) {
        out[o] = border;
        out[o + 1] = border;
        out[o + 2] = border;
        o += 3;
        continue;
      }
      const t = (((vi & (INTER_TAB - 1)) << INTER_BITS) | (ui & (INTER_TAB - 1))) << 2;
      const w00 = BILINEAR_TAB[t]!;
      const w01 = BILINEAR_TAB[t + 1]!;
      const w10 = BILINEAR_TAB[t + 2]!;
      const w11 = BILINEAR_TAB[t + 3]!;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < sw && y0 + 1 < sh) {
        const p = (y0 * sw + x0) * 3;
        const q = p + sw * 3;
        out[o] = (s[p]! * w00 + s[p + 3]! * w01 + s[q]! * w10 + s[q + 3]! * w11 + COEF_ROUND) >> COEF_BITS;
        out[o + 1] = (s[p + 1]! * w00 + s[p + 4]! * w01 + s[q + 1]! * w10 + s[q + 4]! * w11 + COEF_ROUND) >> COEF_BITS;
        out[o + 2] = (s[p + 2]! * w00 + s[p + 5]! * w01 + s[q + 2]! * w10 + s[q + 5]! * w11 + COEF_ROUND) >> COEF_BITS;
      } else {
        const in0 = y0 >= 0;
        const in1 = y0 + 1 < sh;
        const inL = x0 >= 0;
        const inR = x0 + 1 < sw;
        for (let c = 0; c < 3; c++) {
          const p00 = in0 && inL ? s[(y0 * sw + x0) * 3 + c]! : border;
          const p01 = in0 && inR ? s[(y0 * sw + x0 + 1) * 3 + c]! : border;
          const p10 = in1 && inL ? s[((y0 + 1) * sw + x0) * 3 + c]! : border;
          const p11 = in1 && inR ? s[((y0 + 1) * sw + x0 + 1) * 3 + c]! : border;
          out[o + c] = (p00 * w00 + p01 * w01 + p10 * w10 + p11 * w11 + COEF_ROUND) >> COEF_BITS;
        }
      }
      o += 3;
    }
  }
  return { data: out, height, width };
}

/** Inverse of a row-major 3x3 matrix. */
export function invert3x3(m: Float64Array): Float64Array {
  const [a, b, c, d, e, f, g, h, i] = m as unknown as number[] as [number, number, number, number, number, number, number, number, number];
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (det === 0) throw new Error('warpImage: singular transform');
  return Float64Array.of(
    A / det,
    -(b * i - c * h) / det,
    (b * f - c * e) / det,
    B / det,
    (a * i - c * g) / det,
    -(a * f - c * d) / det,
    C / det,
    -(a * h - b * g) / det,
    (a * e - b * d) / det,
  );
}

/** Mirrors the image left-right in place. */
export function flipHorizontal(img: RgbImage): void {
  const d = img.data;
  for (let y = 0; y < img.height; y++) {
    let l = y * img.width * 3;
    let r = l + (img.width - 1) * 3;
    while (l < r) {
      for (let c = 0; c < 3; c++) {
        const t = d[l + c]!;
        d[l + c] = d[r + c]!;
        d[r + c] = t;
      }
      l += 3;
      r -= 3;
    }
  }
}

/** Mirrors the image up-down in place. */
export function flipVertical(img: RgbImage): void {
  const row = img.width * 3;
  const tmp = new Uint8Array(row);
  for (let top = 0, bot = img.height - 1; top < bot; top++, bot--) {
    tmp.set(img.data.subarray(top * row, top * row + row));
    img.data.copyWithin(top * row, bot * row, bot * row + row);
    img.data.set(tmp, bot * row);
  }
}
