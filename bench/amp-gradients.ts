// Where bf16 autocast's error enters a training step (issue 18 §3): one forward + loss + backward of the Ultralytics
// yolov8n fixture (../shared/fixtures/ultralytics: its weights and its 640 batch), once in float32 and once with the
// forward under bf16 autocast (the trainer's path: toFloat32 before the loss), then per layer the relative error of
// the parameter gradients, ‖g_bf16 − g_fp32‖ / ‖g_fp32‖, and their cosine. The loss items side by side.
// A yardstick for the size of that error: the same float32 step at 1 thread against 2 threads (summation order only).
// Run: node --conditions=source --import tsx bench/amp-gradients.ts
import { fileURLToPath } from 'node:url';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { type AmpMode, toFloat32, withAutocast } from '../packages/yolo/src/engine/amp.js';
import { DetectionModel } from '../packages/yolo/src/nn/tasks.js';
import { DetectionLoss } from '../packages/yolo/src/utils/loss.js';

const FIXTURES = fileURLToPath(new URL('../../shared/fixtures/ultralytics/', import.meta.url));
const weights = torch.io.loadSafetensors(`${FIXTURES}model.safetensors`);
const batchFile = torch.io.loadSafetensors(`${FIXTURES}batch.safetensors`).tensors;
const need = (key: string): Tensor => {
  const t = batchFile.get(key);
  if (!t) throw new Error(`batch.safetensors has no '${key}'`);
  return t;
};
const batch = { batchIdx: need('batch_idx'), cls: need('cls'), bboxes: need('bboxes') };
const img = need('img');

interface Step {
  items: number[];
  grads: Map<string, Tensor>;
}

/**
 * One training step's loss items and parameter gradients under `mode`, at `threads` libtorch threads; with
 * `roundWeights` the float32 weights are first rounded to bf16's precision (and kept float32).
 */
function step(mode: AmpMode, threads: number, roundWeights = false): Step {
  torch.setNumThreads(threads);
  const model = new DetectionModel(JSON.parse(weights.metadata.yaml as string), { verbose: false });
  model.loadStateDict(weights.tensors, { strict: true });
  if (roundWeights)
    torch.noGrad(() => {
      for (const p of model.parameters()) torch.tidy(() => p.copy_(p.to('bfloat16').float()));
    });
  model.train();
  const criterion = new DetectionLoss({ stride: model.stride, nc: model.nc, regMax: 16 }, { box: 7.5, cls: 0.5, dfl: 1.5 });
  const items = torch.tidy(() => {
    const preds = toFloat32(withAutocast(mode, () => model.call(img))) as Tensor[];
    const [loss, lossItems] = criterion.compute(preds, batch);
    loss.sum().backward();
    return lossItems.toArray();
  });
  const grads = new Map<string, Tensor>();
  for (const [name, p] of model.namedParameters()) if (p.grad) grads.set(name, p.grad.clone());
  model.dispose();
  return { items, grads };
}

/** Per top-level layer (model.N): relative gradient error and cosine of `other` against `base`. */
function compare(base: Step, other: Step): Map<string, { rel: number; cos: number }> {
  const sums = new Map<string, { diff: number; norm: number; dot: number; otherNorm: number }>();
  for (const [name, g] of base.grads) {
    const o = other.grads.get(name);
    if (!o) throw new Error(`${name}: no gradient in the compared step`);
    const layer = name.split('.').slice(0, 2).join('.');
    const s = sums.get(layer) ?? { diff: 0, norm: 0, dot: 0, otherNorm: 0 };
    torch.tidy(() => {
      s.diff += o.sub(g).pow(2).sum().item();
      s.norm += g.pow(2).sum().item();
      s.dot += o.mul(g).sum().item();
      s.otherNorm += o.pow(2).sum().item();
    });
    sums.set(layer, s);
  }
  const total = [...sums.values()].reduce(
    (t, s) => ({ diff: t.diff + s.diff, norm: t.norm + s.norm, dot: t.dot + s.dot, otherNorm: t.otherNorm + s.otherNorm }),
    { diff: 0, norm: 0, dot: 0, otherNorm: 0 },
  );
  sums.set('all', total);
  return new Map([...sums].map(([layer, s]) => [layer, { rel: Math.sqrt(s.diff / s.norm), cos: s.dot / Math.sqrt(s.norm * s.otherNorm) }]));
}

const cpu = torch.amp.cpuBf16Support();
console.log(`yolov8n fixture weights, fixture batch at 640; CPU AVX512-BF16 ${cpu.avx512Bf16}, AMX-BF16 ${cpu.amxBf16}`);
const fp32 = step('off', 2);
const fp32OneThread = step('off', 1);
const bf16 = step('bf16', 2);
const roundedWeights = step('off', 2, true);
const names = ['box', 'cls', 'dfl'];
for (const [label, s] of [
  ['fp32 (2 threads)', fp32],
  ['fp32 (1 thread) ', fp32OneThread],
  ['bf16 (2 threads)', bf16],
  ['fp32, bf16-rounded weights', roundedWeights],
] as const)
  console.log(`${label} loss items ${s.items.map((v, i) => `${names[i]} ${v.toFixed(5)}`).join('  ')}`);

const threadNoise = compare(fp32, fp32OneThread);
const bf16Error = compare(fp32, bf16);
const roundingError = compare(fp32, roundedWeights);
const cell = (e: { rel: number; cos: number } | undefined) => `${e?.rel.toExponential(2).padStart(10)} ${e?.cos.toFixed(5).padStart(8)}`;
console.log(
  '\nrelative gradient error ‖Δ‖/‖g_fp32‖ and cosine, per layer:\n' +
    '  bf16 step         the forward under bf16 autocast, loss and backward as the trainer runs them\n' +
    '  rounded weights   float32, with the weights rounded to bf16 first: how sensitive the gradients are\n' +
    '  threads           float32 at 1 thread against 2 (summation order only)',
);
console.log(`${'layer'.padEnd(10)} ${'bf16 step'.padStart(19)} ${'rounded weights'.padStart(19)} ${'threads'.padStart(10)}`);
for (const [layer, e] of bf16Error)
  console.log(
    `${layer.padEnd(10)} ${cell(e)} ${cell(roundingError.get(layer))} ${threadNoise.get(layer)?.rel.toExponential(2).padStart(10)}`,
  );
