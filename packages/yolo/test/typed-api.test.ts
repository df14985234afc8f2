// The typed seams a user's code meets (issue 16 §3): arguments, predict sources, callbacks per event, criteria and
// loaders. The compile-time half is checked by `npx tsc -p tsconfig.check.json`, which type-checks this file: each
// `@ts-expect-error` fails the check when the line after it compiles. The run-time half (what JavaScript callers
// get) runs here.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import type { Batch } from '../src/data/batch.js';
import type { RawBatch } from '../src/data/collate.js';
import { Exporter } from '../src/engine/exporter.js';
import type { BatchLoader, TrainLoader } from '../src/engine/task-types.js';
import { checkTrainLoader } from '../src/engine/train-setup.js';
import type { BaseValidator } from '../src/engine/validator.js';
import { DetectionPredictor } from '../src/models/yolo/detect/predict.js';
import { DetectionTrainer } from '../src/models/yolo/detect/train.js';
import type { DetectTypes } from '../src/models/yolo/detect/types.js';
import { DetectionValidator } from '../src/models/yolo/detect/val.js';
import { YOLO } from '../src/models/yolo/model.js';
import type { Criterion } from '../src/nn/tasks.js';
import { shapesData } from './helpers/shapes-data.js';

/** True when A and B are the same type (not merely assignable). */
type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
/** Compiles only for `true`: `expectType<Equal<typeof x, Want>>()`. */
function expectType<_T extends true>(): void {}
/** `checks` is type-checked by tsc and never run (it would train or read files). */
function compileOnly(_checks: () => unknown): void {}

const DATA = await shapesData();

describe('typed options and callbacks', () => {
  test('YOLO: overrides are typed by key, predict sources by kind, callbacks by event', async () => {
    const model = new YOLO('yolov8n.yaml');
    try {
      compileOnly(async () => {
        await model.train({ data: DATA, epochs: 1, imgsz: 64, batch: 4 });
        // @ts-expect-error epochs is a number
        await model.train({ epochs: '3' });
        // @ts-expect-error a misspelt key (Ultralytics' epochs)
        await model.val({ epoch: 3 });
        await model.predict('bus.jpg', { conf: 0.5, classes: [0] });
        await model.predict(['a.jpg', Buffer.alloc(1), { data: new Uint8Array(12), width: 2, height: 2 }]);
        await model.predict(torch.zeros([1, 3, 64, 64]));
        // @ts-expect-error a number is no source
        await model.predict(42);
        // @ts-expect-error conf is a number
        await model.predict('bus.jpg', { conf: 'high' });
        await model.export({ format: 'onnx', dynamic: true });
        // @ts-expect-error dynamic is a boolean
        await model.export({ dynamic: 1 });
      });
      model.addCallback('on_val_end', (validator) => expectType<Equal<typeof validator, BaseValidator>>());
      model.addCallback('on_train_epoch_end', (trainer) => void trainer.epoch);
      // @ts-expect-error a trainer event's callback receives a trainer, not a validator
      model.addCallback('on_train_epoch_end', (trainer: BaseValidator) => void trainer);
      // @ts-expect-error a misspelt event does not compile; at run time it is refused with the closest names
      assert.throws(() => model.addCallback('on_train_epoch_ends', () => {}), /Similar events are 'on_train_epoch_end'/);
    } finally {
      await model.dispose();
    }
  });

  test('the engine classes take typed arguments too', () => {
    compileOnly(() => [
      new DetectionTrainer({ overrides: { model: 'yolov8n.yaml', data: DATA, epochs: 3, imgsz: 640 } }),
      // @ts-expect-error a misspelt key (Ultralytics' epochs)
      new DetectionTrainer({ overrides: { epoch: 3 } }),
      // @ts-expect-error a wrong type
      new DetectionTrainer({ overrides: { epochs: '3' } }),
      // @ts-expect-error conf is a number
      new DetectionPredictor({ overrides: { conf: 'high' } }),
      // @ts-expect-error a misspelt key
      new DetectionValidator({ args: { batchsize: 16 } }),
      // @ts-expect-error a misspelt key
      new Exporter({ overrides: { formt: 'onnx' } }),
    ]);
    // Values typed elsewhere are still checked when the arguments are merged (getCfg).
    const fromJson = JSON.parse('{"epochs": "three"}') as Record<string, unknown>;
    assert.throws(() => new DetectionTrainer({ overrides: fromJson }), /epochs/);
  });

  test("a trainer's callbacks: trainer events get the trainer, validator events its validator, misspellings do not compile", () => {
    const trainer = new DetectionTrainer({ overrides: { model: 'yolov8n.yaml', data: DATA, epochs: 1, imgsz: 64 } });
    trainer.addCallback('on_train_epoch_end', (t) => expectType<Equal<typeof t, DetectionTrainer>>());
    trainer.addCallback('on_val_batch_end', (v) => expectType<Equal<typeof v, BaseValidator<DetectTypes>>>());
    trainer.setCallback('on_fit_epoch_end', (t) => void t.metrics);
    for (const event of ['on_train_start', 'on_val_start'] as const) trainer.addCallback(event, () => {});
    // @ts-expect-error a misspelt event
    assert.throws(() => trainer.addCallback('on_val_ends', () => {}), /Similar events are 'on_val_end'/);
    compileOnly(() => {
      // @ts-expect-error predictor events are not a trainer's (it never fires them)
      trainer.setCallback('on_predict_start', () => {});
    });
    trainer.clearCallback();
  });

  test('Criterion.compute and torch.tidy are typed', () => {
    compileOnly(() => {
      /** Compiles: the preds and batch types it names, and [loss, items]. */
      class SumLoss implements Criterion<Tensor[], Batch> {
        compute(preds: Tensor[], batch: Batch): [Tensor, Tensor] {
          return [preds[0]!.sum().mul(batch.img.size(0)), torch.zeros([3])];
        }
      }
      class LossOnly implements Criterion<Tensor[], Batch> {
        // @ts-expect-error compute returns [loss, items], not the loss alone
        compute(preds: Tensor[]): Tensor {
          return preds[0]!.sum();
        }
      }
      return [SumLoss, LossOnly];
    });
    // @ts-expect-error an async function does not compile (Synchronous); at run time it is a TypeError
    assert.throws(() => torch.tidy(async () => torch.ones([1])), /scopes must be synchronous/);
  });
});

