// Test helper for parity tests of any fixture folder under ../shared/fixtures: where it is, whether to skip (absent
// locally) or fail (absent under CI=true), as requireShared decides, readers, and the tolerance checks.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { requireShared, sharedPath } from '../helpers/shared.js';

/** A fixture folder: its path, a describe() gate and readers of its files. */
export interface FixtureSet {
  /** The folder (ends with '/'). */
  dir: string;
  /** `{ skip }` for describe(): false when every file is there; a reason when not; throws under CI=true. */
  gate(files: string[]): { skip: string | false };
  /** A safetensors file: its tensors and string metadata. */
  load(name: string): { tensors: Map<string, Tensor>; metadata: Record<string, string> };
  /** A JSON file. */
  json<T>(name: string): T;
  /** A text file. */
  text(name: string): string;
}

/**
 * The fixture folder `../shared/fixtures/<name>/`.
 * @example const yolo11 = fixtureSet('ultralytics-yolo11');
 */
export function fixtureSet(name: string): FixtureSet {
  const dir = sharedPath(`fixtures/${name}/`);
  return {
    dir,
    gate: (files) =>
      requireShared(
        files.map((f) => dir + f),
        `${name} fixtures`,
      ),
    load: (file) => torch.io.loadSafetensors(dir + file),
    json: <T>(file: string) => JSON.parse(readFileSync(dir + file, 'utf8')) as T,
    text: (file) => readFileSync(dir + file, 'utf8'),
  };
}

/** A named tensor of a fixture map; throws naming it when absent. */
export function get(map: Map<string, Tensor>, key: string): Tensor {
  const t = map.get(key);
  if (!t) throw new Error(`fixture tensor '${key}' missing`);
  return t;
}

/** max |a − b| after checking the shapes agree. */
export function maxAbsDiff(actual: Tensor, expected: Tensor, what: string): number {
  if (actual.shape.join() !== expected.shape.join()) throw new Error(`${what}: shape [${actual.shape}] ≠ fixture [${expected.shape}]`);
  if (actual.numel() === 0) return 0;
  return torch.tidy(() => actual.float().sub(expected.float()).abs().max().item());
}

/** max |actual − expected| / max |expected|, after checking the shapes agree. */
export function relativeDiff(actual: Tensor, expected: Tensor, what: string): number {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  return torch.tidy(() => actual.sub(expected).abs().max().item() / expected.abs().max().item());
}

/** Asserts max |actual − fixture| ≤ atol and reports it. */
export function within(actual: Tensor, expected: Tensor, atol: number, what: string): void {
  const diff = maxAbsDiff(actual, expected, what);
  assert.ok(diff <= atol, `${what}: max |diff| ${diff.toExponential(3)} > ${atol}`);
  console.log(`# ${what}: max |diff| ${diff.toExponential(2)} (tolerance ${atol})`);
}

/** Asserts |actual − expected| / |expected| ≤ rtol for a scalar and reports it. */
export function relWithin(actual: number, expected: number, rtol: number, what: string): void {
  const rel = Math.abs(actual - expected) / Math.abs(expected);
  assert.ok(rel <= rtol, `${what}: ${actual} vs ${expected}, relative ${rel.toExponential(3)} > ${rtol}`);
  console.log(`# ${what}: relative diff ${rel.toExponential(2)} (tolerance ${rtol})`);
}

/** Asserts scores within 1e-9 + 1e-4·|fixture score| (the YOLO11 and YOLO26 READMEs' tolerance) and reports the worst. */
export function scoresWithin(scores: Tensor, expected: Tensor, what: string): void {
  const [excess, worst] = torch.tidy((): [number, number] => {
    const diff = scores.sub(expected).abs();
    return [diff.sub(expected.abs().mul(1e-4).add(1e-9)).max().item(), diff.div(expected.abs().add(1e-12)).max().item()];
  });
  assert.ok(excess <= 0, `${what}: |diff| exceeds 1e-9 + 1e-4·|score| by ${excess}`);
  console.log(`# ${what}: worst relative diff ${worst.toExponential(2)} (tolerance 1e-4 + 1e-9 absolute)`);
}

/** A decoded detection output (B, 4 + nc, anchors): boxes within `boxTol` px, scores as scoresWithin. */
export function checkDecoded(pred: Tensor, expected: Tensor, boxTol: number, what: string): void {
  const nc = (expected.shape[1] as number) - 4;
  within(pred.narrow(1, 0, 4), expected.narrow(1, 0, 4), boxTol, `${what} boxes`);
  scoresWithin(pred.narrow(1, 4, nc), expected.narrow(1, 4, nc), `${what} scores`);
}

/**
 * The gradients after a backward against a loss fixture: the L2 norm over all of them (`<prefix>grad_norm`) within
 * 1e-3 relative, and each named one (`<prefix>grad.<name>`) within ‖Δ‖/‖fixture‖ ≤ 1e-3 (absolute where the fixture
 * gradient is below 1e-6: no foreground anchor reached it). `params` maps names to the model's parameters.
 */
export function checkGradients(params: Map<string, Tensor>, expected: Map<string, Tensor>, prefix = ''): void {
  const grads = [...params.values()].flatMap((p) => p.grad ?? []);
  const norm = Math.sqrt(grads.reduce((sum, g) => sum + torch.tidy(() => g.pow(2).sum().item()), 0));
  relWithin(norm, get(expected, `${prefix}grad_norm`).item(), 1e-3, `${prefix}gradient norm`);
  let worst = 0;
  for (const key of expected.keys()) {
    if (!key.startsWith(`${prefix}grad.`)) continue;
    const name = key.slice(`${prefix}grad.`.length);
    const grad = params.get(name)?.grad;
    assert.ok(grad, `${name} has no gradient`);
    const want = get(expected, key);
    const err = torch.tidy(() => {
      const ref = want.norm().item();
      const d = grad.sub(want).norm().item();
      return ref > 1e-6 ? d / ref : d;
    });
    assert.ok(err <= 1e-3, `${prefix}gradient of ${name}: ‖Δ‖/‖fixture‖ ${err.toExponential(3)} > 1e-3`);
    worst = Math.max(worst, err);
  }
  console.log(`# ${prefix}named gradients: worst ‖Δ‖/‖fixture‖ ${worst.toExponential(2)} (tolerance 1e-3)`);
}

/** BatchNorm running statistics of `layers` (from a stateDict) after a train-mode forward, within 1e-5 of the fixture's. */
export function checkBatchNormStats(state: Map<string, Tensor>, forward: Map<string, Tensor>, layers: readonly string[]): void {
  for (const layer of layers) {
    for (const stat of ['running_mean', 'running_var']) {
      const key = `${layer}.${stat}`;
      within(get(state, key), get(forward, `bn_after_train_forward.${key}`), 1e-5, `BatchNorm ${key} after a train forward`);
    }
  }
}
