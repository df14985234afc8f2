// The scenarios of Ultralytics' engine tests, in TypeScript: default trainer, custom model, custom loss,
// trainer-level criterion, callback order and counts, callback errors, non-finite losses, config errors.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import type { Batch } from '../src/data/batch.js';
import { DetectionTrainer } from '../src/models/yolo/detect/train.js';
import { DetectionModel } from '../src/nn/tasks.js';
import { loadCheckpoint, readCheckpointMeta } from '../src/utils/checkpoint.js';
import { shapesData } from './helpers/shapes-data.js';

// The built-in shapes data (4 train + 4 val images): no ../shared needed.
const DATA = await shapesData();

/** Small, fast settings: 1 batch per epoch on the 4 train images of the shapes data at 64 px. */
function overrides(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: 'yolov8n.yaml',
    data: DATA,
    epochs: 2,
    imgsz: 64,
    batch: 4,
    nbs: 4,
    workers: 0,
    plots: false,
    verbose: false,
    project: mkdtempSync(join(tmpdir(), 'yolots-trainer-')),
    ...extra,
  };
}

const RESULTS_HEADER = [
  'epoch',
  'train/box_loss',
  'train/cls_loss',
  'train/dfl_loss',
  'metrics/precision(B)',
  'metrics/recall(B)',
  'metrics/mAP50(B)',
  'metrics/mAP50-95(B)',
  'val/box_loss',
  'val/cls_loss',
  'val/dfl_loss',
  'lr/pg0',
  'lr/pg1',
  'lr/pg2',
];

function csvRows(file: string): string[][] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(',').map((v) => v.trim()));
}

