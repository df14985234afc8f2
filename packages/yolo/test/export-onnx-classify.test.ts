// ONNX export of a classifier: the fixture yolov8n-cls (Ultralytics' best.pt) exported static and dynamic; onnxruntime
// gives the libtorch probabilities, and a YOLO on the .onnx predicts the fixture's top-5 with the class names from
// the metadata, and validates to the fixture's top-1 / top-5.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as torch from '@yolots/torch';
import { YOLO } from '../src/models/yolo/model.js';
import { loadOnnxBackend } from '../src/nn/autobackend.js';
import { CLASSIFY_FIXTURES, fixtureGate, get, loadFixture, readFixtureJson } from './parity/classify-fixtures.js';

describe('ONNX export of a classification model', fixtureGate(['model.pt', 'transforms.safetensors', 'predict.json']), () => {
  const dir = mkdtempSync(join(tmpdir(), 'yolots-cls-onnx-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('static and dynamic exports equal libtorch; the .onnx predicts the fixture top-5', async () => {
    const img = get(loadFixture('transforms.safetensors').tensors, 'val_img');
    // The export is written beside its weights: a copy in a writable folder.
    copyFileSync(`${CLASSIFY_FIXTURES}model.pt`, join(dir, 'best.pt'));
    const model = new YOLO(join(dir, 'best.pt'));
    const expected = torch.noGrad(() => model.model.eval().call(img) as torch.Tensor).keep();
    const files: string[] = [];
    for (const dynamic of [false, true]) {
      const file = await model.export({ format: 'onnx', imgsz: 64, batch: 2, dynamic });
      files.push(file);
      const backend = await loadOnnxBackend(file);
      try {
        assert.equal(backend.names?.[2], 'square');
        const out = await backend.infer(img);
        const diff = torch.tidy(() => out.sub(expected).abs().max().item());
        assert.ok(diff <= 1e-5, `dynamic=${dynamic}: max |onnx - libtorch| ${diff}`);
        console.log(`# dynamic=${dynamic}: max |onnx - libtorch| ${diff.toExponential(2)}`);
        out.dispose();
      } finally {
        await backend.dispose();
      }
    }
    const fixture = readFixtureJson<{ image: string; top5: number[]; top5conf: number[] }>('predict.json');
    const onnx = new YOLO(files[1] as string);
    assert.equal(onnx.task, 'classify');
    const [result] = await onnx.predict(CLASSIFY_FIXTURES + fixture.image, { save: false, verbose: false });
    assert.deepEqual(result?.probs?.top5, fixture.top5);
    result?.probs?.top5conf.forEach((v, i) => {
      assert.ok(Math.abs(v - (fixture.top5conf[i] as number)) <= 1e-5);
    });
    // Validation through onnxruntime gives the fixture's metrics (README §5).
    const metrics = await onnx.val({ data: `${CLASSIFY_FIXTURES}dataset`, batch: 2, plots: false, verbose: false, project: dir });
    assert.equal(metrics['metrics/accuracy_top1'], 0.75);
    assert.equal(metrics['metrics/accuracy_top5'], 1);
  });
});
