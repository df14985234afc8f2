// Learning-rate schedules of the training loop: the per-epoch factor (linear or cosine) and the warmup ramp.

/** Ultralytics' lr factor for an epoch: linear from 1 to `lrf`, or the cosine (one_cycle) curve. */
export function lrLambda(epochs: number, lrf: number, cosine: boolean): (epoch: number) => number {
  if (cosine) return (e) => ((1 - Math.cos((e * Math.PI) / epochs)) / 2) * (lrf - 1) + 1;
  return (e) => Math.max(1 - e / epochs, 0) * (1 - lrf) + lrf;
}

/** numpy's interp(x, [0, x1], [y0, y1]): the warmup ramp, clamped at both ends. */
export function interp(x: number, x1: number, y0: number, y1: number): number {
  // numpy returns the end values themselves outside and at the ends, not y0 + (y1 - y0) · 1.
  if (x >= x1) return y1;
  if (x <= 0) return y0;
  return ((y1 - y0) / x1) * x + y0; // numpy: slope · (x − x0) + y0
}
