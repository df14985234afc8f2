// Ultralytics' check_resume: which checkpoint `resume=` means, and the arguments a resumed run uses.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Args } from '../cfg/args.js';
import { getCfg } from '../cfg/config.js';
import type { CheckpointMeta } from '../utils/checkpoint.js';

/** Arguments a user may change when resuming; everything else comes from the interrupted run. */
const RESUME_OVERRIDABLE = ['imgsz', 'batch', 'device', 'workers', 'verbose'] as const;

/** `resume=true` → the newest last.safetensors under ./runs; `resume=path` → that file (which must exist). */
export function findResumeCheckpoint(resume: boolean | string, runsDir = 'runs'): string {
  if (typeof resume === 'string') {
    if (!existsSync(resume)) throw new Error(`resume checkpoint '${resume}' does not exist`);
    return resume;
  }
  const found = findLastCheckpoints(runsDir);
  if (found.length === 0) {
    throw new Error(`resume=True found no weights/last.safetensors under '${runsDir}'; pass resume=path/to/last.safetensors`);
  }
  return found.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0] as string;
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

/** The interrupted run's arguments, with `resume`/`model` pointing at the checkpoint and the few allowed overrides. */
export function resumeArgs(meta: CheckpointMeta, path: string, overrides: Record<string, unknown>): Args {
  const saved = { ...meta.train_args };
  for (const key of RESUME_OVERRIDABLE) if (key in overrides) saved[key] = overrides[key];
  saved.resume = path;
  saved.model = path;
  return getCfg(saved);
}
