// Results of one image (Ultralytics' engine/results.py, detection part): the original image, its boxes, and the
// ways Ultralytics offers to look at them: the log string, an annotated image, label files, crops, JSON/CSV rows.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { Tensor } from '@yolots/torch';
import sharp from 'sharp';
import { incrementPath } from '../cfg/save-dir.js';
import type { RgbImage } from '../data/images.js';
import { Annotator } from '../utils/plotting/annotator.js';
import { classColor } from '../utils/plotting/colors.js';
import { formatG } from '../utils/results-csv.js';
import { Boxes, type ShapeHW } from './boxes.js';
import { drawMasks, Masks } from './masks.js';
import { Probs } from './probs.js';

export { Boxes, type ShapeHW } from './boxes.js';
export { Masks } from './masks.js';
export { Probs } from './probs.js';

/** Class index → name. */
export type Names = Readonly<Record<number, string>>;

/** Milliseconds per image spent in each predictor stage (null until the predictor sets them). */
export interface Speed {
  preprocess: number | null;
  inference: number | null;
  postprocess: number | null;
}

/** Options of {@link Results.plot}; Ultralytics' names, camelCased. */
export interface PlotOptions {
  /** Append the confidence to labels (true). */
  conf?: boolean;
  /** Box line width in px; null scales with the image (null). */
  lineWidth?: number | null;
  /** Label font size in px; null scales with the image (null). */
  fontSize?: number | null;
  /** Draw class labels (true). */
  labels?: boolean;
  /** Draw the boxes (true). */
  boxes?: boolean;
  /** Paint the masks of a segmentation result (true). */
  masks?: boolean;
  /** Write a classification result's top-5 classes and probabilities (true). */
  probs?: boolean;
  /** Draw on this image instead of the original. */
  img?: RgbImage;
  /** Also write the annotated image to `filename` (false). */
  save?: boolean;
  /** Where `save` writes (`results_<image name>`). */
  filename?: string;
}

/** One row of {@link Results.summary}. */
export interface SummaryRow {
  name: string;
  class: number;
  confidence: number;
  /** The box (detection results; absent for classification). */
  box?: { x1: number; y1: number; x2: number; y2: number };
  track_id?: number;
  /** Segmentation results: the mask outline (Masks.xy), normalised with `normalize`. */
  segments?: { x: number[]; y: number[] };
}

/** One flat row of {@link Results.toDf}: a summary row with the box spread into columns (none for classification). */
export interface TableRow {
  name: string;
  class: number;
  confidence: number;
  x1?: number;
  y1?: number;
  x2?: number;
  y2?: number;
  track_id?: number;
}

/**
 * The predictions for one image. Unlike Ultralytics, `origImg` is RGB (not BGR) and nothing is held in native
 * memory, so results can be kept by the thousand without disposing anything.
 *
 * @example
 * const [result] = await predictor.predict('bus.jpg');
 * result.verbose();                        // '4 persons, 1 bus, '
 * await result.save('bus_annotated.jpg');  // boxes, labels and confidences drawn
 * JSON.stringify(result, null, 2);         // Ultralytics' to_json()
 */
export class Results {
  /** [h, w] of the original image. */
  readonly origShape: ShapeHW;
  /** The detections, or null for a result made without boxes. */
  boxes: Boxes | null;
  /** The detections' masks (segmentation), or null. */
  masks: Masks | null;
  /** Where the predictor saved this image's outputs (set by the predictor). */
  /** Classification results: the class probabilities (null otherwise). */
  probs: Probs | null;
  saveDir: string | null = null;
  speed: Speed;
  /** 1-based frame number within its video (after `vid_stride`), the batch count for a stream; null for an image. */
  frame: number | null = null;
  /** Frames per second of its video or stream; null for an image. */
  fps: number | null = null;

  /**
   * @param origImg the original image (RGB HWC)
   * @param path where the image came from (a file path or `image0.jpg` for in-memory images)
   * @param names class names of the model
   * @param options `boxes`: (N, 6|7) rows in original-image pixels (a tensor is copied, not kept); `masks`: (N, h, w)
   *   masks of the model input (or of the original image); `speed`
   */
  constructor(
    readonly origImg: RgbImage,
    readonly path: string,
    readonly names: Names,
    options: { boxes?: Boxes | Tensor | null; masks?: Masks | Tensor | null; probs?: Probs | Tensor | null; speed?: Speed } = {},
  ) {
    this.origShape = [origImg.height, origImg.width];
    this.boxes = toBoxes(options.boxes, this.origShape);
    const { masks } = options;
    this.masks = masks === null || masks === undefined ? null : masks instanceof Masks ? masks : Masks.fromTensor(masks, this.origShape);
    const { probs } = options;
    this.probs = probs === null || probs === undefined ? null : probs instanceof Probs ? probs : Probs.fromTensor(probs);
    this.speed = options.speed ?? { preprocess: null, inference: null, postprocess: null };
  }

