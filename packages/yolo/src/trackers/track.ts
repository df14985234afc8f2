// Ultralytics' trackers/track.py: tracking plugged into the predictor through two callbacks. `on_predict_start`
// builds the trackers the `tracker` YAML names (one per stream, one for files); `on_predict_postprocess_end` runs
// each image's detections through its tracker and keeps the tracked boxes, with their ids, in `predictor.results`.
// The trackers live on this object, not on the predictor, so a user can register their own tracker the same way.
import { basename, join } from 'node:path';
import type { RgbImage } from '../data/images.js';
import type { DatasetMode } from '../data/loaders/types.js';
import { Boxes } from '../engine/boxes.js';
import type { Results } from '../engine/results.js';
import { IdCounter } from './basetrack.js';
import { BOTSORT, type BotSortArgs } from './bot-sort.js';
import { BYTETracker, type Detections, TRACK_COLUMNS } from './byte-tracker.js';
import { loadTrackerConfig, type TrackerConfig } from './config.js';
import { GMC, gmcMethod, loadOpenCv } from './utils/gmc.js';

/** What a tracker does per frame: take detections (and the frame), return TRACK_COLUMNS values per confirmed track. */
export interface Tracker {
  update(detections: Detections, img?: RgbImage): Float32Array;
  /** Forgets every track (a new video). */
  reset(): void;
}

/** Builds a tracker from its YAML settings; `ids` is shared by the trackers of one run. */
export type TrackerFactory = (cfg: TrackerConfig, ids: IdCounter) => Tracker | Promise<Tracker>;

/** Ultralytics' TRACKER_MAP. Trackers are made with frame_rate 30 whatever the video's, as Ultralytics does. */
export const TRACKER_MAP: Readonly<Record<string, TrackerFactory>> = {
  bytetrack: (cfg, ids) => new BYTETracker(cfg, 30, ids),
  botsort: async (cfg, ids) => {
    const method = gmcMethod(cfg.gmc_method);
    const gmc = new GMC(method === null ? null : await loadOpenCv(), method);
    return new BOTSORT(cfg as BotSortArgs, 30, ids, gmc);
  },
};

/** What the tracking callbacks read and change on a predictor (BasePredictor is one). */
export interface TrackingPredictor {
  readonly args: { readonly tracker: string; readonly task: string; readonly mode: string };
  readonly dataset: { readonly mode: DatasetMode; readonly bs: number } | null;
  results: Results[];
  readonly saveDir: string;
}

export interface PredictorTrackingOptions {
  /** Keep the trackers (and their ids) across calls and videos (Ultralytics' `persist`). */
  persist?: boolean;
  /** Tracker types by `tracker_type` (default TRACKER_MAP); add one to plug in your own tracker. */
  trackerMap?: Readonly<Record<string, TrackerFactory>>;
  /** Track only when `args.mode` is 'track' (what `model.track()` registers), so a later `model.predict()` does not. */
  onlyInTrackMode?: boolean;
}

/** No detections. */
const NO_DETECTIONS: Detections = { length: 0, xywhList: new Float32Array(0), confList: new Float32Array(0), clsList: new Float32Array(0) };

/**
 * The tracking state of one predictor and its two callbacks.
 *
 * @example
 * const tracking = registerTracker(predictor, true); // or model.track(source, { persist: true })
 * await predictor.predict('clip.mp4');
 * tracking.trackers[0]; // the BOTSORT / BYTETracker used
 */
export class PredictorTracking {
  /** One tracker per stream, or a single one for files. */
  trackers: Tracker[] = [];
  /** Per tracker, the output path of the video it last tracked: a new one resets it unless `persist`. */
  vidPath: (string | null)[] = [];
  persist: boolean;
  readonly trackerMap: Readonly<Record<string, TrackerFactory>>;
  private readonly onlyInTrackMode: boolean;

  constructor(options: PredictorTrackingOptions = {}) {
    this.persist = options.persist ?? false;
    this.trackerMap = options.trackerMap ?? TRACKER_MAP;
    this.onlyInTrackMode = options.onlyInTrackMode ?? false;
  }

  /** `on_predict_start`: builds the trackers, unless persisting ones already built. */
  async onPredictStart(predictor: TrackingPredictor): Promise<void> {
    if (!this.active(predictor)) return;
    if (predictor.args.task === 'classify') throw new Error("❌ Classification doesn't support 'mode=track'");
    if (this.trackers.length && this.persist) return;
    const cfg = loadTrackerConfig(predictor.args.tracker, Object.keys(this.trackerMap));
    const factory = this.trackerMap[cfg.tracker_type]!;
    const dataset = predictor.dataset;
    const bs = dataset?.bs ?? 1;
    const ids = new IdCounter();
    const trackers: Tracker[] = [];
    for (let i = 0; i < bs; i++) {
      trackers.push(await factory(cfg, ids));
      if (dataset?.mode !== 'stream') break;
    }
    this.trackers = trackers;
    this.vidPath = Array(bs).fill(null);
  }

  /** `on_predict_postprocess_end`: each result replaced by its tracked boxes (ids in `boxes.id`). */
  async onPredictPostprocessEnd(predictor: TrackingPredictor): Promise<void> {
    if (!this.active(predictor)) return;
    const isStream = predictor.dataset?.mode === 'stream';
    predictor.results.forEach((result, i) => {
      const k = isStream ? i : 0;
      const tracker = this.trackers[k];
      if (!tracker) throw new Error('tracking: on_predict_postprocess_end ran before on_predict_start built the trackers');
      const vidPath = join(predictor.saveDir, basename(result.path));
      if (!this.persist && this.vidPath[k] !== vidPath) {
        tracker.reset();
        this.vidPath[k] = vidPath;
      }
      const tracks = tracker.update(result.boxes ?? NO_DETECTIONS, result.origImg);
      const n = tracks.length / TRACK_COLUMNS;
      if (n === 0) return;
      const idx: number[] = [];
      const rows = new Float32Array(n * 7);
      for (let t = 0; t < n; t++) {
        const row = tracks.subarray(t * TRACK_COLUMNS, (t + 1) * TRACK_COLUMNS);
        idx.push(Math.trunc(row[7]!));
        rows.set(row.subarray(0, 7), t * 7);
      }
      predictor.results[i] = result.select(idx).update(new Boxes(rows, result.origShape, 7));
    });
  }

  private active(predictor: TrackingPredictor): boolean {
    return !this.onlyInTrackMode || predictor.args.mode === 'track';
  }
}

/** Anything callbacks can be added to: a Model, a predictor, a Callbacks registry. */
export interface CallbackTarget {
  addCallback(event: 'on_predict_start' | 'on_predict_postprocess_end', fn: (predictor: any) => void | Promise<void>): unknown;
}

/**
 * Ultralytics' register_tracker: adds the two tracking callbacks to `target` and returns the tracking state.
 *
 * @example
 * const predictor = new DetectionPredictor({ overrides: { tracker: 'bytetrack.yaml', conf: 0.1 } });
 * const tracking = registerTracker(predictor, false);
 * const results = await predictor.predict('clip.mp4', model); // results[i].boxes.idList holds the ids
 */
export function registerTracker(
  target: CallbackTarget,
  persist: boolean,
  options: Omit<PredictorTrackingOptions, 'persist'> = {},
): PredictorTracking {
  const tracking = new PredictorTracking({ ...options, persist });
  target.addCallback('on_predict_start', (p: TrackingPredictor) => tracking.onPredictStart(p));
  target.addCallback('on_predict_postprocess_end', (p: TrackingPredictor) => tracking.onPredictPostprocessEnd(p));
  return tracking;
}
