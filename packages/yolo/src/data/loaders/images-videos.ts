// Ultralytics' LoadImagesAndVideos: image files, then video files, handed out `bs` images at a time. Videos are
// decoded frame by frame by ffmpeg (data/video/), so a batch never holds more than `bs` frames of them.
import type { RgbImage } from '../images.js';
import { probeVideo } from '../video/probe.js';
import { VideoReader } from '../video/reader.js';
import { decodeFile } from './decode.js';
import type { MediaFiles } from './files.js';
import type { DatasetMode, InferenceBatch, InferenceDataset, SourceType } from './types.js';

export interface ImagesAndVideosOptions {
  /** Images per batch. */
  batch?: number;
  /** Read every `vidStride`-th video frame (Ultralytics' `vid_stride`). */
  vidStride?: number;
  /** Where 'Image Read Error' and truncated-video warnings go. */
  warn?: (message: string) => void;
}

/**
 * Files resolved by `resolveMediaFiles`, decoded lazily. Log prefixes follow Ultralytics:
 * `image 1/3 /abs/a.jpg: ` and `video 3/3 (frame 7/300) /abs/clip.mp4: `.
 *
 * @example
 * const dataset = new LoadImagesAndVideos({ images: [], videos: ['/data/clip.mp4'] }, { batch: 4 });
 * for await (const { images, frames } of dataset) console.log(images.length, frames);
 */
export class LoadImagesAndVideos implements InferenceDataset {
  readonly files: readonly string[];
  readonly videoFlag: readonly boolean[];
  readonly bs: number;
  readonly sourceType: SourceType = { stream: false, screenshot: false, fromImg: false, tensor: false };
  mode: DatasetMode;
  frame = 0;
  frames = 0;
  fps = 0;
  count = 0;
  private readonly ni: number;
  private readonly vidStride: number;
  private readonly warn: (message: string) => void;
  private reader: VideoReader | null = null;

  constructor(media: MediaFiles, options: ImagesAndVideosOptions = {}) {
    this.files = [...media.images, ...media.videos];
    this.ni = media.images.length;
    this.videoFlag = this.files.map((_, i) => i >= this.ni);
    this.bs = options.batch ?? 1;
    this.vidStride = Math.max(1, Math.trunc(options.vidStride ?? 1));
    this.warn = options.warn ?? console.warn;
    this.mode = this.ni === 0 ? 'video' : 'image';
  }

  get length(): number {
    return this.files.length;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<InferenceBatch> {
    this.count = 0;
    this.close();
    try {
      for (;;) {
        const batch = await this.nextBatch();
        if (batch === null) return;
        yield batch;
      }
    } finally {
      this.close();
    }
  }

  /** Stops the video decoder, if one is running. */
  close(): void {
    this.reader?.close();
    this.reader = null;
  }

  /** Ultralytics' `__next__`: fills a batch from images, then from videos; null when every file is done. */
  private async nextBatch(): Promise<InferenceBatch | null> {
    const batch: InferenceBatch = { paths: [], images: [], infos: [], frames: [], fps: [] };
    const nf = this.files.length;
    while (batch.images.length < this.bs) {
      if (this.count >= nf) return batch.images.length ? batch : null;
      const path = this.files[this.count]!;
      if (this.videoFlag[this.count]) {
        this.mode = 'video';
        const reader = this.reader ?? (await this.openVideo(path));
        const img = await reader.read();
        if (img === null) {
          this.endVideo(reader);
          continue;
        }
        this.frame++;
        this.push(batch, path, img, `video ${this.count + 1}/${nf} (frame ${this.frame}/${this.frames}) ${path}: `, this.frame, this.fps);
        if (this.frame === this.frames) this.endVideo(reader);
      } else {
        this.mode = 'image';
        // Decode the images this batch still takes in parallel (Ultralytics uses a thread pool for the same).
        const n = Math.min(this.bs - batch.images.length, this.ni - this.count);
        const paths = this.files.slice(this.count, this.count + n);
        const decoded = await Promise.all(paths.map((p) => decodeFile(p, this.warn)));
        decoded.forEach((img, k) => {
          if (img !== null) this.push(batch, paths[k]!, img, `image ${this.count + k + 1}/${nf} ${paths[k]}: `, null, null);
        });
        this.count += n;
        // Images and videos never share a batch: flush the images first.
        if (this.count >= this.ni && batch.images.length) break;
      }
    }
    return batch;
  }

  private push(batch: InferenceBatch, path: string, img: RgbImage, info: string, frame: number | null, fps: number | null): void {
    batch.paths.push(path);
    batch.images.push(img);
    batch.infos.push(info);
    batch.frames.push(frame);
    batch.fps.push(fps);
  }

  private async openVideo(path: string): Promise<VideoReader> {
    const info = await probeVideo(path);
    this.frame = 0;
    this.fps = info.fps;
    this.frames = Number.isFinite(info.frames) ? Math.floor(info.frames / this.vidStride) : info.frames;
    this.reader = new VideoReader(path, { width: info.width, height: info.height, vidStride: this.vidStride });
    return this.reader;
  }

  /** Moves on to the next file, saying so when the video ended early with FFmpeg complaining (a truncated file). */
  private endVideo(reader: VideoReader): void {
    const path = this.files[this.count]!;
    if (reader.framesRead === 0 && this.frame === 0) {
      this.close();
      throw new Error(`${path}: no frame could be decoded${reader.endNote ? ` (ffmpeg: ${reader.endNote})` : ''}`);
    }
    if (reader.endNote && this.frame < this.frames) {
      this.warn(`WARNING ⚠️ ${path}: video ended at frame ${this.frame} of ${this.frames} (ffmpeg: ${reader.endNote})`);
    }
    this.close();
    this.count++;
  }
}
