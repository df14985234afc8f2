// Ultralytics' BYTETracker (trackers/byte_tracker.py, after ByteTrack, Zhang et al. 2022): Kalman-predicted tracks
// matched to high-confidence detections first, then the tracks still unmatched to the low-confidence ones; tracks
// lost for longer than the track buffer are removed.
import type { RgbImage } from '../data/images.js';
import { IdCounter, TrackState } from './basetrack.js';
import { STrack, type Warp } from './strack.js';
import { KalmanFilterXYAH } from './utils/kalman-filter.js';
import { linearAssignment } from './utils/lap.js';
import { type CostMatrix, fuseScore, iouDistance } from './utils/matching.js';

/** The keys of bytetrack.yaml (and the first part of botsort.yaml), as Ultralytics reads them. */
export interface ByteTrackArgs {
  tracker_type: string;
  /** Detections at or above this confidence take part in the first association. */
  track_high_thresh: number;
  /** Detections above this (and below the high threshold) take part in the second association. */
  track_low_thresh: number;
  /** An unmatched detection at or above this confidence starts a new track. */
  new_track_thresh: number;
  /** Frames (at 30 FPS) a lost track is kept before it is removed. */
  track_buffer: number;
  /** Largest cost (1 - IoU, fused with the score) the first association accepts. */
  match_thresh: number;
  /** Multiply IoU similarities by detection confidences before matching. */
  fuse_score: boolean;
}

/** One frame's detections: what a `Boxes` holds (centre boxes, confidences, classes), as flat arrays. */
export interface Detections {
  readonly length: number;
  readonly xywhList: Float32Array;
  readonly confList: Float32Array;
  readonly clsList: Float32Array;
}

/** Values per row of `update`'s output: x1, y1, x2, y2, track_id, score, cls, idx. */
export const TRACK_COLUMNS = 8;

/**
 * @example
 * const tracker = new BYTETracker({ ...bytetrackDefaults });
 * for (const frame of frames) {
 *   const rows = tracker.update(frame.boxes); // TRACK_COLUMNS values per confirmed track
 * }
 */
export class BYTETracker {
  trackedStracks: STrack[] = [];
  lostStracks: STrack[] = [];
  removedStracks: STrack[] = [];
  frameId = 0;
  /** Frames a lost track survives: `frame_rate / 30 · track_buffer`. */
  readonly maxTimeLost: number;
  kalmanFilter: KalmanFilterXYAH;

  constructor(
    readonly args: ByteTrackArgs,
    frameRate = 30,
    /** Where track ids come from (shared by the trackers of one run). */
    readonly ids: IdCounter = new IdCounter(),
  ) {
    this.maxTimeLost = Math.trunc((frameRate / 30) * args.track_buffer);
    this.kalmanFilter = this.getKalmanFilter();
    this.ids.reset();
  }

  /**
   * Takes one frame's detections (and the frame itself, which BoT-SORT's camera-motion compensation reads) and
   * returns the confirmed tracks, TRACK_COLUMNS float32 values each.
   */
  update(results: Detections, img?: RgbImage): Float32Array {
    this.frameId += 1;
    const activated: STrack[] = [];
    const refind: STrack[] = [];
    const lost: STrack[] = [];
    const removed: STrack[] = [];

    const { high, second } = this.splitByScore(results);
    let detections = this.initTrack(results, high, img);
    const unconfirmed: STrack[] = [];
    const tracked: STrack[] = [];
    for (const t of this.trackedStracks) (t.isActivated ? tracked : unconfirmed).push(t);

    // Step 2: first association, with the high-score detections.
    const pool = jointStracks(tracked, this.lostStracks);
    this.multiPredict(pool);
    const warp = img ? this.motionWarp(img, results, high) : null;
    if (warp) {
      STrack.multiGmc(pool, warp);
      STrack.multiGmc(unconfirmed, warp);
    }
    let a = linearAssignment(...costArgs(this.getDists(pool, detections)), this.args.match_thresh);
    for (const [it, id] of a.matches) this.take(pool[it]!, detections[id]!, activated, refind);

    // Step 3: second association, the tracks still unmatched with the low-score detections.
    const detectionsSecond = this.initTrack(results, second, img);
    const rTracked = a.unmatchedA.map((i) => pool[i]!).filter((t) => t.state === TrackState.Tracked);
    const b = linearAssignment(...costArgs(iouDistance(rTracked, detectionsSecond)), 0.5);
    for (const [it, id] of b.matches) this.take(rTracked[it]!, detectionsSecond[id]!, activated, refind);
    for (const it of b.unmatchedA) {
      const track = rTracked[it]!;
      if (track.state !== TrackState.Lost) {
        track.markLost();
        lost.push(track);
      }
    }

    // Unconfirmed tracks (usually seen in one frame only) against the high-score detections left.
    detections = a.unmatchedB.map((i) => detections[i]!);
    a = linearAssignment(...costArgs(this.getDists(unconfirmed, detections)), 0.7);
    for (const [it, id] of a.matches) {
      const track = unconfirmed[it]!;
      track.update(detections[id]!, this.frameId);
      activated.push(track);
    }
    for (const it of a.unmatchedA) {
      const track = unconfirmed[it]!;
      track.markRemoved();
      removed.push(track);
    }

    // Step 4: new tracks from the confident detections nobody took.
    for (const inew of a.unmatchedB) {
      const track = detections[inew]!;
      if (track.score < this.args.new_track_thresh) continue;
      track.activate(this.kalmanFilter, this.frameId, this.ids);
      activated.push(track);
    }
    // Step 5: remove tracks lost for too long.
    for (const track of this.lostStracks) {
      if (this.frameId - track.endFrame > this.maxTimeLost) {
        track.markRemoved();
        removed.push(track);
      }
    }

    this.trackedStracks = this.trackedStracks.filter((t) => t.state === TrackState.Tracked);
    this.trackedStracks = jointStracks(this.trackedStracks, activated);
    this.trackedStracks = jointStracks(this.trackedStracks, refind);
    this.lostStracks = subStracks(this.lostStracks, this.trackedStracks);
    this.lostStracks.push(...lost);
    this.lostStracks = subStracks(this.lostStracks, this.removedStracks);
    [this.trackedStracks, this.lostStracks] = removeDuplicateStracks(this.trackedStracks, this.lostStracks);
    this.removedStracks.push(...removed);
    if (this.removedStracks.length > 1000) this.removedStracks = this.removedStracks.slice(-999);

    const confirmed = this.trackedStracks.filter((t) => t.isActivated);
    const out = new Float32Array(confirmed.length * TRACK_COLUMNS);
    confirmed.forEach((t, i) => out.set(t.result, i * TRACK_COLUMNS));
    return out;
  }

