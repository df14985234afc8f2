import { extname } from 'node:path';
import sharp from 'sharp';

/** An 8-bit RGB image stored row-major, channels last (HWC), as decoded images and annotated results are. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Throws unless `data` holds exactly `width × height` RGB pixels. */
export function checkRgbImage(image: RgbImage, what: string): void {
  const { data, width, height } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`${what}: image size ${width}x${height} is not a positive integer size`);
  }
  if (data.length !== width * height * 3) {
    throw new Error(`${what}: expected ${width}x${height}x3 = ${width * height * 3} RGB bytes, got ${data.length}`);
  }
}

/** The encoder a file name asks for: `.png` → PNG, `.jpg`/`.jpeg` → JPEG. */
export function formatOf(file: string): 'png' | 'jpeg' {
  const ext = extname(file).toLowerCase();
  if (ext === '.png') return 'png';
  if (ext === '.jpg' || ext === '.jpeg') return 'jpeg';
  throw new Error(`cannot save '${file}': only .png, .jpg and .jpeg are written`);
}

/** Encodes a sharp pipeline as the format `file`'s extension names and writes it. */
export async function saveAs(pipeline: sharp.Sharp, file: string): Promise<void> {
  const encoded = formatOf(file) === 'png' ? pipeline.png() : pipeline.jpeg({ quality: 90 });
  await encoded.toFile(file);
}

/** A sharp pipeline reading an {@link RgbImage}. */
export function sharpFromRgb(image: RgbImage): sharp.Sharp {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
}
