import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import { downloadDataset } from './dataset-download.js';

/** A detection dataset description with every path absolute (Ultralytics' `check_det_dataset` result). */
export interface DetDataset {
  /** Dataset root. */
  path: string;
  /** Train sources: folders or .txt image lists. */
  train: string[];
  /** Validation sources. */
  val: string[];
  /** Test sources, when the yaml names them. */
  test: string[] | null;
  /** Class names, index = class id. */
  names: string[];
  nc: number;
  /** The yaml file this came from. */
  yamlFile: string;
}

const SPLITS = ['train', 'val', 'test', 'minival'] as const;

/**
 * Reads and checks a data.yaml as Ultralytics does: `train`/`val` required (`validation` is renamed), `names`
 * (list or {id: name} map) and/or `nc` that must agree, split paths resolved against `path`, which itself is
 * resolved against the yaml's folder. Missing val images are fetched from a `download:` .zip URL (nothing in the
 * yaml is executed). Throws an Error naming the file and key on bad input, and when the val images stay missing.
 *
 * @example
 * const data = checkDetDataset('../shared/datasets/coco8.yaml');
 * data.names[0]; // 'person'
 */
export function checkDetDataset(yamlFile: string): DetDataset {
  const file = resolve(yamlFile);
  if (!existsSync(file)) throw new Error(`Dataset '${yamlFile}' not found: no such file`);
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`Dataset '${file}' is not valid YAML: ${(e as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error(`Dataset '${file}' must be a YAML mapping with 'train', 'val' and 'names' keys`);
  }
  const data = raw as Record<string, unknown>;
  for (const key of ['train', 'val']) {
    if (data[key] !== undefined && data[key] !== null) continue;
    if (key === 'val' && data.validation !== undefined) {
      data.val = data.validation;
      delete data.validation;
      continue;
    }
    throw new Error(`Dataset '${file}': '${key}:' key missing. 'train' and 'val' are required in all data YAMLs.`);
  }
  const names = checkNames(file, data.names, data.nc);
  const root = resolveRoot(file, data.path);
  const splits = Object.fromEntries(SPLITS.map((k) => [k, resolveSplit(file, k, data[k], root)]));
  const val = splits.val as string[];
  const missing = () => val.filter((p) => !existsSync(p));
  if (missing().length && data.download !== undefined && data.download !== null) {
    console.log(`WARNING ⚠️ Dataset '${file}' images not found, missing path '${missing()[0]}'; downloading it`);
    downloadDataset(file, data.download, root);
  }
  if (missing().length) {
    const hint = data.download ? `; the download did not create it` : ' (and the yaml has no download: URL)';
    throw new Error(`Dataset '${file}' images not found, missing path '${missing()[0]}'${hint}`);
  }
  return {
    path: root,
    train: splits.train as string[],
    val,
    test: splits.test ?? null,
    names,
    nc: names.length,
    yamlFile: file,
  };
}

function checkNames(file: string, names: unknown, nc: unknown): string[] {
  if (names === undefined || names === null) {
    if (typeof nc !== 'number' || !Number.isInteger(nc) || nc < 1) {
      throw new Error(`Dataset '${file}': needs a 'names' list/map or a positive integer 'nc'`);
    }
    return Array.from({ length: nc }, (_, i) => `class_${i}`);
  }
  let list: string[];
  if (Array.isArray(names)) {
    list = names.map(String);
  } else if (typeof names === 'object') {
    const entries = Object.entries(names as Record<string, unknown>).map(([k, v]) => [Number(k), String(v)] as const);
    const n = entries.length;
    list = new Array<string>(n);
    for (const [k, v] of entries) {
      if (!Number.isInteger(k) || k < 0 || k >= n) {
        throw new Error(`Dataset '${file}': 'names' has ${n} classes, so its keys must be the integers 0-${n - 1}, found '${k}'`);
      }
      list[k] = v;
    }
  } else {
    throw new Error(`Dataset '${file}': 'names' must be a list or an {id: name} map`);
  }
  if (nc !== undefined && nc !== null && nc !== list.length) {
    throw new Error(`Dataset '${file}': 'names' length ${list.length} and 'nc: ${String(nc)}' must match`);
  }
  return list;
}

function resolveRoot(file: string, path: unknown): string {
  const folder = dirname(file);
  if (path === undefined || path === null || path === '') return folder;
  if (typeof path !== 'string') throw new Error(`Dataset '${file}': 'path' must be a string`);
  return isAbsolute(path) ? path : resolve(folder, path);
}

function resolveSplit(file: string, key: string, value: unknown, root: string): string[] | null {
  if (value === undefined || value === null) return null;
  const items = Array.isArray(value) ? value : [value];
  return items.map((item) => {
    if (typeof item !== 'string') throw new Error(`Dataset '${file}': '${key}' entries must be paths`);
    const p = resolve(root, item);
    if (!existsSync(p) && item.startsWith('../')) return resolve(root, item.slice(3));
    return p;
  });
}
