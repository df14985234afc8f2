// ONNX export of the Ultralytics 8.4.104 yolo26n fixture (fixtures/ultralytics-yolo26, README §8), run by
// onnxruntime-node: the end-to-end export is [B, 300, 6] (top-k in the graph, no NMS) with end2end in the metadata,
// equal to our libtorch top-k and to Ultralytics' export-mode output; end2end=false gives [B, 84, anchors];
// `new YOLO('x.onnx')` predicts the boxes of the libtorch model.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { Exporter, exportOnnx } from '../../src/engine/exporter.js';
import type { Results } from '../../src/engine/results.js';
import { YOLO } from '../../src/models/yolo/model.js';
import { loadOnnxBackend } from '../../src/nn/autobackend.js';
import type { DetectionPrediction84 } from '../../src/nn/modules/head.js';
import { DetectionModel } from '../../src/nn/tasks.js';
import { decodeModel } from '../../src/utils/onnx/schema.js';
import { fixtureSet } from './fixture-set.js';
import { get } from './segment-fixtures.js';

const fixtures = fixtureSet('ultralytics-yolo26');
const gate = fixtures.gate(['model.pt', 'model.safetensors', 'forward.safetensors', 'batch.safetensors', 'onnx_facts.json']);
const IMAGES = ['000000000049.jpg', '000000000061.jpg'].map((f) => join(fixtures.dir, '../../datasets/coco8/images/val', f));

function dims(valueInfo: { type?: { tensor_type?: { shape?: { dim?: unknown[] } } } }): (number | string)[] {
  const dimList = (valueInfo.type?.tensor_type?.shape?.dim ?? []) as { dim_value?: number; dim_param?: string }[];
  return dimList.map((d) => d.dim_value ?? d.dim_param ?? '?');
}

/**
 * Top-k rows of two backends: the same (box, class) detections, each matched within 1e-3 px, sorted by score; returns
 * the worst box and absolute score differences. Compared as sets: onnxruntime's Sigmoid (MLAS' approximation) is off
 * by up to ~3e-4 relative on these tiny scores (~1e-7 absolute; the boxes agree to 3e-5 px), more than the closest
 * gap between consecutive rows (8.6e-6 relative, README §2), so near-equal rows may swap; the cut at row 300 is far
 * from a tie (0.28% gap), so the sets are equal.
 */
function compareRows(actual: Tensor, expected: Tensor, what: string): { boxes: number; scores: number } {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  let boxes = 0;
  let scores = 0;
  const [batch] = actual.shape as [number];
  for (let b = 0; b < batch; b++) {
    const got = actual.select(0, b).tolist() as number[][];
    const want = expected.select(0, b).tolist() as number[][];
    const unused = new Set(want.keys());
    got.forEach((row, i) => {
      if (i > 0) assert.ok((row[4] as number) <= (got[i - 1]?.[4] as number), `${what}: image ${b} rows sorted by score`);
      let match = -1;
      let matchBox = Number.POSITIVE_INFINITY;
      for (const j of unused) {
        const w = want[j] as number[];
        if (w[5] !== row[5]) continue;
        const d = Math.max(...[0, 1, 2, 3].map((k) => Math.abs((row[k] as number) - (w[k] as number))));
        if (d < matchBox) [match, matchBox] = [j, d];
      }
      assert.ok(match >= 0 && matchBox <= 1e-3, `${what}: image ${b} row ${i} ${JSON.stringify(row)} has no counterpart`);
      unused.delete(match);
      const w = want[match] as number[];
      boxes = Math.max(boxes, matchBox);
      scores = Math.max(scores, Math.abs((row[4] as number) - (w[4] as number)));
    });
  }
  return { boxes, scores };
}

function rows(r: Results): number[][] {
  const flat = [...(r.boxes?.rows ?? [])];
  return Array.from({ length: flat.length / 6 }, (_, i) => flat.slice(i * 6, i * 6 + 6));
}

