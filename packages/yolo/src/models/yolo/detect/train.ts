// DetectionTrainer: the detection specifics of training — YOLO dataset and loader, /255 preprocessing on the device
// (and multi-scale), DetectionModel, DetectionValidator, loss names and plots.
import * as torch from '@yolots/torch';
import { dataArgsFrom } from '../../../data/args.js';
import { toBatch } from '../../../data/batch.js';
import { buildDataloader, buildYoloDataset } from '../../../data/build.js';
import { batchImagesToInput } from '../../../engine/device.js';
import type { ModelCfg, StateDict } from '../../../engine/model-types.js';
import type { TrainLoader } from '../../../engine/task-types.js';
import { BaseTrainer } from '../../../engine/trainer.js';
import type { TrainValidator } from '../../../engine/validation-context.js';
import { Detect } from '../../../nn/modules/head.js';
import { DetectionModel } from '../../../nn/tasks.js';
import { detectionLossNames } from '../../../utils/loss-e2e.js';
import { loadMatchingWeights } from '../../../utils/transfer.js';
import { resolveDataset } from './data.js';
import { readWeightsFile } from './load.js';
import { plotDetectionLabels, plotDetectionMetrics, plotTrainingBatch } from './plots.js';
import { asTaskType, type DetectTypes } from './types.js';
import { DetectionValidator } from './val.js';

/**
 * Trains a YOLO detector. A task built on detection (segment, pose) extends it with its own types
 * (`DetectionTrainer<SegmentTypes>`) and overrides the hooks that make what its types change: the model
 * (`getModel`), the batch (`toBatch`, `preprocessBatch`), the validator (`getValidator`).
 *
 * @example
 * const trainer = new DetectionTrainer({ overrides: { model: 'yolov8n.yaml', data: 'coco8.yaml', epochs: 3 } });
 * await trainer.train();
 * console.log(trainer.best);
 */
export class DetectionTrainer<T extends DetectTypes = DetectTypes> extends BaseTrainer<T> {
  /** Ultralytics' names; the model can change the third (YOLO26's reg_max 1: 'l1_loss', set in setModelAttributes). */
  lossNames: readonly string[] = ['box_loss', 'cls_loss', 'dfl_loss'];
  /** The training dataset, once built (its labels feed labels.jpg). */
  trainDataset: T['dataset'] | null = null;

  async getDataset(): Promise<[T['source'], T['source']]> {
    const data = await resolveDataset(this.args.data);
    this.data = asTaskType<T, 'data'>('data', this.args.single_cls ? { ...data, names: ['item'], nc: 1 } : data);
    return [asTaskType<T, 'source'>('source', data.train), asTaskType<T, 'source'>('source', data.val)];
  }

  async buildDataset(imgPath: T['source'], mode: 'train' | 'val', batch: number): Promise<T['dataset']> {
    const gs = Math.max(...(this.model ? this.model.stride : [32]), 32);
    const dataset = await buildYoloDataset(dataArgsFrom(this.args), imgPath, batch, this.data, mode, mode === 'val', gs);
    return asTaskType<T, 'dataset'>('dataset', dataset);
  }

  async getDataloader(datasetPath: T['source'], batchSize: number, rank: number, mode: 'train' | 'val'): Promise<TrainLoader<T['raw']>> {
    const dataset = await this.buildDataset(datasetPath, mode, batchSize);
    if (mode === 'train') this.trainDataset = dataset;
    const workers = mode === 'train' ? this.args.workers : this.validationWorkers();
    // Detection's loader yields RawBatch; a task whose raw batches add labels gets them from its dataset (see asTaskType).
    return buildDataloader(dataset, batchSize, workers, mode === 'train', rank, this.worldSize) as TrainLoader<T['raw']>;
  }

  toBatch(raw: T['raw']): T['batch'] {
    return asTaskType<T, 'batch'>('batch', toBatch(raw));
  }

  /** The images to the device as float in [0, 1]; with `multi_scale`, a random size in [0.5, 1.5)·imgsz (stride multiple). */
  override preprocessBatch(batch: T['batch']): T['batch'] {
    let img = batchImagesToInput(batch.img, this.device);
    if (this.args.multi_scale) {
      const gs = Math.max(...this.net.stride, 32);
      const imgsz = this.args.imgsz as number;
      const u = torch.tidy(() => torch.rand([1]).item()); // seeded, unlike Math.random
      const size = Math.floor((imgsz * 0.5 + u * (imgsz * 1.5 + gs - imgsz * 0.5)) / gs) * gs;
      const [, , h, w] = img.shape as [number, number, number, number];
      const sf = size / Math.max(h, w);
      if (sf !== 1) {
        const shape = [Math.ceil((h * sf) / gs) * gs, Math.ceil((w * sf) / gs) * gs] as [number, number];
        img = torch.F.interpolate(img, { size: shape, mode: 'bilinear', alignCorners: false });
      }
    }
    return { ...batch, img };
  }

  override setModelAttributes(): void {
    const model = this.net;
    model.nc = this.data.nc;
    model.names = Object.fromEntries(this.data.names.map((n, i) => [i, n]));
    model.args = this.args;
    // Ultralytics 8.4 logs the L1 distance term of a reg_max-1 head (YOLO26) as l1_loss.
    const head = model instanceof DetectionModel ? model.model.at(model.model.length - 1) : null;
    if (head instanceof Detect && head.v84 && this.lossNames.length === 3) this.lossNames = detectionLossNames(head.regMax);
  }

  getModel(cfg: ModelCfg | null, weights: StateDict | null, verbose = true): T['model'] {
    const model = new DetectionModel(cfg ?? 'yolov8n.yaml', { nc: this.data.nc, verbose });
    if (weights) loadMatchingWeights(model, weights);
    return asTaskType<T, 'model'>('model', model);
  }

  protected loadModelFile(path: string): [Record<string, unknown>, StateDict] {
    const { cfg, weights } = readWeightsFile(path);
    return [cfg, weights];
  }

  getValidator(): TrainValidator<T> {
    return new DetectionValidator<T>({ args: { ...this.args }, saveDir: this.saveDir, callbacks: this.callbacks });
  }

  override async plotTrainingSamples(batch: T['raw'], ni: number): Promise<void> {
    await plotTrainingBatch(batch, this.data.names, this.saveDir, ni);
  }

  override async plotTrainingLabels(): Promise<void> {
    if (this.trainDataset) await plotDetectionLabels(this.trainDataset, this.data.names, this.saveDir);
  }

  override async plotMetrics(): Promise<void> {
    await plotDetectionMetrics(this.csv, this.saveDir);
  }
}
