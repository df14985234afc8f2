// Tracking quality of ByteTrack and BoT-SORT (bytetrack.yaml / botsort.yaml defaults) on the synthetic moving-shape
// scenarios of data/shapes/motion.ts: steady motion, crossings with an occluder, and a panning camera. Detections are
// the ground truth with detector-like noise (jitter, misses, stray boxes, lower scores when half hidden), drawn from
// several seeds; the table gives MOTA, IDF1 and identity switches (py-motmetrics' definitions, IoU 0.5) summed over
// seeds, and each tracker's time per frame (tracker only: rendering and scoring excluded). Single thread (the trackers
// are plain JS; opencv.js runs BoT-SORT's GMC in WebAssembly).
// With --model <weights> (a detector trained on the built-in shapes dataset, e.g. the run scripts/setup.sh makes),
// each scenario is also encoded as an H.264 video and tracked end to end by `model.trackStream`: decoding, the real
// detector and the tracker, scored the same way.
// Run: node --conditions=source --import tsx bench/track.ts [--seeds 5] [--model runs/detect/train/weights/best.safetensors] [--imgsz 320]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRandom,
  crossingScenario,
  MotionRenderer,
  type MotionScenario,
  panScenario,
  simulateDetections,
  steadyScenario,
} from '../packages/yolo/src/data/shapes/motion.js';
import { VideoWriter } from '../packages/yolo/src/data/video/writer.js';
import { YOLO } from '../packages/yolo/src/models/yolo/model.js';
import { IdCounter } from '../packages/yolo/src/trackers/basetrack.js';
import { TRACK_COLUMNS } from '../packages/yolo/src/trackers/byte-tracker.js';
import { loadTrackerConfig } from '../packages/yolo/src/trackers/config.js';
import { TRACKER_MAP, type Tracker } from '../packages/yolo/src/trackers/track.js';
import { type IdBox, MotAccumulator } from '../packages/yolo/src/trackers/utils/mot-metrics.js';

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}
const seeds = flag('seeds', 5);
const imgsz = flag('imgsz', 320);
const modelAt = process.argv.indexOf('--model');
const weights = modelAt > 0 ? process.argv[modelAt + 1] : undefined;

async function makeTracker(type: string): Promise<Tracker> {
  const factory = TRACKER_MAP[type];
  if (!factory) throw new Error(`no tracker ${type}`);
  return factory(loadTrackerConfig(`${type}.yaml`), new IdCounter());
}

async function evaluate(type: string, scenario: MotionScenario): Promise<{ line: string }> {
  const renderer = new MotionRenderer(scenario);
  const frames = Array.from({ length: scenario.frames }, (_, t) => renderer.frame(t));
  const acc = new MotAccumulator();
  let ms = 0;
  for (let seed = 0; seed < seeds; seed++) {
    const tracker = await makeTracker(type);
    const rng = createRandom(1000 + seed);
    for (const [t, { image, objects }] of frames.entries()) {
      const dets = simulateDetections(objects, [scenario.width, scenario.height], rng);
      const start = performance.now();
      const rows = tracker.update(dets, image);
      ms += performance.now() - start;
      const tracks: IdBox[] = [];
      for (let i = 0; i < rows.length / TRACK_COLUMNS; i++) {
        const r = rows.subarray(i * TRACK_COLUMNS, (i + 1) * TRACK_COLUMNS);
        // Ids are offset per seed so one accumulator scores every run without mixing identities.
        tracks.push({ id: seed * 10000 + r[4]!, xyxy: [r[0], r[1], r[2], r[3]] as IdBox['xyxy'] });
      }
      const truth = objects
        .filter((o) => o.visible >= 0.3)
        .map((o): IdBox => ({ id: seed * 10000 + o.id, xyxy: [o.box.x0, o.box.y0, o.box.x1, o.box.y1] }));
      acc.update(truth, tracks);
      if (t === frames.length - 1) tracker.reset();
    }
  }
  const s = acc.scores();
  const perFrame = ms / (seeds * scenario.frames);
  return {
    line: `${scenario.name.padEnd(9)} ${type.padEnd(10)} ${s.mota.toFixed(3).padStart(6)} ${s.idf1.toFixed(3).padStart(6)} ${String(s.idSwitches).padStart(5)} ${String(s.misses).padStart(6)} ${String(s.falsePositives).padStart(4)} ${String(s.gtBoxes).padStart(6)} ${perFrame.toFixed(2).padStart(8)}`,
  };
}

/** The scenario as a video, tracked by the detector end to end; the same table columns. */
async function evaluateWithDetector(type: string, scenario: MotionScenario, model: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'yolots-bench-track-'));
  try {
    const renderer = new MotionRenderer(scenario);
    const clip = join(dir, `${scenario.name}.mp4`);
    const writer = new VideoWriter(clip, { fps: 30 });
    for (let t = 0; t < scenario.frames; t++) await writer.write(renderer.frame(t).image);
    await writer.close();
    const acc = new MotAccumulator();
    const start = performance.now();
    for await (const r of new YOLO(model).trackStream(clip, { tracker: `${type}.yaml`, imgsz, verbose: false })) {
      const ids = r.boxes?.idList;
      const xyxy = r.boxes?.xyxyList ?? new Float32Array(0);
      const tracks: IdBox[] = ids
        ? [...ids].map((id, k) => ({ id, xyxy: [xyxy[4 * k], xyxy[4 * k + 1], xyxy[4 * k + 2], xyxy[4 * k + 3]] as IdBox['xyxy'] }))
        : [];
      const truth = renderer
        .frame((r.frame as number) - 1)
        .objects.filter((o) => o.visible >= 0.3)
        .map((o): IdBox => ({ id: o.id, xyxy: [o.box.x0, o.box.y0, o.box.x1, o.box.y1] }));
      acc.update(truth, tracks);
    }
    const s = acc.scores();
    const perFrame = (performance.now() - start) / scenario.frames;
    return `${scenario.name.padEnd(9)} ${type.padEnd(10)} ${s.mota.toFixed(3).padStart(6)} ${s.idf1.toFixed(3).padStart(6)} ${String(s.idSwitches).padStart(5)} ${String(s.misses).padStart(6)} ${String(s.falsePositives).padStart(4)} ${String(s.gtBoxes).padStart(6)} ${perFrame.toFixed(2).padStart(8)}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`${seeds} seeds per scenario; detections = ground truth + noise (jitter 3%, 3% misses, 0.1 stray boxes/frame)`);
console.log('scenario  tracker      MOTA   IDF1 IDsw  misses   FP  GT box ms/frame');
for (const scenario of [steadyScenario(), crossingScenario(), panScenario()]) {
  for (const type of ['bytetrack', 'botsort']) console.log((await evaluate(type, scenario)).line);
}

if (weights) {
  console.log(`\nEnd to end: H.264 video → ${weights} at imgsz ${imgsz} → tracker (ms/frame: decode + detect + track)`);
  console.log('scenario  tracker      MOTA   IDF1 IDsw  misses   FP  GT box ms/frame');
  for (const scenario of [steadyScenario(), crossingScenario(), panScenario()]) {
    for (const type of ['bytetrack', 'botsort']) console.log(await evaluateWithDetector(type, scenario, weights));
  }
}
