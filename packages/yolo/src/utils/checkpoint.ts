// Checkpoints: safetensors tensors + one JSON metadata entry; no pickled classes, written atomically.
// Tensor names: `model.<state-dict name>` (training weights), `ema.<name>` (EMA weights, what inference
// uses), `optimizer.<param index>.<state key>`. A finished run's checkpoints keep only the EMA weights,
// stored as `model.*` with epoch -1 (Ultralytics' strip_optimizer).
import { existsSync } from 'node:fs';
import type { optim, Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';

export const CHECKPOINT_FORMAT = 'yolots-checkpoint-1';

/** What a checkpoint says about the model, beside its weights. */
export interface ModelMeta {
  /** The model YAML as a dict: enough to rebuild the architecture. */
  yaml: Record<string, unknown>;
  nc: number;
  names: Record<number, string>;
  stride: number[];
  task: string;
  /** True when the weights are of the BatchNorm-fused model (conv with bias, no bn): load into a fused model. */
  fused?: boolean;
  /** The model family ('yolov8', 'yolo11', …; see modelFamily); absent in checkpoints written before it was recorded. */
  family?: string;
}

/** What a checkpoint records of a model: architecture, classes, strides, task, family, and whether it is fused. */
export function modelMeta(
  model: {
    yaml: Record<string, unknown>;
    nc: number;
    names: Record<number, string>;
    stride: number[];
    family?: string;
    isFused?(): boolean;
  },
  task: string,
): ModelMeta {
  const { yaml, nc, names, stride, family } = model;
  const meta: ModelMeta = { yaml, nc, names, stride, task, fused: typeof model.isFused === 'function' && model.isFused() };
  if (family) meta.family = family;
  return meta;
}

export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  version: string;
  date: string;
  /** Last completed epoch (0-based), or -1 for a finished (stripped) checkpoint. */
  epoch: number;
  best_fitness: number | null;
  ema_updates: number;
  /** Iteration of the last optimizer step and the early stopper's best epoch: what exact resume needs. */
  last_opt_step?: number;
  best_epoch?: number;
  train_args: Record<string, unknown>;
  train_metrics: Record<string, number>;
  model: ModelMeta;
  /** Optimizer hyperparameters per group and non-tensor state (step counts), keyed by parameter index. */
  optimizer?: { groups: Record<string, unknown>[]; groupSizes: number[]; scalars: Record<number, Record<string, number>> };
}

export interface Checkpoint {
  meta: CheckpointMeta;
  /** Training weights (absent in stripped checkpoints' EMA-only form unless that is all there is). */
  model: Map<string, Tensor>;
  ema: Map<string, Tensor> | null;
  optimizer: optim.OptimizerStateDict | null;
}

/** Writes a checkpoint atomically (temp file + rename). */
export function saveCheckpoint(path: string, ckpt: Checkpoint): void {
  const tensors = new Map<string, Tensor>();
  for (const [k, v] of ckpt.model) tensors.set(`model.${k}`, v);
  if (ckpt.ema) for (const [k, v] of ckpt.ema) tensors.set(`ema.${k}`, v);
  const meta: CheckpointMeta = { ...ckpt.meta };
  delete meta.optimizer;
  if (ckpt.optimizer) {
    const scalars: Record<number, Record<string, number>> = {};
    for (const [index, state] of ckpt.optimizer.state) {
      for (const [key, value] of state) {
        if (typeof value === 'number') {
          scalars[index] ??= {};
          scalars[index][key] = value;
        } else tensors.set(`optimizer.${index}.${key}`, value);
      }
    }
    meta.optimizer = {
      groups: ckpt.optimizer.paramGroups.map(({ params, ...hyper }) => hyper),
      groupSizes: ckpt.optimizer.paramGroups.map((g) => g.params.length),
      scalars,
    };
  }
  torch.io.saveSafetensors(path, tensors, { yolots: JSON.stringify(meta) });
}

