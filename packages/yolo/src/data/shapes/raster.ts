/**
 * A tiny scanline rasteriser over an RGB buffer. Shapes are first turned into spans (the pixel runs they cover,
 * clipped to the image); the same spans paint the pixels and give the exact per-object masks the labels come from.
 * A pixel belongs to a shape when its centre (x + 0.5, y + 0.5) lies inside it; there is no anti-aliasing, so
 * every painted pixel is exactly one object's colour and a label can bound its pixels exactly.
 */

/** An 8-bit RGB colour. */
export type Rgb = readonly [number, number, number];

/** A point in pixel coordinates (x right, y down; pixel (i, j) spans [i, i + 1) x [j, j + 1)). */
export type Point = readonly [number, number];

/** An image as interleaved RGB bytes, row-major: the layout sharp reads with `raw: { channels: 3 }`. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/**
 * The pixels a shape covers inside the image, as runs: `runs` holds triples (y, xStart, xEnd), xEnd exclusive,
 * rows in increasing y. `pixelCount` is the number of pixels covered.
 */
export interface Spans {
  readonly runs: Int32Array;
  readonly pixelCount: number;
}

/** @example const image = createImage(64, 64); image.data.length === 64 * 64 * 3 */
export function createImage(width: number, height: number): RgbImage {
  return { width, height, data: new Uint8Array(width * height * 3) };
}

/** Collects runs row by row, clipping each to the image. */
class SpanBuilder {
  private readonly runs: number[] = [];
  private count = 0;

  constructor(private readonly width: number) {}

  /** Adds the pixels whose centres lie in [xa, xb) on row y. */
  addCentres(y: number, xa: number, xb: number): void {
    const start = Math.max(0, Math.ceil(xa - 0.5));
    const end = Math.min(this.width, Math.ceil(xb - 0.5));
    if (end <= start) return;
    this.runs.push(y, start, end);
    this.count += end - start;
  }

  build(): Spans {
    return { runs: Int32Array.from(this.runs), pixelCount: this.count };
  }
}

/**
 * The spans of a simple polygon (even-odd rule), clipped to a width x height image.
 * @example polygonSpans([[0, 0], [4, 0], [4, 4], [0, 4]], 8, 8).pixelCount === 16
 */
export function polygonSpans(points: readonly Point[], width: number, height: number): Spans {
  const builder = new SpanBuilder(width);
  if (points.length < 3) return builder.build();
  let minY = Number.POSITIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (const [, y] of points) {
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  const firstRow = Math.max(0, Math.floor(minY));
  const lastRow = Math.min(height - 1, Math.ceil(maxY));
  const crossings: number[] = [];
  for (let y = firstRow; y <= lastRow; y++) {
    const yc = y + 0.5;
    crossings.length = 0;
    for (let i = 0; i < points.length; i++) {
      const [x0, y0] = points[i]!;
      const [x1, y1] = points[(i + 1) % points.length]!;
      // Half-open in y so a vertex exactly on the row centre is counted once.
      if (y0 <= yc !== y1 <= yc) crossings.push(x0 + ((yc - y0) * (x1 - x0)) / (y1 - y0));
    }
    crossings.sort((a, b) => a - b);
    for (let i = 0; i + 1 < crossings.length; i += 2) {
      builder.addCentres(y, crossings[i]!, crossings[i + 1]!);
    }
  }
  return builder.build();
}

/**
 * The spans of a disc of radius r centred at (cx, cy), clipped to a width x height image.
 * @example circleSpans(8, 8, 3, 16, 16).pixelCount // ≈ π·3²
 */
export function circleSpans(cx: number, cy: number, r: number, width: number, height: number): Spans {
  const builder = new SpanBuilder(width);
  const firstRow = Math.max(0, Math.floor(cy - r));
  const lastRow = Math.min(height - 1, Math.ceil(cy + r));
  for (let y = firstRow; y <= lastRow; y++) {
    const dy = y + 0.5 - cy;
    if (dy * dy >= r * r) continue;
    const half = Math.sqrt(r * r - dy * dy);
    builder.addCentres(y, cx - half, cx + half);
  }
  return builder.build();
}

/**
 * Calls visit with the flat pixel index (y * width + x) of every pixel in spans.
 * @example forEachPixel(spans, image.width, (p) => mask[p] = 1);
 */
export function forEachPixel(spans: Spans, width: number, visit: (pixel: number) => void): void {
  const { runs } = spans;
  for (let i = 0; i < runs.length; i += 3) {
    const row = runs[i]! * width;
    const end = row + runs[i + 2]!;
    for (let p = row + runs[i + 1]!; p < end; p++) visit(p);
  }
}

/**
 * Blends colour over the pixels of spans; alpha 1 (the default) paints it solid.
 * @example paintSpans(image, circleSpans(8, 8, 3, image.width, image.height), [255, 0, 0]);
 */
export function paintSpans(image: RgbImage, spans: Spans, color: Rgb, alpha = 1): void {
  const { data } = image;
  const [r, g, b] = color;
  forEachPixel(spans, image.width, (p) => {
    const o = p * 3;
    data[o] = Math.round(data[o]! + alpha * (r - data[o]!));
    data[o + 1] = Math.round(data[o + 1]! + alpha * (g - data[o + 1]!));
    data[o + 2] = Math.round(data[o + 2]! + alpha * (b - data[o + 2]!));
  });
}
