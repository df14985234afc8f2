// ONNX export of the Ultralytics 8.3.28 yolo11n fixture (fixtures/ultralytics-yolo11, README §6), run by
// onnxruntime-node: static (opset 17) and dynamic (opset 12) graphs give our libtorch eval output and Ultralytics'
// export-mode output within 1e-4 relative, in Ultralytics' layout ([B, 84, anchors], output0, metadata keys);
// `new YOLO('x.onnx')` predicts the boxes of the libtorch model.
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { Exporter, exportOnnx } from '../../src/engine/exporter.js';
import type { Results } from '../../src/engine/results.js';
import { YOLO } from '../../src/models/yolo/model.js';
import { loadOnnxBackend } from '../../src/nn/autobackend.js';
import type { DetectionPrediction } from '../../src/nn/modules/head.js';
import type { DetectionModel } from '../../src/nn/tasks.js';
import { decodeModel } from '../../src/utils/onnx/schema.js';
import { assertSameRows, detectionRows } from '../helpers/detection-rows.js';
import { requireShared } from '../helpers/shared.js';
import { fixtureSet, relativeDiff } from './fixture-set.js';
import { checkOnnxFacts, dims, onnxCase } from './onnx-facts.js';

const fixtures = fixtureSet('ultralytics-yolo11');
const gate = fixtures.gate(['model.pt', 'model.safetensors', 'forward.safetensors', 'batch.safetensors', 'onnx_facts.json']);
const IMAGES = ['000000000049.jpg', '000000000061.jpg'].map((f) => join(fixtures.dir, '../../datasets/coco8/images/val', f));

describe('ONNX export of yolo11n (Ultralytics 8.3.28 fixture weights) run by onnxruntime-node', gate, () => {
  let model: DetectionModel;
  let img: Tensor;
  let expected: Tensor;
  let ultralytics: Tensor;
  let dir: string;
  let dispose: () => void;

  before(() => {
    ({ model, img, expected, ultralytics, dir, dispose } = onnxCase(fixtures, 'yolo11n.yaml', 'eval_fused'));
  });
  after(() => dispose());

  test("static export, opset 17: Ultralytics' layout and metadata, output equal to ours and to Ultralytics'", async () => {
    const file = await exportOnnx(model, { imgsz: 320, batch: 2, opset: 17, weights: join(dir, 'best.pt') });
    const proto = checkOnnxFacts(fixtures, file, { imgsz: 320, batch: 2 });
    assert.ok(!proto.graph.node.some((n) => n.op_type === 'BatchNormalization'), 'fused');
    assert.equal(proto.graph.node.filter((n) => n.op_type === 'Softmax').length, 2, 'C2PSA attention and DFL');
    const description = proto.metadata_props.find((p) => p.key === 'description')?.value;
    assert.match(String(description), /YOLO11n model/);
    const backend = await loadOnnxBackend(file);
    try {
      const pred = await backend.infer(img);
      const diff = relativeDiff(pred, expected, 'onnx vs libtorch');
      const diffUltralytics = relativeDiff(pred, ultralytics, 'onnx vs Ultralytics');
      pred.dispose();
      console.log(
        `# yolo11n static opset 17: vs ours ${diff.toExponential(2)}, vs Ultralytics ${diffUltralytics.toExponential(2)} (relative)`,
      );
      assert.ok(diff <= 1e-4 && diffUltralytics <= 1e-4);
    } finally {
      await backend.dispose();
    }
  });

  test('dynamic export, opset 12: equal to ours at 320x320 ×2 and 256x320 ×1', async () => {
    const file = join(dir, 'dynamic.onnx');
    const exporter = new Exporter({ overrides: { format: 'onnx', imgsz: 320, batch: 1, dynamic: true, opset: 12 } });
    await exporter.call(model, { file });
    const proto = decodeModel(readFileSync(file));
    assert.deepEqual(dims(proto.graph.output[0]!), ['batch', 84, 'anchors']);
    const backend = await loadOnnxBackend(file);
    const smaller = torch.tidy(() =>
      torch.F.interpolate(img, { size: [256, 320], mode: 'bilinear' })
        .narrow(0, 1, 1)
        .contiguous(),
    );
    try {
      for (const input of [img, smaller]) {
        const pred = await backend.infer(input);
        const ours = torch.noGrad(() => torch.tidy(() => (model.call(input) as DetectionPrediction)[0]));
        const diff = relativeDiff(pred, ours, `dynamic at ${input.shape}`);
        torch.dispose([pred, ours]);
        console.log(`# yolo11n dynamic opset 12 at (${input.shape}): relative max abs diff ${diff.toExponential(2)}`);
        assert.ok(diff <= 1e-4);
      }
    } finally {
      smaller.dispose();
      await backend.dispose();
    }
  });

  test("new YOLO('yolo11n.onnx') predicts the boxes of the libtorch model", requireShared(IMAGES, 'coco8 val images'), async () => {
    const pt = join(dir, 'yolo11n.pt');
    copyFileSync(`${fixtures.dir}model.pt`, pt);
    const torchYolo = new YOLO(pt);
    // The fixture's class scores are flat (max 0.0016): tripling the last class convolutions' weights spreads them
    // (top ≈ 0.69; more saturates them at 1.0, where classes tie), so that comparing two backends' NMS is meaningful.
    const head = (torchYolo.model as DetectionModel).head;
    torch.noGrad(() => {
      for (let i = 0; i < head.nl; i++) (head.cv3.at(i).at(2) as torch.nn.Conv2d).weight.mul_(3);
    });
    try {
      const file = await torchYolo.export({ imgsz: 320, dynamic: true });
      assert.equal(file, join(dir, 'yolo11n.onnx'));
      const onnx = new YOLO(file);
      try {
        const args = { conf: 0.25, imgsz: 320, verbose: false };
        const want = await torchYolo.predict(IMAGES, args);
        const got = await onnx.predict(IMAGES, args);
        let worst = 0;
        got.forEach((r, i) => {
          const same = assertSameRows(detectionRows(r), detectionRows(want[i] as Results), { what: r.path, boxTol: 1e-3, scoreTol: 1e-4 });
          worst = Math.max(worst, same.boxes);
        });
        console.log(
          `# yolo11n predict onnx vs libtorch: ${got.map((r) => r.length).join('/')} boxes, max diff ${worst.toExponential(2)} px (tolerance 1e-3)`,
        );
      } finally {
        await onnx.dispose();
      }
    } finally {
      await torchYolo.dispose();
    }
  });
});
