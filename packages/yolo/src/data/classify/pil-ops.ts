// The PIL image operations torchvision's RandAugment and ColorJitter apply to a PIL image (torchvision 0.14's
// functional_pil on Pillow 9.4: ImageEnhance, ImageOps, Image.transform AFFINE with bilinear sampling), on 8-bit RGB.
import type { RgbImage } from '../images.js';

const clampByte = (v: number): number => Math.min(Math.max(v, 0), 255);

/** Image.blend(a, b, alpha): a + alpha·(b − a), truncated (clipped to 0..255 when extrapolating, as Pillow's C code). */
export function blend(a: Uint8Array, b: Uint8Array, alpha: number): Uint8Array {
  const out = new Uint8Array(a.length);
  const f = Math.fround(alpha);
  for (let i = 0; i < a.length; i++) out[i] = clampByte(Math.trunc((a[i] as number) + f * ((b[i] as number) - (a[i] as number))));
  return out;
}

/** The L (luma) value of each pixel, ITU-R 601-2 in Pillow's fixed point. */
function luma(img: RgbImage): Uint8Array {
  const n = img.height * img.width;
  const out = new Uint8Array(n);
  const d = img.data;
  for (let i = 0; i < n; i++)
    out[i] = ((d[i * 3] as number) * 19595 + (d[i * 3 + 1] as number) * 38470 + (d[i * 3 + 2] as number) * 7471 + 0x8000) >>> 16;
  return out;
}

const withData = (img: RgbImage, data: Uint8Array): RgbImage => ({ data, height: img.height, width: img.width });

/** ImageEnhance.Brightness(img).enhance(factor): a blend with black. */
export function adjustBrightness(img: RgbImage, factor: number): RgbImage {
  return withData(img, blend(new Uint8Array(img.data.length), img.data, factor));
}

/** ImageEnhance.Color (saturation): a blend with the image's greyscale. */
export function adjustSaturation(img: RgbImage, factor: number): RgbImage {
  const l = luma(img);
  const grey = new Uint8Array(img.data.length);
  for (let i = 0; i < l.length; i++) grey.fill(l[i] as number, i * 3, i * 3 + 3);
  return withData(img, blend(grey, img.data, factor));
}

/** ImageEnhance.Contrast: a blend with the mean grey level (rounded). */
export function adjustContrast(img: RgbImage, factor: number): RgbImage {
  const l = luma(img);
  let sum = 0;
  for (const v of l) sum += v;
  const mean = Math.trunc(sum / Math.max(l.length, 1) + 0.5);
  return withData(img, blend(new Uint8Array(img.data.length).fill(mean), img.data, factor));
}

/** ImageEnhance.Sharpness: a blend with ImageFilter.SMOOTH (3×3, centre 5, others 1, /13; border pixels kept). */
export function adjustSharpness(img: RgbImage, factor: number): RgbImage {
  const { height: h, width: w, data } = img;
  const smooth = new Uint8Array(data);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) s += (data[((y + dy) * w + x + dx) * 3 + c] as number) * (dx === 0 && dy === 0 ? 5 : 1);
        smooth[(y * w + x) * 3 + c] = clampByte(Math.round(s / 13));
      }
    }
  }
  return withData(img, blend(smooth, data, factor));
}

/** ImageOps.posterize: keep the top `bits` bits of each channel. */
export function posterize(img: RgbImage, bits: number): RgbImage {
  const mask = ~((1 << (8 - bits)) - 1) & 0xff;
  return withData(
    img,
    img.data.map((v) => v & mask),
  );
}

/** ImageOps.solarize: invert the values at or above `threshold`. */
export function solarize(img: RgbImage, threshold: number): RgbImage {
  return withData(
    img,
    img.data.map((v) => (v < threshold ? v : 255 - v)),
  );
}

/** Applies one 256-entry lookup table per channel. */
function applyLuts(img: RgbImage, luts: Uint8Array[]): RgbImage {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = (luts[i % 3] as Uint8Array)[img.data[i] as number] as number;
  return withData(img, out);
}

