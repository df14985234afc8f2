// ONNX export of the Ultralytics 8.4.104 yolo26n fixture (fixtures/ultralytics-yolo26, README §8), run by
// onnxruntime-node: the end-to-end export is [B, 300, 6] (top-k in the graph, no NMS) with 8.4's metadata (end2end),
// equal to our libtorch top-k and to Ultralytics' export-mode output; end2end=false gives [B, 84, anchors];
// `new YOLO('x.onnx')` predicts the boxes of the libtorch model.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { Exporter, exportOnnx } from '../../src/engine/exporter.js';
import type { Results } from '../../src/engine/results.js';
import { YOLO } from '../../src/models/yolo/model.js';
import { loadOnnxBackend } from '../../src/nn/autobackend.js';
import type { DetectionPrediction84 } from '../../src/nn/modules/head.js';
import type { DetectionModel } from '../../src/nn/tasks.js';
import { decodeModel } from '../../src/utils/onnx/schema.js';
import { assertSameRows, detectionRows } from '../helpers/detection-rows.js';
import { fixtureSet } from './fixture-set.js';
import { checkOnnxFacts, dims, onnxCase } from './onnx-facts.js';

const fixtures = fixtureSet('ultralytics-yolo26');
const gate = fixtures.gate(['model.pt', 'model.safetensors', 'forward.safetensors', 'batch.safetensors', 'onnx_facts.json']);
const IMAGES = ['000000000049.jpg', '000000000061.jpg'].map((f) => join(fixtures.dir, '../../datasets/coco8/images/val', f));

/**
 * Top-k rows of two backends, image by image: sorted by score, and the same (box, class) detections, boxes within
 * 1e-3 px and scores within 1e-6. Matched as sets: onnxruntime's Sigmoid (MLAS' approximation) is off by up to ~3e-4
 * relative on these tiny scores (~1e-7 absolute; the boxes agree to 3e-5 px), more than the closest gap between
 * consecutive rows (8.6e-6 relative, README §2), so near-equal rows may swap; the cut at row 300 is far from a tie
 * (0.28% gap), so the sets are equal. Returns the worst box and score differences.
 */
function compareRows(actual: Tensor, expected: Tensor, what: string): { boxes: number; scores: number } {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const worst = { boxes: 0, scores: 0 };
  for (let b = 0; b < (actual.shape[0] as number); b++) {
    const got = actual.select(0, b).tolist() as number[][];
    got.forEach((row, i) => {
      if (i > 0) assert.ok((row[4] as number) <= (got[i - 1]?.[4] as number), `${what}: image ${b} rows sorted by score`);
    });
    const want = expected.select(0, b).tolist() as number[][];
    const same = assertSameRows(got, want, { what: `${what}: image ${b}`, boxTol: 1e-3, scoreTol: 1e-6, ordered: false });
    worst.boxes = Math.max(worst.boxes, same.boxes);
    worst.scores = Math.max(worst.scores, same.scores);
  }
  return worst;
}

