// ONNX export of the Ultralytics-trained yolov8n fixture, run by onnxruntime-node: the exported graph's output
// equals our libtorch eval output (and Ultralytics' own) within 1e-4 relative, for a static and a dynamic export
// at two opsets; metadata, names and shapes are Ultralytics'; bad arguments are refused clearly.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { Exporter, exportOnnx } from '../src/engine/exporter.js';
import { emitterFor } from '../src/export/onnx/emitters.js';
import { OnnxGraph } from '../src/export/onnx/graph.js';
import { loadOnnxBackend, TorchBackend } from '../src/nn/autobackend.js';
import { GELU, Hardswish, LeakyReLU, ReLU, ReLU6, Sigmoid, SiLU, Tanh } from '../src/nn/modules/activation.js';
import type { DetectionPrediction } from '../src/nn/modules/head.js';
import { DetectionModel } from '../src/nn/tasks.js';
import { parseMetadata } from '../src/utils/onnx/metadata.js';
import { DataType, decodeModel, encodeModel, tensorValueInfo } from '../src/utils/onnx/schema.js';
import { requireShared, sharedPath } from './helpers/shared.js';
import { relativeDiff } from './parity/fixture-set.js';
import { dims } from './parity/onnx-facts.js';

const FIXTURES = sharedPath('fixtures/ultralytics/');
const gate = requireShared(
  ['model.safetensors', 'batch.safetensors', 'forward.safetensors'].map((f) => FIXTURES + f),
  'ONNX export of the Ultralytics fixture weights',
);

function fixture(name: string, key: string): Tensor {
  const { tensors } = torch.io.loadSafetensors(FIXTURES + name);
  const t = tensors.get(key);
  if (!t) throw new Error(`fixture tensor '${key}' missing from ${name}`);
  for (const other of tensors.values()) if (other !== t) other.dispose();
  return t;
}

function ours(model: DetectionModel, img: Tensor): Tensor {
  return torch.noGrad(() => torch.tidy(() => (model.call(img) as DetectionPrediction)[0]));
}

