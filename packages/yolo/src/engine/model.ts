// Model: the high-level front end (Ultralytics' engine/model.py). It owns one network and one callback registry,
// and hands both to the trainer/validator/predictor/exporter classes of its task, taken from a task map it is
// given — so this generic class never imports a task.
import * as torch from '@yolots/torch';
import type { Args } from '../cfg/args.js';
import { getCfg } from '../cfg/config.js';
import type { BaseTrainer, TrainerOptions } from './trainer.js';
import { type CallbackEvent, Callbacks } from './callbacks.js';
import type { TrainableModel } from './model-types.js';
import type { Results } from './results.js';

/** Constructors of one task's executors and how to load its network. */
export interface TaskEntry {
  trainer: new (options: TrainerOptions) => BaseTrainer<any>;
  validator: new (options: { args?: Record<string, unknown>; callbacks?: Callbacks }) => {
    run(options: { model?: any }): Promise<Record<string, number>>;
  };
  predictor: new (options: { overrides?: Record<string, unknown>; callbacks?: Callbacks }) => TaskPredictor;
  /** Builds a network from a YAML path or loads one from a weights file. */
  load(source: string): TrainableModel;
  /** Arguments of the checkpoint a network came from, when it came from one. */
  checkpointArgs?(source: string): Record<string, unknown> | null;
}

export type TaskMap = Record<string, TaskEntry>;

/** What the Model needs of a predictor (BasePredictor is one). */
export interface TaskPredictor {
  args: Args;
  predict(source: unknown, model?: any): Promise<Results[]>;
  stream(source: unknown, model?: any): AsyncGenerator<Results>;
  predictCli(source: unknown, model?: any): Promise<void>;
}

/** Keys a loaded checkpoint's args pass on to new runs (Ultralytics' `_reset_ckpt_args`). */
const CKPT_KEYS_KEPT = ['imgsz', 'data', 'task', 'single_cls'] as const;

export class Model {
  readonly callbacks = new Callbacks();
  /** The network (a YAML-built or loaded module). */
  model: TrainableModel;
  task: string;
  /** Where the network came from (YAML or weights path). */
  readonly source: string;
  /** Arguments inherited from the loaded checkpoint (imgsz, data, task, single_cls). */
  overrides: Record<string, unknown> = {};
  /** The trainer of the last `train()` call. */
  trainer: BaseTrainer<any> | null = null;
  private predictor: TaskPredictor | null = null;
  /** Metrics of the last `train()`/`val()` call. */
  metrics: Record<string, number> | null = null;

  constructor(
    source: string,
    protected readonly taskMap: TaskMap,
    task = 'detect',
  ) {
    this.task = task;
    this.source = source;
    const entry = this.entry();
    this.model = entry.load(source);
    const ckptArgs = entry.checkpointArgs?.(source) ?? null;
    if (ckptArgs) {
      for (const key of CKPT_KEYS_KEPT) if (ckptArgs[key] !== undefined && ckptArgs[key] !== null) this.overrides[key] = ckptArgs[key];
    }
    this.overrides.model = source;
    this.overrides.task = this.task;
  }

  protected entry(): TaskEntry {
    const entry = this.taskMap[this.task];
    if (!entry) throw new Error(`task '${this.task}' is not supported; supported tasks: ${Object.keys(this.taskMap).join(', ')}`);
    return entry;
  }

  /** Class names by id. */
  get names(): Record<number, string> {
    return this.model.names;
  }

  addCallback(event: CallbackEvent, fn: (owner: any) => void | Promise<void>): void {
    this.callbacks.add(event, fn);
  }

  clearCallback(event: CallbackEvent): void {
    this.callbacks.clear(event);
  }

