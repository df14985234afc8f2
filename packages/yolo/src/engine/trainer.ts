// BaseTrainer: the generic training loop of Ultralytics' engine, in its order. A task's trainer (DetectionTrainer)
// supplies the model, data and validator by overriding the hooks below; docs/customizing-trainer.md lists them.
import { existsSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { optim, Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import type { Args } from '../cfg/args.js';
import { writeArgsYaml } from '../cfg/args-yaml.js';
import { getCfg } from '../cfg/config.js';
import { getSaveDir } from '../cfg/save-dir.js';
import { readSettings } from '../cfg/settings.js';
import { checkTrainBatchSize } from '../utils/autobatch-probe.js';
import { integrationCallbacks } from '../utils/callbacks/base.js';
import {
  CHECKPOINT_FORMAT,
  type Checkpoint,
  type CheckpointMeta,
  disposeCheckpoint,
  loadCheckpoint,
  modelMeta,
  readCheckpointMeta,
  saveCheckpoint,
  stripCheckpoint,
} from '../utils/checkpoint.js';
import { EarlyStopping } from '../utils/early-stopping.js';
import { ModelEMA } from '../utils/ema.js';
import { interp, lrLambda } from '../utils/lr.js';
import { appendResultsRow, formatG, readResultsCsv, resultsCsvStyle } from '../utils/results-csv.js';
import { initSeeds } from '../utils/seed.js';
import { VERSION } from '../version.js';
import { type AmpMode, resolveAmp, toFloat32, withAutocast } from './amp.js';
import { type BuiltOptimizer, buildOptimizer } from './build-optimizer.js';
import { type Callback, Callbacks, type TrainerEvent, type ValidatorEvent } from './callbacks.js';
import { parseDevice, selectDevice } from './device.js';
import { averageGradients, broadcastStop, finiteOnAllRanks, launchRanks, SAVE_DIR_ENV } from './distributed.js';
import { interruptNotice, withInterruptNotice } from './interrupt.js';
import { type MemoryColumn, memoryColumn } from './memory-column.js';
import type { ModelCfg, StateDict } from './model-types.js';
import { ProgressBar, runEta } from './progress.js';
import { findResumeCheckpoint, resumeArgs } from './resume.js';
import { cleanRunLeftovers } from './run-leftovers.js';
import type { TaskTypes, TrainLoader } from './task-types.js';
import { allFinite, checkTrainImgsz, checkTrainLoader, freezeLayers } from './train-setup.js';
import type { TrainValidator, ValidationContext, ValidationMetrics } from './validation-context.js';
import type { BaseValidator } from './validator.js';

export interface TrainerOptions {
  /** A config YAML path or dict replacing default.yaml. */
  cfg?: string | Record<string, unknown>;
  /**
   * Ultralytics argument overrides, e.g. `{ model: 'yolov8n.yaml', data: 'coco8.yaml', epochs: 3 }`: typed as `Args`
   * types them, so a misspelt key or a wrong type does not compile (values from elsewhere are checked at run time).
   */
  overrides?: Partial<Args>;
  /** Callbacks to start from (a YOLO model hands its own). */
  callbacks?: Callbacks;
}

/** The optimizer the loop drives (its groups carry `lr`, and `momentum` for SGD-like ones). */
export type TrainOptimizer = optim.Optimizer<{ lr: number }>;

/** A plot registered with `onPlot` (Ultralytics' `plots` dict): what it shows, and when it was made. */
export interface PlotRecord {
  data: Readonly<Record<string, string | number | boolean | null>> | null;
  timestamp: number;
}

/** What a trainer's callback of event `E` receives: the trainer, or for a validator event the validator it made. */
export type TrainerCallbackOwner<E, Trainer, Validator> = E extends ValidatorEvent ? Validator : Trainer;

/** The network a run starts from and its first weights (see `resolveModel`). */
export interface InitialModel {
  cfg: ModelCfg;
  weights: StateDict | null;
  /** The weights were read for this run and are freed once loaded (not a resume checkpoint's or a handed-in model's). */
  owned: boolean;
  /** The model family a checkpoint recorded, given to the built model (else it is derived from the YAML). */
  family?: string;
}

/** What the task's model returns from a forward pass (detection: the raw maps in training mode). */
export type ModelOutput<T extends TaskTypes> = ReturnType<T['model']['forward']>;

/** The loop's own bookkeeping across batches and epochs (not for callbacks). */
interface LoopState {
  /** Batches per epoch, and warmup iterations (-1: no warmup). */
  nb: number;
  nw: number;
  /** Iteration of the last optimizer step: gradient accumulation spans epochs, and exact resume needs it. */
  lastOptStep: number;
  /** Global iterations whose batches are plotted (train_batch<ni>.jpg). */
  plotIdx: number[];
  trainStart: number;
  epochStart: number;
  bar: ProgressBar | null;
}

/**
 * The generic training loop, typed by its task's types `T` (see task-types.ts). `await trainer.train()` runs a
 * whole training, single-process or distributed; `trainer.best` and `trainer.last` are the checkpoint paths.
 * Subclasses override `getModel`, `getDataloader`, `buildDataset`, `getValidator`, `preprocessBatch`, … exactly
 * where Ultralytics' BaseTrainer lets them. Callbacks receive the trainer and read the state declared below.
 */
export abstract class BaseTrainer<T extends TaskTypes = TaskTypes> {
  /** The run's arguments; setup fixes a few (imgsz to a stride multiple, …) and args.yaml records the result. */
  args: Args;
  readonly callbacks: Callbacks;
  readonly saveDir: string;
  readonly wdir: string;
  readonly last: string;
  readonly best: string;
  readonly csv: string;
  /** This process's libtorch device ('cpu', 'cuda:0'): `args.device`, and a distributed rank's own GPU. */
  readonly device: string;
  /** The progress table's memory column: `GPU_mem` on CUDA as Ultralytics, the process's `CPU_mem` on the CPU. */
  protected readonly memory: MemoryColumn;
  /** Global rank in a distributed run, -1 for a single process (or the launcher of the ranks). */
  readonly rank: number;
  /** Processes of the run: 1, or the ranks `device` asks for (`0,1`, `cpu,cpu`) or the launcher set. */
  readonly worldSize: number;
  /** Images per step of this rank (`batch / worldSize`); AutoBatch sets it (and `args.batch`) during setup. */
  batchSize: number;
  /** The loss items' names, in the order `model.loss()` returns them: each task's trainer declares its own. */
  abstract readonly lossNames: readonly string[];

  /** The network being trained (null until setup builds it). */
  model: T['model'] | null = null;
  optimizer: TrainOptimizer | null = null;
  /** lr factor per epoch (linear or cosine), as Ultralytics' `lf`. */
  lf: (epoch: number) => number = () => 1;
  accumulate = 1;
  ema: ModelEMA | null = null;
  /** The mixed precision of the forward (`resolveAmp`: bf16 on CPUs with AMX, fp16 on CUDA, else off); set up by setupTrain. */
  ampMode: AmpMode = 'off';
  /** Loss scaling of float16 training (CUDA); a pass-through otherwise. */
  scaler: torch.amp.GradScaler = new torch.amp.GradScaler({ enabled: false });
  readonly stopper: EarlyStopping;
  trainLoader: TrainLoader<T['raw']> | null = null;
  /** The validation loader (rank 0 only). */
  testLoader: TrainLoader<T['raw']> | null = null;
  validator: TrainValidator<T> | null = null;

  epoch = 0;
  epochs: number;
  startEpoch = 0;
  /** Set to stop after the current batch (or epoch): time limit, early stopping, last epoch. */
  stop = false;
  /** Sum of the last batch's loss (Ultralytics' `loss`), its items, and their running mean over the epoch. */
  loss: number | null = null;
  lossItems: number[] | null = null;
  tloss: number[] | null = null;
  metrics: ValidationMetrics = {};
  fitness: number | null = null;
  bestFitness: number | null = null;
  /** The learning rate of each parameter group at the end of the epoch (`lr/pg0`, …). */
  lr: Record<string, number> = {};
  /** Seconds the last epoch took. */
  epochTime = 0;
  /** Plots made so far, by name (Ultralytics' `plots`). */
  plots: Record<string, PlotRecord> = {};

  /** The process group of a distributed run (gradients, loss items and the stop flag go through it). */
  protected processGroup: torch.distributed.ProcessGroup | null = null;
  private dataInfo: T['data'] | null = null;
  private resumeCheckpoint: Checkpoint | null = null;
  private handedModel: { cfg: ModelCfg; weights: StateDict | null } | null = null;
  private readonly loop: LoopState = { nb: 0, nw: -1, lastOptStep: -1, plotIdx: [0, 1, 2], trainStart: 0, epochStart: 0, bar: null };

  constructor(options: TrainerOptions = {}) {
    this.callbacks = options.callbacks ?? new Callbacks();
    let args = getCfg(options.cfg, options.overrides);
    const resumePath = args.resume ? findResumeCheckpoint(args.resume, args.model) : null;
    if (resumePath) {
      this.resumeCheckpoint = loadCheckpoint(resumePath);
      args = resumeArgs(this.resumeCheckpoint.meta, resumePath, options.overrides ?? {});
    }
    this.args = args;
    const env = torch.distributed.envRank();
    this.rank = env.launched ? env.rank : -1;
    this.worldSize = env.launched ? env.worldSize : parseDevice(args.device).ranks;
    // Before anything is written: a device this build cannot use fails here, with selectDevice's message.
    this.device = selectDevice(args.device, { localRank: env.launched ? env.localRank : 0, batch: args.batch });
    this.memory = memoryColumn(this.device);
    this.batchSize = this.worldSize > 1 ? Math.max(Math.floor(args.batch / this.worldSize), 1) : args.batch;
    initSeeds(args.seed + 1 + this.rank);
    this.saveDir = process.env[SAVE_DIR_ENV] ?? getSaveDir(args, { rank: this.rank });
    args.name = basename(this.saveDir);
    args.save_dir = this.saveDir;
    this.wdir = join(this.saveDir, 'weights');
    mkdirSync(this.wdir, { recursive: true });
    this.last = join(this.wdir, 'last.safetensors');
    this.best = join(this.wdir, 'best.safetensors');
    this.csv = join(this.saveDir, 'results.csv');
    this.epochs = args.epochs;
    this.stopper = new EarlyStopping(args.patience);
    // Loggers the user's settings turn on (`yolo settings tensorboard=True`), on the process that writes results.
    if (this.isMain) for (const [event, fn] of integrationCallbacks(readSettings())) this.callbacks.add(event, fn as Callback<unknown>);
  }

  // ---- callbacks ------------------------------------------------------------------------------

  /**
   * Appends a callback for `event` (never replaces existing ones). Typed per event: a misspelt event does not compile
   * (and is an Error naming the closest ones at run time); trainer events hand the trainer, validator events
   * (`on_val_*`, fired by the validator this trainer makes) the validator.
   * @example trainer.addCallback('on_val_end', (validator) => console.log(validator.context?.epoch));
   */
  addCallback<E extends TrainerEvent | ValidatorEvent>(
    event: E,
    fn: (owner: TrainerCallbackOwner<E, this, BaseValidator<T>>) => void | Promise<void>,
  ): void {
    this.callbacks.add(event, fn as Callback<unknown>);
  }

  /** Replaces all callbacks of `event` with `fn`. */
  setCallback<E extends TrainerEvent | ValidatorEvent>(
    event: E,
    fn: (owner: TrainerCallbackOwner<E, this, BaseValidator<T>>) => void | Promise<void>,
  ): void {
    this.callbacks.set(event, fn as Callback<unknown>);
  }

  /** Empties the callbacks of `event`, or of every event when none is named. */
  clearCallback(event?: TrainerEvent | ValidatorEvent): void {
    this.callbacks.clear(event);
  }

  async runCallbacks(event: TrainerEvent): Promise<void> {
    await this.callbacks.run(event, this);
  }

  // ---- hooks a task overrides -----------------------------------------------------------------

  /** Resolves `args.data`: sets `this.data` and returns the [train, val] sources. */
  abstract getDataset(): Promise<[T['source'], T['source']]>;

  /** Builds the model from a config (YAML path or dict) and optional weights to load. */
  abstract getModel(cfg: ModelCfg | null, weights: StateDict | null, verbose?: boolean): T['model'];

  /** Builds the dataset of a split (used by `getDataloader`). */
  abstract buildDataset(imgPath: T['source'], mode: 'train' | 'val', batch: number): Promise<T['dataset']>;

  /** The data loader of a split; 'train' shuffles and augments, and a rank ≥ 0 reads its shard (of `worldSize`). */
  abstract getDataloader(datasetPath: T['source'], batchSize: number, rank: number, mode: 'train' | 'val'): Promise<TrainLoader<T['raw']>>;

  /** The validator run after each epoch. */
  abstract getValidator(): TrainValidator<T>;

  /** A loader batch (plain arrays) as tensors, owned by the step's memory scope (before `preprocessBatch`). */
  abstract toBatch(raw: T['raw']): T['batch'];

  /** Reads a weights file given as `model=` or `pretrained=`: [its model config, its weights]. */
  protected abstract loadModelFile(path: string): [Record<string, unknown>, StateDict];

  /**
   * Batch → model input, inside the step's memory scope: moves the images to `this.device` and scales them (a
   * task's override does; this base version passes the batch through, as Ultralytics').
   */
  preprocessBatch(batch: T['batch']): T['batch'] {
    return batch;
  }

  /** Attaches dataset facts (nc, names) and `args` to the model. */
  setModelAttributes(): void {}

  /**
   * A trainer-level loss, the older Ultralytics form. When a subclass defines it, the training step calls it with the
   * model's raw predictions instead of `model.loss(batch)`; the precedence is documented in docs/customizing-trainer.md.
   */
  criterion?(preds: ModelOutput<T>, batch: T['batch']): [Tensor, Tensor];

  /** Loss items as `{ 'train/box_loss': …, … }` (rounded to 5 decimals); without items, the column names. */
  labelLossItems(lossItems: readonly number[], prefix?: string): Record<string, number>;
  labelLossItems(lossItems?: null, prefix?: string): string[];
  labelLossItems(lossItems?: readonly number[] | null, prefix = 'train'): Record<string, number> | string[] {
    const keys = this.lossNames.map((x) => `${prefix}/${x}`);
    if (!lossItems) return keys;
    return Object.fromEntries(keys.map((k, i) => [k, Math.round((lossItems[i] ?? 0) * 1e5) / 1e5]));
  }

  /** The header of the per-epoch progress table. */
  progressString(): string {
    return `\n${['Epoch', this.memory.header, ...this.lossNames, 'Instances', 'Size'].map((s) => s.padStart(11)).join('')}`;
  }

  async plotTrainingSamples(_batch: T['raw'], _ni: number): Promise<void> {}
  async plotTrainingLabels(): Promise<void> {}
  async plotMetrics(): Promise<void> {}

  /** Registers a plot (name → data), as Ultralytics' on_plot. */
  onPlot(name: string, data: PlotRecord['data'] = null): void {
    this.plots[name] = { data, timestamp: Date.now() };
  }

  // ---- state ----------------------------------------------------------------------------------

  /** The dataset description `getDataset()` resolved (class names and count, splits). */
  get data(): T['data'] {
    if (this.dataInfo === null) throw new Error('trainer.data is not set yet: getDataset() sets it when training starts');
    return this.dataInfo;
  }

  set data(data: T['data']) {
    this.dataInfo = data;
  }

  /** Rank 0 of a distributed run, or the only process: the one that validates, saves, logs and plots. */
  get isMain(): boolean {
    return this.rank <= 0;
  }

  /** The network being trained, once set up. */
  protected get net(): T['model'] {
    if (this.model === null) throw new Error('the model is not set up yet (setupTrain builds it)');
    return this.model;
  }

  /**
   * Makes setup build the model with `getModel(cfg, weights)` instead of from `args.model` (what `Model.train()`
   * does, so a custom getModel still runs). The weights stay the caller's: they are copied during setup.
   */
  startFrom(cfg: ModelCfg, weights: StateDict | null): void {
    this.handedModel = { cfg, weights };
  }

  // ---- the run --------------------------------------------------------------------------------

  /**
   * Runs the whole training. Resolves when done; throws (after last.safetensors is safe) on failure. When
   * `device` names several devices (`0,1`, or `cpu,cpu` for CPU ranks), this process launches one process per
   * rank, each re-running this same script, and waits for them.
   */
  async train(): Promise<void> {
    // Ctrl-C says where the last checkpoint is and how to resume it (a distributed run's launcher says it for its ranks).
    const run = (): Promise<void> => this.runTraining();
    return this.rank >= 0 ? run() : withInterruptNotice(() => interruptNotice(this.last), run);
  }

  /** The whole training in this process, or the launch of its ranks. */
  private async runTraining(): Promise<void> {
    if (this.worldSize > 1 && this.rank < 0) {
      if (this.args.rect) console.warn("WARNING ⚠️ 'rect=True' is incompatible with distributed training, setting 'rect=False'");
      await launchRanks(this.worldSize, this.saveDir);
      // The ranks trained in other processes: take the metrics rank 0 recorded with the best weights.
      if (existsSync(this.best)) this.metrics = readCheckpointMeta(this.best).train_metrics;
      return;
    }
    try {
      if (this.worldSize > 1) await this.setupDistributed();
      await this.doTrain();
    } finally {
      await this.trainLoader?.close();
      await this.testLoader?.close?.();
      this.processGroup?.destroy();
    }
  }

  /** Joins the process group of this rank: NCCL for CUDA devices, gloo for CPU ranks. */
  protected async setupDistributed(): Promise<void> {
    const backend = this.device.startsWith('cuda') ? 'nccl' : 'gloo';
    const timeoutMs = Number(process.env.YOLOTS_DIST_TIMEOUT_MS ?? 10 * 60 * 1000);
    this.processGroup = await torch.distributed.initProcessGroup({ backend, rank: this.rank, worldSize: this.worldSize, timeoutMs });
    this.args.rect = false;
  }

  /** The loop: setup, then per epoch its setup, batches and end (validate, save, stop), then the final evaluation. */
  protected async doTrain(): Promise<void> {
    await this.setupTrain();
    await this.beforeTraining();
    for (let epoch = this.startEpoch; ; epoch++) {
      await this.setupEpoch(epoch);
      await this.trainEpoch(epoch);
      await this.endEpoch(epoch);
      if (this.stop) break;
    }
    await this.afterTraining();
  }

  /**
   * Resolves the data, builds the model on the device, makes the loaders, validator, EMA and optimizer, restores a
   * resumed run's state, and writes args.yaml with the arguments as fixed up here.
   */
  protected async setupTrain(): Promise<void> {
    await this.runCallbacks('on_pretrain_routine_start');
    if (this.isMain) cleanRunLeftovers({ wdir: this.wdir, csv: this.csv, resumedEpoch: this.resumeCheckpoint?.meta.epoch ?? null });
    const [trainSource, valSource] = await this.getDataset();
    await this.setupModel();
    const gs = Math.max(Math.max(...this.net.stride), 32);
    this.args.imgsz = checkTrainImgsz(this.args.imgsz, gs);
    if (this.args.batch < 1) this.batchSize = this.args.batch = this.autoBatch();
    if (this.processGroup) {
      // Every rank starts from rank 0's weights, as DistributedDataParallel does.
      const pg = this.processGroup;
      torch.noGrad(() => pg.broadcast([...this.net.stateDict().values()], 0));
    }
    const amp = resolveAmp(this.args.amp, this.device);
    this.ampMode = amp.mode;
    this.scaler = new torch.amp.GradScaler({ enabled: amp.mode === 'fp16' });
    if (this.isMain) console.log(`AMP: ${amp.reason}`);
    const trainLoader = await this.getDataloader(trainSource, this.batchSize, this.rank, 'train');
    checkTrainLoader(trainLoader, `${this.constructor.name}.getDataloader(…, 'train')`);
    this.trainLoader = trainLoader;
    if (this.isMain) {
      this.testLoader = await this.getDataloader(valSource, this.batchSize * 2, -1, 'val');
      this.validator = this.getValidator();
      this.metrics = Object.fromEntries([...this.validator.metricKeys, ...this.labelLossItems(null, 'val')].map((k) => [k, 0]));
      this.ema = new ModelEMA(this.net);
      if (this.args.plots) await this.plotTrainingLabels();
    }
    this.setupOptimizer(trainLoader.length);
    this.resumeTraining();
    if (this.isMain) writeArgsYaml(join(this.saveDir, 'args.yaml'), this.args);
    await this.runCallbacks('on_pretrain_routine_end');
  }

  /**
   * The network this run starts from, decided here and only here. In order: the checkpoint being resumed; the model
   * handed in by `startFrom` (a `YOLO` model's own); a weights file in `model=` (its architecture and weights, read
   * with `loadModelFile`); else the YAML in `model=`, with the weights of `pretrained=<file>` when given.
   */
  protected resolveModel(): InitialModel {
    if (this.resumeCheckpoint) {
      const { yaml, family } = this.resumeCheckpoint.meta.model;
      return { cfg: yaml, weights: this.resumeCheckpoint.model, owned: false, ...(family ? { family } : {}) };
    }
    if (this.handedModel) return { ...this.handedModel, owned: false };
    const model = this.args.model ?? 'yolov8n.yaml';
    if (/\.(pt|safetensors)$/.test(model)) {
      const [cfg, weights] = this.loadModelFile(model);
      return { cfg, weights, owned: true };
    }
    const pretrained = typeof this.args.pretrained === 'string' ? this.loadModelFile(this.args.pretrained)[1] : null;
    return { cfg: model, weights: pretrained, owned: true };
  }

  /** Builds the model (unless one was set on `trainer.model`), moves it to the device, attaches its attributes, freezes layers. */
  protected async setupModel(): Promise<void> {
    if (this.model === null) {
      const { cfg, weights, owned, family } = this.resolveModel();
      this.handedModel = null;
      try {
        this.model = this.getModel(cfg, weights, this.args.verbose && this.isMain);
        if (family) this.model.family = family;
      } finally {
        if (owned && weights) torch.dispose([...weights.values()]);
      }
    }
    const model = this.net;
    model.to(this.device);
    // NHWC weights and inputs (preprocessBatch) on CPU: measured 8-19% faster fwd+bwd for YOLOv8n.
    if (this.device === 'cpu') model.toMemoryFormat('channels_last');
    this.setModelAttributes();
    this.freezeLayers();
  }

  /** The optimizer over the model's three parameter groups, the accumulation and the lr schedule (Ultralytics' rules). */
  private setupOptimizer(trainBatches: number): void {
    this.accumulate = Math.max(Math.round(this.args.nbs / this.args.batch), 1);
    const weightDecay = (this.args.weight_decay * this.args.batch * this.accumulate) / this.args.nbs;
    const datasetLength = trainBatches * this.batchSize * this.worldSize;
    const iterations = Math.ceil(datasetLength / Math.max(this.args.batch, this.args.nbs)) * this.epochs;
    const built = this.buildOptimizer(weightDecay, iterations);
    this.optimizer = built.optimizer;
    if (built.warmupBiasLr !== null) this.args.warmup_bias_lr = built.warmupBiasLr;
    this.lf = lrLambda(this.epochs, this.args.lrf, this.args.cos_lr);
    for (const group of this.optimizer.paramGroups) group.initial_lr = group.lr;
  }

  /** The batch for `batch=-1` or a fraction (Ultralytics' AutoBatch): measured on a CUDA device, 16 on the CPU. */
  protected autoBatch(): number {
    const channels = typeof this.net.yaml.ch === 'number' ? this.net.yaml.ch : 3;
    return checkTrainBatchSize(this.net, this.device, { imgsz: this.args.imgsz as number, batch: this.args.batch, channels });
  }

  /** Ultralytics' build_optimizer with the run's arguments. */
  buildOptimizer(weightDecay: number, iterations: number): BuiltOptimizer {
    const { optimizer, lr0, momentum } = this.args;
    return buildOptimizer(this.net, optimizer, lr0, momentum, weightDecay, iterations, this.data.nc, this.net.family);
  }

  /** `freeze` layers (count or indices), always the DFL; other frozen float parameters are unfrozen. */
  protected freezeLayers(): void {
    freezeLayers(this.net, this.args.freeze);
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
    // As Ultralytics 8.4: a fresh epoch-scheduled criterion, at the schedule of the epochs already finished.
    const criterion = this.net.initCriterion?.();
    if (isEpochScheduled(criterion)) {
      criterion.setUpdates(this.startEpoch);
      this.net.criterion = criterion;
    }
    if (ckpt.optimizer && this.optimizer) this.optimizer.loadStateDict(ckpt.optimizer);
    if (ckpt.ema) this.ema?.load(ckpt.ema, meta.ema_updates);
    this.bestFitness = meta.best_fitness;
    this.loop.lastOptStep = meta.last_opt_step ?? -1;
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
    disposeCheckpoint(ckpt);
    this.resumeCheckpoint = null;
  }

  /**
   * Loader threads for the validation run after each epoch (getDataloader's 'val' mode). On CUDA Ultralytics'
   * workers·2. On a CPU none, as Ultralytics does on CPU: the batches load in this process, which costs validation
   * little (its inference takes several times longer than the loading) while batches made on loader threads left
   * ~110 MB more resident through the rest of training at 640 (docs/performance.md, "Memory").
   */
  protected validationWorkers(): number {
    return this.device.startsWith('cuda') ? this.args.workers * 2 : 0;
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
    this.trainLoader?.closeMosaic();
  }

  /** After setup, before the first epoch: warmup length, the plotted batches, on_train_start, the run's summary line. */
  protected async beforeTraining(): Promise<void> {
    const nb = this.requireTrainLoader().length;
    this.loop.nb = nb;
    this.loop.nw = this.args.warmup_epochs > 0 ? Math.max(Math.round(this.args.warmup_epochs * nb), 100) : -1;
    this.loop.trainStart = Date.now();
    this.loop.epochStart = this.loop.trainStart;
    await this.runCallbacks('on_train_start');
    if (this.verbose) {
      console.log(
        `Image sizes ${this.args.imgsz} train, ${this.args.imgsz} val\nUsing ${this.trainLoader?.workers ?? this.args.workers} dataloader workers\n` +
          `Logging results to ${this.saveDir}\nStarting training for ${this.args.time ? `${this.args.time} hours...` : `${this.epochs} epochs...`}`,
      );
    }
    if (this.args.close_mosaic) {
      const base = (this.epochs - this.args.close_mosaic) * nb;
      this.loop.plotIdx.push(base, base + 1, base + 2);
    }
    this.requireOptimizer().zeroGrad();
  }

  /** Start of an epoch: its learning rate, train mode, the loader's shuffle, close-mosaic at its epoch. */
  protected async setupEpoch(epoch: number): Promise<void> {
    this.epoch = epoch;
    await this.runCallbacks('on_train_epoch_start');
    this.setEpochLr(epoch);
    await this.runCallbacks('on_params_update');
    this.net.train();
    this.requireTrainLoader().setEpoch(epoch);
    if (epoch === this.epochs - this.args.close_mosaic) this.closeDataloaderMosaic();
    this.tloss = null;
    if (this.verbose) console.log(this.progressString());
  }

  /** The epoch's batches (stopping early when `stop` is set, e.g. by the time limit), then on_train_epoch_end. */
  protected async trainEpoch(epoch: number): Promise<void> {
    const loader = this.requireTrainLoader();
    // After the epoch's own ETA, the whole run's: epochs done (with this epoch's batches) since training began.
    const suffix = (done: number) =>
      runEta(
        (Date.now() - this.loop.trainStart) / 1000,
        epoch - this.startEpoch + done / Math.max(this.loop.nb, 1),
        this.epochs - this.startEpoch,
      );
    const bar = new ProgressBar(this.loop.nb, { enabled: this.verbose, suffix });
    this.loop.bar = bar;
    let i = 0;
    for await (const raw of loader) {
      await this.trainBatch(raw, epoch, i);
      i++;
      if (this.stop) break;
    }
    bar.stop();
    this.loop.bar = null;
    // The next epoch's first batches load while this one is validated and saved (the two compute threads are
    // otherwise idle at the start of an epoch, waiting for data).
    if (!this.stop && epoch + 1 < this.epochs) loader.prefetchEpoch?.(epoch + 1);
    this.clearMemory();
    // A loss with a per-epoch schedule (YOLO26's one-to-many/one-to-one weights) moves one epoch along.
    const criterion = this.net.criterion;
    if (isEpochScheduled(criterion)) criterion.update();
    this.lr = Object.fromEntries(this.requireOptimizer().paramGroups.map((g, j) => [`lr/pg${j}`, g.lr]));
    await this.runCallbacks('on_train_epoch_end');
  }

  /** One batch: warmup, forward/backward, an optimizer step every `accumulate` batches, progress, plots, callbacks. */
  protected async trainBatch(raw: T['raw'], epoch: number, i: number): Promise<void> {
    await this.runCallbacks('on_train_batch_start');
    const ni = i + this.loop.nb * epoch;
    if (ni <= this.loop.nw) {
      this.warmup(ni, this.loop.nw, epoch);
      await this.runCallbacks('on_params_update');
    }
    this.trainStep(raw, epoch, i);
    if (ni - this.loop.lastOptStep >= this.accumulate) {
      await this.optimizerStep();
      this.loop.lastOptStep = ni;
      if (this.args.time && this.hoursElapsed() > this.args.time) this.stop = true;
    }
    this.loop.bar?.update(i + 1, this.batchDescription(epoch, raw));
    if (this.isMain) {
      await this.runCallbacks('on_batch_end');
      if (this.args.plots && this.loop.plotIdx.includes(ni)) await this.plotTrainingSamples(raw, ni);
    }
    await this.runCallbacks('on_train_batch_end');
  }

  /** End of an epoch: validation, results.csv, the stop decision and checkpoints (rank 0), the time budget, on_fit_epoch_end. */
  protected async endEpoch(epoch: number): Promise<void> {
    if (this.isMain) {
      const finalEpoch = epoch + 1 >= this.epochs;
      if (this.args.val || finalEpoch || this.stopper.possibleStop || this.stop) {
        [this.metrics, this.fitness] = await this.validate();
      }
      this.saveMetrics({ ...(this.tloss ? this.labelLossItems(this.tloss) : {}), ...this.metrics, ...this.lr });
      this.stop = this.stop || this.stopper.step(epoch + 1, this.fitness) || finalEpoch;
      if (this.args.time) this.stop = this.stop || this.hoursElapsed() > this.args.time;
      if (this.args.save || finalEpoch) {
        this.saveModel();
        await this.runCallbacks('on_model_save');
      }
      // What validation and saving freed (their tensors, the checkpoint's buffers) goes back before training resumes.
      this.clearMemory();
    }
    const now = Date.now();
    this.epochTime = (now - this.loop.epochStart) / 1000;
    this.loop.epochStart = now;
    if (this.args.time) this.fitEpochsToTime(this.args.time, epoch, now);
    this.syncStop();
    await this.runCallbacks('on_fit_epoch_end');
  }

  /** With a `time` limit, the epoch count that fits it at the mean epoch time so far (and the lr schedule over it). */
  private fitEpochsToTime(hours: number, epoch: number, now: number): void {
    const meanEpochTime = (now - this.loop.trainStart) / 1000 / (epoch - this.startEpoch + 1);
    this.epochs = Math.ceil((hours * 3600) / meanEpochTime);
    this.args.epochs = this.epochs;
    this.lf = lrLambda(this.epochs, this.args.lrf, this.args.cos_lr);
    this.stop = this.stop || epoch + 1 >= this.epochs;
  }

  /** After the last epoch: the summary line, the final evaluation, plots, on_train_end (rank 0), teardown. */
  protected async afterTraining(): Promise<void> {
    if (this.isMain) {
      if (this.verbose) console.log(`\n${this.epoch - this.startEpoch + 1} epochs completed in ${this.hoursElapsed().toFixed(3)} hours.`);
      await this.finalEval();
      if (this.args.plots) await this.plotMetrics();
      await this.runCallbacks('on_train_end');
    }
    await this.runCallbacks('teardown');
  }

  /** Rank 0's stop decision (early stopping, time limit, last epoch) and epoch count, broadcast so all ranks stop together. */
  protected syncStop(): void {
    if (!this.processGroup) return;
    const synced = broadcastStop(this.processGroup, this.stop, this.epochs, this.device);
    this.stop = synced.stop;
    this.epochs = synced.epochs;
  }

  /** Sets each group's lr for `epoch` from the schedule (Ultralytics' scheduler.step()). */
  protected setEpochLr(epoch: number): void {
    for (const group of this.requireOptimizer().paramGroups) group.lr = (group.initial_lr as number) * this.lf(epoch);
  }

  /** Warmup of accumulation, lr (bias group from warmup_bias_lr) and momentum over the first `nw` iterations. */
  protected warmup(ni: number, nw: number, epoch: number): void {
    this.accumulate = Math.max(1, Math.round(interp(ni, nw, 1, this.args.nbs / this.batchSize)));
    this.requireOptimizer().paramGroups.forEach((group, j) => {
      // The bias group by its label (Ultralytics 8.4); groups built without labels keep 8.2's rule (the first one).
      const bias = group.param_group === undefined ? j === 0 : group.param_group === 'bias';
      group.lr = interp(ni, nw, bias ? this.args.warmup_bias_lr : 0, (group.initial_lr as number) * this.lf(epoch));
      if ('momentum' in group) group.momentum = interp(ni, nw, this.args.warmup_momentum, this.args.momentum);
    });
  }

  /** Forward, loss and backward of one batch, in one memory scope; non-finite losses skip the update. */
  protected trainStep(raw: T['raw'], epoch: number, i: number): void {
    const { value, finite, items } = torch.tidy(() => {
      const batch = this.preprocessBatch(this.toBatch(raw));
      const [loss, lossItems] = this.computeLoss(batch);
      const value = loss.sum().item();
      // Every rank must take the same branch, or the gradient all-reduce would hang: skip if any rank is non-finite.
      const finite = this.processGroup ? finiteOnAllRanks(this.processGroup, value, this.device) : Number.isFinite(value);
      if (finite) {
        // As Ultralytics: the loss is scaled by the world size and gradients are averaged, i.e. summed over ranks.
        this.scaler.scale(this.processGroup ? loss.sum().mul(this.worldSize) : loss).backward();
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
      this.requireOptimizer().zeroGrad();
      return;
    }
    this.loss = value;
    this.lossItems = items;
    const previous = this.tloss;
    this.tloss = previous === null ? items : previous.map((t, k) => (t * i + (items[k] ?? 0)) / (i + 1));
  }

  /** Averages gradients over the ranks, in buckets, before the optimizer step. */
  protected allReduceGradients(): void {
    if (this.processGroup) averageGradients(this.processGroup, this.net.parameters());
  }

  /** The loss of one batch: `forwardForLoss`, then `lossOf` its output. */
  protected computeLoss(batch: T['batch']): [Tensor, Tensor] {
    return this.lossOf(batch, this.forwardForLoss(batch));
  }

  /** The training forward under `ampMode`'s autocast; low-precision outputs come back as float32 for the loss. */
  protected forwardForLoss(batch: T['batch']): ModelOutput<T> {
    return toFloat32(withAutocast(this.ampMode, () => this.net.call(batch.img))) as ModelOutput<T>;
  }

  /** The trainer-level `criterion` when a subclass defines one, else the model's own loss (docs/customizing-trainer.md). */
  protected lossOf(batch: T['batch'], preds: ModelOutput<T>): [Tensor, Tensor] {
    if (this.criterion) return this.criterion(preds, batch);
    return this.net.loss(batch, preds);
  }

  /** Unscale (fp16), clip gradients at norm 10, step, zero the gradients, update the EMA — firing the events in between. */
  async optimizerStep(): Promise<void> {
    const optimizer = this.requireOptimizer();
    this.scaler.unscale_(optimizer);
    torch.tidy(() => torch.optim.clipGradNorm_(this.net.parameters(), 10.0));
    this.scaler.step(optimizer);
    this.scaler.update();
    await this.runCallbacks('optimizer_step');
    await this.runCallbacks('on_before_zero_grad');
    optimizer.zeroGrad();
    this.ema?.update(this.net);
  }

  private batchDescription(epoch: number, raw: T['raw']): string {
    const losses = (this.tloss ?? []).map((v) => formatG(v, 4).padStart(11));
    const size = raw.imgShape[raw.imgShape.length - 1] ?? 0;
    return `${`${epoch + 1}/${this.epochs}`.padStart(11)}${this.memory.read().padStart(11)}${losses.join('')}${String(raw.cls.length).padStart(11)}${String(size).padStart(11)}`;
  }

  /** What the validator is handed during training: the model (EMA weights in it), loader, device, epoch, plotting, loss names. */
  protected validationContext(): ValidationContext<T> {
    const loader = this.testLoader;
    if (loader === null) throw new Error('validation during training needs the validation loader (set up on rank 0)');
    return {
      model: this.net,
      loader,
      device: this.device,
      epoch: this.epoch,
      epochs: this.epochs,
      plots: this.args.plots && (this.stopper.possibleStop || this.epoch === this.epochs - 1),
      lossNames: this.lossNames,
      labelLossItems: (items) => this.labelLossItems(items, 'val'),
    };
  }

  /** Runs the validator on the EMA weights: [metrics, fitness]. */
  async validate(): Promise<[ValidationMetrics, number]> {
    const validator = this.validator;
    const ema = this.ema;
    if (validator === null || ema === null) throw new Error('validate() needs the validator and EMA that setupTrain makes (rank 0)');
    const metrics = await ema.withWeights(this.net, () => validator.run({ context: this.validationContext() }));
    const { fitness: reported, ...rest } = metrics;
    const fitness = reported ?? -(this.loss ?? 0);
    if (!this.bestFitness || this.bestFitness < fitness) this.bestFitness = fitness;
    return [rest, fitness];
  }

  /** Appends the epoch's row to results.csv, in the layout of the Ultralytics release of the model's family. */
  saveMetrics(metrics: Record<string, number>): void {
    const time = (Date.now() - this.loop.trainStart) / 1000;
    appendResultsRow(this.csv, this.epoch + 1, metrics, { style: resultsCsvStyle(this.net.family), time });
  }

  /** Writes last (always), best (when this epoch is the best) and epochN (save_period) checkpoints, atomically. */
  saveModel(): void {
    const ema = this.ema;
    if (ema === null) throw new Error('saveModel() needs the EMA that setupTrain makes (rank 0)');
    if (!allFinite(ema.state.values())) {
      console.warn(`WARNING ⚠️ EMA weights hold NaN/inf at epoch ${this.epoch + 1}: not overwriting ${this.last}`);
      return;
    }
    // GPU tensors are copied to the CPU as they are written: a checkpoint always loads on any machine.
    const ckpt: Checkpoint = {
      meta: this.checkpointMeta(this.epoch),
      model: this.net.stateDict(),
      ema: ema.state,
      optimizer: this.requireOptimizer().stateDict(),
    };
    saveCheckpoint(this.last, ckpt);
    if (this.bestFitness === this.fitness) saveCheckpoint(this.best, ckpt);
    if (this.args.save_period > 0 && this.epoch % this.args.save_period === 0)
      saveCheckpoint(join(this.wdir, `epoch${this.epoch}.safetensors`), ckpt);
  }

  protected checkpointMeta(epoch: number): CheckpointMeta {
    return {
      format: CHECKPOINT_FORMAT,
      version: VERSION,
      date: new Date().toISOString(),
      epoch,
      best_fitness: this.bestFitness,
      ema_updates: this.ema?.updates ?? 0,
      last_opt_step: this.loop.lastOptStep,
      best_epoch: this.stopper.bestEpoch,
      train_args: { ...this.args },
      train_metrics: { ...this.metrics, ...(this.fitness === null ? {} : { fitness: this.fitness }) },
      model: modelMeta(this.net, this.args.task),
    };
  }

  /** Strips last/best to EMA-only inference checkpoints (epoch -1) and validates best once more. */
  async finalEval(): Promise<void> {
    for (const file of [this.last, this.best]) stripCheckpoint(file);
    if (this.validator === null || this.testLoader === null || !existsSync(this.best)) return;
    console.log(`\nValidating ${this.best}...`);
    const { fitness: _, ...metrics } = await this.validator.finalEval(this.best, { loader: this.testLoader, device: this.device });
    this.metrics = metrics;
  }

  /** results.csv as columns. */
  readResultsCsv(): Record<string, number[]> {
    return readResultsCsv(this.csv);
  }

  /** Progress output (rank 0 with `verbose`). */
  private get verbose(): boolean {
    return this.args.verbose && this.isMain;
  }

  private hoursElapsed(): number {
    return (Date.now() - this.loop.trainStart) / 3.6e6;
  }

  private requireTrainLoader(): TrainLoader<T['raw']> {
    if (this.trainLoader === null) throw new Error('the training loader is not set up yet (setupTrain makes it)');
    return this.trainLoader;
  }

  private requireOptimizer(): TrainOptimizer {
    if (this.optimizer === null) throw new Error('the optimizer is not set up yet (setupTrain builds it)');
    return this.optimizer;
  }
}

/** A criterion whose weights follow the epochs (YOLO26's E2ELoss): `update()` per finished epoch, `setUpdates` on resume. */
interface EpochScheduledCriterion {
  update(): void;
  setUpdates(updates: number): void;
}

function isEpochScheduled(criterion: unknown): criterion is EpochScheduledCriterion {
  const c = criterion as Partial<EpochScheduledCriterion> | null | undefined;
  return typeof c?.update === 'function' && typeof c.setUpdates === 'function';
}
