// Resolving `data=` for classification: a dataset folder (train/, val/, test/ of class folders), or the built-in
// shapes crops when none is given.
import { existsSync } from 'node:fs';
import { type ClsDataset, checkClsDataset } from '../../../data/classify/folders.js';
import { ensureShapesClassifyDataset } from '../../../data/shapes.js';

/** The `data` name of the built-in classification dataset (one shape per image, a folder per shape). */
export const BUILTIN_CLASSIFY_DATASET = 'shapes-cls';

/**
 * `data` → a checked classification dataset. No data, or 'shapes-cls' with no such folder here, means the built-in
 * shapes crops, generated on first use under `<datasets>/shapes-cls`.
 * @example const data = await resolveClassifyDataset(undefined); // the built-in crops
 */
export async function resolveClassifyDataset(data: string | null | undefined): Promise<ClsDataset> {
  if (!data || (data === BUILTIN_CLASSIFY_DATASET && !existsSync(data))) return checkClsDataset(await ensureShapesClassifyDataset());
  if (/\.ya?ml$/.test(data))
    throw new Error(`data=${data}: a classification dataset is a folder (train/<class>/*.jpg, val/<class>/*.jpg), not a YAML file`);
  return checkClsDataset(data);
}

/** The folder of `split` ('val', 'test' or 'train'), falling back between val and test with Ultralytics' warnings. */
export function splitFolder(data: ClsDataset, split: string): string {
  if (split === 'train') return data.train;
  if (split === 'test') {
    if (data.test) return data.test;
    console.warn("WARNING ⚠️ Dataset 'split=test' not found, using 'split=val' instead.");
  } else if (!data.val) console.warn("WARNING ⚠️ Dataset 'split=val' not found, using 'split=test' instead.");
  const folder = split === 'test' ? data.val : (data.val ?? data.test);
  if (!folder) throw new Error(`classification dataset '${data.path}' has neither val/ (or validation/) nor test/ to validate on`);
  return folder;
}
