// OpenCV 4.6's cv2.fillPoly for integer vertices (shift 0, 8-connected lines) on a single-channel uint8 image:
// every edge drawn as a Bresenham line (Line with a left-to-right LineIterator), then the even-odd scanline fill
// of FillEdgeCollection in 16.16 fixed point. Ported so masks built from polygons match Ultralytics' pixel for
// pixel (a scanline fill of our own rounds edge pixels differently).

const XY_ONE = 65536;

interface PolyEdge {
  y0: number;
  y1: number;
  /** Fixed-point x (16.16) at the current scanline; a JS number holds OpenCV's int64 exactly in this range. */
  x: number;
  dx: number;
  next: PolyEdge | null;
}

/** A single-channel uint8 image, row-major. */
export interface GrayImage {
  data: Uint8Array;
  height: number;
  width: number;
}

/**
 * Fills the polygon with integer vertices `xy` ([x0, y0, x1, y1, …]) with `color`, as `cv2.fillPoly(img, [pts],
 * color)` does.
 * @example fillPoly({ data, height: 64, width: 64 }, [10, 10, 50, 12, 30, 40], 1);
 */
export function fillPoly(img: GrayImage, xy: ArrayLike<number>, color: number): void {
  const count = Math.floor(xy.length / 2);
  if (count === 0) return;
  const edges: PolyEdge[] = [];
  let pt0x = xy[(count - 1) * 2]! * XY_ONE;
  let pt0y = xy[(count - 1) * 2 + 1]!;
  for (let i = 0; i < count; i++) {
    const pt1x = xy[i * 2]! * XY_ONE;
    const pt1y = xy[i * 2 + 1]!;
    line(img, pt0x / XY_ONE, pt0y, pt1x / XY_ONE, pt1y, color);
    if (pt0y !== pt1y) {
      const dx = truncDiv(pt1x - pt0x, pt1y - pt0y);
      edges.push(pt0y < pt1y ? { y0: pt0y, y1: pt1y, x: pt0x, dx, next: null } : { y0: pt1y, y1: pt0y, x: pt1x, dx, next: null });
    }
    pt0x = pt1x;
    pt0y = pt1y;
  }
  fillEdgeCollection(img, edges, color);
}

/** C integer division (toward zero). */
function truncDiv(a: number, b: number): number {
  return Math.trunc(a / b);
}

function fillEdgeCollection(img: GrayImage, edges: PolyEdge[], color: number): void {
  const total = edges.length;
  if (total < 2) return;
  let yMax = Number.MIN_SAFE_INTEGER;
  let yMin = Number.MAX_SAFE_INTEGER;
  let xMax = Number.MIN_SAFE_INTEGER;
  let xMin = Number.MAX_SAFE_INTEGER;
  for (const e of edges) {
    const x1 = e.x + (e.y1 - e.y0) * e.dx;
    yMin = Math.min(yMin, e.y0);
    yMax = Math.max(yMax, e.y1);
    xMin = Math.min(xMin, e.x, x1);
    xMax = Math.max(xMax, e.x, x1);
  }
  const { width, height, data } = img;
  if (yMax < 0 || yMin >= height || xMax < 0 || xMin >= width * XY_ONE) return;
  edges.sort((a, b) => (a.y0 !== b.y0 ? a.y0 - b.y0 : a.x !== b.x ? a.x - b.x : a.dx - b.dx));
  const sentinel: PolyEdge = { y0: Number.MAX_SAFE_INTEGER, y1: 0, x: 0, dx: 0, next: null };
  edges.push(sentinel);
  const tmp: PolyEdge = { y0: 0, y1: 0, x: 0, dx: 0, next: null };
  let i = 0;
  let e = edges[0]!;
  yMax = Math.min(yMax, height);
  for (let y = e.y0; y < yMax; y++) {
    let draw = false;
    const clipline = y < 0;
    let prelast: PolyEdge = tmp;
    let last = tmp.next;
    while (last || e.y0 === y) {
      if (last && last.y1 === y) {
        // The edge ends at this scanline: drop it from the active list.
        prelast.next = last.next;
        last = last.next;
        continue;
      }
      const keepPrelast = prelast;
      if (last && (e.y0 > y || last.x < e.x)) {
        prelast = last;
        last = last.next;
      } else if (i < total) {
        // An edge starts at this scanline: insert it.
        prelast.next = e;
        e.next = last;
        prelast = e;
        e = edges[++i]!;
      } else {
        break;
      }
      if (draw) {
        if (!clipline) {
          let x1: number;
          let x2: number;
          if (keepPrelast.x > prelast.x) {
            x1 = Math.floor((prelast.x + XY_ONE - 1) / XY_ONE);
            x2 = Math.floor(keepPrelast.x / XY_ONE);
          } else {
            x1 = Math.floor((keepPrelast.x + XY_ONE - 1) / XY_ONE);
            x2 = Math.floor(prelast.x / XY_ONE);
          }
          if (x1 < width && x2 >= 0) {
            data.fill(color, y * width + Math.max(x1, 0), y * width + Math.min(x2, width - 1) + 1);
          }
        }
        keepPrelast.x += keepPrelast.dx;
        prelast.x += prelast.dx;
      }
      draw = !draw;
    }
    // Bubble-sort the active list by x.
    let keepPrelast: PolyEdge | null = null;
    let sortFlag = false;
    do {
      prelast = tmp;
      last = tmp.next;
      while (last !== keepPrelast && last && last.next !== null) {
        const te: PolyEdge = last.next;
        if (last.x > te.x) {
          prelast.next = te;
          last.next = te.next;
          te.next = last;
          prelast = te;
          sortFlag = true;
        } else {
          prelast = last;
          last = te;
        }
      }
      keepPrelast = prelast;
    } while (sortFlag && keepPrelast !== tmp.next && keepPrelast !== tmp);
  }
}

