// Prediction sources (Ultralytics' check_source + load_inference_source, images only): resolves what the user passed
// into a list of lazily decoded images and hands them out batch by batch, so only one batch of pixels is ever held.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { globFiles } from './glob.js';
import { decodeImage, IMG_FORMATS, type RgbImage } from './images.js';

/** Video suffixes Ultralytics reads; yolots predicts on images only, so these are refused by name. */
export const VID_FORMATS = new Set(['asf', 'avi', 'gif', 'm4v', 'mkv', 'mov', 'mp4', 'mpeg', 'mpg', 'ts', 'wmv', 'webm']);

const FORMATS_HELP = `Supported image formats are: ${[...IMG_FORMATS].join(', ')}`;

/**
 * One image to predict on: a file path, a directory, a glob pattern or a .txt list of any of these (strings);
 * an encoded image file in memory (Buffer / Uint8Array); decoded RGB HWC pixels (`{ data, width, height }`); or a
 * uint8 tensor of shape (H, W, 3) holding RGB pixels.
 */
export type ImageInput = string | Uint8Array | RgbImage | Tensor;

/** What a predictor accepts as `source`: one input or a list of them. */
export type PredictSource = ImageInput | readonly ImageInput[];

/** One batch as Ultralytics' loaders yield it: `(paths, im0s, s)`. */
export interface InferenceBatch {
  /** Where each image came from (absolute file path, or `image<i>.jpg` for in-memory images). */
  paths: string[];
  /** The original images, decoded to RGB HWC. */
  images: RgbImage[];
  /** Per-image log prefix: `image 1/2 /data/bus.jpg: ` for files, the image's index (`0: `) for in-memory sources and lists. */
  infos: string[];
}

/** Ultralytics' SourceTypes; yolots reads neither streams nor screenshots, so only these two can be true. */
export interface SourceType {
  /** The source was in memory or a list: log lines are prefixed with the image index instead of a path. */
  fromImg: boolean;
  /** The source was a tensor. */
  tensor: boolean;
}

/** One image not yet decoded. */
interface PendingImage {
  path: string;
  /** Decodes it; null means an unreadable file (warned about and skipped, as Ultralytics does). */
  load(): Promise<RgbImage | null>;
}

/**
 * Images resolved from a source, decoded one batch at a time as it is iterated; iterating again starts over.
 *
 * @example
 * const dataset = loadInferenceSource('/data/images', 4);
 * for await (const { paths, images } of dataset) console.log(paths.length, images[0]?.width);
 */
export class InferenceSource implements AsyncIterable<InferenceBatch> {
  /** Ultralytics' `dataset.mode`: always 'image' here. */
  readonly mode = 'image';

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
    for (let start = 0; start < nf; start += this.bs) {
      const chunk = this.pending.slice(start, start + this.bs);
      const decoded = await Promise.all(chunk.map((p) => p.load()));
      const batch: InferenceBatch = { paths: [], images: [], infos: [] };
      decoded.forEach((image, k) => {
        if (image === null) return;
        const item = chunk[k] as PendingImage;
        batch.paths.push(item.path);
        batch.images.push(image);
        batch.infos.push(this.sourceType.fromImg ? `${start + k}: ` : `image ${start + k + 1}/${nf} ${item.path}: `);
      });
      if (batch.images.length) yield batch;
    }
  }
}

/**
 * Resolves `source` (see `ImageInput`) into an `InferenceSource` of `batch` images per batch, checking up front that
 * every path exists. URLs, webcams, screenshots and videos are refused with an Error saying why; a missing path, an
 * empty folder or an unmatched glob is an Error naming it. A file that exists but cannot be decoded is reported
 * through `warn` when its batch is loaded, and skipped.
 *
 * @example
 * const dataset = loadInferenceSource(['a.jpg', await readFile('b.png')], 2);
 */