describe('ONNX export of yolov8n (Ultralytics fixture weights) run by onnxruntime-node', gate, () => {
  let model: DetectionModel;
  let img: Tensor;
  let dir: string;
  const names: Record<number, string> = { 0: 'person', 1: "o'clock", 2: 'bus' };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'yolots-onnx-'));
    model = new DetectionModel('yolov8n.yaml', { verbose: false });
    const { tensors } = torch.io.loadSafetensors(`${FIXTURES}model.safetensors`);
    model.loadStateDict(tensors, { strict: true });
    for (const t of tensors.values()) t.dispose();
    model.names = { ...model.names, ...names };
    model.eval();
    img = fixture('batch.safetensors', 'img');
  });

  after(() => {
    img.dispose();
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('static export, opset 17: Ultralytics layout and metadata, output equal to ours and to Ultralytics', async () => {
    ours(model, img).dispose(); // the head caches its anchor grid (two buffers) on its first eval call
    const baseline = torch.liveTensors();
    const file = await exportOnnx(model, { imgsz: 320, batch: 2, opset: 17, weights: join(dir, 'best.pt'), data: 'coco8.yaml' });
    assert.equal(file, join(dir, 'best.onnx'));
    assert.equal(torch.liveTensors(), baseline, 'exporting leaves no tensors behind');

    const proto = decodeModel(readFileSync(file));
    assert.deepEqual(
      proto.opset_import.map((o) => o.version),
      [17],
    );
    assert.equal(proto.ir_version, 8);
    assert.deepEqual(
      proto.graph.input.map((i) => i.name),
      ['images'],
    );
    assert.deepEqual(
      proto.graph.output.map((o) => o.name),
      ['output0'],
    );
    assert.deepEqual(dims(proto.graph.input[0]!), [2, 3, 320, 320]);
    assert.deepEqual(dims(proto.graph.output[0]!), [2, 84, 2100]);
    // Fused: no BatchNormalization, and the conv weights carry biases.
    assert.ok(!proto.graph.node.some((n) => n.op_type === 'BatchNormalization'));
    assert.equal(proto.graph.node.filter((n) => n.op_type === 'Conv').length, 63, 'every Conv of yolov8n but the DFL (a MatMul here)');
    const keys = proto.metadata_props.map((p) => p.key);
    assert.deepEqual(keys, ['description', 'author', 'date', 'version', 'license', 'docs', 'stride', 'task', 'batch', 'imgsz', 'names']);
    const raw = Object.fromEntries(proto.metadata_props.map((p) => [p.key, p.value]));
    assert.equal(raw.stride, '32');
    assert.equal(raw.imgsz, '[320, 320]');
    assert.equal(raw.batch, '2');
    assert.equal(raw.task, 'detect');
    assert.match(raw.names as string, /^\{0: 'person', 1: "o'clock", 2: 'bus', 3: '3', .*79: '79'\}$/);
    assert.match(raw.description as string, /YOLOv8n model trained on coco8\.yaml/);
    assert.deepEqual(parseMetadata(proto.metadata_props).names, model.names);

    const backend = await loadOnnxBackend(file);
    try {
      assert.deepEqual([backend.stride, backend.batch, backend.imgsz, backend.task], [32, 2, [320, 320], 'detect']);
      assert.deepEqual(backend.names, model.names);
      const pred = await backend.infer(img);
      const expected = ours(model, img);
      const ultralytics = fixture('forward.safetensors', 'eval');
      try {
        const diff = relativeDiff(pred, expected, 'onnx vs libtorch');
        const diffUltralytics = relativeDiff(pred, ultralytics, 'onnx vs Ultralytics');
        console.log(
          `# static opset 17: onnxruntime vs ours ${diff.toExponential(2)}, vs Ultralytics ${diffUltralytics.toExponential(2)} (relative max abs diff)`,
        );
        assert.ok(diff <= 1e-4, `onnxruntime differs from libtorch by ${diff} relative`);
        assert.ok(diffUltralytics <= 1e-4, `onnxruntime differs from Ultralytics by ${diffUltralytics} relative`);
      } finally {
        pred.dispose();
        expected.dispose();
        ultralytics.dispose();
      }
      const single = torch.zeros([1, 3, 320, 320]);
      await assert.rejects(backend.infer(single), /fixed input \(2, 3, 320, 320\).*dynamic=True/);
      single.dispose();
    } finally {
      await backend.dispose();
    }
    assert.equal(torch.liveTensors(), baseline, 'inference leaves no tensors behind');
  });

  test('dynamic export, opset 12: symbolic axes, in-graph anchors; equal to ours at 320x320 ×2 and 256x320 ×1', async () => {
    const file = join(dir, 'dynamic.onnx');
    const exporter = new Exporter({ overrides: { format: 'onnx', imgsz: 320, batch: 1, dynamic: true, opset: 12, simplify: true } });
    const events: string[] = [];
    exporter.addCallback('on_export_start', (e) => {
      events.push(`start:${e.file}`);
    });
    exporter.addCallback('on_export_end', (e) => {
      events.push(`end:${e.file}`);
    });
    assert.equal(await exporter.call(model, { file }), file);
    assert.deepEqual(events, ['start:null', `end:${file}`]);

    const proto = decodeModel(readFileSync(file));
    assert.deepEqual(
      proto.opset_import.map((o) => o.version),
      [12],
    );
    assert.deepEqual(dims(proto.graph.input[0]!), ['batch', 3, 'height', 'width']);
    assert.deepEqual(dims(proto.graph.output[0]!), ['batch', 84, 'anchors']);
    assert.ok(
      proto.graph.node.some((n) => n.op_type === 'Range'),
      'anchors are computed in the graph',
    );

    const backend = await loadOnnxBackend(file);
    const smaller = torch.tidy(() =>
      torch.F.interpolate(img, { size: [256, 320], mode: 'bilinear' })
        .narrow(0, 1, 1)
        .contiguous(),
    );
    try {
      assert.deepEqual([backend.batch, backend.imgsz], [null, null]);
      for (const input of [img, smaller]) {
        const pred = await backend.infer(input);
        const expected = ours(model, input);
        const diff = relativeDiff(pred, expected, `dynamic at ${input.shape}`);
        console.log(`# dynamic opset 12 at (${input.shape}): output (${pred.shape}), relative max abs diff ${diff.toExponential(2)}`);
        assert.equal(pred.shape[2], (input.shape[2]! / 8) * (input.shape[3]! / 8) * (1 + 1 / 4 + 1 / 16));
        pred.dispose();
        expected.dispose();
        assert.ok(diff <= 1e-4, `dynamic export at ${input.shape} differs by ${diff} relative`);
      }
    } finally {
      smaller.dispose();
      await backend.dispose();
    }
  });

  test('TorchBackend gives the eval output of the model it wraps', async () => {
    const backend = new TorchBackend(model);
    const pred = await backend.infer(img);
    const expected = ours(model, img);
    assert.ok(relativeDiff(pred, expected, 'torch backend') <= 1e-5, 'channels-last inference equals the NCHW forward to float rounding');
    assert.ok(pred.isContiguous(), 'the prediction is handed back contiguous');
    assert.deepEqual([backend.stride, backend.imgsz, backend.format], [32, null, 'torch']);
    pred.dispose();
    expected.dispose();
  });

  test('unsupported format, half and opset are refused with clear messages', async () => {
    const file = join(dir, 'refused.onnx');
    await assert.rejects(
      new Exporter({ overrides: { format: 'torchscript' } }).call(model, { file }),
      /format='torchscript'.*Valid formats are onnx/,
    );
    await assert.rejects(exportOnnx(model, { half: true, file }), /half=True.*float32/);
    await assert.rejects(exportOnnx(model, { opset: 11, file }), /opset=11 .*from 12 to 21/);
    assert.ok(!existsSync(file), 'nothing is written for a refused export');
  });
});

