// ClassificationTrainer (Ultralytics' models/yolo/classify/train.py): folder-per-class data, a ClassificationModel,
// cross-entropy loss, the classification validator and plots, on the generic training loop.
import { ClassificationDataset, type ClassifyDataArgs } from '../../../data/classify/dataset.js';
import { ClassificationLoader } from '../../../data/classify/loader.js';
import { batchImagesToInput } from '../../../engine/device.js';
import type { ModelCfg, StateDict } from '../../../engine/model-types.js';
import type { TrainLoader } from '../../../engine/task-types.js';
import { BaseTrainer, type TrainerOptions } from '../../../engine/trainer.js';
import type { TrainValidator } from '../../../engine/validation-context.js';
import { ClassificationModel } from '../../../nn/classification-model.js';
import { loadMatchingWeights } from '../../../utils/transfer.js';
import { readWeightsFile } from '../detect/load.js';
import { resolveClassifyDataset, splitFolder } from './data.js';
import { batchPlotFile, plotClassifyBatch, plotClassifyResults } from './plots.js';
import type { ClassifyBatch, ClassifyTypes } from './types.js';
import { ClassificationValidator, classifyDataArgs, toClassifyBatch } from './val.js';

/**
 * Trains a YOLO image classifier. Customised like DetectionTrainer: override `getModel`, `getDataloader`,
 * `buildDataset`, `preprocessBatch`, the plots, or add callbacks.
 *
 * @example
 * const trainer = new ClassificationTrainer({ overrides: { model: 'yolov8n-cls.yaml', epochs: 3, imgsz: 64 } });
 * await trainer.train(); // no data: the built-in shapes crops
 * console.log(trainer.best); // runs/classify/train/weights/best.safetensors
 */
export class ClassificationTrainer<T extends ClassifyTypes = ClassifyTypes> extends BaseTrainer<T> {
  readonly lossNames: readonly string[] = ['loss'];

  constructor(options: TrainerOptions = {}) {
    const overrides = options.overrides ?? {};
    // Ultralytics: classification trains at 224 unless imgsz is given.
    super({ ...options, overrides: { ...overrides, task: 'classify', imgsz: overrides.imgsz ?? 224 } });
    this.args.model ??= 'yolov8n-cls.yaml'; // the engine's default model is a detector
  }

  async getDataset(): Promise<[T['source'], T['source']]> {
    const data = await resolveClassifyDataset(this.args.data);
    this.data = data as T['data'];
    return [data.train as T['source'], splitFolder(data, 'val') as T['source']];
  }

  async buildDataset(imgPath: T['source'], mode: 'train' | 'val', _batch: number): Promise<T['dataset']> {
    return (await ClassificationDataset.create(imgPath, this.dataArgs(), mode === 'train', mode)) as T['dataset'];
  }

  /** The dataset arguments of this run. */
  protected dataArgs(): ClassifyDataArgs {
    return classifyDataArgs(this.args);
  }

  async getDataloader(datasetPath: T['source'], batchSize: number, rank: number, mode: 'train' | 'val'): Promise<TrainLoader<T['raw']>> {
    const dataset = await this.buildDataset(datasetPath, mode, batchSize);
    // Training batches are shuffled; validation batches stay in folder order (the metrics do not depend on it).
    return new ClassificationLoader(dataset, {
      batchSize,
      shuffle: mode === 'train',
      workers: mode === 'train' ? this.args.workers : this.validationWorkers(),
      rank: Math.max(rank, 0),
      worldSize: mode === 'train' ? this.worldSize : 1,
    }) as unknown as TrainLoader<T['raw']>;
  }

  toBatch(raw: T['raw']): T['batch'] {
    return toClassifyBatch(raw) as T['batch'];
  }

  /** The images to the device as float in [0, 1] (ToTensor), the classes with them. */
  override preprocessBatch(batch: T['batch']): T['batch'] {
    const img = batchImagesToInput(batch.img, this.device);
    return { ...batch, img, cls: batch.cls.to(this.device) } as ClassifyBatch as T['batch'];
  }

  override setModelAttributes(): void {
    const model = this.net;
    model.nc = this.data.nc;
    model.names = Object.fromEntries(this.data.names.map((n, i) => [i, n]));
    model.args = this.args;
  }

  /** A ClassificationModel for the dataset's classes; `dropout` sets the head's dropout; every parameter trains. */
  getModel(cfg: ModelCfg | null, weights: StateDict | null, verbose = true): T['model'] {
    const model = new ClassificationModel(cfg ?? 'yolov8n-cls.yaml', { nc: this.data.nc, verbose });
    if (weights) loadMatchingWeights(model, weights);
    if (this.args.dropout) model.head.drop.p = this.args.dropout;
    for (const p of model.parameters()) if (!p.requiresGrad) p.requiresGrad_(true);
    return model as T['model'];
  }

  protected loadModelFile(path: string): [Record<string, unknown>, StateDict] {
    const { cfg, weights } = readWeightsFile(path);
    return [cfg, weights];
  }

  getValidator(): TrainValidator<T> {
    return new ClassificationValidator<T>({ args: { ...this.args }, saveDir: this.saveDir, callbacks: this.callbacks });
  }

  override async plotTrainingSamples(batch: T['raw'], ni: number): Promise<void> {
    await plotClassifyBatch(batch, batch.cls, this.data.names, batchPlotFile(this.saveDir, `train_batch${ni}.jpg`));
  }

  override async plotMetrics(): Promise<void> {
    await plotClassifyResults(this.csv, this.saveDir);
  }
}
