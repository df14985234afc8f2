// Exponential moving average of a model's weights (Ultralytics' ModelEMA): validation and checkpoints use it.

import type { nn, Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';

/**
 * Keeps an EMA copy of every floating-point state-dict entry (buffers included). Rather than a deep copy of the
 * model (impossible to do generically for a user's subclass), it holds the tensors and swaps them into the live
 * model when the EMA weights are needed (`withWeights`).
 */
export class ModelEMA {
  /** EMA tensors by state-dict name (integer entries such as num_batches_tracked follow the model as is). */
  readonly state = new Map<string, Tensor>();
  updates: number;
  readonly decay: number;
  readonly tau: number;
  private readonly floating = new WeakMap<Tensor, boolean>();

  constructor(model: nn.Module<any, any>, options: { decay?: number; tau?: number; updates?: number } = {}) {
    this.decay = options.decay ?? 0.9999;
    this.tau = options.tau ?? 2000;
    this.updates = options.updates ?? 0;
    torch.noGrad(() => {
      for (const [name, t] of model.stateDict()) this.state.set(name, t.detach().clone().keep());
    });
  }

  /** The decay for the current update count: ramps from 0 to `decay` with time constant `tau`. */
  currentDecay(): number {
    return this.decay * (1 - Math.exp(-this.updates / this.tau));
  }

  /**
   * One EMA step towards the model's current weights: v = d·v + (1−d)·w for floating-point entries, a copy for
   * integer ones (num_batches_tracked), in four foreach calls (the same arithmetic as per-tensor mul_/add_/copy_,
   * without ~350 native calls each).
   */
  update(model: nn.Module<any, any>): void {
    this.updates++;
    const d = this.currentDecay();
    torch.noGrad(() =>
      torch.tidy(() => {
        const averaged: Tensor[] = [];
        const current: Tensor[] = [];
        const counters: Tensor[] = [];
        const counts: Tensor[] = [];
        for (const [name, w] of model.stateDict()) {
          const v = this.state.get(name);
          if (v === undefined) continue;
          if (this.isFloating(w)) {
            averaged.push(v);
            current.push(w);
          } else {
            counters.push(v);
            counts.push(w);
          }
        }
        torch.foreachMul_(averaged, d);
        torch.foreachAdd_(averaged, current, 1 - d);
        // An exact copy of integers: zero, then add.
        torch.foreachZero_(counters);
        torch.foreachAdd_(counters, counts);
      }),
    );
  }

  /** Whether a model tensor is floating point, asked of libtorch once per tensor (module dtype casts keep it). */
  private isFloating(t: Tensor): boolean {
    let floating = this.floating.get(t);
    if (floating === undefined) {
      floating = t.isFloatingPoint();
      this.floating.set(t, floating);
    }
    return floating;
  }

  /** Takes saved EMA weights (a checkpoint's, copied to where this EMA lives) and their update count. */
  load(state: Map<string, Tensor>, updates: number): void {
    torch.noGrad(() => {
      for (const [name, t] of state) this.state.get(name)?.copy_(t);
    });
    this.updates = updates;
  }

  /** Runs `fn` with the EMA weights swapped into `model`, restoring the training weights afterwards. */
  async withWeights<T>(model: nn.Module<any, any>, fn: () => Promise<T> | T): Promise<T> {
    const live = model.stateDict();
    const swap = (): void => {
      for (const [name, t] of live) {
        const v = this.state.get(name);
        if (v === undefined) continue;
        const held = torch.noGrad(() => t.detach().clone());
        t.setData_(v);
        v.setData_(held);
        held.dispose();
      }
    };
    swap();
    try {
      return await fn();
    } finally {
      swap();
    }
  }

  /** Frees the EMA tensors. */
  dispose(): void {
    for (const t of this.state.values()) t.dispose();
    this.state.clear();
  }
}
