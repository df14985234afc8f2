// A real segmentation validation against YOLO(model.pt).val(data=data.yaml, imgsz=256, batch=8) of Ultralytics
// 8.2.103 (fixtures/ultralytics-segment, README §7): every box and mask metric, overall and per class, within 0.005;
// the printed table's counts.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SegmentationValidator } from '../../src/models/yolo/segment/val.js';
import { fixtureGate, readFixtureJson, SEGMENT_FIXTURES } from './segment-fixtures.js';

const gate = fixtureGate(['model.pt', 'val.json', 'data.yaml', 'dataset/images/val/val_000.jpg']);

interface ValFixture {
  results_dict: Record<string, number>;
  per_class: Record<string, number[]>;
  log_table: string[];
}

describe('SegmentationValidator parity with Ultralytics 8.2.103 (its best.pt on the fixture val split)', gate, () => {
  // The dataset is copied: the validator writes its label cache beside the labels.
  const dir = mkdtempSync(join(tmpdir(), 'yolots-seg-val-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('box and mask P, R, mAP50, mAP50-95 overall and per class, fitness', async () => {
    cpSync(join(SEGMENT_FIXTURES, 'dataset'), join(dir, 'dataset'), { recursive: true });
    cpSync(join(SEGMENT_FIXTURES, 'data.yaml'), join(dir, 'data.yaml'));
    const fx = readFixtureJson<ValFixture>('val.json');
    const validator = new SegmentationValidator({
      args: { data: join(dir, 'data.yaml'), imgsz: 256, batch: 8, plots: false, project: dir },
    });
    let metrics: Record<string, number> = {};
    const printed: string[] = [];
    const original = console.log;
    console.log = (...args: unknown[]) => printed.push(args.join(' '));
    try {
      metrics = await validator.run({ model: join(SEGMENT_FIXTURES, 'model.pt') });
    } finally {
      console.log = original;
    }
    let worst = 0;
    for (const [key, want] of Object.entries(fx.results_dict)) {
      const d = Math.abs(metrics[key]! - want);
      worst = Math.max(worst, d);
      assert.ok(d <= 0.005, `${key}: ${metrics[key]} vs ${want}`);
    }
    validator.metrics.apClassIndex.forEach((c, i) => {
      const want = fx.per_class[validator.names[c]!]!;
      validator.metrics.classResult(i).forEach((v, k) => {
        const d = Math.abs(v - want[k]!);
        worst = Math.max(worst, d);
        assert.ok(d <= 0.005, `class ${c} value ${k}: ${v} vs ${want[k]}`);
      });
    });
    const table = printed.filter((l) => /^\s+(all|circle|square|triangle)\s/.test(l));
    assert.deepEqual(
      table.map((l) => l.trim().split(/\s+/).slice(0, 3)),
      fx.log_table.map((l) => l.trim().split(/\s+/).slice(0, 3)),
      'images and instances per class',
    );
    console.log(
      `# val: worst |diff| over ${Object.keys(fx.results_dict).length} metrics and 24 per-class values ${worst.toExponential(2)} (tolerance 0.005)`,
    );
  });
});
