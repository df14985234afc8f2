// Ultralytics' ClassificationDataset (data/dataset.py): an image folder's verified samples, each decoded (as
// cv2.imread, in RGB) and turned into a size × size image by the training augmentations or the val transforms.
import { consoleLogger, type DataLogger } from '../args.js';
import { forEachLimited } from '../image-store.js';
import { decodeImage, type RgbImage } from '../images.js';
import { Random } from '../random.js';
import { verifyImage } from '../verify.js';
import { type ClassifyAugmentOptions, checkAutoAugment, classifyAugment } from './augment.js';
import { classFolders, imageFolderSamples } from './folders.js';
import { classifyTransforms, toChw } from './transforms.js';

/** The run arguments a classification dataset reads (Ultralytics' keys). */
export interface ClassifyDataArgs {
  imgsz: number;
  fraction: number;
  scale: number;
  fliplr: number;
  flipud: number;
  erasing: number;
  auto_augment: string | null;
  hsv_h: number;
  hsv_s: number;
  hsv_v: number;
  crop_fraction: number;
  seed: number;
  cache: boolean | string | null;
}

/** What a loader worker thread needs to rebuild the dataset without rescanning it. */
export interface ClassificationDatasetState {
  root: string;
  samples: [string, number][];
  classes: string[];
  args: ClassifyDataArgs;
  augment: boolean;
}

/** One sample: CHW uint8 planes (size × size) and its class. */
export interface ClassifySample {
  img: Uint8Array;
  cls: number;
  file: string;
}

/**
 * A folder-per-class dataset. `create` scans and verifies it (corrupt images are skipped with a warning, as
 * Ultralytics does); `getItem(i, epoch)` gives the augmented (train) or centre-cropped (val) sample.
 *
 * @example
 * const ds = await ClassificationDataset.create('datasets/pets/train', args, true, 'train');
 * const { img, cls } = await ds.getItem(0, 0); // img: 3 × imgsz × imgsz uint8
 */
export class ClassificationDataset {
  /** Decoded images kept with cache=ram (or true). */
  private readonly ram: Map<number, RgbImage> | null;
  private readonly augmentOptions: ClassifyAugmentOptions | null;

  private constructor(
    readonly root: string,
    readonly samples: [string, number][],
    readonly classes: string[],
    readonly args: ClassifyDataArgs,
    readonly augment: boolean,
  ) {
    this.ram = args.cache === true || args.cache === 'ram' ? new Map() : null;
    this.augmentOptions = augment
      ? {
          size: args.imgsz,
          scale: [1 - args.scale, 1],
          ratio: [3 / 4, 4 / 3],
          hflip: args.fliplr,
          vflip: args.flipud,
          autoAugment: checkAutoAugment(args.auto_augment),
          hsv: [args.hsv_h, args.hsv_s, args.hsv_v],
          erasing: args.erasing,
        }
      : null;
  }

  /** Scans `root` (classes = its sorted sub-folders), keeps `fraction` of a training split's samples, verifies each image. */
  static async create(
    root: string,
    args: ClassifyDataArgs,
    augment: boolean,
    prefix = '',
    log: DataLogger = consoleLogger,
  ): Promise<ClassificationDataset> {
    const classes = classFolders(root);
    let samples = imageFolderSamples(root, classes);
    // Ultralytics reduces the training split only: validation always sees every image.
    if (augment && args.fraction < 1) samples = samples.slice(0, Math.round(samples.length * args.fraction));
    const ok = new Uint8Array(samples.length);
    const messages: string[] = [];
    await forEachLimited(samples.length, 8, async (i) => {
      const [file] = samples[i] as [string, number];
      try {
        const { warning } = await verifyImage(file);
        if (warning) messages.push(`${prefix}WARNING ⚠️ ${file}: ${warning}`);
        ok[i] = 1;
      } catch (e) {
        messages.push(`${prefix}WARNING ⚠️ ${file}: ignoring corrupt image/label: ${(e as Error).message}`);
      }
    });
    const kept = samples.filter((_, i) => ok[i]);
    log.info(`${prefix ? `${prefix}: ` : ''}Scanning ${root}... ${kept.length} images, ${samples.length - kept.length} corrupt`);
    for (const m of messages.sort()) log.warn(m);
    if (kept.length === 0) throw new Error(`${root}: no usable images (expected <class>/<image> files; see the warnings above)`);
    return new ClassificationDataset(root, kept, classes, args, augment);
  }

  get length(): number {
    return this.samples.length;
  }

  /** The scanned dataset as plain data, for loader worker threads (`fromState`). */
  toState(): ClassificationDatasetState {
    return { root: this.root, samples: this.samples, classes: this.classes, args: this.args, augment: this.augment };
  }

  /** The dataset `toState` described (no scan, no verification). */
  static fromState(state: ClassificationDatasetState): ClassificationDataset {
    return new ClassificationDataset(state.root, state.samples, state.classes, state.args, state.augment);
  }

  /** The image of sample `index` decoded (RGB), from RAM when cached. */
  async loadImage(index: number): Promise<RgbImage> {
    const cached = this.ram?.get(index);
    if (cached) return cached;
    const img = await decodeImage((this.samples[index] as [string, number])[0]);
    this.ram?.set(index, img);
    return img;
  }

  /** Sample `index` of `epoch`: augmented with the sample's own generator when training, else the val transforms. */
  async getItem(index: number, epoch = 0): Promise<ClassifySample> {
    const [file, cls] = this.samples[index] as [string, number];
    const img = await this.loadImage(index);
    const chw = this.augmentOptions
      ? classifyAugment(img, this.augmentOptions, Random.forSample(this.args.seed, epoch, index))
      : toChw(classifyTransforms(img, this.args.imgsz, this.args.crop_fraction));
    return { img: chw, cls, file };
  }
}
