// half=True against float32 validation on CPU: mAP50-95 and mAP50 (and the validator's Speed line) of the same
// weights on the same split, float32 first, then half (bf16 autocast where the CPU has AVX512-BF16 or AMX).
// Run: node --conditions=source --import tsx bench/half-val.ts [weights] [data.yaml] [imgsz]
// The defaults (the shared YOLO11n fixture, trained 100 epochs on coco8's 4 images, validated on coco8 at 320) only
// prove the path; the figure that counts is a real model on a real split, e.g. the built-in shapes job's best
// weights: bench/half-val.ts runs/detect/train/weights/best.safetensors shapes.yaml 640.
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as torch from '@yolots/torch';
import { YOLO } from '../packages/yolo/src/index.js';

const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));
const weights = process.argv[2] ?? `${SHARED}fixtures/ultralytics-yolo11/model.pt`;
const data = process.argv[3] ?? `${SHARED}datasets/coco8.yaml`;
const imgsz = Number(process.argv[4] ?? 320);

const cpu = torch.amp.cpuBf16Support();
console.log(
  `${weights} on ${data} at ${imgsz}; ${torch.getNumThreads()} threads; CPU AVX512-BF16 ${cpu.avx512Bf16}, AMX-BF16 ${cpu.amxBf16}`,
);
const rows: string[] = [];
for (const half of [false, true]) {
  const model = new YOLO(weights);
  const load = loadavg()[0] ?? 0;
  const metrics = await model.val({ data, imgsz, half, batch: 16, plots: false, verbose: false });
  rows.push(
    `half=${half ? 'True ' : 'False'}  mAP50-95 ${metrics['metrics/mAP50-95(B)']?.toFixed(4)}  mAP50 ${metrics['metrics/mAP50(B)']?.toFixed(4)}` +
      `  (load average ${load.toFixed(1)} at start; the validator's Speed line above gives its ms per image)`,
  );
}
console.log(rows.join('\n'));
