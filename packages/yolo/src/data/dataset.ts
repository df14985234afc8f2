import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { consoleLogger, type DataArgs, type DataLogger } from './args.js';
import { Format, type FormattedSample } from './augment/format.js';
import { LetterBox } from './augment/letterbox.js';
import { Compose, type Sample, type Transform } from './augment/transform.js';
import { v8Transforms } from './augment/v8-transforms.js';
import { getImgFiles, img2labelPaths } from './files.js';
import { type CacheMode, forEachLimited, ImageStore, type ImageStoreState, newBufferChannel } from './image-store.js';
import { Instances } from './instances.js';
import {
  filesHash,
  LABEL_CACHE_VERSION,
  type LabelCache,
  labelCachePath,
  loadLabelCache,
  type ScanResults,
  saveLabelCache,
} from './label-cache.js';
import { resampleSegment, SEGMENT_POINTS } from './polygons.js';
import { Random } from './random.js';
import { type ImageLabels, verifyImageLabel } from './verify.js';

/** A user transform that worker threads can re-create: `new (await import(module))[exportName](options)`. */
export interface TransformSpec {
  /** Module URL or absolute path. */
  module: string;
  /** Name of the exported class implementing Transform. */
  exportName: string;
  /** Passed to its constructor; must survive structured cloning. */
  options?: unknown;
}

export interface YOLODatasetOptions {
  /** Folder(s) or .txt list(s) of images. */
  imgPath: string | string[];
  /** The trainer args; see DataArgs for the keys read. */
  hyp: DataArgs;
  /** Class count (data.yaml `nc`): labels with a class >= nc make their image corrupt. */
  nc: number;
  batchSize: number;
  /** Train pipeline (true) or validation letterbox (false). */
  augment: boolean;
  /** Rectangular batches by aspect ratio. */
  rect?: boolean;
  stride?: number;
  /** Rect batch padding in strides (Ultralytics: 0 for train, 0.5 for val). */
  pad?: number;
  /** Log line prefix, e.g. 'train: '. */
  prefix?: string;
  log?: DataLogger;
  /**
   * The task the samples are for: 'segment' needs polygon labels and makes masks (`mask_ratio`, `overlap_mask`);
   * 'detect' (the default) uses polygons, when the labels have them, only to move boxes through augmentation.
   */
  task?: 'detect' | 'segment';
}

/** Everything a worker thread needs to rebuild the dataset (structured-clone safe). */
export interface DatasetState {
  labels: ImageLabels[];
  store: ImageStoreState;
  hyp: DataArgs;
  augment: boolean;
  rect: boolean;
  batchShapes: [number, number][] | null;
  batchOf: number[] | null;
  transformSpecs: TransformSpec[];
  /** Samples carry masks (a segment dataset). */
  useSegments: boolean;
}

/**
 * Ultralytics' YOLODataset for detection: verified, cached labels; images loaded at imgsz (optionally cached);
 * the train augmentation pipeline or the validation letterbox; rect batch shapes. `getItem(index, epoch)` gives
 * one formatted sample, its randomness fixed by (seed, epoch, index).
 *
 * @example
 * const ds = await YOLODataset.create({ imgPath: data.train, hyp: dataArgs(), nc: data.nc, batchSize: 16, augment: true });
 * const sample = await ds.getItem(0, 0);
 */
export class YOLODataset {
  /** Scan totals (images found/missing/empty/corrupt); null in worker threads. */
  scan: ScanResults | null = null;
  transforms: Compose;
  private format: Format;
  private readonly store: ImageStore;
  private readonly userTransforms: Transform[] = [];

  private constructor(private readonly state: DatasetState) {
    this.store = new ImageStore(state.store);
    this.transforms = this.buildTransforms();
    this.format = this.buildFormat();
  }

