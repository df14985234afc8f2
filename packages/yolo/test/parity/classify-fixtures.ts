// Test helper for the classify parity tests: where ../shared/fixtures/ultralytics-classify is, whether to skip (absent
// locally) or fail (absent under CI=true, where a missing fixture would otherwise hide a regression), and readers.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';

/** The fixture folder (ends with '/'). */
export const CLASSIFY_FIXTURES = fileURLToPath(new URL('../../../../../shared/fixtures/ultralytics-classify/', import.meta.url));

/**
 * `{ skip }` for describe(): false when every file is there; a reason to skip when not; under CI=true a missing
 * fixture throws, so CI cannot pass by skipping.
 */
export function fixtureGate(files: string[]): { skip: string | false } {
  const missing = files.filter((f) => !existsSync(CLASSIFY_FIXTURES + f));
  if (missing.length === 0) return { skip: false };
  const why = `classify fixtures absent at ${CLASSIFY_FIXTURES} (${missing.join(', ')})`;
  if (process.env.CI === 'true') throw new Error(`${why}: CI needs them`);
  return { skip: why };
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
