// MuSGD (Ultralytics 8.4): Muon — momentum orthogonalised by a bfloat16 Newton–Schulz iteration — plus Nesterov SGD
// on the same parameters for groups marked `use_muon`, plain Nesterov SGD for the others.

import { zerosLike } from '../creation.js';
import type { Tensor } from '../tensor.js';
import { Optimizer, type ParamGroup, type ParamGroupInput, type ParamState, stateTensor } from './optimizer.js';

export interface MuSGDOptions {
  lr: number;
  momentum?: number;
  weight_decay?: number;
  nesterov?: boolean;
  /** Groups with `use_muon: true` get the Muon update (and the SGD one); others SGD only. */
  use_muon?: boolean;
}

export interface MuSGDScales {
  /** Factor on lr for the Muon half (Ultralytics 8.4.104: 0.2). */
  muon?: number;
  /** Factor on lr for the SGD half of Muon groups (8.4.104: 1.0). */
  sgd?: number;
}

// Quintic Newton–Schulz coefficients, chosen (by Muon's authors) to maximise the slope at zero.
const NS_A = 3.4445;
const NS_B = -4.775;
const NS_C = 2.0315;
const NS_STEPS = 5;

/** Rounds float32 values to the nearest bfloat16 (keeping float32 storage). */
function roundBf16(t: Tensor): Tensor {
  return t.to('bfloat16').to('float32');
}

/**
 * The approximate orthogonalisation `U·Vᵀ` of a matrix (2-D) by five quintic Newton–Schulz steps in bfloat16, as
 * Ultralytics computes it; returned in float32. Each bfloat16 product (and each `baddbmm` combination) is a float32
 * computation rounded once to bfloat16 — what PyTorch's batched bfloat16 kernels do. Emulating that explicitly keeps
 * the result independent of the BLAS kernel: libtorch's CPU kernel for a small single bfloat16 matrix rounds more
 * often and lands up to 9% (relative) away from Ultralytics' update.
 */
export function newtonSchulz5(g: Tensor, eps = 1e-7): Tensor {
  if (g.dim() !== 2) throw new RangeError(`newtonSchulz5 expects a matrix, got ${g.dim()} dimensions`);
  const [rows, cols] = g.shape as [number, number];
  const tall = rows > cols;
  const b16 = g.to('bfloat16');
  let x = b16.div(b16.norm().add(eps)).to('float32');
  if (tall) x = x.t();
  for (let i = 0; i < NS_STEPS; i++) {
    const a = roundBf16(x.matmul(x.t()));
    const b = roundBf16(a.matmul(a).mul(NS_C).add(a, NS_B));
    x = roundBf16(b.matmul(x).add(x, NS_A));
  }
  return tall ? x.t().contiguous() : x;
}

/**
 * @example
 * const opt = new MuSGD(
 *   [{ params: convWeights, use_muon: true, weight_decay: 5e-4 }, { params: others }],
 *   { lr: 0.01, momentum: 0.9, nesterov: true },
 *   { muon: 0.2, sgd: 1.0 },
 * );
 */
export class MuSGD extends Optimizer<Required<MuSGDOptions>> {
  readonly muon: number;
  readonly sgd: number;

  constructor(params: Tensor[] | ParamGroupInput[], options: MuSGDOptions, scales: MuSGDScales = {}) {
    super(params, { momentum: 0, weight_decay: 0, nesterov: false, use_muon: false, ...options });
    this.muon = scales.muon ?? 0.5;
    this.sgd = scales.sgd ?? 0.5;
  }

  /**
   * The Muon direction for a momentum-mixed gradient `u` (shaped like its parameter): conv filters are flattened to
   * (out, in·kh·kw), orthogonalised, scaled by √max(1, rows/cols) of the last two dims of the original shape (as
   * Ultralytics does), and reshaped back. A subclass may replace it (another orthogonaliser, or recording it).
   */
  protected orthogonalize(u: Tensor): Tensor {
    const shape = u.shape;
    const matrix = u.dim() === 4 ? u.reshape([shape[0] as number, -1]) : u;
    const update = newtonSchulz5(matrix);
    const scale = Math.max(1, (shape[shape.length - 2] as number) / (shape[shape.length - 1] as number)) ** 0.5;
    return (scale === 1 ? update : update.mul(scale)).reshape(shape);
  }

  /** One parameter at a time: each Muon update orthogonalises its own matrix, so there is no list form to batch. */
  protected updateGroup(params: Tensor[], grads: Tensor[], states: ParamState[], group: ParamGroup): void {
    for (let i = 0; i < params.length; i++) this.update(params[i]!, grads[i]!, states[i]!, group);
  }

  protected update(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup): void {
    const { lr, momentum, weight_decay: wd, nesterov, use_muon: useMuon } = group as unknown as Required<MuSGDOptions>;
    let sgdLr = lr;
    let sgdKey = 'momentum_buffer';
    if (useMuon) {
      const buf = stateTensor(state, 'momentum_buffer', () => zerosLike(p));
      buf.mul_(momentum).add_(grad, 1 - momentum);
      const u = nesterov ? buf.mul(momentum).add_(grad, 1 - momentum) : buf;
      p.add_(this.orthogonalize(u), -(lr * this.muon));
      sgdLr = lr * this.sgd;
      sgdKey = 'momentum_buffer_SGD';
    }
    // Weight decay sees the parameter after the Muon half has moved it, as in Ultralytics.
    const d = wd !== 0 ? grad.add(p, wd) : grad;
    const sgdBuf = stateTensor(state, sgdKey, () => zerosLike(p));
    sgdBuf.mul_(momentum).add_(d);
    p.add_(nesterov ? d.add(sgdBuf, momentum) : sgdBuf, -sgdLr);
  }
}
