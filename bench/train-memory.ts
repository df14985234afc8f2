// Where training memory goes (issue 18's peak-RSS target): yolov8n from scratch on coco128, batch 16, float32
// (amp=False), 2 epochs by default. Per step: libtorch's live bytes (the counting allocator) at the step's start
// and their peak within each phase (forward, loss, backward + glue, optimizer + EMA), the process's peak RSS within
// the step (VmHWM, reset through /proc/self/clear_refs), and malloc's arenas after it (size, free). At the end:
// the run's peak RSS, its parts at that moment's end of run (arenas, mmapped blocks, files mapped, V8 heap). Each
// step's CPU seconds (all threads, loaders included) and minor page faults show what an allocator policy costs; its
// resident MiB at the step's end by kind of mapping (the tensor pool, other anonymous maps, the brk heap).
// Run: node --conditions=source --import tsx bench/train-memory.ts [imgsz=640] [epochs=2]
// Allocator policies to compare go in the environment: YOLOTS_MALLOC=pool|heap|system, GLIBC_TUNABLES (docs/performance.md).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '@yolots/torch';
import { DetectionTrainer } from '../packages/yolo/src/models/yolo/detect/train.js';

const DATA = fileURLToPath(new URL('../../shared/datasets/coco128.yaml', import.meta.url));
const imgsz = Number(process.argv[2] ?? 640);
const epochs = Number(process.argv[3] ?? 2);
/** 'noval': skip validation (quicker comparisons of the training steps alone). */
const noVal = process.argv.includes('noval');
const MiB = 2 ** 20;

/** kB fields of /proc/self/status, in MiB. */
function status(): { rss: number; hwm: number } {
  const text = readFileSync('/proc/self/status', 'utf8');
  const field = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(text)?.[1] ?? Number.NaN) / 1024;
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** Resets VmHWM to the current RSS (Linux ≥ 4.0), so that the next reading is the peak since now. */
function resetHwm(): void {
  writeFileSync('/proc/self/clear_refs', '5');
}

/** Resident MiB by kind of mapping, from /proc/self/smaps. */
function residentByMapping(): Record<string, number> {
  const out: Record<string, number> = {};
  let kind = 'other';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (head) {
      const name = head[4] ?? '';
      // The tensor pool's committed range is gigabytes in one mapping; nothing else maps that much.
      const huge = Number.parseInt(head[2]!, 16) - Number.parseInt(head[1]!, 16) > 2 ** 30;
      kind =
        name === '[heap]'
          ? 'brk heap (main arena)'
          : name === ''
            ? huge
              ? 'tensor pool'
              : 'anonymous maps'
            : name.startsWith('/')
              ? 'files'
              : name;
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out[kind] = (out[kind] ?? 0) + Number(rss[1]) / 1024;
  }
  return out;
}

const mib = (bytes: number): string => (bytes / MiB).toFixed(0);

type Phase = 'forward' | 'loss' | 'assigner' | 'backward' | 'optimizer';
const PHASES: Phase[] = ['forward', 'loss', 'assigner', 'backward', 'optimizer'];
let peaks = new Map<Phase, number>();

/** Runs fn with libtorch's peak reset before it, and records the peak it reached. */
function measured<T>(phase: Phase, fn: () => T): T {
  torch.resetPeakMemory();
  try {
    return fn();
  } finally {
    peaks.set(phase, Math.max(peaks.get(phase) ?? 0, torch.memoryStats().peakNativeBytes));
  }
}

type Batch = ReturnType<DetectionTrainer['toBatch']>;
type Raw = Parameters<DetectionTrainer['toBatch']>[0];

class MemoryTrainer extends DetectionTrainer {
  private wrapped = false;

  /** The assigner's own peak, above the live bytes it started with (inside the loss phase). */
  private wrapAssigner(): void {
    const assigner = (this.net.criterion as { assigner?: { forward: (...args: unknown[]) => unknown } } | null)?.assigner;
    if (this.wrapped || !assigner) return;
    const forward = assigner.forward.bind(assigner);
    assigner.forward = (...args: unknown[]) => {
      const lossSoFar = torch.memoryStats().peakNativeBytes;
      const start = torch.memoryStats().nativeBytes;
      torch.resetPeakMemory();
      const out = forward(...args);
      const peak = torch.memoryStats().peakNativeBytes;
      peaks.set('assigner', Math.max(peaks.get('assigner') ?? 0, peak - start));
      // the loss phase's peak so far, carried past this reset
      peaks.set('loss', Math.max(peaks.get('loss') ?? 0, lossSoFar, peak));
      return out;
    };
    this.wrapped = true;
  }

  override async validate(): Promise<[Record<string, number>, number]> {
    return noVal ? [{}, 0] : super.validate();
  }

  override async finalEval(): Promise<void> {
    if (!noVal) await super.finalEval();
  }

  protected override computeLoss(batch: Batch): [torch.Tensor, torch.Tensor] {
    this.wrapAssigner();
    const preds = measured('forward', () => this.forwardForLoss(batch));
    const loss = measured('loss', () => this.lossOf(batch, preds));
    torch.resetPeakMemory();
    return loss;
  }

