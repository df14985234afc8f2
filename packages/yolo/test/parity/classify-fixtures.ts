// Test helper for the classify parity tests: where ../shared/fixtures/ultralytics-classify is, whether to skip (absent
// locally) or fail (absent under CI=true, see helpers/shared.ts), and readers.
import { readFileSync } from 'node:fs';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { requireShared, sharedPath } from '../helpers/shared.js';

/** The fixture folder (ends with '/'). */
export const CLASSIFY_FIXTURES = sharedPath('fixtures/ultralytics-classify/');

/** `{ skip }` for describe(): see `requireShared` (skips with the reason locally, fails under CI=true). */
export function fixtureGate(files: string[]): { skip: string | false } {
  return requireShared(
    files.map((f) => CLASSIFY_FIXTURES + f),
    'classify fixtures',
  );
}

/** A fixture safetensors file: its tensors and string metadata. */
export function loadFixture(name: string): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  return torch.io.loadSafetensors(CLASSIFY_FIXTURES + name);
}

/** A JSON fixture file. */
export function readFixtureJson<T>(name: string): T {
  return JSON.parse(readFileSync(CLASSIFY_FIXTURES + name, 'utf8')) as T;
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
