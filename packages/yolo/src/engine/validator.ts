// BaseValidator: the validation loop. During training it runs on the model and loader of the context the trainer hands
// it (engine/validation-context.ts) and also reports val losses; standalone it builds its own model and data. Tasks
// override the hooks.

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import type { Args } from '../cfg/args.js';
import { getCfg } from '../cfg/config.js';
import { getSaveDir } from '../cfg/save-dir.js';
import type { InferenceBackend } from '../nn/autobackend.js';
import { bf16Inference, cpuHalfInference } from './amp.js';
import { Callbacks, type ValidatorEvent } from './callbacks.js';
import { batchImagesToInput, selectDevice } from './device.js';
import { inferBackend, openExportedModel } from './predictor.js';
import { ProgressBar } from './progress.js';
import type { BatchLoader, TaskTypes } from './task-types.js';
import type { FinalEvalOptions, TrainValidator, ValidationContext, ValidationMetrics } from './validation-context.js';

/** Images per forward pass during CPU validation (see `BaseValidator.inference`). */
const CPU_INFERENCE_CHUNK = 4;

/**
 * Concatenates along the batch dimension the outputs of several forward passes: tensors, or arrays or plain objects
 * of them (YOLO26's head returns `{ one2many: { boxes, scores, feats }, one2one: … }`).
 */
function concatOutputs(outputs: unknown[]): unknown {
  const first = outputs[0];
  if (first instanceof torch.Tensor) return torch.cat(outputs as Tensor[], 0);
  if (Array.isArray(first)) return first.map((_, i) => concatOutputs(outputs.map((o) => (o as unknown[])[i])));
  if (first !== null && typeof first === 'object' && Object.getPrototypeOf(first) === Object.prototype) {
    return Object.fromEntries(
      Object.keys(first).map((key) => [key, concatOutputs(outputs.map((o) => (o as Record<string, unknown>)[key]))]),
    );
  }
  throw new TypeError(`cannot concatenate model outputs of type ${typeof first}`);
}

/** Milliseconds per image of each stage. */
export interface ValSpeed {
  preprocess: number;
  inference: number;
  loss: number;
  postprocess: number;
}

export interface ValidatorOptions<T extends TaskTypes = TaskTypes> {
  /** Ultralytics arguments (conf, iou, split, save_json, plots, …) over default.yaml, typed as `Args` types them. */
  args?: Partial<Args>;
  /** A data loader for standalone runs (otherwise built from `args.data`). */
  dataloader?: BatchLoader<T['raw']>;
  saveDir?: string;
  callbacks?: Callbacks;
}

/** What `run()` validates: a training's context, or (standalone) a model, weights path or exported model. */
export interface ValidatorRunOptions<T extends TaskTypes> {
  /** During training: the trainer's model, loader, device, epoch and loss names (see ValidationContext). */
  context?: ValidationContext<T>;
  /** Standalone: a network, a weights or YAML path, or an exported model (an `InferenceBackend` or a `.onnx` path). */
  model?: T['model'] | InferenceBackend | string | null;
  /** Standalone: the loader to validate on instead of one built from `args.data`. */
  dataloader?: BatchLoader<T['raw']>;
  /** Standalone: the device instead of `args.device` ('cpu', 'cuda:0', or any `device` argument). */
  device?: string;
}

/**
 * The generic validation loop, typed by its task's types `T`. Subclasses implement the metric hooks (`initMetrics`,
 * `updateMetrics`, `getStats`, …). `run({ context })` validates during training; `run({ model })` validates a model
 * on `args.data`.
 */
export abstract class BaseValidator<T extends TaskTypes = TaskTypes> implements TrainValidator<T> {
  args: Args;
  readonly callbacks: Callbacks;
  /** The loader of the current (or a given standalone) run. */
  dataloader: BatchLoader<T['raw']> | null;
  saveDir: string;
  model: T['model'] | null = null;
  /** The exported model (ONNX) of a standalone run given one (a backend or a `.onnx` path), instead of `model`. */
  backend: InferenceBackend | null = null;
  /** Where the model runs and each batch is moved ('cpu', 'cuda:0'). */
  device = 'cpu';
  /** The training context of the current run; null for a standalone run. */
  context: ValidationContext<T> | null = null;
  /** Images seen in this run. */
  seen = 0;
  speed: ValSpeed = { preprocess: 0, inference: 0, loss: 0, postprocess: 0 };
  /** bf16 autocast inference (`half=True` in a standalone validation on a CPU with bf16 instructions). */
  bf16 = false;
  /** The batch being validated and its postprocessed predictions: what on_val_batch_end callbacks read. */
  batch: T['batch'] | null = null;
  preds: T['preds'] | null = null;
  batchI = 0;
  /** Summed val loss items (training only). */
  lossSum: number[] | null = null;
  names: Record<number, string> = {};
  nc = 0;
  /** Whether this run plots (in training: as the context says; standalone: `args.plots`). */
  plotting = false;
  /** The loader given at construction, which standalone runs use instead of building one. */
  private readonly givenLoader: BatchLoader<T['raw']> | null;