describe('ONNX export of yolo26n (Ultralytics 8.4.104 fixture weights) run by onnxruntime-node', gate, () => {
  let model: DetectionModel;
  let img: Tensor;
  let expected: Tensor;
  let ultralytics: Tensor;
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'yolots-yolo26-onnx-'));
    model = new DetectionModel('yolo26n.yaml', { verbose: false });
    const weights = fixtures.load('model.safetensors');
    const forward = fixtures.load('forward.safetensors');
    const batch = fixtures.load('batch.safetensors');
    model.loadStateDict(weights.tensors, { strict: true });
    model.eval();
    img = get(batch.tensors, 'img').clone().keep();
    ultralytics = get(forward.tensors, 'eval_fused.topk').clone().keep();
    expected = torch.noGrad(() => torch.tidy(() => (model.call(img) as DetectionPrediction84)[0].keep()));
    torch.dispose([...weights.tensors.values(), ...forward.tensors.values(), ...batch.tensors.values()]);
  });

  after(() => {
    torch.dispose([img, expected, ultralytics]);
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('end-to-end export, opset 17: [B, 300, 6], end2end metadata, rows equal to ours and to Ultralytics', async () => {
    const file = await exportOnnx(model, { imgsz: 320, batch: 2, opset: 17, weights: join(dir, 'best.pt') });
    const proto = decodeModel(readFileSync(file));
    assert.deepEqual(
      proto.graph.output.map((o) => o.name),
      ['output0'],
    );
    assert.deepEqual(dims(proto.graph.output[0]!), [2, 300, 6]);
    assert.ok(
      proto.graph.node.some((n) => n.op_type === 'TopK'),
      'top-k in the graph',
    );
    assert.ok(!proto.graph.node.some((n) => n.op_type === 'NonMaxSuppression'), 'no NMS');
    assert.equal(proto.metadata_props.find((p) => p.key === 'end2end')?.value, 'True');
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
      assert.ok(ours.boxes <= 1e-3 && theirs.boxes <= 1e-3 && ours.scores <= 1e-6 && theirs.scores <= 1e-6);
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
      const ours = compareRows(pred, expected, 'dynamic onnx vs libtorch');
      pred.dispose();
      assert.ok(ours.boxes <= 1e-3 && ours.scores <= 1e-6, JSON.stringify(ours));
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
      const diff = compareRows(pred, wantAgnostic, 'agnostic onnx vs libtorch');
      pred.dispose();
      assert.ok(diff.boxes <= 1e-3 && diff.scores <= 1e-6, JSON.stringify(diff));
    } finally {
      wantAgnostic.dispose();
      await agnosticBackend.dispose();
    }
    model.end2end = false;
    try {
      const nms = join(dir, 'nms.onnx');
      await exportOnnx(model, { imgsz: 320, batch: 2, opset: 17, file: nms });
      const proto = decodeModel(readFileSync(nms));
      assert.deepEqual(dims(proto.graph.output[0]!), [2, 84, 2100]);
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
          const a = rows(r);
          const e = rows(want[i] as Results);
          assert.equal(a.length, e.length, `${r.path}: box count`);
          assert.ok(a.length > 0, 'some boxes above conf');
          // Matched as sets, for the reason compareRows gives.
          const unused = new Set(e.keys());
          for (const row of a) {
            const j = [...unused].find(
              (k) =>
                e[k]?.[5] === row[5] &&
                Math.abs((e[k]?.[4] as number) - (row[4] as number)) < 1e-6 &&
                [0, 1, 2, 3].every((c) => Math.abs((e[k]?.[c] as number) - (row[c] as number)) <= 1e-3),
            );
            assert.ok(j !== undefined, `${r.path}: ${JSON.stringify(row)} has no libtorch counterpart`);
            unused.delete(j);
            const w = e[j] as number[];
            for (let c = 0; c < 4; c++) worst = Math.max(worst, Math.abs((row[c] as number) - (w[c] as number)));
          }
        });
        console.log(
          `# yolo26n predict onnx vs libtorch: ${got.map((r) => r.length).join('/')} boxes, max diff ${worst.toExponential(2)} px`,
        );
        assert.ok(worst <= 1e-3);
      } finally {
        await onnx.dispose();
      }
    } finally {
      await torchYolo.dispose();
    }
  });
});
