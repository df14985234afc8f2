/**
 * Moving shapes with known identities, for checking trackers: the built-in dataset's shapes and backgrounds,
 * animated. Each frame comes with its ground truth (every object's id, class and the box of its visible pixels),
 * so a tracker's output can be scored (MOTA, IDF1) against it. Scenarios cover steady motion, crossings, an
 * occluder passing in front, and a panning camera.
 */
import { paintBackground } from './background.js';
import { outlineSpans, SHAPE_NAMES, type ShapeName, shapeOutline } from './geometry.js';
import { createRandom, type Random } from './random.js';
import { createImage, forEachPixel, paintSpans, type Rgb, type RgbImage } from './raster.js';
import type { PixelBox } from './scene.js';

/** One object: where it starts, how it moves, when it is on stage. */
export interface Mover {
  /** Ground-truth identity (1, 2, …). */
  id: number;
  shape: ShapeName;
  color: Rgb;
  /** Radius of the circumscribed circle, px. */
  r: number;
  /** Centre at frame 0 (world coordinates) and velocity in px per frame. */
  x: number;
  y: number;
  vx: number;
  vy: number;
  /** Frames in which it exists, inclusive (all by default). */
  first?: number;
  last?: number;
  /** Drawing order: a higher z passes in front. Ids above 1000 are scenery (not in the ground truth). */
  z?: number;
}

export interface MotionScenario {
  name: string;
  width: number;
  height: number;
  frames: number;
  /** Seed of the background texture. */
  seed: number;
  movers: Mover[];
  /** Camera motion in px per frame: the whole picture shifts by -pan each frame. */
  pan?: [number, number];
}

/** A ground-truth object of one frame. */
export interface TruthObject {
  id: number;
  classIndex: number;
  /** Bounds of its visible pixels. */
  box: PixelBox;
  /** Visible pixels over the pixels it would cover unoccluded (in the image). */
  visible: number;
}

/** Ids at or above this are scenery: drawn, never in the ground truth. */
export const SCENERY_ID = 1000;

/**
 * Renders a scenario frame by frame. The background is painted once, large enough for the camera's whole pan.
 *
 * @example
 * const video = new MotionRenderer(crossingScenario());
 * const { image, objects } = video.frame(0);
 */
export class MotionRenderer {
  private readonly background: RgbImage;

  constructor(readonly scenario: MotionScenario) {
    const [px, py] = scenario.pan ?? [0, 0];
    const extraX = Math.ceil(Math.abs(px) * scenario.frames);
    const extraY = Math.ceil(Math.abs(py) * scenario.frames);
    this.background = createImage(scenario.width + extraX, scenario.height + extraY);
    paintBackground(this.background, createRandom(scenario.seed));
  }

  /** Frame `t` (0-based) and its ground truth (objects with no visible pixel are left out). */
  frame(t: number): { image: RgbImage; objects: TruthObject[] } {
    const { width, height, movers } = this.scenario;
    const [px, py] = this.scenario.pan ?? [0, 0];
    const ox = Math.round(px >= 0 ? px * t : Math.abs(px) * (this.scenario.frames - t));
    const oy = Math.round(py >= 0 ? py * t : Math.abs(py) * (this.scenario.frames - t));
    const image = createImage(width, height);
    for (let y = 0; y < height; y++) {
      const src = ((y + oy) * this.background.width + ox) * 3;
      image.data.set(this.background.data.subarray(src, src + width * 3), y * width * 3);
    }
    const owner = new Int32Array(width * height).fill(-1);
    const onStage = movers.filter((m) => t >= (m.first ?? 0) && t <= (m.last ?? Number.POSITIVE_INFINITY));
    const ordered = [...onStage].sort((a, b) => (a.z ?? 0) - (b.z ?? 0));
    const covered = new Map<number, number>();
    for (const m of ordered) {
      const cx = m.x + m.vx * t - ox;
      const cy = m.y + m.vy * t - oy;
      const spans = outlineSpans(shapeOutline(m.shape, cx, cy, m.r, 0), width, height);
      forEachPixel(spans, width, (p) => {
        owner[p] = m.id;
      });
      paintSpans(image, spans, m.color);
      covered.set(m.id, spans.pixelCount);
    }
    return { image, objects: truthObjects(owner, width, onStage, covered) };
  }
}

function truthObjects(owner: Int32Array, width: number, movers: readonly Mover[], covered: Map<number, number>): TruthObject[] {
  const boxes = new Map<number, { x0: number; y0: number; x1: number; y1: number; n: number }>();
  for (let p = 0; p < owner.length; p++) {
    const id = owner[p]!;
    if (id < 0 || id >= SCENERY_ID) continue;
    const x = p % width;
    const y = (p - x) / width;
    const b = boxes.get(id);
    if (!b) boxes.set(id, { x0: x, y0: y, x1: x + 1, y1: y + 1, n: 1 });
    else {
      b.x0 = Math.min(b.x0, x);
      b.x1 = Math.max(b.x1, x + 1);
      b.y1 = y + 1;
      b.n++;
    }
  }
  const out: TruthObject[] = [];
  for (const m of movers) {
    const b = boxes.get(m.id);
    if (!b) continue;
    out.push({
      id: m.id,
      classIndex: SHAPE_NAMES.indexOf(m.shape),
      box: { x0: b.x0, y0: b.y0, x1: b.x1, y1: b.y1 },
      visible: b.n / (covered.get(m.id) || 1),
    });
  }
  return out.sort((a, b) => a.id - b.id);
}

