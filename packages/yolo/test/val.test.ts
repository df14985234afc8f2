// Standalone validation: metrics dict, save_json (COCO format), save_txt/save_conf label files, callbacks that see
// each batch's predictions, and memory that returns to its baseline.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import * as torch from '@yolots/torch';
import { SHAPE_NAMES } from '../src/data/shapes.js';
import { DetectionValidator } from '../src/models/yolo/detect/val.js';
import { DetectionModel } from '../src/nn/tasks.js';
import { shapesData } from './helpers/shapes-data.js';

// The built-in shapes data (4 val images, 5 classes): no ../shared needed. A freshly initialised yolov8n scores
// every anchor near its class-bias prior (sigmoid(log(5 / nc / 80²)) ≈ 1.6e-4 at stride 8), so conf 0.0001 keeps
// boxes for every image without trained weights.
const DATA = await shapesData();

function freshModel(): DetectionModel {
  torch.manualSeed(0);
  return new DetectionModel('yolov8n.yaml', { nc: SHAPE_NAMES.length, verbose: false });
}

describe('DetectionValidator standalone', () => {
  test('metrics, COCO json, label files and per-batch predictions in callbacks', async () => {
    const saveDir = mkdtempSync(join(tmpdir(), 'yolots-val-'));
    const validator = new DetectionValidator({
      args: {
        data: DATA,
        imgsz: 320,
        batch: 2,
        conf: 0.0001,
        save_json: true,
        save_txt: true,
        save_conf: true,
        plots: false,
        verbose: false,
      },
      saveDir,
    });
    const seen: number[] = [];
    validator.addCallback('on_val_batch_end', (v) => {
      assert.ok(v.batch && v.preds, 'batch and predictions are reachable from on_val_batch_end');
      for (const p of v.preds) {
        assert.equal(p.size(1), 6);
        seen.push(p.size(0));
      }
    });
    const model = freshModel();
    // A first run fuses the model and lets the head cache its anchors; a second run must then hold no more tensors.
    await new DetectionValidator({ args: { data: DATA, imgsz: 320, batch: 2, plots: false, verbose: false } }).run({ model });
    const live = torch.liveTensors();
    const metrics = await validator.run({ model });
    assert.equal(torch.liveTensors(), live, 'no tensor outlives the run');
    assert.deepEqual(
      Object.keys(metrics).sort(),
      ['fitness', 'metrics/mAP50(B)', 'metrics/mAP50-95(B)', 'metrics/precision(B)', 'metrics/recall(B)'].sort(),
    );
    assert.equal(seen.length, 4, 'one prediction tensor per val image');
    const total = seen.reduce((a, b) => a + b, 0);
    assert.ok(total > 0, 'conf 0.0001 keeps some boxes');

    const json = JSON.parse(readFileSync(join(saveDir, 'predictions.json'), 'utf8')) as {
      image_id: number;
      category_id: number;
      bbox: number[];
      score: number;
    }[];
    assert.equal(json.length, total);
    for (const row of json) {
      assert.ok([0, 1, 2, 3].includes(row.image_id), `numeric image id ${row.image_id} (the stems are 000000-000003)`);
      assert.equal(row.bbox.length, 4);
      assert.ok(row.bbox[2]! >= 0 && row.bbox[3]! >= 0, 'COCO boxes are top-left x, y, width, height');
      assert.ok(row.score >= 0.0001 && row.score <= 1);
    }
    const labels = readdirSync(join(saveDir, 'labels'));
    assert.equal(labels.length, 4);
    for (const file of labels) {
      for (const line of readFileSync(join(saveDir, 'labels', file), 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)) {
        const cols = line.split(' ').map(Number);
        assert.equal(cols.length, 6, 'cls cx cy w h conf');
        assert.ok(
          cols.slice(1, 5).every((v) => v >= 0 && v <= 1),
          line,
        );
      }
    }
    model.dispose();
  });
});
