// Model: the high-level front end (Ultralytics' engine/model.py). It owns one network and one callback registry,
// and hands both to the trainer/validator/predictor/exporter classes of its task, taken from a task map it is
// given — so this generic class never imports a task. A `.onnx` source holds no network: it is opened with
// onnxruntime-node on first use and supports predict and val only (as Ultralytics' exported formats).
import { existsSync, readFileSync } from 'node:fs';
import * as torch from '@yolots/torch';
import type { Args } from '../cfg/args.js';
import { getCfg } from '../cfg/config.js';
import type { PredictSource } from '../data/sources.js';
import { loadOnnxBackend, type OnnxBackend } from '../nn/autobackend.js';
import { type PredictorTracking, registerTracker } from '../trackers/track.js';
import { parseMetadata } from '../utils/onnx/metadata.js';
import { decodeModel } from '../utils/onnx/schema.js';
import { type Callback, type CallbackEvent, Callbacks, type OwnerOf } from './callbacks.js';
import type { Exporter } from './exporter.js';
import type { TrainableModel } from './model-types.js';
import type { BasePredictor } from './predictor.js';
import type { Results } from './results.js';
import type { BaseTrainer, TrainerOptions } from './trainer.js';
import type { BaseValidator } from './validator.js';

/**
 * A callback of a model, checked bivariantly (method syntax): the model's task decides the concrete class, so a
 * callback may take the task's own trainer or validator (`(v: DetectionValidator) => …`), not only the base class.
 */
type OwnerCallback<T> = { bivariant(owner: T): void | Promise<void> }['bivariant'];

/** What a model's callbacks receive, by event family. */
export interface ModelCallbackOwners {
  trainer: BaseTrainer;
  validator: BaseValidator;
  predictor: BasePredictor;
  exporter: Exporter;
}

/**
 * Per-call arguments of train/val/predict/track/export: any default.yaml key, typed as `Args` types it (Ultralytics'
 * `**kwargs`), so a misspelt key or a wrong type fails to compile. `yolo` CLI strings are checked at run time instead.
 */
export type Overrides = Partial<Args>;

/** Constructors of one task's executors and how to load its network. */
export interface TaskEntry {
  trainer: new (options: TrainerOptions) => BaseTrainer<any>;
  validator: new (options: {
    args?: Overrides;
    callbacks?: Callbacks;
  }) => {
    run(options: { model?: any }): Promise<Record<string, number>>;
  };
  predictor: new (options: { overrides?: Overrides; callbacks?: Callbacks }) => TaskPredictor;
  /** Writes the network to an export format; `call` resolves to the written file. */
  exporter: new (options: {
    overrides?: Overrides;
    callbacks?: Callbacks;
  }) => {
    call(model: any, target: { weights?: string }): Promise<string>;
  };
  /**
   * Builds a network from a YAML path, or loads one from a weights file (reading it once): in eval mode, with the
   * checkpoint's training arguments as `args`.
   */
  load(source: string): TrainableModel;
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

/** Whether a model source is an ONNX export (run through onnxruntime, not libtorch). */
function isOnnxPath(source: string): boolean {
  return source.toLowerCase().endsWith('.onnx');
}

/**
 * The front end of one model: `new YOLO('yolov8n.yaml' | 'best.safetensors' | 'yolov8n.pt' | 'best.onnx')`, then
 * train / val / predict / stream / export. An ONNX export supports only predict, stream and val.
 */
export class Model {
  readonly callbacks = new Callbacks();
  task: string;
  /** Where the network came from (YAML, weights or ONNX path). */
  readonly source: string;
  /** 'onnx' for an exported model (no libtorch network), null otherwise. */
  readonly exportFormat: 'onnx' | null;
  /** Arguments inherited from the loaded checkpoint (imgsz, data, task, single_cls) or export (imgsz). */
  overrides: Record<string, unknown> = {};
  /** The trainer of the last `train()` call. */
  trainer: BaseTrainer<any> | null = null;
  private predictor: TaskPredictor | null = null;
  /** Metrics of the last `train()`/`val()` call. */
  metrics: Record<string, number> | null = null;
  private network: TrainableModel | null = null;
  /** The weights file the network holds (the source, or best after `train()`): exports are written beside it. */
  private weightsFile: string | null = null;
  /** The exported model's onnxruntime session, opened on the first predict/val and shared by both. */
  private backend: Promise<OnnxBackend> | null = null;
  /** Class names from the exported model's metadata. */
  private exportedNames: Record<number, string> = {};
  /** The trackers of `track()` (Ultralytics' `predictor.trackers`), registered on the first call. */
  tracking: PredictorTracking | null = null;

