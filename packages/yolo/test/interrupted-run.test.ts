// A run stopped after its first checkpoint, then treated the way users treat interrupted runs (issue 13): trained with
// batch=-1 (AutoBatch: 16 on the CPU, a positive weight decay), resumed by naming its checkpoint in every form while a
// newer decoy run sits in ./runs, resumed from the CLI over the leftovers of a kill (stale checkpoint temp files, a
// results.csv row past the checkpoint) and interrupted with Ctrl-C, and a `yolo` process stopped with SIGTERM that
// leaves no training behind. Built-in shapes data at 64 px, 16 train and 8 val images.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, mock, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ensureShapesDataset } from '../src/data/shapes.js';
import { interruptNotice } from '../src/engine/interrupt.js';
import type { BaseTrainer } from '../src/engine/trainer.js';
import { DetectionTrainer } from '../src/models/yolo/detect/train.js';
import { YOLO } from '../src/models/yolo/model.js';
import { readCheckpointMeta } from '../src/utils/checkpoint.js';

const YOLO_BIN = fileURLToPath(new URL('../bin/yolo.js', import.meta.url));
const STOP = 'stopped by the test after the first checkpoint';

let root: string;
let data: string;
/** The interrupted run: its folder and checkpoint (epoch 1 of 5 saved). */
let run: string;
let last: string;
/** A working directory whose ./runs holds a newer run, which a bare `resume` would pick. */
let elsewhere: string;
let decoyLast: string;
let trainLog: string[];
let trainer: BaseTrainer | null;

/** Runs `fn` with console.log and console.warn captured (both, in order). */
async function captureOutput(fn: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  const push = (...args: unknown[]): void => void lines.push(args.join(' '));
  const log = mock.method(console, 'log', push);
  const warn = mock.method(console, 'warn', push);
  try {
    await fn();
  } finally {
    log.mock.restore();
    warn.mock.restore();
  }
  return lines;
}

function csvEpochs(file: string): number[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((row) => Number(row.split(',')[0]));
}

/** Processes whose command line mentions `marker` (a path only this test's runs use). */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(join('/proc', entry, 'cmdline'), 'utf8').includes(marker)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** Starts `yolo ...args` in `cwd`, collecting its output. */
function startYolo(
  args: string[],
  cwd: string,
): { child: ChildProcess; output: () => string; exit: Promise<[number | null, string | null]> } {
  const child = spawn(process.execPath, [YOLO_BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exit = new Promise<[number | null, string | null]>((resolve) => child.on('exit', (code, signal) => resolve([code, signal])));
  return { child, output: () => out, exit };
}

async function until(condition: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'yolots-interrupted-'));
  data = await ensureShapesDataset({ trainImages: 16, valImages: 8, imgsz: 64, dir: join(root, 'shapes') });
  const model = new YOLO('yolov8n.yaml');
  model.addCallback('on_model_save', () => {
    throw new Error(STOP);
  });
  const args = { data, epochs: 5, imgsz: 64, batch: -1, workers: 0, plots: false, val: false, project: join(root, 'runs'), name: 'a' };
  trainLog = await captureOutput(() => assert.rejects(model.train(args), new RegExp(STOP)));
  trainer = model.trainer;
  run = join(root, 'runs', 'a');
  last = join(run, 'weights', 'last.safetensors');
  elsewhere = join(root, 'elsewhere');
  decoyLast = join(elsewhere, 'runs', 'detect', 'decoy', 'weights', 'last.safetensors');
  mkdirSync(dirname(decoyLast), { recursive: true });
  copyFileSync(last, decoyLast);
});

