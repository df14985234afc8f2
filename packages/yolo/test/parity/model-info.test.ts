// model.info() against the real Ultralytics 8.2.103: layer counts (module nesting), parameters, gradients and
// GFLOPs of yolov8n/yolov8s, unfused and fused (fixtures/ultralytics/model_info.json), and the printed line.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import * as torch from '@yolots/torch';
import { DetectionModel } from '../../src/nn/tasks.js';
import { captureLog } from '../helpers/capture-log.js';
import { requireShared, sharedPath } from '../helpers/shared.js';

const INFO_FILE = sharedPath('fixtures/ultralytics/model_info.json');
const gate = requireShared([INFO_FILE], 'model info parity');

interface Counts {
  layers: number;
  params: number;
  gflops_640: number;
}

describe('model.info() parity with Ultralytics 8.2.103', gate, () => {
  const expected = !gate.skip ? (JSON.parse(readFileSync(INFO_FILE, 'utf8')) as Record<string, Counts & { fused: Counts }>) : {};

  for (const scale of ['n', 's'] as const) {
    test(`yolov8${scale}: layers, parameters, gradients and GFLOPs, unfused and fused`, () => {
      const want = expected[scale]!;
      const baseline = torch.liveTensors();
      const model = new DetectionModel(`yolov8${scale}.yaml`, { verbose: false });
      try {
        const info = model.info({ verbose: false });
        assert.equal(info.layers, want.layers, 'layers');
        assert.equal(info.parameters, want.params, 'parameters');
        assert.equal(info.gradients, want.params - 16, 'gradients: all but the frozen DFL conv');
        assert.equal(Number(info.gflops.toFixed(3)), want.gflops_640, `GFLOPs ${info.gflops}`);
        assert.equal(model.info({ verbose: false, imgsz: 320 }).gflops, info.gflops / 4, 'GFLOPs scale with the image area');

        const printed = captureLog(() => model.info());
        const name = `YOLOv8${scale}`;
        const n = (v: number) => v.toLocaleString('en-US');
        assert.deepEqual(printed, [
          `${name} summary: ${want.layers} layers, ${n(want.params)} parameters, ${n(want.params - 16)} gradients, ${want.gflops_640.toFixed(1)} GFLOPs`,
        ]);

        model.eval();
        const fusedPrint = captureLog(() => model.fuse());
        const fused = model.info({ verbose: false });
        assert.equal(fused.layers, want.fused.layers, 'fused layers');
        assert.equal(fused.parameters, want.fused.params, 'fused parameters');
        assert.equal(Number(fused.gflops.toFixed(3)), want.fused.gflops_640, `fused GFLOPs ${fused.gflops}`);
        assert.deepEqual(fusedPrint, [
          `${name} summary (fused): ${want.fused.layers} layers, ${n(want.fused.params)} parameters, ${n(want.fused.params - 16)} gradients, ${want.fused.gflops_640.toFixed(1)} GFLOPs`,
        ]);
        assert.equal(model.training, false, 'info() restores the mode it found');
      } finally {
        model.dispose();
      }
      assert.equal(torch.liveTensors(), baseline, 'no tensors leak');
    });
  }

  test('detailed info prints one row per parameter, then the summary', () => {
    const model = new DetectionModel('yolov8n.yaml', { verbose: false });
    try {
      const lines = captureLog(() => model.info({ detailed: true }));
      assert.equal(lines.length, 1 + model.parameters().length + 1);
      assert.equal(lines[0], `layer ${'name'.padStart(40)}  gradient   parameters ${'shape'.padStart(20)}         mu      sigma`);
      assert.match(
        lines[1]!,
        /^ {4}0 {22}model\.0\.conv\.weight {6}True {10}432 {8}\[16, 3, 3, 3\] +-?[\d.e+-]+ +[\d.e+-]+ torch\.float32$/,
      );
      assert.match(
        lines.find((l) => l.includes('model.22.dfl.conv.weight')) as string,
        / False +16 +\[1, 16, 1, 1\] +7\.5 +4\.76 torch\.float32$/,
      );
    } finally {
      model.dispose();
    }
  });
});
