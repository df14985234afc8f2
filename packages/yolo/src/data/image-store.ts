import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { freemem } from 'node:os';
import { dirname } from 'node:path';
import { BroadcastChannel } from 'node:worker_threads';
import type { DataLogger } from './args.js';
import { decodeImage, longSideSize, type RgbImage, readNpy, resizeLongSide, writeNpy } from './images.js';
import { isDirWriteable } from './label-cache.js';

/** A decoded image at training resolution with the shape it had on disk. */
export interface LoadedImage {
  img: RgbImage;
  /** [h, w] decoded (EXIF applied). */
  oriShape: [number, number];
}

export type CacheMode = 'ram' | 'disk' | null;

/** What a worker thread needs to rebuild the store; RAM-cached pixels travel as SharedArrayBuffers, not copies. */
export interface ImageStoreState {
  imFiles: string[];
  shapes: [number, number][];
  imgsz: number;
  cache: CacheMode;
  bufferLength: number;
  /**
   * The BroadcastChannel on which the stores of one dataset's loader threads share what they decode (null: no
   * buffer). Each thread's buffer then holds the same pixels (SharedArrayBuffers), not a copy of its own.
   */
  bufferChannel: string | null;
  ram: (LoadedImage | null)[] | null;
}

/** A channel name for `ImageStoreState.bufferChannel`, unique to one dataset. */
export function newBufferChannel(): string {
  return `yolots-image-buffer-${randomUUID()}`;
}

/** What a store broadcasts after decoding an image: its index and the pixels, in a SharedArrayBuffer. */
interface SharedImage {
  index: number;
  loaded: LoadedImage;
}

/**
 * Loads dataset images resized so the long side is imgsz (Ultralytics' load_image), from RAM (`cache='ram'`,
 * shared across loader threads), from .npy files beside the images (`cache='disk'`), or by decoding. A bounded
 * buffer of recently loaded images (min(n, batch·8, 1000), as Ultralytics) saves re-decoding mosaic partners; the
 * loader threads of one dataset share it, so each image is decoded once per process and held once, not once per
 * thread. Callers get their own copy of the pixels, so augmentations may work in place.
 */
export class ImageStore {
  private readonly recent = new Map<number, LoadedImage>();
  /** Opened on the first load, so a store that never loads (the main thread's, when threads load) holds nothing. */
  private channel: BroadcastChannel | null = null;

  constructor(private readonly state: ImageStoreState) {}

  get length(): number {
    return this.state.imFiles.length;
  }

  toState(): ImageStoreState {
    return this.state;
  }

  async load(i: number): Promise<LoadedImage> {
    const cached = this.state.ram?.[i] ?? this.recent.get(i);
    const loaded = cached ?? (await this.read(i));
    if (!cached && this.state.bufferLength > 0) {
      const shared = toShared(loaded);
      this.remember(i, shared);
      this.openChannel()?.postMessage({ index: i, loaded: shared } satisfies SharedImage);
    }
    const { img } = loaded;
    return { img: { data: img.data.slice(), height: img.height, width: img.width }, oriShape: loaded.oriShape };
  }

  private remember(i: number, loaded: LoadedImage): void {
    this.recent.delete(i);
    this.recent.set(i, loaded);
    if (this.recent.size > this.state.bufferLength) this.recent.delete(this.recent.keys().next().value as number);
  }

  private openChannel(): BroadcastChannel | null {
    if (this.channel || !this.state.bufferChannel) return this.channel;
    this.channel = new BroadcastChannel(this.state.bufferChannel);
    this.channel.unref(); // the buffer never keeps a thread alive
    this.channel.onmessage = (event: unknown) => {
      const { index, loaded } = (event as { data: SharedImage }).data;
      if (!this.recent.has(index)) this.remember(index, loaded);
    };
    return this.channel;
  }

  private async read(i: number): Promise<LoadedImage> {
    const file = this.state.imFiles[i]!;
    if (this.state.cache === 'disk') {
      const npy = npyPath(file);
      if (existsSync(npy)) {
        try {
          const full = await readNpy(npy);
          return { img: resizeLongSide(full, this.state.imgsz), oriShape: [full.height, full.width] };
        } catch {
          // An unreadable cache file is ignored: the image itself is decoded below.
        }
      }
    }
    const full = await decodeImage(file);
    return { img: resizeLongSide(full, this.state.imgsz), oriShape: [full.height, full.width] };
  }

  /**
   * Fills the RAM cache (into SharedArrayBuffers) or writes the .npy disk cache, after Ultralytics' checks: RAM
   * needs the estimate from 30 sampled images plus 50 % to fit in free memory, disk needs a writeable folder.
   * When a check fails it warns and the images are decoded on the fly instead.
   */
  async fill(log: DataLogger, prefix = ''): Promise<void> {
    const { cache } = this.state;
    const n = this.length;
    if (cache === 'ram') {
      const sample = Math.min(n, 30);
      let bytes = 0;
      for (let k = 0; k < sample; k++) {
        const [h0, w0] = this.state.shapes[Math.floor((k * n) / sample)]!;
        const [h, w] = longSideSize(h0, w0, this.state.imgsz);
        bytes += h * w * 3;
      }
      const required = ((bytes * n) / sample) * 1.5;
      if (required > freemem()) {
        log.warn(
          `${prefix}${(required / 2 ** 30).toFixed(1)}GB RAM required to cache images with 50% safety margin but only ${(freemem() / 2 ** 30).toFixed(1)}GB available, not caching images ⚠️`,
        );
        this.state.cache = null;
        return;
      }
      const ram: (LoadedImage | null)[] = new Array(n).fill(null);
      await forEachLimited(n, 8, async (i) => {
        ram[i] = toShared(await this.read(i));
      });
      this.state.ram = ram;
      log.info(`${prefix}Caching images (${(required / 1.5 / 2 ** 30).toFixed(2)}GB RAM): ${n} images`);
    } else if (cache === 'disk') {
      const dir = dirname(this.state.imFiles[0]!);
      if (!isDirWriteable(dir)) {
        log.warn(`${prefix}Skipping caching images to disk, directory not writeable ⚠️ (${dir})`);
        this.state.cache = null;
        return;
      }
      await forEachLimited(n, 4, async (i) => {
        const file = this.state.imFiles[i]!;
        if (!existsSync(npyPath(file))) await writeNpy(npyPath(file), await decodeImage(file));
      });
      log.info(`${prefix}Caching images (disk): ${n} .npy files next to the images`);
    }
  }
}

/** The image with its pixels moved into a SharedArrayBuffer, so that other threads can hold the same bytes. */
function toShared(loaded: LoadedImage): LoadedImage {
  const { img, oriShape } = loaded;
  const data = new Uint8Array(new SharedArrayBuffer(img.data.length));
  data.set(img.data);
  return { img: { data, height: img.height, width: img.width }, oriShape };
}

/** Ultralytics' disk-cache file name: the image path with a .npy suffix. */
export function npyPath(file: string): string {
  const dot = file.lastIndexOf('.');
  return `${dot < 0 ? file : file.slice(0, dot)}.npy`;
}

/** Runs fn(0..n-1) with at most `limit` calls in flight. */
export async function forEachLimited(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const run = async (): Promise<void> => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, run));
}
