// The built-in classification dataset: single-shape crops of the shapes generator's scenes, in Ultralytics'
// folder-per-class layout (train/<shape>/*.png, val/<shape>/*.png), so `yolo classify train` runs with no data.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { SHAPE_NAMES } from './geometry.js';
import { renderScene, type SceneObject, sceneSeed } from './scene.js';

/** What defines the crops (recorded in the manifest: a change regenerates them). */
export interface ShapesClassifyContent {
  seed: number;
  trainImages: number;
  valImages: number;
  /** Side of the scenes the crops are cut from. */
  sceneSize: number;
}

export const SHAPES_CLASSIFY_DEFAULTS: ShapesClassifyContent = { seed: 0, trainImages: 500, valImages: 100, sceneSize: 160 };

/** The top-most object whose box is at least 24 px on each side and mostly visible, or null. */
function mainObject(objects: readonly SceneObject[]): SceneObject | null {
  for (let i = objects.length - 1; i >= 0; i--) {
    const o = objects[i] as SceneObject;
    const w = o.box.x1 - o.box.x0;
    const h = o.box.y1 - o.box.y0;
    if (w >= 24 && h >= 24 && o.visiblePixels >= 0.3 * w * h) return o;
  }
  return null;
}

/**
 * Writes `count` crops of a split: scene k (seeded as the detection dataset's scenes) gives its top-most clear
 * object cut out with a 15% margin, saved under the object's shape; scenes without one are skipped and the next
 * index is tried, so the split always has `count` images.
 */
async function writeSplit(root: string, split: 'train' | 'val', count: number, o: ShapesClassifyContent): Promise<number[]> {
  const perClass = new Array<number>(SHAPE_NAMES.length).fill(0);
  for (const name of SHAPE_NAMES) await mkdir(join(root, split, name), { recursive: true });
  let written = 0;
  for (let k = 0; written < count; k++) {
    const scene = renderScene(sceneSeed(o.seed, split, k), o.sceneSize, SHAPE_NAMES);
    const object = mainObject(scene.objects);
    if (!object) continue;
    const { x0, y0, x1, y1 } = object.box;
    const mx = Math.round((x1 - x0) * 0.15);
    const my = Math.round((y1 - y0) * 0.15);
    const left = Math.max(x0 - mx, 0);
    const top = Math.max(y0 - my, 0);
    const width = Math.min(x1 + mx, o.sceneSize) - left;
    const height = Math.min(y1 + my, o.sceneSize) - top;
    const file = join(root, split, object.shape, `${split}_${String(written).padStart(5, '0')}.png`);
    await sharp(scene.image.data, { raw: { width: o.sceneSize, height: o.sceneSize, channels: 3 } })
      .extract({ left, top, width, height })
      .png()
      .toFile(file);
    perClass[object.classIndex] = (perClass[object.classIndex] ?? 0) + 1;
    written++;
  }
  return perClass;
}

/** Generates the crops into `root`; manifest.json (written last) records the content and per-class counts. */
export async function writeShapesClassifyDataset(root: string, content: ShapesClassifyContent): Promise<void> {
  const train = await writeSplit(root, 'train', content.trainImages, content);
  const val = await writeSplit(root, 'val', content.valImages, content);
  const manifest = { generator: 'yolots-shapes-cls', version: 1, options: content, counts: { train, val }, names: SHAPE_NAMES };
  await writeFile(join(root, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}