/** Random BatchNorm affine parameters and running statistics, so that fusing them is not the identity. */
function randomizeBatchNorms(model: torch.nn.Module<any, any>): void {
  torch.noGrad(() =>
    torch.tidy(() => {
      for (const m of model.modules()) {
        if (!(m instanceof torch.nn.BatchNorm2d)) continue;
        const n = m.numFeatures;
        m.weight?.copy_(torch.rand([n]).add(0.5));
        m.bias?.copy_(torch.randn([n]).mul(0.1));
        m.runningMean?.copy_(torch.randn([n]).mul(0.1));
        m.runningVar?.copy_(torch.rand([n]).add(0.5));
      }
    }),
  );
}

describe('ONNX emitters of the other YAML modules, checked by onnxruntime-node', () => {
  test('a detector of Focus, C1, C2, C3, C3x, DWConv, SPP, ConvTranspose, Upsample, BatchNorm2d and Hardswish matches at opsets 12 and 17', async () => {
    torch.manualSeed(0);
    const yaml = {
      nc: 3,
      activation: 'nn.Hardswish()',
      backbone: [
        [-1, 1, 'Focus', [16, 3]],
        [-1, 1, 'Conv', [32, 3, 2]],
        [-1, 2, 'C1', [32]],
        [-1, 1, 'DWConv', [32, 3, 2]],
        [-1, 1, 'C2', [32]],
        [-1, 1, 'Conv', [64, 3, 2]],
        [-1, 1, 'C3x', [64]],
        [-1, 1, 'Conv', [64, 3, 2]],
        [-1, 1, 'SPP', [64, [5, 9, 13]]],
      ],
      head: [
        [-1, 1, 'nn.Upsample', [null, 2, 'nearest']],
        [[-1, 6], 1, 'Concat', [1]],
        [-1, 1, 'C3', [64, false]],
        [-1, 1, 'ConvTranspose', [32, 2, 2]],
        [[-1, 4], 1, 'Concat', [1]],
        [-1, 1, 'C2f', [32, true]],
        [-1, 1, 'nn.BatchNorm2d', []],
        [[15, 11, 8], 1, 'Detect', ['nc']],
      ],
    };
    const model = new DetectionModel(yaml, { verbose: false });
    randomizeBatchNorms(model);
    model.eval();
    const x = torch.rand([2, 3, 96, 64]);
    const dir = mkdtempSync(join(tmpdir(), 'yolots-onnx-modules-'));
    try {
      for (const [opset, dynamic] of [
        [12, false],
        [17, true],
      ] as const) {
        const file = await exportOnnx(model, { imgsz: [96, 64], batch: 2, opset, dynamic, file: join(dir, `m${opset}.onnx`) });
        const backend = await loadOnnxBackend(file);
        const pred = await backend.infer(x);
        const expected = ours(model, x);
        const diff = relativeDiff(pred, expected, `opset ${opset}`);
        pred.dispose();
        expected.dispose();
        await backend.dispose();
        assert.ok(diff <= 1e-4, `opset ${opset}: onnxruntime differs from libtorch by ${diff} relative`);
      }
    } finally {
      x.dispose();
      model.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('each activation module matches its forward (both HardSwish forms: before and from opset 14)', async () => {
    const { InferenceSession, Tensor: OrtTensor } = await import('onnxruntime-node');
    const x = torch.randn([1, 2, 3, 5]).mul(4);
    const modules = [new SiLU(), new ReLU(), new ReLU6(), new LeakyReLU(0.1), new Hardswish(), new GELU(), new Sigmoid(), new Tanh()];
    try {
      for (const opset of [12, 17]) {
        for (const m of modules) {
          const graph = new OnnxGraph(opset);
          const y = emitterFor(m, 'act')({ graph, featureSizes: null, emit: () => 'unused' }, m, 'x') as string;
          graph.rename(y, 'y');
          const bytes = encodeModel({
            ir_version: 7,
            opset_import: [{ domain: '', version: opset }],
            producer_name: 'test',
            producer_version: '0',
            graph: {
              name: 'act',
              node: graph.nodes,
              initializer: graph.initializers,
              input: [tensorValueInfo('x', DataType.FLOAT, x.shape)],
              output: [tensorValueInfo('y', DataType.FLOAT, x.shape)],
            },
            metadata_props: [],
          });
          const session = await InferenceSession.create(bytes);
          const out = await session.run({ x: new OrtTensor('float32', x.toTypedArray() as Float32Array, x.shape) });
          const got = torch.fromTypedArray(out.y!.data as Float32Array, x.shape);
          const want = m.call(x);
          const diff = relativeDiff(got, want, m.constructor.name);
          got.dispose();
          want.dispose();
          await session.release();
          assert.ok(diff <= 1e-5, `${m.constructor.name} at opset ${opset} differs by ${diff} relative`);
        }
      }
    } finally {
      x.dispose();
    }
  });
});
