// Whole-training benchmark: yolov8n from scratch on coco128, batch 16, 4 epochs, in float32 (amp=False) and with
// bf16 autocast (amp=True, forced with YOLOTS_CPU_AMP=bf16 so it runs on any CPU), at 640 and 320 (issues 4, 18).
// Figure = 128 / median train seconds of epochs 2-4, as the side-by-side runs of ../shared/reference measured
// Ultralytics 8.2.103 forced to 2 torch threads; printed beside those figures with the ratio, with the data wait,
// in-training validation images/s and the process's peak RSS. Each (size, precision) runs in its own process so
// that peak RSS is its own.
// Run: node --conditions=source --import tsx bench/train.ts [640|320 ...] [--precision fp32|bf16|both] [--epochs 4]
// (fewer epochs only to check the script: the figure wants epochs 2-4)
//
// Machines of this kind differ in speed from moment to moment and from each other, so for float32 the benchmark also
// times the pure compute floor in Python torch in the same invocation (bench/torch-yolov8n.py, the reference's own
// surrogate: batch 8, channels_last, 2 threads), prints yolots' figure as a share of it, and scales Ultralytics'
// figure by the floors: its share of the reference VM's floor times the floor measured here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '@yolots/torch';
import { DetectionTrainer } from '../packages/yolo/src/models/yolo/detect/train.js';
import { mean, pythonTorchAvailable, runPythonTwin } from './python-twin.js';

const DATA = fileURLToPath(new URL('../../shared/datasets/coco128.yaml', import.meta.url));
type Precision = 'fp32' | 'bf16';

/**
 * Ultralytics 8.2.103 forced to 2 torch threads, yolov8n.yaml from scratch on coco128, batch 16, amp=False (it never
 * uses AMP on CPU): ../shared/reference/ultralytics-8.2.103-cpu.md, "Side by side with both engines on both cores".
 */
const REFERENCE: Record<number, { threads: number; trainImgS: number[]; peakRssMiB: number[]; floorImgS: number }> = {
  // floorImgS: the same reference's "Pure compute" table, fwd+bwd of a batch of 8, channels_last, 2 threads.
  640: { threads: 2, trainImgS: [3.85, 3.71], peakRssMiB: [5972, 5876], floorImgS: 8 / 1.358 },
  320: { threads: 2, trainImgS: [19.97, 18.48], peakRssMiB: [1879, 1879], floorImgS: 8 / 0.346 },
};

