// Whole-training benchmark: yolov8n from scratch on coco128, batch 16, 3 epochs, at 640 and 320 (issue 4).
// Prints train images/s per epoch (epochs 2+ are the steady state), in-training validation images/s, the share of
// step time spent waiting for data, and peak RSS, next to the Ultralytics 8.2.103 figures measured on this kind of
// machine (../shared/reference). Run: node --conditions=source --import tsx bench/train.ts [640|320 ...]
//
// Machines of this kind differ in speed from moment to moment (the same Python fwd+bwd took 1.36 s in the
// reference run and 1.9 s on other days), so at 640 the benchmark also times the pure compute floor in Python torch
// in the same invocation (bench/torch-yolov8n.py, the reference's own surrogate: batch 8, channels_last, 2 threads)
// and compares both engines as a share of the floor measured beside them.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '@yolots/torch';
import { DetectionTrainer } from '../packages/yolo/src/models/yolo/detect/train.js';
import { mean, pythonTorchAvailable, runPythonTwin } from './python-twin.js';

const DATA = fileURLToPath(new URL('../../shared/datasets/coco128.yaml', import.meta.url));
/** The reference's pure compute at 640: Python torch fwd+bwd, batch 8, channels_last, 2 threads, 1.358 s/batch. */
const REFERENCE_FLOOR_640 = 8 / 1.358;

/** Python torch's pure fwd+bwd images/s at 640 now (the reference's surrogate), or null without python3-torch. */
function computeFloor640(): number | null {
  if (!pythonTorchAvailable()) return null;
  const { fwdBwd } = runPythonTwin({ size: 640, layout: 'channels_last', warmup: 2, iters: 4, threads: 2, batch: 8 });
  return 8 / mean(fwdBwd);
}

/** Ultralytics 8.2.103, ../shared/reference/ultralytics-8.2.103-cpu.md (epochs 2 and 3; in-train val of 128 images). */
const REFERENCE: Record<number, { threads: number; trainImgS: number[]; valSeconds: number[]; peakRssMiB: number }> = {
  640: { threads: 2, trainImgS: [3.34, 3.84], valSeconds: [14.12, 13.12], peakRssMiB: 5483 },
  320: { threads: 1, trainImgS: [9.86, 9.8], valSeconds: [6.5, 6.01], peakRssMiB: 1944 },
};

async function bench(imgsz: number): Promise<void> {
  const floorBefore = imgsz === 640 ? computeFloor640() : null;
  const trainer = new DetectionTrainer({
    overrides: {
      model: 'yolov8n.yaml',
      data: DATA,
      imgsz,
      batch: 16,
      epochs: 3,
      workers: 2,
      plots: false,
      verbose: false,
      seed: 0,
      project: mkdtempSync(join(tmpdir(), 'yolots-bench-train-')),
    },
  });
  const epochs: { trainS: number; waitS: number; valS: number; images: number }[] = [];
  let epochStart = 0;
  let batchEnd = 0;
  let wait = 0;
  let images = 0;
  let valStart = 0;
  trainer.addCallback('on_train_epoch_start', () => {
    epochStart = performance.now();
    batchEnd = epochStart;
    wait = 0;
    images = 0;
  });
  trainer.addCallback('on_train_batch_start', () => {
    wait += performance.now() - batchEnd;
  });
  trainer.addCallback('on_train_batch_end', (t) => {
    batchEnd = performance.now();
    images += t.batchSize;
  });
  trainer.addCallback('on_train_epoch_end', () => {
    epochs.push({ trainS: (performance.now() - epochStart) / 1000, waitS: wait / 1000, valS: 0, images });
  });
  trainer.addCallback('on_val_start', () => {
    valStart = performance.now();
  });
  trainer.addCallback('on_val_end', () => {
    const last = epochs[epochs.length - 1];
    if (last && last.valS === 0) last.valS = (performance.now() - valStart) / 1000;
  });
  await trainer.train();
  const floorAfter = floorBefore === null ? null : computeFloor640();
  const ref = REFERENCE[imgsz];
  console.log(`\nyolov8n, coco128, imgsz ${imgsz}, batch 16, ${torch.getNumThreads()} threads, workers 2`);
  console.log('epoch  train img/s  data wait  val img/s | Ultralytics train img/s  val img/s  | ratio train');
  epochs.forEach((e, i) => {
    const trainRate = e.images / e.trainS;
    const refTrain = i > 0 ? ref?.trainImgS[i - 1] : undefined;
    const refVal = i > 0 ? ref?.valSeconds[i - 1] : undefined;
    console.log(
      `${String(i + 1).padStart(5)}  ${trainRate.toFixed(2).padStart(11)}  ${`${((100 * e.waitS) / e.trainS).toFixed(1)}%`.padStart(9)}  ${(128 / e.valS).toFixed(2).padStart(9)} | ` +
        `${(refTrain?.toFixed(2) ?? '(first)').padStart(23)}  ${(refVal ? (128 / refVal).toFixed(2) : '').padStart(9)}  | ${refTrain ? `${(trainRate / refTrain).toFixed(2)}x` : ''}`,
    );
  });
  if (floorBefore !== null && floorAfter !== null && ref) {
    const floor = (floorBefore + floorAfter) / 2;
    const ours = epochs.slice(1).reduce((a, e) => a + e.images / e.trainS, 0) / Math.max(1, epochs.length - 1);
    const theirs = mean(ref.trainImgS);
    console.log(
      `compute floor (Python torch fwd+bwd, 640, batch 8, channels_last): ${floorBefore.toFixed(2)} img/s before, ${floorAfter.toFixed(2)} after; reference run ${REFERENCE_FLOOR_640.toFixed(2)}`,
    );
    console.log(
      `share of the floor, epochs 2+: yolots ${(ours / floor).toFixed(2)} vs Ultralytics ${(theirs / REFERENCE_FLOOR_640).toFixed(2)} -> ${(ours / floor / (theirs / REFERENCE_FLOOR_640)).toFixed(2)}x; ` +
        `Ultralytics scaled to this machine's floor: ${((theirs * floor) / REFERENCE_FLOOR_640).toFixed(2)} img/s`,
    );
  }
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  const nativePeakMiB = torch.memoryStats().peakNativeBytes / 2 ** 20;
  console.log(
    `peak RSS ${peakMiB.toFixed(0)} MiB (process so far; libtorch's own peak ${nativePeakMiB.toFixed(0)} MiB) vs Ultralytics ${ref?.peakRssMiB} MiB (${ref?.threads} thread(s))`,
  );
}

const sizes = process.argv.slice(2).map(Number);
for (const imgsz of sizes.length ? sizes : [640, 320]) await bench(imgsz);