after(() => {
  for (const pid of processesWith(root)) process.kill(pid, 'SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

describe('an interrupted run', () => {
  test('batch=-1 on the CPU trains at AutoBatch 16, logged, with a positive weight decay', () => {
    assert.ok(
      trainLog.includes('AutoBatch: Computing optimal batch size for imgsz=64 at 60.0% CUDA memory utilization.'),
      trainLog.join('\n'),
    );
    assert.ok(trainLog.includes('AutoBatch:  ⚠️ intended for CUDA devices, using default batch-size 16'));
    assert.equal(trainer?.args.batch, 16);
    assert.equal(trainer?.batchSize, 16);
    assert.match(readFileSync(join(run, 'args.yaml'), 'utf8'), /^batch: 16$/m);
    const decays = trainer?.optimizer?.paramGroups.map((g) => g.weight_decay as number) ?? [];
    assert.deepEqual(decays, [0, 0.0005, 0], 'weight_decay · batch · accumulate / nbs = 0.0005 · 16 · 4 / 64 on the decayed group');
    assert.equal(readCheckpointMeta(last).epoch, 0);
  });

  test('resume takes the checkpoint named in every form; only a bare resume searches ./runs, saying what it picked', async () => {
    const cwd = process.cwd();
    process.chdir(elsewhere);
    try {
      const byModel = new DetectionTrainer({ overrides: { resume: true, model: last } });
      assert.equal(byModel.saveDir, run, '`yolo train resume model=<path>`');
      assert.equal(byModel.args.resume, last);
      assert.equal(new DetectionTrainer({ overrides: { resume: last } }).saveDir, run, '`resume=<path>`');
      assert.throws(
        () => new DetectionTrainer({ overrides: { resume: last, model: decoyLast } }),
        /name different checkpoints: pass the one to resume/,
      );

      const model = new YOLO(last);
      let resumedIn = '';
      model.addCallback('on_pretrain_routine_start', (t: BaseTrainer) => {
        resumedIn = t.saveDir;
        throw new Error(STOP);
      });
      await assert.rejects(model.train({ resume: true }), new RegExp(STOP));
      assert.equal(resumedIn, run, "`new YOLO('<run>/weights/last.safetensors').train({ resume: true })`");

      let bare: DetectionTrainer | null = null;
      const lines = await captureOutput(async () => {
        bare = new DetectionTrainer({ overrides: { resume: true } });
      });
      assert.equal((bare as DetectionTrainer | null)?.saveDir, join('runs', 'detect', 'decoy'));
      assert.ok(lines.includes(`Resuming the newest run under 'runs': ${join('runs', 'detect', 'decoy', 'weights', 'last.safetensors')}`));
    } finally {
      process.chdir(cwd);
    }
  });

  test('`yolo train resume model=<path>` cleans what a kill left, and Ctrl-C says how to resume before exiting 130', async () => {
    const wdir = join(run, 'weights');
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid as number;
    const stale = [`.last.safetensors.${deadPid}.${Date.now()}.tmp`, `.epoch3.safetensors.${process.pid}.1000.tmp`];
    const writing = `.best.safetensors.${process.pid}.${Date.now() + 3_600_000}.tmp`; // a live write that began after this run
    for (const name of [...stale, writing]) writeFileSync(join(wdir, name), 'partial');
    // A kill between appending epoch 2's row and saving its checkpoint leaves a row the resumed run writes again.
    const csv = join(run, 'results.csv');
    const row = readFileSync(csv, 'utf8').trim().split('\n')[1]!;
    writeFileSync(csv, `${readFileSync(csv, 'utf8')}${row.replace(/^(\s*)1,/, '$12,')}\n`);
    assert.deepEqual(csvEpochs(csv), [1, 2]);
    const decoyModified = statSync(decoyLast).mtimeMs;

    const yolo = startYolo(['train', 'resume', `model=${last}`], elsewhere);
    await until(() => yolo.output().includes('Starting training for 5 epochs'), 'the resumed run to start training');
    yolo.child.kill('SIGINT');
    const [code, signal] = await yolo.exit;
    const output = yolo.output();
    assert.deepEqual([code, signal], [130, null], output);
    assert.match(output, new RegExp(`Removed 2 temp file\\(s\\) of checkpoint writes an interrupted run left in ${wdir}`));
    assert.match(output, /results\.csv: dropped 1 row\(s\) after epoch 1, written after the checkpoint being resumed/);
    assert.match(output, new RegExp(`Resuming training ${last} from epoch 2 to 5 total epochs`));
    assert.deepEqual(
      readdirSync(wdir).filter((f) => f.endsWith('.tmp')),
      [writing],
      'the stale temp files are gone, a live one stays',
    );
    // Wherever the run was stopped, results.csv has one row per checkpointed epoch, and the notice names that epoch.
    const epoch = readCheckpointMeta(last).epoch;
    assert.deepEqual(
      csvEpochs(csv),
      Array.from({ length: epoch + 1 }, (_, i) => i + 1),
    );
    assert.ok(output.includes(interruptNotice(last)), output);
    assert.match(
      interruptNotice(last),
      new RegExp(`The last checkpoint is ${last} \\(epoch ${epoch + 1} of 5\\)\\.\nResume it with:\n  yolo train resume model=${last}\n`),
    );
    assert.equal(statSync(decoyLast).mtimeMs, decoyModified, 'the newer run in ./runs was not touched');
  });

  test('SIGTERM to `yolo` ends the training itself: no worker is left running', async () => {
    const project = join(root, 'sigterm-runs');
    const yolo = startYolo(
      ['train', `data=${data}`, 'epochs=5', 'imgsz=64', 'batch=16', 'workers=0', 'plots=False', `project=${project}`],
      root,
    );
    await until(() => yolo.output().length > 0, 'the first output');
    yolo.child.kill('SIGTERM');
    const [, signal] = await yolo.exit;
    assert.equal(signal, 'SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(processesWith(project), [], 'nothing of the run is left (an orphaned worker would keep training)');
  });
});