  constructor(
    source: string,
    protected readonly taskMap: TaskMap,
    task = 'detect',
  ) {
    this.task = task;
    this.source = source;
    const entry = this.entry();
    if (isOnnxPath(source)) {
      if (!existsSync(source)) throw new Error(`ONNX model not found: ${source}`);
      this.exportFormat = 'onnx';
      const metadata = parseMetadata(decodeModel(readFileSync(source)).metadata_props ?? []);
      this.exportedNames = metadata.names ?? {};
      // The export's size is its default imgsz, as a checkpoint's training imgsz is.
      if (metadata.imgsz) this.overrides.imgsz = metadata.imgsz[0] === metadata.imgsz[1] ? metadata.imgsz[0] : metadata.imgsz;
    } else {
      this.exportFormat = null;
      this.network = entry.load(source);
      if (/\.(pt|safetensors)$/.test(source)) {
        this.weightsFile = source;
        const ckptArgs = this.network.args;
        if (ckptArgs) for (const key of CKPT_KEYS_KEPT) if (ckptArgs[key] !== null) this.overrides[key] = ckptArgs[key];
      }
    }
    this.overrides.model = source;
    this.overrides.task = this.task;
  }

  /** The network (a YAML-built or loaded module); an exported model has none (a TypeError says so). */
  get model(): TrainableModel {
    return this.requireNetwork('model');
  }

  set model(model: TrainableModel) {
    this.network = model;
  }

  /** The libtorch network, or Ultralytics' TypeError for a method an exported model cannot run. */
  private requireNetwork(method: string): TrainableModel {
    if (this.network) return this.network;
    throw new TypeError(
      `model='${this.source}' should be a yolots .safetensors checkpoint, an Ultralytics .pt or a model .yaml to run ${method}, ` +
        `but is an exported ${String(this.exportFormat).toUpperCase()} model. Those models can train, val, predict and export, ` +
        `but exported formats like ONNX only support 'predict' and 'val', i.e. 'yolo predict model=${this.source}'.`,
    );
  }

  /** What predict/val run: the network, or the exported model's backend (opened once, on first use). */
  private async inferenceModel(): Promise<TrainableModel | OnnxBackend> {
    if (this.network) return this.network;
    this.backend ??= loadOnnxBackend(this.source).catch((error: unknown) => {
      this.backend = null;
      throw error;
    });
    return this.backend;
  }

  protected entry(): TaskEntry {
    const entry = this.taskMap[this.task];
    if (!entry) throw new Error(`task '${this.task}' is not supported; supported tasks: ${Object.keys(this.taskMap).join(', ')}`);
    return entry;
  }

  /** Class names by id (an exported model's come from its metadata). */
  get names(): Record<number, string> {
    return this.network ? this.network.names : this.exportedNames;
  }

  /**
   * Adds `fn` to the callbacks of `event` for every trainer, validator, predictor and exporter this model creates.
   * Typed per event: a misspelt event does not compile, and `fn` receives the trainer, validator, predictor or
   * exporter that fires it.
   * @example model.addCallback('on_predict_batch_end', (predictor) => console.log(predictor.results.length));
   */
  addCallback<E extends CallbackEvent>(event: E, fn: OwnerCallback<OwnerOf<E, ModelCallbackOwners>>): void {
    this.callbacks.add(event as CallbackEvent, fn as Callback<unknown>);
  }

  clearCallback(event: CallbackEvent): void {
    this.callbacks.clear(event);
  }

