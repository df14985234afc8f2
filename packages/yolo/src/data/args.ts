import type { Args } from '../cfg/args.js';
import { defaultCfg } from '../cfg/config.js';

/** The default.yaml keys the data pipeline reads; their meaning and defaults are documented on `Args`. */
export const DATA_KEYS = [
  'imgsz',
  'mosaic',
  'mixup',
  'degrees',
  'translate',
  'scale',
  'shear',
  'perspective',
  'flipud',
  'fliplr',
  'hsv_h',
  'hsv_s',
  'hsv_v',
  'bgr',
  'cache',
  'fraction',
  'single_cls',
  'classes',
  'rect',
  'workers',
  'seed',
  'copy_paste',
  'mask_ratio',
  'overlap_mask',
  'task',
] as const;

/**
 * The run arguments the data pipeline reads (the trainer hands its whole `args`; only these keys are read), with
 * `imgsz` as one square size and `classes` as a list.
 *
 * @example
 * const args: DataArgs = { ...DATA_DEFAULTS, imgsz: 320, mosaic: 0.5 };
 */
export type DataArgs = Omit<Pick<Args, (typeof DATA_KEYS)[number]>, 'imgsz' | 'classes' | 'cache'> & {
  /** Square train/val image size in pixels (640). */
  imgsz: number;
  /** Keep only these class ids (null = all). */
  classes: number[] | null;
  /** Keep decoded, resized images: 'ram' (or true), 'disk' (.npy next to the images) or off (false/null). */
  cache: boolean | 'ram' | 'disk' | null;
};

/**
 * The data pipeline's view of the run arguments: `imgsz` as one size (the longest side when a pair is given) and
 * `classes` as a list; only the data keys are kept.
 */
export function dataArgsFrom(args: Pick<Args, (typeof DATA_KEYS)[number]>): DataArgs {
  const imgsz = Array.isArray(args.imgsz) ? Math.max(...args.imgsz) : args.imgsz;
  const classes = args.classes === null ? null : Array.isArray(args.classes) ? args.classes : [args.classes];
  const picked = Object.fromEntries(DATA_KEYS.map((key) => [key, args[key]])) as Pick<Args, (typeof DATA_KEYS)[number]>;
  return { ...picked, imgsz, classes };
}

/** Ultralytics' defaults for the data keys, read from default.yaml. */
export const DATA_DEFAULTS: Readonly<DataArgs> = Object.freeze(dataArgsFrom(defaultCfg()));

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
