// BaseValidator: the validation loop (spec §6). In training it runs on the trainer's model (EMA weights) and
// also reports val losses; standalone it builds its own model and data. Tasks override the hooks.

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import type { Args } from '../cfg/args.js';
import { getCfg } from '../cfg/config.js';
import { getSaveDir } from '../cfg/save-dir.js';
import { type Batch, toBatch } from '../data/batch.js';
import type { RawBatch } from '../data/collate.js';
import type { InferenceBackend } from '../nn/autobackend.js';
import { Callbacks, type ValidatorEvent } from './callbacks.js';
import type { TrainableModel } from './model-types.js';
import { inferBackend, openExportedModel } from './predictor.js';
import { ProgressBar } from './progress.js';
import type { BaseTrainer } from './trainer.js';

/** Images per forward pass during CPU validation (see `BaseValidator.inference`). */
const CPU_INFERENCE_CHUNK = 4;

/** Concatenates along the batch dimension the outputs of several forward passes (tensors, or arrays of them). */
function concatOutputs(outputs: unknown[]): unknown {
  const first = outputs[0];
  if (first instanceof torch.Tensor) return torch.cat(outputs as Tensor[], 0);
  if (Array.isArray(first)) return first.map((_, i) => concatOutputs(outputs.map((o) => (o as unknown[])[i])));
  throw new TypeError(`cannot concatenate model outputs of type ${typeof first}`);
}

/** Milliseconds per image of each stage. */
export interface ValSpeed {
  preprocess: number;
  inference: number;
  loss: number;
  postprocess: number;
}

export interface ValidatorOptions {
  /** Ultralytics arguments (conf, iou, split, save_json, plots, …) over default.yaml. */
  args?: Record<string, unknown>;
  /** A data loader to validate on (the trainer passes its test loader). */
  dataloader?: AsyncIterable<RawBatch> & { length: number };
  saveDir?: string;
  callbacks?: Callbacks;
}

/**
 * The generic validation loop. Subclasses implement the metric hooks (`initMetrics`, `updateMetrics`, `getStats`,
 * …). `run({ trainer })` validates during training; `run({ model })` validates a model on `args.data`.
 */
export abstract class BaseValidator<Model extends TrainableModel = TrainableModel> {
  args: Args;
  readonly callbacks: Callbacks;
  dataloader: (AsyncIterable<RawBatch> & { length: number }) | null;
  saveDir: string;
  model: Model | null = null;
  /** The exported model (ONNX) of a standalone run given one (a backend or a `.onnx` path), instead of `model`. */
  backend: InferenceBackend | null = null;
  training = false;
  /** Images seen in this run. */
  seen = 0;
  speed: ValSpeed = { preprocess: 0, inference: 0, loss: 0, postprocess: 0 };
  /** The batch being validated and its postprocessed predictions: what on_val_batch_end callbacks read. */
  batch: Batch | null = null;
  preds: Tensor[] | null = null;
  batchI = 0;
  /** Summed val loss items (training only). */
  lossSum: number[] | null = null;
  names: Record<number, string> = {};
  nc = 0;
  plots: Record<string, unknown> = {};
  /** Whether this run plots (in training: only when early stopping is possible or on the last epoch). */
  plotting = false;

  constructor(options: ValidatorOptions = {}) {
    this.args = getCfg(undefined, { mode: 'val', ...(options.args ?? {}) });
    this.callbacks = options.callbacks ?? new Callbacks();
    this.dataloader = options.dataloader ?? null;
    this.saveDir = options.saveDir ?? '';
    if (this.args.conf === null) this.args.conf = 0.001;
  }

  addCallback(event: ValidatorEvent, fn: (validator: this) => void | Promise<void>): void {
    this.callbacks.add(event, fn as (owner: unknown) => void);
  }

  async runCallbacks(event: ValidatorEvent): Promise<void> {
    await this.callbacks.run(event, this);
  }

  // ---- hooks ----------------------------------------------------------------------------------

