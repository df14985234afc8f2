// DetectionTrainer: the detection specifics of training — YOLO dataset and loader, /255 preprocessing (and
// multi-scale), DetectionModel, DetectionValidator, loss names and plots.
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { dataArgsFrom } from '../../../data/args.js';
import type { Batch } from '../../../data/batch.js';
import { buildDataloader, buildYoloDataset } from '../../../data/build.js';
import type { RawBatch } from '../../../data/collate.js';
import type { YOLODataset } from '../../../data/dataset.js';
import { BaseTrainer, type TrainLoader } from '../../../engine/trainer.js';
import { DetectionModel } from '../../../nn/tasks.js';
import { loadMatchingWeights } from '../../../utils/transfer.js';
import { resolveDataset } from './data.js';
import { readWeightsFile } from './load.js';
import { plotDetectionLabels, plotDetectionMetrics, plotTrainingBatch } from './plots.js';
import { DetectionValidator } from './val.js';

/**
 * Trains a YOLO detector.
 * @example
 * const trainer = new DetectionTrainer({ overrides: { model: 'yolov8n.yaml', data: 'coco8.yaml', epochs: 3 } });
 * await trainer.train();
 * console.log(trainer.best);
 */
export class DetectionTrainer extends BaseTrainer<DetectionModel> {
  /** The training dataset, once built (labels feed labels.jpg). */
  trainDataset: YOLODataset | null = null;

  async getDataset(): Promise<[unknown, unknown]> {
    const data = await resolveDataset(this.args.data);
    this.data = { ...data, names: data.names, nc: data.nc };
    if (this.args.single_cls) this.data = { ...this.data, names: ['item'], nc: 1 };
    return [data.train, data.val ?? data.test];
  }

  async buildDataset(imgPath: unknown, mode: 'train' | 'val', batch: number): Promise<YOLODataset> {
    const gs = Math.max(...(this.model && typeof this.model !== 'string' ? this.model.stride : [32]), 32);
    return buildYoloDataset(dataArgsFrom(this.args), imgPath as string[], batch, this.data, mode, mode === 'val', gs);
  }

  async getDataloader(datasetPath: unknown, batchSize: number, rank: number, mode: 'train' | 'val'): Promise<TrainLoader> {
    const dataset = await this.buildDataset(datasetPath, mode, batchSize);
    if (mode === 'train') this.trainDataset = dataset;
    const shuffle = mode === 'train';
    const workers = mode === 'train' ? this.args.workers : this.args.workers * 2;
    const loader = buildDataloader(dataset, batchSize, workers, shuffle, rank);
    return Object.assign(loader, { closeMosaic: () => dataset.closeMosaic() });
  }

  /** uint8 → float in [0, 1]; with `multi_scale`, a random size in [0.5, 1.5)·imgsz (stride multiple). */
  override preprocessBatch(batch: Batch): Batch {
    let img: Tensor = batch.img.float().div(255);
    if (img.device === 'cpu') img = img.contiguous('channels_last'); // the layout of the weights (see setupTrain)
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
  }

  getModel(cfg: string | Record<string, unknown> | null, weights: Map<string, Tensor> | null, verbose = true): DetectionModel {
    const model = new DetectionModel(cfg ?? 'yolov8n.yaml', { nc: this.data.nc, verbose });
    if (weights) loadMatchingWeights(model, weights);
    return model;
  }

  protected loadModelFile(path: string): [Record<string, unknown>, Map<string, Tensor>] {
    const { cfg, weights } = readWeightsFile(path);
    return [cfg, weights];
  }

  getValidator(): DetectionValidator {
    this.lossNames = ['box_loss', 'cls_loss', 'dfl_loss'];
    return new DetectionValidator({
      args: { ...this.args },
      saveDir: this.saveDir,
      callbacks: this.callbacks,
      dataloader: this.testLoader as never,
    });
  }

  override async plotTrainingSamples(batch: RawBatch, ni: number): Promise<void> {
    await plotTrainingBatch(batch, this.data.names, this.saveDir, ni);
  }

  override async plotTrainingLabels(): Promise<void> {
    if (this.trainDataset) await plotDetectionLabels(this.trainDataset, this.data.names, this.saveDir);
  }

  override async plotMetrics(): Promise<void> {
    await plotDetectionMetrics(this.csv, this.saveDir);
  }
}
