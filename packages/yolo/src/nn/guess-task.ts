// Which task a model serves, as Ultralytics' guess_model_task decides it: from the model YAML's head module, a
// checkpoint's architecture or training arguments, an export's metadata, or the file name (-seg, -cls, …).
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { readCheckpointMeta } from '../utils/checkpoint.js';
import { parseMetadata } from '../utils/onnx/metadata.js';
import { decodeModel } from '../utils/onnx/schema.js';
import { loadUltralyticsCheckpoint } from '../utils/ultralytics-pt.js';
import { yamlModelLoad } from './yaml-model.js';

/**
 * The task of a model YAML dict from its last layer's module name (Ultralytics' cfg2task), or null when it names
 * none of them.
 * @example taskOfYaml(yamlModelLoad('yolov8n-seg.yaml')) // 'segment'
 */
export function taskOfYaml(cfg: Record<string, unknown>): string | null {
  const head = cfg.head;
  const last = Array.isArray(head) ? head[head.length - 1] : undefined;
  const module = Array.isArray(last) ? String(last[last.length - 2]).toLowerCase() : '';
  if (['classify', 'classifier', 'cls', 'fc'].includes(module)) return 'classify';
  if (module.includes('detect')) return 'detect';
  if (module === 'segment') return 'segment';
  if (module === 'pose') return 'pose';
  if (module === 'obb') return 'obb';
  return null;
}

/** Ultralytics' guess from a path: '-seg' in the file name or a 'segment' folder, and so on; null when none fits. */
function taskOfPath(path: string): string | null {
  const stem = basename(path).replace(/\.[^.]*$/, '');
  const parts = path.split(/[\\/]/);
  if (stem.includes('-seg') || parts.includes('segment')) return 'segment';
  if (stem.includes('-cls') || parts.includes('classify')) return 'classify';
  if (stem.includes('-pose') || parts.includes('pose')) return 'pose';
  if (stem.includes('-obb') || parts.includes('obb')) return 'obb';
  if (parts.includes('detect')) return 'detect';
  return null;
}

/**
 * The task of a model source: a model YAML (its head), a yolots checkpoint (its architecture), an Ultralytics .pt
 * (its name, else its architecture), an ONNX export (its metadata). 'detect', with Ultralytics' warning, when nothing
 * tells.
 * @example guessModelTask('yolov8n-seg.pt') // 'segment'
 */
export function guessModelTask(source: string): string {
  let task: string | null = null;
  try {
    if (/\.ya?ml$/.test(source)) task = taskOfYaml(yamlModelLoad(source));
    else if (source.endsWith('.safetensors') && existsSync(source)) task = taskOfYaml(readCheckpointMeta(source).model.yaml);
    else if (source.endsWith('.onnx') && existsSync(source))
      task = parseMetadata(decodeModel(readFileSync(source)).metadata_props ?? []).task ?? null;
    else if (source.endsWith('.pt') && existsSync(source)) task = taskOfPath(source) ?? taskOfYaml(loadUltralyticsCheckpoint(source).yaml);
  } catch {
    // An unreadable source fails later with its own message, where the model is loaded.
  }
  task ??= taskOfPath(source);
  if (task) return task;
  console.warn(
    "WARNING ⚠️ Unable to automatically guess model task, assuming 'task=detect'. Explicitly define task for your model, i.e. 'task=detect', 'segment', 'classify', 'pose' or 'obb'.",
  );
  return 'detect';
}
