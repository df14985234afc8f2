// Building a DetectionModel from whatever a user names: a model YAML, a yolots checkpoint or an Ultralytics .pt.
import { existsSync } from 'node:fs';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { DetectionModel } from '../../../nn/tasks.js';
import { inferenceWeights, loadCheckpoint } from '../../../utils/checkpoint.js';
import { loadUltralyticsCheckpoint } from '../../../utils/ultralytics-pt.js';

/** A model config and its weights, read from a weights file. */
export interface LoadedWeights {
  cfg: Record<string, unknown>;
  weights: Map<string, Tensor>;
  names: Record<number, string> | null;
  /** The weights are of a BatchNorm-fused model. */
  fused: boolean;
}

/** Reads a `.safetensors` yolots checkpoint (EMA weights when present) or an Ultralytics `.pt`. */
export function readWeightsFile(path: string): LoadedWeights {
  if (!existsSync(path)) throw new Error(`model weights not found: ${path}`);
  if (path.endsWith('.pt')) {
    const ckpt = loadUltralyticsCheckpoint(path);
    const weights = new Map<string, Tensor>();
    for (const [name, raw] of ckpt.stateDict) weights.set(name, torch.fromBytes(raw.data, raw.dtype, raw.shape));
    return { cfg: ckpt.yaml, weights, names: ckpt.names, fused: false };
  }
  if (path.endsWith('.safetensors')) {
    const ckpt = loadCheckpoint(path);
    const weights = inferenceWeights(ckpt);
    const other = weights === ckpt.model ? ckpt.ema : ckpt.model;
    if (other) torch.dispose([...other.values()]);
    for (const state of ckpt.optimizer?.state.values() ?? []) torch.dispose([...state.values()]);
    return { cfg: ckpt.meta.model.yaml, weights, names: ckpt.meta.model.names, fused: ckpt.meta.model.fused ?? false };
  }
  throw new Error(`unsupported weights file '${path}': expected a yolots .safetensors checkpoint or an Ultralytics .pt`);
}

/**
 * A ready model: `yolov8n.yaml` (new, random weights), `best.safetensors` or `yolov8n.pt` (weights loaded strictly).
 * @example const model = loadDetectionModel('runs/detect/train/weights/best.safetensors');
 */
export function loadDetectionModel(source: string, options: { verbose?: boolean } = {}): DetectionModel {
  if (!/\.(pt|safetensors)$/.test(source)) return new DetectionModel(source, { verbose: options.verbose ?? false });
  const { cfg, weights, names, fused } = readWeightsFile(source);
  try {
    const model = new DetectionModel(cfg, { verbose: options.verbose ?? false });
    if (fused) model.fuse(false);
    model.loadStateDict(weights);
    if (names) model.names = names;
    return model;
  } finally {
    torch.dispose([...weights.values()]);
  }
}
