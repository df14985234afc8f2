import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as torch from '@yolots/torch';
import sharp from 'sharp';
import type { RgbImage } from '../src/data/images.js';
import { Boxes, Results } from '../src/engine/results.js';

const dir = mkdtempSync(join(tmpdir(), 'yolots-results-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const W = 100;
const H = 80;
const NAMES = { 0: 'person', 5: 'bus' };
/** x1, y1, x2, y2, conf, cls */
const ROWS = [
  [10, 20, 50, 60, 0.9, 0],
  [0, 0, 30, 30, 0.8, 5],
  [60, 10, 90, 70, 0.7, 0],
];

function grey(): RgbImage {
  return { data: new Uint8Array(W * H * 3).fill(100), width: W, height: H };
}

function makeResults(rows = ROWS, columns: 6 | 7 = 6): Results {
  return new Results(grey(), '/data/street.jpg', NAMES, { boxes: new Boxes(Float32Array.from(rows.flat()), [H, W], columns) });
}

function pixel(img: RgbImage, x: number, y: number): number[] {
  const i = (y * img.width + x) * 3;
  return [...img.data.subarray(i, i + 3)];
}

describe('Boxes', () => {
  test('xyxy, xywh, normalised forms, conf, cls as tensors and lists', () => {
    const boxes = makeResults().boxes as Boxes;
    assert.equal(boxes.length, 3);
    assert.deepEqual(boxes.shape, [3, 6]);
    const lists = torch.tidy(() => ({
      xyxy: boxes.xyxy.tolist(),
      xywh: boxes.xywh.tolist(),
      xyxyn: boxes.xyxyn.tolist(),
      xywhn: boxes.xywhn.tolist(),
      cls: boxes.cls.tolist(),
      dataShape: boxes.data.shape,
    }));
    assert.deepEqual((lists.xyxy as number[][])[0], [10, 20, 50, 60]);
    assert.deepEqual((lists.xywh as number[][])[0], [30, 40, 40, 40]);
    assert.deepEqual((lists.xyxyn as number[][])[0], [0.1, 0.25, 0.5, 0.75].map(Math.fround));
    assert.deepEqual((lists.xywhn as number[][])[0], [0.3, 0.5, 0.4, 0.5].map(Math.fround));
    assert.deepEqual(lists.cls, [0, 5, 0]);
    assert.deepEqual(lists.dataShape, [3, 6]);
    assert.deepEqual([...boxes.confList], [0.9, 0.8, 0.7].map(Math.fround));
    assert.equal(boxes.id, null);
    assert.equal(boxes.isTrack, false);
  });

  test('from a tensor, with selection and iteration', () => {
    const t = torch.tensor(ROWS);
    const boxes = Boxes.fromTensor(t, [H, W]);
    t.dispose();
    assert.deepEqual([...boxes.select(-1).rows], ROWS[2]?.map(Math.fround));
    assert.deepEqual(
      [...boxes].map((b) => b.clsList[0]),
      [0, 5, 0],
    );
    assert.throws(() => boxes.select(3), /index 3 is out of range for 3 boxes/);
    assert.throws(() => new Boxes(new Float32Array(5), [H, W]), /not a multiple of 6/);
  });
});

describe('Results', () => {
  test('verbose() counts per class with plurals, as Ultralytics', () => {
    assert.equal(makeResults().verbose(), '2 persons, 1 bus, ');
    assert.equal(makeResults([]).verbose(), '(no detections), ');
    assert.equal(makeResults().length, 3);
    assert.deepEqual(makeResults().origShape, [H, W]);
  });

  test('summary(), toJSON() and table rows', () => {
    const r = makeResults();
    const [first] = r.summary();
    assert.deepEqual(first, { name: 'person', class: 0, confidence: 0.9, box: { x1: 10, y1: 20, x2: 50, y2: 60 } });
    assert.deepEqual(r.summary(true)[0]?.box, { x1: 0.1, y1: 0.25, x2: 0.5, y2: 0.75 });
    assert.equal(JSON.stringify(r, null, 2), JSON.stringify(r.summary(), null, 2));
    assert.deepEqual(r.toDf()[1], { name: 'bus', class: 5, confidence: 0.8, x1: 0, y1: 0, x2: 30, y2: 30 });
    assert.equal(r.toCsv().split('\n')[0], 'name,class,confidence,x1,y1,x2,y2');
    assert.equal(r.toCsv().split('\n')[2], 'bus,5,0.8,0,0,30,30');
  });

  test('select() and update() (clipping to the image)', () => {
    const r = makeResults();
    assert.equal(r.select([1]).verbose(), '1 bus, ');
    assert.equal(r.new().length, 0);
    r.update(new Boxes(Float32Array.from([-5, -5, 200, 90, 0.5, 5]), [H, W]));
    assert.deepEqual([...(r.boxes as Boxes).rows], [0, 0, 100, 80, 0.5, 5]);
  });

  test('saveTxt() appends normalised `cls xc yc w h [conf]` lines in %g', () => {
    const file = join(dir, 'labels', 'street.txt');
    makeResults().saveTxt(file, true);
    makeResults().select(1).saveTxt(file);
    assert.equal(
      readFileSync(file, 'utf8'),
      ['0 0.3 0.5 0.4 0.5 0.9', '5 0.15 0.1875 0.3 0.375 0.8', '0 0.75 0.5 0.3 0.75 0.7', '5 0.15 0.1875 0.3 0.375', ''].join('\n'),
    );
    makeResults([]).saveTxt(join(dir, 'labels', 'empty.txt'));
    assert.equal(existsSync(join(dir, 'labels', 'empty.txt')), false);
  });

  test('tracked boxes carry ids through summary, labels and plots', async () => {
    const r = makeResults([[10, 20, 50, 60, 3, 0.9, 0]], 7);
    assert.equal((r.boxes as Boxes).idList?.[0], 3);
    assert.equal(r.summary()[0]?.track_id, 3);
    const file = join(dir, 'track.txt');
    r.saveTxt(file);
    assert.equal(readFileSync(file, 'utf8'), '0 0.3 0.5 0.4 0.5 3\n');
  });

  test('saveCrop() cuts each box grown by 2% + 10 px into crops/<class>/<name>.jpg', async () => {
    const files = await makeResults().saveCrop(join(dir, 'crops'), 'street');
    assert.deepEqual(files, [
      join(dir, 'crops', 'person', 'street.jpg'),
      join(dir, 'crops', 'bus', 'street.jpg'),
      join(dir, 'crops', 'person', 'street2.jpg'),
    ]);
    const sizes = await Promise.all(
      files.map(async (f) => {
        const m = await sharp(f).metadata();
        return [m.width, m.height];
      }),
    );
    assert.deepEqual(sizes, [
      [51, 51],
      [35, 35],
      [41, 71],
    ]);
  });

  test('plot() draws each box in its class colour and leaves the original alone', async () => {
    const r = makeResults();
    const plotted = await r.plot({ labels: false });
    assert.deepEqual(pixel(r.origImg, 10, 40), [100, 100, 100]);
    assert.deepEqual(pixel(plotted, 10, 40), [255, 56, 56]);
    assert.deepEqual(pixel(plotted, 60, 40), [255, 56, 56]);
    assert.deepEqual(pixel(plotted, 29, 5), [72, 249, 10]);
    assert.deepEqual(pixel(plotted, 30, 40), [100, 100, 100]);
    const labelled = await r.plot();
    assert.notDeepEqual(labelled.data, plotted.data);
    const bare = await r.plot({ boxes: false });
    assert.deepEqual(bare.data, r.origImg.data);
  });

  test('save() writes the annotated image and returns its name', async () => {
    const file = await makeResults().save(join(dir, 'annotated.png'));
    assert.equal(file, join(dir, 'annotated.png'));
    const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [W, H]);
    assert.deepEqual([...data.subarray((40 * W + 10) * 3, (40 * W + 10) * 3 + 3)], [255, 56, 56]);
  });
});
