// Ultralytics' GMC (trackers/utils/gmc.py): the camera's motion between frames, so BoT-SORT can move its tracks with
// the picture before matching. Computed with OpenCV itself, its WebAssembly build (opencv.js, loaded on first use):
// - 'sparseOptFlow' (the default): Shi-Tomasi corners (goodFeaturesToTrack) of the previous frame followed into this
//   one by pyramidal Lucas-Kanade (calcOpticalFlowPyrLK), then a RANSAC similarity (estimateAffinePartial2D);
// - 'ecc': findTransformECC with a Euclidean model on blurred frames;
// - 'none': no compensation.
// 'orb' and 'sift' are refused by name: opencv.js lacks SIFT, and ORB's matcher is not ported here.
import type { RgbImage } from '../../data/images.js';
import type { Warp } from '../strack.js';
import { estimateAffinePartial2D } from './affine-partial.js';

/** The part of opencv.js this file uses (the package's own typings describe the full module loosely). */
interface Mat {
  rows: number;
  data: Uint8Array;
  data32F: Float32Array;
  data64F: Float64Array;
  delete(): void;
  clone(): Mat;
}
export interface OpenCv {
  Mat: (new () => Mat) & (new (rows: number, cols: number, type: number) => Mat);
  Size: new (w: number, h: number) => unknown;
  TermCriteria: new (type: number, count: number, eps: number) => unknown;
  CV_8UC3: number;
  CV_32F: number;
  COLOR_RGB2GRAY: number;
  INTER_LINEAR: number;
  MOTION_EUCLIDEAN: number;
  TERM_CRITERIA_EPS: number;
  TERM_CRITERIA_COUNT: number;
  cvtColor(src: Mat, dst: Mat, code: number): void;
  resize(src: Mat, dst: Mat, size: unknown, fx: number, fy: number, interpolation: number): void;
  GaussianBlur(src: Mat, dst: Mat, size: unknown, sigma: number): void;
  goodFeaturesToTrack(
    image: Mat,
    corners: Mat,
    maxCorners: number,
    quality: number,
    minDistance: number,
    mask: Mat,
    blockSize: number,
    harris: boolean,
    k: number,
  ): void;
  calcOpticalFlowPyrLK(prev: Mat, next: Mat, prevPts: Mat, nextPts: Mat, status: Mat, err: Mat): void;
  findTransformECC(template: Mat, input: Mat, warp: Mat, motion: number, criteria: unknown, mask: Mat, gaussFilt: number): number;
  matFromArray(rows: number, cols: number, type: number, data: number[]): Mat;
}

/** The loaded opencv.js module, boxed: the module object is a thenable, so it cannot be a promise's value itself. */
export interface OpenCvModule {
  readonly cv: OpenCv;
}

/**
 * Loads opencv.js (≈10 MB of WebAssembly; ~0.3 s and ~80 MB the first time, shared afterwards by the module cache).
 */
export async function loadOpenCv(): Promise<OpenCvModule> {
  const imported = (await import('@techstark/opencv-js')) as unknown as { default?: unknown };
  const cv = (imported.default ?? imported) as OpenCv & { onRuntimeInitialized?: () => void };
  if (typeof (cv as { Mat?: unknown }).Mat !== 'function') {
    await new Promise<void>((resolve) => {
      cv.onRuntimeInitialized = resolve;
    });
  }
  return { cv };
}

export type GmcMethod = 'sparseOptFlow' | 'ecc' | null;

/** Checks a `gmc_method` value: Ultralytics' names, with 'none'/'None'/null meaning no compensation. */
export function gmcMethod(value: unknown): GmcMethod {
  if (value === null || value === undefined || value === 'none' || value === 'None') return null;
  if (value === 'sparseOptFlow' || value === 'ecc') return value;
  if (value === 'orb' || value === 'sift') {
    throw new Error(`gmc_method: '${value}' is not supported by yolots; use sparseOptFlow (the default), ecc or none`);
  }
  throw new Error(`Unknown GMC method: ${String(value)} (expected sparseOptFlow, ecc, orb, sift or none)`);
}

const IDENTITY: Warp = [1, 0, 0, 0, 1, 0];

/**
 * @example
 * const gmc = new GMC(await loadOpenCv(), 'sparseOptFlow');
 * const warp = gmc.apply(frame); // [a, b, tx, c, d, ty]; identity on the first frame
 */
export class GMC {
  readonly downscale: number;
  private prevFrame: Mat | null = null;
  /** Corners of the previous frame as float32 (x, y) pairs. */
  private prevKeyPoints: Mat | null = null;

  private readonly cv: OpenCv | null;

  constructor(
    opencv: OpenCvModule | null,
    readonly method: GmcMethod,
    downscale = 2,
    private readonly warn: (message: string) => void = console.warn,
  ) {
    if (method !== null && opencv === null) throw new Error(`GMC '${method}' needs opencv.js: pass loadOpenCv()'s result`);
    this.cv = opencv?.cv ?? null;
    this.downscale = Math.max(1, Math.trunc(downscale));
  }

