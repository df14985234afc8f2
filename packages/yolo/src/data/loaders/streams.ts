// Ultralytics' LoadStreams: live sources (rtsp/rtmp/http(s)/tcp URLs, or a `.streams` file listing them), one
// ffmpeg decoder each, read continuously in the background. Each batch takes one frame of every stream: the newest
// one (older frames are dropped, so a slow model never lags behind the live picture) or, with `stream_buffer`,
// the oldest of up to 30 buffered frames (then decoding pauses until the buffer has room: nothing is lost).
import { existsSync, readFileSync } from 'node:fs';
import type { RgbImage } from '../images.js';
import { probeVideo } from '../video/probe.js';
import { VideoReader } from '../video/reader.js';
import type { InferenceBatch, InferenceDataset, SourceType } from './types.js';

/** Ultralytics keeps at most this many frames per stream with `stream_buffer`. */
const BUFFER_FRAMES = 30;

export interface StreamsOptions {
  /** Hand out every `vidStride`-th frame. */
  vidStride?: number;
  /** Keep up to 30 frames per stream instead of the newest only (Ultralytics' `stream_buffer`). */
  buffer?: boolean;
  /** Give up opening a stream after this long (default 30 s). */
  openTimeoutMs?: number;
  log?: (message: string) => void;
  warn?: (message: string) => void;
}

