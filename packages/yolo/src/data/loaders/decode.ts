// Still images of a prediction source, decoded as cv2.imread would read them (data/images.ts's decodeImage).
import { decodeImage, type RgbImage } from '../images.js';

/** Decodes an image file; null (after a warning, as Ultralytics' `Image Read Error`) when it cannot be read. */
export async function decodeFile(path: string, warn: (m: string) => void): Promise<RgbImage | null> {
  try {
    return await decodeImage(path);
  } catch (cause) {
    warn(`WARNING ⚠️ Image Read Error ${path}: ${(cause as Error).message}`);
    return null;
  }
}