function histograms(img: RgbImage): Float64Array[] {
  const h = [new Float64Array(256), new Float64Array(256), new Float64Array(256)];
  for (let i = 0; i < img.data.length; i++) {
    const channel = h[i % 3] as Float64Array;
    const v = img.data[i] as number;
    channel[v] = (channel[v] as number) + 1;
  }
  return h;
}

/** ImageOps.autocontrast (cutoff 0): each channel stretched so its darkest value is 0 and its brightest 255. */
export function autocontrast(img: RgbImage): RgbImage {
  const luts = histograms(img).map((h) => {
    const lut = new Uint8Array(256);
    let lo = 0;
    while (lo < 255 && h[lo] === 0) lo++;
    let hi = 255;
    while (hi > 0 && h[hi] === 0) hi--;
    for (let i = 0; i < 256; i++) {
      if (hi <= lo) lut[i] = i;
      else {
        const scale = 255 / (hi - lo);
        lut[i] = clampByte(Math.trunc(i * scale - lo * scale));
      }
    }
    return lut;
  });
  return applyLuts(img, luts);
}

/** ImageOps.equalize: each channel's histogram equalised with PIL's step rule. */
export function equalize(img: RgbImage): RgbImage {
  const luts = histograms(img).map((h) => {
    const lut = new Uint8Array(256);
    const used = [...h].filter((v) => v > 0);
    const step = used.length <= 1 ? 0 : Math.floor(((used.reduce((a, b) => a + b, 0) as number) - (used[used.length - 1] as number)) / 255);
    if (!step) {
      for (let i = 0; i < 256; i++) lut[i] = i;
      return lut;
    }
    let n = Math.floor(step / 2);
    for (let i = 0; i < 256; i++) {
      lut[i] = Math.min(Math.floor(n / step), 255);
      n += h[i] as number;
    }
    return lut;
  });
  return applyLuts(img, luts);
}

/**
 * Image.transform(size, AFFINE, [a, b, c, d, e, f], BILINEAR): output pixel centre (x, y) samples the input at
 * (a·x + b·y + c, d·x + e·y + f) bilinearly (neighbours clamped); samples outside the input are `fill` (0, black).
 */
export function affineTransform(img: RgbImage, m: readonly number[]): RgbImage {
  const [a, b, c, d, e, f] = m as [number, number, number, number, number, number];
  const { height: h, width: w, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let xin = a * (x + 0.5) + b * (y + 0.5) + c;
      let yin = d * (x + 0.5) + e * (y + 0.5) + f;
      if (xin < 0 || xin >= w || yin < 0 || yin >= h) continue;
      xin -= 0.5;
      yin -= 0.5;
      const x0 = Math.floor(xin);
      const y0 = Math.floor(yin);
      const dx = xin - x0;
      const dy = yin - y0;
      // Neighbours clamped to the image, as Pillow's XCLIP/YCLIP.
      const xa = Math.max(x0, 0) * 3;
      const xb = Math.min(x0 + 1, w - 1) * 3;
      const ya = Math.max(y0, 0) * w * 3;
      const yb = Math.min(y0 + 1, h - 1) * w * 3;
      const o = (y * w + x) * 3;
      for (let ch = 0; ch < 3; ch++) {
        const p00 = data[ya + xa + ch]!;
        const p01 = data[ya + xb + ch]!;
        const p10 = data[yb + xa + ch]!;
        const p11 = data[yb + xb + ch]!;
        const top = p00 + (p01 - p00) * dx;
        const bottom = p10 + (p11 - p10) * dx;
        out[o + ch] = clampByte(Math.round(top + (bottom - top) * dy));
      }
    }
  }
  return withData(img, out);
}

