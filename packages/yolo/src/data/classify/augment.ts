// Ultralytics' classify_augmentations (data/augment.py, 8.2.103) for training: RandomResizedCrop, flips, RandAugment,
// and after ToTensor/Normalize (÷255 on the device; mean 0, std 1), RandomErasing with zeros — each draw from the
// sample's own seeded generator, so a sample's augmentation depends only on (seed, epoch, index).
import type { RgbImage } from '../images.js';
import type { Random } from '../random.js';
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation } from './pil-ops.js';
import { randAugment } from './randaugment.js';
import { eraseChw, hflip, resizedCrop, toChw } from './transforms.js';

/** The training augmentation settings (Ultralytics' keys; ClassificationDataset derives `scale` as (1 − args.scale, 1)). */
export interface ClassifyAugmentOptions {
  size: number;
  /** Area fraction range of RandomResizedCrop (0.08, 1.0 in torchvision; Ultralytics passes (1 − scale, 1)). */
  scale: [number, number];
  /** Aspect ratio range of RandomResizedCrop. */
  ratio: [number, number];
  hflip: number;
  vflip: number;
  /** 'randaugment', or null for none ('' in the arguments; Ultralytics' other policies are refused with a clear error). */
  autoAugment: string | null;
  /**
   * ColorJitter's hue, saturation and brightness/contrast ranges (Ultralytics' hsv_h, hsv_s, hsv_v), applied only
   * without an auto_augment policy (which disables colour jitter, as in Ultralytics).
   */
  hsv: [number, number, number];
  erasing: number;
}

/** Ultralytics' auto_augment policies; yolots implements RandAugment. */
export function checkAutoAugment(value: unknown): string | null {
  if (value === null || value === undefined || value === '' || value === false || value === 'None') return null;
  if (value === 'randaugment') return value;
  if (value === 'autoaugment' || value === 'augmix')
    throw new Error(
      `auto_augment=${value} is not supported by yolots yet: use auto_augment=randaugment (the default) or auto_augment=None`,
    );
  throw new Error(`auto_augment=${String(value)} is invalid: expected randaugment, autoaugment or augmix`);
}

/** RandomResizedCrop.get_params: (top, left, h, w) of a window of random area and aspect ratio, else the central crop. */
export function randomResizedCropParams(
  height: number,
  width: number,
  scale: readonly [number, number],
  ratio: readonly [number, number],
  rng: Random,
): [number, number, number, number] {
  const area = height * width;
  const [logLo, logHi] = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let k = 0; k < 10; k++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) return [rng.randint(0, height - h), rng.randint(0, width - w), h, w];
  }
  const inRatio = width / height;
  let [h, w] = [height, width];
  if (inRatio < Math.min(...ratio)) h = Math.round(width / Math.min(...ratio));
  else if (inRatio > Math.max(...ratio)) w = Math.round(height * Math.max(...ratio));
  return [Math.floor((height - h) / 2), Math.floor((width - w) / 2), h, w];
}

/** RandomErasing.get_params (scale 0.02–0.33, ratio 0.3–3.3): the (i, j, h, w) rectangle, or null after 10 misses. */
export function randomErasingParams(height: number, width: number, rng: Random): [number, number, number, number] | null {
  const area = height * width;
  const [logLo, logHi] = [Math.log(0.3), Math.log(3.3)];
  for (let k = 0; k < 10; k++) {
    const eraseArea = area * rng.uniform(0.02, 0.33);
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const h = Math.round(Math.sqrt(eraseArea * aspect));
    const w = Math.round(Math.sqrt(eraseArea / aspect));
    if (!(h < height && w < width)) continue;
    return [rng.randint(0, height - h), rng.randint(0, width - w), h, w];
  }
  return null;
}

/**
 * torchvision's ColorJitter(brightness=v, contrast=v, saturation=s, hue=h): the four adjustments in a random order,
 * each factor uniform in [max(0, 1 − x), 1 + x] (hue in [−h, h]); a zero range skips its adjustment.
 */
export function colorJitter(img: RgbImage, [hsvH, hsvS, hsvV]: readonly [number, number, number], rng: Random): RgbImage {
  const order = rng.shuffle([0, 1, 2, 3]);
  const factor = (x: number) => rng.uniform(Math.max(0, 1 - x), 1 + x);
  const brightness = hsvV > 0 ? factor(hsvV) : null;
  const contrast = hsvV > 0 ? factor(hsvV) : null;
  const saturation = hsvS > 0 ? factor(hsvS) : null;
  const hue = hsvH > 0 ? rng.uniform(-hsvH, hsvH) : null;
  let out = img;
  for (const k of order) {
    if (k === 0 && brightness !== null) out = adjustBrightness(out, brightness);
    else if (k === 1 && contrast !== null) out = adjustContrast(out, contrast);
    else if (k === 2 && saturation !== null) out = adjustSaturation(out, saturation);
    else if (k === 3 && hue !== null) out = adjustHue(out, hue);
  }
  return out;
}

/** Flips an image upside down (F.vflip). */
function vflip(img: RgbImage): RgbImage {
  const row = img.width * 3;
  const out = new Uint8Array(img.data.length);
  for (let y = 0; y < img.height; y++) out.set(img.data.subarray(y * row, (y + 1) * row), (img.height - 1 - y) * row);
  return { data: out, height: img.height, width: img.width };
}

/**
 * One training sample: the augmented size × size image as CHW uint8 planes.
 *
 * @example
 * const chw = classifyAugment(img, { size: 224, scale: [0.5, 1], ratio: [3 / 4, 4 / 3], hflip: 0.5, vflip: 0,
 *   autoAugment: 'randaugment', hsv: [0.015, 0.7, 0.4], erasing: 0.4 }, Random.forSample(0, epoch, i));
 */
export function classifyAugment(img: RgbImage, o: ClassifyAugmentOptions, rng: Random): Uint8Array {
  const [top, left, h, w] = randomResizedCropParams(img.height, img.width, o.scale, o.ratio, rng);
  let out = resizedCrop(img, top, left, h, w, o.size);
  if (o.hflip > 0 && rng.random() < o.hflip) out = hflip(out);
  if (o.vflip > 0 && rng.random() < o.vflip) out = vflip(out);
  if (o.autoAugment === 'randaugment') out = randAugment(out, rng);
  else if (o.hsv.some((x) => x > 0)) out = colorJitter(out, o.hsv, rng);
  const chw = toChw(out);
  if (o.erasing > 0 && rng.random() < o.erasing) {
    const rect = randomErasingParams(o.size, o.size, rng);
    if (rect) eraseChw(chw, o.size, o.size, rect);
  }
  return chw;
}
