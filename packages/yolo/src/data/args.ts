/**
 * The Ultralytics default.yaml keys the data pipeline reads, with Ultralytics 8.2.103's defaults. The trainer
 * hands its full `args` object; only these keys are read.
 *
 * @example
 * const args: DataArgs = { ...DATA_DEFAULTS, imgsz: 320, mosaic: 0.5 };
 */
export interface DataArgs {
  /** Square train/val image size in pixels (640). */
  imgsz: number;
  /** Probability of a 4-image mosaic (1.0). */
  mosaic: number;
  /** Probability of MixUp (0.0). */
  mixup: number;
  /** Rotation range ± degrees (0.0). */
  degrees: number;
  /** Translation ± fraction of the image size (0.1). */
  translate: number;
  /** Scale gain ± (0.5). */
  scale: number;
  /** Shear ± degrees (0.0). */
  shear: number;
  /** Perspective ± fraction, 0-0.001 (0.0). */
  perspective: number;
  /** Probability of an up-down flip (0.0). */
  flipud: number;
  /** Probability of a left-right flip (0.5). */
  fliplr: number;
  /** Hue gain fraction (0.015). */
  hsv_h: number;
  /** Saturation gain fraction (0.7). */
  hsv_s: number;
  /** Value gain fraction (0.4). */
  hsv_v: number;
  /** Probability of handing the image out in BGR instead of RGB (0.0). */
  bgr: number;
  /** Keep decoded, resized images: 'ram' (or true), 'disk' (.npy next to the images) or off (false). */
  cache: boolean | 'ram' | 'disk' | null;
  /** Fraction of the train images used, from the start of the sorted list (1.0). */
  fraction: number;
  /** Train as one class (false). */
  single_cls: boolean;
  /** Keep only these class ids (null = all). */
  classes: number[] | null;
  /** Rectangular batches (false; validation always uses them). */
  rect: boolean;
  /** Loader worker threads (8, capped by the cpu count). */
  workers: number;
  /** Global seed (0). */
  seed: number;
}

export const DATA_DEFAULTS: Readonly<DataArgs> = Object.freeze({
  imgsz: 640,
  mosaic: 1.0,
  mixup: 0.0,
  degrees: 0.0,
  translate: 0.1,
  scale: 0.5,
  shear: 0.0,
  perspective: 0.0,
  flipud: 0.0,
  fliplr: 0.5,
  hsv_h: 0.015,
  hsv_s: 0.7,
  hsv_v: 0.4,
  bgr: 0.0,
  cache: false,
  fraction: 1.0,
  single_cls: false,
  classes: null,
  rect: false,
  workers: 8,
  seed: 0,
});

/** Where the pipeline reports scan results and warnings (console unless the caller routes it elsewhere). */
export interface DataLogger {
  info(message: string): void;
  warn(message: string): void;
}

export const consoleLogger: DataLogger = {
  info: (m) => console.log(m),
  warn: (m) => console.warn(m),
};

/** Fills the keys a caller left out with the defaults. */
export function dataArgs(args: Partial<DataArgs> = {}): DataArgs {
  const out: DataArgs = { ...DATA_DEFAULTS };
  for (const key of Object.keys(DATA_DEFAULTS) as (keyof DataArgs)[]) {
    if (args[key] !== undefined) (out as unknown as Record<string, unknown>)[key] = args[key];
  }
  return out;
}

/**
 * The data pipeline's view of the run arguments: `imgsz` as one size (the longest side when a pair is given) and
 * `classes` as a list.
 */
export function dataArgsFrom(args: { imgsz: number | number[]; classes: number | number[] | null } & Omit<DataArgs, 'imgsz' | 'classes'>): DataArgs {
  const imgsz = Array.isArray(args.imgsz) ? Math.max(...args.imgsz) : args.imgsz;
  const classes = args.classes === null ? null : Array.isArray(args.classes) ? args.classes : [args.classes];
  return { ...args, imgsz, classes };
}
