// Test helper for the segment parity tests: the ../shared/fixtures/ultralytics-segment set (skipped when absent
// locally, failing when absent under CI=true, see helpers/shared.ts) and its readers.
import { fixtureSet } from './fixture-set.js';

/** The fixture set, for the shared checks that take one. */
export const segmentFixtures = fixtureSet('ultralytics-segment');

/** The fixture folder (ends with '/'). */
export const SEGMENT_FIXTURES = segmentFixtures.dir;
/** `{ skip }` for describe(): see `requireShared` (skips with the reason locally, fails under CI=true). */
export const fixtureGate = (files: string[]) => segmentFixtures.gate(files);
/** A fixture safetensors file: its tensors and string metadata. */
export const loadFixture = (name: string) => segmentFixtures.load(name);
/** A JSON fixture file. */
export const readFixtureJson = <T>(name: string): T => segmentFixtures.json<T>(name);
export { checkBatchNormStats, checkGradients, get, maxAbsDiff, relWithin, within } from './fixture-set.js';
