/**
 * The object classes of the built-in dataset and their outlines. Classes differ by shape only: colour, size,
 * rotation and position are drawn at random per object, so a detector has to learn the silhouettes.
 */
import { circleSpans, type Point, polygonSpans, type Spans } from './raster.js';

/** Every shape the generator can draw, in the default class order of the dataset. */
export const SHAPE_NAMES = ['circle', 'square', 'triangle', 'star', 'cross'] as const;

/** One of SHAPE_NAMES. */
export type ShapeName = (typeof SHAPE_NAMES)[number];

/** A shape placed in an image: a disc, or a polygon in pixel coordinates. */
export type Outline =
  | { readonly kind: 'circle'; readonly cx: number; readonly cy: number; readonly r: number }
  | { readonly kind: 'polygon'; readonly points: readonly Point[] };

/** Star: inner radius as a fraction of the outer one (0.45 keeps the points distinct at small sizes). */
const STAR_INNER_RATIO = 0.45;
/** Cross: half the arm thickness as a fraction of the arm length. */
const CROSS_HALF_THICKNESS = 0.34;

/** Polygon vertices in shape-local coordinates, centred at the origin, circumradius 1. */
function unitPolygon(shape: Exclude<ShapeName, 'circle'>): Point[] {
  const regular = (n: number, start: number): Point[] =>
    Array.from({ length: n }, (_, i): Point => {
      const a = start + (2 * Math.PI * i) / n;
      return [Math.cos(a), Math.sin(a)];
    });
  switch (shape) {
    case 'square':
      return regular(4, Math.PI / 4);
    case 'triangle':
      return regular(3, -Math.PI / 2);
    case 'star':
      return Array.from({ length: 10 }, (_, i): Point => {
        const a = -Math.PI / 2 + (Math.PI * i) / 5;
        const radius = i % 2 === 0 ? 1 : STAR_INNER_RATIO;
        return [radius * Math.cos(a), radius * Math.sin(a)];
      });
    case 'cross': {
      // A plus sign whose arm corners lie on the unit circle.
      const arm = 1 / Math.hypot(1, CROSS_HALF_THICKNESS);
      const t = CROSS_HALF_THICKNESS * arm;
      return [
        [t, -arm],
        [t, -t],
        [arm, -t],
        [arm, t],
        [t, t],
        [t, arm],
        [-t, arm],
        [-t, t],
        [-arm, t],
        [-arm, -t],
        [-t, -t],
        [-t, -arm],
      ];
    }
  }
}

/**
 * The outline of a shape centred at (cx, cy) whose circumscribed circle has radius r, rotated by angle radians.
 * @example shapeOutline('square', 32, 32, 10, 0) // a 14.1 px square centred at (32, 32)
 */
export function shapeOutline(shape: ShapeName, cx: number, cy: number, r: number, angle: number): Outline {
  if (shape === 'circle') return { kind: 'circle', cx, cy, r };
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const points = unitPolygon(shape).map(([x, y]): Point => [cx + r * (x * cos - y * sin), cy + r * (x * sin + y * cos)]);
  return { kind: 'polygon', points };
}

/**
 * The exact area of an outline in square pixels, including any part outside the image.
 * @example outlineArea({ kind: 'circle', cx: 0, cy: 0, r: 1 }) === Math.PI
 */
export function outlineArea(outline: Outline): number {
  if (outline.kind === 'circle') return Math.PI * outline.r * outline.r;
  const { points } = outline;
  let twice = 0;
  for (let i = 0; i < points.length; i++) {
    const [x0, y0] = points[i]!;
    const [x1, y1] = points[(i + 1) % points.length]!;
    twice += x0 * y1 - x1 * y0;
  }
  return Math.abs(twice) / 2;
}

/**
 * The pixels of an outline inside a width x height image.
 * @example outlineSpans(shapeOutline('star', 32, 32, 20, 0), 64, 64).pixelCount
 */
export function outlineSpans(outline: Outline, width: number, height: number): Spans {
  return outline.kind === 'circle'
    ? circleSpans(outline.cx, outline.cy, outline.r, width, height)
    : polygonSpans(outline.points, width, height);
}
