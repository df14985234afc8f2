// Test helper for the YOLO26 parity tests: the ../shared/fixtures/ultralytics-yolo26 set and its readers.
import { fixtureSet } from './fixture-set.js';

const set = fixtureSet('ultralytics-yolo26');

/** `{ skip }` for describe(): skips locally, fails under CI=true, when a file is missing. */
export const fixtureGate = (files: string[]) => set.gate(files);
/** A fixture safetensors file: its tensors and string metadata. */
export const loadFixture = (name: string) => set.load(name);
/** A JSON fixture file. */
export const readFixtureJson = <T>(name: string): T => set.json<T>(name);
export { get, maxAbsDiff } from './fixture-set.js';
