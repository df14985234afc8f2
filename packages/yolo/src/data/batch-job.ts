import type { FormattedSample } from './augment/format.js';
import { collate, type RawBatch } from './collate.js';
import type { YOLODataset } from './dataset.js';
import { forEachLimited } from './image-store.js';

/**
 * Produces one collated batch. A few samples are in flight at once so that libvips decoding (on libuv's pool)
 * overlaps the JavaScript augmentation of the others.
 */
export async function runBatch(dataset: YOLODataset, indices: readonly number[], epoch: number): Promise<RawBatch> {
  const samples: FormattedSample[] = new Array(indices.length);
  await forEachLimited(indices.length, 3, async (k) => {
    samples[k] = await dataset.getItem(indices[k]!, epoch);
  });
  return collate(samples);
}
