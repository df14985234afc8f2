// The `tracker` argument: a tracker YAML (Ultralytics' check_yaml + IterableSimpleNamespace), either a file of the
// user's or one of the built-in cfg/trackers/*.yaml, with every key the tracker reads checked up front.
import { existsSync, readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readYamlFile } from '../cfg/config.js';
import type { BotSortArgs } from './bot-sort.js';
import type { ByteTrackArgs } from './byte-tracker.js';

/** The folder of the built-in tracker YAMLs (botsort.yaml, bytetrack.yaml). */
export const TRACKER_CFG_DIR = fileURLToPath(new URL('../cfg/trackers/', import.meta.url));

/** A tracker YAML's settings: tracker_type and whatever keys that tracker reads. */
export type TrackerConfig = ByteTrackArgs & Partial<Omit<BotSortArgs, keyof ByteTrackArgs>> & Record<string, unknown>;

const NUMBER_KEYS = ['track_high_thresh', 'track_low_thresh', 'new_track_thresh', 'track_buffer', 'match_thresh'] as const;
const BOTSORT_NUMBER_KEYS = ['proximity_thresh', 'appearance_thresh'] as const;

/**
 * The path of a `tracker` argument: an existing file as given, else a built-in YAML of that name. An Error lists the
 * built-in ones when neither exists.
 *
 * @example
 * resolveTrackerYaml('bytetrack.yaml'); // '/…/yolots/src/cfg/trackers/bytetrack.yaml'
 */
export function resolveTrackerYaml(tracker: string): string {
  if (existsSync(tracker)) return tracker;
  const builtin = `${TRACKER_CFG_DIR}${basename(tracker)}`;
  if (existsSync(builtin)) return builtin;
  const names = readdirSync(TRACKER_CFG_DIR).filter((f) => f.endsWith('.yaml'));
  throw new Error(`tracker '${tracker}' does not exist: pass a tracker YAML path or one of ${names.join(', ')}`);
}

/**
 * Reads and checks a tracker YAML. `known` names the tracker types that may be asked for (Ultralytics:
 * bytetrack and botsort). Missing or mistyped keys are Errors naming the file and the key.
 */
export function loadTrackerConfig(tracker: string, known: readonly string[] = ['bytetrack', 'botsort']): TrackerConfig {
  const file = resolveTrackerYaml(tracker);
  const cfg = readYamlFile(file);
  const type = cfg.tracker_type;
  if (typeof type !== 'string' || !known.includes(type)) {
    throw new Error(
      `${file}: Only ${known.map((k) => `'${k}'`).join(' and ')} are supported for now, but got tracker_type '${String(type)}'`,
    );
  }
  const expectNumber = (key: string): void => {
    if (typeof cfg[key] !== 'number' || !Number.isFinite(cfg[key])) {
      throw new Error(
        `${file}: '${key}' must be a number, got ${cfg[key] === undefined ? 'nothing (the key is missing)' : JSON.stringify(cfg[key])}`,
      );
    }
  };
  const expectBool = (key: string): void => {
    if (typeof cfg[key] !== 'boolean') {
      throw new Error(
        `${file}: '${key}' must be True or False, got ${cfg[key] === undefined ? 'nothing (the key is missing)' : JSON.stringify(cfg[key])}`,
      );
    }
  };
  if (type === 'bytetrack' || type === 'botsort') {
    NUMBER_KEYS.forEach(expectNumber);
    expectBool('fuse_score');
  }
  if (type === 'botsort') {
    BOTSORT_NUMBER_KEYS.forEach(expectNumber);
    expectBool('with_reid');
    if (!('gmc_method' in cfg)) throw new Error(`${file}: 'gmc_method' is missing (sparseOptFlow, ecc or none)`);
  }
  return cfg as TrackerConfig;
}
