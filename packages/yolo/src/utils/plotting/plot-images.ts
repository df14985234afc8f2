import { mkdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { resizeLinear } from '../../data/resize.js';
import { Annotator, type XyxyBox } from './annotator.js';
import { classColor } from './colors.js';
import type { RgbImage } from './image.js';
import { type ClassNames, className } from './names.js';
import { roundHalfEven } from './python-round.js';

/** A batch to draw as a mosaic, with its labels or predictions. */
export interface PlotImagesInput {
  /** `B×3×H×W` RGB pixels, CHW per image: uint8 0–255, or float 0–1 (scaled by 255 like Ultralytics). */
  images: Uint8Array | Float32Array;
  shape: readonly [number, number, number, number];
  /** Image index in the batch of each box. */
  batchIdx: ArrayLike<number>;
  /** Class index of each box. */
  cls: ArrayLike<number>;
  /** `n×4` boxes, row-major, in `boxFormat`; normalised to 0–1 (detected as max ≤ 1.1) or in batch-image pixels. */
  bboxes?: ArrayLike<number>;
  /** `'xywh'` (centre, size; the default, as in the training batch) or `'xyxy'` (corners, as NMS outputs). */
  boxFormat?: 'xywh' | 'xyxy';
  /** Confidence per box for predictions: boxes at or below 0.25 are skipped and labels show `name 0.x`. */
  confs?: ArrayLike<number>;
  /** Source file of each image; its base name (40 characters at most) is written on the tile. */
  paths?: readonly string[];
  names?: ClassNames;
  /** Output file (.jpg or .png). */
  fname: string;
  /** Tiles at most; default 16. */
  maxSubplots?: number;
  /**
   * Segmentation masks, painted as 0.4·pixel + 0.6·class colour: one index mask per image (value k = the image's
   * k-th box, counted from 1; `shape[0]` = images) or one 0/1 mask per box (`shape[0]` = boxes).
   */
  masks?: { data: ArrayLike<number>; shape: readonly [number, number, number] };
}

/** Ultralytics' `plot_images` limit for the mosaic's side in pixels. */
const MAX_MOSAIC_SIZE = 1920;
const CONF_THRESHOLD = 0.25;
const FILENAME_COLOR = [220, 220, 220] as const;

/** Lays the first `bs` images out column by column on a white `ns×ns` grid (Ultralytics fills columns first). */
function buildMosaic(images: Uint8Array | Float32Array, bs: number, ns: number, h: number, w: number): RgbImage {
  const width = ns * w;
  const height = ns * h;
  const data = new Uint8Array(width * height * 3).fill(255);
  let gain = 1;
  if (images instanceof Float32Array) {
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < 3 * h * w; k++) max = Math.max(max, images[k]!);
    gain = max <= 1 ? 255 : 1;
  }
  const plane = h * w;
  for (let i = 0; i < bs; i++) {
    const x0 = w * Math.floor(i / ns);
    const y0 = h * (i % ns);
    const src = i * 3 * plane;
    for (let y = 0; y < h; y++) {
      let dst = ((y0 + y) * width + x0) * 3;
      for (let x = 0; x < w; x++, dst += 3) {
        const p = src + y * w + x;
        data[dst] = Math.min(255, Math.max(0, Math.round(images[p]! * gain)));
        data[dst + 1] = Math.min(255, Math.max(0, Math.round(images[p + plane]! * gain)));
        data[dst + 2] = Math.min(255, Math.max(0, Math.round(images[p + 2 * plane]! * gain)));
      }
    }
  }
  return { data, width, height };
}

function checkInput(input: PlotImagesInput): void {
  const { images, shape, batchIdx, cls, bboxes, confs, boxFormat } = input;
  const [b, c, h, w] = shape;
  if (c !== 3 || !(b > 0 && h > 0 && w > 0)) throw new Error(`plotImages(${input.fname}): shape ${shape} is not B×3×H×W`);
  if (images.length !== b * c * h * w) {
    throw new Error(`plotImages(${input.fname}): shape ${shape} needs ${b * c * h * w} values, images has ${images.length}`);
  }
  if (batchIdx.length !== cls.length) {
    throw new Error(`plotImages(${input.fname}): ${batchIdx.length} batch indices for ${cls.length} classes`);
  }
  if (bboxes && bboxes.length > 0 && bboxes.length !== 4 * cls.length) {
    throw new Error(`plotImages(${input.fname}): ${cls.length} boxes need ${4 * cls.length} coordinates, got ${bboxes.length}`);
  }
  if (confs && confs.length !== cls.length) {
    throw new Error(`plotImages(${input.fname}): ${confs.length} confidences for ${cls.length} boxes`);
  }
  if (boxFormat !== undefined && boxFormat !== 'xywh' && boxFormat !== 'xyxy') {
    throw new Error(`plotImages(${input.fname}): boxFormat '${boxFormat}' is not 'xywh' or 'xyxy'`);
  }
}

/**
 * Draws a batch as one mosaic image like Ultralytics' `plot_images` (train_batchN.jpg, val_batchN_labels.jpg,
 * val_batchN_pred.jpg): up to 16 tiles on a square grid filled column by column, shrunk so the mosaic is at most
 * 1920 px, white tile borders, file names, and boxes in the class colours labelled with the class name (and the
 * confidence, for predictions above 0.25). Returns `fname`.
 *
 * @example
 * await plotImages({
 *   images, shape: [8, 3, 640, 640], batchIdx, cls, bboxes, paths, names,
 *   fname: 'runs/detect/train/train_batch0.jpg',
 * });
 */
