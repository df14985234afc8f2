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
import { type EpochTiming, epochFigures, imagesPerSecond, timeEpochs } from './epoch-timing.js';

const imgsz = Number(process.argv[2] ?? 640);
const epochs = Number(process.argv[3] ?? 2);
const images = Number(process.argv[4] ?? 64);

async function bench(kind: 'detect' | 'segment', data: string): Promise<EpochTiming[]> {
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
  const timings = timeEpochs(trainer);
  await trainer.train();
  return timings;
}

const data = await ensureShapesDataset({ polygons: true });
console.log(
  `bench/segment-train: ${images} images of the built-in shapes-seg dataset at ${imgsz}, batch 8, ${epochs} epochs, ${torch.getNumThreads()} threads`,
);
const detect = await bench('detect', data);
const segment = await bench('segment', data);
console.log(`${'detect'.padEnd(10)}${epochFigures(detect)}`);
console.log(`${'segment'.padEnd(10)}${epochFigures(segment)}`);
const steady = (f: EpochTiming[]) => {
  const tail = f.length > 1 ? f.slice(1) : f;
  return tail.reduce((s, e) => s + imagesPerSecond(e), 0) / tail.length;
};
const ratio = steady(segment) / steady(detect);
console.log(
  `segment / detect (steady state): ${ratio.toFixed(3)}: segmentation trains at ${(ratio * 100).toFixed(0)}% of detection's speed`,
);
