// SegmentationValidator (Ultralytics' models/yolo/segment/val.py): NMS with mask coefficients, masks from the
// prototypes, box and mask matching at IoU 0.50:0.05:0.95, SegmentMetrics, confusion matrix, txt output.
import { basename, extname, join } from 'node:path';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { dataArgsFrom } from '../../../data/args.js';
import { toBatch } from '../../../data/batch.js';
import { buildDataloader, buildYoloDataset } from '../../../data/build.js';
import { isInferenceBackend } from '../../../engine/predictor.js';
import { Results } from '../../../engine/results.js';
import type { BatchLoader } from '../../../engine/task-types.js';
import { BaseValidator } from '../../../engine/validator.js';
import type { InferenceBackend } from '../../../nn/autobackend.js';
import { boxIou, ConfusionMatrix, IOUV, matchPredictions } from '../../../utils/metrics.js';
import { maskTruePositives, SegmentMetrics } from '../../../utils/metrics-segment.js';
import { nonMaxSuppression } from '../../../utils/nms.js';
import { scaleBoxes, xywh2xyxy } from '../../../utils/ops.js';
import { processMask, processMaskNative } from '../../../utils/ops-mask.js';
import { bincount, printMetricsTable } from '../../../utils/val-table.js';
import { plotValBatchLabels, plotValBatchPredictions } from '../detect/plots.js';
import { resolveSegmentDataset } from './data.js';
import { loadSegmentationModel } from './load.js';
import { type PredictedMasks, plotSegmentationCurves } from './plots.js';
import { segmentOutputs } from './predict.js';
import type { SegmentTypes } from './types.js';

/** Per-detection matching results of a run, and the labels' classes. */
interface Stats {
  tp: number[];
  tpM: number[];
  conf: number[];
  predCls: number[];
  targetCls: number[];
  /** Classes present in each image's labels (for the per-class image counts). */
  targetImg: number[];
}

const emptyStats = (): Stats => ({ tp: [], tpM: [], conf: [], predCls: [], targetCls: [], targetImg: [] });

/**
 * Validates a segmentation model: box metrics as DetectionValidator, and the same matching on mask IoU, the GT masks
 * compared at 1/mask_ratio of the input (proto resolution) — or at the input size with `save_txt`, whose polygons
 * come from full-size masks.
 *
 * @example
 * const validator = new SegmentationValidator({ args: { data: 'coco8-seg.yaml', imgsz: 320 } });
 * const metrics = await validator.run({ model: 'runs/segment/train/weights/best.safetensors' });
 * metrics['metrics/mAP50-95(M)'];
 */
export class SegmentationValidator<T extends SegmentTypes = SegmentTypes> extends BaseValidator<T> {
  metrics = new SegmentMetrics();
  confusionMatrix: ConfusionMatrix | null = null;
  /** Labels per class and images per class, after `getStats`. */
  ntPerClass = new Int32Array(0);
  ntPerImage = new Int32Array(0);
  private stats: Stats = emptyStats();
  /** Predicted masks of the current batch (15 per image) for val_batch*_pred.jpg. */
  private plotMasks: Uint8Array[] = [];
  private plotMaskShape: [number, number] | null = null;

  constructor(options: ConstructorParameters<typeof BaseValidator<T>>[0] = {}) {
    super(options);
    this.args.task = 'segment';
  }

  get metricKeys(): string[] {
    return this.metrics.keys;
  }

  getDesc(): string {
    return ['Class', 'Images', 'Instances', 'Box(P', 'R', 'mAP50', 'mAP50-95)', 'Mask(P', 'R', 'mAP50', 'mAP50-95)']
      .map((s, i) => (i === 0 ? s.padStart(22) : s.padStart(11)))
      .join('');
  }

  toBatch(raw: T['raw']): T['batch'] {
    const batch = toBatch(raw);
    if (!batch.masks) throw new Error('SegmentationValidator: the batch has no masks; build the dataset with task=segment');
    return batch as T['batch'];
  }

  /** Moves the images as BaseValidator does, and the masks to the device as float. */
  override preprocess(batch: T['batch']): T['batch'] {
    const moved = super.preprocess(batch);
    return { ...moved, masks: moved.masks.to(this.device).float() };
  }

