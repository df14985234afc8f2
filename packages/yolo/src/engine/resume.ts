// Ultralytics' check_resume: which checkpoint `resume=` means, and the arguments a resumed run uses.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Args } from '../cfg/args.js';
import { getCfg } from '../cfg/config.js';
import type { CheckpointMeta } from '../utils/checkpoint.js';

/** Arguments a user may change when resuming; everything else comes from the interrupted run. */
const RESUME_OVERRIDABLE = ['imgsz', 'batch', 'device', 'workers', 'verbose'] as const;

/** A weights file (what `model=` names when it names a checkpoint rather than a YAML). */
function isWeightsFile(model: unknown): model is string {
  return typeof model === 'string' && /\.(pt|safetensors)$/.test(model);
}

/**
 * The checkpoint a run resumes, always the file the user named when they named one:
 * - `resume=<path>`: that file;
 * - `resume` with `model=<weights file>` (`yolo train resume model=<path>`, `new YOLO(path).train({ resume: true })`,
 *   where Ultralytics' Model.train sets `resume` to the model's checkpoint): the model file;
 * - a bare `resume` (no model, or a YAML): the newest last.safetensors under `runsDir`, and `log` says which.
 * Naming two different checkpoints (`resume=a model=b`) is refused rather than guessed.
 */
export function findResumeCheckpoint(resume: boolean | string, model: unknown, runsDir = 'runs', log = console.log): string {
  const named = typeof resume === 'string' ? resume : isWeightsFile(model) ? model : null;
  if (named !== null) {
    if (typeof resume === 'string' && isWeightsFile(model) && resolve(model) !== resolve(resume)) {
      throw new Error(
        `resume=${resume} and model=${model} name different checkpoints: pass the one to resume, i.e. 'yolo train resume model=${resume}'`,
      );
    }
    if (!existsSync(named)) throw new Error(`resume checkpoint '${named}' does not exist`);
    return named;
  }
  const found = findLastCheckpoints(runsDir);
  if (found.length === 0) {
    throw new Error(
      `resume found no weights/last.safetensors under '${runsDir}' (searched from ${resolve('.')}); ` +
        `name the checkpoint: 'yolo train resume model=path/to/last.safetensors'`,
    );
  }
  const newest = found.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]!;
  log(
    `Resuming the newest run under '${runsDir}': ${newest}` +
      (found.length > 1 ? ` (newest of ${found.length}; name another with 'yolo train resume model=<its last.safetensors>')` : ''),
  );
  return newest;
}

function findLastCheckpoints(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findLastCheckpoints(path));
    else if (entry.name === 'last.safetensors') out.push(path);
  }
  return out;
}

/**
 * The interrupted run's arguments, with `resume`/`model` pointing at the checkpoint and the few allowed overrides.
 * A checkpoint in a run's `weights/` folder continues that run's folder, wherever it was moved or is resumed from.
 */
export function resumeArgs(meta: CheckpointMeta, path: string, overrides: Record<string, unknown>): Args {
  const saved = { ...meta.train_args };
  for (const key of RESUME_OVERRIDABLE) if (key in overrides) saved[key] = overrides[key];
  saved.resume = path;
  saved.model = path;
  if (basename(dirname(resolve(path))) === 'weights') saved.save_dir = dirname(dirname(path));
  return getCfg(saved);
}
