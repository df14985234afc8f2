import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  createRandom,
  crossingScenario,
  MotionRenderer,
  type MotionScenario,
  panScenario,
  simulateDetections,
  steadyScenario,
} from '../src/data/shapes/motion.js';
import { IdCounter } from '../src/trackers/basetrack.js';
import { TRACK_COLUMNS } from '../src/trackers/byte-tracker.js';
import { loadTrackerConfig } from '../src/trackers/config.js';
import { TRACKER_MAP } from '../src/trackers/track.js';
import { estimateAffinePartial2D } from '../src/trackers/utils/affine-partial.js';
import { GMC, loadOpenCv } from '../src/trackers/utils/gmc.js';
import { KalmanFilterXYAH } from '../src/trackers/utils/kalman-filter.js';
import { linearAssignment } from '../src/trackers/utils/lap.js';
import { type IdBox, MotAccumulator, type MotScores } from '../src/trackers/utils/mot-metrics.js';

const dir = mkdtempSync(join(tmpdir(), 'yolots-trackers-'));
/** Debian's Python, where apt's python3-opencv lives. */
const PYTHON = '/usr/bin/python3';
const HAVE_CV2 = spawnSync(PYTHON, ['-c', 'import cv2']).status === 0;
/** Ultralytics' GMC.apply_sparseoptflow (trackers/utils/gmc.py), on raw RGB frames f<t>.rgb; prints the warps as JSON. */
const ULTRALYTICS_SPARSE_OPT_FLOW = `
import sys, json, copy, numpy as np, cv2
d, w, h, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
prev_frame = prev_kp = None
out = []
for t in range(n):
    bgr = np.fromfile(f'{d}/f{t}.rgb', dtype=np.uint8).reshape(h, w, 3)[..., ::-1].copy()
    frame = cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), (w // 2, h // 2))
    H = np.eye(2, 3)
    kp = cv2.goodFeaturesToTrack(frame, mask=None, maxCorners=1000, qualityLevel=0.01, minDistance=1, blockSize=3, useHarrisDetector=False, k=0.04)
    if prev_kp is not None:
        matched, status, _ = cv2.calcOpticalFlowPyrLK(prev_frame, frame, prev_kp, None)
        p = np.array([prev_kp[i] for i in range(len(status)) if status[i]])
        c = np.array([matched[i] for i in range(len(status)) if status[i]])
        if p.shape[0] > 4:
            H, _ = cv2.estimateAffinePartial2D(p, c, cv2.RANSAC)
            H[0, 2] *= 2
            H[1, 2] *= 2
    prev_frame, prev_kp = frame.copy(), copy.copy(kp)
    out.append(H.ravel().tolist())
print(json.dumps(out))
`;
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a tracker over a scenario fed with simulated detections; returns the scores and each GT id's track ids. */
async function runTracker(
  type: string,
  scenario: MotionScenario,
  seed = 5,
): Promise<{ scores: MotScores; idsPerObject: Map<number, Set<number>> }> {
  const tracker = await TRACKER_MAP[type]!(loadTrackerConfig(`${type}.yaml`), new IdCounter());
  const renderer = new MotionRenderer(scenario);
  const rng = createRandom(seed);
  const acc = new MotAccumulator();
  const idsPerObject = new Map<number, Set<number>>();
  for (let t = 0; t < scenario.frames; t++) {
    const { image, objects } = renderer.frame(t);
    const rows = tracker.update(simulateDetections(objects, [scenario.width, scenario.height], rng), image);
    const tracks: IdBox[] = [];
    for (let i = 0; i < rows.length / TRACK_COLUMNS; i++) {
      const r = rows.subarray(i * TRACK_COLUMNS, (i + 1) * TRACK_COLUMNS);
      tracks.push({ id: r[4]!, xyxy: [r[0], r[1], r[2], r[3]] as [number, number, number, number] });
    }
    const truth = objects.filter((o) => o.visible >= 0.3).map((o): IdBox => ({ id: o.id, xyxy: [o.box.x0, o.box.y0, o.box.x1, o.box.y1] }));
    acc.update(truth, tracks);
    for (const g of truth) {
      const match = tracks.find((h) => iou(g.xyxy, h.xyxy) >= 0.5);
      if (match) idsPerObject.set(g.id, (idsPerObject.get(g.id) ?? new Set()).add(match.id));
    }
  }
  return { scores: acc.scores(), idsPerObject };
}

function iou(a: IdBox['xyxy'], b: IdBox['xyxy']): number {
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  return (iw * ih) / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - iw * ih);
}

