// yolo11-seg.yaml against Ultralytics 8.3.28 (fixtures/ultralytics-segment, README "YOLO11, for later"): the layer
// tables and summaries of yolo11n/s-seg with 80 and 3 classes, unfused and fused, and the m/l/x summaries of the yaml;
// its ONNX export gives libtorch's two outputs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { exportOnnx } from '../../src/engine/exporter.js';
import type { SegmentPrediction } from '../../src/nn/modules/segment.js';
import { SegmentationModel } from '../../src/nn/segmentation-model.js';
import { captureLog } from '../helpers/capture-log.js';
import { asUltralyticsRow } from '../helpers/ultralytics-table.js';
import { fixtureSet } from './fixture-set.js';

const fixtures = fixtureSet('ultralytics-segment');
const NAMES = ['yolo11n-seg', 'yolo11n-seg_nc3', 'yolo11s-seg', 'yolo11s-seg_nc3'];
const gate = fixtures.gate(['model_info.json', ...NAMES.map((n) => `layers_${n}.txt`)]);

describe('yolo11-seg.yaml parity with Ultralytics 8.3.28', gate, () => {
  test('layer tables and model.info() of yolo11n/s-seg (80 and 3 classes), unfused and fused', () => {
    const info =
      fixtures.json<Record<string, Record<string, { summary_lines: string[] }>>>('model_info.json')['yolo11 (Ultralytics 8.3.28)'];
    assert.ok(info);
    for (const name of NAMES) {
      const [stem, nc] = name.endsWith('_nc3') ? [name.slice(0, -4), 3] : [name, undefined];
      const table = fixtures.text(`layers_${name}.txt`).trimEnd().split('\n');
      let model: SegmentationModel | null = null;
      const printed = captureLog(() => {
        model = new SegmentationModel(`${stem}.yaml`, { nc, verbose: true });
      });
      const built = model as unknown as SegmentationModel;
      try {
        assert.equal(built.family, 'yolo11');
        assert.equal(built.head.legacy, false, "YOLO11's class branch");
        built.eval();
        printed.push(...captureLog(() => built.fuse()));
        const lines = printed.flatMap((l) => l.split('\n')).filter((l, i) => i > 0 || l !== '');
        assert.deepEqual(
          lines.map((l) => asUltralyticsRow(l).trimEnd()),
          table.map((l) => l.trimEnd()),
          `${name}: printed table and summaries`,
        );
        assert.deepEqual(
          [lines.find((l) => l.includes('summary:')), lines.find((l) => l.includes('summary (fused)'))],
          info[name]?.summary_lines,
        );
      } finally {
        built.dispose();
      }
    }
  });

  test('m/l/x match the summaries of the yaml', () => {
    const summaries: Record<string, [number, number, string]> = {
      m: [445, 22420896, '123.9'],
      l: [667, 27678368, '143.0'],
      x: [667, 62142656, '320.2'],
    };
    for (const [scale, expected] of Object.entries(summaries)) {
      const model = new SegmentationModel(`yolo11${scale}-seg.yaml`, { verbose: false });
      try {
        const { layers, parameters, gflops } = model.info({ verbose: false });
        assert.deepEqual([layers, parameters, gflops.toFixed(1)], expected, scale);
      } finally {
        model.dispose();
      }
    }
  });

  test('ONNX export of yolo11n-seg: both outputs equal the libtorch eval outputs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'yolots-yolo11-seg-onnx-'));
    const model = new SegmentationModel('yolo11n-seg.yaml', { nc: 3, verbose: false });
    const img = torch.rand([1, 3, 160, 160]);
    try {
      model.eval();
      const file = await exportOnnx(model, { imgsz: 160, batch: 1, opset: 17, file: join(dir, 'yolo11n-seg.onnx') });
      const ort = await import('onnxruntime-node');
      const session = await ort.InferenceSession.create(file, { executionProviders: ['cpu'] });
      const out = await session.run({ images: new ort.Tensor('float32', img.toTypedArray() as Float32Array, [...img.shape]) });
      const [pred, protos] = session.outputNames.map((name) => {
        const t = out[name]!;
        return torch.fromTypedArray((t.data as Float32Array).slice(), [...t.dims]);
      }) as [Tensor, Tensor];
      await session.release();
      torch.noGrad(() =>
        torch.tidy(() => {
          const [ours, [, , ourProtos]] = model.call(img) as SegmentPrediction;
          const rel = (a: Tensor, b: Tensor) => a.sub(b).abs().max().item() / b.abs().max().item();
          assert.deepEqual(pred.shape, ours.shape);
          assert.ok(rel(pred, ours) <= 1e-4, `output0 differs by ${rel(pred, ours)} relative`);
          assert.ok(rel(protos, ourProtos) <= 1e-4, `output1 differs by ${rel(protos, ourProtos)} relative`);
        }),
      );
      torch.dispose([pred, protos]);
    } finally {
      img.dispose();
      model.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
