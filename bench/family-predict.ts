// Predict latency per image (pre / inference / post, ms, batch 1) of each model family's n-scale detector at one size
// (640 by default), through DetectionPredictor on libtorch, on the same 32 coco128 images: what `yolo predict` reports
// in its Speed line. Each model is built from its YAML (weights from `--weights family=file` when given, else the
// YAML's initial ones); latency does not depend on what a model learned, but postprocess (NMS) grows with the number
// of boxes above conf, so pass trained weights for a like-for-like end-to-end figure. Families whose YAML is not
// built in are skipped with a note. Figures are medians after two warm-up images; say the machine's load next to them.
// Run: node --conditions=source --import tsx bench/family-predict.ts [--imgsz 640] [--models yolov8n,yolo11n,yolo26n]
//      [--weights yolo11n=runs/detect/train/weights/best.safetensors] [--images <dir of images>]
import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '@yolots/torch';
import { loadDetectionModel } from '../packages/yolo/src/models/yolo/detect/load.js';
import { DetectionPredictor } from '../packages/yolo/src/models/yolo/detect/predict.js';
import { builtinModelNames } from '../packages/yolo/src/nn/yaml-model.js';

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1]! : fallback;
}
const imgsz = Number(flag('imgsz', '640'));
const models = flag('models', 'yolov8n,yolo11n,yolo26n').split(',');
const weights = Object.fromEntries(
  flag('weights', '')
    .split(',')
    .filter(Boolean)
    .map((pair) => pair.split('=') as [string, string]),
);
// Models trained on the built-in shapes dataset see few boxes in coco128: give them its val images
// (`--images ~/.cache/yolots/datasets/shapes/images/val`) so that NMS has the work a trained model gives it.
const IMAGES = flag('images', join(fileURLToPath(new URL('../../shared/', import.meta.url)), 'datasets/coco128/images/train2017'));
const files = readdirSync(IMAGES)
  .sort()
  .slice(0, 32)
  .map((f) => join(IMAGES, f));

console.log(`imgsz ${imgsz}, batch 1, ${torch.getNumThreads()} threads, load average ${loadavg()[0]?.toFixed(2)} at start`);
for (const name of models) {
  const source = weights[name] ?? `${name}.yaml`;
  if (!weights[name] && !builtinModelNames().includes(`${name}.yaml`)) {
    console.log(`${name.padEnd(8)} skipped: no built-in ${name}.yaml`);
    continue;
  }
  const model = loadDetectionModel(source);
  model.fuse(false);
  const predictor = new DetectionPredictor({ overrides: { imgsz, conf: 0.25, batch: 1, save: false, verbose: false, mode: 'predict' } });
  const times: number[][] = [];
  let boxes = 0;
  for await (const r of predictor.stream(files, model)) {
    times.push([r.speed.preprocess ?? 0, r.speed.inference ?? 0, r.speed.postprocess ?? 0]);
    boxes += r.boxes?.length ?? 0;
  }
  const median = (k: number): number => {
    const sorted = times
      .slice(2)
      .map((t) => t[k]!)
      .sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
  };
  const [pre, inf, post] = [median(0), median(1), median(2)];
  console.log(
    `${name.padEnd(8)} ${pre.toFixed(1)} / ${inf.toFixed(1)} / ${post.toFixed(1)} ms (pre / inference / post), ` +
      `${(pre + inf + post).toFixed(1)} ms end to end (median of ${times.length - 2}; ${(boxes / times.length).toFixed(1)} boxes per image; ${source})`,
  );
  model.dispose();
}
console.log(`load average ${loadavg()[0]?.toFixed(2)} at the end`);
