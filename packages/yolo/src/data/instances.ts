/** Box layout: corners (x1, y1, x2, y2) or centre and size (cx, cy, w, h). */
export type BoxFormat = 'xyxy' | 'xywh';

/**
 * The boxes of one image (Ultralytics' `Instances` for detection): n rows of 4 float32 values in one format,
 * either normalised to [0,1] or in pixels. Transforms mutate it in place and convert formats as they need.
 *
 * @example
 * const inst = new Instances(new Float32Array([0.5, 0.5, 0.2, 0.4]), 'xywh', true);
 * inst.convertBbox('xyxy');
 * inst.denormalize(640, 480); // now pixels: [256, 144, 384, 336]
 */
export class Instances {
  constructor(
    public bboxes: Float32Array,
    public format: BoxFormat,
    public normalized: boolean,
  ) {
    if (bboxes.length % 4 !== 0) throw new Error(`Instances: ${bboxes.length} values is not a multiple of 4`);
  }

  get length(): number {
    return this.bboxes.length / 4;
  }

  clone(): Instances {
    return new Instances(this.bboxes.slice(), this.format, this.normalized);
  }

  convertBbox(format: BoxFormat): void {
    if (format === this.format) return;
    const b = this.bboxes;
    for (let i = 0; i < b.length; i += 4) {
      const p = b[i] as number;
      const q = b[i + 1] as number;
      const r = b[i + 2] as number;
      const s = b[i + 3] as number;
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

  /** Multiplies x values by sx and y values by sy (positions and sizes alike, any format). */
  scale(sx: number, sy: number): void {
    const b = this.bboxes;
    for (let i = 0; i < b.length; i += 2) {
      b[i] = (b[i] as number) * sx;
      b[i + 1] = (b[i + 1] as number) * sy;
    }
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
    const b = this.bboxes;
    for (let i = 0; i < b.length; i += 2) {
      b[i] = (b[i] as number) + dx;
      b[i + 1] = (b[i + 1] as number) + dy;
    }
  }

  /** Clips the boxes to [0,w]x[0,h] (in xyxy), keeping the current format. */
  clip(w: number, h: number): void {
    const format = this.format;
    this.convertBbox('xyxy');
    const b = this.bboxes;
    for (let i = 0; i < b.length; i += 2) {
      b[i] = Math.min(Math.max(b[i] as number, 0), w);
      b[i + 1] = Math.min(Math.max(b[i + 1] as number, 0), h);
    }
    this.convertBbox(format);
  }

  areas(): Float32Array {
    const b = this.bboxes;
    const out = new Float32Array(this.length);
    for (let i = 0; i < out.length; i++) {
      const o = i * 4;
      out[i] =
        this.format === 'xyxy'
          ? ((b[o + 2] as number) - (b[o] as number)) * ((b[o + 3] as number) - (b[o + 1] as number))
          : (b[o + 2] as number) * (b[o + 3] as number);
    }
    return out;
  }

  /** Drops boxes whose area is not positive; returns the indices kept (to filter the classes alike). */
  removeZeroAreaBoxes(): number[] {
    const areas = this.areas();
    const keep: number[] = [];
    for (let i = 0; i < areas.length; i++) if ((areas[i] as number) > 0) keep.push(i);
    if (keep.length !== areas.length) this.bboxes = this.select(keep).bboxes;
    return keep;
  }

  /** A new Instances holding the given rows. */
  select(indices: readonly number[]): Instances {
    const out = new Float32Array(indices.length * 4);
    indices.forEach((j, k) => out.set(this.bboxes.subarray(j * 4, j * 4 + 4), k * 4));
    return new Instances(out, this.format, this.normalized);
  }

  flipud(h: number): void {
    this.flip(1, h);
  }

  fliplr(w: number): void {
    this.flip(0, w);
  }

  private flip(axis: 0 | 1, size: number): void {
    const b = this.bboxes;
    for (let i = 0; i < b.length; i += 4) {
      if (this.format === 'xyxy') {
        const lo = b[i + axis] as number;
        b[i + axis] = size - (b[i + axis + 2] as number);
        b[i + axis + 2] = size - lo;
      } else {
        b[i + axis] = size - (b[i + axis] as number);
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
    const out = new Float32Array(list.reduce((n, x) => n + x.bboxes.length, 0));
    let off = 0;
    for (const inst of list) {
      out.set(inst.bboxes, off);
      off += inst.bboxes.length;
    }
    return new Instances(out, first.format, first.normalized);
  }
}
