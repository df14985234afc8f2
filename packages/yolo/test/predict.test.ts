import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '@yolots/torch';
import sharp from 'sharp';
import type { RgbImage } from '../src/data/images.js';
import type { Boxes, Results } from '../src/engine/results.js';
import { DetectionPredictor } from '../src/models/yolo/detect/predict.js';
import { DetectionModel } from '../src/nn/tasks.js';
import { nonMaxSuppression } from '../src/utils/nms.js';
import { scaleBoxes } from '../src/utils/ops.js';

const SHARED = fileURLToPath(new URL('../../../../shared/', import.meta.url));
const WEIGHTS = join(SHARED, 'fixtures/ultralytics/model.safetensors');
const IMAGES = join(SHARED, 'datasets/coco128/images/train2017');
const BUS = join(IMAGES, '000000000036.jpg');
const OTHER = join(IMAGES, '000000000030.jpg');
const HAVE_SHARED = existsSync(WEIGHTS) && existsSync(BUS) && existsSync(OTHER);
if (!HAVE_SHARED) console.log(`# skipping end-to-end prediction tests: ${WEIGHTS} or coco128 images absent`);

const dir = mkdtempSync(join(tmpdir(), 'yolots-predict-'));
let model: DetectionModel;

/** The weakly trained yolov8n of the fixtures (few confident boxes: tests use low conf thresholds). */
function fixtureModel(): DetectionModel {
  const m = new DetectionModel('yolov8n.yaml', { verbose: false });
  const { tensors, metadata } = torch.io.loadSafetensors(WEIGHTS);
  try {
    m.loadStateDict(tensors);
  } finally {
    torch.dispose([...tensors.values()]);
  }
  m.names = JSON.parse(String(metadata.names));
  return m;
}

function predictor(overrides: Record<string, unknown> = {}): DetectionPredictor {
  return new DetectionPredictor({ overrides: { imgsz: 320, conf: 1e-4, save: false, verbose: false, project: dir, ...overrides } });
}

/** Runs `fn` with console.log collected instead of printed. */
async function captureLogs<T>(fn: () => Promise<T>): Promise<[T, string[]]> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => lines.push(args.join(' '));
  try {
    return [await fn(), lines];
  } finally {
    console.log = original;
  }
}

function rowsOf(r: Results): number[] {
  return [...((r.boxes as Boxes).rows ?? [])];
}