  initMetrics(model: T['model'] | InferenceBackend): void {
    this.names = model.names;
    this.nc = Object.keys(model.names).length;
    this.metrics = new SegmentMetrics(this.names);
    this.confusionMatrix = new ConfusionMatrix(this.nc, this.args.conf);
    this.seen = 0;
    this.stats = emptyStats();
    this.plotMasks = [];
    if (this.args.save_json) {
      throw new Error(
        'save_json=True is not supported for segmentation: Ultralytics writes COCO RLE masks there and scores them with ' +
          'pycocotools, which yolots does not have. Use save_txt=True for polygons, or the metrics it prints.',
      );
    }
  }

  /** NMS with the validation settings (multi-label; agnostic for single_cls); the prototypes ride along. */
  postprocess(preds: unknown): T['preds'] {
    const [pred, protos] = segmentOutputs(preds);
    const detections = nonMaxSuppression(pred, {
      confThres: this.args.conf ?? 0.001,
      iouThres: this.args.iou,
      multiLabel: true,
      agnostic: this.args.single_cls || this.args.agnostic_nms,
      maxDet: this.args.max_det,
      nc: this.nc,
    });
    return Object.assign(detections, { protos }) as T['preds'];
  }

  updateMetrics(preds: T['preds'], batch: T['batch']): void {
    const [, , h, w] = batch.img.shape as [number, number, number, number];
    const batchIdx = batch.batchIdx.toArray();
    const cls = batch.cls.toArray();
    const boxesXyxy = batch.bboxes.numel()
      ? xywh2xyxy(batch.bboxes).mul(torch.tensor([w, h, w, h], { device: batch.bboxes.device }))
      : null;
    const overlap = this.args.overlap_mask;
    if (this.plotting && this.batchI < 3) this.plotMasks = [];
    preds.forEach((pred, si) => {
      const rows = batchIdx.flatMap((b, k) => (b === si ? [k] : []));
      const gtCls = rows.map((k) => cls[k]!);
      const oriShape = batch.oriShape[si]!;
      const ratioPad = batch.ratioPad?.[si];
      const index = torch.tensor(rows, { dtype: 'int64', device: batch.cls.device });
      const gtBoxes = rows.length && boxesXyxy ? scaleBoxes([h, w], boxesXyxy.index([index]), oriShape, { ratioPad }).toArray() : [];
      this.stats.targetCls.push(...gtCls);
      this.stats.targetImg.push(...new Set(gtCls));
      const npr = pred.size(0);
      if (npr === 0) {
        if (gtCls.length && this.plotting) this.confusionMatrix?.processBatch(null, gtBoxes, gtCls);
        if (this.plotting && this.batchI < 3) this.plotMasks.push(new Uint8Array(0));
        return;
      }
      if (this.args.single_cls) pred.select(1, 5).fill_(0);
      const native = this.args.save_txt;
      const process = native ? processMaskNative : processMask;
      const predMasks = process(preds.protos.select(0, si), pred.narrow(1, 6, pred.shape[1]! - 6), pred.narrow(1, 0, 4), [h, w]);
      const predn = scaleBoxes([h, w], pred.narrow(1, 0, 6), oriShape, { ratioPad });
      const det = predn.toArray();
      const conf = Array.from({ length: npr }, (_, i) => det[i * 6 + 4]!);
      const predCls = Array.from({ length: npr }, (_, i) => det[i * 6 + 5]!);
      this.stats.conf.push(...conf);
      this.stats.predCls.push(...predCls);
      if (gtCls.length) {
        const predBoxes = Array.from({ length: npr * 4 }, (_, i) => det[Math.floor(i / 4) * 6 + (i % 4)]!);
        this.stats.tp.push(...matchPredictions(predCls, gtCls, boxIou(gtBoxes, predBoxes), IOUV));
        const gtMasks = overlap ? batch.masks.select(0, si) : batch.masks.index([index]);
        this.stats.tpM.push(...maskTruePositives(predMasks, gtMasks, overlap, predCls, gtCls));
        if (this.plotting) this.confusionMatrix?.processBatch(det, gtBoxes, gtCls);
      } else {
        this.stats.tp.push(...new Uint8Array(npr * IOUV.length));
        this.stats.tpM.push(...new Uint8Array(npr * IOUV.length));
      }
      if (this.plotting && this.batchI < 3) this.keepPlotMasks(predMasks);
      if (native) this.saveOneTxt(predn, predMasks, oriShape, batch.imFile[si]!);
    });
  }

  /** The first 15 masks of an image, for val_batch*_pred.jpg (at proto resolution, or full size with save_txt). */
  private keepPlotMasks(masks: Tensor): void {
    const top = masks.narrow(0, 0, Math.min(15, masks.shape[0]!));
    this.plotMaskShape = [top.shape[1]!, top.shape[2]!];
    this.plotMasks.push(top.to({ dtype: 'uint8', device: 'cpu' }).contiguous().toTypedArray() as Uint8Array);
  }