  /**
   * Trains this model. `trainer` may name a custom trainer class (as Ultralytics' `model.train(trainer=…)`).
   * Returns the final validation metrics; afterwards `this.model` holds the best weights.
   * @example const metrics = await new YOLO('yolov8n.yaml').train({ data: 'coco8.yaml', epochs: 3, imgsz: 320 });
   */
  async train(overrides: Overrides & { trainer?: TaskEntry['trainer'] } = {}): Promise<Record<string, number>> {
    const network = this.requireNetwork('train()');
    const { trainer: TrainerClass = this.entry().trainer, ...kwargs } = overrides;
    const args: Record<string, unknown> = { ...this.overrides, ...kwargs, mode: 'train' };
    const trainer = new TrainerClass({ overrides: args, callbacks: this.callbacks });
    if (!args.resume) {
      // Ultralytics injects the model so a custom getModel is honoured with this model's config and weights.
      const weights = /\.(pt|safetensors)$/.test(this.source) ? network.stateDict() : null;
      trainer.startFrom(network.yaml, weights);
    }
    this.trainer = trainer;
    await trainer.train();
    this.model = this.entry().load(trainer.best);
    this.weightsFile = trainer.best;
    this.metrics = trainer.metrics;
    return trainer.metrics;
  }

  /**
   * Validates on `data` (default: the checkpoint's data). Returns the metrics dict. A fixed-shape ONNX export
   * validates at its own batch and imgsz, without rect batches.
   * @example const metrics = await model.val({ data: 'coco8.yaml', imgsz: 320 });
   */
  async val(overrides: Overrides = {}): Promise<Record<string, number>> {
    const args: Record<string, unknown> = { rect: true, ...this.overrides, ...overrides, mode: 'val' };
    delete args.model;
    const validator = new (this.entry().validator)({ args, callbacks: this.callbacks });
    this.metrics = await validator.run({ model: await this.inferenceModel() });
    return this.metrics;
  }

  /**
   * Runs inference on a source (path, folder, glob, .txt list, Buffer, RGB array, tensor, or a list of them) and
   * returns one Results per image. Defaults: conf 0.25, batch 1, nothing saved (pass `save: true` for runs/detect/predict).
   * @example const [result] = await model.predict('bus.jpg', { conf: 0.4 }); console.log(result.verbose());
   */
  async predict(source: PredictSource, overrides: Overrides = {}): Promise<Results[]> {
    const predictor = this.predictorFor(overrides);
    return predictor.predict(source, this.network ?? (await this.inferenceModel()));
  }

  /**
   * As `predict`, as an async iterator holding one batch at a time: memory stays flat over any number of images.
   * @example for await (const r of model.stream('frames/')) console.log(r.boxes.length);
   */
  stream(source: PredictSource, overrides: Overrides = {}): AsyncGenerator<Results> {
    const predictor = this.predictorFor(overrides);
    return this.network ? predictor.stream(source, this.network) : this.streamExported(predictor, source);
  }

  private async *streamExported(predictor: TaskPredictor, source: unknown): AsyncGenerator<Results> {
    yield* predictor.stream(source, await this.inferenceModel());
  }

  /** The CLI's predict: saves and logs as `yolo predict` does. */
  async predictCli(source: unknown, overrides: Record<string, unknown> = {}): Promise<void> {
    const predictor = this.predictorFor({ save: true, ...overrides });
    await predictor.predictCli(source, this.network ?? (await this.inferenceModel()));
  }

  /**
   * Tracks objects through a video, stream or image sequence: predicts, then runs the detections through the
   * tracker that `tracker` names (botsort.yaml by default, or bytetrack.yaml, or a YAML of yours), so each box of
   * `Results.boxes` carries a track id (`idList`). `persist: true` keeps the tracks across calls, for feeding frames
   * one call at a time. Defaults: conf 0.1 (the tracker needs low-confidence boxes), batch 1.
   * @example
   * const results = await model.track('clip.mp4', { tracker: 'bytetrack.yaml' });
   * for (const r of results) console.log(r.frame, r.boxes?.idList);
   */
  async track(source: PredictSource, overrides: Overrides & { persist?: boolean } = {}): Promise<Results[]> {
    const predictor = this.trackingPredictor(overrides);
    return predictor.predict(source, this.network ?? (await this.inferenceModel()));
  }

