import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { Args } from './args.js';
import { closeMatches } from './close-matches.js';
import { CFG_BOOL_KEYS, CFG_FLOAT_KEYS, CFG_FRACTION_KEYS, CFG_INT_KEYS } from './keys.js';

/** Where default.yaml lives: beside this module, in src/ and (once copied) in dist/. */
export const DEFAULT_CFG_PATH = fileURLToPath(new URL('./default.yaml', import.meta.url));

/** Receives the non-fatal notices (deprecated keys, renamed run names); console.warn unless told otherwise. */
export type Warn = (message: string) => void;

let defaults: Readonly<Args> | undefined;

/**
 * Ultralytics 8.2.103's defaults as read from default.yaml (read once, frozen).
 *
 * @example
 * defaultCfg().epochs; // 100
 */
export function defaultCfg(): Readonly<Args> {
  defaults ??= Object.freeze(readYamlFile(DEFAULT_CFG_PATH) as unknown as Args);
  return defaults;
}

/**
 * Reads a YAML mapping. A bare `None` (Python style, as hand-written Ultralytics configs use) becomes null.
 * Throws an Error naming the file when it is missing, malformed or not a mapping.
 *
 * @example
 * const custom = readYamlFile('my.yaml'); // { epochs: 5, ... }
 */
export function readYamlFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new Error(`config file '${file}' cannot be read: ${(cause as Error).message}`, { cause });
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (cause) {
    throw new Error(`config file '${file}' is not valid YAML: ${(cause as Error).message}`, { cause });
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`config file '${file}' must hold a mapping of key: value, not ${pythonType(parsed)}`);
  }
  const mapping = parsed as Record<string, unknown>;
  for (const [key, value] of Object.entries(mapping)) {
    if (typeof value === 'string' && value.toLowerCase() === 'none') mapping[key] = null;
  }
  return mapping;
}

/**
 * Merges `overrides` over the defaults (or over the keys of `cfg`, a YAML path or a mapping, which replace the
 * defaults they name), then type-checks every value as Ultralytics' `get_cfg` does. An `overrides.cfg` YAML sits
 * between the base and the other overrides. Unknown keys throw a SyntaxError naming the closest valid keys; a
 * wrong type throws a TypeError and a fraction outside [0, 1] a RangeError, both naming the key and value.
 *
 * Numbers arrive as numbers (the CLI converts its strings with `smartValue`). A null is accepted where the
 * default is null. Unlike Python, 3.0 cannot be told from 3, so integral floats pass as ints.
 *
 * @example
 * const args = getCfg(undefined, { model: 'yolov8n.yaml', data: 'coco8.yaml', epochs: 3, imgsz: 320 });
 * const fromFile = getCfg('runs/detect/train/args.yaml', { epochs: 10 });
 */
export function getCfg(cfg?: string | Record<string, unknown>, overrides?: Record<string, unknown>, warn: Warn = console.warn): Args {
  const base: Record<string, unknown> = { ...defaultCfg() };
  if (typeof cfg === 'string') mergeCfgFile(base, readYamlFile(cfg), cfg, warn);
  else if (cfg !== undefined) mergeCfgFile(base, { ...cfg }, 'cfg', warn);

  if (overrides) {
    const custom = handleDeprecation({ ...overrides }, warn);
    if (!('save_dir' in base)) delete custom.save_dir;
    if (typeof custom.cfg === 'string') {
      const fromFile = readYamlFile(custom.cfg);
      delete fromFile.cfg;
      mergeCfgFile(base, fromFile, custom.cfg, warn);
    }
    checkDictAlignment(base, custom);
    Object.assign(base, custom);
  }

  for (const key of ['project', 'name']) {
    if (typeof base[key] === 'number') base[key] = String(base[key]);
  }
  if (base.name === 'model') {
    base.name = String(base.model ?? '').split('.')[0];
    warn(`WARNING ⚠️ 'name=model' automatically updated to 'name=${base.name}'.`);
  }
  return checkCfg(base);
}

/** Merges a config's keys into `base` after checking each is known (`save_dir` too, as args.yaml has it). */
function mergeCfgFile(base: Record<string, unknown>, custom: Record<string, unknown>, source: string, warn: Warn): void {
  try {
    checkDictAlignment({ ...base, save_dir: null }, handleDeprecation(custom, warn));
  } catch (cause) {
    throw new SyntaxError(`in ${source}: ${(cause as Error).message}`, { cause });
  }
  Object.assign(base, custom);
}

/**
 * Throws a SyntaxError listing every key of `custom` that `base` lacks, each with its closest valid keys
 * (shown as `key=default` where the default is set), as Ultralytics' `check_dict_alignment` does.
 *
 * @example
 * checkDictAlignment(defaultCfg(), { epoch: 3 });
 * // SyntaxError: 'epoch' is not a valid YOLO argument. Similar arguments are i.e. ['epochs=100'].
 */
