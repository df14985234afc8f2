// What every prediction source hands the predictor (Ultralytics' loaders' common face): batches of decoded images
// with their names and log prefixes, and the dataset-level state callbacks read (`mode`, `frame`, `fps`, …).
import type { RgbImage } from '../images.js';

/** One batch as Ultralytics' loaders yield it, `(paths, im0s, s)`, plus the frame facts of each image. */
export interface InferenceBatch {
  /** Where each image came from (absolute file path, `image<i>.jpg` for in-memory images, a cleaned stream name). */
  paths: string[];
  /** The original images, decoded to RGB HWC. */
  images: RgbImage[];
  /**
   * Per-image log prefix: `image 1/2 /data/bus.jpg: `, `video 1/1 (frame 3/300) /data/clip.mp4: `, the image's index
   * (`0: `) for in-memory sources and lists, '' for streams (the predictor prefixes the stream index).
   */
  infos: string[];
  /**
   * Per image: its 1-based frame number within its video (after `vid_stride`), the batch count for a stream (as
   * Ultralytics names stream outputs), null for a still image.
   */
  frames: (number | null)[];
  /** Per image: its video's or stream's frames per second, null for a still image. */
  fps: (number | null)[];
}

/** Ultralytics' SourceTypes (screenshots are not read by yolots, so that flag is always false). */
export interface SourceType {
  /** A live stream (URL or `.streams` list): frames come as fast as the source sends them. */
  stream: boolean;
  screenshot: false;
  /** The source was in memory or a list: log lines are prefixed with the image index instead of a path. */
  fromImg: boolean;
  /** The source was a tensor. */
  tensor: boolean;
}

/** Ultralytics' `dataset.mode`: what the latest batch came from. */
export type DatasetMode = 'image' | 'video' | 'stream';

/**
 * A prediction source: iterated batch by batch (iterating again starts over), with the state Ultralytics' loaders
 * expose to callbacks. `close()` stops any decoder it started (the predictor calls it when a run ends early).
 */
export interface InferenceDataset extends AsyncIterable<InferenceBatch> {
  /** 'image' while handing out still images, 'video' while reading a video file, 'stream' for live streams. */
  readonly mode: DatasetMode;
  /** Images per batch (for streams: the number of streams, one frame of each per batch). */
  readonly bs: number;
  readonly sourceType: SourceType;
  /** Number of files, images or streams (Ultralytics' `len(dataset)` before batching). */
  readonly length: number;
  /** Frames handed out of the current video so far (1-based number of the latest); 0 for images. */
  readonly frame: number;
  /** Frames the current video holds after `vid_stride` (Infinity for live streams); 0 for images. */
  readonly frames: number;
  /** Frames per second of the current video (of the first stream); 0 for images. */
  readonly fps: number;
  /** Batches (streams) or files (images and videos) done so far. */
  readonly count: number;
  /** Per file: whether it is a video (empty for in-memory and stream sources). */
  readonly videoFlag: readonly boolean[];
  close(): void;
}
