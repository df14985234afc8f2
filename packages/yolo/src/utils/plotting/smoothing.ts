import { roundHalfEven } from './python-round.js';

/**
 * Box-filter smoothing over a fraction `f` of the points, with edge padding — Ultralytics' `smooth(y, f=0.05)`,
 * used for the bold "all classes" line of the F1/P/R-confidence curves. Like the original, the output has
 * `n + 2·⌊nf/2⌋ − nf + 1` points for a window of `nf = ⌊round(2nf)/2⌋ + 1`: n when nf is odd, as it is for 1000 points.
 *
 * @example
 * boxSmooth([0, 0, 1, 0, 0], 0.5); // [0, 1/3, 1/3, 1/3, 0]
 */
export function boxSmooth(y: ArrayLike<number>, f = 0.05): Float64Array {
  const n = y.length;
  if (n === 0) return new Float64Array(0);
  const nf = Math.floor(roundHalfEven(n * f * 2) / 2) + 1;
  const half = Math.floor(nf / 2);
  const out = new Float64Array(n + 2 * half - nf + 1);
  const padded = (j: number) => y[Math.min(Math.max(j - half, 0), n - 1)]!;
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (let k = 0; k < nf; k++) sum += padded(i + k);
    out[i] = sum / nf;
  }
  return out;
}

/**
 * Gaussian smoothing like `scipy.ndimage.gaussian_filter1d(y, sigma)` with its defaults (mode 'reflect', kernel
 * truncated at 4σ), used for the dotted "smooth" lines of results.png.
 *
 * @example
 * gaussianFilter1d([1, 1, 1], 3); // [1, 1, 1]
 */
export function gaussianFilter1d(y: ArrayLike<number>, sigma: number): Float64Array {
  const n = y.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  const radius = Math.trunc(4 * sigma + 0.5);
  const weights = Array.from({ length: 2 * radius + 1 }, (_, k) => Math.exp(-0.5 * ((k - radius) / sigma) ** 2));
  const total = weights.reduce((a, b) => a + b, 0);
  // 'reflect' mirrors about the edge, repeating the edge sample: (d c b a | a b c d | d c b a).
  const reflect = (i: number) => {
    const m = ((i % (2 * n)) + 2 * n) % (2 * n);
    return m < n ? m : 2 * n - 1 - m;
  };
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let k = -radius; k <= radius; k++) sum += weights[k + radius]! * y[reflect(i + k)]!;
    out[i] = sum / total;
  }
  return out;
}