  /** Finds the images, verifies (or reads cached) labels, applies filters, rect order and the image cache. */
  static async create(options: YOLODatasetOptions): Promise<YOLODataset> {
    const log = options.log ?? consoleLogger;
    const prefix = options.prefix ?? '';
    const hyp = { ...options.hyp };
    const imFiles = getImgFiles(options.imgPath, options.augment ? hyp.fraction : 1, prefix);
    const { labels, results } = await getLabels(imFiles, options.nc, log, prefix);
    const useSegments = options.task === 'segment';
    checkSegments(labels, useSegments, log, prefix);
    applyClassFilters(labels, hyp.classes, hyp.single_cls);
    const rect = hyp.rect || (options.rect ?? false);
    let batchShapes: [number, number][] | null = null;
    let batchOf: number[] | null = null;
    if (rect) {
      ({ batchShapes, batchOf } = setRectangle(labels, options.batchSize, hyp.imgsz, options.stride ?? 32, options.pad ?? 0));
    }
    if (options.augment && rect) {
      hyp.mosaic = 0;
      hyp.mixup = 0;
    }
    const cache: CacheMode = hyp.cache === true ? 'ram' : hyp.cache ? hyp.cache : null;
    const store: ImageStoreState = {
      imFiles: labels.map((l) => l.imFile),
      shapes: labels.map((l) => l.shape),
      imgsz: hyp.imgsz,
      cache,
      bufferLength: options.augment ? Math.min(labels.length, options.batchSize * 8, 1000) : 0,
      bufferChannel: options.augment ? newBufferChannel() : null,
      ram: null,
    };
    const ds = new YOLODataset({
      labels,
      store,
      hyp,
      augment: options.augment,
      rect,
      batchShapes,
      batchOf,
      transformSpecs: [],
      useSegments,
    });
    ds.scan = results;
    if (cache) await ds.store.fill(log, prefix);
    return ds;
  }

  /** Rebuilds a dataset from `toState()` in a worker thread, re-importing user transforms. */
  static async fromState(state: DatasetState): Promise<YOLODataset> {
    const ds = new YOLODataset({ ...state, transformSpecs: [] });
    for (const spec of state.transformSpecs) await ds.useTransform(spec);
    return ds;
  }

  toState(): DatasetState {
    return { ...this.state, store: this.store.toState() };
  }

  get length(): number {
    return this.state.labels.length;
  }

  get labels(): readonly ImageLabels[] {
    return this.state.labels;
  }

  get imFiles(): string[] {
    return this.state.store.imFiles;
  }

  get hyp(): Readonly<DataArgs> {
    return this.state.hyp;
  }

  /** Per-batch [h, w] under rect batching, else null. */
  get batchShapes(): readonly [number, number][] | null {
    return this.state.batchShapes;
  }

  /**
   * Adds a user transform after the built-in ones (before Format), loaded from a module so loader worker threads
   * can load it too. It survives closeMosaic().
   *
   * @example
   * await ds.useTransform({ module: new URL('./grey.js', import.meta.url).href, exportName: 'Grey' });
   */
  async useTransform(spec: TransformSpec): Promise<void> {
    const mod = (await import(spec.module)) as Record<string, new (options?: unknown) => Transform>;
    const Ctor = mod[spec.exportName];
    if (typeof Ctor !== 'function') throw new Error(`useTransform: '${spec.module}' has no export '${spec.exportName}'`);
    const t = new Ctor(spec.options);
    if (typeof t.apply !== 'function') throw new Error(`useTransform: ${spec.exportName} has no apply() method`);
    this.userTransforms.push(t);
    this.state.transformSpecs.push(spec);
    this.transforms.append(t);
  }

  /** Ultralytics' close_mosaic: mosaic, copy-paste and mixup off for the last epochs (LetterBox → perspective → HSV → flips). */
  closeMosaic(): void {
    this.state.hyp = { ...this.state.hyp, mosaic: 0, copy_paste: 0, mixup: 0 };
    this.transforms = this.buildTransforms();
  }

  /** Replaces the augmentation settings (the loader forwards them to its workers each epoch). */
  setHyp(hyp: DataArgs): void {
    this.state.hyp = { ...hyp };
    this.transforms = this.buildTransforms();
    this.format = this.buildFormat();
  }

  private buildFormat(): Format {
    const { hyp, augment, useSegments } = this.state;
    return new Format(augment ? hyp.bgr : 0, useSegments ? { ratio: hyp.mask_ratio, overlap: hyp.overlap_mask } : null);
  }

  /** True when samples carry masks (a segment dataset). */
  get useSegments(): boolean {
    return this.state.useSegments;
  }

  private buildTransforms(): Compose {
    const { hyp, augment } = this.state;
    const base = augment ? v8Transforms(this, hyp.imgsz, hyp) : new Compose([new LetterBox([hyp.imgsz, hyp.imgsz], { scaleup: false })]);
    for (const t of this.userTransforms) base.append(t);
    return base;
  }

