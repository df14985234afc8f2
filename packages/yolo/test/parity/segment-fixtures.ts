// Test helper for the segment parity tests: the ../shared/fixtures/ultralytics-segment set (skipped when absent
// locally, failing when absent under CI=true, see helpers/shared.ts) and its readers.
import { fixtureSet } from './fixture-set.js';

const set = fixtureSet('ultralytics-segment');

/** The fixture folder (ends with '/'). */
export const SEGMENT_FIXTURES = set.dir;
/** `{ skip }` for describe(): see `requireShared` (skips with the reason locally, fails under CI=true). */
export const fixtureGate = (files: string[]) => set.gate(files);
/** A fixture safetensors file: its tensors and string metadata. */
export const loadFixture = (name: string) => set.load(name);
/** A JSON fixture file. */
export const readFixtureJson = <T>(name: string): T => set.json<T>(name);
export { get, maxAbsDiff } from './fixture-set.js';
