import type { RgbImage } from './images.js';
import { pyRound } from './random.js';

/**
 * OpenCV's `cv2.resize(..., interpolation=cv2.INTER_LINEAR)` on 8-bit 3-channel images, reproduced bit for bit
 * (checked against Debian's python3-opencv on COCO images in test/data-resize.test.ts). Ultralytics resizes with it
 * in `load_image` and `LetterBox`, and through them every training, validation and prediction input; libvips'
 * kernels differ by several grey levels, so its resize is not used here.
 *
 * What OpenCV does, and this copies (imgproc/src/resize.cpp, the generic fixed-point path for CV_8U):
 * - the source position of output column x is `(x + 0.5) * scale - 0.5` computed in double and stored as a float;
 *   its floor is the left tap and the fraction the weight, clamped to the edge pixel outside the image (rows are
 *   clamped the same way, but their weights are kept);
 * - weights are rounded to 11-bit integers (INTER_RESIZE_COEF_SCALE = 2048), each separately, by cvRound: halves
 *   to even (the SSE conversion's default mode), as Python's round;
 * - the horizontal pass makes exact integer sums S, the vertical pass rounds as OpenCV's VResizeLinear for uchar
 *   (not a single `(sum + (1 << 21)) >> 22`): `(((b0 * (S0 >> 4)) >> 16) + ((b1 * (S1 >> 4)) >> 16) + 2) >> 2`.
 * At exactly half size OpenCV switches to its 2x2 area average, which gives the same pixels as this path.
 *
 * @example
 * const small = resizeLinear(img, 240, 320); // img: RgbImage of any size → 320 wide, 240 high
 */
export function resizeLinear(src: RgbImage, height: number, width: number): RgbImage {
  checkSize(src, height, width);
  if (height === src.height && width === src.width) return { data: src.data.slice(), height, width };
  const cols = columnTaps(src.width, width);
  const rows = rowTaps(src.height, height);
  const out = new Uint8Array(height * width * 3);
  const cache = new RowCache(src, cols);
  const n = width * 3;
  for (let y = 0; y < height; y++) {
    const r0 = rows.top[y]!;
    const r1 = rows.bottom[y]!;
    const s0 = cache.get(r0, r1);
    const s1 = cache.get(r1, r0);
    const b0 = rows.w0[y]!;
    const b1 = rows.w1[y]!;
    const o = y * n;
    for (let i = 0; i < n; i++) {
      out[o + i] = (((b0 * s0[i]!) >> 16) + ((b1 * s1[i]!) >> 16) + 2) >> 2;
    }
  }
  return { data: out, height, width };
}

const COEF_SCALE = 2048;

/** Left/right byte offsets in a row and their 11-bit weights, per output column (OpenCV's xofs / ialpha). */
interface ColumnTaps {
  left: Int32Array;
  right: Int32Array;
  w0: Int32Array;
  w1: Int32Array;
}

/** Clamped source rows and their 11-bit weights, per output row (OpenCV's yofs / ibeta). */
interface RowTaps {
  top: Int32Array;
  bottom: Int32Array;
  w0: Int32Array;
  w1: Int32Array;
}

function columnTaps(srcWidth: number, width: number): ColumnTaps {
  const scale = 1 / (width / srcWidth);
  const taps = { left: new Int32Array(width), right: new Int32Array(width), w0: new Int32Array(width), w1: new Int32Array(width) };
  for (let x = 0; x < width; x++) {
    let [sx, fx] = tap(x, scale);
    if (sx < 0) [sx, fx] = [0, 0];
    // OpenCV's xmax: a column whose right tap falls outside copies the edge pixel at full weight.
    const edge = sx + 1 >= srcWidth;
    if (sx >= srcWidth - 1) [sx, fx] = [srcWidth - 1, 0];
    taps.left[x] = sx * 3;
    taps.right[x] = edge ? sx * 3 : (sx + 1) * 3;
    taps.w0[x] = edge ? COEF_SCALE : pyRound(Math.fround(1 - fx) * COEF_SCALE);
    taps.w1[x] = edge ? 0 : pyRound(fx * COEF_SCALE);
  }
  return taps;
}

function rowTaps(srcHeight: number, height: number): RowTaps {
  const scale = 1 / (height / srcHeight);
  const taps = { top: new Int32Array(height), bottom: new Int32Array(height), w0: new Int32Array(height), w1: new Int32Array(height) };
  for (let y = 0; y < height; y++) {
    const [sy, fy] = tap(y, scale);
    taps.top[y] = Math.min(Math.max(sy, 0), srcHeight - 1);
    taps.bottom[y] = Math.min(Math.max(sy + 1, 0), srcHeight - 1);
    taps.w0[y] = pyRound(Math.fround(1 - fy) * COEF_SCALE);
    taps.w1[y] = pyRound(fy * COEF_SCALE);
  }
  return taps;
}

/** The source tap of output index i: [floor, fraction] of the half-pixel-centred position, in float32 as OpenCV. */
function tap(i: number, scale: number): [number, number] {
  const f = Math.fround((i + 0.5) * scale - 0.5);
  const s = Math.floor(f);
  return [s, Math.fround(f - s)];
}

/**
 * The horizontally resized source rows, stored as `S >> 4` (128 = one grey level) since that is all the vertical
 * pass reads, two at a time: consecutive output rows mostly share their source rows, so each is computed once, as
 * OpenCV's row buffer does.
 */
class RowCache {
  private readonly rows: Int32Array[];
  private readonly index = [-1, -1];

  constructor(
    private readonly src: RgbImage,
    private readonly cols: ColumnTaps,
  ) {
    const n = cols.left.length * 3;
    this.rows = [new Int32Array(n), new Int32Array(n)];
  }

  /** Source row `row` resized horizontally; the cached row `keep` is not evicted. */
  get(row: number, keep: number): Int32Array {
    for (let k = 0; k < 2; k++) if (this.index[k] === row) return this.rows[k]!;
    const slot = this.index[0] === keep ? 1 : 0;
    const buf = this.rows[slot]!;
    this.index[slot] = row;
    const s = this.src.data;
    const base = row * this.src.width * 3;
    const { left, right, w0, w1 } = this.cols;
    for (let x = 0, o = 0; x < left.length; x++, o += 3) {
      const p = base + left[x]!;
      const q = base + right[x]!;
      const a = w0[x]!;
      const b = w1[x]!;
      buf[o] = (s[p]! * a + s[q]! * b) >> 4;
      buf[o + 1] = (s[p + 1]! * a + s[q + 1]! * b) >> 4;
      buf[o + 2] = (s[p + 2]! * a + s[q + 2]! * b) >> 4;
    }
    return buf;
  }
}

function checkSize(src: RgbImage, height: number, width: number): void {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new RangeError(`resizeLinear: target size ${height}x${width} (h x w) must be positive integers`);
  }
  if (src.height < 1 || src.width < 1 || src.data.length !== src.height * src.width * 3) {
    throw new RangeError(`resizeLinear: source ${src.height}x${src.width} with ${src.data.length} bytes is not an RGB image`);
  }
}
