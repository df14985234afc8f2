// Probs (Ultralytics' engine/results.py): the class probabilities of one image and its top classes.
import type { Tensor } from '@yolots/torch';

/**
 * One image's class probabilities (nc values, summing to 1), plain numbers so results outlive native memory.
 *
 * @example
 * result.probs?.top1;     // 2
 * result.probs?.top5conf; // [0.61, 0.38, 0.01, 0.002]
 */
export class Probs {
  constructor(readonly data: Float32Array) {}

  /** From an (nc,) tensor of probabilities. */
  static fromTensor(probs: Tensor): Probs {
    return new Probs(Float32Array.from(probs.float().toArray()));
  }

  get length(): number {
    return this.data.length;
  }

  /** The most probable class. */
  get top1(): number {
    return this.order()[0] ?? 0;
  }

  /** Up to five classes by descending probability. */
  get top5(): number[] {
    return this.order().slice(0, 5);
  }

  get top1conf(): number {
    return this.data[this.top1] ?? 0;
  }

  get top5conf(): number[] {
    return this.top5.map((c) => this.data[c] as number);
  }

  /** Class indices by descending probability (ties by index). */
  private order(): number[] {
    return Array.from(this.data.keys()).sort((a, b) => (this.data[b] as number) - (this.data[a] as number) || a - b);
  }
}
