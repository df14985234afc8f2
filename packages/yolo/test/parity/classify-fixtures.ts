// Test helper for the classify parity tests: the ../shared/fixtures/ultralytics-classify set (skipped when absent
// locally, failing when absent under CI=true, see helpers/shared.ts) and its readers.
import { fixtureSet } from './fixture-set.js';

const set = fixtureSet('ultralytics-classify');

/** The fixture folder (ends with '/'). */
export const CLASSIFY_FIXTURES = set.dir;
/** `{ skip }` for describe(): see `requireShared` (skips with the reason locally, fails under CI=true). */
export const fixtureGate = (files: string[]) => set.gate(files);
/** A fixture safetensors file: its tensors and string metadata. */
export const loadFixture = (name: string) => set.load(name);
/** A JSON fixture file. */
export const readFixtureJson = <T>(name: string): T => set.json<T>(name);
export { get, maxAbsDiff } from './fixture-set.js';
