import type { FormattedSample } from './augment/format.js';

/**
 * One batch in Ultralytics' collate layout, as plain typed arrays (the trainer turns them into tensors):
 * - `img`: uint8 NCHW RGB, shape `imgShape` = [B, 3, H, W];
 * - `cls`: class per box (n), `bboxes`: n×4 normalised (cx, cy, w, h), `batchIdx`: image index per box;
 * - `imFile`, `oriShape` ([h, w] on disk), `resizedShape` ([h, w] fed to the model) per image;
 * - `ratioPad`: [[rh, rw], [padw, padh]] per image, present for letterboxed validation batches only.
 *
 * @example
 * for await (const batch of loader) console.log(batch.imgShape, batch.cls.length);
 */
export interface RawBatch {
  img: Uint8Array;
  imgShape: [number, number, number, number];
  cls: Float32Array;
  bboxes: Float32Array;
  batchIdx: Float32Array;
  imFile: string[];
  oriShape: [number, number][];
  resizedShape: [number, number][];
  ratioPad?: [[number, number], [number, number]][];
}

/** Stacks images, concatenates labels and numbers each box with its image (Ultralytics' collate_fn). */
export function collate(samples: readonly FormattedSample[]): RawBatch {
  const first = samples[0];
  if (!first) throw new Error('collate: empty batch');
  const { height, width } = first;
  const plane = 3 * height * width;
  const img = new Uint8Array(plane * samples.length);
  const n = samples.reduce((k, s) => k + s.cls.length, 0);
  const cls = new Float32Array(n);
  const bboxes = new Float32Array(n * 4);
  const batchIdx = new Float32Array(n);
  let off = 0;
  samples.forEach((s, i) => {
    if (s.height !== height || s.width !== width) {
      throw new Error(`collate: ${s.imFile} is ${s.height}x${s.width}, the batch is ${height}x${width}`);
    }
    img.set(s.img, i * plane);
    cls.set(s.cls, off);
    bboxes.set(s.bboxes, off * 4);
    batchIdx.fill(i, off, off + s.cls.length);
    off += s.cls.length;
  });
  const batch: RawBatch = {
    img,
    imgShape: [samples.length, 3, height, width],
    cls,
    bboxes,
    batchIdx,
    imFile: samples.map((s) => s.imFile),
    oriShape: samples.map((s) => s.oriShape),
    resizedShape: samples.map((s) => s.resizedShape),
  };
  if (samples.every((s) => s.ratioPad)) batch.ratioPad = samples.map((s) => s.ratioPad as [[number, number], [number, number]]);
  return batch;
}

/** The buffers of a batch, for zero-copy transfer between threads. */
export function batchBuffers(b: RawBatch): ArrayBuffer[] {
  return [b.img.buffer, b.cls.buffer, b.bboxes.buffer, b.batchIdx.buffer] as ArrayBuffer[];
}