  constructor(options: ValidatorOptions<T> = {}) {
    this.args = getCfg(undefined, { mode: 'val', ...(options.args ?? {}) });
    this.callbacks = options.callbacks ?? new Callbacks();
    this.givenLoader = options.dataloader ?? null;
    this.dataloader = this.givenLoader;
    this.saveDir = options.saveDir ?? '';
    if (this.args.conf === null) this.args.conf = 0.001;
  }

  addCallback(event: ValidatorEvent, fn: (validator: this) => void | Promise<void>): void {
    this.callbacks.add(event, fn as (owner: unknown) => void);
  }

  async runCallbacks(event: ValidatorEvent): Promise<void> {
    await this.callbacks.run(event, this);
  }

  /** Whether this run validates during training (losses too, no speed summary). */
  get training(): boolean {
    return this.context !== null;
  }

  // ---- hooks ----------------------------------------------------------------------------------

  /** Description line printed above the progress bar. */
  abstract getDesc(): string;
  abstract initMetrics(model: T['model'] | InferenceBackend): void;
  /** A loader batch (plain arrays) as tensors, owned by the batch's memory scope (before `preprocess`). */
  abstract toBatch(raw: T['raw']): T['batch'];
  /** Runs inside the batch's memory scope: copy what must outlive it out of the tensors. */
  abstract updateMetrics(preds: T['preds'], batch: T['batch']): void;
  abstract finalizeMetrics(): void;
  /** The metrics dict (metric keys and `fitness`). */
  abstract getStats(): ValidationMetrics;
  abstract printResults(): void;
  /** Model output → the task's predictions (detection: per-image boxes after NMS). */
  abstract postprocess(preds: unknown): T['preds'];

  /** What postprocessing did, when the speed line should say it (a task sets it, e.g. 'end-to-end top-k, no NMS'). */
  protected postprocessNote: string | null = null;
  /** Builds a data loader for a dataset source (standalone runs). */
  abstract getDataloader(datasetPath: T['source'], batchSize: number): Promise<BatchLoader<T['raw']>>;
  /** Resolves the model (an exported model's backend is passed through) and dataset of a standalone run: [model, dataset source]. */
  protected abstract setupStandalone(
    model: T['model'] | InferenceBackend | string | null,
  ): Promise<[T['model'] | InferenceBackend, T['source']]>;
  /** Metric key names (results.csv columns). */
  abstract get metricKeys(): string[];

  /** The images to the device as float in [0, 1] (channels-last on the CPU, see `batchImagesToInput`). */
  preprocess(batch: T['batch']): T['batch'] {
    return { ...batch, img: batchImagesToInput(batch.img, this.device) };
  }

  async plotValSamples(_batch: T['raw'], _ni: number): Promise<void> {}
  async plotPredictions(_batch: T['raw'], _preds: T['preds'], _ni: number): Promise<void> {}
  /** Plots made from the final metrics (curves, confusion matrix). */
  async plotMetrics(): Promise<void> {}

  // ---- the loop -------------------------------------------------------------------------------

  /**
   * Validates. With `context` (during training): its model and loader; returns the metrics plus val losses (rounded
   * to 5 decimals). With `model` (a model or a weights path): builds model and data from `args`, prints results and
   * returns the metrics dict. An exported model (an `InferenceBackend` or a `.onnx` path) is validated through
   * onnxruntime; a fixed-shape export sets batch and imgsz to its own and rect=false.
   */
  async run(options: ValidatorRunOptions<T> = {}): Promise<ValidationMetrics> {
    return options.context ? this.runInTraining(options.context) : this.runStandalone(options);
  }

  /** Validates a finished run's best checkpoint on the run's loader and device, as the trainer's final evaluation. */
  async finalEval(best: string, options: FinalEvalOptions<T>): Promise<ValidationMetrics> {
    return this.run({ model: best, dataloader: options.loader, device: options.device });
  }