describe('linear assignment (lapjv with cost_limit)', () => {
  test('matches the brute-force optimum on random matrices, never above the threshold', () => {
    const rng = createRandom(1);
    for (let trial = 0; trial < 200; trial++) {
      const rows = rng.int(0, 5);
      const cols = rng.int(0, 5);
      const cost = Float64Array.from({ length: rows * cols }, () => rng.next());
      const thresh = rng.uniform(0.2, 0.9);
      const { matches, unmatchedA, unmatchedB } = linearAssignment(cost, rows, cols, thresh);
      // Objective of lapjv's extended problem: matched costs + thresh/2 per unmatched row and column.
      const objective = (pairs: [number, number][]): number =>
        pairs.reduce((s, [i, j]) => s + cost[i * cols + j]!, 0) +
        ((rows - pairs.length) * thresh) / 2 +
        ((cols - pairs.length) * thresh) / 2;
      assert.ok(Math.abs(objective(matches) - bruteForce(cost, rows, cols, thresh)) < 1e-9, `trial ${trial}`);
      for (const [i, j] of matches) assert.ok(cost[i * cols + j]! <= thresh);
      assert.equal(matches.length + unmatchedA.length, rows);
      assert.equal(matches.length + unmatchedB.length, cols);
    }
  });
});

/** The best objective over every partial matching. */
function bruteForce(cost: Float64Array, rows: number, cols: number, thresh: number): number {
  let best = Number.POSITIVE_INFINITY;
  const used = new Array<boolean>(cols).fill(false);
  const walk = (i: number, sum: number, matched: number): void => {
    if (i === rows) {
      best = Math.min(best, sum + ((rows - matched) * thresh) / 2 + ((cols - matched) * thresh) / 2);
      return;
    }
    walk(i + 1, sum, matched);
    for (let j = 0; j < cols; j++) {
      if (used[j]) continue;
      used[j] = true;
      walk(i + 1, sum + cost[i * cols + j]!, matched + 1);
      used[j] = false;
    }
  };
  walk(0, 0, 0);
  return best;
}

describe('Kalman filter', () => {
  test('XYAH: NumPy reference values for initiate → predict → update', () => {
    const kf = new KalmanFilterXYAH();
    let state = kf.initiate([100, 50, 0.5, 40]);
    state = kf.predict(state);
    state = kf.update(state, [104, 52, 0.5, 42]);
    // Ultralytics' KalmanFilterXYAH's equations on the same calls, in NumPy float64.
    const expected = [103.471074, 51.735537, 0.5, 41.735537, 0.826446, 0.413223, 0, 0.413223];
    expected.forEach((v, i) => assert.ok(Math.abs(state.mean[i]! - v) < 1e-5, `mean[${i}] ${state.mean[i]} vs ${v}`));
    assert.ok(Math.abs(state.covariance[0]! - 3.471074) < 1e-5, `P[0,0] ${state.covariance[0]}`);
  });
});

describe('trackers on simulated detections', () => {
  for (const type of ['bytetrack', 'botsort']) {
    test(`${type}: three steadily moving shapes keep one id each for the whole clip`, async () => {
      const { scores, idsPerObject } = await runTracker(type, steadyScenario());
      assert.equal(scores.idSwitches, 0);
      assert.deepEqual(
        [...idsPerObject.values()].map((s) => s.size),
        [1, 1, 1],
      );
      assert.equal(scores.trackIds, 3);
      assert.ok(scores.mota > 0.9, `MOTA ${scores.mota}`);
    });

    test(`${type}: crossings and an occluder cost at most 2 identity switches`, async () => {
      const { scores } = await runTracker(type, crossingScenario());
      assert.ok(scores.idSwitches <= 2, `${scores.idSwitches} switches`);
      assert.ok(scores.idf1 > 0.85, `IDF1 ${scores.idf1}`);
    });
  }

  test('BoT-SORT with camera-motion compensation tracks a panning camera at least as well as ByteTrack', async () => {
    const byte = await runTracker('bytetrack', panScenario());
    const bot = await runTracker('botsort', panScenario());
    assert.ok(bot.scores.idf1 >= byte.scores.idf1, `BoT-SORT IDF1 ${bot.scores.idf1} < ByteTrack ${byte.scores.idf1}`);
    assert.equal(bot.scores.idSwitches, 0);
  });
});

