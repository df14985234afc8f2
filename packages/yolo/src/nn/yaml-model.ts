// Finding and reading model YAMLs as Ultralytics' yaml_model_load does: 'yolov8n.yaml' is the unified
// 'yolov8.yaml' with scale 'n' taken from the file name.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { ModelYaml } from './parse-model.js';

/** The built-in model YAMLs (cfg/models/v3, v5, v8), beside the sources and, once copied, in dist/. */
export const BUILTIN_MODELS_DIR = fileURLToPath(new URL('../cfg/models/', import.meta.url));

/**
 * The scale letter in a model file name, or '' (Ultralytics' guess_model_scale).
 * @example guessModelScale('yolov8s.yaml') // 's'
 */
export function guessModelScale(modelPath: string): string {
  const stem = basename(modelPath).replace(/\.[^.]*$/, '');
  return /yolov?\d+([nslmx])/.exec(stem)?.[1] ?? '';
}

function builtinFiles(dir = BUILTIN_MODELS_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? builtinFiles(full) : [full];
  });
}

/** A path as given if it exists, else the built-in YAML of that file name (check_yaml's search of cfg/). */
function findYaml(file: string): string | undefined {
  if (existsSync(file) && statSync(file).isFile()) return file;
  const name = basename(file);
  return builtinFiles().find((candidate) => basename(candidate) === name);
}

/**
 * The names that resolve to a built-in YAML: each file, plus every scale of files that have `scales`
 * (yolov8.yaml → yolov8n.yaml … yolov8x.yaml).
 */
export function builtinModelNames(): string[] {
  return builtinFiles()
    .filter((f) => /\.ya?ml$/.test(f))
    .flatMap((f) => {
      const name = basename(f);
      const scales = (parseYaml(readFileSync(f, 'utf8')) as ModelYaml | null)?.scales;
      const scaled = scales ? Object.keys(scales).map((s) => name.replace(/(\d+)(-[a-z0-9]+)?(\.ya?ml)$/, `$1${s}$2$3`)) : [];
      return [name, ...scaled];
    })
    .sort();
}

/**
 * Loads a model YAML by path or built-in name into a dict, adding `scale` (from the name) and `yaml_file`.
 * Follows Ultralytics: 'yolov8n6.yaml' is renamed 'yolov8n-p6.yaml', and 'yolov8n.yaml' reads 'yolov8.yaml'. The
 * 'u' names of the anchor-free YOLOv5/YOLOv3 ('yolov5nu.yaml', 'yolov3u.yaml') read yolov5.yaml / yolov3.yaml,
 * which are those 'u' models.
 *
 * @example
 * const d = yamlModelLoad('yolov8n.yaml'); // d.scale === 'n', d.backbone[0] = [-1, 1, 'Conv', [64, 3, 2]]
 */
export function yamlModelLoad(path: string): ModelYaml {
  let requested = path;
  const stem = basename(requested).replace(/\.[^.]*$/, '');
  if (/^yolov[58][nsmlx]6$/.test(stem)) {
    const renamed = stem.replace(/(\d+)([nslmx])6(.+)?$/, '$1$2-p6$3');
    console.warn(`WARNING ⚠️ Ultralytics YOLO P6 models now use -p6 suffix. Renaming ${stem} to ${renamed}.`);
    requested = requested.replace(new RegExp(`${stem}(\\.[^.]*)?$`), `${renamed}$1`);
  }
  const unified = requested.replace(/(\d+)([nslmx])(.+)?$/, '$1$3');
  const withoutU = (p: string) => p.replace(/(\d+)u(\.ya?ml)$/, '$1$2');
  const file = findYaml(unified) ?? findYaml(requested) ?? findYaml(withoutU(unified));
  if (!file) {
    const unsupported = /^yolo26[nslmx]?-(seg|pose|obb|cls|semseg|depth)/.exec(stem);
    if (unsupported) {
      throw new Error(
        `model YAML '${path}': YOLO26's ${unsupported[1]} models are not supported by yolots yet; YOLO26 is available ` +
          'for detection (yolo26n.yaml … yolo26x.yaml, yolo26n.pt). See docs/migration.md, "What is not supported".',
      );
    }
    throw new Error(
      `model YAML '${path}' not found: no such file, and no built-in model of that name (built-in: ${builtinModelNames().join(', ')})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new Error(`model YAML '${file}' is not valid YAML: ${(cause as Error).message}`, { cause });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error(`model YAML '${file}' must hold a mapping (nc, backbone, head, …)`);
  const d = parsed as ModelYaml;
  d.scale = guessModelScale(requested);
  d.yaml_file = requested;
  return d;
}
