// Annotated video out: raw RGB frames piped into an ffmpeg child that encodes H.264 into an .mp4 (the container
// Ultralytics writes on macOS; on Linux it writes MJPG .avi, which plays in fewer places and is ~10x larger).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RgbImage } from '../images.js';
import { ffmpegTools, type Running, startTool } from './ffmpeg.js';

export interface VideoWriterOptions {
  /** Frames per second written into the file. */
  fps: number;
  /** libx264 constant-rate factor: lower is better quality and a larger file (23, x264's default). */
  crf?: number;
}

/**
 * Writes frames of one size to `file` as H.264 (yuv420p, so any player opens it). `write` waits while ffmpeg's
 * input pipe is full, so frames never queue up in memory; `close` finishes the file and must be awaited.
 *
 * @example
 * const writer = new VideoWriter('out.mp4', { fps: 30 });
 * for (const frame of frames) await writer.write(frame);
 * await writer.close();
 */
export class VideoWriter {
  /** Frames written so far. */
  frames = 0;
  private run: Running | null = null;
  private size: [number, number] | null = null;
  private failure: Error | null = null;

  constructor(
    readonly file: string,
    private readonly options: VideoWriterOptions,
  ) {
    if (!(options.fps > 0)) throw new RangeError(`${file}: a video needs fps > 0, got ${options.fps}`);
  }

  /** Appends one frame; the first frame fixes the size, and later frames must match it. */
  async write(img: RgbImage): Promise<void> {
    this.size ??= [img.width, img.height];
    if (img.width !== this.size[0] || img.height !== this.size[1]) {
      throw new Error(`${this.file}: frame ${this.frames + 1} is ${img.width}x${img.height}, the video is ${this.size[0]}x${this.size[1]}`);
    }
    this.run ??= this.start(img.width, img.height);
    const run = this.run;
    const stdin = run.child.stdin;
    if (this.failure || !stdin || stdin.destroyed) throw await this.failed(run);
    const flushed = stdin.write(img.data);
    if (!flushed) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          stdin.off('drain', done);
          stdin.off('close', done);
          resolve();
        };
        stdin.on('drain', done);
        stdin.on('close', done);
      });
    }
    if (this.failure) throw await this.failed(run);
    this.frames++;
  }

  /** Ends the input and waits for ffmpeg to finish the file; rejects naming the file when encoding failed. */
  async close(): Promise<void> {
    const run = this.run;
    if (!run) return;
    this.run = null;
    run.child.stdin?.end();
    const code = await run.exited;
    if (code !== 0 || this.failure) {
      throw new Error(
        `${this.file}: ffmpeg could not encode the video: ${run.stderr.last() || this.failure?.message || `exit code ${code}`}`,
      );
    }
  }

  private start(width: number, height: number): Running {
    mkdirSync(dirname(this.file), { recursive: true });
    const input = ['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(this.options.fps), '-i', 'pipe:0'];
    // yuv420p needs even sides: pad an odd one with a black line rather than fail.
    const pad = width % 2 || height % 2 ? ['-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2'] : [];
    const encode = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', String(this.options.crf ?? 23), '-pix_fmt', 'yuv420p'];
    const args = ['-hide_banner', '-loglevel', 'error', '-y', ...input, ...pad, ...encode, '-movflags', '+faststart', this.file];
    const run = startTool(ffmpegTools().ffmpeg, args, { stdin: true, stdout: false });
    run.child.stdin?.on('error', (error) => {
      this.failure ??= error;
    });
    return run;
  }

  /** Why ffmpeg stopped taking frames: it could not be started, or its own last words. */
  private async failed(run: Running): Promise<Error> {
    try {
      await run.exited;
    } catch (error) {
      return error as Error;
    }
    const detail = run.stderr.last() || this.failure?.message || 'ffmpeg stopped';
    return new Error(`${this.file}: ffmpeg could not encode the video: ${detail}`, { cause: this.failure ?? undefined });
  }
}