  /** labels/<stem>.txt: `cls x1 y1 x2 y2 … [conf]`, each mask's outline normalised to the original image. */
  private saveOneTxt(predn: Tensor, masks: Tensor, [h, w]: [number, number], file: string): void {
    // Results only reads the original image's size here, for the outlines.
    const result = new Results({ data: new Uint8Array(0), height: h, width: w }, file, this.names, { boxes: predn, masks });
    result.saveTxt(join(this.saveDir, 'labels', `${basename(file, extname(file))}.txt`), this.args.save_conf);
  }

  finalizeMetrics(): void {
    this.metrics.speed = this.speed;
    if (this.confusionMatrix) this.metrics.confusionMatrix = this.confusionMatrix;
  }

  getStats(): Record<string, number> {
    this.ntPerClass = bincount(this.stats.targetCls, this.nc);
    this.ntPerImage = bincount(this.stats.targetImg, this.nc);
    if (this.stats.tp.some((v) => v !== 0)) {
      const { tp, tpM, conf, predCls, targetCls } = this.stats;
      this.metrics.process(tp, tpM, conf, predCls, targetCls, IOUV.length);
    }
    return this.metrics.resultsDict;
  }

  printResults(): void {
    printMetricsTable({
      seen: this.seen,
      ntPerClass: this.ntPerClass,
      ntPerImage: this.ntPerImage,
      names: this.names,
      task: this.args.task,
      perClass: this.args.verbose && !this.training && this.nc > 1 && this.stats.targetCls.length > 0,
      mean: this.metrics.meanResults(),
      apClassIndex: this.metrics.apClassIndex,
      classResult: (i) => this.metrics.classResult(i),
    });
  }

  override async plotValSamples(batch: T['raw'], ni: number): Promise<void> {
    await plotValBatchLabels(batch, this.classNames(), this.saveDir, ni);
  }

  override async plotPredictions(batch: T['raw'], preds: T['preds'], ni: number): Promise<void> {
    const boxes = preds.map((d) => (d.shape[0] ? (d.narrow(1, 0, 6).tolist() as number[][]) : []));
    await plotValBatchPredictions(batch, boxes, this.classNames(), this.saveDir, ni, this.collectedPlotMasks() ?? undefined);
    this.plotMasks = [];
  }

  private collectedPlotMasks(): PredictedMasks | null {
    if (!this.plotMaskShape) return null;
    const [mh, mw] = this.plotMaskShape;
    const total = this.plotMasks.reduce((n, m) => n + m.length, 0);
    const data = new Uint8Array(total);
    let off = 0;
    for (const m of this.plotMasks) {
      data.set(m, off);
      off += m.length;
    }
    return { data, shape: [total / (mh * mw), mh, mw] };
  }

  /** Box and mask curves and confusion matrices, after the metrics are final. */
  override async plotMetrics(): Promise<void> {
    await plotSegmentationCurves(this.metrics, this.confusionMatrix, this.classNames(), this.saveDir);
  }

  private classNames(): string[] {
    return Array.from({ length: this.nc }, (_, i) => this.names[i] ?? String(i));
  }

  async getDataloader(datasetPath: T['source'], batchSize: number): Promise<BatchLoader<T['raw']>> {
    const stride = this.backend ? this.backend.stride : this.model ? Math.max(...this.model.stride, 32) : 32;
    const rect = !this.backend?.imgsz;
    const args = { ...dataArgsFrom(this.args), task: 'segment' };
    const dataset = await buildYoloDataset(args, datasetPath, batchSize, { nc: this.nc || 80 }, 'val', rect, stride);
    return buildDataloader(dataset, batchSize, this.args.workers, false, -1) as BatchLoader<T['raw']>;
  }

  protected async setupStandalone(
    model: T['model'] | InferenceBackend | string | null,
  ): Promise<[T['model'] | InferenceBackend, T['source']]> {
    let net: T['model'] | InferenceBackend;
    if (isInferenceBackend(model)) net = model;
    else {
      net = typeof model === 'string' || model === null ? (loadSegmentationModel(model ?? 'yolov8n-seg.yaml') as T['model']) : model;
      net.fuse();
    }
    const data = await resolveSegmentDataset(this.args.data);
    const split = this.args.split as 'val' | 'test' | 'train';
    const source = split === 'test' ? (data.test ?? data.val) : split === 'train' ? data.train : data.val;
    this.nc = data.nc;
    return [net, source as T['source']];
  }
}
