// Where the tests find ../shared (datasets and files made by the real Ultralytics, beside the repository), and the
// one rule for a test that needs it: skip with the reason when it is absent, except under CI=true (.ci/run sets it),
// where a missing file fails the run, so that CI cannot turn green by skipping the Ultralytics parity checks.
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shared folder beside the repository root (ends with '/'). */
export const SHARED = fileURLToPath(new URL('../../../../../shared/', import.meta.url));

/** A path under ../shared. */
export function sharedPath(relative: string): string {
  return join(SHARED, relative);
}

/**
 * `{ skip }` for a `describe()` whose tests need `paths` (relative to ../shared, or absolute): `false` when all
 * exist; else the reason, printed, to skip; under CI=true a missing path throws instead, failing the test file.
 *
 * @example
 * describe('loss parity', requireShared(['fixtures/ultralytics/loss.safetensors'], 'loss parity'), () => { ... });
 */
export function requireShared(paths: readonly string[], what: string): { skip: string | false } {
  const missing = paths.map((p) => (isAbsolute(p) ? p : sharedPath(p))).filter((p) => !existsSync(p));
  if (missing.length === 0) return { skip: false };
  const why = `${what}: ${missing.join(', ')} not found`;
  if (process.env.CI === 'true') throw new Error(`${why} (CI=true: the shared fixtures are required)`);
  console.log(`# skipping ${why}`);
  return { skip: why };
}
