import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';

/** Image size as [height, width]. */
export type ShapeHW = readonly [number, number];

const f32 = Math.fround;

/**
 * The detections of one image, Ultralytics' `Boxes`: N rows of `[x1, y1, x2, y2, conf, cls]`, or
 * `[x1, y1, x2, y2, track_id, conf, cls]` when tracking, in original-image pixels.
 *
 * The rows live in JS memory (`rows`, float32), so results cost no native memory however many are kept. The tensor
 * accessors (`data`, `xyxy`, `xywh`, `xyxyn`, `xywhn`, `conf`, `cls`, `id`) mirror Ultralytics' and return a new CPU
 * float32 tensor on each call, owned by the caller: read them inside `torch.tidy` or dispose them.
 *
 * @example
 * const boxes = results[0].boxes;
 * boxes.length;                                         // number of detections
 * const xyxy = torch.tidy(() => boxes.xyxy.tolist());   // [[x1, y1, x2, y2], ...]
 * for (const box of boxes) console.log(box.clsList[0], box.confList[0]);
 */
export class Boxes {
  /** Values per row: 6, or 7 with a track id. */
  readonly columns: 6 | 7;

  constructor(
    /** The rows, row-major, `columns` values each. */
    readonly rows: Float32Array,
    /** [h, w] of the original image, for the normalised forms. */
    readonly origShape: ShapeHW,
    columns: 6 | 7 = 6,
  ) {
    if (columns !== 6 && columns !== 7) throw new RangeError(`Boxes: expected 6 or 7 values per row, got ${columns}`);
    if (rows.length % columns !== 0) throw new RangeError(`Boxes: ${rows.length} values is not a multiple of ${columns}`);
    this.columns = columns;
  }

  /** Boxes from an (N, 6|7) tensor (any device and float dtype); the tensor is read, not kept. */
  static fromTensor(data: Tensor, origShape: ShapeHW): Boxes {
    const columns = data.ndim === 2 ? data.shape[1] : -1;
    if (columns !== 6 && columns !== 7) throw new RangeError(`Boxes: expected an (N, 6|7) tensor, got [${data.shape.join(', ')}]`);
    const rows = torch.tidy(() => data.to({ dtype: 'float32', device: 'cpu' }).toTypedArray() as Float32Array);
    return new Boxes(rows, origShape, columns);
  }

  /** Number of boxes. */
  get length(): number {
    return this.rows.length / this.columns;
  }

  /** True when the rows carry track ids. */
  get isTrack(): boolean {
    return this.columns === 7;
  }

  /** [N, 6|7]. */
  get shape(): [number, number] {
    return [this.length, this.columns];
  }

  /** Corner boxes [x1, y1, x2, y2] per box, flat. */
  get xyxyList(): Float32Array {
    return this.pick([0, 1, 2, 3]);
  }

  /** Centre boxes [x, y, w, h] per box, flat (computed in float32 like Ultralytics' xyxy2xywh). */
  get xywhList(): Float32Array {
    const xyxy = this.xyxyList;
    const out = new Float32Array(xyxy.length);
    for (let i = 0; i < xyxy.length; i += 4) {
      const [x1, y1, x2, y2] = [xyxy[i], xyxy[i + 1], xyxy[i + 2], xyxy[i + 3]] as [number, number, number, number];
      out[i] = f32(x1 + x2) / 2;
      out[i + 1] = f32(y1 + y2) / 2;
      out[i + 2] = x2 - x1;
      out[i + 3] = y2 - y1;
    }
    return out;
  }

  /** `xyxyList` divided by the original width and height. */
  get xyxynList(): Float32Array {
    return this.normalised(this.xyxyList);
  }

  /** `xywhList` divided by the original width and height. */
  get xywhnList(): Float32Array {
    return this.normalised(this.xywhList);
  }

  /** Confidence per box. */
  get confList(): Float32Array {
    return this.pick([this.columns - 2]);
  }

  /** Class index per box (as float, like Ultralytics). */
  get clsList(): Float32Array {
    return this.pick([this.columns - 1]);
  }

  /** Track id per box, or null when not tracking. */
  get idList(): Float32Array | null {
    return this.isTrack ? this.pick([4]) : null;
  }

  /** The (N, 6|7) rows as a new tensor. */
  get data(): Tensor {
    return torch.tensor(this.rows, { shape: this.shape });
  }

  /** (N, 4) corner boxes in pixels as a new tensor. */
  get xyxy(): Tensor {
    return torch.tensor(this.xyxyList, { shape: [this.length, 4] });
  }

  /** (N, 4) centre boxes [x, y, w, h] in pixels as a new tensor. */
  get xywh(): Tensor {
    return torch.tensor(this.xywhList, { shape: [this.length, 4] });
  }

  /** (N, 4) corner boxes normalised to 0–1 by the original image size, as a new tensor. */
  get xyxyn(): Tensor {
    return torch.tensor(this.xyxynList, { shape: [this.length, 4] });
  }

  /** (N, 4) centre boxes normalised to 0–1, as a new tensor. */
  get xywhn(): Tensor {
    return torch.tensor(this.xywhnList, { shape: [this.length, 4] });
  }

  /** (N,) confidences as a new tensor. */
  get conf(): Tensor {
    return torch.tensor(this.confList);
  }

  /** (N,) class indices (float) as a new tensor. */
  get cls(): Tensor {
    return torch.tensor(this.clsList);
  }

  /** (N,) track ids as a new tensor, or null when not tracking. */
  get id(): Tensor | null {
    const ids = this.idList;
    return ids === null ? null : torch.tensor(ids);
  }

  /** The boxes at `indices` (negative counts from the end), as new Boxes. */
  select(indices: number | readonly number[]): Boxes {
    const list = typeof indices === 'number' ? [indices] : indices;
    const n = this.length;
    const out = new Float32Array(list.length * this.columns);
    list.forEach((index, k) => {
      const i = index < 0 ? n + index : index;
      if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`Boxes: index ${index} is out of range for ${n} boxes`);
      out.set(this.rows.subarray(i * this.columns, (i + 1) * this.columns), k * this.columns);
    });
    return new Boxes(out, this.origShape, this.columns);
  }

  /** One Boxes per detection, in order (as iterating Ultralytics' Boxes). */
  *[Symbol.iterator](): IterableIterator<Boxes> {
    for (let i = 0; i < this.length; i++) yield this.select(i);
  }

  private pick(cols: readonly number[]): Float32Array {
    const n = this.length;
    const out = new Float32Array(n * cols.length);
    for (let i = 0; i < n; i++) {
      cols.forEach((c, k) => {
        out[i * cols.length + k] = this.rows[i * this.columns + c]!;
      });
    }
    return out;
  }

  private normalised(boxes: Float32Array): Float32Array {
    const [h, w] = this.origShape;
    return boxes.map((v, i) => v / (i % 2 === 0 ? w : h));
  }
}