  /** As `track`, one result at a time (memory stays flat over any length of video). */
  trackStream(source: PredictSource, overrides: Overrides & { persist?: boolean } = {}): AsyncGenerator<Results> {
    const predictor = this.trackingPredictor(overrides);
    return this.network ? predictor.stream(source, this.network) : this.streamExported(predictor, source);
  }

  /** The CLI's track: saves and logs as `yolo track` does. */
  async trackCli(source: unknown, overrides: Record<string, unknown> = {}): Promise<void> {
    const predictor = this.trackingPredictor({ save: true, ...overrides });
    await predictor.predictCli(source, this.network ?? (await this.inferenceModel()));
  }

  /** Ultralytics' model.track: the tracking callbacks registered once, then predict in mode 'track'. */
  private trackingPredictor(overrides: Record<string, unknown> & { persist?: boolean }): TaskPredictor {
    const { persist = false, ...rest } = overrides;
    this.tracking ??= registerTracker(this, Boolean(persist), { onlyInTrackMode: true });
    this.tracking.persist = Boolean(persist);
    return this.predictorFor({ ...rest, conf: rest.conf || 0.1, batch: rest.batch || 1, mode: 'track' });
  }

  /** The predictor is kept and re-used across calls, with its arguments updated (as Ultralytics). */
  private predictorFor(overrides: Record<string, unknown>): TaskPredictor {
    const args: Record<string, unknown> = { conf: 0.25, batch: 1, save: false, mode: 'predict', ...this.overrides, ...overrides };
    delete args.model;
    if (this.predictor === null) {
      this.predictor = new (this.entry().predictor)({ overrides: args, callbacks: this.callbacks });
    } else {
      this.predictor.args = getCfg(undefined, args);
    }
    return this.predictor;
  }

  /**
   * Exports the network with Ultralytics' `model.export` defaults (format onnx, the one yolots writes; imgsz from
   * the checkpoint's args; batch 1) and resolves to the written file: beside the weights ('best.safetensors' →
   * 'best.onnx', also after `train()`), or the YAML's stem in the working directory. Fires on_export_start / on_export_end on this
   * model's callbacks.
   * @example const file = await new YOLO('best.safetensors').export({ format: 'onnx', imgsz: 320, dynamic: true });
   */
  async export(overrides: Overrides = {}): Promise<string> {
    const network = this.requireNetwork('export()');
    const imgsz = this.overrides.imgsz ?? network.args?.imgsz;
    const custom = { format: 'onnx', ...(imgsz === undefined ? {} : { imgsz }), batch: 1, device: null, verbose: false };
    const args: Record<string, unknown> = { ...this.overrides, ...custom, ...overrides, mode: 'export' };
    const exporter = new (this.entry().exporter)({ overrides: args, callbacks: this.callbacks });
    return exporter.call(network, { weights: this.weightsFile ?? undefined });
  }

  /** Prints and returns the model summary. */
  info(options: { detailed?: boolean; verbose?: boolean; imgsz?: number } = {}): unknown {
    const model = this.requireNetwork('info()') as TrainableModel & { info?(o: unknown): unknown };
    if (typeof model.info !== 'function') throw new Error(`${model.constructor.name} has no info()`);
    return model.info(options);
  }

  /** Folds BatchNorm into convolutions for faster inference. */
  fuse(): this {
    const model = this.requireNetwork('fuse()') as TrainableModel & { fuse?(): unknown };
    model.fuse?.();
    return this;
  }

  /** The effective arguments a mode would run with (defaults + checkpoint args + overrides). */
  resolvedArgs(overrides: Record<string, unknown>, mode: string): Args {
    return getCfg(undefined, { ...this.overrides, ...overrides, mode });
  }

  /** Frees the network's tensors, or closes the exported model's onnxruntime session. */
  async dispose(): Promise<void> {
    if (this.network) torch.dispose([...this.network.stateDict().values()]);
    const backend = this.backend;
    this.backend = null;
    this.predictor = null;
    if (backend) await backend.then((b) => b.dispose());
  }
}
