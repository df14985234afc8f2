import { existsSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { IMG_FORMATS } from './images.js';

/** One image's verified labels: boxes normalised xywh, shape after EXIF orientation. */
export interface ImageLabels {
  imFile: string;
  /** [h, w] of the original image after EXIF orientation. */
  shape: [number, number];
  /** Class ids, one per box. */
  cls: Float32Array;
  /** n*4 normalised (cx, cy, w, h). */
  bboxes: Float32Array;
  /**
   * Polygon label files (a line with more than 6 values): each box's polygon as it was written, flat normalised
   * [x0, y0, x1, y1, …] (float32). Absent for box labels.
   */
  segments?: Float32Array[];
}

/** The outcome of checking one image/label pair; counts are 0/1 like Ultralytics' nm, nf, ne, nc. */
export interface VerifyResult {
  labels: ImageLabels | null;
  missing: number;
  found: number;
  empty: number;
  corrupt: number;
  /** A warning for this file, '' when none. */
  msg: string;
}

/**
 * Checks one image and its label file as Ultralytics' verify_image_label: the image must decode completely
 * (truncated or unreadable files are corrupt) and be at least 10 px per side; each label line needs 5 numeric
 * columns (lines with more than 6 values are polygons, turned into their bounding box), coordinates in [0, 1],
 * no negative values and a class below `nc`. A bad line makes the whole image corrupt (skipped); duplicate rows
 * are removed with a warning. Files are only read, never rewritten (Ultralytics re-saves JPEGs with a bad tail).
 *
 * @example
 * const r = await verifyImageLabel('/d/images/a.jpg', '/d/labels/a.txt', 80);
 * if (r.corrupt) console.warn(r.msg);
 */
export async function verifyImageLabel(imFile: string, lbFile: string, nc: number, prefix = ''): Promise<VerifyResult> {
  const result: VerifyResult = { labels: null, missing: 0, found: 0, empty: 0, corrupt: 0, msg: '' };
  try {
    const { shape, warning } = await verifyImage(imFile);
    if (warning) result.msg = `${prefix}WARNING ⚠️ ${imFile}: ${warning}`;
    let rows: number[][] = [];
    let segments: Float32Array[] | undefined;
    if (existsSync(lbFile)) {
      result.found = 1;
      const parsed = parseLabels(await readFile(lbFile, 'utf8'), lbFile, nc);
      rows = parsed.rows;
      segments = parsed.segments;
      if (!rows.length) result.empty = 1;
      const unique = uniqueRowIndices(rows);
      if (unique.length < rows.length) {
        result.msg = `${prefix}WARNING ⚠️ ${imFile}: ${rows.length - unique.length} duplicate labels removed`;
        rows = unique.map((i) => rows[i]!);
        if (segments) segments = unique.map((i) => (segments as Float32Array[])[i]!);
      }
    } else {
      result.missing = 1;
    }
    result.labels = {
      imFile,
      shape,
      cls: Float32Array.from(rows, (r) => r[0]!),
      bboxes: Float32Array.from(rows.flatMap((r) => r.slice(1, 5))),
    };
    if (segments) result.labels.segments = segments;
  } catch (e) {
    result.corrupt = 1;
    result.msg = `${prefix}WARNING ⚠️ ${imFile}: ignoring corrupt image/label: ${(e as Error).message}`;
  }
  return result;
}

/** Checks an image as Ultralytics' verify_image: readable, a known format, both sides > 9 px, decodable to the end. */
export async function verifyImage(imFile: string): Promise<{ shape: [number, number]; warning: string }> {
  let meta: sharp.Metadata;
  try {
    meta = await sharp(imFile).metadata();
  } catch (e) {
    throw new Error(`unreadable image (${(e as Error).message})`);
  }
  const format = (meta.format ?? '').toLowerCase();
  if (!IMG_FORMATS.has(format)) throw new Error(`invalid image format ${meta.format}`);
  const { width, height } = meta.autoOrient ?? meta;
  if (!(height > 9 && width > 9)) throw new Error(`image size (${height}, ${width}) <10 pixels`);
  try {
    // A shrunk decode still reads the whole compressed stream, which is what exposes truncation.
    await sharp(imFile, { failOn: 'truncated' }).resize(8, 8, { fit: 'fill' }).raw().toBuffer();
  } catch (e) {
    throw new Error(`truncated or undecodable image (${(e as Error).message.split('\n')[0]})`);
  }
  let warning = '';
  if (format === 'jpeg' && !(await endsWithJpegEoi(imFile))) {
    warning = 'corrupt JPEG tail (no end-of-image marker); it decodes, so it is used as is';
  }
  return { shape: [height, width], warning };
}

async function endsWithJpegEoi(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const tail = Buffer.alloc(2);
    await fh.read(tail, 0, 2, Math.max(0, size - 2));
    return tail[0] === 0xff && tail[1] === 0xd9;
  } finally {
    await fh.close();
  }
}

