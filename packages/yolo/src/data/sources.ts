// Prediction sources (Ultralytics' check_source + load_inference_source): resolves what the user passed into a
// dataset that decodes lazily and hands out one batch at a time. Files, folders, globs and .txt lists of images and
// videos go to LoadImagesAndVideos, stream URLs and `.streams` files to LoadStreams, in-memory images and lists to
// InferenceSource (below).
import { existsSync } from 'node:fs';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { decodeImage, IMG_FORMATS, type RgbImage } from './images.js';
import { decodeFile } from './loaders/decode.js';
import { isUrl, resolveMediaFiles, suffixOf, VID_FORMATS } from './loaders/files.js';
import { LoadImagesAndVideos } from './loaders/images-videos.js';
import { LoadStreams } from './loaders/streams.js';
import type { InferenceBatch, InferenceDataset, SourceType } from './loaders/types.js';

export { VID_FORMATS } from './loaders/files.js';
export { LoadImagesAndVideos } from './loaders/images-videos.js';
export { LoadStreams } from './loaders/streams.js';
export type { DatasetMode, InferenceBatch, InferenceDataset, SourceType } from './loaders/types.js';

/**
 * One source item: a file path, a directory, a glob, a .txt list, a video or a stream URL (strings); an encoded
 * image file in memory (Buffer / Uint8Array); decoded RGB HWC pixels (`{ data, width, height }`); or a uint8 tensor
 * of shape (H, W, 3) holding RGB pixels.
 */
export type ImageInput = string | Uint8Array | RgbImage | Tensor;

/** What a predictor accepts as `source`: one input or a list of them (a list holds images only). */
export type PredictSource = ImageInput | readonly ImageInput[];

/** How videos and streams are read (Ultralytics' `vid_stride` and `stream_buffer`). */
export interface VideoSourceOptions {
  /** Read every `vidStride`-th frame (1). */
  vidStride?: number;
  /** Streams: keep up to 30 frames instead of the newest only (false). */
  buffer?: boolean;
}

/** One image not yet decoded. */
interface PendingImage {
  path: string;
  /** Decodes it; null means an unreadable file (warned about and skipped, as Ultralytics does). */
  load(): Promise<RgbImage | null>;
}

/**
 * In-memory images and lists of images (Ultralytics' LoadPilAndNumpy / LoadTensor), decoded one batch at a time as
 * it is iterated; iterating again starts over.
 *
 * @example
 * const dataset = loadInferenceSource([await readFile('a.jpg'), 'b.png'], 2);
 * for await (const { paths, images } of dataset) console.log(paths.length, images[0]?.width);
 */
export class InferenceSource implements InferenceDataset {
  readonly mode = 'image';
  readonly videoFlag: readonly boolean[] = [];
  readonly frame = 0;
  readonly frames = 0;
  readonly fps = 0;
  count = 0;

  constructor(
    private readonly pending: readonly PendingImage[],
    /** Images per batch. */
    readonly bs: number,
    readonly sourceType: SourceType,
  ) {}