before(() => {
  if (HAVE_SHARED) model = fixtureModel();
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('DetectionPredictor end to end', { skip: !HAVE_SHARED }, () => {
  test('predicts boxes in original-image pixels, the same from a path, a Buffer, RGB pixels and a tensor', async () => {
    const { data, info } = await sharp(BUS).raw().toBuffer({ resolveWithObject: true });
    const rgb: RgbImage = { data: new Uint8Array(data), width: info.width, height: info.height };
    const tensor = torch.tensor(rgb.data, { shape: [rgb.height, rgb.width, 3] });
    const p = predictor({ batch: 1 });
    const [fromPath] = await p.predict(BUS, model);
    const fromMemory = await p.predict([readFileSync(BUS), rgb, tensor]);
    tensor.dispose();

    const r = fromPath as Results;
    assert.equal(r.path, BUS);
    assert.deepEqual(r.origShape, [info.height, info.width]);
    assert.ok(r.length > 0, 'expected detections at conf 1e-4');
    const boxes = r.boxes as Boxes;
    const xyxy = boxes.xyxyList;
    for (let i = 0; i < boxes.length; i++) {
      const [x1, y1, x2, y2] = xyxy.subarray(i * 4, i * 4 + 4) as unknown as number[];
      assert.ok(0 <= (x1 as number) && (x1 as number) <= (x2 as number) && (x2 as number) <= info.width, `box ${i} x within the image`);
      assert.ok(0 <= (y1 as number) && (y1 as number) <= (y2 as number) && (y2 as number) <= info.height, `box ${i} y within the image`);
    }
    const conf = [...boxes.confList];
    assert.ok(
      conf.every((c, i) => c >= 1e-4 && (i === 0 || c <= conf[i - 1]!)),
      'confidences above conf, descending',
    );
    assert.ok([...boxes.clsList].every((c) => Number.isInteger(c) && c >= 0 && c < 80));
    assert.deepEqual(
      fromMemory.map((m) => m.path),
      ['image0.jpg', 'image1.jpg', 'image2.jpg'],
    );
    for (const m of fromMemory) assert.deepEqual(rowsOf(m), rowsOf(r));
    assert.ok((r.speed.inference ?? 0) > 0 && (r.speed.preprocess ?? 0) > 0 && (r.speed.postprocess ?? 0) > 0);
  });

  test('max_det, classes, iou and agnostic_nms shape the detections', async () => {
    const [all] = await predictor().predict(BUS, model);
    const [top5] = await predictor({ max_det: 5 }).predict(BUS, model);
    assert.deepEqual(rowsOf(top5 as Results), rowsOf(all as Results).slice(0, 5 * 6));

    const topClass = (all as Results).boxes!.clsList[0]!;
    const [onlyTop] = await predictor({ classes: topClass }).predict(BUS, model);
    assert.ok((onlyTop as Results).length > 0);
    assert.ok([...((onlyTop as Results).boxes as Boxes).clsList].every((c) => c === topClass));

    // The NMS settings reach nonMaxSuppression: results equal NMS + scaling applied by hand to the captured output.
    class Capturing extends DetectionPredictor {
      pred: torch.Tensor | null = null;
      override inference(im: torch.Tensor): unknown {
        const out = super.inference(im) as torch.Tensor[];
        this.pred = out[0]!.clone().keep();
        return out;
      }
    }
    const p = new Capturing({ overrides: { imgsz: 320, conf: 1e-4, iou: 0.3, agnostic_nms: true, save: false, verbose: false } });
    const [agnostic] = await p.predict(BUS, model);
    const pred = p.pred as torch.Tensor;
    const expected = torch.tidy(() => {
      const [dets] = nonMaxSuppression(pred, { confThres: 1e-4, iouThres: 0.3, agnostic: true });
      const [h, w] = (agnostic as Results).origShape;
      return scaleBoxes([320, 256], dets as torch.Tensor, [h, w]).toArray();
    });
    pred.dispose();
    assert.deepEqual(rowsOf(agnostic as Results), expected.map(Math.fround));
    assert.ok(expected.length < rowsOf(all as Results).length, 'agnostic NMS at iou 0.3 keeps fewer boxes');
  });

  test('a batch of two gives what two single images give', async () => {
    const single = await predictor({ batch: 1 }).predict([BUS, BUS], model);
    const batched = await predictor({ batch: 2 }).predict([BUS, BUS], model);
    assert.equal(batched.length, 2);
    // Batched convolutions round differently in the last bits, so near-tied boxes may swap places: match rows.
    for (let i = 0; i < 2; i++) {
      const a = rowsOf(single[i]!);
      const b = rowsOf(batched[i]!);
      assert.equal(a.length, b.length);
      for (let r = 0; r < a.length; r += 6) {
        const row = a.slice(r, r + 6);
        const found = Array.from({ length: b.length / 6 }, (_, k) => b.slice(k * 6, k * 6 + 6)).some((other) =>
          other.every((v, c) => Math.abs(v - row[c]!) <= (c === 4 ? 1e-6 : 1e-2)),
        );
        assert.ok(found, `image ${i}: row ${row} of the single run is missing from the batched run`);
      }
    }
  });

  test('logs as Ultralytics and saves images, labels and crops under runs/…/predict, predict2', async () => {
    const overrides = { verbose: true, save: true, save_txt: true, save_conf: true, save_crop: true, batch: 2 };
    const p = predictor(overrides);
    const [results, lines] = await captureLogs(() => p.predict(join(IMAGES, '00000000003[06]*.jpg'), model));
    const out = join(dir, 'predict');
    assert.equal(p.saveDir, out);
    const text = lines.join('\n');
    assert.match(text, new RegExp(`image 1/2 ${OTHER}: 320x320 (\\(no detections\\), |(\\d+ [a-z ]+, )+)\\d+\\.\\dms`));
    assert.match(text, new RegExp(`image 2/2 ${BUS}: 320x320 `));
    assert.match(text, /Speed: \d+\.\dms preprocess, \d+\.\dms inference, \d+\.\dms postprocess per image at shape \(2, 3, 320, 320\)/);
    // Bold only on a terminal or with FORCE_COLOR (colors.test.ts covers which).
    assert.match(text, new RegExp(`Results saved to (\\x1b\\[1m)?${out}(\\x1b\\[0m)?\\n\\d+ labels? saved to ${join(out, 'labels')}`));

    const bus = results[1]!;
    assert.equal(bus.saveDir, out);
    const meta = await sharp(join(out, '000000000036.jpg')).metadata();
    assert.deepEqual([meta.width, meta.height], [bus.origShape[1], bus.origShape[0]]);
    const labelLines = readFileSync(join(out, 'labels', '000000000036.txt'), 'utf8')
      .trim()
      .split('\n');
    assert.equal(labelLines.length, bus.length);
    assert.equal(labelLines[0]?.split(' ').length, 6);
    const cropClasses = readdirSync(join(out, 'crops'));
    assert.ok(cropClasses.includes(bus.names[bus.boxes!.clsList[0]!]!));

    assert.equal(predictor(overrides).saveDir, join(dir, 'predict2'));
  });

  test('callbacks fire in order; on_predict_batch_end may replace the results; hooks are overridable', async () => {
    class TopOnly extends DetectionPredictor {
      override postprocess(...args: Parameters<DetectionPredictor['postprocess']>): Results[] {
        return super.postprocess(...args).map((r) => r.select([0]));
      }
    }
    const p = new TopOnly({ overrides: { imgsz: 320, conf: 1e-4, save: false, verbose: false, batch: 2 } });
    const events: string[] = [];
    for (const event of [
      'on_predict_start',
      'on_predict_batch_start',
      'on_predict_postprocess_end',
      'on_predict_batch_end',
      'on_predict_end',
    ] as const) {
      p.addCallback(event, (owner) => {
        events.push(`${event}:${owner.batch?.paths.length ?? '-'}`);
      });
    }
    const seen: number[] = [];
    p.addCallback('on_predict_postprocess_end', (owner) => {
      seen.push(...owner.results.map((r) => r.length));
    });
    p.addCallback('on_predict_batch_end', (owner) => {
      owner.results = owner.results.map((r) => r.new());
    });
    const results = await p.predict([BUS, BUS, OTHER], model);
    assert.deepEqual(events, [
      'on_predict_start:-',
      'on_predict_batch_start:2',
      'on_predict_postprocess_end:2',
      'on_predict_batch_end:2',
      'on_predict_batch_start:1',
      'on_predict_postprocess_end:1',
      'on_predict_batch_end:1',
      'on_predict_end:1',
    ]);
    assert.deepEqual(seen, [1, 1, 1]);
    assert.deepEqual(
      results.map((r) => r.length),
      [0, 0, 0],
    );
  });

  test('a missing source and a missing model are clear errors', async () => {
    await assert.rejects(predictor().predict(join(dir, 'missing.jpg'), model), /missing\.jpg does not exist/);
    await assert.rejects(predictor().predict(BUS), /no model to predict with/);
    await assert.rejects(predictor().predict(undefined, model), /no source to predict on/);
  });

  const bf16 = torch.amp.cpuBf16Support();
  const noBf16 = bf16.avx512Bf16 || bf16.amxBf16 ? false : 'this CPU has neither AVX512-BF16 nor AMX-BF16';
  test('half=True on CPU predicts in bf16 autocast: float32 outputs close to the float32 run', { skip: noBf16 }, async () => {
    const p = predictor({ half: true, batch: 1 });
    await p.predict(BUS, fixtureModel());
    assert.equal(p.bf16, true);
    assert.equal(p.args.half, true);
    const f = predictor({ batch: 1 });
    await f.predict(BUS, model);
    torch.tidy(() => {
      const { data, width, height } = { data: new Uint8Array(320 * 320 * 3).fill(90), width: 320, height: 320 };
      const im = p.preprocess([{ data, width, height }]);
      const [half, full] = [p.inference(im), f.inference(im)].map((o) => (Array.isArray(o) ? o[0] : o) as torch.Tensor) as [
        torch.Tensor,
        torch.Tensor,
      ];
      assert.equal(half.dtype, 'float32');
      // (1, 4 + nc, anchors): boxes in input pixels, then class probabilities
      const boxError = half
        .narrow(1, 0, 4)
        .sub(full.narrow(1, 0, 4))
        .abs()
        .mean()
        .item();
      const scoreError = half
        .narrow(1, 4, 80)
        .sub(full.narrow(1, 4, 80))
        .abs()
        .max()
        .item();
      console.log(`# bf16 vs float32: mean box error ${boxError.toFixed(3)} px, max score error ${scoreError.toExponential(2)}`);
      assert.ok(boxError < 2, `mean box error ${boxError} px`);
      assert.ok(scoreError < 0.01, `max score error ${scoreError}`);
    });
  });
});
