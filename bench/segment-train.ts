// Segmentation training benchmark: yolov8n-seg against yolov8n on the same images (the built-in shapes dataset with
// polygon labels; detection reads each polygon's box), from scratch at 640, batch 8, the same augmentation. Prints
// train images/s per epoch (epoch 2 on is the steady state), the share of step time spent waiting for data, and the
// ratio segment / detect: the extra cost of masks (prototypes, coefficients, mask building, the mask loss).
// Run: node --conditions=source --import tsx bench/segment-train.ts [imgsz] [epochs] [images]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '@yolots/torch';
import { ensureShapesDataset } from '../packages/yolo/src/data/shapes.js';
import { DetectionTrainer } from '../packages/yolo/src/models/yolo/detect/train.js';
import { SegmentationTrainer } from '../packages/yolo/src/models/yolo/segment/train.js';

const imgsz = Number(process.argv[2] ?? 640);
const epochs = Number(process.argv[3] ?? 2);
const images = Number(process.argv[4] ?? 64);

interface EpochFigures {
  imgPerS: number;
  waitShare: number;
}

async function bench(kind: 'detect' | 'segment', data: string): Promise<EpochFigures[]> {
  const overrides = {
    model: kind === 'segment' ? 'yolov8n-seg.yaml' : 'yolov8n.yaml',
    data,
    imgsz,
    batch: 8,
    epochs,
    workers: 2,
    plots: false,
    val: false,
    verbose: false,
    seed: 0,
    close_mosaic: 0,
    // The built-in dataset has 256 training images; both runs read the same first `images` of them.
    fraction: Math.min(1, images / 256),
    project: mkdtempSync(join(tmpdir(), `yolots-bench-${kind}-`)),
  };
  const trainer = kind === 'segment' ? new SegmentationTrainer({ overrides }) : new DetectionTrainer({ overrides });
  const figures: EpochFigures[] = [];
  let epochStart = 0;
  let batchEnd = 0;
  let wait = 0;
  let seen = 0;
  trainer.addCallback('on_train_epoch_start', () => {
    epochStart = performance.now();
    batchEnd = epochStart;
    wait = 0;
    seen = 0;
  });
  trainer.addCallback('on_train_batch_start', () => {
    wait += performance.now() - batchEnd;
  });
  trainer.addCallback('on_train_batch_end', (t) => {
    batchEnd = performance.now();
    seen += t.batchSize;
  });
  trainer.addCallback('on_train_epoch_end', () => {
    const ms = performance.now() - epochStart;
    figures.push({ imgPerS: (seen / ms) * 1000, waitShare: wait / ms });
  });
  await trainer.train();
  return figures;
}

const data = await ensureShapesDataset({ polygons: true });
console.log(
  `bench/segment-train: ${images} images of the built-in shapes-seg dataset at ${imgsz}, batch 8, ${epochs} epochs, ${torch.getNumThreads()} threads`,
);
const detect = await bench('detect', data);
const segment = await bench('segment', data);
const row = (name: string, f: EpochFigures[]) =>
  `${name.padEnd(10)}${f.map((e, i) => `epoch ${i + 1}: ${e.imgPerS.toFixed(2)} img/s (data wait ${(e.waitShare * 100).toFixed(0)}%)`).join('   ')}`;
console.log(row('detect', detect));
console.log(row('segment', segment));
const steady = (f: EpochFigures[]) => {
  const tail = f.length > 1 ? f.slice(1) : f;
  return tail.reduce((s, e) => s + e.imgPerS, 0) / tail.length;
};
const ratio = steady(segment) / steady(detect);
console.log(
  `segment / detect (steady state): ${ratio.toFixed(3)}: segmentation trains at ${(ratio * 100).toFixed(0)}% of detection's speed`,
);