  /**
   * Trains this model. `trainer` may name a custom trainer class (as Ultralytics' `model.train(trainer=…)`).
   * Returns the final validation metrics; afterwards `this.model` holds the best weights.
   * @example const metrics = await new YOLO('yolov8n.yaml').train({ data: 'coco8.yaml', epochs: 3, imgsz: 320 });
   */
  async train(overrides: Record<string, unknown> & { trainer?: TaskEntry['trainer'] } = {}): Promise<Record<string, number>> {
    const { trainer: TrainerClass = this.entry().trainer, ...kwargs } = overrides;
    const args: Record<string, unknown> = { ...this.overrides, ...kwargs, mode: 'train' };
    const trainer = new TrainerClass({ overrides: args, callbacks: this.callbacks });
    if (!args.resume) {
      // Ultralytics injects the model so a custom getModel is honoured with this model's config and weights.
      const weights = /\.(pt|safetensors)$/.test(this.source) ? this.model.stateDict() : null;
      trainer.startFrom(this.model.yaml, weights);
    }
    this.trainer = trainer;
    await trainer.train();
    this.model = this.entry().load(trainer.best);
    this.metrics = trainer.metrics;
    return trainer.metrics;
  }

  /**
   * Validates on `data` (default: the checkpoint's data). Returns the metrics dict.
   * @example const metrics = await model.val({ data: 'coco8.yaml', imgsz: 320 });
   */
  async val(overrides: Record<string, unknown> = {}): Promise<Record<string, number>> {
    const args: Record<string, unknown> = { rect: true, ...this.overrides, ...overrides, mode: 'val' };
    delete args.model;
    const validator = new (this.entry().validator)({ args, callbacks: this.callbacks });
    this.metrics = await validator.run({ model: this.model });
    return this.metrics;
  }

  /**
   * Runs inference on a source (path, folder, glob, .txt list, Buffer, RGB array, tensor, or a list of them) and
   * returns one Results per image. Defaults: conf 0.25, batch 1, nothing saved (pass `save: true` for runs/detect/predict).
   * @example const [result] = await model.predict('bus.jpg', { conf: 0.4 }); console.log(result.verbose());
   */
  async predict(source: unknown, overrides: Record<string, unknown> = {}): Promise<Results[]> {
    return this.predictorFor(overrides).predict(source, this.model);
  }

  /**
   * As `predict`, as an async iterator holding one batch at a time: memory stays flat over any number of images.
   * @example for await (const r of model.stream('frames/')) console.log(r.boxes.length);
   */
  stream(source: unknown, overrides: Record<string, unknown> = {}): AsyncGenerator<Results> {
    return this.predictorFor(overrides).stream(source, this.model);
  }

  /** The CLI's predict: saves and logs as `yolo predict` does. */
  async predictCli(source: unknown, overrides: Record<string, unknown> = {}): Promise<void> {
    await this.predictorFor({ save: true, ...overrides }).predictCli(source, this.model);
  }

  /** The predictor is kept and re-used across calls, with its arguments updated (as Ultralytics). */
  private predictorFor(overrides: Record<string, unknown>): TaskPredictor {
    const args: Record<string, unknown> = { conf: 0.25, batch: 1, save: false, ...this.overrides, ...overrides, mode: 'predict' };
    delete args.model;
    if (this.predictor === null) {
      this.predictor = new (this.entry().predictor)({ overrides: args, callbacks: this.callbacks });
    } else {
      this.predictor.args = getCfg(undefined, args);
    }
    return this.predictor;
  }

  /** Prints and returns the model summary. */
  info(options: { detailed?: boolean; verbose?: boolean; imgsz?: number } = {}): unknown {
    const model = this.model as TrainableModel & { info?(o: unknown): unknown };
    if (typeof model.info !== 'function') throw new Error(`${model.constructor.name} has no info()`);
    return model.info(options);
  }

  /** Folds BatchNorm into convolutions for faster inference. */
  fuse(): this {
    const model = this.model as TrainableModel & { fuse?(): unknown };
    model.fuse?.();
    return this;
  }

  /** The effective arguments a mode would run with (defaults + checkpoint args + overrides). */
  resolvedArgs(overrides: Record<string, unknown>, mode: string): Args {
    return getCfg(undefined, { ...this.overrides, ...overrides, mode });
  }

  /** Frees the network's tensors. */
  dispose(): void {
    torch.dispose([...this.model.stateDict().values()]);
  }
}
