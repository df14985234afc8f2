// ClassificationValidator (Ultralytics' models/yolo/classify/val.py): top-1 / top-5 accuracy and the confusion
// matrix of a classifier's softmax output over a split folder; val loss during training.
import * as torch from '@yolots/torch';
import type { Args } from '../../../cfg/args.js';
import { ClassificationDataset, type ClassifyDataArgs } from '../../../data/classify/dataset.js';
import { ClassificationLoader, type ClassifyRawBatch } from '../../../data/classify/loader.js';
import { batchImagesToInput } from '../../../engine/device.js';
import { isInferenceBackend } from '../../../engine/predictor.js';
import type { BatchLoader } from '../../../engine/task-types.js';
import { BaseValidator } from '../../../engine/validator.js';
import type { InferenceBackend } from '../../../nn/autobackend.js';
import { CLASSIFY_METRIC_KEYS, ClassifyConfusionMatrix, ClassifyMetrics } from '../../../utils/metrics-classify.js';
import { formatG } from '../../../utils/results-csv.js';
import { resolveClassifyDataset, splitFolder } from './data.js';
import { loadClassificationModel } from './load.js';
import { batchPlotFile, plotClassifyBatch, plotClassifyConfusion } from './plots.js';
import type { ClassifyBatch, ClassifyTypes } from './types.js';

/** A loader batch as tensors: uint8 images and int64 classes. */
export function toClassifyBatch(raw: ClassifyRawBatch): ClassifyBatch {
  return {
    img: torch.fromTypedArray(raw.img, [...raw.imgShape]),
    cls: torch.fromTypedArray(raw.cls, [raw.cls.length]).long(),
    imFile: raw.imFile,
  };
}

/** The dataset arguments of a run's args (imgsz as one size). */
export function classifyDataArgs(args: Args): ClassifyDataArgs {
  const imgsz = Array.isArray(args.imgsz) ? Math.max(...(args.imgsz as number[])) : (args.imgsz as number);
  return {
    imgsz,
    fraction: args.fraction,
    scale: args.scale,
    fliplr: args.fliplr,
    flipud: args.flipud,
    erasing: args.erasing,
    auto_augment: (args.auto_augment as string | null) ?? null,
    hsv_h: args.hsv_h,
    hsv_s: args.hsv_s,
    hsv_v: args.hsv_v,
    crop_fraction: args.crop_fraction,
    seed: args.seed,
    cache: args.cache as boolean | string | null,
  };
}

/**
 * Validates a classifier: each image's top-min(nc, 5) classes against its folder's class.
 *
 * @example
 * const validator = new ClassificationValidator({ args: { data: 'datasets/pets', imgsz: 224 } });
 * const metrics = await validator.run({ model: 'runs/classify/train/weights/best.safetensors' });
 * metrics['metrics/accuracy_top1'];
 */
export class ClassificationValidator<T extends ClassifyTypes = ClassifyTypes> extends BaseValidator<T> {
  metrics = new ClassifyMetrics();
  confusionMatrix: ClassifyConfusionMatrix | null = null;
  /** Per image: its top-k classes (k = min(nc, 5)) and true class, collected over the run. */
  pred: Int32Array[] = [];
  targets: number[] = [];

  constructor(options: ConstructorParameters<typeof BaseValidator<T>>[0] = {}) {
    super({ ...options, args: { ...(options.args ?? {}), task: 'classify' } });
  }

  get metricKeys(): string[] {
    return [...CLASSIFY_METRIC_KEYS];
  }

  getDesc(): string {
    return `${'classes'.padStart(22)}${'top1_acc'.padStart(11)}${'top5_acc'.padStart(11)}`;
  }

  initMetrics(model: T['model'] | InferenceBackend): void {
    this.names = model.names ?? {};
    this.nc = Object.keys(this.names).length;
    this.confusionMatrix = new ClassifyConfusionMatrix(this.nc);
    this.pred = [];
    this.targets = [];
  }

  toBatch(raw: T['raw']): T['batch'] {
    return toClassifyBatch(raw) as T['batch'];
  }

  override preprocess(batch: T['batch']): T['batch'] {
    return { ...batch, img: batchImagesToInput(batch.img, this.device), cls: batch.cls.to(this.device) } as T['batch'];
  }

  postprocess(preds: unknown): T['preds'] {
    const out = Array.isArray(preds) ? preds[0] : preds;
    if (!(out instanceof torch.Tensor)) throw new TypeError('ClassificationValidator: the model output is not a (B, nc) tensor');
    return out as T['preds'];
  }

  updateMetrics(preds: T['preds'], batch: T['batch']): void {
    const k = Math.min(this.nc, 5);
    const top = preds.argsort(1, true).narrow(1, 0, k).to({ dtype: 'int32', device: 'cpu' }).contiguous().toTypedArray() as Int32Array;
    for (let i = 0; i < top.length / k; i++) this.pred.push(top.slice(i * k, (i + 1) * k));
    this.targets.push(...batch.cls.cpu().toArray());
  }

  finalizeMetrics(): void {
    this.confusionMatrix?.processClsPreds(
      this.pred.map((row) => row[0] as number),
      this.targets,
    );
  }

  getStats(): Record<string, number> {
    this.metrics.process(this.targets, this.pred);
    return this.metrics.resultsDict;
  }

  printResults(): void {
    console.log(`${'all'.padStart(22)}${formatG(this.metrics.top1, 3).padStart(11)}${formatG(this.metrics.top5, 3).padStart(11)}`);
  }

  override async plotMetrics(): Promise<void> {
    if (this.confusionMatrix) await plotClassifyConfusion(this.confusionMatrix.toArray(), this.classNames(), this.saveDir);
  }

  override async plotValSamples(batch: T['raw'], ni: number): Promise<void> {
    await plotClassifyBatch(batch, batch.cls, this.classNames(), batchPlotFile(this.saveDir, `val_batch${ni}_labels.jpg`));
  }

  override async plotPredictions(batch: T['raw'], preds: T['preds'], ni: number): Promise<void> {
    const top1 = preds.argmax(1).cpu().toArray();
    await plotClassifyBatch(batch, top1, this.classNames(), batchPlotFile(this.saveDir, `val_batch${ni}_pred.jpg`));
  }

  private classNames(): string[] {
    return Array.from({ length: this.nc }, (_, i) => this.names[i] ?? String(i));
  }

  async getDataloader(datasetPath: T['source'], batchSize: number): Promise<BatchLoader<T['raw']>> {
    const dataset = await ClassificationDataset.create(datasetPath, classifyDataArgs(this.args), false, this.args.split);
    return new ClassificationLoader(dataset, { batchSize, shuffle: false, workers: this.args.workers }) as unknown as BatchLoader<T['raw']>;
  }

  protected async setupStandalone(
    model: T['model'] | InferenceBackend | string | null,
  ): Promise<[T['model'] | InferenceBackend, T['source']]> {
    let net: T['model'] | InferenceBackend;
    if (isInferenceBackend(model)) net = model;
    else {
      net = typeof model === 'string' || model === null ? (loadClassificationModel(model ?? 'yolov8n-cls.yaml') as T['model']) : model;
      net.fuse();
    }
    const data = await resolveClassifyDataset(this.args.data);
    this.nc = data.nc;
    return [net, splitFolder(data, this.args.split) as T['source']];
  }
}
