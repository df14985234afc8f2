// Detection loss cost per training batch (16 images at 640, YOLOv8 head, 80 classes), assigner included, next to a
// model's forward + backward when a DetectionModel is available, to show whether the loss is a bottleneck.
// Run: node --conditions=source --import tsx bench/loss.ts [--batch 16] [--imgsz 640] [--repeats 5] [--threads N]

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { DetectionLoss } from '../packages/yolo/src/utils/loss.js';

const args = new Map<string, number>();
for (let i = 2; i < process.argv.length; i += 2) args.set(String(process.argv[i]).replace(/^--/, ''), Number(process.argv[i + 1]));
const batchSize = args.get('batch') ?? 16;
const imgsz = args.get('imgsz') ?? 640;
const repeats = args.get('repeats') ?? 5;
torch.setNumThreads(args.get('threads') ?? torch.getNumThreads());
const HEAD = { stride: [8, 16, 32], nc: 80, regMax: 16 };
const GAINS = { box: 7.5, cls: 0.5, dfl: 1.5 };

/** Random labels, 1..20 per image (COCO averages ~7), boxes 2%..50% of the image. */
function randomBatch(seed: number): { batchIdx: Tensor; cls: Tensor; bboxes: Tensor; count: number } {
  let state = seed;
  const rand = (): number => {
    state = (state * 1664525 + 1013904223) % 4294967296;
    return state / 4294967296;
  };
  const idx: number[] = [];
  const cls: number[] = [];
  const boxes: number[] = [];
  for (let b = 0; b < batchSize; b++) {
    const n = 1 + Math.floor(rand() * 20);
    for (let k = 0; k < n; k++) {
      const w = 0.02 + rand() * 0.48;
      const h = 0.02 + rand() * 0.48;
      idx.push(b);
      cls.push(Math.floor(rand() * HEAD.nc));
      boxes.push(w / 2 + rand() * (1 - w), h / 2 + rand() * (1 - h), w, h);
    }
  }
  return {
    batchIdx: torch.tensor(idx),
    cls: torch.tensor(cls, { shape: [cls.length, 1] }),
    bboxes: torch.tensor(boxes, { shape: [idx.length, 4] }),
    count: idx.length,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function time(fn: () => void): number {
  fn(); // warm-up
  const runs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    fn();
    runs.push(performance.now() - start);
  }
  return median(runs);
}

torch.manualSeed(0);
const no = HEAD.nc + HEAD.regMax * 4;
const preds = HEAD.stride.map((s) =>
  torch
    .randn([batchSize, no, imgsz / s, imgsz / s])
    .mul(2)
    .requiresGrad_(true),
);
const batch = randomBatch(1);
const criterion = new DetectionLoss(HEAD, GAINS);
const anchors = preds.reduce((sum, p) => sum + p.shape[2]! * p.shape[3]!, 0);

const before = torch.liveTensors();
const lossMs = time(() => torch.tidy(() => void criterion.compute(preds, batch)));
const lossBackwardMs = time(() =>
  torch.tidy(() => {
    const [loss] = criterion.compute(preds, batch);
    loss.backward();
    for (const p of preds) p.grad = null;
  }),
);
if (torch.liveTensors() !== before) console.warn(`warning: ${torch.liveTensors() - before} tensors leaked`);

console.log(`threads ${torch.getNumThreads()}, batch ${batchSize} at ${imgsz} (${anchors} anchors), ${batch.count} labels`);
console.log(`loss forward (assigner included): ${lossMs.toFixed(1)} ms/batch`);
console.log(`loss forward + backward to the head maps: ${lossBackwardMs.toFixed(1)} ms/batch`);

const tasks = await import('../packages/yolo/src/nn/tasks.js').catch(() => null);
if (tasks === null || typeof tasks.DetectionModel !== 'function') {
  console.log('model forward + backward: not measured (packages/yolo/src/nn/tasks.ts has no DetectionModel yet)');
} else {
  const model = new tasks.DetectionModel('yolov8n.yaml', { nc: HEAD.nc, verbose: false });
  model.train();
  const img = torch.rand([batchSize, 3, imgsz, imgsz]);
  const modelMs = time(() =>
    torch.tidy(() => {
      const out = model.call(img) as Tensor[];
      const [loss] = criterion.compute(out, batch);
      loss.backward();
      for (const p of model.parameters()) p.grad = null;
    }),
  );
  console.log(
    `yolov8n forward + loss + backward: ${modelMs.toFixed(1)} ms/batch (loss forward is ${((100 * lossMs) / modelMs).toFixed(1)}%)`,
  );
}
