// Test helper for the classify parity tests: the ../shared/fixtures/ultralytics-classify set (skipped when absent
// locally, failing when absent under CI=true, see helpers/shared.ts) and its readers.
import { fixtureSet } from './fixture-set.js';

/** The fixture set, for the shared checks that take one. */
export const classifyFixtures = fixtureSet('ultralytics-classify');

/** The fixture folder (ends with '/'). */
export const CLASSIFY_FIXTURES = classifyFixtures.dir;
/** `{ skip }` for describe(): see `requireShared` (skips with the reason locally, fails under CI=true). */
export const fixtureGate = (files: string[]) => classifyFixtures.gate(files);
/** A fixture safetensors file: its tensors and string metadata. */
export const loadFixture = (name: string) => classifyFixtures.load(name);
/** A JSON fixture file. */
export const readFixtureJson = <T>(name: string): T => classifyFixtures.json<T>(name);
export { checkBatchNormStats, get, maxAbsDiff, relWithin, within } from './fixture-set.js';
