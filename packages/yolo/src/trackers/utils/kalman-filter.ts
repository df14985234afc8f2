// Ultralytics' trackers/utils/kalman_filter.py: constant-velocity Kalman filters over an 8-dimensional box state,
// (x, y, a, h, vx, vy, va, vh) for ByteTrack and (x, y, w, h, vx, vy, vw, vh) for BoT-SORT. The noise of each step
// scales with the box size (1/20 of it for positions, 1/160 for velocities). Means are 8 numbers, covariances 8×8
// row-major, all float64 as NumPy computes them.

/** A state estimate: mean (8) and covariance (8×8, row-major). */
export interface Gaussian {
  mean: Float64Array;
  covariance: Float64Array;
}

const NDIM = 4;
const STATE = 2 * NDIM;

/** For ByteTrack: measures (x, y, a, h), centre, aspect ratio w/h and height. */
export class KalmanFilterXYAH {
  protected readonly stdWeightPosition = 1 / 20;
  protected readonly stdWeightVelocity = 1 / 160;

  /** A new track's state from its first measurement; velocities start at 0. */
  initiate(measurement: ArrayLike<number>): Gaussian {
    const mean = new Float64Array(STATE);
    for (let i = 0; i < NDIM; i++) mean[i] = measurement[i]!;
    return { mean, covariance: diagonalSquares(this.initialStd(measurement)) };
  }

  /** The prediction step: mean moved by its velocity, covariance grown by the motion noise. */
  predict(state: Gaussian): Gaussian {
    const { mean, covariance: p } = state;
    const next = new Float64Array(mean);
    for (let i = 0; i < NDIM; i++) next[i] = mean[i]! + mean[i + NDIM]!;
    // F P Fᵀ with F = [[I, I], [0, I]]: rows and columns i < 4 gain their velocity counterparts.
    const fp = new Float64Array(p);
    for (let i = 0; i < NDIM; i++) for (let j = 0; j < STATE; j++) fp[i * STATE + j] = p[i * STATE + j]! + p[(i + NDIM) * STATE + j]!;
    const cov = new Float64Array(fp);
    for (let i = 0; i < STATE; i++) for (let j = 0; j < NDIM; j++) cov[i * STATE + j] = fp[i * STATE + j]! + fp[i * STATE + j + NDIM]!;
    const motion = this.motionStd(mean);
    for (let i = 0; i < STATE; i++) cov[i * STATE + i] = cov[i * STATE + i]! + motion[i]! ** 2;
    return { mean: next, covariance: cov };
  }

  /** The state in measurement space: mean[:4] and covariance[:4, :4] plus the measurement noise. */
  project(state: Gaussian): { mean: Float64Array; covariance: Float64Array } {
    const noise = this.measurementStd(state.mean);
    const mean = state.mean.slice(0, NDIM);
    const cov = new Float64Array(NDIM * NDIM);
    for (let i = 0; i < NDIM; i++) for (let j = 0; j < NDIM; j++) cov[i * NDIM + j] = state.covariance[i * STATE + j]!;
    for (let i = 0; i < NDIM; i++) cov[i * NDIM + i] = cov[i * NDIM + i]! + noise[i]! ** 2;
    return { mean, covariance: cov };
  }

  /** The correction step with a measurement (x, y, a, h) (or (x, y, w, h) for XYWH). */
  update(state: Gaussian, measurement: ArrayLike<number>): Gaussian {
    const projected = this.project(state);
    const p = state.covariance;
    // Kalman gain K = P Hᵀ S⁻¹ (8×4), solved through the Cholesky factor of S as SciPy's cho_solve does.
    const pht = new Float64Array(STATE * NDIM);
    for (let i = 0; i < STATE; i++) for (let j = 0; j < NDIM; j++) pht[i * NDIM + j] = p[i * STATE + j]!;
    const gain = solveRowsSpd(projected.covariance, pht, STATE);
    const innovation = new Float64Array(NDIM);
    for (let j = 0; j < NDIM; j++) innovation[j] = measurement[j]! - projected.mean[j]!;
    const mean = new Float64Array(state.mean);
    for (let i = 0; i < STATE; i++) {
      let s = 0;
      for (let j = 0; j < NDIM; j++) s += gain[i * NDIM + j]! * innovation[j]!;
      mean[i] = mean[i]! + s;
    }
    // P - K S Kᵀ
    const ks = matmul(gain, projected.covariance, STATE, NDIM, NDIM);
    const cov = new Float64Array(p);
    for (let i = 0; i < STATE; i++) {
      for (let j = 0; j < STATE; j++) {
        let s = 0;
        for (let k = 0; k < NDIM; k++) s += ks[i * NDIM + k]! * gain[j * NDIM + k]!;
        cov[i * STATE + j] = cov[i * STATE + j]! - s;
      }
    }
    return { mean, covariance: cov };
  }