  /** Number of detections. */
  get length(): number {
    return this.boxes?.length ?? this.probs?.length ?? 0;
  }

  /** A result holding only the detections at `indices` (Ultralytics' `results[idx]`). */
  select(indices: number | readonly number[]): Results {
    const list = typeof indices === 'number' ? [indices] : indices;
    return this.derive(this.boxes?.select(list) ?? null, this.masks?.select(list) ?? null);
  }

  /** Replaces the boxes, clipped to the image as Ultralytics' `update(boxes=…)` does. */
  update(boxes: Boxes | Tensor): this {
    const next = toBoxes(boxes, this.origShape) as Boxes;
    const [h, w] = this.origShape;
    const rows = next.rows.slice();
    for (let i = 0; i < rows.length; i += next.columns) {
      for (let c = 0; c < 4; c++) rows[i + c] = Math.min(Math.max(rows[i + c]!, 0), c % 2 === 0 ? w : h);
    }
    this.boxes = new Boxes(rows, this.origShape, next.columns);
    return this;
  }

  /** An empty result for the same image, path and names (Ultralytics' `new()`). */
  new(): Results {
    return this.derive(null, null);
  }

  /**
   * The detections as Ultralytics logs them: count and (plural) name per class, by class index, e.g.
   * `'4 persons, 1 bus, '`, or `'(no detections), '`.
   */
  verbose(): string {
    if (this.probs)
      return `${this.probs.top5.map((j) => `${this.className(j)} ${(this.probs as Probs).data[j]?.toFixed(2)}`).join(', ')}, `;
    if (this.length === 0) return '(no detections), ';
    const counts = new Map<number, number>();
    for (const c of (this.boxes as Boxes).clsList) counts.set(c, (counts.get(c) ?? 0) + 1);
    return [...counts.keys()]
      .sort((a, b) => a - b)
      .map((c) => {
        const n = counts.get(c) as number;
        return `${n} ${this.className(c)}${n > 1 ? 's' : ''}, `;
      })
      .join('');
  }

  /**
   * The image with boxes and `name conf` labels drawn, one colour per class (Ultralytics' `plot()`, PIL style);
   * later detections are drawn first so the most confident ones end on top.
   */
  async plot(options: PlotOptions = {}): Promise<RgbImage> {
    const { conf = true, lineWidth = null, fontSize = null, labels = true, boxes = true, masks = true, img, save = false } = options;
    const showProbs = options.probs ?? true;
    let base = img ?? this.origImg;
    if (this.masks && masks) {
      const classes = this.boxes?.clsList ?? Float32Array.from({ length: this.masks.length }, (_, i) => i);
      base = drawMasks(
        base,
        this.masks,
        Array.from(classes, (c) => classColor(c)),
      );
    }
    const annotator = new Annotator(base.data, base.width, base.height, {
      lineWidth: lineWidth ?? undefined,
      fontSize: fontSize ?? undefined,
    });
    if (this.boxes && boxes) {
      const { xyxyList, confList, clsList } = this.boxes;
      const ids = this.boxes.idList;
      for (let i = this.boxes.length - 1; i >= 0; i--) {
        const c = clsList[i]!;
        const name = (ids === null ? '' : `id:${ids[i]} `) + this.className(c);
        const label = labels ? (conf ? `${name} ${confList[i]!.toFixed(2)}` : name) : '';
        const box = Array.from(xyxyList.subarray(i * 4, i * 4 + 4)) as [number, number, number, number];
        annotator.boxLabel(box, label, classColor(c));
      }
    }
    if (this.probs && showProbs) {
      // Ultralytics writes the top-5 at 3% of the image height from the top-left corner, one class per line.
      const x = Math.round(this.origShape[0] * 0.03);
      this.probs.top5.forEach((j, k) => {
        const line = `${this.className(j)} ${(this.probs as Probs).data[j]?.toFixed(2)}`;
        annotator.text([x, x + k * annotator.fontSize * 1.2], line, { color: [255, 255, 255] });
      });
    }
    const annotated = await annotator.result();
    if (save) await writeImage(annotated, options.filename ?? `results_${basename(this.path)}`);
    return annotated;
  }

