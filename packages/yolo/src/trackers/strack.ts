// Ultralytics' STrack (trackers/byte_tracker.py): one tracked box whose state a Kalman filter carries from frame
// to frame, measured as (x, y, aspect, height).
import { BaseTrack, type IdCounter, TrackState } from './basetrack.js';
import type { KalmanFilterXYAH } from './utils/kalman-filter.js';

/** A 2×3 affine warp [a, b, tx, c, d, ty] (row-major), as the GMC estimates camera motion. */
export type Warp = readonly [number, number, number, number, number, number];

export class STrack extends BaseTrack {
  kalmanFilter: KalmanFilterXYAH | null = null;
  mean: Float64Array | null = null;
  covariance: Float64Array | null = null;
  trackletLen = 0;
  cls: number;
  /** Index of the detection this track was last matched to, within its frame's detections. */
  idx: number;
  /** The detection's box before any filtering, top-left x, y, width, height (float32, as Ultralytics). */
  protected readonly tlwh0: Float32Array;

  /**
   * @param xywh the detection's centre box
   * @param idx its index among the frame's detections (how results are mapped back to tracks)
   */
  constructor(xywh: ArrayLike<number>, score: number, cls: number, idx: number) {
    super();
    const [x, y, w, h] = [xywh[0]!, xywh[1]!, xywh[2]!, xywh[3]!];
    this.tlwh0 = Float32Array.from([x - w / 2, y - h / 2, w, h]);
    this.score = score;
    this.cls = cls;
    this.idx = idx;
  }

  /** Zeroes the velocities a track that is not being tracked should not coast on (vh for XYAH). */
  protected zeroVelocity(mean: Float64Array): void {
    mean[7] = 0;
  }

  /** Predicts the next state of each track with `kf` (Ultralytics' multi_predict). */
  static multiPredict(tracks: readonly STrack[], kf: KalmanFilterXYAH): void {
    for (const t of tracks) {
      const mean = new Float64Array(t.mean as Float64Array);
      if (t.state !== TrackState.Tracked) t.zeroVelocity(mean);
      const next = kf.predict({ mean, covariance: t.covariance as Float64Array });
      t.mean = next.mean;
      t.covariance = next.covariance;
    }
  }

  /** Moves each track's state by the camera motion `h`: positions and velocities rotated, positions translated. */
  static multiGmc(tracks: readonly STrack[], h: Warp): void {
    const r = [h[0], h[1], h[3], h[4]] as const;
    // R8x8 = kron(I4, R): the same 2×2 block on each (x, y) pair of the state.
    const apply = (m: Float64Array, i: number, j: number): number => {
      let s = 0;
      for (let k = 0; k < 8; k++) s += r8(i, k, r) * m[k * 8 + j]!;
      return s;
    };
    for (const t of tracks) {
      const mean = t.mean as Float64Array;
      const next = new Float64Array(8);
      for (let i = 0; i < 8; i++) {
        let s = 0;
        for (let k = 0; k < 8; k++) s += r8(i, k, r) * mean[k]!;
        next[i] = s;
      }
      next[0] = next[0]! + h[2];
      next[1] = next[1]! + h[5];
      const cov = t.covariance as Float64Array;
      const rc = new Float64Array(64);
      for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) rc[i * 8 + j] = apply(cov, i, j);
      const out = new Float64Array(64);
      for (let i = 0; i < 8; i++) {
        for (let j = 0; j < 8; j++) {
          let s = 0;
          for (let k = 0; k < 8; k++) s += rc[i * 8 + k]! * r8(j, k, r);
          out[i * 8 + j] = s;
        }
      }
      t.mean = next;
      t.covariance = out;
    }
  }

  /** Starts a new track: a new id, the filter initiated from the detection; confirmed at once only in frame 1. */
  activate(kf: KalmanFilterXYAH, frameId: number, ids: IdCounter): void {
    this.kalmanFilter = kf;
    this.trackId = ids.next();
    const state = kf.initiate(this.convertCoords(this.tlwh0));
    this.mean = state.mean;
    this.covariance = state.covariance;
    this.trackletLen = 0;
    this.state = TrackState.Tracked;
    if (frameId === 1) this.isActivated = true;
    this.frameId = frameId;
    this.startFrame = frameId;
  }

  /** Brings a lost track back with the detection that matched it. */
  reActivate(newTrack: STrack, frameId: number, newId: boolean, ids: IdCounter): void {
    this.correct(newTrack);
    this.trackletLen = 0;
    this.state = TrackState.Tracked;
    this.isActivated = true;
    this.frameId = frameId;
    if (newId) this.trackId = ids.next();
    this.takeDetection(newTrack);
  }

  /** Updates a tracked track with the detection that matched it. */
  update(newTrack: STrack, frameId: number): void {
    this.frameId = frameId;
    this.trackletLen += 1;
    this.correct(newTrack);
    this.state = TrackState.Tracked;
    this.isActivated = true;
    this.takeDetection(newTrack);
  }

  /** The box in the filter's measurement space (x, y, aspect, height). */
  convertCoords(tlwh: ArrayLike<number>): Float64Array {
    const [l, t, w, h] = [tlwh[0]!, tlwh[1]!, tlwh[2]!, tlwh[3]!];
    return Float64Array.from([l + w / 2, t + h / 2, w / h, h]);
  }

  /** The current box, top-left x, y, width, height: the filter's estimate, or the detection before activation. */
  get tlwh(): Float64Array {
    if (this.mean === null) return Float64Array.from(this.tlwh0);
    const [x, y, a, h] = this.mean as unknown as [number, number, number, number];
    const w = a * h;
    return Float64Array.from([x - w / 2, y - h / 2, w, h]);
  }

  get xyxy(): Float64Array {
    const [l, t, w, h] = this.tlwh as unknown as [number, number, number, number];
    return Float64Array.from([l, t, l + w, t + h]);
  }

  get xywh(): Float64Array {
    const [l, t, w, h] = this.tlwh as unknown as [number, number, number, number];
    return Float64Array.from([l + w / 2, t + h / 2, w, h]);
  }

  /** `[x1, y1, x2, y2, track_id, score, cls, idx]`, what the tracker reports for this track. */
  get result(): number[] {
    return [...this.xyxy, this.trackId, this.score, this.cls, this.idx];
  }

  private correct(newTrack: STrack): void {
    const kf = this.kalmanFilter as KalmanFilterXYAH;
    const state = kf.update(
      { mean: this.mean as Float64Array, covariance: this.covariance as Float64Array },
      this.convertCoords(newTrack.tlwh),
    );
    this.mean = state.mean;
    this.covariance = state.covariance;
  }

  private takeDetection(newTrack: STrack): void {
    this.score = newTrack.score;
    this.cls = newTrack.cls;
    this.idx = newTrack.idx;
  }
}

/** Entry (i, k) of kron(I4, R) for R = [r0, r1; r2, r3]. */
function r8(i: number, k: number, r: readonly [number, number, number, number]): number {
  if (i >> 1 !== k >> 1) return 0;
  return r[(i & 1) * 2 + (k & 1)]!;
}
