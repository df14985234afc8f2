// BasePredictor (Ultralytics' engine/predictor.py; usage in docs/predict.md): streams any image source through letterbox → model → postprocess → Results, batch by
// batch, logging and saving as Ultralytics' predictor does. Tasks override `postprocess` (and may override
// `preprocess`, `inference`, `setupSource`, `writeResults`); nothing here knows about detection.
import { mkdirSync, readdirSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { nn, Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import type { Args } from '../cfg/args.js';
import { getCfg } from '../cfg/config.js';
import { getSaveDir } from '../cfg/save-dir.js';
import { LetterBox } from '../data/augment/letterbox.js';
import type { Sample } from '../data/augment/transform.js';
import type { RgbImage } from '../data/images.js';
import { Instances } from '../data/instances.js';
import { type InferenceBatch, type InferenceDataset, loadInferenceSource, type PredictSource, type SourceType } from '../data/sources.js';
import { VideoWriter } from '../data/video/writer.js';
import { type InferenceBackend, loadOnnxBackend } from '../nn/autobackend.js';
import { bold } from '../utils/colors.js';
import { checkImgsz } from '../utils/imgsz.js';
import { bf16Inference, cpuHalfInference } from './amp.js';
import { Callbacks, type PredictorEvent } from './callbacks.js';
import { selectDevice } from './device.js';
import { type Results, writeImage } from './results.js';

/** What a predictor needs of a model: a Module with class names and strides (DetectionModel is one). */
export interface PredictorModel extends nn.Module<any, any> {
  names: Record<number, string>;
  /** Strides of the output levels, e.g. [8, 16, 32]. */
  stride: readonly number[];
  /** Folds BatchNorm into convolutions for faster inference (called once, as Ultralytics' AutoBackend does). */
  fuse?(verbose?: boolean): unknown;
}

export interface PredictorOptions {
  /** A config YAML path or mapping replacing default.yaml's values. */
  cfg?: string | Record<string, unknown>;
  /** Ultralytics arguments (conf, iou, imgsz, save, save_txt, …) over the config, typed as `Args` types them. */
  overrides?: Partial<Args>;
  /** Callback registry (shared with the Model that made the predictor). */
  callbacks?: Callbacks;
}

/**
 * Video and stream frames between two `torch.releaseMemory()` calls. yolots' allocator keeps freed memory for reuse
 * (right for training's same-sized steps), but a long video's per-frame buffers (decoded frames, plots, encoder
 * input) fragment it: measured +41 MB RSS over 1,750 saved frames without releases, flat with them.
 */
const RELEASE_EVERY_FRAMES = 100;

const STREAM_WARNING = `WARNING ⚠️ inference results will accumulate in memory unless \`stream()\` is used, potentially
causing out-of-memory errors for large sources. Use the stream() generator instead:

  for await (const result of predictor.stream(source)) {
    const boxes = result.boxes; // boxes of one image
  }
`;

/**
 * The prediction loop. Construct it with Ultralytics arguments, then `predict(source, model)` for a list of
 * Results or `stream(source, model)` for an async iterator that holds one batch at a time.
 *
 * Memory: tensors live only inside a batch's scope; Results hold JS arrays, so streaming any number of images
 * keeps native memory flat.
 *
 * @example
 * const predictor = new DetectionPredictor({ overrides: { conf: 0.25, save: false } });
 * for await (const r of predictor.stream('images/', model)) console.log(r.path, r.verbose());
 */
export abstract class BasePredictor<Model extends PredictorModel = PredictorModel> {
  args: Args;
  readonly callbacks: Callbacks;
  /** Where outputs go (runs/detect/predict, predict2, …), chosen at construction, created on the first save. */
  saveDir: string;
  model: Model | null = null;
  /**
   * The exported model (ONNX) predictions run through instead of `model`, when one was given (a backend or a
   * `.onnx` path). Its inference is async, so batches take the async path of `processBatchAsync`.
   */
  backend: InferenceBackend | null = null;
  /** The device the model runs on ('cpu', 'cuda:0'). */
  device = 'cpu';
  /** Half-precision inference on CUDA: float16 weights and inputs. */
  fp16 = false;
  /** Half-precision inference on CPU (`half` where the CPU has bf16 instructions): bfloat16 autocast, float32 weights. */
  bf16 = false;
  /** Letterbox stride: the model's largest stride, at least 32. */
  stride = 32;
  /** Inference size [h, w] after `checkImgsz`. */
  imgsz: [number, number] = [640, 640];
  dataset: InferenceDataset | null = null;
  sourceType: SourceType = { stream: false, screenshot: false, fromImg: false, tensor: false };
  /** The batch being processed, `(paths, images, infos)`: what on_predict_batch_start callbacks read. */
  batch: InferenceBatch | null = null;
  /** Results of the current batch: on_predict_postprocess_end / batch_end callbacks may read or replace them. */
  results: Results[] = [];
  /** The latest annotated image (when saving). */
  plottedImg: RgbImage | null = null;
  /** labels/<stem> of the image being written (`<stem>_<frame>` for a video frame). */
  txtPath = '';
  /** One H.264 writer per annotated video or stream being saved, by output path (Ultralytics' `vid_writer`). */
  readonly vidWriter = new Map<string, VideoWriter>();
  /** Images done in the current run. */
  seen = 0;
  doneWarmup = false;
  /** Set by `stream()` vs `predict()`: predict() warns about large sources accumulating in memory. */
  protected streaming = true;
  private lock: Promise<void> = Promise.resolve();

  constructor(options: PredictorOptions = {}) {
    this.args = getCfg(options.cfg, { mode: 'predict', ...(options.overrides ?? {}) });
    this.saveDir = getSaveDir(this.args);
    if (this.args.conf === null) this.args.conf = 0.25;
    for (const key of ['augment', 'visualize'] as const) {
      if (this.args[key]) {
        console.warn(`WARNING ⚠️ ${key}=True is not supported by the yolots predictor and is ignored`);
        this.args[key] = false;
      }
    }
    if (this.args.embed) {
      console.warn('WARNING ⚠️ embed is not supported by the yolots predictor and is ignored');
      this.args.embed = null;
    }
    if (this.args.show) {
      console.warn('WARNING ⚠️ Environment does not support cv2.imshow() or PIL Image.show(): yolots has no display, show=True is ignored');
      this.args.show = false;
    }
    this.callbacks = options.callbacks ?? new Callbacks();
  }

  addCallback(event: PredictorEvent, fn: (predictor: this) => void | Promise<void>): void {
    this.callbacks.add(event, fn as (owner: unknown) => void);
  }

  async runCallbacks(event: PredictorEvent): Promise<void> {
    await this.callbacks.run(event, this);
  }

  // ---- hooks ----------------------------------------------------------------------------------

  /** Model output → one Results per image of the batch (runs inside the batch's memory scope). */
  abstract postprocess(preds: unknown, img: Tensor, origImgs: RgbImage[]): Results[];

  /** What postprocessing did, when the speed line should say it (a task sets it, e.g. 'end-to-end top-k, no NMS'). */
  protected postprocessNote: string | null = null;

  /** Builds the model named by a path (or by `args.model` when none is given); tasks know how. */
  protected abstract loadModel(source: string | null): Model;

  /** Class names by id, of the model or the exported model's metadata. */
  get names(): Record<number, string> {
    return this.backend?.names ?? this.model?.names ?? {};
  }

  /**
   * Letterboxes each image to `imgsz`; only to a stride multiple when all images share one shape and the model
   * takes any size (as Ultralytics: a fixed-shape export always gets the full `imgsz`).
   */
  preTransform(images: RgbImage[]): RgbImage[] {
    const sameShapes = new Set(images.map((im) => `${im.height}x${im.width}`)).size === 1;
    const anySize = !this.backend?.imgsz;
    const letterbox = new LetterBox(this.imgsz, { auto: sameShapes && anySize, stride: this.stride });
    return images.map((img) => letterbox.apply(imageSample(img)).img);
  }

  /** Original images → the model input: letterboxed, BCHW RGB, float (half on CUDA with `half`) in [0, 1]. */
  preprocess(images: RgbImage[]): Tensor {
    const boxed = this.preTransform(images);
    const { height, width } = boxed[0]!;
    const pixels = new Uint8Array(boxed.length * height * width * 3);
    boxed.forEach((img, i) => {
      pixels.set(img.data, i * height * width * 3);
    });
    return torch.tidy(() =>
      torch
        .fromTypedArray(pixels, [boxed.length, height, width, 3])
        .permute(0, 3, 1, 2)
        .contiguous()
        .to(this.device)
        .to(this.fp16 ? 'float16' : 'float32')
        .div(255),
    );
  }

  /**
   * Runs the model on a preprocessed batch (the libtorch path; an exported model runs through `backend.infer`). On
   * CPU in float32 the convolutions use weights reordered once for oneDNN (`withPackedConvolutions`: yolov8n at 640,
   * ~12% less CPU time per image than reordering them on every call; SiLU fused in where the addon calls oneDNN
   * directly, ~4 ms less again).
   */
  inference(im: Tensor): unknown {
    return torch.nn.withPackedConvolutions(() => bf16Inference(this.bf16, () => (this.model as Model).call(im)));
  }

  /**
   * Resolves `source` into `this.dataset` and checks `imgsz` against the model's stride. Call after the model is
   * set up (`stride` is known then).
   */
  setupSource(source: PredictSource | null | undefined): void {
    this.imgsz = checkImgsz(this.args.imgsz, this.stride);
    if (source === null || source === undefined) {
      throw new Error('no source to predict on: pass one to predict()/stream() or set the source argument');
    }
    if (this.backend) this.fitToFixedShape(this.backend);
    this.dataset = loadInferenceSource(source, this.args.batch, console.warn, {
      vidStride: this.args.vid_stride,
      buffer: this.args.stream_buffer,
    });
    this.sourceType = this.dataset.sourceType;
    const { mode, length, videoFlag } = this.dataset;
    if (!this.streaming && (mode === 'stream' || length > 1000 || videoFlag.some(Boolean))) console.warn(STREAM_WARNING);
  }

  /**
   * Logs and saves the outputs of image `i` of the batch (its annotated image or video frame, labels/<stem>.txt,
   * crops) as the `save*` arguments ask, and returns its log text, e.g. `640x480 4 persons, 1 bus, 125.3ms`.
   */
  async writeResults(i: number, path: string, imShape: readonly number[]): Promise<string> {
    const mode = this.dataset?.mode ?? 'image';
    const frame = this.batch?.frames[i] ?? null;
    const stem = basename(path, extname(path));
    this.txtPath = join(this.saveDir, 'labels', stem + (mode === 'image' ? '' : `_${frame}`));
    const result = this.results[i]!;
    result.saveDir = this.saveDir;
    let text = mode === 'stream' ? `${i}: ` : '';
    text += `${imShape[2]}x${imShape[3]} `;
    text += `${result.verbose()}${(result.speed.inference ?? 0).toFixed(1)}ms`;
    if (this.args.save) {
      this.plottedImg = await result.plot({
        lineWidth: this.args.line_width,
        boxes: this.args.show_boxes,
        conf: this.args.show_conf,
        labels: this.args.show_labels,
      });
    }
    if (this.args.save_txt) result.saveTxt(`${this.txtPath}.txt`, this.args.save_conf);
    if (this.args.save_crop) await result.saveCrop(join(this.saveDir, 'crops'), basename(this.txtPath));
    if (this.args.save && this.plottedImg) await this.savePredictedImages(join(this.saveDir, basename(path)), frame, result.fps);
    return text;
  }

  /**
   * Saves `plottedImg`: as an image under its own name, or, for a video or stream, as the next frame of
   * `<name>.mp4` (H.264, at the source's frame rate; 30 for streams, as Ultralytics) and, with `save_frames`, as
   * `<name>_frames/<frame>.jpg`.
   */
  async savePredictedImages(savePath: string, frame: number | null, fps: number | null): Promise<void> {
    const im = this.plottedImg as RgbImage;
    const mode = this.dataset?.mode ?? 'image';
    if (mode === 'image') {
      await writeImage(im, savePath);
      return;
    }
    let writer = this.vidWriter.get(savePath);
    if (!writer) {
      writer = new VideoWriter(withSuffix(savePath, '.mp4'), { fps: mode === 'video' && fps ? fps : 30 });
      this.vidWriter.set(savePath, writer);
    }
    await writer.write(im);
    if (this.args.save_frames)
      await writeImage(im, join(dirname(savePath), `${basename(savePath, extname(savePath))}_frames`, `${frame}.jpg`));
  }

  /** Finishes every video being written (Ultralytics releases its writers when the source is exhausted). */
  async releaseVideoWriters(): Promise<void> {
    const writers = [...this.vidWriter.values()];
    this.vidWriter.clear();
    const closed = await Promise.allSettled(writers.map((w) => w.close()));
    const failure = closed.find((c): c is PromiseRejectedResult => c.status === 'rejected');
    if (failure) throw failure.reason;
  }

  // ---- setup ----------------------------------------------------------------------------------

  /**
   * Takes the model (or builds it from a path / `args.model`), moves it to the device, fuses it and switches it to
   * eval mode and float16 (`half` on CUDA) or float32, as Ultralytics' AutoBackend does; the model is changed in place.
   */
  setupModel(model?: Model | string | null): void {
    const built = typeof model === 'object' && model !== null ? model : this.loadModel(model ?? this.args.model);
    this.device = selectDevice(this.args.device);
    this.fp16 = this.args.half && this.device.startsWith('cuda');
    this.bf16 = this.args.half && this.device === 'cpu' && cpuHalfInference() === 'bf16';
    if (this.args.half && !this.fp16 && !this.bf16)
      console.warn('WARNING ⚠️ half=True needs CUDA or a CPU with bf16 instructions (AVX512-BF16 / AMX); predicting in float32');
    built.to(this.device);
    built.fuse?.(this.args.verbose);
    built.to(this.fp16 ? 'float16' : 'float32');
    // NHWC weights: CPU convolutions then skip a weight reorder on every call (the backend feeds NHWC inputs too).
    if (this.device === 'cpu') built.toMemoryFormat('channels_last');
    built.eval();
    this.args.half = this.fp16 || this.bf16;
    this.stride = Math.max(...built.stride.map((s) => Math.trunc(s)), 32);
    this.model = built;
  }

  /**
   * Takes an exported model (ONNX through onnxruntime): its stride letterboxes, its metadata names the classes;
   * it runs on the CPU in float32.
   */
  setupBackend(backend: InferenceBackend): void {
    this.device = 'cpu';
    this.fp16 = backend.fp16;
    if (this.args.half && !this.fp16)
      console.warn(`WARNING ⚠️ half=True does not apply to a float32 ${backend.format} model; predicting in float32`);
    this.args.half = this.fp16;
    this.stride = backend.stride;
    this.backend = backend;
  }

  /** A static export takes only its own batch and size: use them, saying so when the arguments asked otherwise. */
  private fitToFixedShape(backend: InferenceBackend): void {
    if (backend.imgsz && (backend.imgsz[0] !== this.imgsz[0] || backend.imgsz[1] !== this.imgsz[1])) {
      console.warn(
        `WARNING ⚠️ imgsz=[${this.imgsz.join(', ')}] differs from the fixed input of this export: using imgsz=[${backend.imgsz.join(', ')}]`,
      );
      this.imgsz = [...backend.imgsz];
    }
    if (backend.batch !== null && backend.batch !== this.args.batch) {
      if (this.args.batch !== 1)
        console.warn(`WARNING ⚠️ batch=${this.args.batch} differs from the fixed batch of this export: using batch=${backend.batch}`);
      this.args.batch = backend.batch;
    }
  }

  /** One forward pass on zeros so CUDA kernels are chosen before timing starts (CPU needs none). */
  warmup(): void {
    if (this.backend || !this.device.startsWith('cuda')) return;
    torch.noGrad(() =>
      torch.tidy(() => {
        const im = torch.zeros([1, 3, ...this.imgsz], { dtype: this.fp16 ? 'float16' : 'float32', device: this.device });
        syncDevice(this.inference(im));
      }),
    );
  }

  // ---- the loop -------------------------------------------------------------------------------

  /**
   * Results one image at a time as an async iterator; only the current batch is held, so any number of images can
   * be streamed. Runs on one predictor are serialised: a second call waits for the first to finish. `model` is a
   * network, a weights path, or an exported model (an `InferenceBackend` or a `.onnx` path, run by onnxruntime).
   */
  stream(source?: PredictSource | null, model?: Model | InferenceBackend | string | null): AsyncGenerator<Results> {
    this.streaming = true;
    return this.streamInference(source, model);
  }

  /** All results as a list (warns for sources of more than 1000 images; prefer `stream()` there). */
  async predict(source?: PredictSource | null, model?: Model | InferenceBackend | string | null): Promise<Results[]> {
    this.streaming = false;
    const results: Results[] = [];
    for await (const r of this.streamInference(source, model)) results.push(r);
    return results;
  }

  /** Runs over the source for its side effects (logs, saved files) without keeping results (the CLI's predict). */
  async predictCli(source?: PredictSource | null, model?: Model | InferenceBackend | string | null): Promise<void> {
    this.streaming = true;
    for await (const _ of this.streamInference(source, model)) {
      // results are written by writeResults; nothing to keep
    }
  }

  private async *streamInference(source?: PredictSource | null, model?: Model | InferenceBackend | string | null): AsyncGenerator<Results> {
    const previous = this.lock;
    let release = (): void => {};
    this.lock = new Promise((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      if (this.args.verbose) console.log('');
      if (!this.model && !this.backend) {
        const backend = await openExportedModel(model ?? this.args.model);
        if (backend) this.setupBackend(backend);
        else this.setupModel(model as Model | string | null | undefined);
      }
      this.setupSource(source ?? (this.args.source as PredictSource | null));
      if (this.args.save || this.args.save_txt) {
        mkdirSync(this.args.save_txt ? join(this.saveDir, 'labels') : this.saveDir, { recursive: true });
      }
      if (!this.doneWarmup) {
        this.warmup();
        this.doneWarmup = true;
      }
      this.seen = 0;
      this.batch = null;
      const totals = [0, 0, 0];
      let lastShape: number[] = [];
      let framesSinceRelease = 0;
      await this.runCallbacks('on_predict_start');
      for await (const batch of this.dataset as InferenceDataset) {
        this.batch = batch;
        await this.runCallbacks('on_predict_batch_start');
        const { paths, images, infos, frames, fps } = this.batch;
        const dt = this.backend ? await this.processBatchAsync(images, this.backend) : this.processBatch(images);
        lastShape = dt.shape;
        this.results.forEach((r, i) => {
          r.frame = frames[i] ?? null;
          r.fps = fps[i] ?? null;
        });
        await this.runCallbacks('on_predict_postprocess_end');
        const n = images.length;
        for (let i = 0; i < n; i++) {
          this.seen++;
          this.results[i]!.speed = {
            preprocess: dt.ms[0] / n,
            inference: dt.ms[1] / n,
            postprocess: dt.ms[2] / n,
          };
          if (this.args.verbose || this.args.save || this.args.save_txt) {
            infos[i] += await this.writeResults(i, paths[i]!, lastShape);
          }
        }
        dt.ms.forEach((ms, k) => {
          totals[k] = totals[k]! + ms;
        });
        if (this.args.verbose) console.log(infos.join('\n'));
        await this.runCallbacks('on_predict_batch_end');
        yield* this.results;
        if (this.dataset?.mode !== 'image') framesSinceRelease += n;
        if (framesSinceRelease >= RELEASE_EVERY_FRAMES) {
          torch.releaseMemory();
          framesSinceRelease = 0;
        }
      }
      await this.releaseVideoWriters();
      if (this.args.verbose && this.seen) {
        const [pre, inf, post] = totals.map((t) => (t / this.seen).toFixed(1));
        const shape = [Math.min(this.args.batch, this.seen), 3, lastShape[2], lastShape[3]].join(', ');
        const note = this.postprocessNote ? ` (${this.postprocessNote})` : '';
        console.log(`Speed: ${pre}ms preprocess, ${inf}ms inference, ${post}ms postprocess${note} per image at shape (${shape})`);
      }
      if (this.args.save || this.args.save_txt || this.args.save_crop) {
        const labels = join(this.saveDir, 'labels');
        const nl = this.args.save_txt ? countTxtFiles(labels) : 0;
        const s = this.args.save_txt ? `\n${nl} label${nl > 1 ? 's' : ''} saved to ${labels}` : '';
        console.log(`Results saved to ${bold(this.saveDir)}${s}`);
      }
      await this.runCallbacks('on_predict_end');
    } finally {
      // Reached early too, when the caller stops iterating or a batch fails: stop decoders, finish the videos.
      this.dataset?.close();
      await this.releaseVideoWriters().catch((error: unknown) => console.warn(`WARNING ⚠️ ${(error as Error).message}`));
      release();
    }
  }

  /** preprocess → inference → postprocess in one memory scope, timed; sets `this.results`. */
  private processBatch(images: RgbImage[]): { ms: [number, number, number]; shape: number[] } {
    return torch.noGrad(() =>
      torch.tidy(() => {
        let start = performance.now();
        const im = this.preprocess(images);
        const pre = performance.now() - start;
        start = performance.now();
        const preds = this.inference(im);
        syncDevice(preds);
        const inf = performance.now() - start;
        start = performance.now();
        this.results = this.postprocess(preds, im, images);
        const post = performance.now() - start;
        return { ms: [pre, inf, post] as [number, number, number], shape: [...im.shape] };
      }),
    );
  }

  /**
   * As `processBatch` for an async backend: preprocess in one scope, `await backend.infer`, postprocess in another;
   * the input and the raw predictions are freed here.
   */
  private async processBatchAsync(
    images: RgbImage[],
    backend: InferenceBackend,
  ): Promise<{ ms: [number, number, number]; shape: number[] }> {
    let start = performance.now();
    const im = torch.tidy(() => this.preprocess(images));
    const pre = performance.now() - start;
    try {
      start = performance.now();
      const preds = await inferBackend(backend, im);
      const inf = performance.now() - start;
      try {
        start = performance.now();
        this.results = torch.noGrad(() => torch.tidy(() => this.postprocess(preds, im, images)));
        const post = performance.now() - start;
        return { ms: [pre, inf, post], shape: [...im.shape] };
      } finally {
        torch.dispose(preds);
      }
    } finally {
      im.dispose();
    }
  }
}

/** Whether a model argument is a ready inference backend (an opened export) rather than a network or a path. */
export function isInferenceBackend(model: unknown): model is InferenceBackend {
  return (
    typeof model === 'object' &&
    model !== null &&
    !(model instanceof torch.nn.Module) &&
    typeof (model as InferenceBackend).infer === 'function'
  );
}

/**
 * Ultralytics' AutoBackend switch for exported models: a backend is used as is, a `.onnx` path is opened with
 * onnxruntime-node; anything else (a network, weights, a YAML) resolves to null, for the libtorch path.
 */
export async function openExportedModel(model: unknown): Promise<InferenceBackend | null> {
  if (isInferenceBackend(model)) return model;
  if (typeof model === 'string' && model.toLowerCase().endsWith('.onnx')) return loadOnnxBackend(model);
  return null;
}

/**
 * `backend.inferAll(img)`, padding a short last batch with zero images for a fixed-batch export and dropping their
 * outputs: the model's output as postprocess takes it, one tensor (detect, classify) or the outputs in graph order
 * ([pred, protos] for segment). The tensors belong to the caller.
 */
export async function inferBackend(backend: InferenceBackend, img: Tensor): Promise<Tensor | Tensor[]> {
  const n = img.shape[0]!;
  const asOutput = (outputs: Tensor[]): Tensor | Tensor[] => (outputs.length === 1 ? outputs[0]! : outputs);
  if (backend.batch === null || n >= backend.batch) return asOutput(await backend.inferAll(img));
  const fixedBatch = backend.batch;
  const padded = torch.tidy(() =>
    torch.cat([img, torch.zeros([fixedBatch - n, ...img.shape.slice(1)], { dtype: img.dtype, device: img.device })]),
  );
  try {
    const outputs = await backend.inferAll(padded);
    try {
      return asOutput(torch.tidy(() => outputs.map((out) => out.narrow(0, 0, n).contiguous())));
    } finally {
      torch.dispose(outputs);
    }
  } finally {
    padded.dispose();
  }
}

/** Waits for queued CUDA work by reading one value back, so stage timings are real (a no-op on CPU). */
function syncDevice(output: unknown): void {
  const first = firstTensor(output);
  if (first === null || !first.device.startsWith('cuda') || first.numel() === 0) return;
  torch.tidy(() => first.flatten().narrow(0, 0, 1).item());
}

/** The first tensor in a model output: the output itself, its first item, or its first field. */
function firstTensor(output: unknown): Tensor | null {
  if (output instanceof torch.Tensor) return output;
  if (typeof output !== 'object' || output === null) return null;
  const items = Array.isArray(output) ? output : Object.values(output);
  return items.find((item): item is Tensor => item instanceof torch.Tensor) ?? null;
}

/** A Sample holding only an image, for LetterBox (which also moves boxes; there are none here). */
function imageSample(img: RgbImage): Sample {
  return {
    img,
    cls: new Float32Array(0),
    instances: new Instances(new Float32Array(0), 'xyxy', false),
    imFile: '',
    oriShape: [img.height, img.width],
    resizedShape: [img.height, img.width],
  };
}

/** pathlib's `with_suffix`: the last suffix of the name replaced (or added). */
function withSuffix(path: string, suffix: string): string {
  return join(dirname(path), basename(path, extname(path)) + suffix);
}

function countTxtFiles(dir: string): number {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.txt')).length;
  } catch {
    return 0;
  }
}
