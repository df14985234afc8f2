// Multi-object tracking scores of tracker output against ground truth, as py-motmetrics computes them:
// CLEAR-MOT's MOTA (Bernardin & Stiefelhagen 2008: misses, false positives and identity switches over the number
// of ground-truth boxes) and IDF1 (Ristani et al. 2016: the F1 of boxes under the best one-to-one mapping between
// ground-truth and track identities). A box pair counts as a match at IoU ≥ 0.5.
import { linearAssignment, solveSquare } from './lap.js';

/** One box with its identity, corners in pixels. */
export interface IdBox {
  id: number;
  xyxy: readonly [number, number, number, number];
}

export interface MotScores {
  mota: number;
  idf1: number;
  /** Identity switches: a ground-truth object matched to a different track id than the last time. */
  idSwitches: number;
  misses: number;
  falsePositives: number;
  /** Ground-truth boxes over all frames. */
  gtBoxes: number;
  /** Distinct ground-truth ids and track ids seen. */
  gtIds: number;
  trackIds: number;
}

const IOU_MIN = 0.5;

function iou(a: IdBox['xyxy'], b: IdBox['xyxy']): number {
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = iw * ih;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Accumulates frames, then `scores()`.
 *
 * @example
 * const acc = new MotAccumulator();
 * acc.update(truthBoxes, trackBoxes); // once per frame
 * acc.scores().mota;
 */
export class MotAccumulator {
  private readonly last = new Map<number, number>();
  private readonly pairs = new Map<string, number>();
  private readonly gtCount = new Map<number, number>();
  private readonly hypCount = new Map<number, number>();
  private misses = 0;
  private falsePositives = 0;
  private switches = 0;
  private gtTotal = 0;

  update(truth: readonly IdBox[], tracks: readonly IdBox[]): void {
    this.gtTotal += truth.length;
    for (const g of truth) this.gtCount.set(g.id, (this.gtCount.get(g.id) ?? 0) + 1);
    for (const h of tracks) this.hypCount.set(h.id, (this.hypCount.get(h.id) ?? 0) + 1);
    for (const g of truth) {
      for (const h of tracks)
        if (iou(g.xyxy, h.xyxy) >= IOU_MIN) this.pairs.set(`${g.id},${h.id}`, (this.pairs.get(`${g.id},${h.id}`) ?? 0) + 1);
    }
    // CLEAR-MOT: keep last frame's correspondences that still overlap, then match the rest by IoU.
    const matchedG = new Set<number>();
    const matchedH = new Set<number>();
    for (const [gi, g] of truth.entries()) {
      const prev = this.last.get(g.id);
      const hi = tracks.findIndex((h) => h.id === prev);
      if (prev === undefined || hi < 0 || matchedH.has(hi)) continue;
      if (iou(g.xyxy, tracks[hi]!.xyxy) >= IOU_MIN) {
        matchedG.add(gi);
        matchedH.add(hi);
      }
    }
    const gRest = truth.map((_, i) => i).filter((i) => !matchedG.has(i));
    const hRest = tracks.map((_, i) => i).filter((i) => !matchedH.has(i));
    const cost = new Float64Array(gRest.length * hRest.length);
    gRest.forEach((gi, r) => {
      hRest.forEach((hi, c) => {
        cost[r * hRest.length + c] = 1 - iou(truth[gi]!.xyxy, tracks[hi]!.xyxy);
      });
    });
    for (const [r, c] of linearAssignment(cost, gRest.length, hRest.length, 1 - IOU_MIN + 1e-9).matches) {
      const g = truth[gRest[r]!]!;
      const h = tracks[hRest[c]!]!;
      const prev = this.last.get(g.id);
      if (prev !== undefined && prev !== h.id) this.switches++;
      matchedG.add(gRest[r]!);
      matchedH.add(hRest[c]!);
      this.last.set(g.id, h.id);
    }
    this.misses += truth.length - matchedG.size;
    this.falsePositives += tracks.length - matchedH.size;
  }

  scores(): MotScores {
    const gtIds = [...this.gtCount.keys()];
    const hypIds = [...this.hypCount.keys()];
    // IDF1: the one-to-one identity mapping with the most co-occurring matched boxes.
    const n = gtIds.length + hypIds.length;
    const cost = new Float64Array(n * n);
    gtIds.forEach((g, r) => {
      hypIds.forEach((h, c) => {
        cost[r * n + c] = -(this.pairs.get(`${g},${h}`) ?? 0);
      });
    });
    let idtp = 0;
    if (n > 0) {
      const rowToCol = solveSquare(cost, n);
      gtIds.forEach((_, r) => {
        idtp -= cost[r * n + rowToCol[r]!]!;
      });
    }
    const hypTotal = [...this.hypCount.values()].reduce((a, b) => a + b, 0);
    const idfn = this.gtTotal - idtp;
    const idfp = hypTotal - idtp;
    return {
      mota: this.gtTotal ? 1 - (this.misses + this.falsePositives + this.switches) / this.gtTotal : 0,
      idf1: 2 * idtp + idfp + idfn > 0 ? (2 * idtp) / (2 * idtp + idfp + idfn) : 0,
      idSwitches: this.switches,
      misses: this.misses,
      falsePositives: this.falsePositives,
      gtBoxes: this.gtTotal,
      gtIds: gtIds.length,
      trackIds: hypIds.length,
    };
  }
}
