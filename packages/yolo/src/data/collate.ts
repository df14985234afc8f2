import type { FormattedSample } from './augment/format.js';

/**
 * One batch in Ultralytics' collate layout, as plain typed arrays (the trainer turns them into tensors):
 * - `img`: uint8 NCHW RGB, shape `imgShape` = [B, 3, H, W];
 * - `cls`: class per box (n), `bboxes`: n×4 normalised (cx, cy, w, h), `batchIdx`: image index per box;
 * - `imFile`, `oriShape` ([h, w] on disk), `resizedShape` ([h, w] fed to the model) per image;
 * - `ratioPad`: [[rh, rw], [padw, padh]] per image, present for letterboxed validation batches only;
 * - `masks` (segment datasets): the samples' masks concatenated, shape `masksShape` = [B or n, h, w].
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
  masks?: Uint8Array | Int32Array;
  masksShape?: [number, number, number];
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
  if (samples.every((s) => s.masks && s.masksShape)) Object.assign(batch, collateMasks(samples));
  return batch;
}

/** Concatenates the samples' masks along the first axis (int32 if any sample needed it). */
function collateMasks(samples: readonly FormattedSample[]): Pick<RawBatch, 'masks' | 'masksShape'> {
  const [, h, w] = samples[0]!.masksShape as [number, number, number];
  const count = samples.reduce((k, s) => k + (s.masksShape as [number, number, number])[0], 0);
  const wide = samples.some((s) => s.masks instanceof Int32Array);
  const masks = wide ? new Int32Array(count * h * w) : new Uint8Array(count * h * w);
  let off = 0;
  for (const s of samples) {
    const [, sh, sw] = s.masksShape as [number, number, number];
    if (sh !== h || sw !== w) throw new Error(`collate: ${s.imFile} has ${sh}x${sw} masks, the batch ${h}x${w}`);
    masks.set(s.masks as Uint8Array | Int32Array, off);
    off += (s.masks as Uint8Array | Int32Array).length;
  }
  return { masks, masksShape: [count, h, w] };
}

/** The buffers of a batch, for zero-copy transfer between threads. */
export function batchBuffers(b: RawBatch): ArrayBuffer[] {
  return [b.img.buffer, b.cls.buffer, b.bboxes.buffer, b.batchIdx.buffer, ...(b.masks ? [b.masks.buffer] : [])] as ArrayBuffer[];
}
