// The `device` argument: Ultralytics' parsing, the refusals (no CUDA in this build, too few GPUs, MPS), the rank's own
// GPU in a distributed run, and the same refusal from training and prediction before any work is done. The CUDA
// cases run everywhere through an injected CudaStatus; scripts/gpu-check.sh runs the real thing on a GPU machine.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as torch from '@yolots/torch';
import { type CudaStatus, parseDevice, selectDevice } from '../src/engine/device.js';
import { DetectionPredictor } from '../src/models/yolo/detect/predict.js';
import { DetectionTrainer } from '../src/models/yolo/detect/train.js';
import { DetectionModel } from '../src/nn/tasks.js';

const CPU_BUILD: CudaStatus = { built: false, count: 0 };
const ONE_GPU: CudaStatus = { built: true, count: 1 };
const FOUR_GPUS: CudaStatus = { built: true, count: 4 };

describe('parseDevice', () => {
  test("Ultralytics' spellings", () => {
    const cases: [Parameters<typeof parseDevice>[0], string, number[], number][] = [
      [null, 'auto', [], 1],
      ['', 'auto', [], 1],
      ['None', 'auto', [], 1],
      ['cpu', 'cpu', [], 1],
      ['CPU', 'cpu', [], 1],
      [0, 'cuda', [0], 1],
      ['0', 'cuda', [0], 1],
      ['cuda', 'cuda', [0], 1],
      ['cuda:1', 'cuda', [1], 1],
      ['0,1', 'cuda', [0, 1], 2],
      ['[0, 1]', 'cuda', [0, 1], 2],
      ['(2,3)', 'cuda', [2, 3], 2],
      [[0, 1, 2], 'cuda', [0, 1, 2], 3],
      ['cpu,cpu', 'cpu', [], 2],
    ];
    for (const [device, type, indices, ranks] of cases) {
      const parsed = parseDevice(device);
      assert.deepEqual([parsed.type, parsed.indices, parsed.ranks], [type, indices, ranks], `device=${JSON.stringify(device)}`);
    }
    assert.equal(parseDevice('cuda:0, cuda:1').text, '0,1');
  });

  test('MPS, unknown names, negative and repeated indices are refused, saying what is accepted', () => {
    assert.throws(() => parseDevice('mps'), /device=mps \(Apple Metal, MPS\) is not supported.*device=cpu/);
    assert.throws(() => parseDevice('gpu'), /Invalid device='gpu' requested\. Use 'device=cpu', a CUDA device index such as 'device=0'/);
    assert.throws(() => parseDevice('-1'), /Invalid device='-1'/);
    assert.throws(() => parseDevice('0,cpu'), /Invalid device='0,cpu'/);
    assert.throws(() => parseDevice('0,0'), /a CUDA device is named twice/);
  });
});

