// Ultralytics' BOTSORT (trackers/bot_sort.py, after BoT-SORT, Aharon et al. 2022): ByteTrack's association with a
// Kalman filter over (x, y, w, h) and the camera's motion compensated before matching (GMC). Appearance (ReID)
// matching is off by default in Ultralytics and absent here: `with_reid: true` is refused by name.
import type { RgbImage } from '../data/images.js';
import type { IdCounter } from './basetrack.js';
import { BYTETracker, type ByteTrackArgs, type Detections } from './byte-tracker.js';
import { STrack, type Warp } from './strack.js';
import { GMC } from './utils/gmc.js';
import { type KalmanFilterXYAH, KalmanFilterXYWH } from './utils/kalman-filter.js';

/** botsort.yaml's keys: ByteTrack's plus GMC and ReID settings. */
export interface BotSortArgs extends ByteTrackArgs {
  gmc_method: string | null;
  /** IoU a track and a detection need before their appearance may match them (ReID only). */
  proximity_thresh: number;
  /** Appearance similarity a ReID match needs (ReID only). */
  appearance_thresh: number;
  with_reid: boolean;
}

/** A track whose Kalman filter measures (x, y, w, h). */
export class BOTrack extends STrack {
  protected override zeroVelocity(mean: Float64Array): void {
    mean[6] = 0;
    mean[7] = 0;
  }

  override convertCoords(tlwh: ArrayLike<number>): Float64Array {
    const [l, t, w, h] = [tlwh[0]!, tlwh[1]!, tlwh[2]!, tlwh[3]!];
    return Float64Array.from([l + w / 2, t + h / 2, w, h]);
  }

  override get tlwh(): Float64Array {
    if (this.mean === null) return Float64Array.from(this.tlwh0);
    const [x, y, w, h] = this.mean as unknown as [number, number, number, number];
    return Float64Array.from([x - w / 2, y - h / 2, w, h]);
  }
}

/**
 * @example
 * const tracker = new BOTSORT(args, 30, undefined, new GMC(await loadOpenCv(), 'sparseOptFlow'));
 * const rows = tracker.update(result.boxes, result.origImg);
 */
export class BOTSORT extends BYTETracker {
  readonly gmc: GMC;
  readonly proximityThresh: number;
  readonly appearanceThresh: number;

  /**
   * @param gmc the motion compensation to use; `new GMC(null, null)` (no compensation) when none is given. Build it
   *   with `loadOpenCv()` for 'sparseOptFlow' or 'ecc' (what `gmc_method` asks for; see trackers/track.ts).
   */
  constructor(
    override readonly args: BotSortArgs,
    frameRate = 30,
    ids?: IdCounter,
    gmc: GMC = new GMC(null, null),
  ) {
    super(args, frameRate, ids);
    if (args.with_reid) {
      throw new Error('with_reid: True asks for ReID appearance matching, which yolots does not support; set with_reid: False');
    }
    this.gmc = gmc;
    this.proximityThresh = args.proximity_thresh;
    this.appearanceThresh = args.appearance_thresh;
  }

  override getKalmanFilter(): KalmanFilterXYAH {
    return new KalmanFilterXYWH();
  }

  override initTrack(results: Detections, indices: readonly number[], _img?: RgbImage): STrack[] {
    return indices.map((i) => new BOTrack(results.xywhList.subarray(i * 4, i * 4 + 4), results.confList[i]!, results.clsList[i]!, i));
  }

  override reset(): void {
    super.reset();
    this.gmc.resetParams();
  }

  protected override motionWarp(img: RgbImage): Warp | null {
    if (this.gmc.method === null) return null;
    try {
      return this.gmc.apply(img);
    } catch {
      // Ultralytics falls back to no motion when the GMC fails on a frame.
      return [1, 0, 0, 0, 1, 0];
    }
  }
}
