// Building a DetectionModel from whatever a user names: a model YAML, a yolots checkpoint or an Ultralytics .pt —
// each file read once, the model returned ready to use (eval mode, the checkpoint's training arguments as `args`).
import { existsSync } from 'node:fs';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import type { Args } from '../../../cfg/args.js';
import { checkCfg, defaultCfg } from '../../../cfg/config.js';
import { type BaseModel, DetectionModel, type DetectionModelOptions } from '../../../nn/tasks.js';
import { disposeCheckpoint, inferenceWeights, loadCheckpoint } from '../../../utils/checkpoint.js';
import { attemptDownloadAsset } from '../../../utils/downloads.js';
import { loadUltralyticsCheckpoint } from '../../../utils/ultralytics-pt.js';

/** What a weights file says about itself, in either format. */
export interface WeightsMeta {
  /** The last completed epoch (0-based); -1 for a finished run's stripped checkpoint; null when the file does not say. */
  epoch: number | null;
  /** When it was written (ISO 8601), and by which version of yolots or Ultralytics. */
  date: string | null;
  version: string | null;
  bestFitness: number | null;
  /** The arguments the weights were trained with (`train_args`), as saved; null when the file has none. */
  trainArgs: Record<string, unknown> | null;
}

/** A model config and its weights, read from a weights file. */
export interface LoadedWeights {
  cfg: Record<string, unknown>;
  /** Float32 weights (an Ultralytics float16 `.pt` is widened as it is read), owned by the caller. */
  weights: Map<string, Tensor>;
  names: Record<number, string> | null;
  /** The weights are of a BatchNorm-fused model. */
  fused: boolean;
  /** The model family the checkpoint records (yolots checkpoints); null when it records none. */
  family: string | null;
  /** An Ultralytics `.pt`'s activation classes by module path (see UltralyticsCheckpoint); null for yolots checkpoints. */
  activations: Map<string, string> | null;
  meta: WeightsMeta;
}

/**
 * Reads a `.safetensors` yolots checkpoint (EMA weights when present) or an Ultralytics `.pt`, once: architecture,
 * weights and metadata. A missing Ultralytics release name (`yolo11n.pt`) is downloaded first (attemptDownloadAsset).
 * @example
 * const { weights, meta } = readWeightsFile('yolov8n.pt');
 * console.log(meta.version, meta.trainArgs?.imgsz);
 */
export function readWeightsFile(file: string): LoadedWeights {
  // A release asset name (yolo11n.pt) that is not a local file comes from the weights cache, downloaded if needed.
  const path = attemptDownloadAsset(file);
  if (!existsSync(path)) throw new Error(`model weights not found: ${path}`);
  if (path.endsWith('.pt')) {
    const ckpt = loadUltralyticsCheckpoint(path);
    const weights = new Map<string, Tensor>();
    for (const [name, raw] of ckpt.stateDict) weights.set(name, torch.fromBytes(raw.data, raw.dtype, raw.shape));
    const { epoch, date, version, bestFitness, trainArgs } = ckpt;
    return {
      cfg: ckpt.yaml,
      weights,
      names: ckpt.names,
      fused: false,
      family: null,
      activations: ckpt.activations,
      meta: { epoch, date, version, bestFitness, trainArgs },
    };
  }
  if (path.endsWith('.safetensors')) {
    const ckpt = loadCheckpoint(path);
    const weights = inferenceWeights(ckpt);
    disposeCheckpoint(ckpt, weights);
    const { meta } = ckpt;
    return {
      cfg: meta.model.yaml,
      weights,
      names: meta.model.names,
      fused: meta.model.fused ?? false,
      family: meta.model.family ?? null,
      activations: null,
      meta: { epoch: meta.epoch, date: meta.date, version: meta.version, bestFitness: meta.best_fitness, trainArgs: meta.train_args },
    };
  }
  throw new Error(`unsupported weights file '${path}': expected a yolots .safetensors checkpoint or an Ultralytics .pt`);
}

/**
 * A checkpoint's `train_args` as a model's `args`: its known keys over the defaults, checked (as Ultralytics'
 * attempt_load_one_weight keeps the keys of its default config). Keys this version does not know are dropped.
 * @example
 * const args = checkpointArgs(readWeightsFile('best.pt').meta.trainArgs ?? {}, 'best.pt'); // args.box, args.imgsz, …
 */
