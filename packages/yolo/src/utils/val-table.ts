// The table a validation prints (Ultralytics' `print_results`): an 'all' row, then one row per class.
import { formatG } from './results-csv.js';

/** What the table shows: counts per class and the metric values, overall and per class row. */
export interface MetricsTable {
  /** Images validated. */
  seen: number;
  /** Labels per class id, and images containing each class id. */
  ntPerClass: Int32Array;
  ntPerImage: Int32Array;
  names: Record<number, string>;
  /** The task, for the no-labels warning. */
  task: string;
  /** Print the per-class rows (verbose, standalone, more than one class, some labels). */
  perClass: boolean;
  /** The overall values (P, R, mAP50, mAP50-95 per kind of prediction). */
  mean: readonly number[];
  /** The class id of each per-class row, and that row's values. */
  apClassIndex: Int32Array;
  classResult(i: number): readonly number[];
}

/** One row: name, images, instances, then each value to 3 significant digits, columns as Ultralytics pads them. */
export function metricsRow(name: string, images: number, instances: number, values: readonly number[]): string {
  return (
    name.padStart(22) +
    String(images).padStart(11) +
    String(instances).padStart(11) +
    values.map((v) => formatG(v, 3).padStart(11)).join('')
  );
}

/** Prints the table; warns when there were no labels to score against. */
export function printMetricsTable(t: MetricsTable): void {
  const total = t.ntPerClass.reduce((a, b) => a + b, 0);
  console.log(metricsRow('all', t.seen, total, t.mean));
  if (total === 0) console.warn(`WARNING ⚠️ no labels found in ${t.task} set, can not compute metrics without labels`);
  if (!t.perClass) return;
  t.apClassIndex.forEach((c, i) => {
    console.log(metricsRow(t.names[c] ?? String(c), t.ntPerImage[c] ?? 0, t.ntPerClass[c] ?? 0, t.classResult(i)));
  });
}

/** Occurrences of each non-negative integer, at least `minLength` long (numpy.bincount). */
export function bincount(values: readonly number[], minLength: number): Int32Array {
  const out = new Int32Array(Math.max(minLength, values.length ? Math.max(...values) + 1 : 0));
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
