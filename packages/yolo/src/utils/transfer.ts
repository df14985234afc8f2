// Loading pretrained weights into a model whose head may differ (other nc): Ultralytics' intersect_dicts.
import type { nn, Tensor } from '@yolots/torch';

/**
 * Copies every weight whose name and shape match the model's, and reports how many transferred
 * (`Transferred 355/355 items from pretrained weights`). Returns the number copied.
 */
export function loadMatchingWeights(model: nn.Module<any, any>, weights: Map<string, Tensor>, verbose = true): number {
  const own = model.stateDict();
  const matching = new Map<string, Tensor>();
  for (const [name, t] of weights) {
    const target = own.get(name);
    if (target && sameShape(target.shape, t.shape)) matching.set(name, t);
  }
  model.loadStateDict(matching, { strict: false });
  if (verbose) console.log(`Transferred ${matching.size}/${own.size} items from pretrained weights`);
  return matching.size;
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