  /** Description line printed above the progress bar. */
  abstract getDesc(): string;
  abstract initMetrics(model: Model | InferenceBackend): void;
  /** Runs inside the batch's memory scope: copy what must outlive it out of the tensors. */
  abstract updateMetrics(preds: Tensor[], batch: Batch): void;
  abstract finalizeMetrics(): void;
  /** The metrics dict (metric keys and `fitness`). */
  abstract getStats(): Record<string, number>;
  abstract printResults(): void;
  /** Model output → per-image detections. */
  abstract postprocess(preds: unknown): Tensor[];
  /** Builds a data loader for a dataset path (standalone runs). */
  abstract getDataloader(datasetPath: unknown, batchSize: number): Promise<AsyncIterable<RawBatch> & { length: number; close?(): unknown }>;
  /** Resolves the model (an exported model's backend is passed through) and dataset of a standalone run: [model, dataset path]. */
  protected abstract setupStandalone(model: Model | InferenceBackend | string | null): Promise<[Model | InferenceBackend, unknown]>;
  /** Metric key names (results.csv columns). */
  abstract get metricKeys(): string[];

  /** uint8 images → float in [0, 1]. */
  preprocess(batch: Batch): Batch {
    return { ...batch, img: batch.img.float().div(255) };
  }

  async plotValSamples(_batch: RawBatch, _ni: number): Promise<void> {}
  async plotPredictions(_batch: RawBatch, _preds: number[][][], _ni: number): Promise<void> {}
  /** Plots made from the final metrics (curves, confusion matrix). */
  async plotMetrics(): Promise<void> {}

  // ---- the loop -------------------------------------------------------------------------------

