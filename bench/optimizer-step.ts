// The per-step bookkeeping of YOLOv8n training, alone: clip_grad_norm_, an AdamW / SGD step over Ultralytics' three
// parameter groups, and the EMA update, with the _foreach_* implementations (what the trainer runs) against the
// one-tensor-at-a-time loops they replaced (written out below). Both give identical numbers on CPU; this prints the
// milliseconds per step of each. Run: node --conditions=source --import tsx bench/optimizer-step.ts [--repeats 30]
import { loadavg } from 'node:os';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { buildOptimizer } from '../packages/yolo/src/engine/build-optimizer.js';
import { DetectionModel } from '../packages/yolo/src/nn/tasks.js';
import { ModelEMA } from '../packages/yolo/src/utils/ema.js';

const repeatsAt = process.argv.indexOf('--repeats');
const REPEATS = repeatsAt > 0 ? Number(process.argv[repeatsAt + 1]) : 30;

const model = new DetectionModel('yolov8n.yaml', { verbose: false });
const params = model.parameters();
torch.noGrad(() => {
  for (const p of params) p.grad = torch.randn(p.shape).mul(1e-3).keep();
});

/** The pre-foreach clip: one norm per gradient, a read-back, one multiply per gradient when clipping. */
function clipLoop(maxNorm: number): void {
  torch.noGrad(() =>
    torch.tidy(() => {
      const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
      const total = torch
        .stack(grads.map((g) => g.norm(2)))
        .norm(2)
        .item();
      const coef = maxNorm / (total + 1e-6);
      if (coef < 1) for (const g of grads) g.mul_(coef);
    }),
  );
}

/** The pre-foreach AdamW update of one parameter (PyTorch's single-tensor rule). */
function adamwLoop(
  groups: Array<{ params: Tensor[]; lr: number; weight_decay: number }>,
  state: Map<Tensor, Tensor[]>,
  step: number,
): void {
  const [beta1, beta2, eps] = [0.9, 0.999, 1e-8];
  torch.noGrad(() =>
    torch.tidy(() => {
      for (const group of groups) {
        for (const p of group.params) {
          const g = p.grad as Tensor;
          let s = state.get(p);
          if (s === undefined) {
            s = [torch.zerosLike(p).keep(), torch.zerosLike(p).keep()];
            state.set(p, s);
          }
          const [m, v] = s as [Tensor, Tensor];
          if (group.weight_decay !== 0) p.mul_(1 - group.lr * group.weight_decay);
          m.mul_(beta1).add_(g, 1 - beta1);
          v.mul_(beta2).addcmul_(g, g, 1 - beta2);
          const denom = v
            .sqrt()
            .div_(Math.sqrt(1 - beta2 ** step))
            .add_(eps);
          p.addcdiv_(m, denom, -group.lr / (1 - beta1 ** step));
        }
      }
    }),
  );
}

/** The pre-foreach EMA: one mul_ and one add_ per entry. */
function emaLoop(ema: ModelEMA, d: number): void {
  torch.noGrad(() =>
    torch.tidy(() => {
      for (const [name, w] of model.stateDict()) {
        const v = ema.state.get(name);
        if (v === undefined) continue;
        if (w.isFloatingPoint()) v.mul_(d).add_(w.detach(), 1 - d);
        else v.copy_(w);
      }
    }),
  );
}

/** Median ms per call of `a` and of `b`, timed in alternating rounds so that load changes hit both alike. */
function pair(a: () => void, b: () => void): [number, number] {
  for (let i = 0; i < 3; i++) {
    a();
    b();
  }
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    for (const [fn, out] of [
      [a, ta],
      [b, tb],
    ] as const) {
      const t = performance.now();
      fn();
      out.push(performance.now() - t);
    }
  }
  const median = (v: number[]): number => v.sort((x, y) => x - y)[Math.floor(v.length / 2)] as number;
  return [median(ta), median(tb)];
}

const adamw = buildOptimizer(model, 'AdamW', 0.001, 0.9, 5e-4).optimizer;
const ema = new ModelEMA(model);
const loopState = new Map<Tensor, Tensor[]>();
let loopStep = 0;
const groups = adamw.paramGroups as unknown as Array<{ params: Tensor[]; lr: number; weight_decay: number }>;

const rows: Array<[string, [number, number]]> = [
  [
    'clip_grad_norm_ (max 10)',
    pair(
      () => torch.tidy(() => torch.optim.clipGradNorm_(params, 10)),
      () => clipLoop(10),
    ),
  ],
  [
    'AdamW step',
    pair(
      () => adamw.step(),
      () => adamwLoop(groups, loopState, ++loopStep),
    ),
  ],
  [
    'EMA update',
    pair(
      () => ema.update(model),
      () => emaLoop(ema, 0.5),
    ),
  ],
];
console.log(
  `YOLOv8n, ${params.length} parameters, ${torch.getNumThreads()} threads, ${REPEATS} repeats, load average ${loadavg()[0]?.toFixed(1)} on this machine`,
);
console.log('median ms per call           foreach ms   one-tensor loop ms');
for (const [name, [fe, loop]] of rows) {
  console.log(`${name.padEnd(28)} ${fe.toFixed(2).padStart(10)}   ${loop.toFixed(2).padStart(18)}`);
}
