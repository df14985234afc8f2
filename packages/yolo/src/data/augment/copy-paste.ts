import { fillPoly } from '../fill-poly.js';
import { Instances } from '../instances.js';
import { pyRound, type Random } from '../random.js';
import type { Sample, Transform } from './transform.js';

/**
 * Ultralytics 8.2.103's CopyPaste (segment datasets; `copy_paste` probability p): the instances whose mirrored box
 * overlaps no original box by 30 % of that box's area are candidates; round(p · candidates) of them, drawn at
 * random, are pasted mirrored left-right — their pixels taken from the flipped image inside the mirrored polygon —
 * and appended to the labels. Does nothing for box labels.
 *
 * @example
 * const cp = new CopyPaste(0.5);
 */
export class CopyPaste implements Transform {
  constructor(private readonly p = 0.5) {
    if (p < 0 || p > 1) throw new Error(`CopyPaste: probability should be in [0, 1], got ${p}`);
  }

  apply(sample: Sample, rng: Random): Sample {
    const { img } = sample;
    const { width: w, height: h } = img;
    let instances = sample.instances;
    instances.convertBbox('xyxy');
    instances.denormalize(w, h);
    if (!this.p || !instances.hasSegments) return sample;
    const flipped = instances.clone();
    flipped.fliplr(w);
    const candidates = nonOverlapping(flipped.bboxes, instances.bboxes, 0.3);
    const chosen = rng.shuffle(candidates).slice(0, pyRound(this.p * candidates.length));
    if (chosen.length === 0) return sample;
    const region = new Uint8Array(h * w);
    let cls = sample.cls;
    for (const j of chosen) {
      cls = Float32Array.from([...cls, cls[j]!]);
      instances = Instances.concatenate([instances, flipped.select([j])]);
      fillPoly({ data: region, height: h, width: w }, Int32Array.from(instances.segment(j), Math.trunc), 1);
    }
    // Pixels inside the mirrored polygons come from the mirrored image.
    const out = img.data;
    const original = out.slice();
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (!region[y * w + (w - 1 - x)]) continue;
        const dst = (y * w + x) * 3;
        const src = (y * w + (w - 1 - x)) * 3;
        out[dst] = original[src]!;
        out[dst + 1] = original[src + 1]!;
        out[dst + 2] = original[src + 2]!;
      }
    }
    sample.cls = cls;
    sample.instances = instances;
    return sample;
  }
}

/**
 * Rows i of `boxes1` (xyxy) whose intersection with every box of `boxes2` is below `thr` of that box's area
 * (Ultralytics' bbox_ioa(boxes1, boxes2) < thr for all columns).
 */
function nonOverlapping(boxes1: Float32Array, boxes2: Float32Array, thr: number): number[] {
  const keep: number[] = [];
  for (let i = 0; i < boxes1.length / 4; i++) {
    const [ax1, ay1, ax2, ay2] = boxes1.subarray(i * 4, i * 4 + 4) as unknown as [number, number, number, number];
    let ok = true;
    for (let j = 0; j < boxes2.length / 4 && ok; j++) {
      const [bx1, by1, bx2, by2] = boxes2.subarray(j * 4, j * 4 + 4) as unknown as [number, number, number, number];
      const inter = Math.max(Math.min(ax2, bx2) - Math.max(ax1, bx1), 0) * Math.max(Math.min(ay2, by2) - Math.max(ay1, by1), 0);
      ok = inter / ((bx2 - bx1) * (by2 - by1) + 1e-7) < thr;
    }
    if (ok) keep.push(i);
  }
  return keep;
}
