// The segment task end to end on a tiny built-in polygon dataset: the task guessed from YAML, checkpoint and file
// name; `yolo segment train` writes Ultralytics' segmentation run folder; its best weights load as a segmentation
// model whose predictions carry masks, drawn into the saved image and written as polygons.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runMode } from '../src/cli-modes.js';
import { ensureShapesDataset } from '../src/data/shapes.js';
import { YOLO } from '../src/models/yolo/model.js';
import { guessModelTask } from '../src/nn/guess-task.js';

describe('segment task end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'yolots-seg-train-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the task comes from the model: YAML head, file name, checkpoint', () => {
    assert.equal(guessModelTask('yolov8n-seg.yaml'), 'segment');
    assert.equal(guessModelTask('yolov8s.yaml'), 'detect');
    assert.equal(guessModelTask('weights/yolov8x-seg.pt'), 'segment', 'an Ultralytics name, not read');
    assert.equal(new YOLO('yolov8n-seg.yaml').task, 'segment');
  });

  test('yolo segment train → run folder, best weights → predict with masks and polygons', async () => {
    const data = await ensureShapesDataset({ dir: join(dir, 'shapes-seg'), polygons: true, trainImages: 8, valImages: 4, imgsz: 64 });
    const project = join(dir, 'runs');
    await runMode('segment', 'train', { data, epochs: 1, imgsz: 64, batch: 4, workers: 0, project, name: 'train', verbose: false });
    const run = join(project, 'train');
    const files = readdirSync(run);
    for (const f of ['results.csv', 'results.png', 'train_batch0.jpg', 'val_batch0_labels.jpg', 'val_batch0_pred.jpg', 'labels.jpg']) {
      assert.ok(files.includes(f), `${f} in ${files.join(', ')}`);
    }
    const header = (readFileSync(join(run, 'results.csv'), 'utf8').split('\n')[0] ?? '').split(',').map((c) => c.trim());
    assert.deepEqual(header.slice(1, 5), ['train/box_loss', 'train/seg_loss', 'train/cls_loss', 'train/dfl_loss']);
    assert.ok(header.includes('metrics/mAP50-95(M)') && header.includes('val/seg_loss'));

    const best = join(run, 'weights', 'best.safetensors');
    assert.equal(guessModelTask(best), 'segment', 'from the checkpoint architecture');
    const model = new YOLO(best);
    assert.equal(model.task, 'segment');
    const out = join(dir, 'pred');
    const images = join(dir, 'shapes-seg', 'images', 'val');
    const results = await model.predict(images, {
      imgsz: 64,
      conf: 0.0001,
      save: true,
      save_txt: true,
      project: out,
      name: 'p',
      verbose: false,
    });
    const withMasks = results.find((r) => (r.masks?.length ?? 0) > 0);
    assert.ok(withMasks?.masks, 'some image has masks');
    assert.equal(withMasks.masks.length, withMasks.boxes?.length);
    assert.ok(existsSync(join(out, 'p', readdirSync(images)[0]!)), 'annotated image saved');
    // One line per detection: the class, then its outline (nothing after the class when its mask is empty).
    const lines = readdirSync(join(out, 'p', 'labels')).flatMap((f) =>
      readFileSync(join(out, 'p', 'labels', f), 'utf8')
        .trim()
        .split('\n'),
    );
    assert.ok(
      lines.some((l) => l.split(' ').length > 6 && l.split(' ').length % 2 === 1),
      'polygon lines',
    );
  });
});
