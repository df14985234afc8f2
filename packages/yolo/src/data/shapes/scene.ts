/**
 * One image of the built-in dataset: a textured background with 0-6 shapes drawn on top, and its YOLO labels.
 * Labels are read back from the final picture (which object owns each pixel), so a box bounds exactly the visible
 * pixels of its object: clipped by the image border and by the objects drawn over it.
 */
import { paintBackground, randomColor } from './background.js';
import { outlineArea, outlineSpans, type ShapeName, shapeOutline } from './geometry.js';
import { createRandom, mixSeed, type Random } from './random.js';
import { createImage, forEachPixel, paintSpans, type Rgb, type RgbImage, type Spans } from './raster.js';

/** Share of images with no object at all (background-only images teach the detector what is not an object). */
const EMPTY_FRACTION = 0.08;
const MAX_OBJECTS = 6;
/** An object's size (diameter of its circumscribed circle) as a fraction of the image side, drawn log-uniformly. */
const MIN_SIZE = 0.08;
const MAX_SIZE = 0.5;
/** A placement is kept only if at least this share of the shape's area lies inside the image. */
const MIN_INSIDE = 0.4;
/** ... and only if every object keeps at least this share of its in-image pixels unhidden by later objects. */
const MIN_VISIBLE = 0.4;
/** Shapes covering fewer pixels inside the image than this are not placed: too small to label meaningfully. */
const MIN_PIXELS = 12;
const PLACEMENT_TRIES = 12;
/** Objects must differ from what lies under and next to them by this RGB distance, so no edge vanishes. */
const MIN_COLOR_DISTANCE = 90;
const COLOR_TRIES = 24;

/** A pixel-aligned box: columns [x0, x1) and rows [y0, y1). */
export interface PixelBox {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/** An object drawn in a scene. */
export interface SceneObject {
  /** Index of its shape in the dataset's class list. */
  readonly classIndex: number;
  readonly shape: ShapeName;
  readonly color: Rgb;
  /** Every in-image pixel of the shape, including those later hidden by objects drawn over it. */
  readonly spans: Spans;
  /** The bounds of its visible pixels: what its label says. */
  readonly box: PixelBox;
  /** How many of its pixels are visible in the final image. */
  readonly visiblePixels: number;
}

/** A rendered image and the objects in it, bottom-most first. */
export interface Scene {
  readonly image: RgbImage;
  readonly objects: readonly SceneObject[];
}

/** Which dataset split an image belongs to; part of its seed. */
export type Split = 'train' | 'val';

/**
 * The seed of one image, from the dataset seed and the image's place: image i of a split is the same picture
 * whatever the number of images generated.
 * @example renderScene(sceneSeed(0, 'val', 3), 256, SHAPE_NAMES)
 */
export function sceneSeed(datasetSeed: number, split: Split, index: number): number {
  return mixSeed(datasetSeed, split === 'train' ? 1 : 2, index);
}

interface Placed {
  classIndex: number;
  shape: ShapeName;
  color: Rgb;
  spans: Spans;
  bounds: PixelBox;
  visible: number;
}

function spansBounds(spans: Spans): PixelBox {
  const { runs } = spans;
  let x0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < runs.length; i += 3) {
    x0 = Math.min(x0, runs[i + 1]!);
    x1 = Math.max(x1, runs[i + 2]!);
  }
  return { x0, y0: runs[0]!, x1, y1: runs[runs.length - 3]! + 1 };
}

const touches = (a: PixelBox, b: PixelBox, margin: number): boolean =>
  a.x0 - margin < b.x1 && b.x0 - margin < a.x1 && a.y0 - margin < b.y1 && b.y0 - margin < a.y1;

const colorDistance = (a: Rgb, b: Rgb): number => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

/** Mean colour of the background pixels (owned by no object) under spans, or undefined if there are none. */
function backgroundMean(image: RgbImage, owner: Int16Array, spans: Spans): Rgb | undefined {
  const sum = [0, 0, 0];
  let n = 0;
  forEachPixel(spans, image.width, (p) => {
    if (owner[p]! >= 0) return;
    for (let c = 0; c < 3; c++) sum[c] = sum[c]! + image.data[p * 3 + c]!;
    n++;
  });
  return n === 0 ? undefined : [sum[0]! / n, sum[1]! / n, sum[2]! / n];
}

