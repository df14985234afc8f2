// Where a training step's time goes: yolov8n from scratch on coco128, batch 16, 2 epochs, figures from epoch 2
// (steady state). Phases: data wait (the loader not ready), batch to tensors + preprocess, forward (autocast region
// included), loss incl. the assigner, backward with the step's glue (loss read-back, loss items, scope frees),
// optimizer step, EMA, clip + zero-grad + scaler, and the rest (callbacks, progress bar, warmup arithmetic).
// Run: node --conditions=source --import tsx bench/train-breakdown.ts [imgsz=320] [amp=0|1]
// (amp=1 is what amp=True resolves to on this CPU; YOLOTS_CPU_AMP=bf16 forces bf16 autocast.)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '@yolots/torch';
import { DetectionTrainer } from '../packages/yolo/src/models/yolo/detect/train.js';

const DATA = fileURLToPath(new URL('../../shared/datasets/coco128.yaml', import.meta.url));
const imgsz = Number(process.argv[2] ?? 320);
const amp = process.argv[3] === '1';

type Phase = 'data wait' | 'preprocess' | 'forward' | 'loss' | 'backward+glue' | 'optimizer' | 'EMA' | 'clip+zero' | 'other';
const PHASES: Phase[] = ['data wait', 'preprocess', 'forward', 'loss', 'backward+glue', 'optimizer', 'EMA', 'clip+zero', 'other'];

let totals = new Map<Phase, number>();
const add = (phase: Phase, ms: number): void => {
  totals.set(phase, (totals.get(phase) ?? 0) + ms);
};
function timed<T>(phase: Phase, fn: () => T): T {
  const t = performance.now();
  try {
    return fn();
  } finally {
    add(phase, performance.now() - t);
  }
}

type Raw = Parameters<DetectionTrainer['toBatch']>[0];
type Batch = ReturnType<DetectionTrainer['toBatch']>;

class BreakdownTrainer extends DetectionTrainer {
  override preprocessBatch(batch: Batch): Batch {
    return timed('preprocess', () => super.preprocessBatch(batch));
  }

  override toBatch(raw: Raw): Batch {
    return timed('preprocess', () => super.toBatch(raw));
  }

  protected override computeLoss(batch: Batch): [torch.Tensor, torch.Tensor] {
    // the forward as the trainer runs it, then the loss on its output
    const preds = timed('forward', () => this.forwardForLoss(batch));
    return timed('loss', () => this.lossOf(batch, preds));
  }

  protected override trainStep(raw: Raw, epoch: number, i: number): void {
    const before = sumOf(['preprocess', 'forward', 'loss']);
    const t = performance.now();
    super.trainStep(raw, epoch, i);
    add('backward+glue', performance.now() - t - (sumOf(['preprocess', 'forward', 'loss']) - before));
  }

  private wrapped = false;

  override async optimizerStep(): Promise<void> {
    if (!this.wrapped) {
      // Time the optimizer's and the EMA's own work by wrapping their methods once.
      const optimizer = this.optimizer;
      if (optimizer === null) throw new Error('optimizerStep before setupTrain');
      const step = optimizer.step.bind(optimizer);
      optimizer.step = () => timed('optimizer', step);
      const ema = this.ema;
      const update = ema?.update.bind(ema);
      if (ema && update) ema.update = (m) => timed('EMA', () => update(m));
      this.wrapped = true;
    }
    const before = sumOf(['optimizer', 'EMA']);
    const t = performance.now();
    await super.optimizerStep();
    add('clip+zero', performance.now() - t - (sumOf(['optimizer', 'EMA']) - before));
  }
}

function sumOf(phases: Phase[]): number {
  return phases.reduce((a, p) => a + (totals.get(p) ?? 0), 0);
}

const trainer = new BreakdownTrainer({
  overrides: {
    model: 'yolov8n.yaml',
    data: DATA,
    imgsz,
    batch: 16,
    epochs: 2,
    workers: 2,
    plots: false,
    verbose: false,
    val: false,
    amp,
    seed: 0,
    project: mkdtempSync(join(tmpdir(), 'yolots-bench-breakdown-')),
  },
});
let batchEnd = 0;
let batchStart = 0;
let steps = 0;
let epochMs = 0;
trainer.addCallback('on_train_epoch_start', () => {
  totals = new Map();
  steps = 0;
  batchEnd = performance.now();
  epochMs = 0;
});
trainer.addCallback('on_train_batch_start', () => {
  batchStart = performance.now();
  add('data wait', batchStart - batchEnd);
});
trainer.addCallback('on_train_batch_end', () => {
  batchEnd = performance.now();
  epochMs += batchEnd - batchStart;
  steps++;
});
let report = '';
trainer.addCallback('on_train_epoch_end', (t) => {
  if (t.epoch < 1) return;
  const measured = sumOf(PHASES.filter((p) => p !== 'data wait' && p !== 'other'));
  add('other', epochMs - measured);
  const total = sumOf(PHASES);
  const lines = PHASES.map((p) => {
    const ms = totals.get(p) ?? 0;
    return `${p.padEnd(14)} ${(ms / steps).toFixed(1).padStart(8)} ms/step ${((100 * ms) / total).toFixed(1).padStart(6)}%`;
  });
  report = [
    `\nyolov8n, coco128, imgsz ${imgsz}, batch 16, amp=${amp ? 'True' : 'False'} (${trainer.ampMode}), ${torch.getNumThreads()} threads, workers 2`,
    `epoch 2: ${steps} steps, ${(total / steps).toFixed(1)} ms/step, ${((16 * steps * 1000) / total).toFixed(2)} img/s`,
    ...lines,
  ].join('\n');
});
await trainer.train();
console.log(report);
