import { readFileSync, writeFileSync } from 'node:fs';
import { Document, isScalar } from 'yaml';
import type { Args } from './args.js';
import { DEFAULT_CFG_PATH } from './config.js';

let floatKeys: ReadonlySet<string> | undefined;

/** Keys whose default.yaml value is written as a float (`3.0`), so integral values keep their `.0` as in Python. */
function floatDefaultKeys(): ReadonlySet<string> {
  floatKeys ??= new Set([...readFileSync(DEFAULT_CFG_PATH, 'utf8').matchAll(/^(\w+):\s*-?\d+\.\d*(?:\s|$)/gm)].map((m) => m[1]!));
  return floatKeys;
}

/**
 * `args` as Ultralytics' `yaml_save` writes args.yaml: every key in order (plus `save_dir`), block lists,
 * true/false/null, YAML 1.1 quoting so PyYAML reads it back to the same values.
 *
 * @example
 * argsToYaml({ ...args, save_dir: 'runs/detect/train' }); // 'task: detect\nmode: train\n...'
 */
export function argsToYaml(args: Args | Record<string, unknown>): string {
  const doc = new Document(args, { version: '1.1' });
  const floats = floatDefaultKeys();
  for (const [key, value] of Object.entries(args)) {
    if (!floats.has(key) || !Number.isInteger(value)) continue;
    const node = doc.get(key, true);
    if (isScalar(node)) node.minFractionDigits = 1;
  }
  return doc.toString({ indentSeq: false, singleQuote: true });
}

/**
 * Writes args.yaml (see `argsToYaml`), replacing any earlier file.
 *
 * @example
 * writeArgsYaml(join(saveDir, 'args.yaml'), { ...args, save_dir: saveDir });
 */
export function writeArgsYaml(file: string, args: Args | Record<string, unknown>): void {
  writeFileSync(file, argsToYaml(args), 'utf8');
}
