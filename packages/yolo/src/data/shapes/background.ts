/**
 * Textured backgrounds: a two-colour gradient, optional soft waves, per-pixel noise, faint elongated blobs and a few
 * straight lines, all in random colours. The clutter keeps "anything that is not flat" from being a usable cue
 * while containing nothing shaped like an object class (no solid discs or closed polygons).
 */
import type { Random } from './random.js';
import { paintSpans, polygonSpans, type Rgb, type RgbImage } from './raster.js';

/** A uniformly random colour. */
export function randomColor(rng: Random): Rgb {
  return [rng.int(0, 255), rng.int(0, 255), rng.int(0, 255)];
}

const clampByte = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

/** Gradient between two colours along a random direction, plus waves and noise; sets every pixel. */
function paintGradient(image: RgbImage, rng: Random): void {
  const { width, height, data } = image;
  const from = randomColor(rng);
  const to = randomColor(rng);
  const angle = rng.uniform(0, 2 * Math.PI);
  const dx = Math.cos(angle) / Math.hypot(width, height);
  const dy = Math.sin(angle) / Math.hypot(width, height);
  const waveAmplitude = rng.chance(0.5) ? rng.uniform(6, 24) : 0;
  const waveAngle = rng.uniform(0, Math.PI);
  const wavePeriod = rng.uniform(0.1, 0.5) * width;
  const wx = (Math.cos(waveAngle) * 2 * Math.PI) / wavePeriod;
  const wy = (Math.sin(waveAngle) * 2 * Math.PI) / wavePeriod;
  const noise = rng.uniform(3, 18);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = 0.5 + (x - width / 2) * dx + (y - height / 2) * dy;
      const wave = waveAmplitude === 0 ? 0 : waveAmplitude * Math.sin(x * wx + y * wy);
      // One draw per pixel: the top byte is a shared brightness noise, the others tint each channel a little.
      const bits = rng.uint32();
      const shared = ((bits >>> 24) / 255 - 0.5) * 2 * noise + wave;
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const tint = ((((bits >>> (8 * c)) & 255) / 255 - 0.5) * noise) / 2;
        data[o + c] = clampByte(from[c]! + t * (to[c]! - from[c]!) + shared + tint);
      }
    }
  }
}

/** A faint, rotated, elongated Gaussian smudge of colour, blended over the pixels within 3 sigma. */
function paintBlob(image: RgbImage, rng: Random): void {
  const { width, height, data } = image;
  const color = randomColor(rng);
  const cx = rng.uniform(0, width);
  const cy = rng.uniform(0, height);
  const sx = rng.uniform(0.05, 0.3) * width;
  const sy = sx * rng.uniform(0.25, 0.6);
  const angle = rng.uniform(0, Math.PI);
  const peak = rng.uniform(0.15, 0.4);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const reach = 3 * sx;
  for (let y = Math.max(0, Math.floor(cy - reach)); y < Math.min(height, Math.ceil(cy + reach)); y++) {
    for (let x = Math.max(0, Math.floor(cx - reach)); x < Math.min(width, Math.ceil(cx + reach)); x++) {
      const u = ((x - cx) * cos + (y - cy) * sin) / sx;
      const v = (-(x - cx) * sin + (y - cy) * cos) / sy;
      const alpha = peak * Math.exp(-0.5 * (u * u + v * v));
      if (alpha < 0.01) continue;
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        data[o + c] = clampByte(data[o + c]! + alpha * (color[c]! - data[o + c]!));
      }
    }
  }
}

/** A straight line 1-3 px wide running across the image between two random points on or beyond its edges. */
function paintLine(image: RgbImage, rng: Random): void {
  const { width, height } = image;
  const x0 = rng.uniform(-0.2, 1.2) * width;
  const y0 = rng.uniform(-0.2, 1.2) * height;
  const x1 = rng.uniform(-0.2, 1.2) * width;
  const y1 = rng.uniform(-0.2, 1.2) * height;
  const length = Math.hypot(x1 - x0, y1 - y0);
  if (length < 1) return;
  const half = rng.uniform(0.5, 1.5);
  const nx = (-(y1 - y0) / length) * half;
  const ny = ((x1 - x0) / length) * half;
  const quad = polygonSpans(
    [
      [x0 + nx, y0 + ny],
      [x1 + nx, y1 + ny],
      [x1 - nx, y1 - ny],
      [x0 - nx, y0 - ny],
    ],
    width,
    height,
  );
  paintSpans(image, quad, randomColor(rng), rng.uniform(0.4, 1));
}

/**
 * Paints a complete random background over every pixel of image.
 * @example
 * const image = createImage(128, 128);
 * paintBackground(image, createRandom(1));
 */
export function paintBackground(image: RgbImage, rng: Random): void {
  paintGradient(image, rng);
  const blobs = rng.int(0, 4);
  for (let i = 0; i < blobs; i++) paintBlob(image, rng);
  const lines = rng.int(0, 6);
  for (let i = 0; i < lines; i++) paintLine(image, rng);
}