describe('DetectionTrainer', () => {
  test('default trainer writes args.yaml (with the fixed-up imgsz), results.csv with Ultralytics columns, and stripped checkpoints', async () => {
    const trainer = new DetectionTrainer({ overrides: overrides({ imgsz: 50 }) });
    await trainer.train();
    assert.match(readFileSync(join(trainer.saveDir, 'args.yaml'), 'utf8'), /^imgsz: 64$/m, 'imgsz rounded up to the stride 32, as trained');
    const rows = csvRows(trainer.csv);
    assert.deepEqual(rows[0], RESULTS_HEADER);
    assert.equal(rows.length, 3, 'a header and one row per epoch');
    assert.deepEqual(
      rows.slice(1).map((r) => r[0]),
      ['1', '2'],
    );
    for (const file of [trainer.last, trainer.best]) {
      assert.ok(existsSync(file), file);
      assert.equal(readCheckpointMeta(file).epoch, -1, 'finished checkpoints are stripped to epoch -1');
    }
    const ckpt = loadCheckpoint(trainer.best);
    assert.equal(ckpt.ema, null);
    assert.equal(ckpt.optimizer, null);
    assert.equal(ckpt.model.get('model.0.conv.weight')?.shape.join(','), '16,3,3,3');
    torch.dispose([...ckpt.model.values()]);
  });

  test('a custom model from getModel is the one trained', async () => {
    let built = 0;
    class MyModel extends DetectionModel {}
    class CustomTrainer extends DetectionTrainer {
      override getModel(cfg: string | Record<string, unknown> | null, weights: Map<string, Tensor> | null): DetectionModel {
        built++;
        const model = new MyModel(cfg ?? 'yolov8n.yaml', { nc: this.data.nc, verbose: false });
        if (weights) model.load(weights);
        return model;
      }
    }
    const trainer = new CustomTrainer({ overrides: overrides({ epochs: 1 }) });
    await trainer.train();
    assert.equal(built, 1);
    assert.ok(trainer.model instanceof MyModel);
  });

  test('the train loader is asked to prefetch each next epoch before validation, never past the last', async () => {
    const prefetched: Array<[epoch: number, trainedEpoch: number]> = [];
    class PrefetchSpyTrainer extends DetectionTrainer {
      override async getDataloader(...args: Parameters<DetectionTrainer['getDataloader']>) {
        const loader = await super.getDataloader(...args);
        if (args[3] === 'train') loader.prefetchEpoch = (epoch) => prefetched.push([epoch, this.epoch]);
        return loader;
      }
    }
    const trainer = new PrefetchSpyTrainer({ overrides: overrides({ epochs: 3 }) });
    await trainer.train();
    assert.deepEqual(prefetched, [
      [1, 0],
      [2, 1],
    ]);
  });

  test('validation during training loads in-process on a CPU (as Ultralytics on CPU), with workers·2 threads on CUDA', () => {
    class WorkersTrainer extends DetectionTrainer {
      validationWorkersOn(device: string): number {
        (this as { device: string }).device = device; // as if selectDevice had picked it
        return this.validationWorkers();
      }
    }
    const trainer = new WorkersTrainer({ overrides: overrides({ workers: 3 }) });
    assert.equal(trainer.validationWorkersOn('cpu'), 0);
    assert.equal(trainer.validationWorkersOn('cuda:0'), 6);
  });

  test("a custom loss from initCriterion, named by the trainer's lossNames, shows in the train and val columns", async () => {
    class ConstantLoss {
      compute(preds: Tensor[] | { raw?: Tensor[] }, batch: Batch): [Tensor, Tensor] {
        const maps = Array.isArray(preds) ? preds : (preds.raw as Tensor[]);
        const anchor = maps[0]!.sum().mul(0);
        const items = torch.tensor([1.5, 2.5, 3.5, 4.5]);
        return [anchor.add(items.sum()).mul(batch.img.size(0)), items];
      }
    }
    class MyModel extends DetectionModel {
      override initCriterion() {
        return new ConstantLoss() as never;
      }
    }
    class CustomTrainer extends DetectionTrainer {
      override readonly lossNames = ['box_loss', 'cls_loss', 'dfl_loss', 'l2_loss'];

      override getModel(cfg: string | Record<string, unknown> | null): DetectionModel {
        return new MyModel(cfg ?? 'yolov8n.yaml', { nc: this.data.nc, verbose: false });
      }
    }
    const trainer = new CustomTrainer({ overrides: overrides({ epochs: 1 }) });
    await trainer.train();
    assert.deepEqual(trainer.tloss, [1.5, 2.5, 3.5, 4.5]);
    const [header, row] = csvRows(trainer.csv) as [string[], string[]];
    assert.deepEqual(header.slice(1, 5), ['train/box_loss', 'train/cls_loss', 'train/dfl_loss', 'train/l2_loss']);
    assert.deepEqual(row.slice(1, 5).map(Number), [1.5, 2.5, 3.5, 4.5]);
    // The validator named its mean losses with the names its context carried.
    assert.equal(Number(row[header.indexOf('val/l2_loss')]), 4.5);
  });

  test('a trainer-level criterion(preds, batch) replaces the model loss', async () => {
    let calls = 0;
    class CriterionTrainer extends DetectionTrainer {
      override criterion(preds: unknown, batch: Batch): [Tensor, Tensor] {
        calls++;
        const maps = preds as Tensor[];
        const items = torch.tensor([0.25, 0.5, 0.75]);
        return [maps[0]!.mean().mul(0).add(1.5).mul(batch.img.size(0)), items];
      }
    }
    const trainer = new CriterionTrainer({ overrides: overrides({ epochs: 1 }) });
    await trainer.train();
    assert.equal(calls, 1);
    assert.deepEqual(trainer.tloss, [0.25, 0.5, 0.75]);
  });

  test('callbacks fire in order with the right counts, appended not replaced', async () => {
    const events: string[] = [];
    const trainer = new DetectionTrainer({ overrides: overrides({ epochs: 2 }) });
    const names = [
      'on_pretrain_routine_start',
      'on_pretrain_routine_end',
      'on_train_start',
      'on_train_epoch_start',
      'on_train_batch_start',
      'optimizer_step',
      'on_before_zero_grad',
      'on_batch_end',
      'on_train_batch_end',
      'on_train_epoch_end',
      'on_model_save',
      'on_fit_epoch_end',
      'on_train_end',
      'teardown',
      'on_val_start',
      'on_val_end',
    ] as const;
    for (const name of names) trainer.addCallback(name, () => void events.push(name));
    let lastSeen = '';
    trainer.addCallback('on_train_epoch_end', (t) => {
      lastSeen = t.last;
    });
    let paramsUpdates = 0;
    trainer.addCallback('on_params_update', () => void paramsUpdates++);
    await trainer.train();
    const count = (name: string): number => events.filter((e) => e === name).length;
    assert.equal(count('on_train_epoch_start'), 2);
    assert.equal(count('on_fit_epoch_end'), 2, 'on_fit_epoch_end fires once per epoch, not again at the end');
    assert.equal(count('optimizer_step'), 2, 'nbs = batch: one optimizer step per batch');
    assert.equal(count('on_before_zero_grad'), 2);
    assert.equal(count('on_model_save'), 2);
    assert.equal(count('on_val_start'), 3, 'two in-training validations and the final evaluation');
    assert.ok(paramsUpdates >= 4, 'lr updates at each epoch start and during warmup');
    assert.equal(lastSeen, trainer.last);
    const epoch = [
      'on_train_epoch_start',
      'on_train_batch_start',
      'optimizer_step',
      'on_before_zero_grad',
      'on_batch_end',
      'on_train_batch_end',
      'on_train_epoch_end',
      'on_val_start',
      'on_val_end',
      'on_model_save',
      'on_fit_epoch_end',
    ];
    assert.deepEqual(events, [
      'on_pretrain_routine_start',
      'on_pretrain_routine_end',
      'on_train_start',
      ...epoch,
      ...epoch,
      'on_val_start',
      'on_val_end',
      'on_train_end',
      'teardown',
    ]);
  });

  test('an exception in a callback stops training, names the event, and leaves last checkpoint loadable', async () => {
    const trainer = new DetectionTrainer({ overrides: overrides({ epochs: 3 }) });
    trainer.addCallback('on_train_epoch_start', (t) => {
      if (t.epoch === 1) throw new Error('upload failed');
    });
    await assert.rejects(trainer.train(), /on_train_epoch_start.*upload failed/);
    const meta = readCheckpointMeta(trainer.last);
    assert.equal(meta.epoch, 0, 'the checkpoint of the completed epoch is intact');
  });

  test('a non-finite loss is reported with epoch and batch and does not poison the weights', async (t) => {
    const warnings: string[] = [];
    t.mock.method(console, 'warn', (msg: string) => void warnings.push(String(msg)));
    class NanTrainer extends DetectionTrainer {
      override criterion(preds: unknown, batch: Batch): [Tensor, Tensor] {
        const maps = preds as Tensor[];
        const loss = maps[0]!.mean().mul(Number.NaN).mul(batch.img.size(0));
        return [loss, torch.tensor([Number.NaN, 0, 0])];
      }
    }
    const trainer = new NanTrainer({ overrides: overrides({ epochs: 1 }) });
    await trainer.train();
    assert.ok(
      warnings.some((w) => /non-finite loss \(NaN\) at epoch 1, batch 1/.test(w)),
      warnings.join('\n'),
    );
    const ckpt = loadCheckpoint(trainer.last);
    const finite = torch.tidy(() => [...ckpt.model.values()].every((v) => !v.isFloatingPoint() || v.isfinite().all().item() === 1));
    assert.ok(finite);
    torch.dispose([...ckpt.model.values()]);
  });

  test('config errors name the key and the closest valid keys', () => {
    assert.throws(() => new DetectionTrainer({ overrides: overrides({ epoch: 3 }) }), /'epoch' is not a valid YOLO argument.*epochs/s);
    assert.throws(() => new DetectionTrainer({ overrides: overrides({ lr0: 'fast' }) }), /lr0/);
    assert.throws(() => new DetectionTrainer({ overrides: overrides({ fliplr: 1.5 }) }), /fliplr=1.5/);
  });

  test('a missing dataset names the path it looked for', async () => {
    const trainer = new DetectionTrainer({ overrides: overrides({ data: 'no/such/data.yaml' }) });
    await assert.rejects(trainer.train(), /no\/such\/data\.yaml/);
  });
});
