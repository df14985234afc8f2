/**
 * Options of the built-in dataset: defaults, validation, and the default folder.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { SHAPE_NAMES, type ShapeName } from './geometry.js';

/** What `ensureShapesDataset` accepts; every field is optional. */
export interface ShapesDatasetOptions {
  /** Folder of the dataset; default `defaultShapesDir()`. */
  dir?: string;
  /** Seed of the generator (an unsigned 32-bit integer); default 0. */
  seed?: number;
  /** Number of training images; default 256. */
  trainImages?: number;
  /** Number of validation images; default 64. */
  valImages?: number;
  /** Side of the square images in pixels; default 256. */
  imgsz?: number;
  /** The classes, in class-index order; default all of SHAPE_NAMES. */
  classes?: readonly ShapeName[];
  /** Regenerate even if a complete dataset with the same options is already there. */
  force?: boolean;
  /**
   * Polygon labels (YOLO-seg, `cls x1 y1 x2 y2 …`: the outline of each object's visible pixels) for instance
   * segmentation instead of boxes; the default folder is then `<default>-seg`. Default false.
   */
  polygons?: boolean;
}

/** The options that define the dataset's content, all filled in; recorded in its manifest. */
export interface ShapesContentOptions {
  seed: number;
  trainImages: number;
  valImages: number;
  imgsz: number;
  classes: ShapeName[];
  /** Present (true) for a segmentation dataset: polygon labels. */
  polygons?: true;
}

/** Validated options with defaults applied and `dir` made absolute. */
export interface ResolvedShapesOptions {
  dir: string;
  content: ShapesContentOptions;
  force: boolean;
}

const DEFAULTS = { seed: 0, trainImages: 256, valImages: 64, imgsz: 256 } as const;
const MAX_IMAGES = 1_000_000;
const MIN_IMGSZ = 64;
const MAX_IMGSZ = 2048;

/**
 * Where the dataset goes when no `dir` is given: `$YOLOTS_DATASETS_DIR/shapes` if that variable is set, else
 * `~/.cache/yolots/datasets/shapes`.
 * @example defaultShapesDir({ YOLOTS_DATASETS_DIR: '/data' }) === '/data/shapes'
 */
export function defaultShapesDir(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.YOLOTS_DATASETS_DIR;
  return root ? resolve(root, 'shapes') : join(homedir(), '.cache', 'yolots', 'datasets', 'shapes');
}

function integerOption(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`ensureShapesDataset: option '${name}' must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

function classesOption(value: readonly ShapeName[] | undefined): ShapeName[] {
  if (value === undefined) return [...SHAPE_NAMES];
  if (!Array.isArray(value) || value.length === 0) {
    throw new Error(`ensureShapesDataset: option 'classes' must be a non-empty list of ${SHAPE_NAMES.join(', ')}`);
  }
  const seen = new Set<string>();
  for (const name of value) {
    if (!(SHAPE_NAMES as readonly string[]).includes(name)) {
      throw new Error(`ensureShapesDataset: option 'classes' has unknown shape '${String(name)}' (known: ${SHAPE_NAMES.join(', ')})`);
    }
    if (seen.has(name)) throw new Error(`ensureShapesDataset: option 'classes' lists '${name}' twice`);
    seen.add(name);
  }
  return [...value];
}

/**
 * Applies defaults and checks every option, throwing an Error that names the bad one.
 * @example resolveShapesOptions({ imgsz: 128 }).content.trainImages === 256
 */
export function resolveShapesOptions(options: ShapesDatasetOptions = {}): ResolvedShapesOptions {
  return {
    dir: resolve(options.dir ?? (options.polygons ? `${defaultShapesDir()}-seg` : defaultShapesDir())),
    content: {
      seed: integerOption('seed', options.seed, DEFAULTS.seed, 0, 0xffffffff),
      trainImages: integerOption('trainImages', options.trainImages, DEFAULTS.trainImages, 1, MAX_IMAGES),
      valImages: integerOption('valImages', options.valImages, DEFAULTS.valImages, 1, MAX_IMAGES),
      imgsz: integerOption('imgsz', options.imgsz, DEFAULTS.imgsz, MIN_IMGSZ, MAX_IMGSZ),
      classes: classesOption(options.classes),
      ...(options.polygons ? { polygons: true as const } : {}),
    },
    force: options.force ?? false,
  };
}