  /** The warp taking the previous frame's coordinates to this frame's (full resolution). */
  apply(frame: RgbImage): Warp {
    if (this.method === 'sparseOptFlow') return this.applySparseOptFlow(frame);
    if (this.method === 'ecc') return this.applyEcc(frame);
    return IDENTITY;
  }

  /** Forgets the previous frame (a new video). */
  resetParams(): void {
    this.prevFrame?.delete();
    this.prevKeyPoints?.delete();
    this.prevFrame = null;
    this.prevKeyPoints = null;
  }

  private applySparseOptFlow(frame: RgbImage): Warp {
    const cv = this.cv as OpenCv;
    const gray = this.grey(frame, false);
    const keypoints = new cv.Mat();
    const noMask = new cv.Mat();
    cv.goodFeaturesToTrack(gray, keypoints, 1000, 0.01, 1, noMask, 3, false, 0.04);
    noMask.delete();
    const prevFrame = this.prevFrame;
    const prevKeyPoints = this.prevKeyPoints;
    this.prevFrame = gray;
    this.prevKeyPoints = keypoints;
    if (prevFrame === null || prevKeyPoints === null || prevKeyPoints.rows === 0) {
      prevFrame?.delete();
      prevKeyPoints?.delete();
      return IDENTITY;
    }
    const next = new cv.Mat();
    const status = new cv.Mat();
    const err = new cv.Mat();
    try {
      cv.calcOpticalFlowPyrLK(prevFrame, gray, prevKeyPoints, next, status, err);
      const prev = prevKeyPoints.data32F;
      const curr = next.data32F;
      const from: number[] = [];
      const to: number[] = [];
      for (let i = 0; i < status.rows; i++) {
        if (!status.data[i]) continue;
        from.push(prev[2 * i]!, prev[2 * i + 1]!);
        to.push(curr[2 * i]!, curr[2 * i + 1]!);
      }
      if (from.length / 2 <= 4) {
        this.warn('WARNING ⚠️ not enough matching points');
        return IDENTITY;
      }
      const h = estimateAffinePartial2D(Float32Array.from(from), Float32Array.from(to));
      if (h === null) return IDENTITY;
      const s = this.downscale;
      return [h[0], h[1], h[2] * s, h[3], h[4], h[5] * s];
    } finally {
      for (const m of [prevFrame, prevKeyPoints, next, status, err]) m.delete();
    }
  }

  private applyEcc(frame: RgbImage): Warp {
    const cv = this.cv as OpenCv;
    const gray = this.grey(frame, true);
    const prevFrame = this.prevFrame;
    this.prevFrame = gray;
    if (prevFrame === null) return IDENTITY;
    const warp = cv.matFromArray(2, 3, cv.CV_32F, [1, 0, 0, 0, 1, 0]);
    const noMask = new cv.Mat();
    try {
      const criteria = new cv.TermCriteria(cv.TERM_CRITERIA_EPS + cv.TERM_CRITERIA_COUNT, 5000, 1e-6);
      cv.findTransformECC(prevFrame, gray, warp, cv.MOTION_EUCLIDEAN, criteria, noMask, 1);
      const w = warp.data32F;
      // Ultralytics returns ECC's warp of the downscaled frames as is (translation not rescaled).
      return [w[0], w[1], w[2], w[3], w[4], w[5]] as unknown as Warp;
    } catch (error) {
      this.warn(`WARNING ⚠️ findTransformECC failed; using identity warp. ${(error as Error).message ?? error}`);
      return IDENTITY;
    } finally {
      prevFrame.delete();
      warp.delete();
      noMask.delete();
    }
  }

  /** The frame as OpenCV's greyscale (RGB2GRAY) at 1/downscale size (cv2.resize, bilinear); ECC blurs first. */
  private grey(frame: RgbImage, blur: boolean): Mat {
    const cv = this.cv as OpenCv;
    const rgb = new cv.Mat(frame.height, frame.width, cv.CV_8UC3);
    rgb.data.set(frame.data);
    const gray = new cv.Mat();
    cv.cvtColor(rgb, gray, cv.COLOR_RGB2GRAY);
    rgb.delete();
    if (this.downscale <= 1) return gray;
    let src = gray;
    if (blur) {
      src = new cv.Mat();
      cv.GaussianBlur(gray, src, new cv.Size(3, 3), 1.5);
      gray.delete();
    }
    const small = new cv.Mat();
    const size = new cv.Size(Math.trunc(frame.width / this.downscale), Math.trunc(frame.height / this.downscale));
    cv.resize(src, small, size, 0, 0, cv.INTER_LINEAR);
    src.delete();
    return small;
  }
}
