// BaseTrainer: the generic training loop of Ultralytics' engine, in its order (spec §1.4–1.5). A task
// subclass (DetectionTrainer) supplies the model, data and validator by overriding the hooks below.
import { existsSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { optim, Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import type { Args } from '../cfg/args.js';
import { writeArgsYaml } from '../cfg/args-yaml.js';
import { getCfg } from '../cfg/config.js';
import { getSaveDir } from '../cfg/save-dir.js';
import { type Batch, toBatch } from '../data/batch.js';
import type { RawBatch } from '../data/collate.js';
import {
  CHECKPOINT_FORMAT,
  type Checkpoint,
  type CheckpointMeta,
  loadCheckpoint,
  readCheckpointMeta,
  saveCheckpoint,
  stripCheckpoint,
} from '../utils/checkpoint.js';
import { EarlyStopping } from '../utils/early-stopping.js';
import { ModelEMA } from '../utils/ema.js';
import { interp, lrLambda } from '../utils/lr.js';
import { appendResultsRow, formatG, readResultsCsv } from '../utils/results-csv.js';
import { initSeeds } from '../utils/seed.js';
import { VERSION } from '../version.js';
import { type BuiltOptimizer, buildOptimizer } from './build-optimizer.js';
import { type Callback, Callbacks, type TrainerEvent } from './callbacks.js';
import { isCpuDevice, launchRanks, requestedWorldSize, SAVE_DIR_ENV } from './distributed.js';
import type { TrainableModel } from './model-types.js';
import { ProgressBar } from './progress.js';
import { findResumeCheckpoint, resumeArgs } from './resume.js';

/** The data loader contract the loop relies on (the default is data/loader.ts's DataLoader). */
export interface TrainLoader extends AsyncIterable<RawBatch> {
  /** Batches per epoch. */
  readonly length: number;
  /** Worker threads decoding and augmenting (0 = in the training thread). */
  readonly workers?: number;
  /** Reshuffles (and re-seeds augmentation) for this epoch. */
  setEpoch?(epoch: number): void;
  /** Switches the dataset to its no-mosaic pipeline for the last `close_mosaic` epochs. */
  closeMosaic?(): void;
  close?(): Promise<void> | void;
}

/** What a validator returns to the trainer: metric columns, val losses and `fitness`. */
export type ValidationMetrics = Record<string, number>;

/** The validator contract of the in-training validation. */
export interface TrainValidator {
  run(options: { trainer: BaseTrainer<any> }): Promise<ValidationMetrics>;
  /** Metric column names, e.g. 'metrics/precision(B)'. */
  readonly metricKeys: string[];
}

export interface TrainerOptions {
  /** A config YAML path or dict replacing default.yaml. */
  cfg?: string | Record<string, unknown>;
  /** Ultralytics argument overrides, e.g. `{ model: 'yolov8n.yaml', data: 'coco8.yaml', epochs: 3 }`. */
  overrides?: Record<string, unknown>;
  /** Callbacks to start from (a YOLO model hands its own). */
  callbacks?: Callbacks;
}

/**
 * The generic training loop. `await trainer.train()` runs a whole training; `trainer.best` and `trainer.last`
 * are the checkpoint paths. Subclasses override `getModel`, `getDataloader`, `buildDataset`, `getValidator`,
 * `preprocessBatch`, … exactly where Ultralytics' BaseTrainer lets them.
 */
export abstract class BaseTrainer<Model extends TrainableModel = TrainableModel> {
  args: Args;
  readonly callbacks: Callbacks;
  saveDir: string;
  wdir: string;
  last: string;
  best: string;
  csv: string;
  device = 'cpu';
  /** Global rank in a distributed run, -1 for a single process. */
  rank = -1;
  worldSize = 1;
  /** The process group of a distributed run (gradients, loss items and the stop flag go through it). */
  processGroup: torch.distributed.ProcessGroup | null = null;

  /** The model: a path/name until setup, then the module being trained. */
  model: Model | string | null;
  data: { nc: number; names: string[] } & Record<string, unknown> = { nc: 0, names: [] };
  trainset: unknown = null;
  testset: unknown = null;

  epoch = 0;
  epochs: number;
  startEpoch = 0;
  batchSize: number;
  accumulate = 1;
  optimizer: optim.Optimizer<{ lr: number }> | null = null;
  /** lr factor per epoch (linear or cosine), as Ultralytics' `lf`. */
  lf: (epoch: number) => number = () => 1;
  ema: ModelEMA | null = null;
  stopper: EarlyStopping;
  stop = false;

  trainLoader: TrainLoader | null = null;
  testLoader: unknown = null;
  validator: TrainValidator | null = null;
  lossNames: string[] = ['Loss'];
  /** Sum of the last batch's loss (Ultralytics' `loss`), its items, and their running mean over the epoch. */
  loss: number | null = null;
  lossItems: number[] | null = null;
  tloss: number[] | null = null;
  metrics: Record<string, number> = {};
  fitness: number | null = null;
  bestFitness: number | null = null;
  lr: Record<string, number> = {};
  epochTime = 0;
  /** Plots made so far (name → data), as Ultralytics' `plots`. */
  plots: Record<string, unknown> = {};
  plotIdx = [0, 1, 2];

  /** Iteration of the last optimizer step (gradient accumulation spans epochs; saved for exact resume). */
  lastOptStep = -1;
  private resumeCheckpoint: Checkpoint | null = null;
  private initialModel: { cfg: Record<string, unknown>; weights: Map<string, Tensor> | null } | null = null;
  private trainStart = 0;
  private epochStart = 0;

  constructor(options: TrainerOptions = {}) {
    this.callbacks = options.callbacks ?? new Callbacks();
    let args = getCfg(options.cfg, options.overrides);
    const resumePath = args.resume ? findResumeCheckpoint(args.resume) : null;
    if (resumePath) {
      this.resumeCheckpoint = loadCheckpoint(resumePath);
      args = resumeArgs(this.resumeCheckpoint.meta, resumePath, options.overrides ?? {});
    }
    this.args = args;
    const env = torch.distributed.envRank();
    if (env.launched) {
      this.rank = env.rank;
      this.worldSize = env.worldSize;
    }
    initSeeds(this.args.seed + 1 + this.rank);
    this.saveDir = process.env[SAVE_DIR_ENV] ?? getSaveDir(this.args);
    this.args.name = basename(this.saveDir);
    this.wdir = join(this.saveDir, 'weights');
    mkdirSync(this.wdir, { recursive: true });
    this.args.save_dir = this.saveDir;
    writeArgsYaml(join(this.saveDir, 'args.yaml'), this.args);
    this.last = join(this.wdir, 'last.safetensors');
    this.best = join(this.wdir, 'best.safetensors');
    this.csv = join(this.saveDir, 'results.csv');
    this.model = this.args.model;
    this.epochs = this.args.epochs;
    this.batchSize = this.worldSize > 1 ? Math.max(Math.floor(this.args.batch / this.worldSize), 1) : this.args.batch;
    this.stopper = new EarlyStopping(this.args.patience);
  }

  // ---- callbacks ------------------------------------------------------------------------------

  /** Appends a callback for `event` (never replaces existing ones). */
  addCallback(event: TrainerEvent | string, fn: (trainer: this) => void | Promise<void>): void {
    this.callbacks.add(event as TrainerEvent, fn as Callback<unknown>);
  }

  /** Replaces all callbacks of `event` with `fn`. */
  setCallback(event: TrainerEvent | string, fn: (trainer: this) => void | Promise<void>): void {
    this.callbacks.set(event as TrainerEvent, fn as Callback<unknown>);
  }

  clearCallback(event?: TrainerEvent | string): void {
    this.callbacks.clear(event as TrainerEvent | undefined);
  }

  async runCallbacks(event: TrainerEvent): Promise<void> {
    await this.callbacks.run(event, this);
  }

  // ---- hooks a task overrides -----------------------------------------------------------------

  /** Builds the model from a config (YAML path or dict) and optional weights to load. */
  abstract getModel(cfg: string | Record<string, unknown> | null, weights: Map<string, Tensor> | null, verbose?: boolean): Model;

  /** Builds the data loader for a dataset path; `mode` 'train' shuffles and augments. */
  abstract getDataloader(datasetPath: unknown, batchSize: number, rank: number, mode: 'train' | 'val'): Promise<TrainLoader>;

  /** Builds the dataset for a path (used by `getDataloader`). */
  abstract buildDataset(imgPath: unknown, mode: 'train' | 'val', batch: number): Promise<unknown>;

  /** The validator used after each epoch. */
  abstract getValidator(): TrainValidator;

  /** Resolves `args.data`; sets `this.data` and returns [train, val] sources. */
  abstract getDataset(): Promise<[unknown, unknown]>;

  /** Loads weights from a model file given as `model=` or `pretrained=`: [model config, weights]. */
  protected abstract loadModelFile(path: string): [Record<string, unknown>, Map<string, Tensor>];

  /** Batch → model input (e.g. uint8 → float/255). Runs inside the step's memory scope. */
  preprocessBatch(batch: Batch): Batch {
    return batch;
  }

  /** Attaches dataset facts (nc, names) and `args` to the model. */
  setModelAttributes(): void {}

  /**
   * A trainer-level loss (Ultralytics' older `criterion` API). When a subclass defines it, the step calls it with
   * the model's raw predictions instead of `model.loss(batch)`.
   */
  criterion?(preds: unknown, batch: Batch): [Tensor, Tensor];

  /** Loss items as a `{prefix/name: value}` dict, or the key list when no items are given. */
  labelLossItems(lossItems?: number[] | null, prefix = 'train'): Record<string, number> | string[] {
    const keys = this.lossNames.map((x) => `${prefix}/${x}`);
    if (!lossItems) return keys;
    return Object.fromEntries(keys.map((k, i) => [k, Math.round((lossItems[i] ?? 0) * 1e5) / 1e5]));
  }

  /** The header of the per-epoch progress table. */
  progressString(): string {
    return `\n${['Epoch', 'GPU_mem', ...this.lossNames, 'Instances', 'Size'].map((s) => s.padStart(11)).join('')}`;
  }

  async plotTrainingSamples(_batch: RawBatch, _ni: number): Promise<void> {}
  async plotTrainingLabels(): Promise<void> {}
  async plotMetrics(): Promise<void> {}

  /** Registers a plot (name → data), as Ultralytics' on_plot. */
  onPlot(name: string, data: unknown = null): void {
    this.plots[name] = { data, timestamp: Date.now() };
  }

  // ---- the run --------------------------------------------------------------------------------

  /** Rank 0 of a distributed run, or the only process: the one that validates, saves, logs and plots. */
  get isMain(): boolean {
    return this.rank <= 0;
  }

  /**
   * Runs the whole training. Resolves when done; throws (after last.safetensors is safe) on failure. When
   * `device` names several devices (`0,1`, or `cpu,cpu` for CPU ranks), this process launches one process per
   * rank, each re-running this same script, and waits for them.
   */
  async train(): Promise<void> {
    const world = requestedWorldSize(this.args.device);
    if (world > 1 && this.rank < 0) {
      if (this.args.rect) console.warn("WARNING ⚠️ 'rect=True' is incompatible with distributed training, setting 'rect=False'");
      await launchRanks(world, this.saveDir);
      // The ranks trained in other processes: take the metrics rank 0 recorded with the best weights.
      if (existsSync(this.best)) this.metrics = readCheckpointMeta(this.best).train_metrics;
      return;
    }
    try {
      if (this.worldSize > 1) await this.setupDistributed();
      await this.doTrain();
    } finally {
      await this.trainLoader?.close?.();
      const testLoader = this.testLoader as TrainLoader | null;
      await testLoader?.close?.();
      this.processGroup?.destroy();
    }
  }

  /** Joins the process group of this rank: gloo for CPU ranks, NCCL for CUDA devices. */
  protected async setupDistributed(): Promise<void> {
    const backend = isCpuDevice(this.args.device) ? 'gloo' : 'nccl';
    const timeoutMs = Number(process.env.YOLOTS_DIST_TIMEOUT_MS ?? 10 * 60 * 1000);
    this.processGroup = await torch.distributed.initProcessGroup({ backend, rank: this.rank, worldSize: this.worldSize, timeoutMs });
    this.args.rect = false;
  }

  /**
   * Makes setup build the model with `getModel(cfg, weights)` instead of from `args.model` (what `Model.train()`
   * does, so a custom getModel still runs). The weights are copied during setup.
   */
  startFrom(cfg: Record<string, unknown>, weights: Map<string, Tensor> | null): void {
    this.initialModel = { cfg, weights };
  }

  /** The trained module (after setup). */
  protected get net(): Model {
    if (this.model === null || typeof this.model === 'string') throw new Error('the model is not set up yet');
    return this.model;
  }

  protected async setupTrain(): Promise<void> {
    await this.runCallbacks('on_pretrain_routine_start');
    [this.trainset, this.testset] = await this.getDataset();
    await this.setupModel();
    // NHWC weights and inputs (preprocessBatch) on CPU: measured 8-19% faster fwd+bwd for YOLOv8n.
    if (this.device === 'cpu') this.net.toMemoryFormat('channels_last');
    this.setModelAttributes();
    this.freezeLayers();

    const gs = Math.max(Math.max(...this.net.stride), 32);
    this.args.imgsz = checkTrainImgsz(this.args.imgsz, gs);
    if (this.processGroup) {
      // Every rank starts from rank 0's weights, as DistributedDataParallel does.
      const pg = this.processGroup;
      torch.noGrad(() => pg.broadcast([...this.net.stateDict().values()], 0));
    }
    this.trainLoader = await this.getDataloader(this.trainset, this.batchSize, this.rank, 'train');
    if (this.isMain) {
      this.testLoader = await this.getDataloader(this.testset, this.batchSize * 2, -1, 'val');
      this.validator = this.getValidator();
      this.metrics = Object.fromEntries(
        [...this.validator.metricKeys, ...(this.labelLossItems(null, 'val') as string[])].map((k) => [k, 0]),
      );
      this.ema = new ModelEMA(this.net);
      if (this.args.plots) await this.plotTrainingLabels();
    }

    this.accumulate = Math.max(Math.round(this.args.nbs / this.args.batch), 1);
    const weightDecay = (this.args.weight_decay * this.args.batch * this.accumulate) / this.args.nbs;
    const datasetLength = this.trainLoader.length * this.batchSize * this.worldSize;
    const iterations = Math.ceil(datasetLength / Math.max(this.args.batch, this.args.nbs)) * this.epochs;
    const built: BuiltOptimizer = this.buildOptimizer(weightDecay, iterations);
    this.optimizer = built.optimizer;
    if (built.warmupBiasLr !== null) this.args.warmup_bias_lr = built.warmupBiasLr;
    this.lf = lrLambda(this.epochs, this.args.lrf, this.args.cos_lr);
    for (const group of this.optimizer.paramGroups) group.initial_lr = group.lr;
    this.resumeTraining();
    await this.runCallbacks('on_pretrain_routine_end');
  }

  /** Ultralytics' build_optimizer with the run's arguments. */
  buildOptimizer(weightDecay: number, iterations: number): BuiltOptimizer {
    return buildOptimizer(this.net, this.args.optimizer, this.args.lr0, this.args.momentum, weightDecay, iterations, this.data.nc);
  }

  /** Builds the model (from YAML, a checkpoint, or pretrained weights) unless one was handed in. */
  protected async setupModel(): Promise<void> {
    if (this.model !== null && typeof this.model !== 'string') return;
    let cfg: string | Record<string, unknown> | null = this.model;
    let weights: Map<string, Tensor> | null = null;
    if (this.initialModel) {
      this.model = this.getModel(this.initialModel.cfg, this.initialModel.weights, this.args.verbose);
      this.initialModel = null;
      return;
    }
    if (this.resumeCheckpoint) {
      cfg = this.resumeCheckpoint.meta.model.yaml;
      weights = this.resumeCheckpoint.model;
    } else if (typeof this.model === 'string' && /\.(pt|safetensors)$/.test(this.model)) {
      [cfg, weights] = this.loadModelFile(this.model);
    } else if (typeof this.args.pretrained === 'string') {
      [, weights] = this.loadModelFile(this.args.pretrained);
    }
    this.model = this.getModel(cfg, weights, this.args.verbose);
    if (weights && weights !== this.resumeCheckpoint?.model) torch.dispose(weights);
  }

  /** `freeze` layers (count or indices), always the DFL; other frozen float parameters are unfrozen. */
  protected freezeLayers(): void {
    const freeze = this.args.freeze;
    const indices = freeze === null ? [] : typeof freeze === 'number' ? Array.from({ length: freeze }, (_, i) => i) : freeze;
    const frozen = [...indices.map((x) => `model.${x}.`), '.dfl'];
    for (const [name, p] of this.net.namedParameters()) {
      if (frozen.some((f) => name.includes(f))) {
        if (!name.includes('.dfl')) console.log(`Freezing layer '${name}'`);
        p.requiresGrad = false;
      } else if (!p.requiresGrad && p.isFloatingPoint()) {
        console.warn(
          `WARNING ⚠️ setting 'requires_grad=True' for frozen layer '${name}'. See ultralytics.engine.trainer for customization of frozen layers.`,
        );
        p.requiresGrad = true;
      }
    }
  }

  /** Restores optimizer, EMA, epoch and best fitness from the resume checkpoint. */
  protected resumeTraining(): void {
    const ckpt = this.resumeCheckpoint;
    if (ckpt === null) return;
    const { meta } = ckpt;
    this.startEpoch = meta.epoch + 1;
    if (this.startEpoch <= 0) {
      throw new Error(
        `${this.args.model} training to ${this.epochs} epochs is finished, nothing to resume.\n` +
          `Start a new training without resuming, i.e. 'yolo train model=${this.args.model}'`,
      );
    }
    console.log(`Resuming training ${this.args.model} from epoch ${this.startEpoch + 1} to ${this.epochs} total epochs`);
    if (ckpt.optimizer && this.optimizer) this.optimizer.loadStateDict(ckpt.optimizer);
    if (ckpt.ema && this.ema) {
      torch.noGrad(() => {
        for (const [name, t] of ckpt.ema ?? []) this.ema?.state.get(name)?.copy_(t);
      });
      this.ema.updates = meta.ema_updates;
    }
    this.bestFitness = meta.best_fitness;
    this.lastOptStep = meta.last_opt_step ?? -1;
    this.stopper.bestEpoch = meta.best_epoch ?? 0;
    this.stopper.bestFitness = meta.best_fitness ?? 0;
    if (this.epochs < this.startEpoch) {
      console.log(`${this.args.model} has been trained for ${meta.epoch + 1} epochs. Fine-tuning for ${this.epochs} more epochs.`);
      this.epochs += meta.epoch + 1;
    }
    // Close mosaic exactly when the uninterrupted run would have (the loop switches at epoch epochs - close_mosaic,
    // never when that is negative), so that a resumed run ends as the uninterrupted one.
    const switchEpoch = this.epochs - this.args.close_mosaic;
    if (this.args.close_mosaic && switchEpoch >= 0 && this.startEpoch > switchEpoch) this.closeDataloaderMosaic();
    torch.dispose([...ckpt.model.values(), ...(ckpt.ema?.values() ?? [])]);
    for (const state of ckpt.optimizer?.state.values() ?? []) torch.dispose([...state.values()]);
    this.resumeCheckpoint = null;
  }

  /**
   * Returns the memory freed by a phase (training batches, validation) to the OS before the next one, whose
   * tensors have other sizes, so one phase's freed memory is not held through the other (torch.releaseMemory;
   * Ultralytics' _clear_memory). Within a phase freed memory is kept, for speed. (Measured at 640: the peak RSS
   * is set inside the training phase, so this does not lower it.)
   */
  protected clearMemory(): void {
    torch.releaseMemory();
  }

  protected closeDataloaderMosaic(): void {
    console.log('Closing dataloader mosaic');
    this.trainLoader?.closeMosaic?.();
  }

  protected async doTrain(): Promise<void> {
    await this.setupTrain();
    const loader = this.trainLoader as TrainLoader;
    const optimizer = this.optimizer as optim.Optimizer<{ lr: number }>;
    const nb = loader.length;
    const nw = this.args.warmup_epochs > 0 ? Math.max(Math.round(this.args.warmup_epochs * nb), 100) : -1;
    let lastOptStep = this.lastOptStep;
    this.trainStart = Date.now();
    this.epochStart = this.trainStart;
    await this.runCallbacks('on_train_start');
    const verbose = this.args.verbose && this.isMain;
    if (verbose) {
      console.log(
        `Image sizes ${this.args.imgsz} train, ${this.args.imgsz} val\nUsing ${loader.workers ?? this.args.workers} dataloader workers\n` +
          `Logging results to ${this.saveDir}\nStarting training for ${this.args.time ? `${this.args.time} hours...` : `${this.epochs} epochs...`}`,
      );
    }
    if (this.args.close_mosaic) {
      const base = (this.epochs - this.args.close_mosaic) * nb;
      this.plotIdx.push(base, base + 1, base + 2);
    }
    optimizer.zeroGrad();

    for (let epoch = this.startEpoch; ; epoch++) {
      this.epoch = epoch;
      await this.runCallbacks('on_train_epoch_start');
      this.setEpochLr(epoch);
      await this.runCallbacks('on_params_update');
      this.net.train();
      loader.setEpoch?.(epoch);
      if (epoch === this.epochs - this.args.close_mosaic) this.closeDataloaderMosaic();
      this.tloss = null;
      if (verbose) console.log(this.progressString());
      const bar = new ProgressBar(nb, { enabled: verbose });
      let i = 0;
      for await (const raw of loader) {
        await this.runCallbacks('on_train_batch_start');
        const ni = i + nb * epoch;
        if (ni <= nw) {
          this.warmup(ni, nw, epoch);
          await this.runCallbacks('on_params_update');
        }
        this.trainStep(raw, epoch, i);
        if (ni - lastOptStep >= this.accumulate) {
          await this.optimizerStep();
          lastOptStep = ni;
          this.lastOptStep = ni;
          if (this.args.time && (Date.now() - this.trainStart) / 3.6e6 > this.args.time) this.stop = true;
        }
        bar.update(i + 1, this.batchDescription(epoch, raw));
        if (this.isMain) {
          await this.runCallbacks('on_batch_end');
          if (this.args.plots && this.plotIdx.includes(ni)) await this.plotTrainingSamples(raw, ni);
        }
        await this.runCallbacks('on_train_batch_end');
        i++;
        if (this.stop) break;
      }
      bar.stop();
      this.clearMemory();
      this.lr = Object.fromEntries(optimizer.paramGroups.map((g, j) => [`lr/pg${j}`, g.lr]));
      await this.runCallbacks('on_train_epoch_end');

      const finalEpoch = epoch + 1 >= this.epochs;
      if (this.isMain) {
        if (this.args.val || finalEpoch || this.stopper.possibleStop || this.stop) {
          [this.metrics, this.fitness] = await this.validate();
          this.clearMemory();
        }
        this.saveMetrics({ ...(this.labelLossItems(this.tloss) as Record<string, number>), ...this.metrics, ...this.lr });
        this.stop = this.stop || this.stopper.step(epoch + 1, this.fitness) || finalEpoch;
        if (this.args.time) this.stop = this.stop || (Date.now() - this.trainStart) / 3.6e6 > this.args.time;
        if (this.args.save || finalEpoch) {
          this.saveModel();
          await this.runCallbacks('on_model_save');
        }
      }
      const now = Date.now();
      this.epochTime = (now - this.epochStart) / 1000;
      this.epochStart = now;
      if (this.args.time) {
        const meanEpochTime = (now - this.trainStart) / 1000 / (epoch - this.startEpoch + 1);
        this.epochs = Math.ceil((this.args.time * 3600) / meanEpochTime);
        this.args.epochs = this.epochs;
        this.lf = lrLambda(this.epochs, this.args.lrf, this.args.cos_lr);
        this.stop = this.stop || epoch + 1 >= this.epochs;
      }
      this.syncStop();
      await this.runCallbacks('on_fit_epoch_end');
      if (this.stop) break;
    }
    if (this.isMain) {
      if (verbose)
        console.log(
          `\n${this.epoch - this.startEpoch + 1} epochs completed in ${((Date.now() - this.trainStart) / 3.6e6).toFixed(3)} hours.`,
        );
      await this.finalEval();
      if (this.args.plots) await this.plotMetrics();
      await this.runCallbacks('on_train_end');
    }
    await this.runCallbacks('teardown');
  }

  /** Rank 0's stop decision (early stopping, time limit, last epoch) and epoch count, broadcast so all ranks stop together. */
  protected syncStop(): void {
    const pg = this.processGroup;
    if (!pg) return;
    const [stop, epochs] = torch.tidy(() => {
      const flag = torch.tensor([this.stop ? 1 : 0, this.epochs], { dtype: 'float64' });
      pg.broadcast(flag, 0);
      return flag.toArray();
    });
    this.stop = stop === 1;
    this.epochs = epochs as number;
  }

  /** Sets each group's lr for `epoch` from the schedule (Ultralytics' scheduler.step()). */
  protected setEpochLr(epoch: number): void {
    for (const group of (this.optimizer as optim.Optimizer<{ lr: number }>).paramGroups)
      group.lr = (group.initial_lr as number) * this.lf(epoch);
  }

  /** Warmup of accumulation, lr (bias group from warmup_bias_lr) and momentum over the first `nw` iterations. */
  protected warmup(ni: number, nw: number, epoch: number): void {
    this.accumulate = Math.max(1, Math.round(interp(ni, nw, 1, this.args.nbs / this.batchSize)));
    (this.optimizer as optim.Optimizer<{ lr: number }>).paramGroups.forEach((group, j) => {
      group.lr = interp(ni, nw, j === 0 ? this.args.warmup_bias_lr : 0, (group.initial_lr as number) * this.lf(epoch));
      if ('momentum' in group) group.momentum = interp(ni, nw, this.args.warmup_momentum, this.args.momentum);
    });
  }

  /** Forward, loss and backward of one batch, in one memory scope; non-finite losses skip the update. */
  protected trainStep(raw: RawBatch, epoch: number, i: number): void {
    const { value, finite, items } = torch.tidy(() => {
      const batch = this.preprocessBatch(toBatch(raw));
      const [loss, lossItems] = this.computeLoss(batch);
      const value = loss.sum().item();
      // Every rank must take the same branch, or the gradient all-reduce would hang: skip if any rank is non-finite.
      const finite = this.allRanksFinite(value);
      if (finite) {
        // As Ultralytics: the loss is scaled by the world size and gradients are averaged, i.e. summed over ranks.
        (this.processGroup ? loss.sum().mul(this.worldSize) : loss).backward();
        this.allReduceGradients();
      }
      const items = lossItems.detach().clone();
      // Logged losses are the mean over all ranks, not rank 0's alone.
      this.processGroup?.allReduce(items, { op: 'avg' });
      return { value, finite, items: items.toArray() };
    });
    if (!finite) {
      console.warn(
        `WARNING ⚠️ non-finite loss (${value}) at epoch ${epoch + 1}, batch ${i + 1} (${raw.imFile.join(', ')}): ` +
          'this batch is skipped and its gradients discarded; checkpoints keep the last finite weights.',
      );
      (this.optimizer as optim.Optimizer<{ lr: number }>).zeroGrad();
      return;
    }
    this.loss = value;
    this.lossItems = items;
    this.tloss = this.tloss === null ? items : this.tloss.map((t, k) => (t * i + (items[k] ?? 0)) / (i + 1));
  }

  /** Whether the step's loss is finite on every rank. */
  private allRanksFinite(value: number): boolean {
    const pg = this.processGroup;
    if (!pg) return Number.isFinite(value);
    return torch.tidy(() => {
      const bad = torch.tensor([Number.isFinite(value) ? 0 : 1]);
      pg.allReduce(bad, { op: 'sum' });
      return bad.item() === 0;
    });
  }

  /** Averages gradients over the ranks, in buckets, before the optimizer step. */
  protected allReduceGradients(): void {
    const pg = this.processGroup;
    if (!pg) return;
    const grads = this.net
      .parameters()
      .map((p) => p.grad)
      .filter((g): g is Tensor => g !== null);
    torch.noGrad(() => pg.allReduce(grads, { op: 'avg' }));
  }

  /** The model's own loss, or the trainer-level `criterion` when a subclass defines one. */
  protected computeLoss(batch: Batch): [Tensor, Tensor] {
    if (this.criterion) return this.criterion(this.net.call(batch.img), batch);
    return this.net.loss(batch);
  }

  /** Clip gradients at norm 10, step, zero the gradients, update the EMA — firing the events in between. */
  async optimizerStep(): Promise<void> {
    const optimizer = this.optimizer as optim.Optimizer<{ lr: number }>;
    torch.optim.clipGradNorm(this.net.parameters(), 10.0);
    optimizer.step();
    await this.runCallbacks('optimizer_step');
    await this.runCallbacks('on_before_zero_grad');
    optimizer.zeroGrad();
    this.ema?.update(this.net);
  }

  private batchDescription(epoch: number, raw: RawBatch): string {
    const losses = (this.tloss ?? []).map((v) => formatG(v, 4).padStart(11));
    return `${`${epoch + 1}/${this.epochs}`.padStart(11)}${'0G'.padStart(11)}${losses.join('')}${String(raw.cls.length).padStart(11)}${String(raw.imgShape[3]).padStart(11)}`;
  }

  /** Runs the validator on the EMA weights: [metrics, fitness]. */
  async validate(): Promise<[Record<string, number>, number]> {
    const validator = this.validator as TrainValidator;
    const ema = this.ema as ModelEMA;
    const metrics = await ema.withWeights(this.net, () => validator.run({ trainer: this }));
    const { fitness: reported, ...rest } = metrics;
    const fitness = reported ?? -(this.loss ?? 0);
    if (!this.bestFitness || this.bestFitness < fitness) this.bestFitness = fitness;
    return [rest, fitness];
  }

  /** Appends the epoch's row to results.csv. */
  saveMetrics(metrics: Record<string, number>): void {
    appendResultsRow(this.csv, this.epoch + 1, metrics);
  }

  /** Writes last (always), best (when this epoch is the best) and epochN (save_period) checkpoints, atomically. */
  saveModel(): void {
    const ema = this.ema as ModelEMA;
    if (!allFinite(ema.state.values())) {
      console.warn(`WARNING ⚠️ EMA weights hold NaN/inf at epoch ${this.epoch + 1}: not overwriting ${this.last}`);
      return;
    }
    const ckpt: Checkpoint = {
      meta: this.checkpointMeta(this.epoch),
      model: this.net.stateDict(),
      ema: ema.state,
      optimizer: (this.optimizer as optim.Optimizer<{ lr: number }>).stateDict(),
    };
    saveCheckpoint(this.last, ckpt);
    if (this.bestFitness === this.fitness) saveCheckpoint(this.best, ckpt);
    if (this.args.save_period > 0 && this.epoch % this.args.save_period === 0)
      saveCheckpoint(join(this.wdir, `epoch${this.epoch}.safetensors`), ckpt);
  }

  protected checkpointMeta(epoch: number): CheckpointMeta {
    const model = this.net;
    return {
      format: CHECKPOINT_FORMAT,
      version: VERSION,
      date: new Date().toISOString(),
      epoch,
      best_fitness: this.bestFitness,
      ema_updates: this.ema?.updates ?? 0,
      last_opt_step: this.lastOptStep,
      best_epoch: this.stopper.bestEpoch,
      train_args: { ...this.args } as unknown as Record<string, unknown>,
      train_metrics: { ...this.metrics, ...(this.fitness === null ? {} : { fitness: this.fitness }) },
      model: {
        yaml: model.yaml,
        nc: model.nc,
        names: model.names,
        stride: model.stride,
        task: this.args.task,
        fused: typeof model.isFused === 'function' && model.isFused(),
      },
    };
  }

  /** Strips last/best to EMA-only inference checkpoints (epoch -1) and validates best once more. */
  async finalEval(): Promise<void> {
    for (const file of [this.last, this.best]) stripCheckpoint(file);
    if (this.validator && 'finalEval' in this.validator && typeof this.validator.finalEval === 'function') {
      console.log(`\nValidating ${this.best}...`);
      this.metrics = await (this.validator.finalEval as (best: string) => Promise<Record<string, number>>)(this.best);
      delete this.metrics.fitness;
    }
  }

  /** results.csv as columns. */
  readResultsCsv(): Record<string, number[]> {
    return readResultsCsv(this.csv);
  }
}

function allFinite(tensors: Iterable<Tensor>): boolean {
  return torch.tidy(() => {
    for (const t of tensors) if (t.isFloatingPoint() && !t.isfinite().all().item()) return false;
    return true;
  });
}

/** Training needs one square size, a multiple of the max stride (rounded up), as Ultralytics' check_imgsz. */
function checkTrainImgsz(imgsz: number | number[], stride: number): number {
  const size = Array.isArray(imgsz) ? Math.max(...imgsz) : imgsz;
  const fixed = Math.max(Math.ceil(size / stride) * stride, stride);
  if (fixed !== size) console.warn(`WARNING ⚠️ imgsz=${size} must be multiple of max stride ${stride}, updating to ${fixed}`);
  return fixed;
}
