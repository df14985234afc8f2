// Ultralytics' yolov8n-seg fixture weights (fixtures/ultralytics-segment) exported to ONNX and run through
// `new YOLO('x.onnx')` (onnxruntime-node) against the same weights on libtorch: the task guessed from the export's
// metadata, every detection's box, confidence, class and mask, and the box and mask metrics of a val run.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exportOnnx } from '../../src/engine/exporter.js';
import type { Results } from '../../src/engine/results.js';
import { YOLO } from '../../src/models/yolo/model.js';
import { loadSegmentationModel } from '../../src/models/yolo/segment/load.js';
import { fixtureGate, SEGMENT_FIXTURES } from './segment-fixtures.js';

const gate = fixtureGate(['model.pt', 'data.yaml', 'dataset/images/val/val_000.jpg']);
const IMAGES = ['val_000.jpg', 'val_003.jpg', 'val_006.jpg'].map((f) => join(SEGMENT_FIXTURES, 'dataset/images/val', f));
const PREDICT = { imgsz: 256, conf: 0.1, save: false, verbose: false };

/** Intersection over union of two binary masks of one size. */
function maskIou(a: Uint8Array, b: Uint8Array): number {
  let inter = 0;
  let union = 0;
  for (let p = 0; p < a.length; p++) {
    inter += a[p] && b[p] ? 1 : 0;
    union += a[p] || b[p] ? 1 : 0;
  }
  return union ? inter / union : 1;
}

/** Worst box and confidence differences and the lowest mask IoU between two predictions of the same images. */
function compare(ours: Results[], theirs: Results[]): { box: number; conf: number; iou: number; detections: number } {
  let box = 0;
  let conf = 0;
  let iou = 1;
  let detections = 0;
  ours.forEach((a, r) => {
    const b = theirs[r]!;
    assert.ok(a.boxes && b.boxes && a.masks && b.masks, `image ${r}: boxes and masks`);
    assert.equal(a.boxes.length, b.boxes.length, `image ${r}: detection count`);
    assert.deepEqual(a.masks.shape, b.masks.shape, `image ${r}: mask shape`);
    const [n, h, w] = a.masks.shape;
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 4; c++) box = Math.max(box, Math.abs(a.boxes.rows[i * 6 + c]! - b.boxes.rows[i * 6 + c]!));
      conf = Math.max(conf, Math.abs(a.boxes.rows[i * 6 + 4]! - b.boxes.rows[i * 6 + 4]!));
      assert.equal(a.boxes.rows[i * 6 + 5], b.boxes.rows[i * 6 + 5], `image ${r} detection ${i}: class`);
      iou = Math.min(iou, maskIou(a.masks.masks.subarray(i * h * w, (i + 1) * h * w), b.masks.masks.subarray(i * h * w, (i + 1) * h * w)));
    }
    detections += n;
  });
  return { box, conf, iou, detections };
}

describe('new YOLO(x-seg.onnx) through onnxruntime-node vs libtorch (Ultralytics yolov8n-seg fixture weights)', gate, () => {
  let dir: string;
  let onnx: string;
  /** Static exports (256×256) of batch 2, where three images make a zero-padded last batch, and of batch 1. */
  let batch2Onnx: string;
  let batch1Onnx: string;
  const torchModel = new YOLO(join(SEGMENT_FIXTURES, 'model.pt'));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'yolots-seg-onnx-'));
    // The dataset is copied: the validator writes its label cache beside the labels.
    cpSync(join(SEGMENT_FIXTURES, 'dataset'), join(dir, 'dataset'), { recursive: true });
    cpSync(join(SEGMENT_FIXTURES, 'data.yaml'), join(dir, 'data.yaml'));
    const network = loadSegmentationModel(join(SEGMENT_FIXTURES, 'model.pt'));
    try {
      onnx = await exportOnnx(network, { imgsz: 256, dynamic: true, file: join(dir, 'model-seg.onnx') });
      batch2Onnx = await exportOnnx(network, { imgsz: 256, batch: 2, file: join(dir, 'model-seg-b2.onnx') });
      batch1Onnx = await exportOnnx(network, { imgsz: 256, batch: 1, file: join(dir, 'model-seg-b1.onnx') });
    } finally {
      network.dispose();
    }
  });

  after(async () => {
    await torchModel.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const retina of [false, true]) {
    test(`predict${retina ? ' with retina_masks' : ''}: same boxes, classes and masks`, async () => {
      const exported = new YOLO(onnx);
      try {
        assert.equal(exported.task, 'segment');
        const args = { ...PREDICT, retina_masks: retina };
        const ours = await exported.predict(IMAGES, args);
        const theirs = await torchModel.predict(IMAGES, args);
        const d = compare(ours, theirs);
        console.log(
          `# onnx vs libtorch${retina ? ' (retina_masks)' : ''}: ${d.detections} detections, boxes max |diff| ${d.box.toExponential(2)} px, ` +
            `conf ${d.conf.toExponential(2)}, mask IoU min ${d.iou.toFixed(4)}`,
        );
        assert.ok(d.detections > 0, 'the fixture images have detections');
        assert.ok(d.box <= 0.01, `boxes differ by ${d.box} px`);
        assert.ok(d.conf <= 1e-4, `confidences differ by ${d.conf}`);
        assert.ok(d.iou >= 0.99, `mask IoU ${d.iou}`);
      } finally {
        await exported.dispose();
      }
    });
  }

  test('predict with a static batch-2 export: the padded last batch gives what batch 1 gives', async () => {
    // A static export letterboxes every image to 256×256 where libtorch pads to the next stride multiple only, so
    // it is compared with another static export rather than with libtorch (near-equal scores may swap order).
    const batch2 = new YOLO(batch2Onnx);
    const batch1 = new YOLO(batch1Onnx);
    try {
      const ours = await batch2.predict(IMAGES, { ...PREDICT, batch: 2 });
      const theirs = await batch1.predict(IMAGES, { ...PREDICT, batch: 1 });
      assert.equal(ours.length, IMAGES.length);
      const d = compare(ours, theirs);
      console.log(
        `# static onnx batch 2 vs 1: ${d.detections} detections, boxes max |diff| ${d.box.toExponential(2)} px, mask IoU min ${d.iou}`,
      );
      assert.ok(d.detections > 0, 'the fixture images have detections');
      assert.ok(d.box <= 1e-3, `boxes differ by ${d.box} px`);
      assert.ok(d.iou >= 0.999, `mask IoU ${d.iou}`);
    } finally {
      await batch2.dispose();
      await batch1.dispose();
    }
  });

  test('val: the same box and mask metrics', async () => {
    const args = { data: join(dir, 'data.yaml'), imgsz: 256, batch: 8, plots: false, project: dir, verbose: false };
    const exported = new YOLO(onnx);
    try {
      const ours = await exported.val(args);
      const theirs = await torchModel.val(args);
      let worst = 0;
      for (const [key, want] of Object.entries(theirs)) {
        if (!key.startsWith('metrics/')) continue;
        worst = Math.max(worst, Math.abs(ours[key]! - want));
      }
      console.log(`# onnx vs libtorch val: metrics max |diff| ${worst.toExponential(2)}, mAP50-95(M) ${ours['metrics/mAP50-95(M)']}`);
      assert.ok(ours['metrics/mAP50-95(M)'] !== undefined, 'mask metrics');
      assert.ok(worst <= 0.005, `metrics differ by ${worst}`);
    } finally {
      await exported.dispose();
    }
  });
});