  private async runInTraining(context: ValidationContext<T>): Promise<ValidationMetrics> {
    this.context = context;
    this.backend = null;
    this.model = context.model;
    this.device = context.device;
    this.dataloader = context.loader;
    this.plotting = context.plots;
    this.lossSum = null;
    try {
      const stats = await this.loop(context.model, context.loader);
      const all = { ...stats, ...context.labelLossItems(this.meanLosses(context)) };
      return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, Math.round(v * 1e5) / 1e5]));
    } finally {
      this.context = null;
      this.dataloader = this.givenLoader;
    }
  }

  /** The val loss items averaged over the batches (zeros when no batch computed them). */
  private meanLosses(context: ValidationContext<T>): number[] {
    const sum = this.lossSum;
    return sum ? sum.map((v) => v / Math.max(context.loader.length, 1)) : context.lossNames.map(() => 0);
  }

  private async runStandalone(options: ValidatorRunOptions<T>): Promise<ValidationMetrics> {
    this.context = null;
    this.plotting = this.args.plots;
    const requested = options.model ?? this.args.model;
    const backend = await openExportedModel(requested);
    this.backend = backend;
    const ownBackend = backend && backend !== requested ? backend : null;
    let ownLoader: BatchLoader<T['raw']> | null = null;
    try {
      if (backend) this.fitArgsToFixedShape(backend);
      this.device = backend ? 'cpu' : selectDevice(options.device ?? this.args.device);
      const [model, dataset] = await this.setupStandalone(backend ?? (requested as T['model'] | string | null));
      this.model = backend ? null : (model as T['model']);
      if (!this.saveDir) this.saveDir = getSaveDir(this.args);
      let loader = options.dataloader ?? this.givenLoader;
      if (!loader) {
        loader = await this.getDataloader(dataset, this.args.batch);
        ownLoader = loader;
      }
      this.dataloader = loader;
      const stats = await this.loop(model, loader);
      const s = this.speed;
      const note = this.postprocessNote ? ` (${this.postprocessNote})` : '';
      console.log(
        `Speed: ${s.preprocess.toFixed(1)}ms preprocess, ${s.inference.toFixed(1)}ms inference, ${s.loss.toFixed(1)}ms loss, ${s.postprocess.toFixed(1)}ms postprocess${note} per image`,
      );
      if (this.args.save_json || this.args.save_txt || this.args.plots) console.log(`Results saved to ${this.saveDir}`);
      return stats;
    } finally {
      await ownBackend?.dispose();
      await ownLoader?.close?.();
      this.dataloader = this.givenLoader;
    }
  }

  /** The batches of one run: metrics, plots and callbacks; returns the stats. The network's train/eval mode is restored. */
  private async loop(model: T['model'] | InferenceBackend, loader: BatchLoader<T['raw']>): Promise<ValidationMetrics> {
    const net = this.model;
    if (net && !this.training) {
      // Standalone: the model runs where the batches go; NHWC weights make CPU convolutions skip a reorder per call.
      net.to(this.device);
      if (this.device === 'cpu') net.toMemoryFormat('channels_last');
    }
    // half=True in a standalone CPU validation: bf16 autocast where the CPU has bf16 instructions (as predict).
    this.bf16 = !this.training && this.args.half && this.device === 'cpu' && cpuHalfInference() === 'bf16';
    if (!this.training && this.args.half && this.device === 'cpu' && !this.bf16)
      console.warn('WARNING ⚠️ half=True needs CUDA or a CPU with bf16 instructions (AVX512-BF16 / AMX); validating in float32');
    const wasTraining = net?.training ?? false;
    net?.eval();
    try {
      await this.runCallbacks('on_val_start');
      this.initMetrics(model);
      if (this.args.verbose || !this.training) console.log(this.getDesc());
      const bar = new ProgressBar(loader.length, { enabled: this.args.verbose });
      const times: [number, number, number, number] = [0, 0, 0, 0];
      this.batchI = 0;
      for await (const raw of loader) {
        await this.runCallbacks('on_val_batch_start');
        const { batch, preds } = net
          ? this.validateBatch(raw, net, times)
          : await this.validateBatchAsync(raw, model as InferenceBackend, times);
        this.batch = batch;
        this.preds = preds;
        try {
          if (this.plotting && this.batchI < 3) {
            await this.plotValSamples(raw, this.batchI);
            await this.plotPredictions(raw, preds, this.batchI);
          }
          await this.runCallbacks('on_val_batch_end');
        } finally {
          torch.dispose([batch, preds]);
          this.preds = null;
          this.batch = null;
        }
        bar.update(++this.batchI, this.getDesc().trimEnd().split('\n').pop() ?? '');
      }
      bar.stop();
      const n = Math.max(this.seen, 1);
      this.speed = { preprocess: times[0] / n, inference: times[1] / n, loss: times[2] / n, postprocess: times[3] / n };
      const stats = this.getStats();
      this.finalizeMetrics();
      if (this.plotting) await this.plotMetrics();
      this.printResults();
      await this.runCallbacks('on_val_end');
      return stats;
    } finally {
      net?.train(wasTraining);
    }
  }

  /**
   * The model's output for a batch. On CPU the images (NHWC there, see `preprocess`) go in chunks of
   * `CPU_INFERENCE_CHUNK`: measured for YOLOv8n at 640, 66 ms per image in chunks of 4 against 84 ms in one batch
   * of 32 (the activations of a small chunk stay in cache). Chunks are concatenated, so results do not change.
   */
  protected inference(model: T['model'], img: Tensor): unknown {
    const n = img.size(0);
    if (img.device !== 'cpu') return model.call(img);
    // Standalone, convolutions use weights reordered once for oneDNN (as predict). Not during training: the EMA
    // weights change every step, and their packed copies would stay in memory between validations.
    const run = (x: Tensor): unknown => bf16Inference(this.bf16, () => model.call(x));
    const forward = (x: Tensor): unknown => (this.training ? run(x) : torch.nn.withPackedConvolutions(() => run(x)));
    if (n <= CPU_INFERENCE_CHUNK) return forward(img);
    const outputs: unknown[] = [];
    for (let start = 0; start < n; start += CPU_INFERENCE_CHUNK) {
      outputs.push(forward(img.narrow(0, start, Math.min(CPU_INFERENCE_CHUNK, n - start))));
    }
    return concatOutputs(outputs);
  }

  /**
   * One batch: preprocess, inference, (loss), postprocess, metrics — in one memory scope, except the batch and
   * its predictions, which the caller frees after the on_val_batch_end callbacks have seen them.
   */
  private validateBatch(
    raw: T['raw'],
    model: T['model'],
    times: [number, number, number, number],
  ): { batch: T['batch']; preds: T['preds'] } {
    return torch.noGrad(() =>
      torch.tidy(() => {
        let t = performance.now();
        const batch = this.preprocess(this.toBatch(raw));
        times[0] += performance.now() - t;
        t = performance.now();
        const output = this.inference(model, batch.img);
        times[1] += performance.now() - t;
        if (this.training) {
          t = performance.now();
          const items = model.loss(batch, output)[1].toArray();
          this.lossSum = this.lossSum ? this.lossSum.map((v, k) => v + (items[k] ?? 0)) : items;
          times[2] += performance.now() - t;
        }
        t = performance.now();
        const preds = this.postprocess(output);
        times[3] += performance.now() - t;
        this.updateMetrics(preds, batch);
        this.seen += raw.imgShape[0] ?? 0;
        return { batch, preds };
      }),
    );
  }

  /** As `validateBatch` for an exported model: preprocess in one scope, `await backend.infer`, the rest in another. */
  private async validateBatchAsync(
    raw: T['raw'],
    backend: InferenceBackend,
    times: [number, number, number, number],
  ): Promise<{ batch: T['batch']; preds: T['preds'] }> {
    let t = performance.now();
    // T's batch and preds types are generic, so TypeScript cannot see they are no Promises (tidy's Synchronous).
    const batch = torch.tidy(() => this.preprocess(this.toBatch(raw)) as torch.Synchronous<T['batch']>);
    times[0] += performance.now() - t;
    try {
      t = performance.now();
      const output = await inferBackend(backend, batch.img);
      times[1] += performance.now() - t;
      try {
        const preds = torch.noGrad(() =>
          torch.tidy(() => {
            t = performance.now();
            const p = this.postprocess(output);
            times[3] += performance.now() - t;
            this.updateMetrics(p, batch);
            return p as torch.Synchronous<T['preds']>;
          }),
        );
        this.seen += raw.imgShape[0] ?? 0;
        return { batch, preds };
      } finally {
        torch.dispose(output);
      }
    } catch (error) {
      torch.dispose(batch);
      throw error;
    }
  }

  /**
   * A fixed-shape export validates at its own batch and square size, without rect batches (as Ultralytics does
   * for non-PyTorch models); a dynamic one takes the arguments as they are.
   */
  private fitArgsToFixedShape(backend: InferenceBackend): void {
    if (!backend.imgsz) return;
    const [h, w] = backend.imgsz;
    if (h !== w)
      throw new Error(
        `validation letterboxes to a square, but this ${backend.format} model's fixed input is ${h}x${w}: export it with a square imgsz or dynamic=True`,
      );
    this.args.imgsz = h;
    this.args.batch = backend.batch ?? this.args.batch;
    this.args.rect = false;
    console.log(`Setting batch=${this.args.batch} input of shape (${this.args.batch}, 3, ${h}, ${w})`);
  }
}
