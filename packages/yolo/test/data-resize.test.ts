// resizeLinear against OpenCV's own cv2.resize(INTER_LINEAR) (Debian's python3-opencv as the oracle), and the
// validation / load_image pipeline against Ultralytics' load_image + LetterBox replayed with cv2 on COCO images.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeImage, type RgbImage } from '../src/data/images.js';
import { Random } from '../src/data/random.js';
import { resizeLinear } from '../src/data/resize.js';
import { pixelDiff } from './helpers/pixel-diff.js';
import { valDataset } from './helpers/val-dataset.js';

const PYTHON = '/usr/bin/python3';
const DATASETS = fileURLToPath(new URL('../../../../shared/datasets/', import.meta.url));
const COCO8_VAL = `${DATASETS}coco8/images/val/`;
// coco128 images with embedded ICC profiles (Adobe RGB 1998, an Apple display profile): sharp's default colour
// management moved them by 9.3 and 2.8 grey levels on average away from cv2.imread.
const ICC_IMAGES = ['000000000036.jpg', '000000000025.jpg'].map((f) => `${DATASETS}coco128/images/train2017/${f}`);

/** Why the OpenCV oracle cannot run here, or null. */
function oracleMissing(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import cv2'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} not found (${probe.error.message})`;
  if (probe.status !== 0) return `${PYTHON} has no cv2 module (apt-get install python3-opencv; scripts/setup.sh installs it)`;
  return null;
}

