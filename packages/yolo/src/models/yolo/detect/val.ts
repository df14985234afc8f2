// DetectionValidator: NMS, matching at IoU 0.50:0.05:0.95, DetMetrics, confusion matrix, COCO JSON and txt output.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { dataArgsFrom } from '../../../data/args.js';
import { toBatch } from '../../../data/batch.js';
import { buildDataloader, buildYoloDataset } from '../../../data/build.js';
import { isInferenceBackend } from '../../../engine/predictor.js';
import type { BatchLoader } from '../../../engine/task-types.js';
import { BaseValidator } from '../../../engine/validator.js';
import type { InferenceBackend } from '../../../nn/autobackend.js';
import { boxIou, ConfusionMatrix, DetMetrics, IOUV, matchPredictions } from '../../../utils/metrics.js';
import { END_TO_END_NOTE, isEndToEnd, nonMaxSuppression } from '../../../utils/nms.js';
import { scaleBoxes, xywh2xyxy } from '../../../utils/ops.js';
import { formatG } from '../../../utils/results-csv.js';
import { bincount, printMetricsTable } from '../../../utils/val-table.js';
import { resolveDataset } from './data.js';
import { loadDetectionModel } from './load.js';
import { plotValBatchLabels, plotValBatchPredictions, plotValidationCurves } from './plots.js';
import { asTaskType, type DetectTypes } from './types.js';

/** Per-image matching results accumulated over a run (flat typed arrays). */
interface Stats {
  tp: number[];
  conf: number[];
  predCls: number[];
  targetCls: number[];
  /** Classes present in each image's labels (for the per-class image counts). */
  targetImg: number[];
}

/**
 * @example
 * const validator = new DetectionValidator({ args: { data: 'coco8.yaml', imgsz: 320 } });
 * const metrics = await validator.run({ model: 'runs/detect/train/weights/best.safetensors' });
 */
export class DetectionValidator<T extends DetectTypes = DetectTypes> extends BaseValidator<T> {
  metrics = new DetMetrics();
  confusionMatrix: ConfusionMatrix | null = null;
  /** Labels per class and images per class, after `getStats`. */
  ntPerClass = new Int32Array(0);
  ntPerImage = new Int32Array(0);
  /** COCO-format predictions for save_json. */
  jdict: { image_id: number | string; category_id: number; bbox: number[]; score: number }[] = [];
  private stats: Stats = { tp: [], conf: [], predCls: [], targetCls: [], targetImg: [] };

  get metricKeys(): string[] {
    return this.metrics.keys;
  }

  getDesc(): string {
    return ['Class', 'Images', 'Instances', 'Box(P', 'R', 'mAP50', 'mAP50-95)']
      .map((s, i) => (i === 0 ? s.padStart(22) : s.padStart(11)))
      .join('');
  }

  toBatch(raw: T['raw']): T['batch'] {
    return asTaskType<T, 'batch'>('batch', toBatch(raw));
  }

  initMetrics(model: T['model'] | InferenceBackend): void {
    this.names = model.names;
    this.nc = Object.keys(model.names).length;
    this.metrics = new DetMetrics(this.names);
    this.confusionMatrix = new ConfusionMatrix(this.nc, this.args.conf);
    this.seen = 0;
    this.jdict = [];
    this.stats = { tp: [], conf: [], predCls: [], targetCls: [], targetImg: [] };
  }

  /** NMS with the validation settings (multi-label; agnostic for single_cls). */
  postprocess(preds: unknown): T['preds'] {
    const prediction = Array.isArray(preds) ? (preds[0] as Tensor) : (preds as Tensor);
    this.postprocessNote = isEndToEnd(prediction) ? END_TO_END_NOTE : null;
    const detections = nonMaxSuppression(preds as Tensor | Tensor[], {
      confThres: this.args.conf ?? 0.001,
      iouThres: this.args.iou,
      multiLabel: true,
      agnostic: this.args.single_cls || this.args.agnostic_nms,
      maxDet: this.args.max_det,
    });
    return asTaskType<T, 'preds'>('preds', detections);
  }

  updateMetrics(preds: T['preds'], batch: T['batch']): void {
    const [, , h, w] = batch.img.shape as [number, number, number, number];
    const batchIdx = batch.batchIdx.toArray();
    const cls = batch.cls.toArray();
    const boxesXyxy = batch.bboxes.numel() ? xywh2xyxy(batch.bboxes).mul(torch.tensor([w, h, w, h])) : null;
    preds.forEach((pred, si) => {
      const rows = batchIdx.flatMap((b, k) => (b === si ? [k] : []));
      const gtCls = rows.map((k) => cls[k]!);
      const oriShape = batch.oriShape[si]!;
      const ratioPad = batch.ratioPad?.[si];
      const gtBoxes =
        rows.length && boxesXyxy
          ? scaleBoxes([h, w], boxesXyxy.index([torch.tensor(rows, { dtype: 'int64' })]), oriShape, { ratioPad }).toArray()
          : [];
      this.stats.targetCls.push(...gtCls);
      this.stats.targetImg.push(...new Set(gtCls));
      const npr = pred.size(0);
      if (npr === 0) {
        if (gtCls.length && this.plotting) this.confusionMatrix?.processBatch(null, gtBoxes, gtCls);
        return;
      }
      const predn = scaleBoxes([h, w], pred.clone(), oriShape, { ratioPad });
      if (this.args.single_cls) predn.select(1, 5).fill_(0);
      const det = predn.toArray();
      const conf = Array.from({ length: npr }, (_, i) => det[i * 6 + 4]!);
      const predCls = Array.from({ length: npr }, (_, i) => det[i * 6 + 5]!);
      this.stats.conf.push(...conf);
      this.stats.predCls.push(...predCls);
      if (gtCls.length) {
        const predBoxes = Array.from({ length: npr * 4 }, (_, i) => det[Math.floor(i / 4) * 6 + (i % 4)]!);
        const iou = boxIou(gtBoxes, predBoxes);
        this.stats.tp.push(...matchPredictions(predCls, gtCls, iou, IOUV));
      } else {
        this.stats.tp.push(...new Uint8Array(npr * IOUV.length));
      }
      // Label-less images count too: their detections are background false positives. Ultralytics 8.2.103 feeds
      // the matrix only images with labels (later releases count them as here); see docs/migration.md.
      if (this.plotting) this.confusionMatrix?.processBatch(det, gtBoxes, gtCls);
      if (this.args.save_json) this.predToJson(det, batch.imFile[si]!);
      if (this.args.save_txt) this.saveOneTxt(det, oriShape, batch.imFile[si]!);
    });
  }

