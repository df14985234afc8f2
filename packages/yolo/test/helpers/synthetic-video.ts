// Synthetic videos for tests: moving shapes (data/shapes/motion.ts) encoded with ffmpeg through yolots' own writer,
// or plain colour frames whose index can be read back from their pixels.
import type { RgbImage } from '../../src/data/images.js';
import { MotionRenderer, type MotionScenario } from '../../src/data/shapes/motion.js';
import { VideoWriter } from '../../src/data/video/writer.js';

/** Writes a scenario's frames to `file` (H.264 .mp4, or whatever the suffix says) at `fps`. */
export async function writeScenarioVideo(file: string, scenario: MotionScenario, fps = 30): Promise<void> {
  const renderer = new MotionRenderer(scenario);
  const writer = new VideoWriter(file, { fps });
  for (let t = 0; t < scenario.frames; t++) await writer.write(renderer.frame(t).image as RgbImage);
  await writer.close();
}

/** Frame i is a flat grey of level 10·i (+5): decodes back to within a few levels whatever the codec. */
export function greyFrame(i: number, width = 64, height = 48): RgbImage {
  return { data: new Uint8Array(width * height * 3).fill(5 + 10 * i), width, height };
}

/** Which frame a decoded grey frame is (by its mean level). */
export function greyIndex(img: RgbImage): number {
  let sum = 0;
  for (let k = 0; k < img.data.length; k++) sum += img.data[k]!;
  return Math.max(0, Math.round((sum / img.data.length - 5) / 10));
}

/** Writes `n` grey frames (see greyFrame) to `file`. */
export async function writeGreyVideo(file: string, n: number, fps = 25): Promise<void> {
  const writer = new VideoWriter(file, { fps, crf: 10 });
  for (let i = 0; i < n; i++) await writer.write(greyFrame(i));
  await writer.close();
}
