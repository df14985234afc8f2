/**
 * The built-in dataset of yolots: synthetic shapes (circle, square, triangle, star, cross) in random colours on
 * textured backgrounds, generated from a seed into a YOLO-format folder on first use. It is what `yolo train` trains
 * on when no `data=` is given (see docs/builtin-dataset.md).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SHAPES_CLASSIFY_DEFAULTS, writeShapesClassifyDataset } from './shapes/classify.js';
import { defaultShapesDir, type ResolvedShapesOptions, resolveShapesOptions, type ShapesDatasetOptions } from './shapes/options.js';
import { SHAPES_GENERATOR, SHAPES_GENERATOR_VERSION, type ShapesManifest, writeShapesDataset } from './shapes/write.js';

export { SHAPE_NAMES, type ShapeName } from './shapes/geometry.js';
export { defaultShapesDir, type ShapesDatasetOptions } from './shapes/options.js';
export type { Rgb, RgbImage, Spans } from './shapes/raster.js';
export { type PixelBox, renderScene, type Scene, type SceneObject, type Split, sceneSeed, yoloLabels } from './shapes/scene.js';
export { imageStem, SHAPES_GENERATOR_VERSION, type ShapesManifest } from './shapes/write.js';

/** The `data` name the engine maps to this generator: `data=shapes.yaml`, or no `data` at all. */
export const BUILTIN_DATASET = 'shapes.yaml';

/**
 * Whether a `data` argument means the built-in dataset: unset, empty, or BUILTIN_DATASET.
 * @example isBuiltinDataset(undefined) && isBuiltinDataset('shapes.yaml') && !isBuiltinDataset('coco8.yaml')
 */
export function isBuiltinDataset(data: string | null | undefined): boolean {
  return data === undefined || data === null || data === '' || data === BUILTIN_DATASET;
}

/** A partial or stale folder older than this whose writer process is gone is left over from a crash. */
const ABANDONED_AFTER_MS = 5 * 60 * 1000;

const sameContent = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

async function fileCount(dir: string): Promise<number> {
  try {
    return (await readdir(dir)).length;
  } catch {
    return -1;
  }
}

/** True when dir holds a finished dataset written by this generator version from exactly these options. */
async function isComplete({ dir, content }: ResolvedShapesOptions): Promise<boolean> {
  let manifest: Partial<ShapesManifest>;
  try {
    manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Partial<ShapesManifest>;
  } catch {
    return false;
  }
  if (
    manifest.generator !== SHAPES_GENERATOR ||
    manifest.version !== SHAPES_GENERATOR_VERSION ||
    manifest.path !== dir ||
    !sameContent(manifest.options, content)
  ) {
    return false;
  }
  const counts = await Promise.all(['images/train', 'labels/train', 'images/val', 'labels/val'].map((sub) => fileCount(join(dir, sub))));
  const expected = [content.trainImages, content.trainImages, content.valImages, content.valImages];
  if (!sameContent(counts, expected)) return false;
  try {
    return (await stat(join(dir, 'data.yaml'))).isFile();
  } catch {
    return false;
  }
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Removes `<name>.partial-<pid>-*` / `<name>.stale-<pid>-*` siblings left by crashed generators on this host. */
async function removeAbandoned(dir: string): Promise<void> {
  const parent = dirname(dir);
  const pattern = new RegExp(`^${basename(dir).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(partial|stale)-(\\d+)-`);
  for (const entry of await readdir(parent)) {
    const pid = Number(pattern.exec(entry)?.[2]);
    if (!pid || isAlive(pid)) continue;
    const path = join(parent, entry);
    const { mtimeMs } = await stat(path);
    if (Date.now() - mtimeMs > ABANDONED_AFTER_MS) await rm(path, { recursive: true, force: true });
  }
}

/** Generates into a sibling folder and renames it into place, so dir never holds a half-written dataset. */
async function generateInPlace(options: ResolvedShapesOptions): Promise<void> {
  const { dir, content } = options;
  await mkdir(dirname(dir), { recursive: true });
  await removeAbandoned(dir);
  const suffix = `${process.pid}-${randomUUID().slice(0, 8)}`;
  const partial = `${dir}.partial-${suffix}`;
  try {
    await writeShapesDataset(partial, dir, content);
    try {
      await rename(partial, dir);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM' && code !== 'EISDIR') throw error;
    }
    // dir exists: an outdated dataset, or the same one just finished by a concurrent process (e.g. another rank).
    if (!options.force && (await isComplete(options))) return;
    const stale = `${dir}.stale-${suffix}`;
    await rename(dir, stale);
    await rename(partial, dir);
    await rm(stale, { recursive: true, force: true });
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}

/**
 * Makes sure the built-in dataset exists and returns the path of its data.yaml. The dataset is generated only when
 * the folder lacks a complete copy made by this generator version from the same options (recorded in
 * manifest.json, written last); generation goes to a temporary sibling folder renamed into place when finished.
 * @example
 * const data = await ensureShapesDataset(); // ~/.cache/yolots/datasets/shapes/data.yaml
 * const small = await ensureShapesDataset({ dir: '/tmp/shapes', trainImages: 64, valImages: 16, imgsz: 128 });
 */
export async function ensureShapesDataset(options: ShapesDatasetOptions = {}): Promise<string> {
  const resolved = resolveShapesOptions(options);
  if (resolved.force || !(await isComplete(resolved))) await generateInPlace(resolved);
  return join(resolved.dir, 'data.yaml');
}

/**
 * Makes sure the built-in classification dataset (single-shape crops, a folder per shape) exists and returns its
 * folder (`<datasets>/shapes-cls`, or `dir`). Generated once (about 600 small PNGs), into a temporary sibling folder
 * renamed into place; a folder whose manifest records other options is regenerated.
 * @example const dir = await ensureShapesClassifyDataset(); // ~/.cache/yolots/datasets/shapes-cls
 */
export async function ensureShapesClassifyDataset(dir = `${defaultShapesDir()}-cls`): Promise<string> {
  const content = SHAPES_CLASSIFY_DEFAULTS;
  try {
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { options?: unknown; version?: number };
    if (manifest.version === 1 && sameContent(manifest.options, content)) return dir;
  } catch {
    // absent or unreadable: generate
  }
  await mkdir(dirname(dir), { recursive: true });
  const partial = `${dir}.partial-${process.pid}-${randomUUID().slice(0, 8)}`;
  try {
    await writeShapesClassifyDataset(partial, content);
    await rm(dir, { recursive: true, force: true });
    await rename(partial, dir);
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
  return dir;
}
