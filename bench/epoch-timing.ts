// Benchmark helper: times each training epoch through the trainer's callbacks: its wall time, the time the step
// loop waited for the next batch (loading and augmenting that did not overlap a step), and the images it trained.
import type { BaseTrainer } from '../packages/yolo/src/engine/trainer.js';

/** One training epoch: wall time and data wait in ms, images trained. */
export interface EpochTiming {
  ms: number;
  waitMs: number;
  images: number;
}

/**
 * Registers the timing callbacks on `trainer`; the returned list gets one entry as each training epoch ends.
 * @example const epochs = timeEpochs(trainer); await trainer.train(); console.log(epochFigures(epochs));
 */
export function timeEpochs(trainer: BaseTrainer): EpochTiming[] {
  const epochs: EpochTiming[] = [];
  let epochStart = 0;
  let batchEnd = 0;
  let waitMs = 0;
  let images = 0;
  trainer.addCallback('on_train_epoch_start', () => {
    epochStart = performance.now();
    batchEnd = epochStart;
    waitMs = 0;
    images = 0;
  });
  trainer.addCallback('on_train_batch_start', () => {
    waitMs += performance.now() - batchEnd;
  });
  trainer.addCallback('on_train_batch_end', (t) => {
    batchEnd = performance.now();
    images += t.batchSize;
  });
  trainer.addCallback('on_train_epoch_end', () => {
    epochs.push({ ms: performance.now() - epochStart, waitMs, images });
  });
  return epochs;
}

/** Train images per second of an epoch. */
export function imagesPerSecond(epoch: EpochTiming): number {
  return (epoch.images / epoch.ms) * 1000;
}

/** The epochs as the training benchmarks print them: 'epoch 1: 12.34 img/s (data wait 5%)   epoch 2: …'. */
export function epochFigures(epochs: EpochTiming[]): string {
  return epochs
    .map((e, i) => `epoch ${i + 1}: ${imagesPerSecond(e).toFixed(2)} img/s (data wait ${((e.waitMs / e.ms) * 100).toFixed(0)}%)`)
    .join('   ');
}