/** Reads a checkpoint written by `saveCheckpoint`; tensors belong to the caller's scope. */
export function loadCheckpoint(path: string): Checkpoint {
  // The header is checked first, so a file that is not a checkpoint fails before any tensor is loaded.
  const meta = readCheckpointMeta(path);
  const { tensors } = torch.io.loadSafetensors(path);
  const model = new Map<string, Tensor>();
  const ema = new Map<string, Tensor>();
  const optimizerTensors = new Map<number, Map<string, Tensor | number>>();
  for (const [name, t] of tensors) {
    if (name.startsWith('model.')) model.set(name.slice(6), t);
    else if (name.startsWith('ema.')) ema.set(name.slice(4), t);
    else if (name.startsWith('optimizer.')) {
      const [, index, ...key] = name.split('.');
      const state = optimizerTensors.get(Number(index)) ?? new Map<string, Tensor | number>();
      state.set(key.join('.'), t);
      optimizerTensors.set(Number(index), state);
    }
  }
  let optimizer: optim.OptimizerStateDict | null = null;
  if (meta.optimizer) {
    for (const [index, scalars] of Object.entries(meta.optimizer.scalars)) {
      const state = optimizerTensors.get(Number(index)) ?? new Map<string, Tensor | number>();
      for (const [k, v] of Object.entries(scalars)) state.set(k, v);
      optimizerTensors.set(Number(index), state);
    }
    let next = 0;
    const paramGroups = meta.optimizer.groups.map((hyper, g) => {
      const size = meta.optimizer?.groupSizes[g] ?? 0;
      const params = Array.from({ length: size }, () => next++);
      return { ...hyper, params };
    });
    optimizer = { state: optimizerTensors, paramGroups };
  }
  return { meta, model, ema: ema.size ? ema : null, optimizer };
}

/** The weights inference should use: EMA if present, else the model's. */
export function inferenceWeights(ckpt: Checkpoint): Map<string, Tensor> {
  return ckpt.ema ?? ckpt.model;
}

/** A checkpoint's metadata alone, read from the safetensors header without loading any tensor. */
export function readCheckpointMeta(path: string): CheckpointMeta {
  if (!existsSync(path)) throw new Error(`checkpoint not found: ${path}`);
  const metadata = torch.io.readSafetensorsMetadata(path);
  if (metadata.yolots === undefined)
    throw new Error(`${path} is a safetensors file but not a yolots checkpoint (no 'yolots' metadata entry)`);
  const meta = JSON.parse(metadata.yolots) as CheckpointMeta;
  if (meta.format !== CHECKPOINT_FORMAT)
    throw new Error(`${path}: unsupported checkpoint format '${meta.format}' (expected ${CHECKPOINT_FORMAT})`);
  return meta;
}

/** Rewrites a finished run's checkpoint to its EMA weights only, with epoch -1 (Ultralytics' strip_optimizer). */
export function stripCheckpoint(file: string): void {
  if (!existsSync(file)) return;
  const ckpt = loadCheckpoint(file);
  try {
    const weights = ckpt.ema ?? ckpt.model;
    saveCheckpoint(file, { meta: { ...ckpt.meta, epoch: -1, ema_updates: 0 }, model: weights, ema: null, optimizer: null });
  } finally {
    disposeCheckpoint(ckpt);
  }
}

/**
 * Frees a loaded checkpoint's tensors: model and EMA weights and optimizer state, except `keep` (the weights map
 * the caller goes on using, e.g. the one `inferenceWeights` picked).
 */
export function disposeCheckpoint(ckpt: Checkpoint, keep?: Map<string, Tensor>): void {
  for (const weights of [ckpt.model, ckpt.ema]) if (weights && weights !== keep) torch.dispose([...weights.values()]);
  for (const state of ckpt.optimizer?.state.values() ?? []) torch.dispose([...state.values()]);
}
