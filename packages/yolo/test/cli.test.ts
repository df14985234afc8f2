// The `yolo` command end to end, spawned as a user runs it: train → val → predict → export (and predict with the
// export) on coco8, train on the built-in shapes dataset, the special commands, and the error cases (exit code 1,
// one message line naming the key/path/modes, no stack trace).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '@yolots/torch';
import { VERSION } from '../src/version.js';
import { requireShared, sharedPath } from './helpers/shared.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const YOLO_BIN = fileURLToPath(new URL('../bin/yolo.js', import.meta.url));
const COCO8 = sharedPath('datasets/coco8.yaml');
const COCO8_VAL = sharedPath('datasets/coco8/images/val');
const coco8 = requireShared([COCO8, COCO8_VAL], 'the coco8 CLI runs');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'yolots-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `yolo ...args` from the repo root (the bin runs the TypeScript through tsx there). */
function yolo(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [YOLO_BIN, ...args],
      { cwd: REPO, env: { ...process.env, ...env }, maxBuffer: 64 * 2 ** 20 },
      (error, stdout, stderr) => {
        resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

function assertOk(run: Run, what: string): void {
  assert.equal(run.status, 0, `${what} failed:\n${run.stderr}`);
}

/** An error run: exit code 1, the message on stderr, no stack trace. */
function assertFails(run: Run, message: RegExp): void {
  assert.equal(run.status, 1, `expected exit code 1, got ${run.status}\n${run.stdout}`);
  assert.match(run.stderr, message);
  assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace without YOLOTS_DEBUG');
}

describe('yolo modes end to end on coco8', coco8, () => {
  let best: string;

  test('yolo train writes a run with best.safetensors', async () => {
    const project = join(dir, 'runs');
    const run = await yolo([
      'train',
      'model=yolov8n.yaml',
      `data=${COCO8}`,
      'epochs=1',
      'imgsz=64',
      'batch=4',
      'workers=0',
      `project=${project}`,
      'plots=False',
    ]);
    assertOk(run, 'yolo train');
    best = join(project, 'train', 'weights', 'best.safetensors');
    assert.ok(existsSync(best), `${best} written`);
    assert.ok(existsSync(join(project, 'train', 'results.csv')));
    assert.match(run.stdout, new RegExp(`Results saved to ${join(project, 'train')}`));
  });

  test('yolo val prints the metrics table and speeds', async () => {
    const run = await yolo(['val', `model=${best}`, `data=${COCO8}`, 'imgsz=64', 'plots=False']);
    assertOk(run, 'yolo val');
    assert.match(run.stdout, /^\s+all\s+4\s+17\s/m, 'the "all" row counts coco8 val: 4 images, 17 instances');
    assert.match(run.stdout, /Speed: .*ms preprocess/);
  });

  test('yolo predict saves one annotated image per source image', async () => {
    const project = join(dir, 'predict-runs');
    const run = await yolo(['predict', `model=${best}`, `source=${COCO8_VAL}`, 'imgsz=64', `project=${project}`, 'conf=0.0001']);
    assertOk(run, 'yolo predict');
    assert.match(run.stdout, /image 4\/4 .*000000000061\.jpg: 64x\d+ /);
    assert.deepEqual(readdirSync(join(project, 'predict')).sort(), readdirSync(COCO8_VAL).sort());
  });

  test('yolo export writes best.onnx beside the weights; yolo predict runs it', async () => {
    const run = await yolo(['export', `model=${best}`, 'imgsz=64', 'dynamic=True', 'opset=17']);
    assertOk(run, 'yolo export');
    const onnx = best.replace(/\.safetensors$/, '.onnx');
    assert.ok(existsSync(onnx));
    assert.match(run.stderr, /'format' argument is missing\. Using default 'format=onnx'/);
    assert.ok(run.stdout.includes(onnx), 'the output names where the file was saved');

    const project = join(dir, 'onnx-runs');
    const predict = await yolo([
      'predict',
      `model=${onnx}`,
      `source=${join(COCO8_VAL, '000000000036.jpg')}`,
      'imgsz=64',
      `project=${project}`,
    ]);
    assertOk(predict, 'yolo predict on the ONNX export');
    assert.deepEqual(readdirSync(join(project, 'predict')), ['000000000036.jpg']);
  });
});

describe('yolo train without data= uses the built-in shapes dataset', () => {
  const datasets = (): string => join(dir, 'datasets');

  test('generates it under YOLOTS_DATASETS_DIR and trains one epoch', async () => {
    const project = join(dir, 'shapes-runs');
    const run = await yolo(
      ['train', 'epochs=1', 'imgsz=64', 'fraction=0.1', 'batch=16', 'workers=0', 'plots=False', `project=${project}`],
      {
        YOLOTS_DATASETS_DIR: datasets(),
      },
    );
    assertOk(run, 'yolo train on shapes');
    assert.ok(existsSync(join(datasets(), 'shapes', 'data.yaml')), 'the dataset is generated in YOLOTS_DATASETS_DIR');
    assert.ok(existsSync(join(project, 'train', 'weights', 'best.safetensors')));
  });

  // Issue 14's "done when": the quick start's `yolo train model=yolo26n.yaml` (no data), then `yolo predict` with its
  // best weights, from a source checkout.
  test('yolo train model=yolo26n.yaml, then yolo predict with its best and its ONNX export: end-to-end, no NMS', async () => {
    const project = join(dir, 'yolo26-runs');
    const env = { YOLOTS_DATASETS_DIR: datasets() };
    const train = await yolo(
      ['train', 'model=yolo26n.yaml', 'epochs=1', 'imgsz=64', 'fraction=0.1', 'batch=16', 'workers=0', 'plots=False', `project=${project}`],
      env,
    );
    assertOk(train, 'yolo train model=yolo26n.yaml');
    const best = join(project, 'train', 'weights', 'best.safetensors');
    assert.ok(existsSync(best), `${best} written`);
    const header = readFileSync(join(project, 'train', 'results.csv'), 'utf8').split('\n')[0] ?? '';
    assert.match(
      header,
      /^\s*epoch,\s*time,\s*train\/box_loss,\s*train\/cls_loss,\s*train\/l1_loss,/,
      "YOLO26's columns, as Ultralytics 8.4 writes them",
    );

    const predictProject = join(dir, 'yolo26-predict');
    const image = join(datasets(), 'shapes', 'images', 'val', '000000.jpg');
    const predict = await yolo(
      ['predict', `model=${best}`, `source=${image}`, 'imgsz=64', 'conf=0', 'save_txt=True', `project=${predictProject}`],
      env,
    );
    assertOk(predict, 'yolo predict with the YOLO26 best weights');
    assert.match(predict.stdout, /image 1\/1 .*000000\.jpg: 64x64 /);
    assert.match(predict.stdout, /ms postprocess \(end-to-end top-k, no NMS\) per image/, 'the one-to-one head, no NMS');
    const out = join(predictProject, 'predict');
    assert.ok(existsSync(join(out, '000000.jpg')), 'the annotated image is saved');
    const rows = readFileSync(join(out, 'labels', '000000.txt'), 'utf8')
      .trim()
      .split('\n');
    // conf=0 keeps every top-k row: one per anchor of a 64x64 input (8² + 4² + 2² = 84 < max_det); NMS would drop some.
    assert.equal(rows.length, 84, 'the top-k of the one-to-one branch, unsuppressed');
    for (const row of rows) {
      const [cls, ...xywhn] = row.split(' ').map(Number);
      assert.ok(cls !== undefined && Number.isInteger(cls) && cls >= 0 && cls < 5, `a shapes class: ${row}`);
      assert.ok(xywhn.length === 4 && xywhn.every((v) => v >= 0 && v <= 1), `a normalised xywh box: ${row}`);
    }

    // Its ONNX export (the top-k in the graph) predicts the same way through onnxruntime.
    assertOk(await yolo(['export', `model=${best}`, 'imgsz=64']), 'yolo export of the YOLO26 best weights');
    const onnxProject = join(dir, 'yolo26-onnx-predict');
    const onnx = best.replace(/\.safetensors$/, '.onnx');
    const onnxPredict = await yolo([
      'predict',
      `model=${onnx}`,
      `source=${image}`,
      'imgsz=64',
      'conf=0',
      'save_txt=True',
      `project=${onnxProject}`,
    ]);
    assertOk(onnxPredict, 'yolo predict with the YOLO26 ONNX export');
    assert.match(onnxPredict.stdout, /ms postprocess \(end-to-end top-k, no NMS\) per image/);
    const onnxRows = readFileSync(join(onnxProject, 'predict', 'labels', '000000.txt'), 'utf8')
      .trim()
      .split('\n');
    assert.equal(onnxRows.length, 84, 'the exported top-k keeps the 84 anchors of a 64x64 input');
  });
});

describe('yolo special commands and errors', () => {
  test('help, version, cfg and checks', async () => {
    const [help, version, cfg, checks] = await Promise.all([yolo(['help']), yolo(['version']), yolo(['cfg']), yolo(['checks'])]);
    for (const run of [help, version, cfg, checks]) assertOk(run, 'special command');
    assert.match(help.stdout, /yolo TASK MODE ARGS/);
    assert.match(help.stdout, /MODE \(required\) is one of \[train, val, predict, track, export\]/);
    assert.equal(version.stdout.trim(), VERSION);
    assert.match(cfg.stdout, /^imgsz: 640/m);
    // The source version Debian built (pytorch-1.13.1 in the build flags), not its version.h's 1.13.0.
    const built = /\/pytorch-(\d+\.\d+\.\d+)/.exec(torch.buildInfo().config)?.[1] ?? torch.buildInfo().version;
    assert.match(checks.stdout, new RegExp(`^libtorch\\s+${built.replaceAll('.', '\\.')}(\\s|$)`, 'm'));
  });

  test('an unknown key, a missing model file, a bad mode and a bad batch exit 1 with a one-line reason', async () => {
    const missing = join(dir, 'nowhere', 'best.safetensors');
    const [unknownKey, missingModel, badMode, modelessVal, zeroBatch] = await Promise.all([
      yolo(['train', 'model=yolov8n.yaml', 'epoch=1']),
      yolo(['val', `model=${missing}`, `data=${COCO8}`]),
      yolo(['mode=fly', 'model=yolov8n.yaml']),
      yolo(['val']),
      yolo(['val', 'model=yolov8n.yaml', 'batch=0']), // used to loop until the heap ran out
    ]);
    assertFails(unknownKey, /'epoch' is not a valid YOLO argument\. Similar arguments are i\.e\. \['epochs=100'/);
    assertFails(missingModel, new RegExp(`not found: ${missing}`));
    assertFails(badMode, /Invalid 'mode=fly'\. Valid modes are train, val, predict, export, track, benchmark/);
    assertFails(modelessVal, /'yolo val' needs model=/);
    assertFails(zeroBatch, /^RangeError: 'batch=0' is an invalid value\. Valid 'batch' values are a positive integer/);
  });

  test('train and predict refuse a device this build cannot use, with the same message, before doing anything', async () => {
    const project = join(dir, 'device');
    const unusable = `device=${torch.cuda.deviceCount()}`; // one past the visible GPUs: no build can use it
    const [train, predict] = await Promise.all([
      yolo(['train', 'model=yolov8n.yaml', unusable, `project=${project}`]),
      yolo(['predict', 'model=yolov8n.yaml', unusable, 'source=nothing.jpg', `project=${project}`]),
    ]);
    assertFails(train, /Invalid CUDA 'device=\d+' requested/);
    assert.equal(train.stderr, predict.stderr);
    assert.ok(!existsSync(project), 'no run folder was made');
  });
});