  /** One image with a copy of its labels, before augmentation (Ultralytics' get_image_and_label). */
  async getImageAndLabel(index: number): Promise<Sample> {
    const label = this.state.labels[index];
    if (!label) throw new RangeError(`YOLODataset: index ${index} out of range (${this.length} images)`);
    const { img, oriShape } = await this.store.load(index);
    const sample: Sample = {
      img,
      cls: label.cls.slice(),
      // Polygons are resampled to 1000 points on every load, as Ultralytics' update_labels_info does.
      instances: new Instances(label.bboxes.slice(), 'xywh', true, label.segments ? resampleAll(label.segments) : undefined),
      imFile: label.imFile,
      oriShape,
      resizedShape: [img.height, img.width],
      ratio: [img.height / oriShape[0], img.width / oriShape[1]],
    };
    const { batchShapes, batchOf } = this.state;
    if (batchShapes && batchOf) sample.rectShape = batchShapes[batchOf[index]!];
    return sample;
  }

  /** The augmented, formatted sample `index` of epoch `epoch`. */
  async getItem(index: number, epoch: number): Promise<FormattedSample> {
    const rng = Random.forSample(this.state.hyp.seed, epoch, index);
    const sample = await this.transforms.apply(await this.getImageAndLabel(index), rng);
    return this.format.apply(sample, rng);
  }
}

async function getLabels(
  imFiles: string[],
  nc: number,
  log: DataLogger,
  prefix: string,
): Promise<{ labels: ImageLabels[]; results: ScanResults }> {
  const labelFiles = img2labelPaths(imFiles);
  const noLabels = missingLabelsError(labelFiles, imFiles, prefix);
  const cachePath = labelCachePath(labelFiles);
  const hash = filesHash([...labelFiles, ...imFiles]);
  let cache = loadLabelCache(cachePath, hash);
  const fromCache = cache !== null;
  if (!cache) {
    const results: ScanResults = { found: 0, missing: 0, empty: 0, corrupt: 0, total: imFiles.length };
    const labels: (ImageLabels | null)[] = new Array(imFiles.length).fill(null);
    const msgs: string[] = [];
    await forEachLimited(imFiles.length, 8, async (i) => {
      const r = await verifyImageLabel(imFiles[i]!, labelFiles[i]!, nc, prefix);
      results.found += r.found;
      results.missing += r.missing;
      results.empty += r.empty;
      results.corrupt += r.corrupt;
      labels[i] = r.labels;
      if (r.msg) msgs.push(r.msg);
    });
    msgs.sort();
    cache = {
      version: LABEL_CACHE_VERSION,
      hash,
      results,
      msgs,
      labels: labels.filter((l): l is ImageLabels => l !== null),
    } satisfies LabelCache;
    if (!noLabels) saveLabelCache(cachePath, cache, log, prefix);
  }
  const { found, missing, empty, corrupt } = cache.results;
  log.info(
    `${prefix}Scanning '${cachePath}'${fromCache ? ' (cached)' : ''}... ${found} images, ${missing + empty} backgrounds, ${corrupt} corrupt`,
  );
  for (const m of cache.msgs) log.warn(m);
  if (!cache.labels.length) {
    const why = cache.msgs.length ? ` The scan reported:\n${cache.msgs.slice(0, 5).join('\n')}` : '';
    throw new Error(`${prefix}No usable images in ${imFiles.length} found (${corrupt} corrupt), cannot build the dataset.${why}`);
  }
  if (noLabels) throw noLabels;
  if (found === 0) log.warn(`${prefix}WARNING ⚠️ No labels found in ${cachePath}, training may not work correctly.`);
  return { labels: cache.labels, results: cache.results };
}

/** Every polygon of an image resampled to SEGMENT_POINTS points, concatenated. */
function resampleAll(polygons: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(polygons.length * SEGMENT_POINTS * 2);
  polygons.forEach((p, i) => {
    out.set(resampleSegment(p), i * SEGMENT_POINTS * 2);
  });
  return out;
}

/**
 * A dataset mixing box and polygon labels: Ultralytics drops every polygon (with a warning) and trains on boxes.
 * That is kept for detection; segmentation has nothing to learn from boxes, so it stops with the files to fix.
 */
