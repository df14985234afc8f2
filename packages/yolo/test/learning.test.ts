// The learning test: the whole loop (data → model → loss → optimizer → EMA → validation) learns. YOLOv8n from
// scratch on the built-in shapes dataset, with the README main job's settings, must reach mAP50 >= 0.5, and the
// trained model must find the generator's ground-truth boxes when predicting.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import sharp from 'sharp';
import { ensureShapesDataset } from '../src/data/shapes.js';
import { YOLO } from '../src/models/yolo/model.js';

/** The main job's arguments (scripts/setup.sh). */
const MAIN_JOB = { epochs: 22, imgsz: 160, batch: 8, nbs: 8, optimizer: 'AdamW', lr0: 0.002, warmup_epochs: 1, close_mosaic: 3 };

function iou(a: number[], b: number[]): number {
  const w = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!));
  const h = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
  const inter = w * h;
  return inter / ((a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - inter);
}

describe('learning on the built-in shapes dataset', () => {
  let model: YOLO;
  let metrics: Record<string, number>;
  let root: string;

  before(async () => {
    process.env.YOLOTS_DATASETS_DIR = mkdtempSync(join(tmpdir(), 'yolots-learn-data-'));
    const dataYaml = await ensureShapesDataset();
    root = join(dataYaml, '..');
    model = new YOLO('yolov8n.yaml');
    metrics = await model.train({ ...MAIN_JOB, verbose: false, plots: true, project: mkdtempSync(join(tmpdir(), 'yolots-learn-')) });
  });

  test('YOLOv8n from scratch reaches mAP50 >= 0.5 with the main job settings', () => {
    const map50 = metrics['metrics/mAP50(B)']!;
    console.log(`final mAP50 ${map50.toFixed(4)}, mAP50-95 ${metrics['metrics/mAP50-95(B)']!.toFixed(4)}`);
    assert.ok(map50 >= 0.5, `mAP50 ${map50}`);
  });

  test('the trained model predicts boxes that overlap the generator ground truth', async () => {
    const dir = join(root, 'images', 'val');
    const files = readdirSync(dir).sort().slice(0, 24);
    let truths = 0;
    let found = 0;
    for (const file of files) {
      const [result] = await model.predict(join(dir, file), { imgsz: MAIN_JOB.imgsz, conf: 0.25 });
      assert.ok(result);
      const [h, w] = result.origShape;
      const label = readFileSync(join(root, 'labels', 'val', file.replace(/\.\w+$/, '.txt')), 'utf8').trim();
      assert.ok(result.boxes);
      const flat = Array.from(result.boxes.xyxyList);
      const boxes = Array.from({ length: flat.length / 4 }, (_, i) => flat.slice(i * 4, i * 4 + 4));
      const classes = result.boxes.clsList;
      for (const line of label ? label.split('\n') : []) {
        const [c, cx, cy, bw, bh] = line.split(' ').map(Number) as [number, number, number, number, number];
        const gt = [(cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h];
        truths++;
        if (boxes.some((b, i) => classes[i] === c && iou(b, gt) >= 0.5)) found++;
      }
    }
    console.log(`ground-truth boxes found (same class, IoU >= 0.5): ${found}/${truths}`);
    assert.ok(truths > 20);
    assert.ok(found / truths >= 0.5, `${found}/${truths}`);
  });

  test('plots=true leaves every plot a user opens, as real images with content', async () => {
    const dir = model.trainer?.saveDir as string;
    const files = [
      'results.png',
      'labels.jpg',
      'train_batch0.jpg',
      'train_batch1.jpg',
      'val_batch0_labels.jpg',
      'val_batch0_pred.jpg',
      'PR_curve.png',
      'F1_curve.png',
      'P_curve.png',
      'R_curve.png',
      'confusion_matrix.png',
      'confusion_matrix_normalized.png',
    ];
    for (const file of files) {
      const path = join(dir, file);
      assert.ok(existsSync(path), `${file} missing in ${dir}`);
      const stats = await sharp(path).stats();
      const meta = await sharp(path).metadata();
      assert.ok((meta.width ?? 0) >= 400 && (meta.height ?? 0) >= 300, `${file}: ${meta.width}x${meta.height}`);
      assert.ok(
        stats.channels.some((c) => c.stdev > 10),
        `${file} looks blank`,
      );
    }
  });
});