/** Ultralytics' clean_str: the characters a file name should not hold become '_' (and so does '/'). */
export function cleanStreamName(source: string): string {
  return source.replace(/[|@#!¡·$€%&()=?¿^*;:,¨´><+]/g, '_').replace(/\//g, '_');
}

/** One stream's decoder and its frame queue, filled by a background loop. */
class StreamQueue {
  readonly frames: RgbImage[] = [];
  alive = true;
  error: Error | null = null;
  private wake: (() => void) | null = null;
  private room: (() => void) | null = null;

  constructor(
    private readonly reader: VideoReader,
    private readonly buffer: boolean,
    first: RgbImage,
  ) {
    this.frames.push(first);
    void this.pump();
  }

  /** The next frame to hand out, or null once the stream has ended and nothing is left. */
  async take(onWait: () => void): Promise<RgbImage | null> {
    while (this.frames.length === 0) {
      if (!this.alive) {
        if (this.error) throw this.error;
        return null;
      }
      const waited = new Promise<'frame' | 'slow'>((resolve) => {
        this.wake = () => resolve('frame');
        setTimeout(() => resolve('slow'), 1000).unref();
      });
      if ((await waited) === 'slow' && this.frames.length === 0 && this.alive) onWait();
    }
    const frame = this.buffer ? (this.frames.shift() as RgbImage) : (this.frames.pop() as RgbImage);
    if (!this.buffer) this.frames.length = 0;
    this.room?.();
    return frame;
  }

  stop(): void {
    this.alive = false;
    this.reader.close();
    this.wake?.();
    this.room?.();
  }

  private async pump(): Promise<void> {
    try {
      while (this.alive) {
        if (this.buffer && this.frames.length >= BUFFER_FRAMES) {
          await new Promise<void>((resolve) => {
            this.room = resolve;
          });
          continue;
        }
        const frame = await this.reader.read();
        if (frame === null) break;
        if (this.buffer) this.frames.push(frame);
        else this.frames.splice(0, this.frames.length, frame);
        this.wake?.();
      }
    } catch (error) {
      this.error = error as Error;
    } finally {
      this.alive = false;
      this.wake?.();
    }
  }
}

/**
 * Live streams as a prediction source (`mode` 'stream', `bs` = number of streams). Opening happens when iteration
 * starts; a stream that cannot be opened is an Error naming it (`Failed to open rtsp://…: Connection refused`).
 *
 * @example
 * for await (const { paths, images } of new LoadStreams('rtsp://camera.local/live')) console.log(paths[0], images[0]?.width);
 */
export class LoadStreams implements InferenceDataset {
  readonly mode = 'stream';
  readonly sourceType: SourceType = { stream: true, screenshot: false, fromImg: false, tensor: false };
  readonly videoFlag: readonly boolean[] = [];
  /** The stream URLs as given. */
  readonly urls: readonly string[];
  /** Their cleaned names (what paths and output files are called). */
  readonly sources: readonly string[];
  /** Frames per second per stream. */
  fpsPerStream: number[];
  /** Frame count per stream, Infinity for a live one. */
  framesPerStream: number[];
  count = -1;
  private queues: StreamQueue[] = [];
  private readonly options: StreamsOptions;

  constructor(source: string, options: StreamsOptions = {}) {
    this.urls = source.endsWith('.streams') && existsSync(source) ? readFileSync(source, 'utf8').split(/\s+/).filter(Boolean) : [source];
    if (this.urls.length === 0) throw new Error(`${source} lists no streams`);
    this.sources = this.urls.map(cleanStreamName);
    this.fpsPerStream = this.urls.map(() => 30);
    this.framesPerStream = this.urls.map(() => Number.POSITIVE_INFINITY);
    this.options = options;
  }

  get bs(): number {
    return this.urls.length;
  }

  get length(): number {
    return this.urls.length;
  }

  get frame(): number {
    return Math.max(this.count, 0);
  }

  get frames(): number {
    return this.framesPerStream[0] ?? Number.POSITIVE_INFINITY;
  }

  get fps(): number {
    return this.fpsPerStream[0] ?? 30;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<InferenceBatch> {
    this.close();
    this.count = -1;
    try {
      await this.open();
      for (;;) {
        this.count++;
        const images: RgbImage[] = [];
        for (const [i, queue] of this.queues.entries()) {
          const img = await queue.take(() => (this.options.warn ?? console.warn)(`WARNING ⚠️ Waiting for stream ${i}`));
          if (img === null) return;
          images.push(img);
        }
        const n = images.length;
        yield {
          paths: [...this.sources],
          images,
          infos: Array(n).fill(''),
          frames: Array(n).fill(this.count),
          fps: [...this.fpsPerStream],
        };
      }
    } finally {
      this.close();
    }
  }

  /** Stops every decoder. */
  close(): void {
    for (const q of this.queues) q.stop();
    this.queues = [];
  }

  private async open(): Promise<void> {
    const n = this.urls.length;
    const log = this.options.log ?? console.log;
    for (const [i, url] of this.urls.entries()) {
      const st = `${i + 1}/${n}: ${url}... `;
      let info: Awaited<ReturnType<typeof probeVideo>>;
      try {
        info = await probeVideo(url, { timeoutMs: this.options.openTimeoutMs });
      } catch (error) {
        throw new Error(`${st}${(error as Error).message}`, { cause: error });
      }
      // Ultralytics' fallbacks: a rate of 0, NaN or ≥ 100 is taken modulo 100, else 30.
      this.fpsPerStream[i] = info.fps % 100 || 30;
      this.framesPerStream[i] = info.frames;
      const reader = new VideoReader(url, { width: info.width, height: info.height, vidStride: this.options.vidStride });
      const first = await reader.read().catch((error: unknown) => {
        reader.close();
        throw new Error(`${st}Failed to read images from ${url}: ${(error as Error).message}`, { cause: error });
      });
      if (first === null) {
        reader.close();
        throw new Error(`${st}Failed to read images from ${url}${reader.endNote ? `: ${reader.endNote}` : ''}`);
      }
      this.queues.push(new StreamQueue(reader, this.options.buffer ?? false, first));
      const frames = Number.isFinite(info.frames) ? String(info.frames) : 'inf';
      log(`${st}Success ✅ (${frames} frames of shape ${info.width}x${info.height} at ${(this.fpsPerStream[i] as number).toFixed(2)} FPS)`);
    }
    log('');
  }
}
