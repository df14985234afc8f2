// Classification training benchmark: yolov8n-cls from scratch at 224 on the built-in shapes crops (a folder per
// shape), batch 32, the default augmentation (RandomResizedCrop, flip, RandAugment, erasing). Prints train images/s
// per epoch (epoch 2 on is the steady state) and the share of step time spent waiting for data (decoding and
// augmenting run on the main thread, between steps). Run on a machine under load, say so next to the figure.
// Run: node --conditions=source --import tsx bench/train-classify.ts [imgsz] [epochs] [images]
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '@yolots/torch';
import { ensureShapesClassifyDataset } from '../packages/yolo/src/data/shapes.js';
import { ClassificationTrainer } from '../packages/yolo/src/models/yolo/classify/train.js';
import { epochFigures, timeEpochs } from './epoch-timing.js';

const imgsz = Number(process.argv[2] ?? 224);
const epochs = Number(process.argv[3] ?? 2);
const images = Number(process.argv[4] ?? 128);

const data = await ensureShapesClassifyDataset();
const trainer = new ClassificationTrainer({
  overrides: {
    model: 'yolov8n-cls.yaml',
    data,
    imgsz,
    batch: 32,
    epochs,
    plots: false,
    val: false,
    verbose: false,
    seed: 0,
    // The built-in crops have 500 training images; the run reads the first `images` of them.
    fraction: Math.min(1, images / 500),
    project: mkdtempSync(join(tmpdir(), 'yolots-bench-cls-')),
  },
});
const timings = timeEpochs(trainer);
const loadBefore = loadavg()[0] ?? 0;
await trainer.train();
console.log(
  `bench/train-classify: yolov8n-cls, ${images} built-in crops at ${imgsz}, batch 32, ${epochs} epochs, ${torch.getNumThreads()} threads, ` +
    `load average ${loadBefore.toFixed(1)} → ${(loadavg()[0] ?? 0).toFixed(1)}`,
);
console.log(epochFigures(timings));
