// Resolving `data=` for detection: a data.yaml path, or the built-in synthetic dataset when none is given.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkDetDataset, type DetDataset } from '../../../data/dataset-yaml.js';
import { ensureShapesDataset, isBuiltinDataset } from '../../../data/shapes.js';

/**
 * `data` → a checked dataset description. No data (or 'shapes.yaml' with no such file here) means the built-in
 * shapes dataset, generated on first use.
 */
export async function resolveDataset(data: string | null | undefined): Promise<DetDataset> {
  if (isBuiltinDataset(data ?? undefined) && !(data && existsSync(data))) return checkDetDataset(await ensureShapesDataset());
  const file = data as string;
  if (!existsSync(file)) {
    throw new Error(
      `dataset '${file}' not found (looked for ${resolve(file)}). yolots ships no dataset yamls: pass the path of a ` +
        "data.yaml (its 'download:' .zip URL is fetched when the images are missing), or leave data unset to use the built-in shapes dataset.",
    );
  }
  return checkDetDataset(file);
}
