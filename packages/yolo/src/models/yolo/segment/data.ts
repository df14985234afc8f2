// Resolving `data=` for segmentation: a data.yaml path with polygon labels, or the built-in shapes dataset with
// polygon labels when none is given.
import { existsSync } from 'node:fs';
import { checkDetDataset, type DetDataset } from '../../../data/dataset-yaml.js';
import { ensureShapesDataset, isBuiltinDataset } from '../../../data/shapes.js';
import { resolveDataset } from '../detect/data.js';

/** The `data` name of the built-in segmentation dataset (shapes with polygon labels). */
export const BUILTIN_SEGMENT_DATASET = 'shapes-seg.yaml';

/**
 * `data` → a checked dataset description. No data, 'shapes.yaml' or 'shapes-seg.yaml' (with no such file here) means
 * the built-in shapes dataset with polygon labels, generated on first use under `<datasets>/shapes-seg`.
 * @example const data = await resolveSegmentDataset(undefined); // the built-in polygons
 */
export async function resolveSegmentDataset(data: string | null | undefined): Promise<DetDataset> {
  const builtin = (isBuiltinDataset(data) || data === BUILTIN_SEGMENT_DATASET) && !(data && existsSync(data));
  if (builtin) return checkDetDataset(await ensureShapesDataset({ polygons: true }));
  return resolveDataset(data);
}
