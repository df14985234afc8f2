// Frames of one video or stream, decoded by an ffmpeg child process and piped as raw RGB: no temporary files, and
// at most one frame plus the pipe's buffer held, since ffmpeg blocks on a full pipe until a frame is asked for.
import type { RgbImage } from '../images.js';
import { ffmpegTools, type Running, startTool } from './ffmpeg.js';

export interface VideoReaderOptions {
  /** Frame size of the decoded frames (from `probeVideo`). */
  width: number;
  height: number;
  /**
   * Hand out every `vidStride`-th frame: frames vidStride, 2·vidStride, … (1-based), as Ultralytics grabs
   * `vid_stride` frames and retrieves the last. The others are decoded but never converted or piped.
   */
  vidStride?: number;
}

/**
 * Sequential frame reader: `await read()` gives the next frame or null at the end. Decoding runs ahead by no more
 * than the pipe's buffer, so a long video never piles up in memory.
 *
 * @example
 * const info = await probeVideo('clip.mp4');
 * const reader = new VideoReader('clip.mp4', info);
 * for (let frame = await reader.read(); frame; frame = await reader.read()) console.log(frame.width);
 */
export class VideoReader {
  /** Frames handed out so far. */
  framesRead = 0;
  /** FFmpeg's complaints (at log level error) by the end, e.g. 'File ended prematurely'; '' for a clean decode. */
  endNote = '';
  private readonly run: Running;
  private readonly chunks: AsyncIterator<Buffer>;
  private leftover: Buffer | null = null;
  private ended = false;
  private closed = false;

  constructor(
    /** A file path or URL, as given to FFmpeg (and named in errors). */
    readonly source: string,
    private readonly options: VideoReaderOptions,
  ) {
    const stride = Math.max(1, Math.trunc(options.vidStride ?? 1));
    const select = stride > 1 ? ['-vf', `select=eq(mod(n+1\\,${stride})\\,0)`] : [];
    // passthrough timing: each decoded frame once, never duplicated or dropped to fit a constant rate (as OpenCV).
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-i', source, '-map', '0:v:0', ...select, '-vsync', '0'];
    this.run = startTool(ffmpegTools().ffmpeg, [...args, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { stdin: false, stdout: true });
    const stdout = this.run.child.stdout;
    if (!stdout) throw new Error(`${source}: ffmpeg started without an output pipe`);
    this.chunks = stdout[Symbol.asyncIterator]();
  }

  /**
   * The next frame (RGB HWC, a new buffer the caller owns), or null after the last one. Rejects with an Error naming
   * the source when ffmpeg fails (unreadable data, a dropped connection) or cannot be started.
   */
  async read(): Promise<RgbImage | null> {
    if (this.ended || this.closed) return null;
    const { width, height } = this.options;
    const size = width * height * 3;
    const data = new Uint8Array(size);
    let filled = 0;
    while (filled < size) {
      let chunk = this.leftover;
      this.leftover = null;
      if (chunk === null) {
        const next = await this.chunks.next().catch((error: unknown) => ({ done: true as const, value: error }));
        if (next.done) return this.finish(filled);
        chunk = next.value as Buffer;
      }
      const take = Math.min(size - filled, chunk.length);
      data.set(chunk.subarray(0, take), filled);
      filled += take;
      if (take < chunk.length) this.leftover = chunk.subarray(take);
    }
    this.framesRead++;
    return { data, width, height };
  }

  /** Stops decoding (kills ffmpeg); later reads give null. Safe to call more than once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.leftover = null;
    if (this.run.child.exitCode === null && this.run.child.signalCode === null) this.run.child.kill('SIGKILL');
  }

  private async finish(partialBytes: number): Promise<null> {
    this.ended = true;
    const code = await this.run.exited;
    if (this.closed) return null;
    const note = this.run.stderr.last();
    if (code !== 0) {
      throw new Error(`${this.source}: ffmpeg failed after ${this.framesRead} frame(s): ${note || `exit code ${code}`}`);
    }
    this.endNote = note || (partialBytes > 0 ? `the last frame was cut short (${partialBytes} bytes)` : '');
    return null;
  }
}
