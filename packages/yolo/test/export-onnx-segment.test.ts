// ONNX export of a segmentation model (Ultralytics' yolov8n-seg fixture weights) run by onnxruntime-node: two
// outputs, output0 (B, 4 + nc + 32, anchors) and output1 the prototypes (B, 32, H/4, W/4), equal to our libtorch
// eval outputs and to Ultralytics', static and dynamic; task 'segment' in the metadata.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { exportOnnx } from '../src/engine/exporter.js';
import type { SegmentPrediction } from '../src/nn/modules/segment.js';
import { SegmentationModel } from '../src/nn/segmentation-model.js';
import { decodeModel } from '../src/utils/onnx/schema.js';
import { fixtureGate, get, loadFixture, maxAbsDiff } from './parity/segment-fixtures.js';

const gate = fixtureGate(['model.safetensors', 'batch.safetensors', 'forward.safetensors']);

/** Runs an .onnx file on `img` with onnxruntime; every output as a tensor, in graph order. */
async function runOnnx(file: string, img: Tensor): Promise<Tensor[]> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(file, { executionProviders: ['cpu'] });
  try {
    const data = img.contiguous().toTypedArray() as Float32Array;
    const out = await session.run({ images: new ort.Tensor('float32', data, [...img.shape]) });
    return session.outputNames.map((name) => {
      const t = out[name]!;
      return torch.fromTypedArray((t.data as Float32Array).slice(), [...t.dims]);
    });
  } finally {
    await session.release();
  }
}

describe('ONNX export of yolov8n-seg run by onnxruntime-node', gate, () => {
  let model: SegmentationModel;
  let img: Tensor;
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'yolots-onnx-seg-'));
    model = new SegmentationModel('yolov8n-seg.yaml', { nc: 3, verbose: false });
    const weights = loadFixture('model.safetensors');
    model.loadStateDict(weights.tensors, { strict: true });
    torch.dispose([...weights.tensors.values()]);
    model.names = { 0: 'circle', 1: 'square', 2: 'triangle' };
    model.eval();
    const batch = loadFixture('batch.safetensors');
    img = torch.tidy(() => get(batch.tensors, 'img_uint8').float().div(255).keep());
    torch.dispose([...batch.tensors.values()]);
  });

  after(() => {
    img.dispose();
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const dynamic of [false, true]) {
    test(`${dynamic ? 'dynamic' : 'static'} export: two outputs equal to libtorch's and Ultralytics'`, async () => {
      const file = await exportOnnx(model, { imgsz: 256, batch: 2, opset: 17, dynamic, file: join(dir, `seg-${dynamic}.onnx`) });
      const proto = decodeModel(readFileSync(file));
      assert.deepEqual(
        proto.graph.output.map((o) => o.name),
        ['output0', 'output1'],
      );
      const task = proto.metadata_props.find((p) => p.key === 'task')?.value;
      assert.equal(task, 'segment');
      const [pred, protos] = (await runOnnx(file, img)) as [Tensor, Tensor];
      const forward = loadFixture('forward.safetensors');
      try {
        torch.noGrad(() =>
          torch.tidy(() => {
            const [ourPred, [, , ourProtos]] = model.call(img) as SegmentPrediction;
            const d = {
              boxes: maxAbsDiff(pred.narrow(1, 0, 4), ourPred.narrow(1, 0, 4), 'boxes'),
              rest: maxAbsDiff(pred.narrow(1, 4, 35), ourPred.narrow(1, 4, 35), 'scores and coefficients'),
              protos: maxAbsDiff(protos, ourProtos, 'protos'),
              ultralytics: maxAbsDiff(pred.narrow(1, 4, 35), get(forward.tensors, 'eval').narrow(1, 4, 35), 'vs Ultralytics'),
              ultralyticsProtos: maxAbsDiff(protos, get(forward.tensors, 'eval_proto'), 'protos vs Ultralytics'),
            };
            console.log(
              `# ${dynamic ? 'dynamic' : 'static'}: ${JSON.stringify(Object.fromEntries(Object.entries(d).map(([k, v]) => [k, Number(v.toExponential(2))])))}`,
            );
            assert.ok(d.boxes <= 2e-3 && d.rest <= 1e-4 && d.protos <= 1e-4, JSON.stringify(d));
            assert.ok(d.ultralytics <= 1e-4 && d.ultralyticsProtos <= 1e-4, JSON.stringify(d));
          }),
        );
      } finally {
        torch.dispose([pred, protos, ...forward.tensors.values()]);
      }
    });
  }
});
