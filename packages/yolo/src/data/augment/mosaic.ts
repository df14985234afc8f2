import { concatFloat32, Instances } from '../instances.js';
import type { Random } from '../random.js';
import { pasteRegion } from './pixels.js';
import type { ImageSource, Sample, Transform } from './transform.js';

/**
 * Ultralytics' 4-image Mosaic: with probability `p`, the sample and three other images of the dataset are placed
 * around a random centre of a 2s×2s grey canvas; boxes are shifted, clipped to the canvas and zero-area ones
 * dropped. The border (-s/2, -s/2) is left for RandomPerspective to crop back to s×s.
 *
 * Ultralytics draws the three partners from a buffer of recently loaded images (the whole dataset once it holds
 * them all); here they are drawn from the whole dataset, so a sample depends only on (seed, epoch, index) and not
 * on which worker produced it.
 *
 * @example
 * const mosaic = new Mosaic(dataset, 640, 1.0);
 */
export class Mosaic implements Transform {
  readonly border: [number, number];

  constructor(
    private readonly dataset: ImageSource,
    private readonly imgsz = 640,
    private readonly p = 1.0,
  ) {
    if (p < 0 || p > 1) throw new Error(`Mosaic: probability should be in [0, 1], got ${p}`);
    this.border = [-Math.floor(imgsz / 2), -Math.floor(imgsz / 2)];
  }

  async apply(sample: Sample, rng: Random): Promise<Sample> {
    if (rng.random() > this.p) return sample;
    if (sample.rectShape) throw new Error('Mosaic: rect and mosaic are mutually exclusive');
    const partners = [1, 2, 3].map(() => rng.randint(0, this.dataset.length - 1));
    const patches = [sample, ...(await Promise.all(partners.map((i) => this.dataset.getImageAndLabel(i))))];
    const s = this.imgsz;
    const yc = Math.trunc(rng.uniform(-this.border[0], 2 * s + this.border[0]));
    const xc = Math.trunc(rng.uniform(-this.border[1], 2 * s + this.border[1]));
    const size = 2 * s;
    const canvas = new Uint8Array(size * size * 3).fill(114);
    const instances: Instances[] = [];
    patches.forEach((patch, i) => {
      const { height: h, width: w } = patch.img;
      let x1a: number, y1a: number, x2a: number, y2a: number, x1b: number, y1b: number, x2b: number, y2b: number;
      if (i === 0) {
        [x1a, y1a, x2a, y2a] = [Math.max(xc - w, 0), Math.max(yc - h, 0), xc, yc];
        [x1b, y1b, x2b, y2b] = [w - (x2a - x1a), h - (y2a - y1a), w, h];
      } else if (i === 1) {
        [x1a, y1a, x2a, y2a] = [xc, Math.max(yc - h, 0), Math.min(xc + w, size), yc];
        [x1b, y1b, x2b, y2b] = [0, h - (y2a - y1a), Math.min(w, x2a - x1a), h];
      } else if (i === 2) {
        [x1a, y1a, x2a, y2a] = [Math.max(xc - w, 0), yc, xc, Math.min(size, yc + h)];
        [x1b, y1b, x2b, y2b] = [w - (x2a - x1a), 0, w, Math.min(y2a - y1a, h)];
      } else {
        [x1a, y1a, x2a, y2a] = [xc, yc, Math.min(xc + w, size), Math.min(size, yc + h)];
        [x1b, y1b, x2b, y2b] = [0, 0, Math.min(w, x2a - x1a), Math.min(y2a - y1a, h)];
      }
      pasteRegion(canvas, size, patch.img, x1b, y1b, x2b, y2b, x1a, y1a);
      const inst = patch.instances;
      inst.convertBbox('xyxy');
      inst.denormalize(w, h);
      inst.addPadding(x1a - x1b, y1a - y1b);
      instances.push(inst);
    });
    const merged = Instances.concatenate(instances);
    const cls = concatFloat32(patches.map((p) => p.cls));
    merged.clip(size, size);
    const keep = merged.removeZeroAreaBoxes();
    return {
      img: { data: canvas, height: size, width: size },
      cls: keep.length === cls.length ? cls : Float32Array.from(keep, (k) => cls[k]!),
      instances: merged,
      imFile: sample.imFile,
      oriShape: sample.oriShape,
      resizedShape: [size, size],
      mosaicBorder: this.border,
    };
  }
}