/** Python torch's pure fwd+bwd images/s at `imgsz` now (the reference's surrogate), or null without python3-torch. */
function computeFloor(imgsz: number): number | null {
  if (!pythonTorchAvailable()) return null;
  const iters = imgsz >= 640 ? 4 : 8;
  const { fwdBwd } = runPythonTwin({ size: imgsz, layout: 'channels_last', warmup: 2, iters, threads: 2, batch: 8 });
  return 8 / mean(fwdBwd);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** One training run in this process; prints its lines. */
async function bench(imgsz: number, precision: Precision): Promise<void> {
  if (precision === 'bf16') process.env.YOLOTS_CPU_AMP = 'bf16';
  const floor = precision === 'fp32' ? computeFloor(imgsz) : null;
  const load = loadavg()[0] ?? 0;
  const trainer = new DetectionTrainer({
    overrides: {
      model: 'yolov8n.yaml',
      data: DATA,
      imgsz,
      batch: 16,
      epochs: EPOCHS,
      workers: 2,
      plots: false,
      verbose: false,
      seed: 0,
      amp: precision === 'bf16',
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
  const ref = REFERENCE[imgsz];
  const steady = epochs.slice(1);
  const rate = 128 / median(steady.map((e) => (e.trainS * 128) / e.images));
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  console.log(
    `\nyolov8n, coco128, imgsz ${imgsz}, batch 16, ${precision} (trainer amp mode: ${trainer.ampMode}), ${torch.getNumThreads()} threads, ` +
      `workers 2; load average ${load.toFixed(1)} at the start (${availableParallelism()} cores)`,
  );
  console.log('epoch  train img/s  data wait  val img/s');
  epochs.forEach((e, i) => {
    console.log(
      `${String(i + 1).padStart(5)}  ${(e.images / e.trainS).toFixed(2).padStart(11)}  ${`${((100 * e.waitS) / e.trainS).toFixed(1)}%`.padStart(9)}  ${e.valS > 0 ? (128 / e.valS).toFixed(2).padStart(9) : '         '}`,
    );
  });
  const theirs = ref ? mean(ref.trainImgS) : Number.NaN;
  const theirRss = ref ? mean(ref.peakRssMiB) : Number.NaN;
  console.log(
    `RESULT imgsz=${imgsz} ${precision}: ${rate.toFixed(2)} img/s (median of epochs 2-${EPOCHS}) vs Ultralytics 8.2.103 at ` +
      `${ref?.threads} threads ${theirs.toFixed(2)} img/s (float32; mean of its two side-by-side runs) -> ${(rate / theirs).toFixed(2)}x; ` +
      `peak RSS ${peakMiB.toFixed(0)} MiB vs ${theirRss.toFixed(0)} MiB -> ${(peakMiB / theirRss).toFixed(2)}x`,
  );
  if (floor !== null) {
    console.log(
      `compute floor now (Python torch fwd+bwd, ${imgsz}, batch 8, channels_last, 2 threads): ${floor.toFixed(2)} img/s; yolots = ${(rate / floor).toFixed(2)} of it`,
    );
    if (ref) {
      const share = theirs / ref.floorImgS;
      console.log(
        `RESULT imgsz=${imgsz} ${precision} floor-scaled: Ultralytics reached ${share.toFixed(2)} of its VM's floor (${ref.floorImgS.toFixed(2)} img/s), ` +
          `so ~${(share * floor).toFixed(2)} img/s here; yolots ${rate.toFixed(2)} -> ${(rate / (share * floor)).toFixed(2)}x`,
      );
    }
  }
}

const args = process.argv.slice(2);
const epochsAt = args.indexOf('--epochs');
const EPOCHS = epochsAt >= 0 ? Number(args[epochsAt + 1]) : 4;
if (!Number.isInteger(EPOCHS) || EPOCHS < 2)
  throw new Error(`--epochs must be an integer >= 2 (epoch 1 is warm-up), got '${args[epochsAt + 1]}'`);
const precisionAt = args.indexOf('--precision');
const precisionArg = precisionAt >= 0 ? args[precisionAt + 1] : 'both';
if (precisionArg !== 'fp32' && precisionArg !== 'bf16' && precisionArg !== 'both') {
  throw new Error(`--precision must be fp32, bf16 or both, got '${precisionArg}'`);
}
// Positional sizes are the numeric arguments that are not an option's value (an absent option's index is -1).
const optionValues = new Set([precisionAt, epochsAt].filter((at) => at >= 0).map((at) => at + 1));
const sizes = args.filter((a, i) => /^\d+$/.test(a) && !optionValues.has(i)).map(Number);
const precisions: Precision[] = precisionArg === 'both' ? ['fp32', 'bf16'] : [precisionArg];
const runs = (sizes.length ? sizes : [640, 320]).flatMap((imgsz) => precisions.map((p) => [imgsz, p] as const));
if (runs.length === 1) {
  const [imgsz, precision] = runs[0] as readonly [number, Precision];
  await bench(imgsz, precision);
} else {
  // One process per run: peak RSS is then that run's alone.
  for (const [imgsz, precision] of runs) {
    const child = spawnSync(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), String(imgsz), '--precision', precision, '--epochs', String(EPOCHS)],
      {
        stdio: 'inherit',
      },
    );
    if (child.status !== 0) throw new Error(`bench/train.ts ${imgsz} ${precision} failed with status ${child.status}`);
  }
}
