import { readFile, writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { resizeLinear } from './resize.js';

/** Image suffixes Ultralytics accepts (those libvips cannot decode are reported as corrupt at scan time). */
export const IMG_FORMATS = new Set(['bmp', 'dng', 'jpeg', 'jpg', 'mpo', 'png', 'tif', 'tiff', 'webp', 'pfm']);

/** An 8-bit RGB image, pixels interleaved row by row (HWC). */
export interface RgbImage {
  data: Uint8Array;
  height: number;
  width: number;
}

/**
 * Decodes a file (or its encoded bytes) to RGB HWC with EXIF orientation applied: the pixels cv2.imread gives, in
 * RGB order. An embedded ICC profile is ignored, as OpenCV ignores it (libvips' conversion to sRGB moved an Adobe
 * RGB COCO photo by 9.3 grey levels on average away from what Ultralytics trains on). With `size` = [h, w] the image
 * is then resized to it as cv2.resize with INTER_LINEAR does ({@link resizeLinear}).
 *
 * @example
 * const img = await decodeImage('bus.jpg'); // img.data.length === img.height * img.width * 3
 */
export async function decodeImage(file: string | Uint8Array, size?: readonly [number, number]): Promise<RgbImage> {
  const { data, info } = await sharp(file, { failOn: 'none', ignoreIcc: true })
    .autoOrient()
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) {
    throw new Error(`${typeof file === 'string' ? file : 'image bytes'}: decoded to ${info.channels} channels, expected 3`);
  }
  const img = { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), height: info.height, width: info.width };
  return size && (size[0] !== img.height || size[1] !== img.width) ? resizeLinear(img, size[0], size[1]) : img;
}

/** Ultralytics' load_image size rule: long side to imgsz, aspect kept, dims by ceil capped at imgsz. */
export function longSideSize(h0: number, w0: number, imgsz: number): [number, number] {
  const r = imgsz / Math.max(h0, w0);
  if (r === 1) return [h0, w0];
  return [Math.min(Math.ceil(h0 * r), imgsz), Math.min(Math.ceil(w0 * r), imgsz)];
}

/**
 * Ultralytics' load_image resize: the long side to imgsz with cv2.INTER_LINEAR (8.2.103 uses it for training,
 * validation and shrinking alike); the image itself when it already has that size.
 */
export function resizeLongSide(img: RgbImage, imgsz: number): RgbImage {
  const [h, w] = longSideSize(img.height, img.width, imgsz);
  return h === img.height && w === img.width ? img : resizeLinear(img, h, w);
}

/**
 * Writes an image as a NumPy .npy file in Ultralytics' disk-cache layout (uint8, shape (h, w, 3), BGR), so both
 * engines can read each other's cache.
 */
export async function writeNpy(file: string, img: RgbImage): Promise<void> {
  const bgr = swapRedBlue(img.data);
  let header = `{'descr': '|u1', 'fortran_order': False, 'shape': (${img.height}, ${img.width}, 3), }`;
  const total = 10 + header.length + 1;
  header += `${' '.repeat((64 - (total % 64)) % 64)}\n`;
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  await writeFile(file, Buffer.concat([head, Buffer.from(header, 'latin1'), bgr]));
}

/** Reads a .npy written by writeNpy or by Ultralytics (uint8 HWC BGR) back to RGB. */
export async function readNpy(file: string): Promise<RgbImage> {
  const buf = await readFile(file);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = buf[6]!;
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  const shape = /'shape':\s*\((\d+),\s*(\d+),\s*3,?\)/.exec(header);
  if (!header.includes("'|u1'") || header.includes("'fortran_order': True") || !shape) {
    throw new Error(`${file}: expected a C-order uint8 (h, w, 3) array, header ${header.trim()}`);
  }
  const height = Number(shape[1]);
  const width = Number(shape[2]);
  const pixels = buf.subarray(start + headerLen, start + headerLen + height * width * 3);
  if (pixels.length !== height * width * 3) throw new Error(`${file}: truncated .npy data`);
  return { data: swapRedBlue(pixels), height, width };
}

function swapRedBlue(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i += 3) {
    out[i] = src[i + 2]!;
    out[i + 1] = src[i + 1]!;
    out[i + 2] = src[i]!;
  }
  return out;
}