  /** Number of images (Ultralytics' `len(dataset)`). */
  get length(): number {
    return this.pending.length;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<InferenceBatch> {
    const nf = this.pending.length;
    for (this.count = 0; this.count < nf; this.count += this.bs) {
      const start = this.count;
      const chunk = this.pending.slice(start, start + this.bs);
      const decoded = await Promise.all(chunk.map((p) => p.load()));
      const batch: InferenceBatch = { paths: [], images: [], infos: [], frames: [], fps: [] };
      decoded.forEach((image, k) => {
        if (image === null) return;
        const item = chunk[k]!;
        batch.paths.push(item.path);
        batch.images.push(image);
        batch.infos.push(this.sourceType.fromImg ? `${start + k}: ` : `image ${start + k + 1}/${nf} ${item.path}: `);
        batch.frames.push(null);
        batch.fps.push(null);
      });
      if (batch.images.length) yield batch;
    }
  }

  /** Nothing runs in the background for in-memory images. */
  close(): void {}
}

/**
 * Resolves `source` into a dataset of `batch` images per batch (Ultralytics' load_inference_source):
 * - a file, folder, glob or .txt list of images and videos → `LoadImagesAndVideos` (images first, then videos,
 *   frame by frame); every path is checked up front;
 * - an rtsp/rtmp/tcp URL, an http(s) URL without a media suffix, or a `.streams` file → `LoadStreams` (live);
 * - an http(s) URL ending in a video suffix → read as a video file (FFmpeg reads it over the network);
 * - in-memory images and lists of images → `InferenceSource`.
 *
 * A missing path, an empty folder or an unmatched glob is an Error naming it; so are webcams, screenshots and image
 * URLs (yolots downloads nothing). A video or stream that cannot be opened is an Error naming it when iteration
 * reaches it. A still image that exists but cannot be decoded is reported through `warn` and skipped.
 *
 * @example
 * const dataset = loadInferenceSource('clips/', 4, console.warn, { vidStride: 2 });
 */
export function loadInferenceSource(
  source: PredictSource,
  batch = 1,
  warn: (m: string) => void = console.warn,
  options: VideoSourceOptions = {},
): InferenceDataset {
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch=${batch} must be a positive integer for prediction`);
  if (source === null || source === undefined)
    throw new TypeError('predict needs a source: an image or video path, folder, glob, .txt list, stream URL, Buffer, RGB image or tensor');
  const vidStride = options.vidStride ?? 1;
  if (!Number.isInteger(vidStride) || vidStride < 1) throw new RangeError(`vid_stride=${vidStride} must be a positive integer`);
  if (Array.isArray(source)) {
    if (source.length === 0) throw new Error('source is an empty list: nothing to predict on');
    const pending = (source as readonly ImageInput[]).flatMap((item, i) => pendingImages(item, i, warn));
    return new InferenceSource(pending, batch, { stream: false, screenshot: false, fromImg: true, tensor: false });
  }
  const single = source as ImageInput;
  if (typeof single === 'string') {
    refuseUnsupported(single);
    if (isStream(single)) return new LoadStreams(single, { vidStride, buffer: options.buffer, warn });
    const media = isUrl(single) ? { images: [], videos: [single] } : resolveMediaFiles(single, refuseUnsupported);
    return new LoadImagesAndVideos(media, { batch, vidStride, warn });
  }
  const pending = pendingImages(single, 0, warn);
  return new InferenceSource(pending, batch, { stream: false, screenshot: false, fromImg: true, tensor: single instanceof torch.Tensor });
}

/** Ultralytics' check_source `webcam` test: a `.streams` file, or a URL that does not name a media file. */
function isStream(source: string): boolean {
  if (source.toLowerCase().endsWith('.streams')) return true;
  return isUrl(source) && !VID_FORMATS.has(suffixOf(source));
}

function pendingImages(item: ImageInput, index: number, warn: (m: string) => void): PendingImage[] {
  const name = `image${index}.jpg`;
  if (typeof item === 'string') {
    refuseUnsupported(item);
    if (isStream(item)) throw new Error(`source item ${index} (${item}) is a stream: pass a stream URL alone, not in a list`);
    const media = resolveMediaFiles(item, refuseUnsupported);
    if (media.videos.length) {
      throw new Error(
        `source item ${index} holds the video ${media.videos[0]}: a list holds images only; pass a video, folder, glob or .txt list alone`,
      );
    }
    return media.images.map((path) => ({ path, load: () => decodeFile(path, warn) }));
  }
  if (item instanceof torch.Tensor) {
    checkImageTensor(item, name);
    return [{ path: name, load: async () => tensorToImage(item, name) }];
  }
  if (item instanceof Uint8Array) return [{ path: name, load: () => decodeEncoded(item, name) }];
  if (isRgbImage(item)) {
    checkRgbImage(item, name);
    return [{ path: name, load: async () => item }];
  }
  throw new TypeError(
    `source item ${index} is ${describe(item)}; expected a path string, an encoded image Buffer, { data, width, height } RGB pixels or a uint8 (H, W, 3) tensor`,
  );
}

/** Sources Ultralytics reads that yolots does not: downloads, webcams, screenshots. */
function refuseUnsupported(source: string): void {
  if (isUrl(source) && IMG_FORMATS.has(suffixOf(source))) {
    throw new Error(
      `source ${source} is an image URL: yolots does not download sources. Download the file yourself and pass its local path (or its bytes as a Buffer). Video and stream URLs are read directly.`,
    );
  }
  if (/^\d+$/.test(source) && !existsSync(source))
    throw new Error(`source '${source}' is a webcam index: webcams are not supported by yolots (an rtsp:// or http:// camera stream is)`);
  if (source.toLowerCase() === 'screen') throw new Error("source 'screen' (screenshots) is not supported by yolots");
}

async function decodeEncoded(bytes: Uint8Array, name: string): Promise<RgbImage> {
  try {
    return await decodeImage(bytes);
  } catch (cause) {
    throw new Error(`${name}: the in-memory bytes (${bytes.byteLength} B) are not a decodable image: ${(cause as Error).message}`, {
      cause,
    });
  }
}

function isRgbImage(item: unknown): item is RgbImage {
  return typeof item === 'object' && item !== null && 'data' in item && 'width' in item && 'height' in item;
}

function checkRgbImage(img: RgbImage, name: string): void {
  const { data, width, height } = img;
  if (!(data instanceof Uint8Array) || !Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new TypeError(`${name}: RGB pixels need data: Uint8Array and positive integer width and height`);
  }
  if (data.length !== width * height * 3) {
    throw new RangeError(`${name}: ${data.length} bytes is not ${height}x${width}x3 RGB (${width * height * 3} bytes)`);
  }
}

function checkImageTensor(t: Tensor, name: string): void {
  if (t.dtype !== 'uint8' || t.ndim !== 3 || t.shape[2] !== 3) {
    throw new TypeError(`${name}: a tensor source must be uint8 RGB of shape (H, W, 3), got ${t.dtype} [${t.shape.join(', ')}]`);
  }
}

function tensorToImage(t: Tensor, name: string): RgbImage {
  if (t.isDisposed) throw new Error(`${name}: the source tensor was disposed before it was read`);
  const [height, width] = t.shape as [number, number, number];
  return { data: t.toTypedArray() as Uint8Array, height, width };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a nested list';
  return typeof value === 'object' ? `an object (${Object.keys(value as object).join(', ') || 'no keys'})` : `a ${typeof value}`;
}
