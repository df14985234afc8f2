// Ultralytics' ClassifyMetrics and the classification ConfusionMatrix (utils/metrics.py, 8.2.103): top-1 and top-5
// accuracy from each image's top-k predicted classes, and an nc × nc matrix of top-1 predictions against truths.

/** The results.csv columns of a classification validation. */
export const CLASSIFY_METRIC_KEYS = ['metrics/accuracy_top1', 'metrics/accuracy_top5'] as const;

/**
 * Top-1 and top-5 accuracy. `process(targets, topk)`: each image's true class and its predicted classes by
 * descending probability (the first min(nc, 5) kept); accuracies are float32 means, as torch computes them.
 *
 * @example
 * const m = new ClassifyMetrics();
 * m.process([0, 1], [[0, 1], [0, 1]]); // m.top1 === 0.5, m.top5 === 1
 */
export class ClassifyMetrics {
  top1 = 0;
  top5 = 0;

  process(targets: ArrayLike<number>, topk: readonly ArrayLike<number>[]): void {
    const n = targets.length;
    if (topk.length !== n) throw new Error(`ClassifyMetrics: ${n} targets but ${topk.length} prediction rows`);
    let correct1 = 0;
    let correct5 = 0;
    for (let i = 0; i < n; i++) {
      const row = topk[i] as ArrayLike<number>;
      const t = targets[i] as number;
      if (row[0] === t) correct1++;
      if (Array.prototype.includes.call(row, t)) correct5++;
    }
    this.top1 = n ? Math.fround(correct1 / n) : 0;
    this.top5 = n ? Math.fround(correct5 / n) : 0;
  }

  /** (top1 + top5) / 2. */
  get fitness(): number {
    return (this.top1 + this.top5) / 2;
  }

  get resultsDict(): Record<string, number> {
    return { [CLASSIFY_METRIC_KEYS[0]]: this.top1, [CLASSIFY_METRIC_KEYS[1]]: this.top5, fitness: this.fitness };
  }

  get keys(): string[] {
    return [...CLASSIFY_METRIC_KEYS];
  }
}

/**
 * ConfusionMatrix(nc, task='classify'): counts[predicted top-1][true class], no background row or column.
 * @example
 * const cm = new ClassifyConfusionMatrix(3);
 * cm.processClsPreds([2, 0], [2, 1]); // cm.toArray()[0][1] === 1
 */
export class ClassifyConfusionMatrix {
  readonly matrix: Float64Array;

  constructor(readonly nc: number) {
    this.matrix = new Float64Array(nc * nc);
  }

  processClsPreds(top1: ArrayLike<number>, targets: ArrayLike<number>): void {
    for (let i = 0; i < targets.length; i++) {
      const k = (top1[i] as number) * this.nc + (targets[i] as number);
      this.matrix[k] = (this.matrix[k] as number) + 1;
    }
  }

  toArray(): number[][] {
    return Array.from({ length: this.nc }, (_, r) => Array.from(this.matrix.subarray(r * this.nc, (r + 1) * this.nc)));
  }
}
