// The outer contours of a binary mask as OpenCV's findContours(RETR_EXTERNAL, CHAIN_APPROX_SIMPLE) returns them
// (Suzuki-Abe border following, 8-connected foreground): what Ultralytics' masks2segments turns masks into.

/** Freeman chain code steps (dx, dy), image y down: 0 = east, then counterclockwise as OpenCV numbers them. */
const STEPS: readonly (readonly [number, number])[] = [
  [1, 0],
  [1, -1],
  [0, -1],
  [-1, -1],
  [-1, 0],
  [-1, 1],
  [0, 1],
  [1, 1],
];

/**
 * The outermost contours of the non-zero pixels of an h×w mask: one flat [x0, y0, x1, y1, …] list per 8-connected
 * blob that lies in no hole of another, its border traced from the blob's first pixel in raster order, keeping only
 * the points where the direction changes (CHAIN_APPROX_SIMPLE). Ordered as OpenCV returns them (the blob found last
 * first).
 * @example findExternalContours(mask, 64, 64) // [[x0, y0, …], …]
 */
export function findExternalContours(mask: ArrayLike<number>, h: number, w: number): Int32Array[] {
  const at = (x: number, y: number): boolean => x >= 0 && y >= 0 && x < w && y < h && mask[y * w + x]! !== 0;
  const component = labelComponents(mask, h, w);
  const outside = outsideBackground(mask, h, w);
  const traced = new Set<number>();
  const contours: Int32Array[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const label = component[y * w + x]!;
      if (label === 0 || traced.has(label)) continue;
      traced.add(label);
      // The blob's first pixel has background on its left: outside everything, or in a hole of another blob.
      if (x > 0 && !outside[y * w + x - 1]) continue;
      contours.push(traceBorder(at, x, y));
    }
  }
  return contours.reverse();
}

/** Suzuki-Abe outer border following from (x0, y0), as OpenCV's icvFetchContour with CHAIN_APPROX_SIMPLE. */
function traceBorder(at: (x: number, y: number) => boolean, x0: number, y0: number): Int32Array {
  // Clockwise from west: the first neighbour of the start pixel.
  let s = 4;
  let found = false;
  for (let k = 0; k < 8; k++) {
    s = (s - 1) & 7;
    const [dx, dy] = STEPS[s] as [number, number];
    if (at(x0 + dx, y0 + dy)) {
      found = true;
      break;
    }
  }
  if (!found) return Int32Array.of(x0, y0);
  const [d1x, d1y] = STEPS[s] as [number, number];
  const [x1, y1] = [x0 + d1x, y0 + d1y];
  const points: number[] = [];
  let [x3, y3] = [x0, y0];
  let prev = s ^ 4;
  for (;;) {
    // Counterclockwise from the pixel we came from: the next border pixel.
    let x4 = x3;
    let y4 = y3;
    for (let k = 0; k < 8; k++) {
      s = (s + 1) & 7;
      const [dx, dy] = STEPS[s] as [number, number];
      if (at(x3 + dx, y3 + dy)) {
        x4 = x3 + dx;
        y4 = y3 + dy;
        break;
      }
    }
    if (s !== prev) {
      points.push(x3, y3);
      prev = s;
    }
    if (x4 === x0 && y4 === y0 && x3 === x1 && y3 === y1) break;
    x3 = x4;
    y3 = y4;
    s = (s + 4) & 7;
  }
  return Int32Array.from(points);
}

/** 8-connected component labels of the non-zero pixels (0 = background). */
function labelComponents(mask: ArrayLike<number>, h: number, w: number): Int32Array {
  const labels = new Int32Array(h * w);
  let next = 0;
  const stack: number[] = [];
  for (let p = 0; p < h * w; p++) {
    if (mask[p]! === 0 || labels[p] !== 0) continue;
    labels[p] = ++next;
    stack.push(p);
    while (stack.length) {
      const q = stack.pop() as number;
      const qx = q % w;
      const qy = (q - qx) / w;
      for (const [dx, dy] of STEPS) {
        const x = qx + dx;
        const y = qy + dy;
        if (x < 0 || y < 0 || x >= w || y >= h) continue;
        const r = y * w + x;
        if (mask[r]! !== 0 && labels[r] === 0) {
          labels[r] = next;
          stack.push(r);
        }
      }
    }
  }
  return labels;
}

/** Background pixels 4-connected to the (zero-padded) image border, i.e. not in any hole. */
function outsideBackground(mask: ArrayLike<number>, h: number, w: number): Uint8Array {
  const outside = new Uint8Array(h * w);
  const stack: number[] = [];
  const seed = (p: number): void => {
    if (mask[p]! === 0 && !outside[p]) {
      outside[p] = 1;
      stack.push(p);
    }
  };
  for (let x = 0; x < w; x++) {
    seed(x);
    seed((h - 1) * w + x);
  }
  for (let y = 0; y < h; y++) {
    seed(y * w);
    seed(y * w + w - 1);
  }
  while (stack.length) {
    const q = stack.pop() as number;
    const qx = q % w;
    if (qx > 0) seed(q - 1);
    if (qx < w - 1) seed(q + 1);
    if (q >= w) seed(q - w);
    if (q < (h - 1) * w) seed(q + w);
  }
  return outside;
}