  protected initialStd(m: ArrayLike<number>): number[] {
    const h = m[3]!;
    const [wp, wv] = [this.stdWeightPosition, this.stdWeightVelocity];
    return [2 * wp * h, 2 * wp * h, 1e-2, 2 * wp * h, 10 * wv * h, 10 * wv * h, 1e-5, 10 * wv * h];
  }

  protected motionStd(mean: Float64Array): number[] {
    const h = mean[3]!;
    const [wp, wv] = [this.stdWeightPosition, this.stdWeightVelocity];
    return [wp * h, wp * h, 1e-2, wp * h, wv * h, wv * h, 1e-5, wv * h];
  }

  protected measurementStd(mean: Float64Array): number[] {
    const h = mean[3]!;
    return [this.stdWeightPosition * h, this.stdWeightPosition * h, 1e-1, this.stdWeightPosition * h];
  }
}

/** For BoT-SORT: measures (x, y, w, h); the noise of width terms scales with w, of height terms with h. */
export class KalmanFilterXYWH extends KalmanFilterXYAH {
  protected override initialStd(m: ArrayLike<number>): number[] {
    const [w, h] = [m[2]!, m[3]!];
    const [wp, wv] = [this.stdWeightPosition, this.stdWeightVelocity];
    return [2 * wp * w, 2 * wp * h, 2 * wp * w, 2 * wp * h, 10 * wv * w, 10 * wv * h, 10 * wv * w, 10 * wv * h];
  }

  protected override motionStd(mean: Float64Array): number[] {
    const [w, h] = [mean[2]!, mean[3]!];
    const [wp, wv] = [this.stdWeightPosition, this.stdWeightVelocity];
    return [wp * w, wp * h, wp * w, wp * h, wv * w, wv * h, wv * w, wv * h];
  }

  protected override measurementStd(mean: Float64Array): number[] {
    const [w, h] = [mean[2]!, mean[3]!];
    const wp = this.stdWeightPosition;
    return [wp * w, wp * h, wp * w, wp * h];
  }
}

function diagonalSquares(std: readonly number[]): Float64Array {
  const out = new Float64Array(std.length * std.length);
  std.forEach((s, i) => {
    out[i * std.length + i] = s * s;
  });
  return out;
}

/** a (n×k) · b (k×m), row-major. */
function matmul(a: Float64Array, b: Float64Array, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < k; t++) {
      const ait = a[i * k + t]!;
      for (let j = 0; j < m; j++) out[i * m + j] = out[i * m + j]! + ait * b[t * m + j]!;
    }
  }
  return out;
}

/**
 * X = B S⁻¹ for a symmetric positive-definite S (d×d) and B (rows×d): each row of B solved through S's Cholesky
 * factor L (S = L Lᵀ), as SciPy's cho_factor / cho_solve.
 */
function solveRowsSpd(s: Float64Array, b: Float64Array, rows: number): Float64Array {
  const d = Math.round(Math.sqrt(s.length));
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = s[i * d + j]!;
      for (let k = 0; k < j; k++) sum -= l[i * d + k]! * l[j * d + k]!;
      if (i === j) {
        if (!(sum > 0)) throw new Error('Kalman filter: the projected covariance is not positive definite');
        l[i * d + i] = Math.sqrt(sum);
      } else l[i * d + j] = sum / l[j * d + j]!;
    }
  }
  const out = new Float64Array(rows * d);
  const y = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    // S x = b_r (S symmetric, so x = row r of B S⁻¹): forward then back substitution.
    for (let i = 0; i < d; i++) {
      let sum = b[r * d + i]!;
      for (let k = 0; k < i; k++) sum -= l[i * d + k]! * y[k]!;
      y[i] = sum / l[i * d + i]!;
    }
    for (let i = d - 1; i >= 0; i--) {
      let sum = y[i]!;
      for (let k = i + 1; k < d; k++) sum -= l[k * d + i]! * out[r * d + k]!;
      out[r * d + i] = sum / l[i * d + i]!;
    }
  }
  return out;
}
