// The classify task end to end on a copy of the fixture's folder dataset (with one corrupt image added): the task
// guessed from YAML, checkpoint and file name; `yolo classify train` writes Ultralytics' classification run folder;
// its best weights validate and predict with class probabilities, drawn into the saved image and written as text.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runMode } from '../src/cli-modes.js';
import { YOLO } from '../src/models/yolo/model.js';
import { guessModelTask } from '../src/nn/guess-task.js';
import { CLASSIFY_FIXTURES, fixtureGate } from './parity/classify-fixtures.js';

describe('classify task end to end', fixtureGate(['dataset/train/circle']), () => {
  const dir = mkdtempSync(join(tmpdir(), 'yolots-cls-train-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the task comes from the model: YAML head, file name, checkpoint', () => {
    assert.equal(guessModelTask('yolov8n-cls.yaml'), 'classify');
    assert.equal(guessModelTask('weights/yolov8s-cls.pt'), 'classify', 'an Ultralytics name, not read');
    assert.equal(guessModelTask(`${CLASSIFY_FIXTURES}model.pt`), 'classify');
    assert.equal(new YOLO('yolov8n-cls.yaml').task, 'classify');
  });

  test('yolo classify train → run folder (corrupt image skipped), best weights → val and predict with probs', async () => {
    const data = join(dir, 'data');
    cpSync(`${CLASSIFY_FIXTURES}dataset`, data, { recursive: true });
    writeFileSync(join(data, 'train', 'circle', 'broken.jpg'), 'not an image');
    const project = join(dir, 'runs');
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args.join(' '));
    try {
      await runMode('classify', 'train', { data, epochs: 2, imgsz: 32, batch: 16, project, name: 'train', verbose: false });
    } finally {
      console.warn = warn;
    }
    assert.ok(
      warnings.some((w) => w.includes('broken.jpg') && w.includes('ignoring corrupt image')),
      'the corrupt image is reported',
    );
    const run = join(project, 'train');
    const files = readdirSync(run);
    for (const f of [
      'results.csv',
      'results.png',
      'confusion_matrix.png',
      'confusion_matrix_normalized.png',
      'train_batch0.jpg',
      'val_batch0_labels.jpg',
      'val_batch0_pred.jpg',
      'args.yaml',
    ]) {
      assert.ok(files.includes(f), `${f} in ${files.join(', ')}`);
    }
    const header = (line: string) => line.split(',').map((c) => c.trim());
    const ours = header(readFileSync(join(run, 'results.csv'), 'utf8').split('\n')[0] ?? '');
    const theirs = header(readFileSync(`${CLASSIFY_FIXTURES}results.csv`, 'utf8').split('\n')[0] ?? '');
    assert.deepEqual(ours, theirs);

    const best = join(run, 'weights', 'best.safetensors');
    assert.equal(guessModelTask(best), 'classify', 'from the checkpoint architecture');
    const model = new YOLO(best);
    assert.equal(model.task, 'classify');
    const metrics = await model.val({ data, verbose: false, plots: false, project: join(dir, 'val') });
    assert.ok((metrics['metrics/accuracy_top5'] as number) === 1, 'top-5 of 4 classes is always right');
    const out = join(dir, 'pred');
    const images = join(data, 'val', 'square');
    const results = await model.predict(images, { save: true, save_txt: true, project: out, name: 'p', verbose: false });
    assert.equal(results.length, 4);
    for (const r of results) {
      assert.equal(r.probs?.length, 4);
      assert.ok(Math.abs((r.probs?.data ?? []).reduce((a, b) => a + b, 0) - 1) < 1e-5);
    }
    assert.ok(existsSync(join(out, 'p', readdirSync(images)[0] as string)), 'annotated image saved');
    const txt = readFileSync(join(out, 'p', 'labels', `${(readdirSync(images)[0] as string).replace(/\.png$/, '')}.txt`), 'utf8');
    assert.match(txt, /^0\.\d\d (circle|cross|square|triangle)\n/);
    assert.equal(txt.trim().split('\n').length, 4);
  });
});
