// Test helper for parity tests of any fixture folder under ../shared/fixtures: where it is, whether to skip (absent
// locally) or fail (absent under CI=true), as requireShared decides, and readers.
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
