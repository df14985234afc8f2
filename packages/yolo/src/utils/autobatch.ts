// AutoBatch (Ultralytics' utils/autobatch.py): the largest training batch whose step fits a share of the device's
// memory, from a straight line fitted to the memory one step takes at a few batch sizes. The fit knows no device: a
// MemoryProbe measures (autobatch-probe.ts measures libtorch's CUDA steps; tests hand a fake one).

/** Measures a device's memory around training steps. */
export interface MemoryProbe {
  /** The device as the log names it, e.g. 'CUDA:0'. */
  readonly name: string;
  /** Device memory in bytes before any step: its total, and what is free (memory other processes hold is used). */
  readonly total: number;
  readonly free: number;
  /** Bytes of device memory one training step (forward and backward) at `batch` images takes; null when out of memory. */
  measure(batch: number): number | null;
}

export interface AutoBatchOptions {
  /** The training image size (the log names it). */
  imgsz: number;
  /** The share of the free memory to fill, in (0, 1). */
  fraction: number;
  /** What is used when the memory cannot be measured or the fit makes no sense (Ultralytics' default batch, 16). */
  defaultBatch?: number;
  log?: (line: string) => void;
}

const PREFIX = 'AutoBatch: ';
const GIB = 2 ** 30;

/** The share of memory a `batch` argument asks AutoBatch for: a fraction in (0, 1) itself, else (-1) 60%. */
export function autoBatchFraction(batch: number): number {
  return batch > 0 && batch < 1 ? batch : 0.6;
}

/**
 * The batch size AutoBatch picks. `probe` measures the device, or is the reason it cannot be measured (on the CPU:
 * 'intended for CUDA devices', as Ultralytics): then `defaultBatch`. Steps run at 1, 2, 4, 8, 16 images (and 32, 64
 * on devices of 16 GiB or more) until one runs out of memory; a least-squares line through (batch, bytes) gives the
 * batch whose step takes `fraction` of the free memory, kept below the first size that failed and within 1..1024.
 * Logs each decision with Ultralytics' lines.
 *
 * @example
 * autoBatch('intended for CUDA devices', { imgsz: 640, fraction: 0.6 }); // 16
 */
export function autoBatch(probe: MemoryProbe | string, options: AutoBatchOptions): number {
  const { imgsz, fraction, defaultBatch = 16, log = console.log } = options;
  const percent = fraction * 100; // shown as Python shows a float: 60.0, 55.00000000000001
  log(
    `${PREFIX}Computing optimal batch size for imgsz=${imgsz} at ${Number.isInteger(percent) ? percent.toFixed(1) : percent}% CUDA memory utilization.`,
  );
  if (typeof probe === 'string') {
    log(`${PREFIX} ⚠️ ${probe}, using default batch-size ${defaultBatch}`);
    return defaultBatch;
  }
  const total = probe.total / GIB;
  const free = probe.free / GIB;
  log(`${PREFIX}${probe.name} ${total.toFixed(2)}G total, ${(total - free).toFixed(2)}G used, ${free.toFixed(2)}G free`);
  const sizes = total < 16 ? [1, 2, 4, 8, 16] : [1, 2, 4, 8, 16, 32, 64];
  try {
    const points: [number, number][] = [];
    let failedAt = -1;
    for (const [i, b] of sizes.entries()) {
      const used = probe.measure(b);
      if (used === null) {
        failedAt = i;
        break; // larger steps need more: they would fail too
      }
      if (used > 0) points.push([b, used / GIB]);
    }
    const line = fitLine(points);
    if (line === null) {
      const safe = failedAt >= 0 ? sizes[Math.max(failedAt - 1, 0)]! : defaultBatch;
      log(`${PREFIX}WARNING ⚠️ cannot fit a line to ${points.length} measured step(s), using batch-size ${safe}.`);
      return safe;
    }
    let b = Math.floor((free * fraction - line.intercept) / line.slope);
    if (failedAt >= 0 && b >= sizes[failedAt]!) b = sizes[Math.max(failedAt - 1, 0)]!;
    if (!(b >= 1 && b <= 1024)) {
      log(`${PREFIX}WARNING ⚠️ CUDA anomaly detected (batch=${b} outside 1-1024), using default batch-size ${defaultBatch}.`);
      b = defaultBatch;
    }
    const predicted = (total - free + line.intercept + line.slope * b) / total;
    log(
      `${PREFIX}Using batch-size ${b} for ${probe.name} ${(total * predicted).toFixed(2)}G/${total.toFixed(2)}G (${Math.round(predicted * 100)}%) ✅`,
    );
    return b;
  } catch (error) {
    log(`${PREFIX}WARNING ⚠️ error detected: ${(error as Error).message}, using default batch-size ${defaultBatch}.`);
    return defaultBatch;
  }
}

/** The least-squares line through the points, or null without two points or with a flat or falling slope. */
function fitLine(points: readonly [number, number][]): { slope: number; intercept: number } | null {
  if (points.length < 2) return null;
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const slope = sxy / sxx;
  if (!(slope > 0)) return null;
  return { slope, intercept: my - slope * mx };
}
