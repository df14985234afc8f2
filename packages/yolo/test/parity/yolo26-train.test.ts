// YOLO26 through the trainer, validator and predictor: results.csv has 8.4's columns (time, l1_loss), the
// end-to-end loss moves along its schedule at every epoch end and is reset when resuming, the validator and the
// predictor take the one-to-one top-k without NMS (and say so), and the checkpoint reloads as a YOLO26.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadDetectionModel } from '../../src/models/yolo/detect/load.js';
import { DetectionPredictor } from '../../src/models/yolo/detect/predict.js';
import { DetectionTrainer } from '../../src/models/yolo/detect/train.js';
import { YOLO } from '../../src/models/yolo/model.js';
import type { DetectionModel } from '../../src/nn/tasks.js';
import { readCheckpointMeta } from '../../src/utils/checkpoint.js';
import type { E2ELoss } from '../../src/utils/loss-e2e.js';
import { requireShared, sharedPath } from '../helpers/shared.js';

const COCO8 = sharedPath('datasets/coco8.yaml');
const project = mkdtempSync(join(tmpdir(), 'yolots-yolo26-'));
after(() => rmSync(project, { recursive: true, force: true }));

function overrides(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: 'yolo26n.yaml',
    data: COCO8,
    epochs: 2,
    imgsz: 64,
    batch: 4,
    nbs: 4,
    workers: 0,
    plots: false,
    verbose: false,
    project,
    ...extra,
  };
}

describe(
  'YOLO26 training, validation and prediction',
  requireShared(
    ['datasets/coco8.yaml', 'datasets/coco8/images/val/000000000049.jpg', 'fixtures/ultralytics-yolo26/model.pt'],
    'YOLO26 training',
  ),
  () => {
    test("results.csv in 8.4's layout with l1_loss; the E2E schedule advances per epoch; NMS-free validation and prediction", async () => {
      const trainer = new DetectionTrainer({ overrides: overrides({ name: 'e2e' }) });
      const schedules: number[] = [];
      trainer.addCallback('on_train_epoch_end', (t) => {
        const criterion = ((t as DetectionTrainer).model as DetectionModel).criterion as E2ELoss | null;
        schedules.push(criterion?.updates ?? -1);
      });
      await trainer.train();
      assert.deepEqual(schedules, [1, 2], 'criterion.update() ran at each epoch end');
      const header = readFileSync(join(trainer.saveDir, 'results.csv'), 'utf8').split('\n')[0]?.split(',');
      assert.deepEqual(header, [
        'epoch',
        'time',
        'train/box_loss',
        'train/cls_loss',
        'train/l1_loss',
        'metrics/precision(B)',
        'metrics/recall(B)',
        'metrics/mAP50(B)',
        'metrics/mAP50-95(B)',
        'val/box_loss',
        'val/cls_loss',
        'val/l1_loss',
        'lr/pg0',
        'lr/pg1',
        'lr/pg2',
      ]);

      const model = loadDetectionModel(join(trainer.saveDir, 'weights', 'best.safetensors'));
      try {
        assert.equal(model.family, 'yolo26');
        assert.equal(model.head.end2end, true);
        const predictor = new DetectionPredictor({ overrides: { imgsz: 64, conf: 0.0, save: false, verbose: true, max_det: 7 } });
        let results: Awaited<ReturnType<DetectionPredictor['predict']>> = [];
        const lines = await captureLogAsync(async () => {
          results = await predictor.predict(sharedPath('datasets/coco8/images/val/000000000049.jpg'), model);
        });
        assert.equal(results.length, 1);
        assert.ok((results[0]?.boxes?.length ?? 0) <= 7, 'at most max_det detections, from the top-k');
        assert.ok(
          lines.some((l) => /Speed: .*end-to-end.*no NMS/.test(l)),
          `the speed line says NMS was skipped: ${lines.join(' | ')}`,
        );
      } finally {
        model.dispose();
      }
    });

    test('resuming sets the E2E schedule to the epochs already finished (MuSGD state restored too)', async () => {
      // MuSGD: its two buffers per Muon parameter go through the checkpoint and back.
      const first = new DetectionTrainer({ overrides: overrides({ name: 'resume', epochs: 3, optimizer: 'MuSGD', lr0: 0.01 }) });
      // Interrupted after epoch 1 was saved: last.safetensors is resumable.
      first.addCallback('on_train_epoch_start', (t) => {
        if ((t as DetectionTrainer).epoch === 1) throw new Error('interrupted');
      });
      await assert.rejects(first.train(), /interrupted/);
      const last = join(first.saveDir, 'weights', 'last.safetensors');
      const resumed = new DetectionTrainer({ overrides: overrides({ resume: last }) });
      const seen: number[] = [];
      resumed.addCallback('on_train_epoch_start', (t) => {
        const criterion = ((t as DetectionTrainer).model as DetectionModel).criterion as E2ELoss | null;
        seen.push(criterion?.updates ?? -1);
      });
      await resumed.train();
      assert.deepEqual(seen.slice(0, 1), [1], 'the resumed epoch 2 starts with one update done');
    });

    test("fine-tuning from Ultralytics 8.4's best.pt: YOLO26 weights, l1_loss columns, a checkpoint recording the family", async () => {
      const pt = sharedPath('fixtures/ultralytics-yolo26/model.pt');
      const model = new YOLO(pt);
      try {
        await model.train(overrides({ name: 'finetune', epochs: 1, model: undefined }));
        const runDir = join(project, 'finetune');
        const header = readFileSync(join(runDir, 'results.csv'), 'utf8').split('\n')[0];
        assert.match(String(header), /^epoch,time,train\/box_loss,train\/cls_loss,train\/l1_loss,/);
        const best = join(runDir, 'weights', 'best.safetensors');
        assert.equal(readCheckpointMeta(best).model.family, 'yolo26');
      } finally {
        await model.dispose();
      }
    });

    test('optimizer=MuSGD trains: eight parameter groups (lr/pg0…7), finite losses, a checkpoint recording the family', async () => {
      const trainer = new DetectionTrainer({ overrides: overrides({ name: 'musgd', epochs: 1, optimizer: 'MuSGD', lr0: 0.01 }) });
      await trainer.train();
      const [header, row] = readFileSync(join(trainer.saveDir, 'results.csv'), 'utf8').trim().split('\n');
      const columns = String(header).split(',');
      assert.deepEqual(
        columns.filter((c) => c.startsWith('lr/')),
        Array.from({ length: 8 }, (_, i) => `lr/pg${i}`),
      );
      const values = String(row).split(',').map(Number);
      assert.ok(values.every(Number.isFinite), `finite row: ${row}`);
      assert.equal(readCheckpointMeta(join(trainer.saveDir, 'weights', 'last.safetensors')).model.family, 'yolo26');
    });
  },
);

async function captureLogAsync(fn: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  };
  try {
    await fn();
  } finally {
    console.log = original;
  }
  return lines;
}
