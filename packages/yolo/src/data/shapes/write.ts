/**
 * Writes the built-in dataset to a folder in Ultralytics' YOLO layout: images/{train,val}/*.jpg,
 * labels/{train,val}/*.txt, data.yaml, and manifest.json last.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import YAML from 'yaml';
import type { ShapesContentOptions } from './options.js';
import { yoloSegmentLabels } from './polygons.js';
import { renderScene, type Split, sceneSeed, yoloLabels } from './scene.js';

/** Bumped whenever the generator's output changes, so datasets written by an older one are regenerated. */
export const SHAPES_GENERATOR_VERSION = 1;
export const SHAPES_GENERATOR = 'yolots-shapes';

/** JPEG quality 90 with full-resolution colour: small files, and shape edges keep their colour contrast. */
const JPEG = { quality: 90, chromaSubsampling: '4:4:4' } as const;
/** Images encoded at once; sharp runs each on its own libvips thread. */
const ENCODE_IN_FLIGHT = 4;

/** Counts for one split, recorded in the manifest. */
export interface SplitStats {
  images: number;
  /** Images without any object (background only, empty label file). */
  empty: number;
  instances: number;
}

/** What manifest.json holds: which generator wrote the dataset, from which options, to which folder. */
export interface ShapesManifest {
  generator: typeof SHAPES_GENERATOR;
  version: number;
  path: string;
  options: ShapesContentOptions;
  stats: Record<Split, SplitStats>;
}

/** File stem of image index in a split of `count` images: zero-padded so names sort in index order. */
export function imageStem(index: number, count: number): string {
  return String(index).padStart(Math.max(6, String(count - 1).length), '0');
}

async function writeSplit(root: string, split: Split, count: number, options: ShapesContentOptions): Promise<SplitStats> {
  const imagesDir = join(root, 'images', split);
  const labelsDir = join(root, 'labels', split);
  await mkdir(imagesDir, { recursive: true });
  await mkdir(labelsDir, { recursive: true });
  const stats: SplitStats = { images: count, empty: 0, instances: 0 };
  const inFlight = new Set<Promise<void>>();
  try {
    for (let index = 0; index < count; index++) {
      const scene = renderScene(sceneSeed(options.seed, split, index), options.imgsz, options.classes);
      stats.instances += scene.objects.length;
      if (scene.objects.length === 0) stats.empty++;
      const stem = imageStem(index, count);
      const { width, height, data } = scene.image;
      const job = Promise.all([
        sharp(data, { raw: { width, height, channels: 3 } })
          .jpeg(JPEG)
          .toFile(join(imagesDir, `${stem}.jpg`)),
        writeFile(join(labelsDir, `${stem}.txt`), options.polygons ? yoloSegmentLabels(scene) : yoloLabels(scene)),
      ]).then(() => {
        inFlight.delete(job);
      });
      inFlight.add(job);
      if (inFlight.size >= ENCODE_IN_FLIGHT) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } catch (error) {
    // Let the other writes finish before the caller removes the folder they write into.
    await Promise.allSettled(inFlight);
    throw error;
  }
  return stats;
}

/** The data.yaml text: absolute `path` to where the dataset will finally live, splits, and class names. */
export function dataYaml(finalDir: string, options: ShapesContentOptions): string {
  const header =
    `# yolots built-in dataset (synthetic shapes), written by ${SHAPES_GENERATOR} v${SHAPES_GENERATOR_VERSION} ` +
    `with seed ${options.seed}; see docs/builtin-dataset.md\n`;
  return (
    header +
    YAML.stringify({
      path: finalDir,
      train: 'images/train',
      val: 'images/val',
      nc: options.classes.length,
      names: new Map(options.classes.map((name, i) => [i, name])),
    })
  );
}

/**
 * Generates the whole dataset into `root` (an empty or missing folder), with data.yaml's `path` set to
 * `finalDir` (where root will be renamed to), and writes manifest.json last.
 * @example await writeShapesDataset('/tmp/shapes.partial', '/tmp/shapes', resolveShapesOptions().content);
 */
export async function writeShapesDataset(root: string, finalDir: string, options: ShapesContentOptions): Promise<ShapesManifest> {
  await mkdir(root, { recursive: true });
  const train = await writeSplit(root, 'train', options.trainImages, options);
  const val = await writeSplit(root, 'val', options.valImages, options);
  await writeFile(join(root, 'data.yaml'), dataYaml(finalDir, options));
  const manifest: ShapesManifest = {
    generator: SHAPES_GENERATOR,
    version: SHAPES_GENERATOR_VERSION,
    path: finalDir,
    options,
    stats: { train, val },
  };
  await writeFile(join(root, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
