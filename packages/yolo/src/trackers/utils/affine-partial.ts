// OpenCV's estimateAffinePartial2D(from, to, method=RANSAC) as Ultralytics' GMC calls it (threshold 3 px, 2000
// iterations, confidence 0.99), which opencv.js does not export: a 4-degree-of-freedom similarity (rotation, uniform
// scale, translation) fitted by RANSAC over 2-point samples drawn by OpenCV's own generator (same seed, same
// draws), then refined on the inliers. OpenCV refines with 10 Levenberg-Marquardt steps; the residuals are linear in
// the 4 parameters, so that converges to the least-squares fit computed here in closed form.
import type { Warp } from '../strack.js';

const THRESHOLD = 3;
const MAX_ITERS = 2000;
const CONFIDENCE = 0.99;
const MODEL_POINTS = 2;

/** cv::RNG: multiply-with-carry, 64-bit state, seeded as RANSACPointSetRegistrator seeds it ((uint64)-1). */
class OpenCvRng {
  private state = 0xffffffffffffffffn;

  next(): number {
    this.state = ((this.state & 0xffffffffn) * 4164903690n + (this.state >> 32n)) & 0xffffffffffffffffn;
    return Number(this.state & 0xffffffffn);
  }

  uniform(a: number, b: number): number {
    return a === b ? a : (this.next() % (b - a)) + a;
  }
}

/**
 * The similarity mapping `from` to `to` (flat [x0, y0, x1, y1, …] float32 points) robust to outliers, as a 2×3 warp,
 * or null when fewer than 2 points are given or no sample gives a model.
 *
 * @example
 * estimateAffinePartial2D(Float32Array.from([0, 0, 10, 0]), Float32Array.from([5, 1, 15, 1])); // [1, 0, 5, 0, 1, 1]
 */
export function estimateAffinePartial2D(from: Float32Array, to: Float32Array): Warp | null {
  const count = from.length / 2;
  if (count < MODEL_POINTS || to.length !== from.length) return null;
  let best: Warp | null = null;
  let bestMask = new Uint8Array(count);
  if (count === MODEL_POINTS) {
    best = fromTwoPoints(from, to, 0, 1);
    bestMask.fill(1);
  } else {
    const rng = new OpenCvRng();
    let maxGood = 0;
    let niters = MAX_ITERS;
    const mask = new Uint8Array(count);
    for (let iter = 0; iter < niters; iter++) {
      const i = rng.uniform(0, count);
      let j = rng.uniform(0, count);
      while (j === i) j = rng.uniform(0, count);
      const model = fromTwoPoints(from, to, i, j);
      const good = findInliers(from, to, model, mask);
      if (good > Math.max(maxGood, MODEL_POINTS - 1)) {
        bestMask = mask.slice();
        best = model;
        maxGood = good;
        niters = updateNumIters(CONFIDENCE, (count - good) / count, niters);
      }
    }
  }
  if (best === null) return null;
  return count > MODEL_POINTS ? (leastSquares(from, to, bestMask) ?? best) : best;
}

/** The exact similarity through two correspondences (AffinePartial2DEstimatorCallback::runKernel). */
function fromTwoPoints(from: Float32Array, to: Float32Array, i: number, j: number): Warp {
  const [x1, y1, x2, y2] = [from[2 * i], from[2 * i + 1], from[2 * j], from[2 * j + 1]] as [number, number, number, number];
  const [X1, Y1, X2, Y2] = [to[2 * i], to[2 * i + 1], to[2 * j], to[2 * j + 1]] as [number, number, number, number];
  const d = 1 / ((x1 - x2) * (x1 - x2) + (y1 - y2) * (y1 - y2));
  const [s0, s1, d0, d1] = [x1 - x2, y1 - y2, X1 - X2, Y1 - Y2];
  const a = d * (s0 * d0 + s1 * d1);
  const b = d * (s0 * d1 - s1 * d0);
  return [a, -b, X1 - a * x1 + b * y1, b, a, Y1 - b * x1 - a * y1];
}

/** Marks the points whose float32 squared reprojection error is within THRESHOLD²; returns their number. */
function findInliers(from: Float32Array, to: Float32Array, h: Warp, mask: Uint8Array): number {
  const f = Math.fround;
  const [h0, h1, h2, h3, h4, h5] = h.map(f) as unknown as Warp;
  const limit = THRESHOLD * THRESHOLD;
  let good = 0;
  for (let k = 0; k < mask.length; k++) {
    const x = from[2 * k]!;
    const y = from[2 * k + 1]!;
    const ex = f(f(f(f(h0 * x) + f(h1 * y)) + h2) - to[2 * k]!);
    const ey = f(f(f(f(h3 * x) + f(h4 * y)) + h5) - to[2 * k + 1]!);
    const err = f(f(ex * ex) + f(ey * ey));
    mask[k] = err <= limit ? 1 : 0;
    good += mask[k]!;
  }
  return good;
}

/** cv::RANSACUpdateNumIters. */
function updateNumIters(p: number, ep: number, maxIters: number): number {
  const num = Math.log(Math.max(1 - p, Number.MIN_VALUE));
  const denomBase = 1 - (1 - Math.min(Math.max(ep, 0), 1)) ** MODEL_POINTS;
  if (denomBase < Number.MIN_VALUE) return 0;
  const denom = Math.log(denomBase);
  return denom >= 0 || -num >= maxIters * -denom ? maxIters : Math.round(num / denom);
}

/** The least-squares similarity over the marked points: minimises Σ |(a·x − b·y + tx, b·x + a·y + ty) − (X, Y)|². */
function leastSquares(from: Float32Array, to: Float32Array, mask: Uint8Array): Warp | null {
  let n = 0;
  let [sx, sy, sX, sY, sxx] = [0, 0, 0, 0, 0];
  let [sxX, syY, sxY, syX] = [0, 0, 0, 0];
  for (let k = 0; k < mask.length; k++) {
    if (!mask[k]) continue;
    const [x, y, X, Y] = [from[2 * k], from[2 * k + 1], to[2 * k], to[2 * k + 1]] as [number, number, number, number];
    n++;
    sx += x;
    sy += y;
    sX += X;
    sY += Y;
    sxx += x * x + y * y;
    sxX += x * X;
    syY += y * Y;
    sxY += x * Y;
    syX += y * X;
  }
  if (n < MODEL_POINTS) return null;
  // Centred normal equations: a = Σ(x̃X̃ + ỹỸ) / Σ(x̃² + ỹ²), b = Σ(x̃Ỹ − ỹX̃) / Σ(x̃² + ỹ²).
  const [mx, my, mX, mY] = [sx / n, sy / n, sX / n, sY / n];
  const var_ = sxx - n * (mx * mx + my * my);
  if (!(var_ > 0)) return null;
  const a = (sxX + syY - n * (mx * mX + my * mY)) / var_;
  const b = (sxY - syX - n * (mx * mY - my * mX)) / var_;
  return [a, -b, mX - a * mx + b * my, b, a, mY - b * mx - a * my];
}
