/** Box layout: corners (x1, y1, x2, y2) or centre and size (cx, cy, w, h). */
export type BoxFormat = 'xyxy' | 'xywh';

/**
 * The boxes of one image (Ultralytics' `Instances`): n rows of 4 float32 values in one format, either normalised to
 * [0,1] or in pixels, and for segment datasets one polygon of `segmentPoints` (x, y) points per box, moved and
 * scaled with the boxes. Transforms mutate it in place and convert formats as they need.
 *
 * @example
 * const inst = new Instances(new Float32Array([0.5, 0.5, 0.2, 0.4]), 'xywh', true);
 * inst.convertBbox('xyxy');
 * inst.denormalize(640, 480); // now pixels: [256, 144, 384, 336]
 */
export class Instances {
  /** Polygons, n × segmentPoints × 2 (x, y), in the same units as the boxes; empty for detection labels. */
  segments: Float32Array;

  constructor(
    public bboxes: Float32Array,
    public format: BoxFormat,
    public normalized: boolean,
    segments?: Float32Array,
    /** Points per polygon (Ultralytics resamples every polygon to 1000). */
    readonly segmentPoints = 1000,
  ) {
    if (bboxes.length % 4 !== 0) throw new Error(`Instances: ${bboxes.length} values is not a multiple of 4`);
    this.segments = segments ?? new Float32Array(0);
    if (this.segments.length && this.segments.length !== (bboxes.length / 4) * segmentPoints * 2) {
      throw new Error(`Instances: ${this.segments.length / (segmentPoints * 2)} polygons for ${bboxes.length / 4} boxes`);
    }
  }

  /** True when the instances carry polygons. */
  get hasSegments(): boolean {
    return this.segments.length > 0;
  }

  get length(): number {
    return this.bboxes.length / 4;
  }

  clone(): Instances {
    return new Instances(this.bboxes.slice(), this.format, this.normalized, this.segments.slice(), this.segmentPoints);
  }

  convertBbox(format: BoxFormat): void {
    if (format === this.format) return;
    const b = this.bboxes;
    for (let i = 0; i < b.length; i += 4) {
      const p = b[i]!;
      const q = b[i + 1]!;
      const r = b[i + 2]!;
      const s = b[i + 3]!;
      if (format === 'xyxy') {
        b[i] = p - r / 2;
        b[i + 1] = q - s / 2;
        b[i + 2] = p + r / 2;
        b[i + 3] = q + s / 2;
      } else {
        b[i] = (p + r) / 2;
        b[i + 1] = (q + s) / 2;
        b[i + 2] = r - p;
        b[i + 3] = s - q;
      }
    }
    this.format = format;
  }

  /** Multiplies x values by sx and y values by sy (positions and sizes alike, any format; polygons unless `bboxOnly`). */
  scale(sx: number, sy: number, bboxOnly = false): void {
    scalePairs(this.bboxes, sx, sy);
    if (!bboxOnly) scalePairs(this.segments, sx, sy);
  }

  denormalize(w: number, h: number): void {
    if (!this.normalized) return;
    this.scale(w, h);
    this.normalized = false;
  }

  normalize(w: number, h: number): void {
    if (this.normalized) return;
    this.scale(1 / w, 1 / h);
    this.normalized = true;
  }

  /** Adds a pixel offset to every coordinate (Ultralytics adds it to all four columns; callers use xyxy). */
  addPadding(padw: number, padh: number): void {
    if (this.normalized) throw new Error('Instances.addPadding: boxes must be in pixels');
    this.offset(padw, padh);
  }

  private offset(dx: number, dy: number): void {
    // float32 arithmetic as numpy's (the scalar is cast to float32 first): exact in double, rounded once on store.
    const fx = Math.fround(dx);
    const fy = Math.fround(dy);
    for (const b of [this.bboxes, this.segments]) {
      for (let i = 0; i < b.length; i += 2) {
        b[i] = b[i]! + fx;
        b[i + 1] = b[i + 1]! + fy;
      }
    }
  }

