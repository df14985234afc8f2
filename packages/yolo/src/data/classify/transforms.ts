// Ultralytics' classify_transforms (validation and prediction) and the deterministic pieces of classify_augmentations
// (training), on 8-bit RGB images as torchvision applies them to PIL images (data/augment.py, 8.2.103).
import type { RgbImage } from '../images.js';
import { pyRound } from '../random.js';
import { cropImage, pillowResizeBilinear } from './pillow-resize.js';

/**
 * torchvision's Resize(size) output size for an int size: the short side becomes `size`, the long side
 * int(size · long / short) (truncated).
 * @example shortSideSize(79, 84, 64) // [64, 68]
 */
export function shortSideSize(height: number, width: number, size: number): [number, number] {
  const [short, long] = width <= height ? [width, height] : [height, width];
  const newLong = Math.trunc((size * long) / short);
  return width <= height ? [newLong, size] : [size, newLong];
}

/** T.Resize(size) on a PIL image: the short side to `size` with Pillow's bilinear filter. */
export function resizeShortSide(img: RgbImage, size: number): RgbImage {
  const [h, w] = shortSideSize(img.height, img.width, size);
  return pillowResizeBilinear(img, h, w);
}

/** T.CenterCrop(size): top/left by Python's round-half-to-even of half the excess. */
export function centerCrop(img: RgbImage, size: number): RgbImage {
  if (img.height < size || img.width < size)
    throw new RangeError(`centerCrop: the ${img.height}x${img.width} image is smaller than the ${size}px crop`);
  const top = pyRound((img.height - size) / 2);
  const left = pyRound((img.width - size) / 2);
  return cropImage(img, top, left, size, size);
}

/**
 * classify_transforms(size, crop_fraction): resize the short side to floor(size / crop_fraction), then a centred
 * size × size crop (ToTensor's ÷255 is done on the device, Normalize is the identity for Ultralytics' mean 0, std 1).
 *
 * @example
 * const square = classifyTransforms(await decodeImage('cat.jpg'), 224); // 224 × 224 RGB
 */
export function classifyTransforms(img: RgbImage, size: number, cropFraction = 1.0): RgbImage {
  if (!(cropFraction > 0 && cropFraction <= 1)) throw new RangeError(`crop_fraction must be in (0, 1], got ${cropFraction}`);
  return centerCrop(resizeShortSide(img, Math.floor(size / cropFraction)), size);
}

/** F.resized_crop: the window (top, left, h, w) resized to size × size with Pillow's bilinear filter. */
export function resizedCrop(img: RgbImage, top: number, left: number, height: number, width: number, size: number): RgbImage {
  return pillowResizeBilinear(cropImage(img, top, left, height, width), size, size);
}

/** Mirrors an RGB image left-right (F.hflip). */
export function hflip(img: RgbImage): RgbImage {
  const { height, width, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3;
      const d = (y * width + (width - 1 - x)) * 3;
      out[d] = data[s] as number;
      out[d + 1] = data[s + 1] as number;
      out[d + 2] = data[s + 2] as number;
    }
  }
  return { data: out, height, width };
}

/** HWC RGB → CHW planes (ToTensor's layout; the ÷255 happens on the device). */
export function toChw(img: RgbImage): Uint8Array {
  const { height, width, data } = img;
  const plane = height * width;
  const out = new Uint8Array(plane * 3);
  for (let i = 0; i < plane; i++) {
    out[i] = data[i * 3] as number;
    out[plane + i] = data[i * 3 + 1] as number;
    out[2 * plane + i] = data[i * 3 + 2] as number;
  }
  return out;
}

/** F.erase with value 0 on CHW planes: rows i..i+h, columns j..j+w of every channel set to zero, in place. */
export function eraseChw(chw: Uint8Array, height: number, width: number, rect: readonly number[]): void {
  const [i, j, h, w] = rect as [number, number, number, number];
  const plane = height * width;
  for (let c = 0; c < 3; c++) for (let y = i; y < i + h; y++) chw.fill(0, c * plane + y * width + j, c * plane + y * width + j + w);
}
