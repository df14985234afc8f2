// What a video holds before it is decoded (ffprobe): frame size, frame rate and frame count, read the way OpenCV's
// VideoCapture reports CAP_PROP_FRAME_WIDTH/HEIGHT, CAP_PROP_FPS and CAP_PROP_FRAME_COUNT, which Ultralytics reads.
import { ffmpegTools, startTool } from './ffmpeg.js';

/** A video's first video stream as ffprobe describes it. */
export interface VideoInfo {
  /** Frame size after the container's rotation is applied (what the decoder hands out). */
  width: number;
  height: number;
  /** Frames per second (the stream's average rate; its base rate when no average is known); 0 when unknown. */
  fps: number;
  /**
   * Frame count: the container's count, else duration × fps rounded as OpenCV estimates it; Infinity for a live
   * stream or when neither is known.
   */
  frames: number;
  /** Codec name, e.g. 'h264'. */
  codec: string;
}

export interface ProbeOptions {
  /** Give up after this long (a stream that never answers); default 30 s, OpenCV's open timeout. */
  timeoutMs?: number;
}

interface ProbeJson {
  streams?: {
    codec_type?: string;
    codec_name?: string;
    width?: number;
    height?: number;
    avg_frame_rate?: string;
    r_frame_rate?: string;
    nb_frames?: string;
    side_data_list?: { rotation?: number }[];
  }[];
  format?: { duration?: string; format_name?: string };
}

/**
 * Reads `source` (a file path or a URL FFmpeg can open) with ffprobe. Rejects with an Error naming the source when
 * it cannot be opened (missing, truncated, not a media file, unreachable), holds no video stream, or does not answer
 * within the timeout.
 *
 * @example
 * const info = await probeVideo('clip.mp4'); // { width: 640, height: 480, fps: 30, frames: 300, codec: 'h264' }
 */
export async function probeVideo(source: string, options: ProbeOptions = {}): Promise<VideoInfo> {
  const { ffprobe } = ffmpegTools();
  const args = [
    '-v',
    'error',
    '-show_entries',
    'stream=codec_type,codec_name,width,height,avg_frame_rate,r_frame_rate,nb_frames:stream_side_data=rotation:format=duration,format_name',
  ];
  const run = startTool(ffprobe, [...args, '-of', 'json', source], { stdin: false, stdout: true });
  const chunks: Buffer[] = [];
  run.child.stdout?.on('data', (c: Buffer) => chunks.push(c));
  const timeoutMs = options.timeoutMs ?? 30_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    run.child.kill('SIGKILL');
  }, timeoutMs);
  let code: number | null;
  try {
    code = await run.exited;
  } finally {
    clearTimeout(timer);
  }
  if (timedOut) throw new Error(`Failed to open video ${source}: no answer within ${timeoutMs / 1000} s`);
  if (code !== 0) {
    const reason = run.stderr.last() || `ffprobe exited with code ${code}`;
    throw new Error(`Failed to open video ${source}: ${reason}`);
  }
  const json = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as ProbeJson;
  return videoInfo(json, source);
}

function videoInfo(json: ProbeJson, source: string): VideoInfo {
  const streams = json.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video' && (s.width ?? 0) > 0);
  if (!video) {
    const kinds = streams.map((s) => s.codec_type ?? 'unknown');
    const found = kinds.length ? `only ${kinds.join(', ')} stream${kinds.length > 1 ? 's' : ''}` : 'no stream at all';
    throw new Error(`${source} has no video stream (ffprobe found ${found} in this ${json.format?.format_name ?? 'file'})`);
  }
  const rotation = Math.abs(video.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? 0) % 180;
  const [w, h] = [video.width as number, video.height ?? 0];
  const fps = rate(video.avg_frame_rate) || rate(video.r_frame_rate);
  const counted = Number.parseInt(video.nb_frames ?? '', 10);
  const duration = Number.parseFloat(json.format?.duration ?? '');
  let frames = Number.POSITIVE_INFINITY;
  if (counted > 0) frames = counted;
  else if (duration > 0 && fps > 0) frames = Math.floor(duration * fps + 0.5);
  return { width: rotation === 90 ? h : w, height: rotation === 90 ? w : h, fps, frames, codec: video.codec_name ?? 'unknown' };
}

/** '30000/1001' → 29.97; '0/0' or garbage → 0. */
function rate(text: string | undefined): number {
  const [num, den] = (text ?? '').split('/').map(Number);
  if (num === undefined || !Number.isFinite(num)) return 0;
  const value = den === undefined ? num : den > 0 ? num / den : 0;
  return Number.isFinite(value) && value > 0 ? value : 0;
}
