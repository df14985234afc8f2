// SegmentationTrainer (Ultralytics' models/yolo/segment/train.py): DetectionTrainer with a SegmentationModel, batches
// with masks, the segmentation validator and loss names, and mask-aware plots.
import { dataArgsFrom } from '../../../data/args.js';
import { toBatch } from '../../../data/batch.js';
import { buildYoloDataset } from '../../../data/build.js';
import type { ModelCfg, StateDict } from '../../../engine/model-types.js';
import type { TrainValidator } from '../../../engine/validation-context.js';
import { SegmentationModel } from '../../../nn/segmentation-model.js';
import { loadMatchingWeights } from '../../../utils/transfer.js';
import { DetectionTrainer } from '../detect/train.js';
import { resolveSegmentDataset } from './data.js';
import { plotSegmentationResults } from './plots.js';
import type { SegmentTypes } from './types.js';
import { SegmentationValidator } from './val.js';

/**
 * Trains a YOLO instance segmentation model. Customised like DetectionTrainer: override `getModel`,
 * `getDataloader`, `buildDataset`, `preprocessBatch`, the plots, or add callbacks.
 *
 * @example
 * const trainer = new SegmentationTrainer({ overrides: { model: 'yolov8n-seg.yaml', epochs: 3, imgsz: 160 } });
 * await trainer.train(); // no data: the built-in shapes dataset with polygon labels
 * console.log(trainer.best); // runs/segment/train/weights/best.safetensors
 */
export class SegmentationTrainer<T extends SegmentTypes = SegmentTypes> extends DetectionTrainer<T> {
  override readonly lossNames: readonly string[] = ['box_loss', 'seg_loss', 'cls_loss', 'dfl_loss'];

  constructor(options: ConstructorParameters<typeof DetectionTrainer>[0] = {}) {
    super({ ...options, overrides: { ...(options.overrides ?? {}), task: 'segment' } });
    this.args.model ??= 'yolov8n-seg.yaml'; // the engine's default model is a detector
  }

  override async getDataset(): Promise<[T['source'], T['source']]> {
    const data = await resolveSegmentDataset(this.args.data);
    this.data = (this.args.single_cls ? { ...data, names: ['item'], nc: 1 } : data) as T['data'];
    return [data.train as T['source'], data.val as T['source']];
  }

  override async buildDataset(imgPath: T['source'], mode: 'train' | 'val', batch: number): Promise<T['dataset']> {
    const gs = Math.max(...(this.model ? this.model.stride : [32]), 32);
    const args = { ...dataArgsFrom(this.args), task: 'segment' };
    return (await buildYoloDataset(args, imgPath, batch, this.data, mode, mode === 'val', gs)) as T['dataset'];
  }

  override toBatch(raw: T['raw']): T['batch'] {
    const batch = toBatch(raw);
    if (!batch.masks) throw new Error('SegmentationTrainer: the batch has no masks; its dataset was not built with task=segment');
    return batch as T['batch'];
  }

  /** DetectionTrainer's image preprocessing, and the masks to the device. */
  override preprocessBatch(batch: T['batch']): T['batch'] {
    const out = super.preprocessBatch(batch);
    return { ...out, masks: out.masks.to(this.device) };
  }

  override getModel(cfg: ModelCfg | null, weights: StateDict | null, verbose = true): T['model'] {
    const model = new SegmentationModel(cfg ?? 'yolov8n-seg.yaml', { nc: this.data.nc, verbose });
    if (weights) loadMatchingWeights(model, weights);
    return model as T['model'];
  }

  override getValidator(): TrainValidator<T> {
    return new SegmentationValidator<T>({ args: { ...this.args }, saveDir: this.saveDir, callbacks: this.callbacks });
  }

  override async plotMetrics(): Promise<void> {
    await plotSegmentationResults(this.csv, this.saveDir);
  }
}