export function loadInferenceSource(source: PredictSource, batch = 1, warn: (m: string) => void = console.warn): InferenceSource {
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch=${batch} must be a positive integer for prediction`);
  if (source === null || source === undefined)
    throw new TypeError('predict needs a source: an image path, folder, glob, .txt list, Buffer, RGB image or tensor');
  if (Array.isArray(source)) {
    if (source.length === 0) throw new Error('source is an empty list: nothing to predict on');
    const pending = (source as readonly ImageInput[]).flatMap((item, i) => pendingImages(item, i, warn));
    return new InferenceSource(pending, batch, { fromImg: true, tensor: false });
  }
  const single = source as ImageInput;
  const pending = pendingImages(single, 0, warn);
  return new InferenceSource(pending, batch, { fromImg: typeof single !== 'string', tensor: single instanceof torch.Tensor });
}

function pendingImages(item: ImageInput, index: number, warn: (m: string) => void): PendingImage[] {
  const name = `image${index}.jpg`;
  if (typeof item === 'string') {
    return imageFiles(item).map((path) => ({ path, load: () => decodeFile(path, warn) }));
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

/** Ultralytics' LoadImagesAndVideos file resolution for one string source; returns absolute image paths. */
function imageFiles(source: string): string[] {
  refuseUnsupported(source);
  let entries: string[] = [source];
  let parent: string | null = null;
  if (extname(source).toLowerCase() === '.txt') {
    if (!existsSync(source)) throw new Error(`${source} does not exist`);
    parent = dirname(source);
    entries = readFileSync(source, 'utf8')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .sort();
  }
  const files: string[] = [];
  for (const entry of entries) {
    if (entry !== source) refuseUnsupported(entry);
    const a = resolve(entry);
    if (entry.includes('*')) {
      const matched = globFiles(a);
      if (!matched.length) throw new Error(`No images found matching ${entry}. ${FORMATS_HELP}`);
      files.push(...matched);
    } else if (isDirectory(a)) files.push(...globFiles(join(a, '*.*')));
    else if (existsSync(a)) files.push(a);
    else if (parent !== null && existsSync(join(parent, entry))) files.push(resolve(parent, entry));
    else throw new Error(`${entry} does not exist${parent === null ? '' : ` (listed in ${source})`}`);
  }
  const images: string[] = [];
  for (const f of files) {
    const suffix = (f.split('.').pop() ?? '').toLowerCase();
    if (IMG_FORMATS.has(suffix)) images.push(f);
    else if (VID_FORMATS.has(suffix)) {
      throw new Error(`${f} is a video; yolots predicts on images only (extract frames first, e.g. with ffmpeg)`);
    }
  }
  if (!images.length) throw new Error(`No images found in ${source}. ${FORMATS_HELP}`);
  return images;
}

/** Sources Ultralytics reads over the network or from devices; this build works offline on files only. */
function refuseUnsupported(source: string): void {
  const lower = source.toLowerCase();
  if (/^(https?|rtsp|rtmp|tcp):\/\//.test(lower)) {
    throw new Error(
      `source ${source} is a URL: yolots predicts offline and does not download sources. Download the file yourself and pass its local path (or its bytes as a Buffer).`,
    );
  }
  if (/^\d+$/.test(source) && !existsSync(source))
    throw new Error(`source '${source}' is a webcam index: webcams are not supported by yolots`);
  if (lower === 'screen') throw new Error("source 'screen' (screenshots) is not supported by yolots");
  if (lower.endsWith('.streams')) throw new Error(`${source}: .streams files (video streams) are not supported by yolots`);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Decodes a file as Ultralytics' cv2.imread would (EXIF orientation applied), but to RGB; null when unreadable. */
async function decodeFile(path: string, warn: (m: string) => void): Promise<RgbImage | null> {
  try {
    return await decodeImage(path);
  } catch (cause) {
    warn(`WARNING ⚠️ Image Read Error ${path}: ${(cause as Error).message}`);
    return null;
  }
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