  /** Clips the boxes (in xyxy, keeping the current format) and the polygons to [0,w]x[0,h]. */
  clip(w: number, h: number): void {
    const format = this.format;
    this.convertBbox('xyxy');
    for (const b of [this.bboxes, this.segments]) {
      for (let i = 0; i < b.length; i += 2) {
        b[i] = Math.min(Math.max(b[i]!, 0), w);
        b[i + 1] = Math.min(Math.max(b[i + 1]!, 0), h);
      }
    }
    this.convertBbox(format);
  }

  areas(): Float32Array {
    const b = this.bboxes;
    const out = new Float32Array(this.length);
    for (let i = 0; i < out.length; i++) {
      const o = i * 4;
      out[i] = this.format === 'xyxy' ? (b[o + 2]! - b[o]!) * (b[o + 3]! - b[o + 1]!) : b[o + 2]! * b[o + 3]!;
    }
    return out;
  }

  /** Drops boxes whose area is not positive; returns the indices kept (to filter the classes alike). */
  removeZeroAreaBoxes(): number[] {
    const areas = this.areas();
    const keep: number[] = [];
    for (let i = 0; i < areas.length; i++) if (areas[i]! > 0) keep.push(i);
    if (keep.length !== areas.length) {
      const kept = this.select(keep);
      this.bboxes = kept.bboxes;
      this.segments = kept.segments;
    }
    return keep;
  }

  /** A new Instances holding the given rows (boxes and polygons). */
  select(indices: readonly number[]): Instances {
    const out = new Float32Array(indices.length * 4);
    indices.forEach((j, k) => out.set(this.bboxes.subarray(j * 4, j * 4 + 4), k * 4));
    const per = this.segmentPoints * 2;
    const segments = this.hasSegments ? new Float32Array(indices.length * per) : undefined;
    if (segments) indices.forEach((j, k) => segments.set(this.segments.subarray(j * per, (j + 1) * per), k * per));
    return new Instances(out, this.format, this.normalized, segments, this.segmentPoints);
  }

  /** The polygon of instance i (segmentPoints × 2 values, a view). */
  segment(i: number): Float32Array {
    const per = this.segmentPoints * 2;
    return this.segments.subarray(i * per, (i + 1) * per);
  }

  flipud(h: number): void {
    this.flip(1, h);
  }

  fliplr(w: number): void {
    this.flip(0, w);
  }

  private flip(axis: 0 | 1, size: number): void {
    const s = this.segments;
    for (let i = axis; i < s.length; i += 2) s[i] = size - s[i]!;
    const b = this.bboxes;
    for (let i = 0; i < b.length; i += 4) {
      if (this.format === 'xyxy') {
        const lo = b[i + axis]!;
        b[i + axis] = size - b[i + axis + 2]!;
        b[i + axis + 2] = size - lo;
      } else {
        b[i + axis] = size - b[i + axis]!;
      }
    }
  }

  /** Concatenates instance sets that share format and normalisation. */
  static concatenate(list: readonly Instances[]): Instances {
    const first = list[0];
    if (!first) throw new Error('Instances.concatenate: empty list');
    for (const inst of list) {
      if (inst.format !== first.format || inst.normalized !== first.normalized) {
        throw new Error('Instances.concatenate: all instances must share format and normalisation');
      }
    }
    const withSegments = list.some((x) => x.hasSegments);
    if (withSegments && list.some((x) => !x.hasSegments && x.length > 0)) {
      throw new Error('Instances.concatenate: cannot mix instances with and without polygons');
    }
    return new Instances(
      concatFloat32(list.map((x) => x.bboxes)),
      first.format,
      first.normalized,
      withSegments ? concatFloat32(list.map((x) => x.segments)) : undefined,
      first.segmentPoints,
    );
  }
}

/** The arrays one after another in one new Float32Array. */
export function concatFloat32(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** In-place float32 scaling as numpy's (`a[..., 0] *= sx` casts sx to float32; the product is exact in double). */
function scalePairs(values: Float32Array, sx: number, sy: number): void {
  const fx = Math.fround(sx);
  const fy = Math.fround(sy);
  for (let i = 0; i < values.length; i += 2) {
    values[i] = values[i]! * fx;
    values[i + 1] = values[i + 1]! * fy;
  }
}