/** OpenCV's 8-connected Line: a left-to-right Bresenham walk, clipped to the image first (clipLine). */
function line(img: GrayImage, ax: number, ay: number, bx: number, by: number, color: number): void {
  const { width, height, data } = img;
  let x1 = ax;
  let y1 = ay;
  let x2 = bx;
  let y2 = by;
  const outside = (x: number, y: number): boolean => x < 0 || x >= width || y < 0 || y >= height;
  if (outside(x1, y1) || outside(x2, y2)) {
    const clipped = clipLine(width, height, x1, y1, x2, y2);
    if (!clipped) return;
    [x1, y1, x2, y2] = clipped;
  }
  let dx = x2 - x1;
  let dy = y2 - y1;
  if (dx < 0) {
    dx = -dx;
    dy = -dy;
    [x1, y1, x2, y2] = [x2, y2, x1, y1];
  }
  let stepY = 1;
  if (dy < 0) {
    dy = -dy;
    stepY = -1;
  }
  // Walk the major axis one pixel at a time; the minor axis steps when the error goes negative.
  const vertical = dy > dx;
  const major = vertical ? dy : dx;
  const minor = vertical ? dx : dy;
  let err = major - (minor + minor);
  const plusDelta = major + major;
  const minusDelta = -(minor + minor);
  let x = x1;
  let y = y1;
  for (let k = 0; k <= major; k++) {
    data[y * width + x] = color;
    const step = err < 0;
    err += minusDelta + (step ? plusDelta : 0);
    if (vertical) {
      y += stepY;
      if (step) x += 1;
    } else {
      x += 1;
      if (step) y += stepY;
    }
  }
}

/** OpenCV's clipLine (Cohen-Sutherland on the image rectangle); null when the segment misses it. */
function clipLine(width: number, height: number, ax: number, ay: number, bx: number, by: number): [number, number, number, number] | null {
  const right = width - 1;
  const bottom = height - 1;
  if (width <= 0 || height <= 0) return null;
  let [x1, y1, x2, y2] = [ax, ay, bx, by];
  const code = (x: number, y: number): number => (x < 0 ? 1 : 0) + (x > right ? 2 : 0) + (y < 0 ? 4 : 0) + (y > bottom ? 8 : 0);
  let c1 = code(x1, y1);
  let c2 = code(x2, y2);
  if ((c1 & c2) === 0 && (c1 | c2) !== 0) {
    if (c1 & 12) {
      const a = c1 < 8 ? 0 : bottom;
      x1 += Math.trunc(((a - y1) * (x2 - x1)) / (y2 - y1));
      y1 = a;
      c1 = (x1 < 0 ? 1 : 0) + (x1 > right ? 2 : 0);
    }
    if (c2 & 12) {
      const a = c2 < 8 ? 0 : bottom;
      x2 += Math.trunc(((a - y2) * (x2 - x1)) / (y2 - y1));
      y2 = a;
      c2 = (x2 < 0 ? 1 : 0) + (x2 > right ? 2 : 0);
    }
    if ((c1 & c2) === 0 && (c1 | c2) !== 0) {
      if (c1) {
        const a = c1 === 1 ? 0 : right;
        y1 += Math.trunc(((a - x1) * (y2 - y1)) / (x2 - x1));
        x1 = a;
        c1 = 0;
      }
      if (c2) {
        const a = c2 === 1 ? 0 : right;
        y2 += Math.trunc(((a - x2) * (y2 - y1)) / (x2 - x1));
        x2 = a;
        c2 = 0;
      }
    }
  }
  return (c1 | c2) === 0 ? [x1, y1, x2, y2] : null;
}