describe('selectDevice', () => {
  test('cpu, and auto without a GPU, give the CPU', () => {
    assert.equal(selectDevice('cpu', { cuda: FOUR_GPUS }), 'cpu');
    assert.equal(selectDevice(null, { cuda: CPU_BUILD }), 'cpu');
    assert.equal(selectDevice('', { cuda: { built: true, count: 0 } }), 'cpu');
  });

  test('auto picks CUDA when present, the rank its own GPU', () => {
    assert.equal(selectDevice(null, { cuda: ONE_GPU }), 'cuda:0');
    assert.equal(selectDevice(null, { cuda: FOUR_GPUS, localRank: 2 }), 'cuda:2');
  });

  test('a distributed rank gets its own entry of the device list', () => {
    assert.equal(selectDevice('0,1', { cuda: FOUR_GPUS, localRank: 1 }), 'cuda:1');
    assert.equal(selectDevice('2,3', { cuda: FOUR_GPUS, localRank: 0 }), 'cuda:2');
    assert.equal(selectDevice('2,3', { cuda: FOUR_GPUS, localRank: 1 }), 'cuda:3');
    assert.equal(selectDevice('cuda:3', { cuda: FOUR_GPUS }), 'cuda:3');
    assert.equal(selectDevice('cpu,cpu', { cuda: CPU_BUILD, localRank: 1 }), 'cpu');
    assert.throws(() => selectDevice('0,1', { cuda: FOUR_GPUS, localRank: 2 }), /LOCAL_RANK=2 has no device in device=0,1/);
  });

  test('a CUDA device on a build without CUDA: says so and how to build against a CUDA libtorch', () => {
    for (const device of [0, '0', 'cuda', 'cuda:0', '0,1', [0, 1]]) {
      assert.throws(
        () => selectDevice(device, { cuda: CPU_BUILD }),
        (e: Error) =>
          /this yolots build has no CUDA/.test(e.message) &&
          /LIBTORCH=\/path\/to\/libtorch npx node-gyp rebuild/.test(e.message) &&
          /LIBTORCH_USE_PYTORCH=1 npx node-gyp rebuild/.test(e.message) &&
          /docs\/devices\.md/.test(e.message),
      );
    }
  });

  test("more GPUs than visible: Ultralytics' message with the CUDA diagnostics", () => {
    assert.throws(
      () => selectDevice('0,1', { cuda: ONE_GPU }),
      /Invalid CUDA 'device=0,1' requested\. Use .device=cpu. or pass valid CUDA device\(s\)[\s\S]*torch\.cuda\.deviceCount\(\): 1/,
    );
    assert.throws(() => selectDevice('cuda:4', { cuda: FOUR_GPUS }), /Invalid CUDA 'device=4' requested/);
  });

  test('several devices need a batch that splits evenly over them', () => {
    assert.equal(selectDevice('0,1', { cuda: FOUR_GPUS, batch: 16 }), 'cuda:0');
    assert.throws(
      () => selectDevice('0,1,2', { cuda: FOUR_GPUS, batch: 16 }),
      /'batch=16' must be a multiple of the device count 3\. Try 'batch=15' or 'batch=18'/,
    );
    assert.throws(
      () => selectDevice('cpu,cpu', { cuda: CPU_BUILD, batch: -1 }),
      /AutoBatch with batch<1 is not supported for multi-device training/,
    );
    assert.equal(selectDevice('0', { cuda: ONE_GPU, batch: 7 }), 'cuda:0', 'one device takes any batch');
  });

  test("this build's own answer agrees with torch.cuda", () => {
    const expected = torch.cuda.isAvailable() ? 'cuda:0' : 'cpu';
    assert.equal(selectDevice(null), expected);
    assert.equal(torch.cuda.isAvailable(), torch.cuda.deviceCount() > 0);
    if (!torch.cuda.isBuilt()) assert.equal(torch.cuda.deviceCount(), 0);
  });
});

describe('tensor moves on the CPU', () => {
  test("moving a model to 'cpu' keeps its parameters (same objects, same values), so an optimizer built before still holds them", () => {
    const model = new DetectionModel('yolov8n.yaml', { verbose: false });
    const before = model.parameters();
    const sum = torch.tidy(() => before.reduce((acc, p) => acc + p.sum().item(), 0));
    model.to(selectDevice('cpu'));
    const after = model.parameters();
    assert.equal(after.length, before.length);
    assert.ok(after.every((p, i) => p === before[i]));
    assert.equal(
      torch.tidy(() => after.reduce((acc, p) => acc + p.sum().item(), 0)),
      sum,
    );
    assert.ok(after.every((p) => p.device === 'cpu'));
    model.dispose();
  });
});

describe('a device this build cannot use', () => {
  // A CUDA index beyond the visible devices: refused by every build (no CUDA at all, or too few GPUs).
  const unusable = String(torch.cuda.deviceCount());
  const project = mkdtempSync(join(tmpdir(), 'yolots-device-'));
  after(() => rmSync(project, { recursive: true, force: true }));

  test('training fails in the constructor, before any run folder is made, with the message predict gives', async () => {
    let trainError: Error | null = null;
    try {
      new DetectionTrainer({ overrides: { model: 'yolov8n.yaml', device: unusable, project, epochs: 1, imgsz: 64 } });
    } catch (error) {
      trainError = error as Error;
    }
    assert.ok(trainError, 'the trainer refused the device');
    assert.deepEqual(readdirSync(project), [], 'no run folder, no args.yaml: nothing was done');

    const predictor = new DetectionPredictor({ overrides: { device: unusable, project, save: false, verbose: false } });
    const model = new DetectionModel('yolov8n.yaml', { verbose: false });
    await assert.rejects(predictor.predict('nothing.jpg', model), (e: Error) => e.message === trainError?.message);
    model.dispose();
    assert.ok(!existsSync(join(project, 'predict')));
  });
});