  finalizeMetrics(): void {
    this.metrics.speed = this.speed;
    if (this.confusionMatrix) this.metrics.confusionMatrix = this.confusionMatrix;
  }

  getStats(): Record<string, number> {
    this.ntPerClass = bincount(this.stats.targetCls, this.nc);
    this.ntPerImage = bincount(this.stats.targetImg, this.nc);
    if (this.stats.tp.some((v) => v !== 0)) {
      this.metrics.process(this.stats.tp, this.stats.conf, this.stats.predCls, this.stats.targetCls, IOUV.length);
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
    if (this.args.save_json && this.jdict.length && !this.training) {
      mkdirSync(this.saveDir, { recursive: true });
      const file = join(this.saveDir, 'predictions.json');
      writeFileSync(file, JSON.stringify(this.jdict));
      console.log(`Saving ${file}...`);
    }
  }

  /** COCO JSON rows: top-left xywh boxes, numeric image ids where the file stem is a number. */
  private predToJson(det: number[], file: string): void {
    const stem = basename(file, extname(file));
    const imageId = /^\d+$/.test(stem) ? Number(stem) : stem;
    for (let i = 0; i < det.length; i += 6) {
      const [x1, y1, x2, y2, score, c] = det.slice(i, i + 6) as [number, number, number, number, number, number];
      this.jdict.push({
        image_id: imageId,
        category_id: c,
        bbox: [x1, y1, x2 - x1, y2 - y1].map((v) => Math.round(v * 1000) / 1000),
        score: Math.round(score * 1e5) / 1e5,
      });
    }
  }

  /** labels/<stem>.txt: `cls cx cy w h [conf]` normalised to the original image. */
  private saveOneTxt(det: number[], [h, w]: [number, number], file: string): void {
    const dir = join(this.saveDir, 'labels');
    mkdirSync(dir, { recursive: true });
    const lines: string[] = [];
    for (let i = 0; i < det.length; i += 6) {
      const [x1, y1, x2, y2, conf, c] = det.slice(i, i + 6) as [number, number, number, number, number, number];
      const xywh = [(x1 + x2) / 2 / w, (y1 + y2) / 2 / h, (x2 - x1) / w, (y2 - y1) / h].map((v) => formatG(v, 6));
      lines.push([String(c), ...xywh, ...(this.args.save_conf ? [formatG(conf, 6)] : [])].join(' '));
    }
    writeFileSync(join(dir, `${basename(file, extname(file))}.txt`), lines.length ? `${lines.join('\n')}\n` : '');
  }

  override async plotValSamples(batch: T['raw'], ni: number): Promise<void> {
    await plotValBatchLabels(batch, this.classNames(), this.saveDir, ni);
  }

  override async plotPredictions(batch: T['raw'], preds: T['preds'], ni: number): Promise<void> {
    const boxes = preds.map((d) => d.tolist() as number[][]);
    await plotValBatchPredictions(batch, boxes, this.classNames(), this.saveDir, ni);
  }

  /** Curves and confusion matrices, after the metrics are final. */
  override async plotMetrics(): Promise<void> {
    await plotValidationCurves(this.metrics, this.confusionMatrix, this.classNames(), this.saveDir);
  }

  private classNames(): string[] {
    return Array.from({ length: this.nc }, (_, i) => this.names[i] ?? String(i));
  }

  async getDataloader(datasetPath: T['source'], batchSize: number): Promise<BatchLoader<T['raw']>> {
    const stride = this.backend ? this.backend.stride : this.model ? Math.max(...this.model.stride, 32) : 32;
    // A fixed-shape export takes square batches only (args.rect is false then).
    const rect = !this.backend?.imgsz;
    const dataset = await buildYoloDataset(dataArgsFrom(this.args), datasetPath, batchSize, { nc: this.nc || 80 }, 'val', rect, stride);
    return buildDataloader(dataset, batchSize, this.args.workers, false, -1) as BatchLoader<T['raw']>;
  }

  protected async setupStandalone(
    model: T['model'] | InferenceBackend | string | null,
  ): Promise<[T['model'] | InferenceBackend, T['source']]> {
    const built = isInferenceBackend(model) ? model : this.fusedModel(model);
    const data = await resolveDataset(this.args.data);
    const split = this.args.split as 'val' | 'test' | 'train';
    const source = split === 'test' ? (data.test ?? data.val) : split === 'train' ? data.train : data.val;
    this.nc = data.nc;
    return [built, asTaskType<T, 'source'>('source', source)];
  }

  /** A network as given, or loaded from a weights/YAML path; fused for inference either way. */
  private fusedModel(model: T['model'] | string | null): T['model'] {
    const net =
      typeof model === 'string' || model === null ? asTaskType<T, 'model'>('model', loadDetectionModel(model ?? 'yolov8n.yaml')) : model;
    net.fuse();
    return net;
  }
}
