/**
 * Image resize speed: yolots' resizeLinear (OpenCV INTER_LINEAR, bit-exact, plain JS on the calling thread) against
 * sharp's `resize(kernel: 'linear')` on raw pixels (libvips, what yolots used before; not OpenCV's pixels), at
 * sharp concurrency 1 and at its default. Cases: load_image enlarging a 500x381 COCO-sized image to 640x488, and
 * validation at 320 shrinking 480x640 to 240x320; also a 1920-wide frame to 640. Prints figures; asserts nothing.
 *
 *   node --conditions=source --import tsx bench/resize.ts [--runs 200]
 */
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import type { RgbImage } from '../packages/yolo/src/data/images.js';
import { Random } from '../packages/yolo/src/data/random.js';
import { resizeLinear } from '../packages/yolo/src/data/resize.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '200' } } });
const runs = Number(values.runs);

/** A smooth random image (JPEG-like content matters little to either kernel's speed). */
function image(height: number, width: number): RgbImage {
  const rng = new Random(0);
  const data = new Uint8Array(height * width * 3);
  for (let i = 0; i < data.length; i++) data[i] = (((i / 3) % width) + rng.randint(0, 31)) & 255;
  return { data, height, width };
}

async function sharpResize(img: RgbImage, height: number, width: number): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
}

/** Median milliseconds per call over `runs` calls, after 10 warm-up calls. */
async function time(fn: () => unknown): Promise<number> {
  for (let i = 0; i < 10; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)]!;
}

const cases: [string, RgbImage, number, number][] = [
  ['500x381 → 640x488 (load_image enlarge)', image(500, 381), 640, 488],
  ['480x640 → 240x320 (val at 320)', image(480, 640), 240, 320],
  ['1080x1920 → 360x640 (video frame to 640)', image(1080, 1920), 360, 640],
];
const defaultThreads = sharp.concurrency();
console.log(`median ms per resize over ${runs} runs; sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips}`);
console.log(`case | resizeLinear (1 JS thread) | sharp, 1 thread | sharp, its default concurrency (${defaultThreads})`);
for (const [name, img, h, w] of cases) {
  const ours = await time(() => resizeLinear(img, h, w));
  sharp.concurrency(1);
  const one = await time(() => sharpResize(img, h, w));
  sharp.concurrency(defaultThreads);
  const many = await time(() => sharpResize(img, h, w));
  console.log(`${name} | ${ours.toFixed(2)} | ${one.toFixed(2)} | ${many.toFixed(2)}`);
}
