// Test helper for parity tests of any fixture folder under ../shared/fixtures: where it is, whether to skip (absent
// locally) or fail (absent under CI=true, where a missing fixture would otherwise hide a regression), and readers.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';

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
  const dir = fileURLToPath(new URL(`../../../../../shared/fixtures/${name}/`, import.meta.url));
  return {
    dir,
    gate(files) {
      const missing = files.filter((f) => !existsSync(dir + f));
      if (missing.length === 0) return { skip: false };
      const why = `${name} fixtures absent at ${dir} (${missing.join(', ')})`;
      if (process.env.CI === 'true') throw new Error(`${why}: CI needs them`);
      return { skip: why };
    },
    load: (file) => torch.io.loadSafetensors(dir + file),
    json: <T>(file: string) => JSON.parse(readFileSync(dir + file, 'utf8')) as T,
    text: (file) => readFileSync(dir + file, 'utf8'),
  };
}