describe('camera-motion compensation (GMC)', () => {
  test('sparseOptFlow recovers a known pan of (3, 1) px per frame', async () => {
    const gmc = new GMC(await loadOpenCv(), 'sparseOptFlow');
    const renderer = new MotionRenderer({ ...panScenario(), movers: [] });
    assert.deepEqual(gmc.apply(renderer.frame(0).image), [1, 0, 0, 0, 1, 0]);
    for (let t = 1; t < 4; t++) {
      const [a, b, tx, c, d, ty] = gmc.apply(renderer.frame(t).image);
      // The picture moves by -pan: content at x is at x - 3 in the next frame.
      assert.ok(Math.abs(tx + 3) < 0.5 && Math.abs(ty + 1) < 0.5, `frame ${t}: translation (${tx}, ${ty})`);
      assert.ok(Math.abs(a - 1) < 0.01 && Math.abs(d - 1) < 0.01 && Math.abs(b) < 0.01 && Math.abs(c) < 0.01);
    }
  });

  test("sparseOptFlow gives the warps of Ultralytics' GMC run by Python OpenCV (python3-opencv as the oracle)", {
    skip: !HAVE_CV2 && 'Debian python3-opencv is not installed',
  }, async () => {
    const gmc = new GMC(await loadOpenCv(), 'sparseOptFlow');
    const renderer = new MotionRenderer(crossingScenario(6));
    const ours: number[][] = [];
    for (let t = 0; t < 6; t++) {
      const { image } = renderer.frame(t);
      writeFileSync(join(dir, `f${t}.rgb`), image.data);
      ours.push([...gmc.apply(image)]);
    }
    const theirs = JSON.parse(
      execFileSync(PYTHON, ['-c', ULTRALYTICS_SPARSE_OPT_FLOW, dir, '320', '240', '6'], { encoding: 'utf8' }),
    ) as number[][];
    // RANSAC draws the same samples; OpenCV's Levenberg-Marquardt refinement and our closed form agree to ~1e-4.
    ours.forEach((w, t) =>
      w.forEach((v, k) => assert.ok(Math.abs(v - theirs[t]![k]!) < 1e-3, `frame ${t} H[${k}]: ${v} vs ${theirs[t]?.[k]}`)),
    );
  });

  test('estimateAffinePartial2D: exact similarity through outliers', () => {
    const rng = createRandom(3);
    const from: number[] = [];
    const to: number[] = [];
    const [s, th, tx, ty] = [1.1, 0.2, 5, -3];
    for (let i = 0; i < 60; i++) {
      const [x, y] = [rng.uniform(0, 200), rng.uniform(0, 200)];
      from.push(x, y);
      const outlier = i % 6 === 0;
      to.push(
        s * (Math.cos(th) * x - Math.sin(th) * y) + tx + (outlier ? rng.uniform(20, 40) : 0),
        s * (Math.sin(th) * x + Math.cos(th) * y) + ty,
      );
    }
    const h = estimateAffinePartial2D(Float32Array.from(from), Float32Array.from(to));
    assert.ok(h);
    const want = [s * Math.cos(th), -s * Math.sin(th), tx, s * Math.sin(th), s * Math.cos(th), ty];
    h.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-3, `H[${i}] = ${v}, want ${want[i]}`));
  });
});

describe('tracker YAMLs', () => {
  test("the built-in YAMLs hold Ultralytics 8.2.103's keys and defaults", () => {
    const byte = loadTrackerConfig('bytetrack.yaml');
    assert.deepEqual(
      { ...byte },
      {
        tracker_type: 'bytetrack',
        track_high_thresh: 0.5,
        track_low_thresh: 0.1,
        new_track_thresh: 0.6,
        track_buffer: 30,
        match_thresh: 0.8,
        fuse_score: true,
      },
    );
    const bot = loadTrackerConfig('botsort.yaml');
    assert.equal(bot.gmc_method, 'sparseOptFlow');
    assert.equal(bot.with_reid, false);
    assert.equal(bot.appearance_thresh, 0.25);
  });

  test('bad YAMLs are errors naming the file and the key', async () => {
    const file = join(dir, 'mine.yaml');
    writeFileSync(file, 'tracker_type: bytetrack\ntrack_high_thresh: 0.5\n');
    assert.throws(() => loadTrackerConfig(file), /mine\.yaml: 'track_low_thresh' must be a number, got nothing \(the key is missing\)/);
    writeFileSync(file, 'tracker_type: deepsort\n');
    assert.throws(() => loadTrackerConfig(file), /Only 'bytetrack' and 'botsort' are supported for now, but got tracker_type 'deepsort'/);
    assert.throws(
      () => loadTrackerConfig('nope.yaml'),
      /tracker 'nope\.yaml' does not exist: pass a tracker YAML path or one of botsort\.yaml, bytetrack\.yaml/,
    );
    const bot = { ...loadTrackerConfig('botsort.yaml'), with_reid: true };
    await assert.rejects(
      async () => (TRACKER_MAP.botsort as NonNullable<(typeof TRACKER_MAP)[string]>)(bot, new IdCounter()),
      /with_reid: True asks for ReID/,
    );
  });
});
