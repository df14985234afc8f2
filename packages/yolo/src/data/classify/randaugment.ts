// torchvision 0.14's RandAugment(num_ops=2, magnitude=9, num_magnitude_bins=31, BILINEAR) — what Ultralytics'
// classify_augmentations uses for auto_augment='randaugment' — on 8-bit RGB, drawing from our seeded generator.
import type { RgbImage } from '../images.js';
import type { Random } from '../random.js';
import {
  adjustBrightness,
  adjustContrast,
  adjustSaturation,
  adjustSharpness,
  affineTransform,
  autocontrast,
  equalize,
  inverseAffineMatrix,
  posterize,
  rotate,
  solarize,
} from './pil-ops.js';

/** The 14 operations in torchvision's order; `signed` ones flip the magnitude's sign with probability 1/2. */
const OPS = [
  'Identity',
  'ShearX',
  'ShearY',
  'TranslateX',
  'TranslateY',
  'Rotate',
  'Brightness',
  'Color',
  'Contrast',
  'Sharpness',
  'Posterize',
  'Solarize',
  'AutoContrast',
  'Equalize',
] as const;

type OpName = (typeof OPS)[number];

/** The magnitude of `op` at bin `m` of `bins` (torchvision's _augmentation_space) and whether it is signed. */
function magnitudeOf(op: OpName, m: number, bins: number, h: number, w: number): [number, boolean] {
  const lin = (lo: number, hi: number) => Math.fround(lo + ((hi - lo) * m) / (bins - 1));
  switch (op) {
    case 'ShearX':
    case 'ShearY':
      return [lin(0, 0.3), true];
    case 'TranslateX':
      return [lin(0, (150 / 331) * w), true];
    case 'TranslateY':
      return [lin(0, (150 / 331) * h), true];
    case 'Rotate':
      return [lin(0, 30), true];
    case 'Brightness':
    case 'Color':
    case 'Contrast':
    case 'Sharpness':
      return [lin(0, 0.9), true];
    case 'Posterize':
      return [8 - Math.round(m / ((bins - 1) / 4)), false];
    case 'Solarize':
      return [lin(255, 0), false];
    default:
      return [0, false];
  }
}

/** torchvision's _apply_op on a PIL image. */
function applyOp(img: RgbImage, op: OpName, magnitude: number): RgbImage {
  const deg = (v: number) => (Math.atan(v) * 180) / Math.PI;
  switch (op) {
    case 'ShearX':
      return affineTransform(img, inverseAffineMatrix([0, 0], 0, [0, 0], 1, [deg(magnitude), 0]));
    case 'ShearY':
      return affineTransform(img, inverseAffineMatrix([0, 0], 0, [0, 0], 1, [0, deg(magnitude)]));
    case 'TranslateX':
      return affineTransform(img, inverseAffineMatrix([img.width / 2, img.height / 2], 0, [Math.trunc(magnitude), 0], 1, [0, 0]));
    case 'TranslateY':
      return affineTransform(img, inverseAffineMatrix([img.width / 2, img.height / 2], 0, [0, Math.trunc(magnitude)], 1, [0, 0]));
    case 'Rotate':
      return rotate(img, magnitude);
    case 'Brightness':
      return adjustBrightness(img, 1 + magnitude);
    case 'Color':
      return adjustSaturation(img, 1 + magnitude);
    case 'Contrast':
      return adjustContrast(img, 1 + magnitude);
    case 'Sharpness':
      return adjustSharpness(img, 1 + magnitude);
    case 'Posterize':
      return posterize(img, Math.trunc(magnitude));
    case 'Solarize':
      return solarize(img, magnitude);
    case 'AutoContrast':
      return autocontrast(img);
    case 'Equalize':
      return equalize(img);
    default:
      return img;
  }
}

/**
 * RandAugment: `numOps` operations drawn uniformly from the 14, each at magnitude bin `magnitude` of `bins`.
 *
 * @example
 * const augmented = randAugment(img, Random.forSample(0, epoch, index));
 */
export function randAugment(img: RgbImage, rng: Random, numOps = 2, magnitude = 9, bins = 31): RgbImage {
  let out = img;
  for (let k = 0; k < numOps; k++) {
    const op = OPS[rng.randint(0, OPS.length - 1)] as OpName;
    let [mag, signed] = magnitudeOf(op, magnitude, bins, out.height, out.width);
    if (signed && rng.random() < 0.5) mag = -mag;
    out = applyOp(out, op, mag);
  }
  return out;
}