  /** Clears every track and restarts ids (a new video). */
  reset(): void {
    this.trackedStracks = [];
    this.lostStracks = [];
    this.removedStracks = [];
    this.frameId = 0;
    this.kalmanFilter = this.getKalmanFilter();
    this.ids.reset();
  }

  getKalmanFilter(): KalmanFilterXYAH {
    return new KalmanFilterXYAH();
  }

  /** Tracks for the detections at `indices` (BoT-SORT makes its own track type). */
  initTrack(results: Detections, indices: readonly number[], _img?: RgbImage): STrack[] {
    return indices.map((i) => new STrack(results.xywhList.subarray(i * 4, i * 4 + 4), results.confList[i]!, results.clsList[i]!, i));
  }

  /** Costs of the first association: 1 - IoU, fused with the detection scores when `fuse_score`. */
  getDists(tracks: readonly STrack[], detections: readonly STrack[]): CostMatrix {
    const dists = iouDistance(tracks, detections);
    return this.args.fuse_score ? fuseScore(dists, detections) : dists;
  }

  multiPredict(tracks: readonly STrack[]): void {
    STrack.multiPredict(tracks, this.kalmanFilter);
  }

  /** The camera's motion since the last frame, or null when this tracker does not compensate it (ByteTrack). */
  protected motionWarp(_img: RgbImage, _results: Detections, _high: readonly number[]): Warp | null {
    return null;
  }

  private splitByScore(results: Detections): { high: number[]; second: number[] } {
    const high: number[] = [];
    const second: number[] = [];
    const { track_high_thresh: hi, track_low_thresh: lo } = this.args;
    for (let i = 0; i < results.length; i++) {
      const s = results.confList[i]!;
      if (s >= hi) high.push(i);
      else if (s > lo) second.push(i);
    }
    return { high, second };
  }

  private take(track: STrack, det: STrack, activated: STrack[], refind: STrack[]): void {
    if (track.state === TrackState.Tracked) {
      track.update(det, this.frameId);
      activated.push(track);
    } else {
      track.reActivate(det, this.frameId, false, this.ids);
      refind.push(track);
    }
  }
}

function costArgs(m: CostMatrix): [Float64Array, number, number] {
  return [m.data, m.rows, m.cols];
}

/** a, then the tracks of b whose id a does not hold. */
function jointStracks(a: readonly STrack[], b: readonly STrack[]): STrack[] {
  const seen = new Set(a.map((t) => t.trackId));
  const out = [...a];
  for (const t of b) {
    if (seen.has(t.trackId)) continue;
    seen.add(t.trackId);
    out.push(t);
  }
  return out;
}

/** The tracks of a whose id b does not hold. */
function subStracks(a: readonly STrack[], b: readonly STrack[]): STrack[] {
  const ids = new Set(b.map((t) => t.trackId));
  return a.filter((t) => !ids.has(t.trackId));
}

/** Of each tracked/lost pair overlapping at IoU > 0.85, drops the one tracked for fewer frames. */
function removeDuplicateStracks(a: STrack[], b: STrack[]): [STrack[], STrack[]] {
  const dist = iouDistance(a, b);
  const dupA = new Set<number>();
  const dupB = new Set<number>();
  for (let p = 0; p < dist.rows; p++) {
    for (let q = 0; q < dist.cols; q++) {
      if (dist.data[p * dist.cols + q]! >= 0.15) continue;
      const timeP = a[p]!.frameId - a[p]!.startFrame;
      const timeQ = b[q]!.frameId - b[q]!.startFrame;
      if (timeP > timeQ) dupB.add(q);
      else dupA.add(p);
    }
  }
  return [a.filter((_, i) => !dupA.has(i)), b.filter((_, i) => !dupB.has(i))];
}