  /**
   * Validates. With `trainer`: the trainer's model and test loader, returns metrics plus val losses (rounded to 5
   * decimals). With `model` (a model or a weights path): builds model and data from `args`, prints results and
   * returns the metrics dict. An exported model (an `InferenceBackend` or a `.onnx` path) is validated through
   * onnxruntime; a fixed-shape export sets batch and imgsz to its own and rect=false.
   */
  async run(
    options: { trainer?: BaseTrainer<any>; model?: Model | InferenceBackend | string | null } = {},
  ): Promise<Record<string, number>> {
    const { trainer } = options;
    this.training = trainer !== undefined;
    this.backend = null;
    let model: Model | InferenceBackend;
    let ownLoader: { close?(): unknown } | null = null;
    let ownBackend: InferenceBackend | null = null;
    if (trainer) {
      model = trainer.model as Model;
      this.dataloader = trainer.testLoader as AsyncIterable<RawBatch> & { length: number };
      this.plotting = this.args.plots && (trainer.stopper.possibleStop || trainer.epoch === trainer.epochs - 1);
      this.lossSum = null;
    } else {
      this.plotting = this.args.plots;
      const requested = options.model ?? this.args.model;
      this.backend = await openExportedModel(requested);
      if (this.backend) {
        if (this.backend !== requested) ownBackend = this.backend;
        this.fitArgsToFixedShape(this.backend);
      }
      const [built, dataset] = await this.setupStandalone(this.backend ?? (requested as Model | string | null));
      model = built;
      if (!this.saveDir) this.saveDir = getSaveDir(this.args);
      if (this.dataloader === null) {
        const loader = await this.getDataloader(dataset, this.args.batch);
        this.dataloader = loader;
        ownLoader = loader;
      }
    }
    const net = this.backend ? null : (model as Model);
    this.model = net;
    const wasTraining = net?.training ?? false;
    net?.eval();
    try {
      await this.runCallbacks('on_val_start');
      this.initMetrics(model);
      const loader = this.dataloader as AsyncIterable<RawBatch> & { length: number };
      if (this.args.verbose || !this.training) console.log(this.getDesc());
      const bar = new ProgressBar(loader.length, { enabled: this.args.verbose });
      const times = [0, 0, 0, 0];
      this.batchI = 0;
      for await (const raw of loader) {
        await this.runCallbacks('on_val_batch_start');
        const { batch, detections } = net
          ? this.validateBatch(raw, net, times)
          : await this.validateBatchAsync(raw, this.backend as InferenceBackend, times);
        this.batch = batch;
        this.preds = detections;
        try {
          if (this.plotting && this.batchI < 3) {
            await this.plotValSamples(raw, this.batchI);
            await this.plotPredictions(
              raw,
              detections.map((d) => d.tolist() as number[][]),
              this.batchI,
            );
          }
          await this.runCallbacks('on_val_batch_end');
        } finally {
          torch.dispose([batch, detections]);
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
      if (this.training) {
        const losses = this.lossSum ? this.lossSum.map((v) => v / Math.max(loader.length, 1)) : null;
        const lossItems = trainer?.labelLossItems(losses ?? [0, 0, 0], 'val') as Record<string, number>;
        return Object.fromEntries(Object.entries({ ...stats, ...lossItems }).map(([k, v]) => [k, Math.round(v * 1e5) / 1e5]));
      }
      const s = this.speed;
      console.log(
        `Speed: ${s.preprocess.toFixed(1)}ms preprocess, ${s.inference.toFixed(1)}ms inference, ${s.loss.toFixed(1)}ms loss, ${s.postprocess.toFixed(1)}ms postprocess per image`,
      );
      if (this.args.save_json || this.args.save_txt || this.args.plots) console.log(`Results saved to ${this.saveDir}`);
      return stats;
    } finally {
      net?.train(wasTraining);
      await ownBackend?.dispose();
      if (ownLoader) {
        await ownLoader.close?.();
        this.dataloader = null;
      }
    }
  }

  /**
   * The model's output for a batch. On CPU the images go in NHWC (the weights' layout) and in chunks of
   * `CPU_INFERENCE_CHUNK`: measured for YOLOv8n at 640, 66 ms per image in chunks of 4 against 84 ms in one batch
   * of 32 (the activations of a small chunk stay in cache). Chunks are concatenated, so results do not change.
   */
  protected inference(model: Model, img: Tensor): unknown {
    if (img.device !== 'cpu') return model.call(img);
    const input = img.contiguous('channels_last');
    const n = input.size(0);
    if (n <= CPU_INFERENCE_CHUNK) return model.call(input);
    const outputs: unknown[] = [];
    for (let start = 0; start < n; start += CPU_INFERENCE_CHUNK) {
      outputs.push(model.call(input.narrow(0, start, Math.min(CPU_INFERENCE_CHUNK, n - start))));
    }
    return concatOutputs(outputs);
  }

  /**
   * One batch: preprocess, inference, (loss), postprocess, metrics — in one memory scope, except the batch and
   * its detections, which the caller frees after the on_val_batch_end callbacks have seen them.
   */
  private validateBatch(raw: RawBatch, model: Model, times: number[]): { batch: Batch; detections: Tensor[] } {
    return torch.noGrad(() =>
      torch.tidy(() => {
        let t = performance.now();
        const batch = this.preprocess(toBatch(raw));
        times[0] += performance.now() - t;
        t = performance.now();
        const preds = this.inference(model, batch.img);
        times[1] += performance.now() - t;
        if (this.training) {
          t = performance.now();
          const items = model.loss(batch, preds)[1].toArray();
          this.lossSum = this.lossSum ? this.lossSum.map((v, k) => v + (items[k] ?? 0)) : items;
          times[2] += performance.now() - t;
        }
        t = performance.now();
        const detections = this.postprocess(preds);
        times[3] += performance.now() - t;
        this.updateMetrics(detections, batch);
        this.seen += raw.imgShape[0];
        return { batch, detections };
      }),
    );
  }

  /** As `validateBatch` for an exported model: preprocess in one scope, `await backend.infer`, the rest in another. */
  private async validateBatchAsync(
    raw: RawBatch,
    backend: InferenceBackend,
    times: number[],
  ): Promise<{ batch: Batch; detections: Tensor[] }> {
    let t = performance.now();
    const batch = torch.tidy(() => this.preprocess(toBatch(raw)));
    times[0] += performance.now() - t;
    try {
      t = performance.now();
      const preds = await inferBackend(backend, batch.img);
      times[1] += performance.now() - t;
      try {
        const detections = torch.noGrad(() =>
          torch.tidy(() => {
            t = performance.now();
            const dets = this.postprocess(preds);
            times[3] += performance.now() - t;
            this.updateMetrics(dets, batch);
            return dets;
          }),
        );
        this.seen += raw.imgShape[0];
        return { batch, detections };
      } finally {
        preds.dispose();
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