describe('ONNX export of yolo26n (Ultralytics 8.4.104 fixture weights) run by onnxruntime-node', gate, () => {
  let model: DetectionModel;
  let img: Tensor;
  let expected: Tensor;
  let ultralytics: Tensor;
  let dir: string;
  let dispose: () => void;

  before(() => {
    ({ model, img, expected, ultralytics, dir, dispose } = onnxCase(fixtures, 'yolo26n.yaml', 'eval_fused.topk'));
  });
  after(() => dispose());

  test('end-to-end export, opset 17: [B, 300, 6], end2end metadata, rows equal to ours and to Ultralytics', async () => {
    const file = await exportOnnx(model, { imgsz: 320, batch: 2, opset: 17, weights: join(dir, 'best.pt') });
    const proto = checkOnnxFacts(fixtures, file, { imgsz: 320, batch: 2 });
    assert.ok(
      proto.graph.node.some((n) => n.op_type === 'TopK'),
      'top-k in the graph',
    );
    assert.ok(!proto.graph.node.some((n) => n.op_type === 'NonMaxSuppression'), 'no NMS');
    const meta = Object.fromEntries(proto.metadata_props.map((p) => [p.key, p.value]));
    assert.deepEqual(
      [meta.head, meta.args, meta.channels, meta.end2end],
      ['Detect', "{'batch': 2, 'half': False, 'dynamic': False, 'simplify': False, 'opset': 17, 'nms': False}", '3', 'True'],
      "Ultralytics 8.4's values, as Python's str() writes them",
    );
    const backend = await loadOnnxBackend(file);
    try {
      const pred = await backend.infer(img);
      const ours = compareRows(pred, expected, 'onnx vs libtorch');
      const theirs = compareRows(pred, ultralytics, 'onnx vs Ultralytics');
      pred.dispose();
      console.log(
        `# yolo26n e2e opset 17: boxes vs ours ${ours.boxes.toExponential(2)} px, vs Ultralytics ${theirs.boxes.toExponential(2)} px; ` +
          `scores ${ours.scores.toExponential(2)} / ${theirs.scores.toExponential(2)} (absolute; tolerance 1e-3 px, 1e-6)`,
      );
    } finally {
      await backend.dispose();
    }
  });

  test('dynamic export, opset 12, and end2end=false [B, 84, anchors]', async () => {
    const file = join(dir, 'dynamic.onnx');
    await new Exporter({ overrides: { format: 'onnx', imgsz: 320, batch: 1, dynamic: true, opset: 12 } }).call(model, { file });
    assert.deepEqual(dims(decodeModel(readFileSync(file)).graph.output[0]!), ['batch', 300, 6]);
    const backend = await loadOnnxBackend(file);
    try {
      const pred = await backend.infer(img);
      compareRows(pred, expected, 'dynamic onnx vs libtorch');
      pred.dispose();
    } finally {
      await backend.dispose();
    }
    // max_det reaches the head: 50 rows.
    const fewer = join(dir, 'max-det.onnx');
    await new Exporter({ overrides: { format: 'onnx', imgsz: 320, batch: 1, opset: 17, max_det: 50 } }).call(model, { file: fewer });
    assert.deepEqual(dims(decodeModel(readFileSync(fewer)).graph.output[0]!), [1, 50, 6]);
    assert.equal(model.head.maxDet, 300, 'restored after the export');
    // agnostic_nms: one class per anchor, as the head's own top-k.
    const agnostic = join(dir, 'agnostic.onnx');
    await new Exporter({ overrides: { format: 'onnx', imgsz: 320, batch: 2, opset: 17, agnostic_nms: true } }).call(model, {
      file: agnostic,
    });
    model.head.agnosticNms = true;
    const wantAgnostic = torch.noGrad(() => torch.tidy(() => (model.call(img) as DetectionPrediction84)[0].keep()));
    model.head.agnosticNms = false;
    const agnosticBackend = await loadOnnxBackend(agnostic);
    try {
      const pred = await agnosticBackend.infer(img);
      compareRows(pred, wantAgnostic, 'agnostic onnx vs libtorch');
      pred.dispose();
    } finally {
      wantAgnostic.dispose();
      await agnosticBackend.dispose();
    }
    model.end2end = false;
    try {
      const nms = join(dir, 'nms.onnx');
      await exportOnnx(model, { imgsz: 320, batch: 2, opset: 17, file: nms });
      const proto = checkOnnxFacts(fixtures, nms, { imgsz: 320, batch: 2, dryRun: 'end2end_false' });
      assert.equal(proto.metadata_props.find((p) => p.key === 'end2end')?.value, 'False');
      const decoded = torch.noGrad(() => torch.tidy(() => (model.call(img) as DetectionPrediction84)[0].keep()));
      const b = await loadOnnxBackend(nms);
      try {
        const pred = await b.infer(img);
        const diff = torch.tidy(() => pred.sub(decoded).abs().max().item() / decoded.abs().max().item());
        torch.dispose([pred, decoded]);
        assert.ok(diff <= 1e-4, `end2end=false: relative ${diff}`);
      } finally {
        await b.dispose();
      }
    } finally {
      model.end2end = true;
    }
  });

  test("new YOLO('yolo26n.onnx') predicts the boxes of the libtorch model", { skip: !IMAGES.every(existsSync) }, async () => {
    const pt = join(dir, 'yolo26n.pt');
    copyFileSync(`${fixtures.dir}model.pt`, pt);
    const torchYolo = new YOLO(pt);
    try {
      const file = await torchYolo.export({ imgsz: 320, dynamic: true }); // dynamic: letterboxed as the libtorch predictor does (minimal padding)
      const onnx = new YOLO(file);
      try {
        const args = { conf: 0.001, imgsz: 320, verbose: false };
        const want = await torchYolo.predict(IMAGES, args);
        const got = await onnx.predict(IMAGES, args);
        let worst = 0;
        got.forEach((r, i) => {
          assert.ok(r.length > 0, 'some boxes above conf');
          // Matched as sets, for the reason compareRows gives.
          const same = assertSameRows(detectionRows(r), detectionRows(want[i] as Results), {
            what: r.path,
            boxTol: 1e-3,
            scoreTol: 1e-6,
            ordered: false,
          });
          worst = Math.max(worst, same.boxes);
        });
        console.log(
          `# yolo26n predict onnx vs libtorch: ${got.map((r) => r.length).join('/')} boxes, max diff ${worst.toExponential(2)} px (tolerance 1e-3)`,
        );
      } finally {
        await onnx.dispose();
      }
    } finally {
      await torchYolo.dispose();
    }
  });
});
