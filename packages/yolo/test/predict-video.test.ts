import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, mock, test } from 'node:test';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { main } from '../src/cli.js';
import type { RgbImage } from '../src/data/images.js';
import { createRandom, crossingScenario, MotionRenderer, simulateDetections, steadyScenario } from '../src/data/shapes/motion.js';
import { probeVideo } from '../src/data/video/probe.js';
import { Results } from '../src/engine/results.js';
import { DetectionPredictor } from '../src/models/yolo/detect/predict.js';
import { DetectionModel } from '../src/nn/tasks.js';
import { yamlModelLoad } from '../src/nn/yaml-model.js';
import { registerTracker } from '../src/trackers/track.js';
import { type IdBox, MotAccumulator } from '../src/trackers/utils/mot-metrics.js';
import { writeScenarioVideo } from './helpers/synthetic-video.js';

torch.setNumThreads(1);
const dir = mkdtempSync(join(tmpdir(), 'yolots-predict-video-'));
const steady = { ...steadyScenario(24) };
const crossing = crossingScenario(120);
const steadyClip = join(dir, 'steady.mp4');
const crossingClip = join(dir, 'crossing.mp4');

before(async () => {
  await writeScenarioVideo(steadyClip, steady);
  await writeScenarioVideo(crossingClip, crossing);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** yolov8n's layout at an eighth of its width: the predictor's real code paths at a fraction of the cost. */
function tinyModel(): DetectionModel {
  const yaml = yamlModelLoad('yolov8n.yaml');
  yaml.scales = { n: [0.33, 0.125, 1024] };
  return new DetectionModel(yaml, { nc: 5, verbose: false });
}

/**
 * A detector that sees the truth: the model runs (so the predictor's whole path is exercised), then each frame's
 * boxes are replaced by the scenario's ground truth with detector-like noise.
 */
class TruthPredictor extends DetectionPredictor {
  private readonly renderer = new MotionRenderer(crossing);
  private readonly rng = createRandom(9);

  override postprocess(preds: unknown, img: Tensor, origImgs: RgbImage[]): Results[] {
    super.postprocess(preds, img, origImgs);
    return origImgs.map((orig, i) => {
      const frame = (this.batch?.frames[i] ?? 1) - 1;
      const dets = simulateDetections(this.renderer.frame(frame).objects, [orig.width, orig.height], this.rng);
      const rows = new Float32Array(dets.length * 6);
      for (let k = 0; k < dets.length; k++) {
        const [x, y, w, h] = dets.xywhList.subarray(k * 4, k * 4 + 4) as unknown as [number, number, number, number];
        rows.set([x - w / 2, y - h / 2, x + w / 2, y + h / 2, dets.confList[k]!, dets.clsList[k]!], k * 6);
      }
      const boxes = torch.tensor(rows, { shape: [dets.length, 6] });
      return new Results(orig, this.batch?.paths[i] ?? '', this.names, { boxes });
    });
  }
}

describe('predict on a video', () => {
  test('save writes an annotated .mp4 of every frame; save_txt and save_frames one file per frame', async () => {
    const predictor = new DetectionPredictor({
      overrides: { imgsz: 64, conf: 0.3, save: true, save_txt: true, save_frames: true, project: dir, name: 'predict', verbose: false },
    });
    const results = await predictor.predict(steadyClip, tinyModel());
    assert.equal(results.length, 24);
    assert.deepEqual(
      results.map((r) => r.frame),
      [...Array(24).keys()].map((i) => i + 1),
    );
    assert.equal(results[0]?.fps, 30);
    const out = join(dir, 'predict');
    const info = await probeVideo(join(out, 'steady.mp4'));
    assert.deepEqual([info.frames, info.fps, info.width, info.height], [24, 30, 256, 192]);
    assert.equal(readdirSync(join(out, 'steady_frames')).length, 24);
    assert.ok(existsSync(join(out, 'steady_frames', '24.jpg')));
    for (const name of readdirSync(join(out, 'labels'))) assert.match(name, /^steady_\d+\.txt$/);
  });

  test('tracking through callbacks: ids in Results.boxes, in save_txt, stable through crossings', async () => {
    const predictor = new TruthPredictor({
      overrides: {
        imgsz: 64,
        conf: 0.1,
        save: true,
        save_txt: true,
        tracker: 'bytetrack.yaml',
        project: dir,
        name: 'track',
        verbose: false,
      },
    });
    const tracking = registerTracker(predictor, false);
    const acc = new MotAccumulator();
    const renderer = new MotionRenderer(crossing);
    let frames = 0;
    for await (const r of predictor.stream(crossingClip, tinyModel())) {
      frames++;
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
    assert.equal(frames, 120);
    assert.equal(tracking.trackers.length, 1);
    const scores = acc.scores();
    assert.ok(scores.idSwitches <= 2, `${scores.idSwitches} identity switches`);
    assert.ok(scores.mota > 0.8, `MOTA ${scores.mota}`);
    const label = readFileSync(join(dir, 'track', 'labels', 'crossing_60.txt'), 'utf8')
      .trim()
      .split('\n');
    for (const line of label) assert.equal(line.split(' ').length, 6, `cls x y w h id: ${line}`);
    assert.equal((await probeVideo(join(dir, 'track', 'crossing.mp4'))).frames, 120);
  });

  test('streaming a long video keeps live tensors and native memory flat', async () => {
    const predictor = new DetectionPredictor({ overrides: { imgsz: 64, conf: 0, save: false, verbose: false } });
    registerTracker(predictor, false);
    let seen = 0;
    let start: { tensors: number; bytes: number } | null = null;
    for await (const _ of predictor.stream(crossingClip, tinyModel())) {
      seen++;
      if (seen === 20) start = { tensors: torch.liveTensors(), bytes: torch.memoryStats().nativeBytes };
      if (seen > 20 && seen % 20 === 0 && start) {
        assert.equal(torch.liveTensors(), start.tensors, `live tensors at frame ${seen}`);
        assert.ok(Math.abs(torch.memoryStats().nativeBytes - start.bytes) < 1 << 20, `native bytes at frame ${seen}`);
      }
    }
    assert.equal(seen, 120);
  });
});

describe('yolo track', () => {
  test('yolo track model=… source=<video> writes the tracked video and logs each frame', async () => {
    const lines: string[] = [];
    const spy = mock.method(console, 'log', (...args: unknown[]) => lines.push(args.join(' ')));
    try {
      await main(['track', 'model=yolov8n.yaml', `source=${steadyClip}`, 'imgsz=64', `project=${dir}`, 'name=cli', 'tracker=botsort.yaml']);
    } finally {
      spy.mock.restore();
    }
    assert.match(lines.join('\n'), /video 1\/1 \(frame 24\/24\) .*steady\.mp4: 64x64 /);
    assert.equal((await probeVideo(join(dir, 'cli', 'steady.mp4'))).frames, 24);
  });
});
