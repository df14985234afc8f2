// Benchmark: the YOLOv8n-shaped network (bench/yolov8n-shaped.ts) in @yolots/torch against the same network in
// Python PyTorch (bench/yolov8n-shaped.py via torch-yolov8n.py), batch 8, 2 threads, at 320 and 640, contiguous
// and channels_last. Each (framework, size, layout) runs in its own process so its peak RSS is its own.
//
//   node --conditions=source --import tsx bench/torch-yolov8n.ts [--sizes 320,640] [--warmup 2]
//        [--iters 8] [--threads 2] [--batch 8] [--layouts contiguous,channels_last] [--no-python] [--precision fp32|bf16]
//
// --precision bf16: the forward (and the surrogate loss) inside CPU bf16 autocast in both frameworks, backward outside.
//
// Without --iters: 8 timed iterations at 320 and 4 at 640 (the reference figures' counts).
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as torch from '@yolots/torch';
import { type Layout, mean, PYTHON, pythonTorchAvailable, runPythonTwin, spawnJson, type TimingResult } from './python-twin.js';
import { surrogateLoss, toChannelsLast, YoloV8nShaped } from './yolov8n-shaped.js';

function worker(size: number, layout: Layout, warmup: number, iters: number, threads: number, batch: number, bf16: boolean): TimingResult {
  const region = <T>(fn: () => T): T => (bf16 ? torch.autocast('cpu', fn) : fn());
  torch.setNumThreads(threads);
  const startRssMiB = process.resourceUsage().maxRSS / 1024;
  torch.manualSeed(0);
  const model = new YoloV8nShaped().train();
  const x = torch.tidy(() => {
    const input = torch.rand([batch, 3, size, size]);
    return layout === 'channels_last' ? input.contiguous('channels_last') : input;
  });
  if (layout === 'channels_last') toChannelsLast(model);

  const trainStep = (): void =>
    torch.tidy(() => {
      model.zeroGrad();
      region(() => surrogateLoss(model.call(x))).backward();
    });
  const trainForward = (): void =>
    torch.tidy(() => {
      region(() => model.call(x));
    });
  const inference = (): void =>
    torch.noGrad(() =>
      torch.tidy(() => {
        region(() => model.call(x));
      }),
    );
  const timed = (fn: () => void, n: number): number[] =>
    Array.from({ length: n }, () => {
      const start = performance.now();
      fn();
      return (performance.now() - start) / 1000;
    });

  for (let i = 0; i < warmup; i++) trainStep();
  const fwdBwd = timed(trainStep, iters);
  const fwd = timed(trainForward, iters);
  model.eval();
  inference();
  const infer = timed(inference, iters);
  return {
    fwd,
    infer,
    fwdBwd,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    startRssMiB,
    threads: torch.getNumThreads(),
    version: torch.buildInfo().version,
  };
}

const pad = (s: string, n: number): string => s.padStart(n);

function cell(ts: number[], py: number[] | undefined): string {
  const stats = (xs: number[]): string => `${pad(mean(xs).toFixed(3), 6)} (${Math.min(...xs).toFixed(3)})`;
  if (py === undefined) return stats(ts);
  return `${stats(ts)} / ${stats(py)} ${pad(((mean(ts) / mean(py) - 1) * 100).toFixed(1), 6)}%`;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      worker: { type: 'boolean', default: false },
      sizes: { type: 'string', default: '320,640' },
      layouts: { type: 'string', default: 'contiguous,channels_last' },
      warmup: { type: 'string', default: '2' },
      iters: { type: 'string' },
      threads: { type: 'string', default: '2' },
      batch: { type: 'string', default: '8' },
      'no-python': { type: 'boolean', default: false },
      precision: { type: 'string', default: 'fp32' },
    },
  });
  const warmup = Number(values.warmup);
  const threads = Number(values.threads);
  const batch = Number(values.batch);
  const sizes = values.sizes.split(',').map(Number);
  const layouts = values.layouts.split(',') as Layout[];
  for (const layout of layouts) {
    if (layout !== 'contiguous' && layout !== 'channels_last')
      throw new Error(`--layouts: unknown layout '${layout}' (contiguous, channels_last)`);
  }
  const precision = values.precision;
  if (precision !== 'fp32' && precision !== 'bf16') throw new Error(`--precision: expected fp32 or bf16, got '${precision}'`);
  const itersFor = (size: number): number => (values.iters !== undefined ? Number(values.iters) : size <= 320 ? 8 : 4);

  if (values.worker) {
    const size = sizes[0]!;
    console.log(JSON.stringify(worker(size, layouts[0]!, warmup, itersFor(size), threads, batch, precision === 'bf16')));
    return;
  }

  const python = !values['no-python'] && pythonTorchAvailable();
  if (!values['no-python'] && !python) console.log(`(Python comparison skipped: ${PYTHON} with torch not found)`);
  const self = fileURLToPath(import.meta.url);
  const info = torch.buildInfo();
  console.log(
    `YOLOv8n-shaped network, batch ${batch}, ${threads} threads, ${precision}, libtorch ${info.version}; seconds per batch: mean (min), TS / Python, TS vs Python on means`,
  );
  console.log(
    `load average before: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (const size of sizes) {
    for (const layout of layouts) {
      const common = [
        `--sizes=${size}`,
        `--layouts=${layout}`,
        `--warmup=${warmup}`,
        `--iters=${itersFor(size)}`,
        `--threads=${threads}`,
        `--batch=${batch}`,
        `--precision=${precision}`,
      ];
      const ts = spawnJson(process.execPath, [...process.execArgv, self, '--worker', ...common], threads);
      const py = python ? runPythonTwin({ size, layout, warmup, iters: itersFor(size), threads, batch, precision }) : undefined;
      const rss = py
        ? `${pad(ts.peakRssMiB.toFixed(0), 5)} / ${pad(py.peakRssMiB.toFixed(0), 5)}  ${(ts.peakRssMiB / py.peakRssMiB).toFixed(2)}x  (at start ${ts.startRssMiB.toFixed(0)} / ${py.startRssMiB.toFixed(0)})`
        : `${ts.peakRssMiB.toFixed(0)} (at start ${ts.startRssMiB.toFixed(0)})`;
      const row = [
        `${size} ${layout.padEnd(13)} x${itersFor(size)}`,
        `fwd ${cell(ts.fwd, py?.fwd)}`,
        `infer ${cell(ts.infer, py?.infer)}`,
        `fwd+bwd ${cell(ts.fwdBwd, py?.fwdBwd)}`,
        `peak RSS MiB ${rss}`,
      ].join(' | ');
      console.log(row);
    }
  }
  console.log(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    'fwd = training-mode forward (graph recorded, then freed); infer = eval mode under no_grad; fwd+bwd = forward, loss, backward.',
  );
}

main();
