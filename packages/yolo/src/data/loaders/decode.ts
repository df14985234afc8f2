// Still images of a prediction source, decoded by libvips (sharp) to RGB as cv2.imread would read them.
import sharp from 'sharp';
import type { RgbImage } from '../images.js';

/** Decodes a file or encoded bytes (EXIF orientation applied, alpha dropped, sRGB) to RGB HWC. */
export async function decodeToRgb(input: string | Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(input, { failOn: 'none' })
    .autoOrient()
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), height: info.height, width: info.width };
}

/** Decodes an image file; null (after a warning, as Ultralytics' `Image Read Error`) when it cannot be read. */
export async function decodeFile(path: string, warn: (m: string) => void): Promise<RgbImage | null> {
  try {
    return await decodeToRgb(path);
  } catch (cause) {
    warn(`WARNING ⚠️ Image Read Error ${path}: ${(cause as Error).message}`);
    return null;
  }
}
