// Validation images/s and predict latency per image (pre/inference/post) for yolov8n on coco128, fused, at 320 and
// 640 (issue 6), next to Ultralytics 8.2.103's figures on this kind of machine (../shared/reference).
// The weights are the fixture yolov8n (trained by Ultralytics on coco8): speed does not depend on what they learned.
// Run: node --conditions=source --import tsx bench/val-predict.ts [640|320 ...]
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '@yolots/torch';
import { DetectionPredictor } from '../packages/yolo/src/models/yolo/detect/predict.js';
import { DetectionValidator } from '../packages/yolo/src/models/yolo/detect/val.js';
import { DetectionModel } from '../packages/yolo/src/nn/tasks.js';

const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));
const DATA = join(SHARED, 'datasets/coco128.yaml');
const IMAGES = join(SHARED, 'datasets/coco128/images/train2017');

/** Ultralytics `yolo val` / `yolo predict` Speed lines (ms per image: pre, inference, post). */
const REFERENCE: Record<number, { val: number[]; predict: number[] }> = {
  320: { val: [0.8, 29.8, 0.1], predict: [0.7, 26.3, 0.3] },
  640: { val: [3.3, 137.9, 0.9], predict: [1.8, 87.6, 0.6] },
};

function fixtureModel(): DetectionModel {
  const model = new DetectionModel('yolov8n.yaml', { verbose: false });
  const { tensors } = torch.io.loadSafetensors(join(SHARED, 'fixtures/ultralytics/model.safetensors'));
  model.loadStateDict(tensors);
  torch.dispose([...tensors.values()]);
  return model;
}

async function bench(imgsz: number): Promise<void> {
  const ref = REFERENCE[imgsz]!;
  const model = fixtureModel();

  const validator = new DetectionValidator({
    args: { data: DATA, imgsz, batch: 32, workers: 2, plots: false, verbose: false, rect: true },
  });
  const t0 = performance.now();
  await validator.run({ model });
  const wall = (performance.now() - t0) / 1000;
  const s = validator.speed;
  const perImage = s.preprocess + s.inference + s.postprocess;
  const refVal = ref.val.reduce((a, b) => a + b, 0);
  console.log(`\nimgsz ${imgsz}, ${torch.getNumThreads()} threads`);
  console.log(
    `val      ${(1000 / perImage).toFixed(2)} img/s from speed (${s.preprocess.toFixed(1)}/${s.inference.toFixed(1)}/${s.postprocess.toFixed(1)} ms), ` +
      `${(128 / wall).toFixed(2)} img/s wall | Ultralytics ${(1000 / refVal).toFixed(2)} img/s (${ref.val.join('/')} ms) | ratio ${(refVal / perImage).toFixed(2)}x`,
  );

  const predictor = new DetectionPredictor({ overrides: { imgsz, conf: 0.25, batch: 1, save: false, verbose: false, mode: 'predict' } });
  const files = readdirSync(IMAGES)
    .sort()
    .slice(0, 32)
    .map((f) => join(IMAGES, f));
  const times: number[][] = [];
  for await (const result of predictor.stream(files, model))
    times.push([result.speed.preprocess ?? 0, result.speed.inference ?? 0, result.speed.postprocess ?? 0]);
  const median = (k: number): number => {
    const sorted = times
      .slice(2)
      .map((t) => t[k]!)
      .sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
  };
  const [pre, inf, post] = [median(0), median(1), median(2)];
  console.log(
    `predict  ${pre.toFixed(1)} / ${inf.toFixed(1)} / ${post.toFixed(1)} ms per image (median of ${times.length - 2}, batch 1) | ` +
      `Ultralytics ${ref.predict.join(' / ')} ms | inference ratio ${(ref.predict[1]! / inf).toFixed(2)}x`,
  );
}

const sizes = process.argv.slice(2).map(Number);
for (const imgsz of sizes.length ? sizes : [320, 640]) await bench(imgsz);