/** Three shapes gliding apart from each other: any tracker should keep all three ids for the whole clip. */
export function steadyScenario(frames = 60): MotionScenario {
  return {
    name: 'steady',
    width: 256,
    height: 192,
    frames,
    seed: 11,
    movers: [
      { id: 1, shape: 'circle', color: [230, 40, 40], r: 18, x: 40, y: 50, vx: 1.5, vy: 0.3 },
      { id: 2, shape: 'square', color: [40, 200, 60], r: 20, x: 200, y: 60, vx: 0.5, vy: 1.2 },
      { id: 3, shape: 'triangle', color: [50, 80, 230], r: 22, x: 100, y: 150, vx: -0.8, vy: 0.1 },
    ],
  };
}

/**
 * Paths that cross: two circles swapping places head-on, a star overtaking a square on a crossing path, and a
 * grey bar (scenery) sliding in front of a cross, hiding it for about ten frames.
 */
export function crossingScenario(frames = 120): MotionScenario {
  return {
    name: 'crossing',
    width: 320,
    height: 240,
    frames,
    seed: 23,
    movers: [
      { id: 1, shape: 'circle', color: [230, 60, 40], r: 16, x: 30, y: 60, vx: 2.2, vy: 0.2 },
      { id: 2, shape: 'circle', color: [240, 200, 30], r: 16, x: 290, y: 72, vx: -2.2, vy: -0.2 },
      { id: 3, shape: 'star', color: [40, 190, 220], r: 22, x: 40, y: 200, vx: 2.4, vy: -0.9 },
      { id: 4, shape: 'square', color: [160, 60, 200], r: 18, x: 60, y: 110, vx: 1.2, vy: 0.6 },
      { id: 5, shape: 'cross', color: [30, 160, 70], r: 18, x: 250, y: 180, vx: -0.8, vy: 0 },
      { id: SCENERY_ID + 1, shape: 'square', color: [120, 120, 120], r: 34, x: 330, y: 180, vx: -1.5, vy: 0, z: 10 },
    ],
  };
}

/** A camera panning right and down over still and moving shapes: what BoT-SORT's motion compensation is for. */
export function panScenario(frames = 90): MotionScenario {
  return {
    name: 'pan',
    width: 256,
    height: 192,
    frames,
    seed: 37,
    pan: [3, 1],
    movers: [
      { id: 1, shape: 'square', color: [220, 50, 50], r: 14, x: 80, y: 60, vx: 0, vy: 0 },
      { id: 2, shape: 'circle', color: [40, 180, 60], r: 14, x: 110, y: 70, vx: 0, vy: 0 },
      { id: 3, shape: 'star', color: [50, 90, 230], r: 18, x: 160, y: 120, vx: 2.6, vy: 0.9 },
      { id: 4, shape: 'triangle', color: [240, 200, 40], r: 16, x: 300, y: 110, vx: 1, vy: 0.4 },
    ],
  };
}

/** Detections as a detector might give them, for testing a tracker alone. */
export interface SimulatedDetections {
  /** Centre boxes [x, y, w, h] per detection, flat. */
  xywhList: Float32Array;
  confList: Float32Array;
  clsList: Float32Array;
  readonly length: number;
}

export interface DetectionNoise {
  /** Standard deviation of each box edge's jitter, as a fraction of the box size (0.03). */
  jitter?: number;
  /** Chance of missing a fully visible object (0.03); a half-hidden one is missed twice as often. */
  miss?: number;
  /** Objects less visible than this are never detected (0.3). */
  minVisible?: number;
  /** Expected false positives per frame (0.1). */
  falsePositives?: number;
}

/**
 * Ground truth turned into plausible detections: jittered boxes, confidences between 0.55 and 0.95 (lower when
 * partly hidden), misses and stray boxes, all drawn from `rng`.
 */
export function simulateDetections(
  objects: readonly TruthObject[],
  size: [number, number],
  rng: Random,
  noise: DetectionNoise = {},
): SimulatedDetections {
  const { jitter = 0.03, miss = 0.03, minVisible = 0.3, falsePositives = 0.1 } = noise;
  const rows: number[][] = [];
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  for (const o of objects) {
    if (o.visible < minVisible) continue;
    if (rng.chance(o.visible < 0.6 ? 2 * miss : miss)) continue;
    const w = o.box.x1 - o.box.x0;
    const h = o.box.y1 - o.box.y0;
    const x0 = o.box.x0 + gauss() * jitter * w;
    const x1 = o.box.x1 + gauss() * jitter * w;
    const y0 = o.box.y0 + gauss() * jitter * h;
    const y1 = o.box.y1 + gauss() * jitter * h;
    const conf = Math.min(0.95, rng.uniform(0.55, 0.95) * (0.5 + 0.5 * Math.min(1, o.visible)));
    rows.push([(x0 + x1) / 2, (y0 + y1) / 2, Math.max(1, x1 - x0), Math.max(1, y1 - y0), conf, o.classIndex]);
  }
  let strays = falsePositives;
  while (strays > 0 && rng.chance(Math.min(1, strays))) {
    strays -= 1;
    const [W, H] = size;
    const w = rng.uniform(10, 40);
    const h = rng.uniform(10, 40);
    rows.push([
      rng.uniform(w / 2, W - w / 2),
      rng.uniform(h / 2, H - h / 2),
      w,
      h,
      rng.uniform(0.15, 0.6),
      rng.int(0, SHAPE_NAMES.length - 1),
    ]);
  }
  return {
    xywhList: Float32Array.from(rows.flatMap((r) => r.slice(0, 4))),
    confList: Float32Array.from(rows.map((r) => r[4]!)),
    clsList: Float32Array.from(rows.map((r) => r[5]!)),
    length: rows.length,
  };
}

export { createRandom, type Random } from './random.js';