  protected override trainStep(raw: Raw, epoch: number, i: number): void {
    super.trainStep(raw, epoch, i);
    // The backward's peak: from the end of the loss to the end of the step.
    peaks.set('backward', torch.memoryStats().peakNativeBytes);
  }

  override async optimizerStep(): Promise<void> {
    torch.resetPeakMemory();
    await super.optimizerStep();
    peaks.set('optimizer', torch.memoryStats().peakNativeBytes);
  }
}

const trainer = new MemoryTrainer({
  overrides: {
    model: 'yolov8n.yaml',
    data: DATA,
    imgsz,
    batch: 16,
    epochs,
    workers: 2,
    plots: false,
    verbose: false,
    seed: 0,
    amp: false,
    project: mkdtempSync(join(tmpdir(), 'yolots-bench-memory-')),
  },
});

let stepStart = 0;
let usageStart = process.resourceUsage();
let liveStart = 0;
let step = 0;
let runPeak = 0;
const header = `${['epoch', 'step', 's/step', 'cpu s', 'kfaults', 'live@start', ...PHASES.map((p) => `peak ${p}`), 'RSS peak', 'pool', 'pool free', 'arenas', 'arena MiB', 'free MiB', 'mmap MiB', 'res pool', 'res anon', 'res brk'].map((s) => s.padStart(10)).join(' ')}`;
trainer.addCallback('on_train_start', () => {
  const policy = `allocator ${torch.memoryStats().allocator}${process.env.GLIBC_TUNABLES ? `, GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES}` : ''}`;
  console.log(`yolov8n, coco128, imgsz ${imgsz}, batch 16, fp32, ${torch.getNumThreads()} threads, workers 2, ${policy} (MiB)\n${header}`);
});
trainer.addCallback('on_train_batch_start', () => {
  peaks = new Map();
  liveStart = torch.memoryStats().nativeBytes;
  resetHwm();
  usageStart = process.resourceUsage();
  stepStart = performance.now();
});
trainer.addCallback('on_train_batch_end', () => {
  const seconds = (performance.now() - stepStart) / 1000;
  const usage = process.resourceUsage();
  const cpuSeconds = (usage.userCPUTime + usage.systemCPUTime - usageStart.userCPUTime - usageStart.systemCPUTime) / 1e6;
  const kfaults = (usage.minorPageFault - usageStart.minorPageFault) / 1000;
  const { hwm } = status();
  runPeak = Math.max(runPeak, hwm);
  const m = torch.mallocStats();
  const stats = torch.memoryStats();
  const resident = residentByMapping();
  step++;
  const cells = [
    String(trainer.epoch + 1),
    String(step),
    seconds.toFixed(2),
    cpuSeconds.toFixed(2),
    kfaults.toFixed(0),
    mib(liveStart),
    ...PHASES.map((p) => mib(peaks.get(p) ?? 0)),
    hwm.toFixed(0),
    mib(stats.poolBytes),
    mib(stats.poolFreeBytes),
    String(m?.arenas.length ?? '-'),
    m ? mib(m.systemBytes) : '-',
    m ? mib(m.freeBytes) : '-',
    m ? mib(m.mmapBytes) : '-',
    ...['tensor pool', 'anonymous maps', 'brk heap (main arena)'].map((kind) => (resident[kind] ?? 0).toFixed(0)),
  ];
  console.log(cells.map((s) => s.padStart(10)).join(' '));
});
let valReset = 0;
trainer.addCallback('on_val_start', () => {
  resetHwm();
  valReset = performance.now();
});
trainer.addCallback('on_val_end', () => {
  const { hwm } = status();
  runPeak = Math.max(runPeak, hwm);
  console.log(`validation: RSS peak ${hwm.toFixed(0)} MiB (${((performance.now() - valReset) / 1000).toFixed(1)} s)`);
});

await trainer.train();
const m = torch.mallocStats();
console.log(`\nRESULT peak RSS ${runPeak.toFixed(0)} MiB over the training steps and validations (imgsz ${imgsz}, ${epochs} epochs)`);
console.log(`process peak RSS (whole run, getrusage): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
const mem = process.memoryUsage();
console.log(
  `now: RSS ${status().rss.toFixed(0)} MiB; libtorch live ${mib(torch.memoryStats().nativeBytes)}; ` +
    `main V8 heap ${mib(mem.heapTotal)} (array buffers ${mib(mem.arrayBuffers)}); ` +
    (m
      ? `malloc: ${m.arenas.length} arenas ${m.arenas.map((a) => `${mib(a.systemBytes)}/${mib(a.freeBytes)} free`).join(', ')}; mmapped ${mib(m.mmapBytes)}`
      : ''),
);
console.log(
  `resident by mapping: ${Object.entries(residentByMapping())
    .filter(([, v]) => v >= 1)
    .map(([k, v]) => `${k} ${v.toFixed(0)}`)
    .join(', ')}`,
);