/** Parses and checks label text; throws naming the file and line on the first problem. Rows are [cls, x, y, w, h]. */
export function parseLabelFile(text: string, lbFile: string, nc: number): number[][] {
  return parseLabels(text, lbFile, nc).rows;
}

/**
 * Parses and checks label text: box rows [cls, x, y, w, h] and, when any line has more than 6 values (then every
 * line is a polygon, as Ultralytics reads them), each line's polygon (float32, normalised); the box of a polygon is
 * its extent, and the range checks apply to that box.
 */
export function parseLabels(text: string, lbFile: string, nc: number): { rows: number[][]; segments?: Float32Array[] } {
  const lines = text
    .trim()
    .split(/\r?\n/)
    .map((line, i) => ({ no: i + 1, cols: line.trim().split(/\s+/).filter(Boolean) }))
    .filter((l) => l.cols.length);
  const isPolygon = lines.some((l) => l.cols.length > 6);
  const polygons: Float32Array[] = [];
  const rows = lines.map(({ no, cols }) => {
    const values = cols.map((c) => {
      const v = Number(c);
      if (!Number.isFinite(v)) throw new Error(`${lbFile}:${no}: non-numeric value '${c}'`);
      return v;
    });
    if (!isPolygon) return { no, values };
    const polygon = Float32Array.from(values.slice(1));
    polygons.push(polygon);
    return { no, values: polygonToBox(values[0]!, polygon, lbFile, no) };
  });
  for (const { no, values } of rows) {
    if (values.length !== 5) throw new Error(`${lbFile}:${no}: labels require 5 columns, ${values.length} columns detected`);
  }
  for (const { no, values } of rows) {
    const outside = values.slice(1).filter((v) => v > 1);
    if (outside.length) throw new Error(`${lbFile}:${no}: non-normalized or out of bounds coordinates ${outside.join(', ')}`);
  }
  for (const { no, values } of rows) {
    const negative = values.filter((v) => v < 0);
    if (negative.length) throw new Error(`${lbFile}:${no}: negative label values ${negative.join(', ')}`);
  }
  // Ultralytics 8.2.103 tests `cls <= nc`, letting cls == nc through to crash the loss later; we reject it here.
  for (const { no, values } of rows) {
    const cls = values[0]!;
    if (cls >= nc) {
      throw new Error(`${lbFile}:${no}: label class ${cls} exceeds dataset class count ${nc}. Possible class labels are 0-${nc - 1}`);
    }
  }
  const parsed = rows.map((r) => r.values.map((v) => Math.fround(v)));
  return isPolygon ? { rows: parsed, segments: polygons } : { rows: parsed };
}

/** A polygon's extent as [cls, cx, cy, w, h] (Ultralytics' segments2boxes on the float32 vertices). */
function polygonToBox(cls: number, xy: Float32Array, lbFile: string, no: number): number[] {
  if (xy.length % 2 !== 0) throw new Error(`${lbFile}:${no}: polygon has an odd number of coordinates (${xy.length})`);
  if (xy.length < 6) throw new Error(`${lbFile}:${no}: a polygon needs at least 3 points, got ${xy.length / 2}`);
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  for (let i = 0; i < xy.length; i += 2) {
    x1 = Math.min(x1, xy[i]!);
    x2 = Math.max(x2, xy[i]!);
    y1 = Math.min(y1, xy[i + 1]!);
    y2 = Math.max(y2, xy[i + 1]!);
  }
  return [cls, (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1];
}

/**
 * Indices of the rows to keep: all in order when there is no duplicate, else numpy.unique(axis=0, return_index)'s —
 * the first occurrence of each distinct row, in lexicographic row order.
 */
function uniqueRowIndices(rows: number[][]): number[] {
  const all = rows.map((_, i) => i);
  if (new Set(rows.map((r) => r.join(' '))).size === rows.length) return all;
  const sorted = all.sort((a, b) => {
    const ra = rows[a]!;
    const rb = rows[b]!;
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
    return a - b;
  });
  return sorted.filter((k, i) => i === 0 || rows[k]!.join(' ') !== rows[sorted[i - 1]!]!.join(' '));
}
