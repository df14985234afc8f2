// Convolution modules (Ultralytics' nn/modules/conv.py): Conv, DWConv, ConvTranspose, Focus, Concat.
// Child names (conv, bn, act, conv_transpose) are the state-dict names of Ultralytics' weights.

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { fuseConvAndBn, fuseDeconvAndBn } from '../fuse.js';
import { SiLU } from './activation.js';
import { ConvTranspose2d } from './layers.js';

const { nn } = torch;

/** A kernel size, stride or padding: one number for both axes, or [h, w]. */
export type Pair = number | [number, number];

/** What a module's `act` argument may be: true (the default activation), false (none), or a module. */
export type ActSpec = boolean | torch.nn.Module;

/**
 * 'Same' padding for kernel `k` with dilation `d` (unless `p` is given): k // 2 of the dilated kernel.
 * @example autopad(3) // 1
 */
export function autopad(k: Pair, p: Pair | null = null, d = 1): Pair {
  if (p !== null) return p;
  const dilated = (v: number) => (d > 1 ? d * (v - 1) + 1 : v);
  return typeof k === 'number' ? Math.floor(dilated(k) / 2) : [Math.floor(dilated(k[0]) / 2), Math.floor(dilated(k[1]) / 2)];
}

/** The module that stands in for "no activation": a fresh Identity, as Ultralytics makes one per Conv. */
function resolveAct(act: ActSpec, defaultAct: () => torch.nn.Module): torch.nn.Module {
  if (act === true) return defaultAct();
  return act === false ? new nn.Identity() : act;
}

/**
 * Conv2d (no bias, 'same' padding) → BatchNorm2d → activation. `Conv.defaultAct` is one shared SiLU, as
 * Ultralytics' class attribute is, so a model's module tree holds a single activation module (what its layer
 * count reflects); a model YAML's `activation:` replaces it in that model once built (parseModel).
 *
 * @example
 * const stem = new Conv(3, 16, 3, 2); // 3→16 channels, 3×3, stride 2
 */
export class Conv extends nn.Module {
  static readonly defaultAct: torch.nn.Module = new SiLU();
  conv: torch.nn.Conv2d;
  bn: torch.nn.BatchNorm2d | null;
  act: torch.nn.Module;

  constructor(c1: number, c2: number, k: Pair = 1, s: Pair = 1, p: Pair | null = null, g = 1, d = 1, act: ActSpec = true) {
    super();
    this.conv = this.registerModule(
      'conv',
      new nn.Conv2d(c1, c2, k, { stride: s, padding: autopad(k, p, d), groups: g, dilation: d, bias: false }),
    );
    this.bn = this.registerModule('bn', new nn.BatchNorm2d(c2));
    this.act = this.registerModule(
      'act',
      resolveAct(act, () => Conv.defaultAct),
    );
  }

  /** Uses `act` as this convolution's activation (the module under `act` in the state dict and the layer count). */
  replaceActivation(act: torch.nn.Module): void {
    this.setModule('act', act);
    this.act = act;
  }

  forward(x: Tensor): Tensor {
    const fused = this.fusedSilu(x, null);
    if (fused !== null) return fused;
    const y = this.conv.forward(x);
    // Training: BN + SiLU as one operator, same values, a third less activation memory kept for backward
    // (F.batchNormSilu). Only for SiLU itself: a subclass may have changed what the activation computes.
    if (this.bn?.training && Object.getPrototypeOf(this.act) === SiLU.prototype) return this.bn.forwardSilu(y);
    return this.act.forward(this.bn ? this.bn.forward(y) : y);
  }

  /** act(conv(x)) + residual: a Bottleneck's shortcut, added inside the convolution where that is fused. */
  forwardAdd(x: Tensor, residual: Tensor): Tensor {
    return (this.forward === Conv.prototype.forward ? this.fusedSilu(x, residual) : null) ?? residual.add(this.forward(x));
  }

  /**
   * A BN-folded Conv with SiLU itself, at inference: conv, SiLU (and the residual) as one oneDNN primitive where
   * the addon has it (torch's Conv2d.forwardFused), saving a pass over the output for each; else null.
   */
  private fusedSilu(x: Tensor, residual: Tensor | null): Tensor | null {
    if (this.bn || Object.getPrototypeOf(this.act) !== SiLU.prototype) return null;
    return this.conv.forwardFused(x, { silu: true, residual });
  }

  /** Folds the BatchNorm into the convolution (Ultralytics' fuse: conv gains a bias, bn is removed). */
  fuse(): void {
    if (!this.bn) return;
    const fused = fuseConvAndBn(this.conv, this.bn);
    this.setModule('conv', fused);
    this.conv.dispose();
    this.conv = fused;
    this.deleteModule('bn');
    this.bn.dispose();
    this.bn = null;
  }
}

/** Depth-wise convolution: a Conv with groups = gcd(c1, c2). */
export class DWConv extends Conv {
  constructor(c1: number, c2: number, k: Pair = 1, s: Pair = 1, d = 1, act: ActSpec = true) {
    super(c1, c2, k, s, null, gcd(c1, c2), d, act);
  }
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** ConvTranspose2d → BatchNorm2d (or Identity with bn=false) → activation (its own shared SiLU, as Ultralytics). */
export class ConvTranspose extends nn.Module {
  static readonly defaultAct: torch.nn.Module = new SiLU();
  conv_transpose: ConvTranspose2d;
  bn: torch.nn.Module | null;
  act: torch.nn.Module;

  constructor(c1: number, c2: number, k: Pair = 2, s: Pair = 2, p: Pair = 0, bn = true, act: ActSpec = true) {
    super();
    this.conv_transpose = this.registerModule('conv_transpose', new ConvTranspose2d(c1, c2, k, s, p, 0, 1, !bn));
    this.bn = this.registerModule('bn', bn ? new nn.BatchNorm2d(c2) : new nn.Identity());
    this.act = this.registerModule(
      'act',
      resolveAct(act, () => ConvTranspose.defaultAct),
    );
  }

  forward(x: Tensor): Tensor {
    const y = this.conv_transpose.forward(x);
    return this.act.forward(this.bn ? this.bn.forward(y) : y);
  }

  /** Folds a BatchNorm into the transposed convolution; an Identity bn (bn=false) has nothing to fold. */
  fuse(): void {
    if (!(this.bn instanceof nn.BatchNorm2d)) return;
    const fused = fuseDeconvAndBn(this.conv_transpose, this.bn);
    this.setModule('conv_transpose', fused);
    this.conv_transpose.dispose();
    this.conv_transpose = fused;
    this.deleteModule('bn');
    this.bn.dispose();
    this.bn = null;
  }
}

/** Space-to-depth: the four pixel phases stacked on channels (4·c1), then a Conv. */
export class Focus extends nn.Module {
  conv: Conv;

  constructor(c1: number, c2: number, k: Pair = 1, s: Pair = 1, p: Pair | null = null, g = 1, act: ActSpec = true) {
    super();
    this.conv = this.registerModule('conv', new Conv(c1 * 4, c2, k, s, p, g, 1, act));
  }

  forward(x: Tensor): Tensor {
    const phases = [x.i('...', '::2', '::2'), x.i('...', '1::2', '::2'), x.i('...', '::2', '1::2'), x.i('...', '1::2', '1::2')];
    return this.conv.call(torch.cat(phases, 1));
  }
}

/** Concatenates its inputs along `dimension` (channels by default). */
export class Concat extends nn.Module<[Tensor[]], Tensor> {
  constructor(readonly d = 1) {
    super();
  }

  forward(x: Tensor[]): Tensor {
    return torch.cat(x, this.d);
  }
}