  /** Writes the annotated image (default `results_<image name>`) and returns the file name written. */
  async save(filename?: string, options: Omit<PlotOptions, 'save' | 'filename'> = {}): Promise<string> {
    const file = filename ?? `results_${basename(this.path)}`;
    const annotated = await this.plot(options);
    return writeImage(annotated, file);
  }

  /**
   * Appends one line per detection to `txtFile`: `cls xc yc w h [conf] [track_id]` — `cls x1 y1 x2 y2 …` (the mask
   * outline) for a segmentation result —, normalised, numbers printed as Python's `%g` (Ultralytics' `save_txt`).
   * Nothing is written when there are no detections.
   */
  saveTxt(txtFile: string, saveConf = false): void {
    if (this.probs) {
      const probs = this.probs;
      mkdirSync(dirname(txtFile), { recursive: true });
      appendFileSync(txtFile, probs.top5.map((j) => `${probs.data[j]?.toFixed(2)} ${this.className(j)}\n`).join(''));
      return;
    }
    if (!this.boxes || this.boxes.length === 0) return;
    const xywhn = this.boxes.xywhnList;
    const { confList, clsList } = this.boxes;
    const ids = this.boxes.idList;
    const lines: string[] = [];
    const outlines = this.masks?.xyn ?? null;
    for (let i = 0; i < this.boxes.length; i++) {
      const shape = outlines ? (outlines[i] ?? new Float32Array(0)) : xywhn.subarray(i * 4, i * 4 + 4);
      const values = [Math.trunc(clsList[i]!), ...shape];
      if (saveConf) values.push(confList[i]!);
      if (ids !== null) values.push(Math.trunc(ids[i]!));
      lines.push(`${values.map((v) => formatG(v, 6)).join(' ')}\n`);
    }
    mkdirSync(dirname(txtFile), { recursive: true });
    appendFileSync(txtFile, lines.join(''));
  }

  /**
   * Saves each detection's crop as `saveDir/<class name>/<fileName>.jpg` (`fileName2.jpg`, … when taken), the box
   * grown by 2% plus 10 px as Ultralytics' `save_one_box`. Returns the files written.
   */
  async saveCrop(saveDir: string, fileName = 'im'): Promise<string[]> {
    if (!this.boxes) return [];
    const written: string[] = [];
    const { xywhList, clsList } = this.boxes;
    const [h, w] = this.origShape;
    for (let i = 0; i < this.boxes.length; i++) {
      const [x1, y1, x2, y2] = grownBox(xywhList.subarray(i * 4, i * 4 + 4), w, h);
      if (x2 <= x1 || y2 <= y1) continue;
      const dir = join(saveDir, this.className(clsList[i]!));
      mkdirSync(dir, { recursive: true });
      const file = incrementPath(join(dir, `${fileName}.jpg`));
      await sharp(this.origImg.data, { raw: { width: this.origImg.width, height: this.origImg.height, channels: 3 } })
        .extract({ left: x1, top: y1, width: x2 - x1, height: y2 - y1 })
        .jpeg({ quality: 95, chromaSubsampling: '4:4:4' })
        .toFile(file);
      written.push(file);
    }
    return written;
  }

  /**
   * One `{ name, class, confidence, box: { x1, y1, x2, y2 } }` per detection (plus `track_id` when tracking), values
   * rounded to `decimals`, the box divided by the image size when `normalize` (Ultralytics' `summary()`).
   */
  summary(normalize = false, decimals = 5): SummaryRow[] {
    if (this.probs) {
      const c = this.probs.top1;
      return [{ name: this.className(c), class: c, confidence: roundTo(this.probs.top1conf, decimals) }];
    }
    if (!this.boxes) return [];
    const [h, w] = normalize ? this.origShape : [1, 1];
    const { xyxyList, confList, clsList } = this.boxes;
    const ids = this.boxes.idList;
    const rows: SummaryRow[] = [];
    for (let i = 0; i < this.boxes.length; i++) {
      const classId = Math.trunc(clsList[i]!);
      const [x1, y1, x2, y2] = xyxyList.subarray(i * 4, i * 4 + 4) as unknown as [number, number, number, number];
      const row: SummaryRow = {
        name: this.className(classId),
        class: classId,
        confidence: roundTo(confList[i]!, decimals),
        box: {
          x1: roundTo(x1 / w, decimals),
          y1: roundTo(y1 / h, decimals),
          x2: roundTo(x2 / w, decimals),
          y2: roundTo(y2 / h, decimals),
        },
      };
      if (ids !== null) row.track_id = Math.trunc(ids[i]!);
      const outline = this.masks?.xy[i];
      if (outline) {
        row.segments = {
          x: Array.from(
            outline.filter((_, k) => k % 2 === 0),
            (v) => roundTo(v / w, decimals),
          ),
          y: Array.from(
            outline.filter((_, k) => k % 2 === 1),
            (v) => roundTo(v / h, decimals),
          ),
        };
      }
      rows.push(row);
    }
    return rows;
  }