/** Runs `script` with python3 in `dir` (argv[1]); throws with its stderr when it fails. */
function python(script: string, dir: string): void {
  const run = spawnSync(PYTHON, ['-c', script, dir], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr || run.error?.message}`);
}

function randomImage(rng: Random, height: number, width: number): RgbImage {
  const data = new Uint8Array(height * width * 3);
  for (let i = 0; i < data.length; i++) data[i] = rng.randint(0, 255);
  return { data, height, width };
}

describe('resizeLinear: properties', () => {
  test('a constant image stays constant at any size', () => {
    const src = { data: new Uint8Array(7 * 5 * 3).fill(201), height: 7, width: 5 };
    for (const [h, w] of [
      [1, 1],
      [3, 11],
      [29, 2],
      [640, 480],
    ] as const) {
      assert.ok(
        resizeLinear(src, h, w).data.every((v) => v === 201),
        `${h}x${w}`,
      );
    }
  });

  test('halving averages each 2x2 block, rounding halves up', () => {
    const row0 = [0, 0, 0, 1, 1, 1, 10, 20, 30, 11, 21, 31];
    const row1 = [1, 1, 1, 0, 0, 0, 10, 20, 30, 12, 22, 33];
    const src = { data: Uint8Array.from([...row0, ...row1]), height: 2, width: 4 };
    // Left block sums to 2 → (2 + 2) >> 2 = 1; right block 43/83/124 → 11/21/31.
    assert.deepEqual([...resizeLinear(src, 1, 2).data], [1, 1, 1, 11, 21, 31]);
  });

  test('the same size gives a copy, not the caller’s buffer', () => {
    const src = randomImage(new Random(1), 4, 6);
    const out = resizeLinear(src, 4, 6);
    assert.deepEqual(out.data, src.data);
    assert.notEqual(out.data, src.data);
  });

  test('bad sizes are refused with the sizes named', () => {
    const src = randomImage(new Random(2), 4, 6);
    assert.throws(() => resizeLinear(src, 0, 6), /target size 0x6/);
    assert.throws(() => resizeLinear(src, 2.5, 6), /target size 2.5x6/);
    assert.throws(() => resizeLinear({ data: new Uint8Array(5), height: 4, width: 6 }, 2, 3), /source 4x6 with 5 bytes/);
  });
});

const oracle = oracleMissing();
const ciMustRun = process.env.CI === 'true';
if (oracle) console.log(`# ${ciMustRun ? 'FAILING' : 'skipping'} OpenCV resize parity: ${oracle}`);

describe('resizeLinear is bit-exact with cv2.resize(INTER_LINEAR)', { skip: !ciMustRun && (oracle ?? false) }, () => {
  // Up, down, exact halves and thirds (OpenCV's area shortcut), odd ratios, one-pixel rows and columns.
  const cases: [number, number, number, number][] = [
    [1, 1, 5, 3],
    [1, 9, 4, 4],
    [9, 1, 3, 7],
    [2, 2, 1, 1],
    [8, 6, 4, 3],
    [9, 12, 3, 4],
    [7, 5, 13, 11],
    [13, 17, 29, 41],
    [64, 48, 37, 23],
    [100, 100, 33, 67],
    [381, 500, 488, 640],
    [640, 481, 320, 241],
    [478, 640, 239, 320],
    [427, 640, 640, 959],
    [250, 333, 251, 332],
  ];
  let dir = '';
  const sources = cases.map(([h, w], i) => randomImage(new Random(100 + i), h, w));

  before(() => {
    assert.ok(!oracle, `OpenCV oracle required under CI: ${oracle}`);
    dir = mkdtempSync(join(tmpdir(), 'yolots-resize-'));
    sources.forEach((src, i) => writeFileSync(join(dir, `src${i}.raw`), src.data));
    writeFileSync(join(dir, 'cases.json'), JSON.stringify(cases));
    python(
      `
import cv2, json, numpy as np, sys
d = sys.argv[1]
for i, (h, w, th, tw) in enumerate(json.load(open(f'{d}/cases.json'))):
    src = np.fromfile(f'{d}/src{i}.raw', np.uint8).reshape(h, w, 3)
    cv2.resize(src, (tw, th), interpolation=cv2.INTER_LINEAR).tofile(f'{d}/out{i}.raw')
`,
      dir,
    );
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  cases.forEach(([h, w, th, tw], i) => {
    test(`${h}x${w} → ${th}x${tw}`, () => {
      const ours = resizeLinear(sources[i]!, th, tw);
      const [mean, max] = pixelDiff(ours.data, new Uint8Array(readFileSync(join(dir, `out${i}.raw`))));
      assert.equal(max, 0, `mean ${mean.toFixed(4)}, max ${max} grey levels`);
    });
  });
});

const cocoMissing = [COCO8_VAL, ...ICC_IMAGES].find((p) => !existsSync(p));
if (cocoMissing) console.log(`# ${ciMustRun ? 'FAILING' : 'skipping'} COCO pipeline parity: ${cocoMissing} not found`);

describe('COCO images: decoding, and coco8 val through YOLODataset = Ultralytics load_image + LetterBox (cv2)', {
  skip: !ciMustRun && (oracle ?? cocoMissing ?? false),
}, () => {
  // 000000000049.jpg is 500x381: load_image enlarges it to 640x488 at imgsz 640. At 320 all four shrink.
  let dir = '';
  before(() => {
    assert.ok(!oracle && !cocoMissing, `required under CI: ${oracle ?? `${cocoMissing} not found`}`);
    dir = mkdtempSync(join(tmpdir(), 'yolots-letterbox-'));
    python(
      `
import cv2, glob, math, os, sys
d = sys.argv[1]
for f in ${JSON.stringify(ICC_IMAGES)}:
    im = cv2.imread(f)
    im[..., ::-1].copy().tofile(f'{d}/{os.path.basename(f)}.decoded.raw')
for f in sorted(glob.glob(${JSON.stringify(COCO8_VAL)} + '*.jpg')):
    im0 = cv2.imread(f)
    for s in (640, 320):
        h0, w0 = im0.shape[:2]
        r = s / max(h0, w0)
        im = im0
        if r != 1:  # load_image
            im = cv2.resize(im, (min(math.ceil(w0 * r), s), min(math.ceil(h0 * r), s)), interpolation=cv2.INTER_LINEAR)
        h, w = im.shape[:2]  # LetterBox((s, s), scaleup=False, auto=False)
        r = min(s / h, s / w, 1.0)
        nw, nh = int(round(w * r)), int(round(h * r))
        dw, dh = (s - nw) / 2, (s - nh) / 2
        if (w, h) != (nw, nh):
            im = cv2.resize(im, (nw, nh), interpolation=cv2.INTER_LINEAR)
        im = cv2.copyMakeBorder(im, int(round(dh - 0.1)), int(round(dh + 0.1)), int(round(dw - 0.1)), int(round(dw + 0.1)),
                                cv2.BORDER_CONSTANT, value=(114, 114, 114))
        im[..., ::-1].transpose(2, 0, 1).copy().tofile(f'{d}/{os.path.basename(f)}.{s}.raw')
`,
      dir,
    );
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('decodeImage gives cv2.imread’s pixels, ICC profiles ignored', async () => {
    for (const file of ICC_IMAGES) {
      const img = await decodeImage(file);
      const name = file.split('/').pop();
      const [mean, max] = pixelDiff(img.data, new Uint8Array(readFileSync(join(dir, `${name}.decoded.raw`))));
      assert.equal(max, 0, `${name}: mean ${mean.toFixed(3)}, max ${max} grey levels`);
    }
  });

  for (const imgsz of [640, 320]) {
    test(`coco8 val at imgsz=${imgsz}: every image bit-exact`, async () => {
      const ds = await valDataset(COCO8_VAL, imgsz);
      for (let i = 0; i < ds.length; i++) {
        const item = await ds.getItem(i, 0);
        const name = ds.imFiles[i]!.split('/').pop();
        const [mean, max] = pixelDiff(item.img, new Uint8Array(readFileSync(join(dir, `${name}.${imgsz}.raw`))));
        assert.equal(max, 0, `${name}: mean ${mean.toFixed(3)}, max ${max} grey levels`);
      }
    });
  }
});
