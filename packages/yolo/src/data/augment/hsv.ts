import type { Random } from '../random.js';
import type { Sample, Transform } from './transform.js';

const HSV_SHIFT = 12;
const SDIV = Int32Array.from({ length: 256 }, (_, i) => (i ? Math.round((255 << HSV_SHIFT) / i) : 0));
const HDIV = Int32Array.from({ length: 256 }, (_, i) => (i ? Math.round((180 << HSV_SHIFT) / (6 * i)) : 0));
// OpenCV's HSV→RGB sector table: which of (v, p, q, t) feeds b, g, r.
const SECTOR = [1, 3, 0, 1, 0, 2, 3, 0, 1, 0, 2, 1, 0, 1, 3, 2, 1, 0];

/**
 * Ultralytics' RandomHSV: random gains r = 1 + U(-1,1)·(hgain, sgain, vgain) applied through lookup tables on
 * OpenCV's 8-bit HSV (H in [0,180)), with OpenCV's integer RGB→HSV and float HSV→RGB conversions.
 *
 * @example
 * new RandomHSV(0.015, 0.7, 0.4).apply(sample, rng);
 */
export class RandomHSV implements Transform {
  constructor(
    private readonly hgain = 0.5,
    private readonly sgain = 0.5,
    private readonly vgain = 0.5,
  ) {}

  apply(sample: Sample, rng: Random): Sample {
    if (!this.hgain && !this.sgain && !this.vgain) return sample;
    const r0 = rng.uniform(-1, 1) * this.hgain + 1;
    const r1 = rng.uniform(-1, 1) * this.sgain + 1;
    const r2 = rng.uniform(-1, 1) * this.vgain + 1;
    const lutH = new Uint8Array(256);
    const lutS = new Uint8Array(256);
    const lutV = new Uint8Array(256);
    for (let x = 0; x < 256; x++) {
      lutH[x] = (((x * r0) % 180) + 180) % 180;
      lutS[x] = Math.min(Math.max(x * r1, 0), 255);
      lutV[x] = Math.min(Math.max(x * r2, 0), 255);
    }
    adjustHsv(sample.img.data, lutH, lutS, lutV);
    return sample;
  }
}

/**
 * out = V'·coef[h', s'] per channel: OpenCV's HSV→RGB with v factored out, for every (h' < 180, s' < 256),
 * computed once, so the per-pixel work is table lookups.
 */
const HSV_COEF = (() => {
  const coef = new Float32Array(180 * 256 * 3);
  const tab = new Float32Array(4);
  for (let h = 0; h < 180; h++) {
    for (let si = 0; si < 256; si++) {
      const o = (h * 256 + si) * 3;
      const s = si / 255;
      if (s === 0) {
        coef.fill(1, o, o + 3);
        continue;
      }
      let hf = (h * 6) / 180;
      const sector = Math.floor(hf);
      hf -= sector;
      tab[0] = 1;
      tab[1] = 1 - s;
      tab[2] = 1 - s * hf;
      tab[3] = 1 - s * (1 - hf);
      const k = sector * 3;
      coef[o] = tab[SECTOR[k + 2]!]!;
      coef[o + 1] = tab[SECTOR[k + 1]!]!;
      coef[o + 2] = tab[SECTOR[k]!]!;
    }
  }
  return coef;
})();

/** Converts each RGB pixel to OpenCV HSV, maps H, S, V through the tables and converts back, in place. */
export function adjustHsv(d: Uint8Array, lutH: Uint8Array, lutS: Uint8Array, lutV: Uint8Array): void {
  const half = 1 << (HSV_SHIFT - 1);
  for (let i = 0; i < d.length; i += 3) {
    const r = d[i]!;
    const g = d[i + 1]!;
    const b = d[i + 2]!;
    const v = Math.max(r, g, b);
    const diff = v - Math.min(r, g, b);
    const s = (diff * SDIV[v]! + half) >> HSV_SHIFT;
    let h = v === r ? g - b : v === g ? b - r + 2 * diff : r - g + 4 * diff;
    h = (h * HDIV[diff]! + half) >> HSV_SHIFT;
    if (h < 0) h += 180;
    const o = (lutH[h]! * 256 + lutS[s]!) * 3;
    const vv = lutV[v]!;
    d[i] = vv * HSV_COEF[o]! + 0.5;
    d[i + 1] = vv * HSV_COEF[o + 1]! + 0.5;
    d[i + 2] = vv * HSV_COEF[o + 2]! + 0.5;
  }
}