describe('training loaders', () => {
  /** Async iteration over no batches. */
  const empty = {
    [Symbol.asyncIterator]: (): AsyncIterator<RawBatch> => ({ next: async () => ({ done: true, value: undefined }) }),
  };

  test('a TrainLoader requires setEpoch, closeMosaic and close; a validation BatchLoader does not', () => {
    const validation: BatchLoader<RawBatch> = { length: 0, ...empty };
    // @ts-expect-error a wrapper that drops the epoch hooks is no TrainLoader
    const dropped: TrainLoader<RawBatch> = { length: 0, ...empty };
    const complete: TrainLoader<RawBatch> = { length: 0, setEpoch: () => {}, closeMosaic: () => {}, close: () => {}, ...empty };
    assert.equal(validation.length + dropped.length + complete.length, 0);
    compileOnly(() => {
      class Wrapping extends DetectionTrainer {
        // @ts-expect-error getDataloader must give a TrainLoader: a BatchLoader drops the hooks
        override async getDataloader(
          source: string[],
          batchSize: number,
          rank: number,
          mode: 'train' | 'val',
        ): Promise<BatchLoader<RawBatch>> {
          const inner = await super.getDataloader(source, batchSize, rank, mode);
          return { length: inner.length, [Symbol.asyncIterator]: () => inner[Symbol.asyncIterator]() };
        }
      }
      return Wrapping;
    });
  });

  test('checkTrainLoader names each missing hook and what the trainer calls it for', () => {
    const where = "MyTrainer.getDataloader(…, 'train')";
    checkTrainLoader({ length: 2, setEpoch() {}, closeMosaic() {}, close() {}, ...empty }, where);
    assert.throws(
      () => checkTrainLoader({ length: 2, close() {}, ...empty }, where),
      (e: Error) =>
        e instanceof TypeError &&
        e.message.startsWith(`${where} returned a training loader without setEpoch(), closeMosaic().`) &&
        e.message.includes('setEpoch() before each epoch (its shuffle and augmentation seed)') &&
        e.message.includes('closeMosaic() at the close_mosaic epoch') &&
        !e.message.includes('close() when'),
    );
    assert.throws(() => checkTrainLoader({ length: 2, setEpoch() {}, closeMosaic() {}, ...empty }, where), /without close\(\)\. /);
    assert.throws(() => checkTrainLoader({ length: 1.5, ...empty }, where), /whose length is 1\.5, not its number of batches/);
    assert.throws(() => checkTrainLoader([], where), /returned object, not an async-iterable loader/);
    assert.throws(() => checkTrainLoader(null, where), /returned null/);
  });

  test('the trainer refuses, at setup, a training loader whose wrapper dropped setEpoch (a JavaScript subclass)', async () => {
    class DroppingTrainer extends DetectionTrainer {
      override async getDataloader(
        source: string[],
        batchSize: number,
        rank: number,
        mode: 'train' | 'val',
      ): Promise<TrainLoader<RawBatch>> {
        const inner = await super.getDataloader(source, batchSize, rank, mode);
        if (mode === 'val') return inner;
        const wrapper = { length: inner.length, close: () => inner.close(), [Symbol.asyncIterator]: () => inner[Symbol.asyncIterator]() };
        return wrapper as unknown as TrainLoader<RawBatch>; // what JavaScript, or a cast, lets through
      }
    }
    const project = mkdtempSync(join(tmpdir(), 'yolots-typed-'));
    const trainer = new DroppingTrainer({
      overrides: { model: 'yolov8n.yaml', data: DATA, epochs: 1, imgsz: 64, batch: 4, workers: 0, plots: false, verbose: false, project },
    });
    let batches = 0;
    trainer.addCallback('on_train_batch_start', () => void batches++);
    await assert.rejects(
      trainer.train(),
      (e: Error) =>
        e instanceof TypeError &&
        e.message.startsWith("DroppingTrainer.getDataloader(…, 'train') returned a training loader without setEpoch(), closeMosaic()."),
    );
    assert.equal(batches, 0, 'refused before the first batch');
  });
});