/** torchvision's _get_inverse_affine_matrix (angle and shear in degrees). */
export function inverseAffineMatrix(
  center: readonly [number, number],
  angle: number,
  translate: readonly [number, number],
  scale: number,
  shear: readonly [number, number],
): number[] {
  const rot = (angle * Math.PI) / 180;
  const sx = (shear[0] * Math.PI) / 180;
  const sy = (shear[1] * Math.PI) / 180;
  const [cx, cy] = center;
  const [tx, ty] = translate;
  const a = Math.cos(rot - sy) / Math.cos(sy);
  const b = (-Math.cos(rot - sy) * Math.tan(sx)) / Math.cos(sy) - Math.sin(rot);
  const c = Math.sin(rot - sy) / Math.cos(sy);
  const d = (-Math.sin(rot - sy) * Math.tan(sx)) / Math.cos(sy) + Math.cos(rot);
  const m = [d, -b, 0, -c, a, 0].map((v) => v / scale) as [number, number, number, number, number, number];
  m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty);
  m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty);
  m[2] += cx;
  m[5] += cy;
  return m;
}

/** PIL's Image.rotate(angle, BILINEAR) about the image centre, same size, corners filled with black. */
export function rotate(img: RgbImage, angle: number): RgbImage {
  const r = (-angle * Math.PI) / 180;
  const round15 = (v: number) => Math.round(v * 1e15) / 1e15;
  const m = [round15(Math.cos(r)), round15(Math.sin(r)), 0, round15(-Math.sin(r)), round15(Math.cos(r)), 0];
  const [cx, cy] = [img.width / 2, img.height / 2];
  const [a, b, , d, e] = m as [number, number, number, number, number, number];
  m[2] = a * -cx + b * -cy + cx;
  m[5] = d * -cx + e * -cy + cy;
  return affineTransform(img, m);
}

/**
 * torchvision's adjust_hue on a PIL image: to PIL's HSV (8-bit hue), hue shifted by hue_factor·255 with uint8
 * wrap-around, back to RGB.
 */
export function adjustHue(img: RgbImage, hueFactor: number): RgbImage {
  const shift = (((Math.trunc(hueFactor * 255) % 256) + 256) % 256) as number;
  const d = img.data;
  const out = new Uint8Array(d.length);
  for (let i = 0; i < d.length; i += 3) {
    const r = d[i] as number;
    const g = d[i + 1] as number;
    const b = d[i + 2] as number;
    const maxc = Math.max(r, g, b);
    const minc = Math.min(r, g, b);
    let h = 0;
    let s = 0;
    if (maxc !== minc) {
      const cr = maxc - minc;
      s = Math.min(Math.trunc((cr / maxc) * 255), 255);
      const rc = (maxc - r) / cr;
      const gc = (maxc - g) / cr;
      const bc = (maxc - b) / cr;
      let hf = r === maxc ? bc - gc : g === maxc ? 2 + rc - bc : 4 + gc - rc;
      hf = (hf / 6 + 1) % 1;
      h = Math.min(Math.trunc(hf * 255), 255);
    }
    h = (h + shift) & 0xff;
    const v = maxc;
    if (s === 0) {
      out[i] = v;
      out[i + 1] = v;
      out[i + 2] = v;
      continue;
    }
    const sector = Math.floor((h * 6) / 255);
    const f = (h * 6) / 255 - sector;
    const fs = s / 255;
    const p = Math.min(Math.max(Math.round(v * (1 - fs)), 0), 255);
    const q = Math.min(Math.max(Math.round(v * (1 - fs * f)), 0), 255);
    const t = Math.min(Math.max(Math.round(v * (1 - fs * (1 - f))), 0), 255);
    const rgb = [
      [v, t, p],
      [q, v, p],
      [p, v, t],
      [p, q, v],
      [t, p, v],
      [v, p, q],
    ][sector % 6] as [number, number, number];
    out[i] = rgb[0];
    out[i + 1] = rgb[1];
    out[i + 2] = rgb[2];
  }
  return withData(img, out);
}
