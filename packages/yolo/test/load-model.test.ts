// A loaded model is ready to use, as Ultralytics' loader returns it: eval mode, the checkpoint's training arguments as
// `args` (so `model.loss()` uses its gains), the metadata readable, and `new YOLO(weights)` taking its defaults from it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as torch from '@yolots/torch';
import { defaultCfg } from '../src/cfg/config.js';
import type { Batch } from '../src/data/batch.js';
import { checkpointArgs, loadDetectionModel, readWeightsFile } from '../src/models/yolo/detect/load.js';
import { YOLO } from '../src/models/yolo/model.js';
import { DetectionModel } from '../src/nn/tasks.js';
import { CHECKPOINT_FORMAT, saveCheckpoint } from '../src/utils/checkpoint.js';
import { requireShared, sharedPath } from './helpers/shared.js';

const PT = sharedPath('fixtures/ultralytics/model.pt');
const dir = mkdtempSync(join(tmpdir(), 'yolots-load-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A yolots checkpoint of a small random detector trained (as its metadata says) with `trainArgs`. */
function writeCheckpoint(file: string, trainArgs: Record<string, unknown>): void {
  const model = new DetectionModel('yolov8n.yaml', { nc: 2, verbose: false });
  saveCheckpoint(file, {
    meta: {
      format: CHECKPOINT_FORMAT,
      version: '0.0.0-test',
      date: '2025-01-02T03:04:05.000Z',
      epoch: 4,
      best_fitness: 0.25,
      ema_updates: 0,
      train_args: { ...defaultCfg(), ...trainArgs },
      train_metrics: {},
      model: { yaml: model.yaml, nc: 2, names: { 0: 'cat', 1: 'dog' }, stride: model.stride, task: 'detect' },
    },
    model: model.stateDict(),
    ema: null,
    optimizer: null,
  });
  model.dispose();
}

/** One 64×64 image with one box of class 1: the loss items of `model` on it. */
function lossItems(model: DetectionModel): number[] {
  return torch.noGrad(() =>
    torch.tidy(() => {
      torch.manualSeed(0);
      const batch: Batch = {
        img: torch.rand([1, 3, 64, 64]),
        batchIdx: torch.tensor([0]),
        cls: torch.tensor([[1]]),
        bboxes: torch.tensor([[0.5, 0.5, 0.4, 0.3]]),
        imFile: ['a.jpg'],
        oriShape: [[64, 64]],
        resizedShape: [[64, 64]],
      };
      return model.loss(batch)[1].toArray();
    }),
  );
}

describe('loading a model from weights', () => {
  test("a yolots checkpoint loads in eval mode with its train_args as args, and the loss uses the checkpoint's gains", () => {
    const file = join(dir, 'gains.safetensors');
    writeCheckpoint(file, { cls: 2.0, imgsz: 96, data: 'my.yaml' });
    const loaded = loadDetectionModel(file);
    assert.equal(loaded.training, false, 'eval mode, as Ultralytics returns a loaded model');
    assert.equal(loaded.args?.cls, 2.0);
    assert.equal(loaded.args?.imgsz, 96);
    assert.deepEqual(loaded.names, { 0: 'cat', 1: 'dog' });

    // The same weights without the checkpoint's args: the default gains (cls 0.5).
    const plain = loadDetectionModel(file);
    plain.args = undefined;
    const [boxA, clsA, dflA] = lossItems(loaded);
    const [boxB, clsB, dflB] = lossItems(plain);
    assert.ok(Math.abs((clsA ?? 0) / (clsB ?? 1) - 2.0 / 0.5) < 1e-4, `cls item ${clsA} vs ${clsB}: the gain ratio 4`);
    assert.ok(Math.abs((boxA ?? 0) - (boxB ?? 0)) < 1e-6 && Math.abs((dflA ?? 0) - (dflB ?? 0)) < 1e-6);
    loaded.dispose();
    plain.dispose();
  });

  test('readWeightsFile gives the metadata; checkpointArgs keeps known keys over the defaults and checks them', () => {
    const file = join(dir, 'meta.safetensors');
    writeCheckpoint(file, { epochs: 7 });
    const { weights, meta } = readWeightsFile(file);
    torch.dispose([...weights.values()]);
    assert.deepEqual([meta.epoch, meta.date, meta.version, meta.bestFitness], [4, '2025-01-02T03:04:05.000Z', '0.0.0-test', 0.25]);
    assert.equal(meta.trainArgs?.epochs, 7);

    const args = checkpointArgs({ epochs: 3, not_a_key_here: 1 }, 'x.pt');
    assert.equal(args.epochs, 3);
    assert.equal(args.box, defaultCfg().box);
    assert.ok(!('not_a_key_here' in args), 'keys of other versions are dropped');
    assert.throws(() => checkpointArgs({ lr0: 'fast' }, 'x.pt'), /x\.pt: its train_args do not check: .*lr0/);
  });

  test('a YAML builds a new model in training mode, without args', () => {
    const model = loadDetectionModel('yolov8n.yaml');
    assert.equal(model.training, true);
    assert.equal(model.args, undefined);
    model.dispose();
  });

  test('an Ultralytics .pt: eval mode, its train_args, float32 weights; new YOLO takes imgsz and data from them', {
    ...requireShared([PT], 'loading an Ultralytics .pt'),
  }, async () => {
    const model = loadDetectionModel(PT);
    assert.equal(model.training, false);
    assert.equal(model.args?.imgsz, 320, 'the fixture was trained at imgsz=320');
    assert.equal(model.args?.box, 7.5);
    assert.ok(model.parameters().every((p) => p.dtype === 'float32'));
    const { meta, weights } = readWeightsFile(PT);
    torch.dispose([...weights.values()]);
    assert.equal(meta.version, '8.2.103');
    assert.equal(meta.epoch, -1);
    model.dispose();

    const yolo = new YOLO(PT);
    assert.equal(yolo.overrides.imgsz, 320);
    assert.equal(yolo.overrides.data, 'coco8.yaml');
    assert.equal(yolo.model.training, false);
    await yolo.dispose();
  });
});