function checkSegments(labels: ImageLabels[], useSegments: boolean, log: DataLogger, prefix: string): void {
  const boxOnly = labels.filter((l) => l.cls.length > 0 && !l.segments);
  const withPolygons = labels.some((l) => l.segments?.length);
  if (useSegments && (boxOnly.length || !withPolygons)) {
    const examples = boxOnly.slice(0, 3).map((l) => l.imFile);
    throw new Error(
      `${prefix}segment training needs polygon labels ('cls x1 y1 x2 y2 x3 y3 …' per line), but ` +
        (withPolygons
          ? `${boxOnly.length} image(s) have box labels only, e.g. ${examples.join(', ')}`
          : 'this dataset has box labels only (a detection dataset)') +
        '. See docs/segment.md for the label format.',
    );
  }
  if (!useSegments && withPolygons && boxOnly.length) {
    log.warn(
      `${prefix}WARNING ⚠️ Box and segment counts should be equal: ${boxOnly.length} image(s) have box labels only. ` +
        'Only boxes will be used and all segments will be removed.',
    );
    for (const l of labels) delete l.segments;
  }
}

/**
 * The error of a split whose label folders are all missing, or null. It fails the scan, naming where the labels were
 * expected (else every image would count as a background and training fail late, after a misleading cache warning).
 */
function missingLabelsError(labelFiles: readonly string[], imFiles: readonly string[], prefix: string): Error | null {
  const dirs = [...new Set(labelFiles.map((f) => dirname(f)))];
  if (dirs.some((d) => existsSync(d))) return null;
  const split = prefix.replace(/:\s*$/, '') || [...new Set(imFiles.map((f) => dirname(f)))].join(', ');
  const shown = dirs.length > 3 ? `${dirs.slice(0, 3).join(', ')} and ${dirs.length - 3} more` : dirs.join(', ');
  return new Error(
    `${prefix}no labels found for ${split}, expected ${shown} (one .txt per image, at the image's path with /images/ replaced by /labels/)`,
  );
}

/** Ultralytics' update_labels: keep only `classes`, then map every class to 0 with single_cls. */
function applyClassFilters(labels: ImageLabels[], classes: number[] | null, singleCls: boolean): void {
  for (const l of labels) {
    if (classes) {
      const keep: number[] = [];
      l.cls.forEach((c, i) => {
        if (classes.includes(c)) keep.push(i);
      });
      l.bboxes = Float32Array.from(keep.flatMap((i) => Array.from(l.bboxes.subarray(i * 4, i * 4 + 4))));
      l.cls = Float32Array.from(keep, (i) => l.cls[i]!);
      if (l.segments) l.segments = keep.map((i) => (l.segments as Float32Array[])[i]!);
    }
    if (singleCls) l.cls.fill(0);
  }
}

/**
 * Ultralytics' set_rectangle: sorts images by aspect ratio h/w (in place) and gives each batch the shape
 * ceil([h, w]·imgsz/stride + pad)·stride from its most extreme ratio.
 */
export function setRectangle(
  labels: ImageLabels[],
  batchSize: number,
  imgsz: number,
  stride: number,
  pad: number,
): { batchShapes: [number, number][]; batchOf: number[] } {
  // A zero or fractional size would make the batch count infinite (or wrong) below.
  if (!(Number.isInteger(batchSize) && batchSize >= 1))
    throw new RangeError(`rect batches need a positive integer 'batch', got ${batchSize}`);
  const order = labels.map((l, i) => ({ l, ar: l.shape[0] / l.shape[1], i })).sort((a, b) => a.ar - b.ar || a.i - b.i);
  order.forEach((o, k) => {
    labels[k] = o.l;
  });
  const batchOf = order.map((_, k) => Math.floor(k / batchSize));
  const nb = (batchOf[batchOf.length - 1] ?? 0) + 1;
  const batchShapes: [number, number][] = [];
  for (let b = 0; b < nb; b++) {
    const ars = order.filter((_, k) => batchOf[k] === b).map((o) => o.ar);
    const mini = Math.min(...ars);
    const maxi = Math.max(...ars);
    const shape = maxi < 1 ? [maxi, 1] : mini > 1 ? [1, 1 / mini] : [1, 1];
    batchShapes.push(shape.map((s) => Math.ceil((s * imgsz) / stride + pad) * stride) as [number, number]);
  }
  return { batchShapes, batchOf };
}