export async function plotImages(input: PlotImagesInput): Promise<string> {
  checkInput(input);
  const { batchIdx, cls, bboxes, confs, paths, names, fname } = input;
  const [batch, , srcH, srcW] = input.shape;
  const bs = Math.min(batch, input.maxSubplots ?? 16);
  const ns = Math.ceil(Math.sqrt(bs));
  let mosaic = buildMosaic(input.images, bs, ns, srcH, srcW);
  let [h, w] = [srcH, srcW];
  const scale = MAX_MOSAIC_SIZE / ns / Math.max(h, w);
  if (scale < 1) {
    h = Math.ceil(scale * h);
    w = Math.ceil(scale * w);
    mosaic = resizeLinear(mosaic, h * ns, w * ns);
  }
  const fs = Math.trunc((h + w) * ns * 0.01);
  const annotator = new Annotator(mosaic.data, mosaic.width, mosaic.height, {
    lineWidth: Math.max(1, roundHalfEven(fs / 10)),
    fontSize: fs > 0 ? fs : undefined,
  });
  const boxes = bboxes && bboxes.length > 0 ? bboxes : undefined;
  for (let i = 0; i < bs; i++) {
    const x = w * Math.floor(i / ns);
    const y = h * (i % ns);
    if (input.masks) paintTileMasks(mosaic, input, i, [x, y, w, h]);
    annotator.rectangle([x, y, x + w, y + h], { outline: [255, 255, 255], width: 2 });
    const path = paths?.[i];
    if (path !== undefined) annotator.text([x + 5, y + 5], basename(path).slice(0, 40), { color: FILENAME_COLOR });
    const members: number[] = [];
    for (let k = 0; k < cls.length; k++) if (batchIdx[k] === i) members.push(k);
    if (boxes) {
      const corners = members.map((k) => toXyxy(boxes, k, input.boxFormat ?? 'xywh'));
      const normalised = corners.length > 0 && Math.max(...corners.flat()) <= 1.1;
      const gain: [number, number] = normalised ? [w, h] : scale < 1 ? [scale, scale] : [1, 1];
      members.forEach((k, j) => {
        const conf = confs?.[k];
        if (conf !== undefined && !(conf > CONF_THRESHOLD)) return;
        const [x1, y1, x2, y2] = corners[j]!;
        const c = cls[k]!;
        const name = className(names, c);
        const box: XyxyBox = [x1 * gain[0] + x, y1 * gain[1] + y, x2 * gain[0] + x, y2 * gain[1] + y];
        annotator.boxLabel(box, conf === undefined ? name : `${name} ${conf.toFixed(1)}`, classColor(c));
      });
    } else {
      for (const k of members) {
        const c = cls[k]!;
        annotator.text([x, y], className(names, c), { color: classColor(c), boxStyle: true });
      }
    }
  }
  await mkdir(dirname(fname), { recursive: true });
  await annotator.save(fname);
  return fname;
}

/** Ultralytics' plot_images mask painting for tile i at [x, y, w, h] of the mosaic (masks resized to the tile). */
function paintTileMasks(mosaic: RgbImage, input: PlotImagesInput, i: number, [x, y, w, h]: [number, number, number, number]): void {
  const { data, shape } = input.masks as NonNullable<PlotImagesInput['masks']>;
  const [count, mh, mw] = shape;
  const members: number[] = [];
  for (let k = 0; k < input.cls.length; k++) if (input.batchIdx[k] === i) members.push(k);
  const perBox = count === input.cls.length;
  if (!perBox && i >= count) return;
  members.forEach((k, j) => {
    const conf = input.confs?.[k];
    if (conf !== undefined && !(conf > CONF_THRESHOLD)) return;
    const [r, g, b] = classColor(input.cls[k]!);
    const plane = (perBox ? k : i) * mh * mw;
    const value = perBox ? 1 : j + 1;
    for (let ty = 0; ty < h; ty++) {
      const my = Math.min(Math.floor(((ty + 0.5) * mh) / h), mh - 1);
      let dst = ((y + ty) * mosaic.width + x) * 3;
      for (let tx = 0; tx < w; tx++, dst += 3) {
        const mx = Math.min(Math.floor(((tx + 0.5) * mw) / w), mw - 1);
        if (data[plane + my * mw + mx]! !== value) continue;
        mosaic.data[dst] = mosaic.data[dst]! * 0.4 + r * 0.6;
        mosaic.data[dst + 1] = mosaic.data[dst + 1]! * 0.4 + g * 0.6;
        mosaic.data[dst + 2] = mosaic.data[dst + 2]! * 0.4 + b * 0.6;
      }
    }
  });
}

function toXyxy(boxes: ArrayLike<number>, k: number, format: 'xywh' | 'xyxy'): XyxyBox {
  const [a, b, c, d] = [boxes[4 * k], boxes[4 * k + 1], boxes[4 * k + 2], boxes[4 * k + 3]] as number[] as [number, number, number, number];
  return format === 'xyxy' ? [a, b, c, d] : [a - c / 2, b - d / 2, a + c / 2, b + d / 2];
}