export function checkDictAlignment(base: Record<string, unknown>, custom: Record<string, unknown>): void {
  const validKeys = Object.keys(base);
  const lines = Object.keys(custom)
    .filter((key) => !Object.hasOwn(base, key))
    .map((key) => {
      const similar = closeMatches(key, validKeys).map((k) =>
        base[k] !== null && base[k] !== undefined ? `${k}=${formatValue(base[k])}` : k,
      );
      const hint = similar.length ? ` Similar arguments are i.e. [${similar.map((s) => `'${s}'`).join(', ')}].` : '';
      return `'${key}' is not a valid YOLO argument.${hint}`;
    });
  if (lines.length) throw new SyntaxError(lines.join('\n'));
}

/** Maps Ultralytics' deprecated keys to their replacements, with a warning each (in place; returns `custom`). */
function handleDeprecation(custom: Record<string, unknown>, warn: Warn): Record<string, unknown> {
  const renames: Record<string, [string, (v: unknown) => unknown]> = {
    boxes: ['show_boxes', (v) => v],
    hide_labels: ['show_labels', isFalse],
    hide_conf: ['show_conf', isFalse],
    line_thickness: ['line_width', (v) => v],
  };
  for (const [old, [replacement, convert]] of Object.entries(renames)) {
    if (!Object.hasOwn(custom, old)) continue;
    warn(`WARNING ⚠️ '${old}' is deprecated and will be removed in the future. Please use '${replacement}' instead.`);
    custom[replacement] = convert(custom[old]);
    delete custom[old];
  }
  return custom;
}

function isFalse(value: unknown): boolean {
  return value === false || (typeof value === 'string' && value.toLowerCase() === 'false');
}

/**
 * Type-checks a merged config as Ultralytics' `check_cfg(hard=True)`: float keys take numbers, fraction keys
 * numbers in [0, 1], int keys integers, bool keys booleans; null only where the default is null.
 *
 * @example
 * checkCfg({ ...defaultCfg(), lr0: 1.5 }); // RangeError: 'lr0=1.5' is an invalid value. ...
 */
export function checkCfg(cfg: Record<string, unknown>): Args {
  const nullable = defaultCfg() as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(cfg)) {
    if (value === null || value === undefined) {
      if (Object.hasOwn(nullable, key) && nullable[key] !== null) {
        throw new TypeError(
          `'${key}=None' is of invalid type NoneType. '${key}' has no null value; its default is ` +
            `'${key}=${formatValue(nullable[key])}'`,
        );
      }
      continue;
    }
    const shown = `'${key}=${formatValue(value)}' is of invalid type ${pythonType(value)}.`;
    if (key === 'cache' && typeof value === 'string' && value !== 'ram' && value !== 'disk') {
      throw new RangeError(`'cache=${value}' is an invalid value. Valid 'cache' values are true, false, 'ram' or 'disk'.`);
    }
    if (CFG_FLOAT_KEYS.has(key) || CFG_FRACTION_KEYS.has(key)) {
      if (typeof value !== 'number') {
        throw new TypeError(`${shown} Valid '${key}' types are int (i.e. '${key}=0') or float (i.e. '${key}=0.5')`);
      }
      if (CFG_FRACTION_KEYS.has(key) && !(value >= 0 && value <= 1)) {
        throw new RangeError(`'${key}=${value}' is an invalid value. Valid '${key}' values are between 0.0 and 1.0.`);
      }
      if (key === 'batch') checkBatch(value, cfg.mode);
    } else if (CFG_INT_KEYS.has(key)) {
      if (!Number.isInteger(value)) throw new TypeError(`${shown} '${key}' must be an int (i.e. '${key}=8')`);
    } else if (CFG_BOOL_KEYS.has(key)) {
      if (typeof value !== 'boolean') {
        throw new TypeError(`${shown} '${key}' must be a bool (i.e. '${key}=True' or '${key}=False')`);
      }
    }
  }
  return cfg as unknown as Args;
}

/**
 * `batch` is a positive integer, or asks AutoBatch in training: -1 (60% of the CUDA memory) or a fraction in (0, 1)
 * (that share). 0, other negatives and non-integers above 1 are refused (0 used to divide by zero in the rect batch
 * shapes); so is AutoBatch outside training, where nothing measures memory.
 */
function checkBatch(batch: number, mode: unknown): void {
  const auto = batch === -1 || (batch > 0 && batch < 1);
  if (!auto && !(Number.isInteger(batch) && batch >= 1)) {
    throw new RangeError(
      `'batch=${batch}' is an invalid value. Valid 'batch' values are a positive integer (images per batch, i.e. 'batch=16'), ` +
        `or for training AutoBatch: 'batch=-1' (60% of the CUDA memory) or a fraction such as 'batch=0.70' (that share of it).`,
    );
  }
  if (auto && mode !== undefined && mode !== 'train') {
    throw new RangeError(
      `'batch=${batch}' asks AutoBatch, which sizes training batches only; give '${mode}' a batch size, i.e. 'batch=16'.`,
    );
  }
}

/** A value as Python's f-string shows it: True/False/None, lists as [a, b]. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (Array.isArray(value)) return `[${value.map((v) => (typeof v === 'string' ? `'${v}'` : formatValue(v))).join(', ')}]`;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The Python type name Ultralytics' messages use for a value. */
function pythonType(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string') return 'str';
  if (Array.isArray(value)) return 'list';
  return 'dict';
}