/** A random colour far enough from every colour to avoid; the farthest of the tries if none is. */
function contrastingColor(rng: Random, avoid: readonly Rgb[]): Rgb {
  let best: Rgb = randomColor(rng);
  let bestDistance = -1;
  for (let i = 0; i < COLOR_TRIES; i++) {
    const candidate = i === 0 ? best : randomColor(rng);
    const distance = Math.min(Number.POSITIVE_INFINITY, ...avoid.map((c) => colorDistance(candidate, c)));
    if (distance >= MIN_COLOR_DISTANCE) return candidate;
    if (distance > bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Tries to place one more shape over those already placed; returns it, or undefined when no try fitted. */
function placeObject(
  rng: Random,
  image: RgbImage,
  owner: Int16Array,
  placed: readonly Placed[],
  classes: readonly ShapeName[],
): Placed | undefined {
  const side = Math.min(image.width, image.height);
  const classIndex = rng.int(0, classes.length - 1);
  const shape = classes[classIndex]!;
  for (let attempt = 0; attempt < PLACEMENT_TRIES; attempt++) {
    const r = (side / 2) * MIN_SIZE * (MAX_SIZE / MIN_SIZE) ** rng.next();
    const cx = rng.uniform(-r / 2, image.width + r / 2);
    const cy = rng.uniform(-r / 2, image.height + r / 2);
    const outline = shapeOutline(shape, cx, cy, r, rng.uniform(0, 2 * Math.PI));
    const spans = outlineSpans(outline, image.width, image.height);
    if (spans.pixelCount < MIN_PIXELS || spans.pixelCount < MIN_INSIDE * outlineArea(outline)) continue;
    const hidden = new Int32Array(placed.length);
    forEachPixel(spans, image.width, (p) => {
      const below = owner[p]!;
      if (below >= 0) hidden[below] = hidden[below]! + 1;
    });
    if (placed.some((o, i) => o.visible - hidden[i]! < MIN_VISIBLE * o.spans.pixelCount)) continue;
    const bounds = spansBounds(spans);
    const avoid = placed.filter((o) => touches(o.bounds, bounds, 2)).map((o) => o.color);
    const background = backgroundMean(image, owner, spans);
    if (background) avoid.push(background);
    return { classIndex, shape, color: contrastingColor(rng, avoid), spans, bounds, visible: spans.pixelCount };
  }
  return undefined;
}

/** The bounds of each object's visible pixels, from the final pixel ownership. */
function visibleBoxes(owner: Int16Array, width: number, count: number): PixelBox[] {
  const x0 = new Int32Array(count).fill(0x7fffffff);
  const y0 = new Int32Array(count).fill(0x7fffffff);
  const x1 = new Int32Array(count).fill(-1);
  const y1 = new Int32Array(count).fill(-1);
  for (let p = 0; p < owner.length; p++) {
    const o = owner[p]!;
    if (o < 0) continue;
    const x = p % width;
    const y = (p - x) / width;
    if (x < x0[o]!) x0[o] = x;
    if (x + 1 > x1[o]!) x1[o] = x + 1;
    if (y < y0[o]!) y0[o] = y;
    y1[o] = y + 1;
  }
  return Array.from({ length: count }, (_, o) => ({
    x0: x0[o]!,
    y0: y0[o]!,
    x1: x1[o]!,
    y1: y1[o]!,
  }));
}

/**
 * Renders the image for a seed: background, then objects in order, each drawn over the previous ones.
 * Pure: the same (seed, imgsz, classes) gives the same pixels and objects.
 * @example
 * const scene = renderScene(sceneSeed(0, 'train', 0), 256, SHAPE_NAMES);
 * scene.objects.map((o) => o.shape); // e.g. ['star', 'circle']
 */
export function renderScene(seed: number, imgsz: number, classes: readonly ShapeName[]): Scene {
  const rng = createRandom(seed);
  const image = createImage(imgsz, imgsz);
  paintBackground(image, rng);
  const owner = new Int16Array(imgsz * imgsz).fill(-1);
  const wanted = rng.chance(EMPTY_FRACTION) ? 0 : rng.int(1, MAX_OBJECTS);
  const placed: Placed[] = [];
  for (let i = 0; i < wanted; i++) {
    const object = placeObject(rng, image, owner, placed, classes);
    if (!object) continue;
    const index = placed.length;
    forEachPixel(object.spans, imgsz, (p) => {
      const below = owner[p]!;
      if (below >= 0) placed[below]!.visible--;
      owner[p] = index;
    });
    paintSpans(image, object.spans, object.color);
    placed.push(object);
  }
  const boxes = visibleBoxes(owner, imgsz, placed.length);
  const objects = placed.map(
    (o, i): SceneObject => ({
      classIndex: o.classIndex,
      shape: o.shape,
      color: o.color,
      spans: o.spans,
      box: boxes[i]!,
      visiblePixels: o.visible,
    }),
  );
  return { image, objects };
}

/**
 * The scene's label file in YOLO format: one `class x_center y_center width height` line per object, normalised
 * to the image size with 6 decimals; an empty string for an image without objects.
 * @example yoloLabels(scene) // '2 0.412109 0.658203 0.246094 0.222656\n'
 */
export function yoloLabels(scene: Scene): string {
  const { width, height } = scene.image;
  return scene.objects
    .map(({ classIndex, box }) => {
      const values = [(box.x0 + box.x1) / 2 / width, (box.y0 + box.y1) / 2 / height, (box.x1 - box.x0) / width, (box.y1 - box.y0) / height];
      return `${classIndex} ${values.map((v) => v.toFixed(6)).join(' ')}\n`;
    })
    .join('');
}
