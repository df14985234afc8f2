import { mix32, Random } from './random.js';

export interface SamplerOptions {
  shuffle?: boolean;
  seed?: number;
  /** This process's rank (0 when not distributed). */
  rank?: number;
  /** Number of processes sharing the dataset (1 when not distributed). */
  worldSize?: number;
}

/**
 * Epoch-aware index order with a rank/world split, like torch's DistributedSampler: every rank shuffles with the
 * same (seed, epoch) permutation, the list is padded from its start to a multiple of worldSize, and rank r takes
 * positions r, r+world, r+2·world, … so ranks see disjoint, equally long shares.
 *
 * @example
 * const sampler = new EpochSampler(128, { shuffle: true, seed: 0, rank: 1, worldSize: 2 });
 * sampler.setEpoch(3);
 * sampler.indices().length; // 64
 */
export class EpochSampler {
  private epoch = 0;
  private readonly shuffle: boolean;
  private readonly seed: number;
  private readonly rank: number;
  private readonly worldSize: number;

  constructor(
    private readonly size: number,
    options: SamplerOptions = {},
  ) {
    this.shuffle = options.shuffle ?? true;
    this.seed = options.seed ?? 0;
    this.rank = options.rank ?? 0;
    this.worldSize = options.worldSize ?? 1;
    if (!(this.worldSize >= 1 && this.rank >= 0 && this.rank < this.worldSize)) {
      throw new Error(`EpochSampler: rank ${this.rank} must be in [0, worldSize=${this.worldSize})`);
    }
  }

  setEpoch(epoch: number): void {
    this.epoch = epoch;
  }

  /** Samples this rank sees per epoch. */
  get length(): number {
    return Math.ceil(this.size / this.worldSize);
  }

  /** This rank's sample order for `epoch` (by default the one setEpoch selected). */
  indices(epoch = this.epoch): number[] {
    const order = Array.from({ length: this.size }, (_, i) => i);
    if (this.shuffle) new Random(mix32(this.seed) ^ mix32(epoch + 0x5bd1e995)).shuffle(order);
    const total = this.length * this.worldSize;
    for (let i = 0; order.length < total; i++) order.push(order[i % this.size]!);
    return order.filter((_, k) => k % this.worldSize === this.rank);
  }
}
