/** Options of {@link checkImgsz}, as Ultralytics' `check_imgsz` arguments. */
export interface CheckImgszOptions {
  /** 1 where one square size is needed (training): a [h, w] list becomes its largest side, with a warning. */
  maxDim?: 1 | 2;
  /** The smallest size allowed after rounding. */
  floor?: number;
}

/**
 * Ultralytics' `check_imgsz(imgsz, stride, min_dim=2, max_dim, floor)`: an int or [h, w] (or [s]) rounded up to
 * multiples of `stride`, with Ultralytics' warning when that changed it. Returns [h, w] (equal sides for an int).
 *
 * @example
 * checkImgsz(641, 32); // [672, 672], after a warning
 * checkImgsz([640, 480], 32, { maxDim: 1, floor: 32 }); // [640, 640], after a warning
 */
export function checkImgsz(imgsz: number | readonly number[], stride: number, options: CheckImgszOptions = {}): [number, number] {
  const { maxDim = 2, floor = 0 } = options;
  let sizes = typeof imgsz === 'number' ? [imgsz] : [...imgsz];
  const usage =
    "'train' and 'val' imgsz must be an integer, while 'predict' and 'export' imgsz may be a [h, w] list or an integer, i.e. imgsz=640 or imgsz=[640, 480]";
  if (sizes.length === 0 || sizes.length > 2 || !sizes.every((s) => Number.isFinite(s) && s > 0)) {
    throw new RangeError(`imgsz=[${sizes.join(', ')}] is not a valid image size. ${usage}`);
  }
  if (maxDim === 1 && sizes.length > 1) {
    console.warn(`WARNING ⚠️ updating to 'imgsz=${Math.max(...sizes)}'. ${usage}`);
    sizes = [Math.max(...sizes)];
  }
  const fixed = sizes.map((s) => Math.max(Math.ceil(s / stride) * stride, floor));
  if (fixed.some((s, i) => s !== sizes[i])) {
    console.warn(`WARNING ⚠️ imgsz=[${sizes.join(', ')}] must be multiple of max stride ${stride}, updating to [${fixed.join(', ')}]`);
  }
  const [h, w = h] = fixed as [number, number?];
  return [h, w];
}
