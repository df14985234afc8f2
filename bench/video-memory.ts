// Memory over a long video: streams a 2,000-frame synthetic clip (320x240 moving shapes, H.264, made here with ffmpeg)
// through a predictor with tracking on (BoT-SORT with GMC, or ByteTrack), and prints RSS, libtorch's native bytes and
// live tensors every 250 frames. Flat figures mean nothing accumulates: frames are decoded one at a time (ffmpeg blocks
// on the pipe), results are dropped as they are consumed, tracks expire. The model is yolov8n's layout at an eighth
// of its width with random weights at imgsz 160; its (empty) output is replaced by each frame's ground truth with
// detector-like noise, so the tracker has real work: about five objects per frame entering, crossing and leaving.
// Run: node --conditions=source --import tsx bench/video-memory.ts [--frames 2000] [--tracker botsort.yaml] [--save] [--release N]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import sharp from 'sharp';
import type { RgbImage } from '../packages/yolo/src/data/images.js';
import { createRandom, crossingScenario, MotionRenderer, simulateDetections } from '../packages/yolo/src/data/shapes/motion.js';
import { VideoWriter } from '../packages/yolo/src/data/video/writer.js';
import { Results } from '../packages/yolo/src/engine/results.js';
import { DetectionPredictor } from '../packages/yolo/src/models/yolo/detect/predict.js';
import { DetectionModel } from '../packages/yolo/src/nn/tasks.js';
import { yamlModelLoad } from '../packages/yolo/src/nn/yaml-model.js';
import { registerTracker } from '../packages/yolo/src/trackers/track.js';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1]! : fallback;
}
const frames = Number(option('frames', '2000'));
const tracker = option('tracker', 'botsort.yaml');
const save = process.argv.includes('--save');
/** Call torch.releaseMemory() (malloc_trim) every this many frames; 0: never. */
const releaseEvery = Number(option('release', '0'));
torch.setNumThreads(1);

// The crossing scenario looped: objects leave and re-enter, so tracks are created and removed all along.
const scenario = crossingScenario(120);

/** The model runs; its boxes are replaced by the frame's noisy ground truth. */
class TruthPredictor extends DetectionPredictor {
  private readonly renderer = new MotionRenderer(scenario);
  private readonly rng = createRandom(9);

  override postprocess(preds: unknown, img: Tensor, origImgs: RgbImage[]): Results[] {
    super.postprocess(preds, img, origImgs);
    return origImgs.map((orig, i) => {
      const frame = ((this.batch?.frames[i] ?? 1) - 1) % scenario.frames;
      const dets = simulateDetections(this.renderer.frame(frame).objects, [orig.width, orig.height], this.rng);
      const rows = new Float32Array(dets.length * 6);
      for (let k = 0; k < dets.length; k++) {
        const [x, y, w, h] = dets.xywhList.subarray(k * 4, k * 4 + 4) as unknown as [number, number, number, number];
        rows.set([x - w / 2, y - h / 2, x + w / 2, y + h / 2, dets.confList[k]!, dets.clsList[k]!], k * 6);
      }
      return new Results(orig, this.batch?.paths[i] ?? '', this.names, { boxes: torch.tensor(rows, { shape: [dets.length, 6] }) });
    });
  }
}

const dir = mkdtempSync(join(tmpdir(), 'yolots-video-memory-'));
try {
  const clip = join(dir, 'long.mp4');
  const renderer = new MotionRenderer(scenario);
  const writer = new VideoWriter(clip, { fps: 30 });
  let t0 = performance.now();
  for (let t = 0; t < frames; t++) await writer.write(renderer.frame(t % scenario.frames).image);
  await writer.close();
  console.log(`wrote ${frames} frames of ${scenario.width}x${scenario.height} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const yaml = yamlModelLoad('yolov8n.yaml');
  yaml.scales = { n: [0.33, 0.125, 1024] };
  const model = new DetectionModel(yaml, { nc: 5, verbose: false });
  const predictor = new TruthPredictor({
    overrides: { imgsz: 160, conf: 0.1, save, tracker, mode: 'track', verbose: false, project: dir, name: 'track' },
  });
  registerTracker(predictor, false);
  const mb = (b: number): string => (b / 2 ** 20).toFixed(1).padStart(7);
  console.log(`tracker ${tracker}, save ${save}, threads 1`);
  console.log(' frame  RSS MiB  JS heap MiB  native MiB  live tensors  tracked boxes/frame');
  let seen = 0;
  let boxes = 0;
  t0 = performance.now();
  for await (const r of predictor.stream(clip, model)) {
    seen++;
    boxes += r.length;
    if (releaseEvery && seen % releaseEvery === 0) torch.releaseMemory();
    if (seen % 250 === 0 || seen === 1) {
      const { nativeBytes } = torch.memoryStats();
      console.log(
        `${String(seen).padStart(6)}  ${mb(process.memoryUsage().rss)}  ${mb(process.memoryUsage().heapUsed).padStart(11)}  ${mb(nativeBytes).padStart(10)}  ${String(torch.liveTensors()).padStart(12)}  ${(boxes / seen).toFixed(1).padStart(11)}`,
      );
    }
  }
  const vips = sharp.cache();
  console.log(`libvips operation cache: ${vips.memory.current} MB (cap ${vips.memory.max} MB), ${vips.items.current} items`);
  console.log(
    `${seen} frames in ${((performance.now() - t0) / 1000).toFixed(1)} s (${((performance.now() - t0) / seen).toFixed(1)} ms/frame)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