export function checkpointArgs(trainArgs: Record<string, unknown>, source: string): Args {
  const defaults = defaultCfg();
  const known = Object.fromEntries(
    Object.entries(trainArgs)
      .filter(([key]) => Object.hasOwn(defaults, key))
      .map(([key, value]) => [key, fromNewerRelease(key, value, defaults[key as keyof Args])]),
  );
  try {
    return checkCfg({ ...defaults, ...known });
  } catch (cause) {
    throw new Error(`${source}: its train_args do not check: ${(cause as Error).message}`, { cause });
  }
}

/**
 * A train_args value of a newer Ultralytics release in the type yolots' key has: 8.4 made `multi_scale` a fraction
 * of imgsz (0 = off), which yolots' on/off `multi_scale` (±50%) reads as on when positive; 8.4 gives some keys a null
 * default meaning "automatic" (`workspace`), where yolots keeps its own default.
 */
function fromNewerRelease(key: string, value: unknown, fallback: unknown): unknown {
  if (key === 'multi_scale' && typeof value === 'number') return value > 0;
  if (value === null && fallback !== null) return fallback;
  return value;
}

/** A network loadYoloModel can build and fill: any YAML-built model with class names (detect, segment, classify). */
export type NamedModel = BaseModel<unknown> & { names: Record<number, string>; family?: string };

/** How a task builds its network from a YAML or a checkpoint's architecture (DetectionModel's constructor signature). */
export type ModelBuilder<M extends NamedModel> = (cfg: string | Record<string, unknown>, options: DetectionModelOptions) => M;

/**
 * A ready model of any task built on detection. A YAML: a new network with random weights, in training mode. A
 * `.safetensors` or `.pt`: the weights loaded strictly, in eval mode, with the checkpoint's training arguments as
 * `model.args` (so `model.loss()` uses its gains), as Ultralytics' loader returns it.
 * @example const model = loadYoloModel('best.safetensors', (cfg, o) => new SegmentationModel(cfg, o));
 */
export function loadYoloModel<M extends NamedModel>(source: string, build: ModelBuilder<M>, options: { verbose?: boolean } = {}): M {
  if (!/\.(pt|safetensors)$/.test(source)) return build(source, { verbose: options.verbose ?? false });
  const { cfg, weights, names, fused, family, activations, meta } = readWeightsFile(source);
  try {
    const args = meta.trainArgs ? checkpointArgs(meta.trainArgs, source) : undefined;
    const model = build(cfg, { verbose: options.verbose ?? false, args });
    if (activations) {
      try {
        checkActivations(model, activations, `${source} (Ultralytics ${meta.version ?? 'of unknown version'})`);
      } catch (error) {
        model.dispose();
        throw error;
      }
    }
    if (fused) model.fuse(false);
    model.loadStateDict(weights);
    if (names) model.names = names;
    if (family) model.family = family;
    return model.eval();
  } finally {
    torch.dispose([...weights.values()]);
  }
}

/**
 * Checks that `model` computes the activations a checkpoint's modules do: the weights alone cannot tell, and
 * Ultralytics releases build the same YAML differently (8.4 drops the activation of SPPF's cv1 that 8.2/8.3 have).
 * Throws naming the first module that differs.
 */
export function checkActivations(model: torch.nn.Module<any, any>, activations: Map<string, string>, source: string): void {
  for (const [path, pythonClass] of activations) {
    let module: torch.nn.Module<any, any> | undefined = model;
    for (const part of path.split('.')) module = module?.getModule(part);
    const theirs = pythonClass.split('.').pop();
    if (module === undefined || module.constructor.name === theirs) continue;
    throw new Error(
      `${source}: ${path} is ${theirs} in the checkpoint but ${module.constructor.name} in the model yolots builds from its ` +
        "YAML: the checkpoint's release builds this model differently from the one yolots reproduces for its family " +
        '(docs/migration.md, "Model families"), so its weights would compute another function.',
    );
  }
}

/**
 * A ready detector (see loadYoloModel): `yolov8n.yaml`, `best.safetensors` or `yolov8n.pt`.
 * @example
 * const model = loadDetectionModel('runs/detect/train/weights/best.safetensors');
 * model.args?.imgsz; // the training imgsz
 */
export function loadDetectionModel(source: string, options: { verbose?: boolean } = {}): DetectionModel {
  return loadYoloModel(source, (cfg, o) => new DetectionModel(cfg, o), options);
}
