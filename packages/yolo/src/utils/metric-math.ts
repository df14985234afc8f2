/**
 * The NumPy routines Ultralytics' metrics lean on, reproduced with NumPy's own arithmetic order so results agree
 * to the last bit where it matters (argmax ties, threshold comparisons): linspace, interp, trapz, pairwise sums,
 * the F1 box filter and round-half-to-even.
 *
 * @example
 * const x = linspace(0, 1, 101);
 * trapz(interp(x, recall, precision), x); // area under a precision-recall envelope
 */

/** `np.linspace(start, stop, num)`: `i * step + start`, with the last point exactly `stop`. */
export function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  if (num > 1) out[num - 1] = stop;
  return out;
}

/**
 * `np.interp(x, xp, fp, left, right)` into `out` for an ascending `xp` (the first `n` entries of `xp`/`fp`):
 * below xp[0] → left (fp[0]), above the last → right (the last fp), else linear between the last xp[j] <= x and
 * xp[j+1], with NumPy's formula `slope * (x - xp[j]) + fp[j]`.
 */
export function interp(
  x: ArrayLike<number>,
  xp: ArrayLike<number>,
  fp: ArrayLike<number>,
  n: number,
  out: Float64Array,
  left = fp[0]!,
  right = fp[n - 1]!,
): Float64Array {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (n === 1) {
      out[i] = v < xp[0]! ? left : v > xp[0]! ? right : fp[0]!;
      continue;
    }
    if (v > xp[n - 1]!) {
      out[i] = right;
      continue;
    }
    if (v < xp[0]!) {
      out[i] = left;
      continue;
    }
    // j = last index with xp[j] <= v
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (v >= xp[mid]!) lo = mid + 1;
      else hi = mid;
    }
    const j = lo - 1;
    if (j === n - 1 || xp[j] === v) {
      out[i] = fp[j]!;
      continue;
    }
    const slope = (fp[j + 1]! - fp[j]!) / (xp[j + 1]! - xp[j]!);
    let y = slope * (v - xp[j]!) + fp[j]!;
    if (Number.isNaN(y)) {
      y = slope * (v - xp[j + 1]!) + fp[j + 1]!;
      if (Number.isNaN(y) && fp[j] === fp[j + 1]) y = fp[j]!;
    }
    out[i] = y;
  }
  return out;
}

/**
 * NumPy's float64 `add.reduce` over `n` elements from `offset` with `stride`: pairwise summation in blocks of
 * 128 with eight partial sums, started from 0.
 */
export function pairwiseSum(a: ArrayLike<number>, n = a.length, offset = 0, stride = 1): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[offset + i * stride]!;
    return res;
  }
  if (n <= 128) {
    const r = [0, 0, 0, 0, 0, 0, 0, 0];
    for (let j = 0; j < 8; j++) r[j] = a[offset + j * stride]!;
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j] = r[j]! + a[offset + (i + j) * stride]!;
    }
    let res = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (; i < n; i++) res += a[offset + i * stride]!;
    return res;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return pairwiseSum(a, half, offset, stride) + pairwiseSum(a, n - half, offset + half * stride, stride);
}

/** `np.mean` of the first `n` elements (with `stride`): pairwise sum / n. */
export function mean(a: ArrayLike<number>, n = a.length, offset = 0, stride = 1): number {
  return pairwiseSum(a, n, offset, stride) / n;
}

/** `np.trapz(y, x)`: sum of `(x[i+1] - x[i]) * (y[i+1] + y[i]) / 2`, pairwise-summed. */
export function trapz(y: ArrayLike<number>, x: ArrayLike<number>): number {
  const terms = new Float64Array(y.length - 1);
  for (let i = 0; i < terms.length; i++) terms[i] = ((x[i + 1]! - x[i]!) * (y[i + 1]! + y[i]!)) / 2;
  return pairwiseSum(terms);
}

/**
 * Ultralytics' `smooth(y, f)`: a box filter of odd width `round(len·f·2)//2 + 1` over `y` padded with its end
 * values (`np.convolve(..., mode='valid')`).
 */
export function smooth(y: Float64Array, f = 0.05): Float64Array {
  const nf = Math.floor(roundHalfEven(y.length * f * 2) / 2) + 1;
  const pad = Math.floor(nf / 2);
  const weight = 1 / nf;
  const out = new Float64Array(y.length);
  const at = (k: number) => y[Math.min(Math.max(k - pad, 0), y.length - 1)]!;
  for (let i = 0; i < y.length; i++) {
    let sum = 0;
    for (let k = i; k < i + nf; k++) sum += at(k) * weight;
    out[i] = sum;
  }
  return out;
}

/** `np.argmax`: the first index of the largest value (the first NaN if any). */
export function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]!)) return i;
    if (a[i]! > a[best]!) best = i;
  }
  return best;
}

/** `np.round` / Python `round`: to the nearest integer, halves to even. */
export function roundHalfEven(v: number): number {
  const floor = Math.floor(v);
  const diff = v - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
