/**
 * Seeded pseudo-random numbers for the built-in dataset. Math.random cannot be seeded, and the dataset must be
 * reproducible bit for bit from its seed, so the generator carries its own small PRNG (mulberry32).
 */

/** A seeded source of pseudo-random numbers; the same seed always yields the same sequence. */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An unsigned 32-bit integer: four independent random bytes in one draw. */
  uint32(): number;
  /** A float in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** An integer in [lo, hi], both ends included. */
  int(lo: number, hi: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One element of a non-empty list, each equally likely. */
  pick<T>(items: readonly T[]): T;
}

/**
 * A mulberry32 generator seeded with a 32-bit integer.
 * @example
 * const rng = createRandom(42);
 * rng.int(1, 6); // the same die roll on every run
 */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const uint32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const next = (): number => uint32() / 4294967296;
  return {
    next,
    uint32,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: (items) => {
      if (items.length === 0) throw new Error('Random.pick: empty list');
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
  };
}

/**
 * Mixes integers into one well-spread 32-bit seed (murmur3's finaliser after each part), so that every image
 * gets its own stream that depends only on (dataset seed, split, index) and not on how many images precede it.
 * @example
 * createRandom(mixSeed(0, 1, 17)); // image 17 of split 1 for dataset seed 0
 */
export function mixSeed(...parts: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}
