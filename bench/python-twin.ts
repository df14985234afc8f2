// Runs a benchmark process that prints one JSON line of timings, in particular the Python twin of the
// YOLOv8n-shaped network (torch-yolov8n.py): the side-by-side reference of bench/torch-yolov8n.ts and the
// compute floor of bench/train.ts.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';
const TWIN_SCRIPT = fileURLToPath(new URL('./torch-yolov8n.py', import.meta.url));

export type Layout = 'contiguous' | 'channels_last';

/** Seconds per batch of each measurement, and memory: what torch-yolov8n.{ts,py} print as their last line. */
export interface TimingResult {
  fwd: number[];
  infer: number[];
  fwdBwd: number[];
  peakRssMiB: number;
  startRssMiB: number;
  threads: number;
  version: string;
}

export interface TwinRun {
  size: number;
  layout: Layout;
  warmup: number;
  iters: number;
  threads: number;
  batch: number;
  /** bf16: the forward inside torch.autocast('cpu', dtype=torch.bfloat16). Default fp32. */
  precision?: 'fp32' | 'bf16';
}

/** Runs `command` with OMP_NUM_THREADS=threads and parses the last line it prints; throws with its stderr on failure. */
export function spawnJson(command: string, args: string[], threads: number): TimingResult {
  const run = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(threads) }, maxBuffer: 1 << 24 });
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${run.status}):\n${run.stderr}`);
  const line = run.stdout.trim().split('\n').at(-1) as string;
  return JSON.parse(line) as TimingResult;
}

/** True when Debian's python3-torch is importable. */
export function pythonTorchAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch']).status === 0;
}

/** The YOLOv8n-shaped network in Python torch, one size and layout. */
export function runPythonTwin({ size, layout, warmup, iters, threads, batch, precision = 'fp32' }: TwinRun): TimingResult {
  return spawnJson(
    PYTHON,
    [TWIN_SCRIPT, String(size), layout, String(warmup), String(iters), String(threads), String(batch), precision],
    threads,
  );
}

export const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