  /** The summary, so `JSON.stringify(result, null, 2)` prints what Ultralytics' `to_json()` returns. */
  toJSON(): SummaryRow[] {
    return this.summary();
  }

  /** The summary as flat table rows (what Ultralytics' `to_df()` holds, with the box spread into columns). */
  toDf(normalize = false, decimals = 5): TableRow[] {
    return this.summary(normalize, decimals).map(({ box, ...rest }) => ({ ...rest, ...box }));
  }

  /** The table rows as CSV text with a header line. */
  toCsv(normalize = false, decimals = 5): string {
    const rows = this.toDf(normalize, decimals);
    const boxColumns = this.probs ? [] : ['x1', 'y1', 'x2', 'y2'];
    const header = ['name', 'class', 'confidence', ...boxColumns, ...(this.boxes?.isTrack ? ['track_id'] : [])];
    const cell = (v: unknown): string => (typeof v === 'string' && /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : String(v));
    return `${[header.join(','), ...rows.map((r) => header.map((k) => cell(r[k as keyof TableRow])).join(','))].join('\n')}\n`;
  }

  private className(cls: number): string {
    return this.names[Math.trunc(cls)] ?? String(Math.trunc(cls));
  }

  private derive(boxes: Boxes | null, masks: Masks | null): Results {
    const out = new Results(this.origImg, this.path, this.names, { boxes, masks, probs: this.probs, speed: { ...this.speed } });
    out.saveDir = this.saveDir;
    out.frame = this.frame;
    out.fps = this.fps;
    return out;
  }
}

function toBoxes(boxes: Boxes | Tensor | null | undefined, origShape: ShapeHW): Boxes | null {
  if (boxes === null || boxes === undefined) return null;
  return boxes instanceof Boxes ? boxes : Boxes.fromTensor(boxes, origShape);
}

/** save_one_box's crop: xywh grown by gain 1.02 and 10 px (float32), truncated to int, clipped to the image. */
function grownBox(xywh: Float32Array, w: number, h: number): [number, number, number, number] {
  const f32 = Math.fround;
  const [cx, cy] = [xywh[0]!, xywh[1]!];
  const bw = f32(f32(xywh[2]! * f32(1.02)) + 10);
  const bh = f32(f32(xywh[3]! * f32(1.02)) + 10);
  const clip = (v: number, hi: number): number => Math.min(Math.max(Math.trunc(v), 0), hi);
  return [clip(f32(cx - bw / 2), w), clip(f32(cy - bh / 2), h), clip(f32(cx + bw / 2), w), clip(f32(cy + bh / 2), h)];
}

/** Python's `round(x, decimals)` for display (ties are too rare in float data to matter). */
function roundTo(x: number, decimals: number): number {
  return Number(x.toFixed(decimals));
}

/**
 * Encodes an RGB image to `file` by its suffix (JPEG at cv2's quality 95, PNG, WebP, TIFF). Suffixes sharp cannot
 * write (bmp, dng, mpo, pfm) are written as JPEG with `.jpg` appended. Returns the file written.
 */
export async function writeImage(img: RgbImage, file: string): Promise<string> {
  const ext = extname(file).toLowerCase();
  const pipeline = sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });
  mkdirSync(dirname(file) || '.', { recursive: true });
  if (ext === '.png') await pipeline.png().toFile(file);
  else if (ext === '.webp') await pipeline.webp({ quality: 95 }).toFile(file);
  else if (ext === '.tif' || ext === '.tiff') await pipeline.tiff().toFile(file);
  else if (ext === '.jpg' || ext === '.jpeg') await pipeline.jpeg({ quality: 95 }).toFile(file);
  else {
    const jpg = `${file}.jpg`;
    writeFileSync(jpg, await pipeline.jpeg({ quality: 95 }).toBuffer());
    return jpg;
  }
  return file;
}
