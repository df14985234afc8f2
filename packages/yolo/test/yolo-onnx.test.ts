// YOLO front end over an ONNX export of the Ultralytics-trained yolov8n fixture: `YOLO.export` writes it (with
// the export callbacks), `new YOLO('x.onnx')` predicts and validates through onnxruntime-node with the boxes and
// metrics of the libtorch model, a fixed-shape export takes its own batch and size, the methods an exported model
// cannot run throw TypeErrors, and `yolo export` writes the file from the command line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import type { Results } from '../src/engine/results.js';
import type { DetectionValidator } from '../src/models/yolo/detect/val.js';
import { YOLO } from '../src/models/yolo/model.js';
import type { DetectionPrediction } from '../src/nn/modules/head.js';
import { DetectionModel } from '../src/nn/tasks.js';
import { CHECKPOINT_FORMAT, saveCheckpoint } from '../src/utils/checkpoint.js';
import { nonMaxSuppression } from '../src/utils/nms.js';
import { VERSION } from '../src/version.js';
import { assertSameRows, detectionRows } from './helpers/detection-rows.js';
import { requireShared, sharedPath } from './helpers/shared.js';

const WEIGHTS = sharedPath('fixtures/ultralytics/model.safetensors');
const COCO8 = sharedPath('datasets/coco8.yaml');
const VAL_IMAGES = sharedPath('datasets/coco8/images/val');
// A fixed-length tuple, so that IMAGES[1] is a string (predict's sources are typed).
const IMAGES = (['000000000036.jpg', '000000000042.jpg', '000000000049.jpg', '000000000061.jpg'] as const).map((f) =>
  join(VAL_IMAGES, f),
) as [string, string, string, string];
const YOLO_BIN = fileURLToPath(new URL('../bin/yolo.js', import.meta.url));
const gate = requireShared([WEIGHTS, COCO8, ...IMAGES], 'YOLO ONNX tests');

/**
 * The fixture's class scores are flat (≈1.569e-4 at every anchor; no box survives conf 0.001), so NMS on them
 * is a tie-break between rounding errors of two backends. Scaling the last class convolutions' weights spreads
 * the scores (top 0.054 on coco8 val) so that boxes above conf 0.01 are well separated (score gaps ≥ 2.8e-5,
 * against ~1e-7 of backend noise) and the comparison of boxes is meaningful.
 */
const CLASS_SHARPENING = 1000;
const CONF = 0.01;
/** Validation NMS is multi-label: more (anchor, class) candidates, so a higher threshold keeps them well separated. */
const VAL_CONF = 0.04;

/** Writes the fixture weights as a finished yolots checkpoint (trained at imgsz 320 on coco8). */
function writeFixtureCheckpoint(file: string, classSharpening = 1): void {
  const model = new DetectionModel('yolov8n.yaml', { verbose: false });
  const { tensors, metadata } = torch.io.loadSafetensors(WEIGHTS);
  try {
    for (const level of [0, 1, 2]) tensors.get(`model.22.cv3.${level}.2.weight`)?.mul_(classSharpening);
    model.loadStateDict(tensors, { strict: true });
    model.names = JSON.parse(String(metadata.names));
    saveCheckpoint(file, {
      meta: {
        format: CHECKPOINT_FORMAT,
        version: VERSION,
        date: new Date().toISOString(),
        epoch: -1,
        best_fitness: null,
        ema_updates: 0,
        train_args: { imgsz: 320, data: COCO8, task: 'detect', single_cls: false },
        train_metrics: {},
        model: { yaml: model.yaml, nc: model.nc, names: model.names, stride: model.stride, task: 'detect' },
      },
      model: model.stateDict(),
      ema: null,
      optimizer: null,
    });
  } finally {
    torch.dispose([...tensors.values()]);
    model.dispose();
  }
}

/** Runs `fn` with console.log/warn collected instead of printed. */
async function quietly<T>(fn: () => Promise<T>): Promise<[T, string]> {
  const lines: string[] = [];
  const { log, warn } = console;
  console.log = (...args: unknown[]) => lines.push(args.join(' '));
  console.warn = (...args: unknown[]) => lines.push(args.join(' '));
  try {
    return [await fn(), lines.join('\n')];
  } finally {
    console.log = log;
    console.warn = warn;
  }
}

/** Asserts two predictions of one image hold the same boxes: coordinates within `tol` px, scores within 1e-4. */
function assertSameBoxes(actual: Results, expected: Results, tol: number): number {
  return assertSameRows(detectionRows(actual), detectionRows(expected), { what: actual.path, boxTol: tol, scoreTol: 1e-4 }).boxes;
}

describe('YOLO on an ONNX export of the yolov8n fixture', gate, () => {
  let dir: string;
  let ckpt: string;
  let torchYolo: YOLO;
  let dynamicOnnx: string;
  let staticOnnx: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'yolots-yolo-onnx-'));
    ckpt = join(dir, 'best.safetensors');
    writeFixtureCheckpoint(ckpt, CLASS_SHARPENING);
    torchYolo = new YOLO(ckpt);
  });

  after(async () => {
    await torchYolo?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('YOLO.export writes the ONNX beside the weights, firing on_export_start/end on the model callbacks', async () => {
    const events: string[] = [];
    torchYolo.addCallback('on_export_start', (e) => {
      events.push(`start:${e.file}`);
    });
    torchYolo.addCallback('on_export_end', (e) => {
      events.push(`end:${e.file}:${e.args.dynamic}:${e.args.opset}:${e.imgsz}`);
    });
    const [file, logs] = await quietly(() => torchYolo.export({ format: 'onnx', imgsz: 320, dynamic: true, opset: 17 }));
    assert.equal(file, join(dir, 'best.onnx'));
    assert.ok(existsSync(file));
    assert.deepEqual(events, ['start:null', `end:${file}:true:17:320,320`]);
    assert.match(logs, /description|export success/);
    dynamicOnnx = join(dir, 'dynamic.onnx');
    renameSync(file, dynamicOnnx);
    torchYolo.clearCallback('on_export_start');
    torchYolo.clearCallback('on_export_end');

    // Defaults: format onnx, imgsz from the checkpoint's train args (320), batch 1, static.
    staticOnnx = (await quietly(() => torchYolo.export({ batch: 2 })))[0];
    assert.equal(staticOnnx, join(dir, 'best.onnx'));
  });

  test('predict through onnxruntime gives the libtorch boxes (within 1e-3 px) and names from the metadata', async () => {
    const onnx = new YOLO(dynamicOnnx);
    try {
      assert.equal(onnx.exportFormat, 'onnx');
      assert.deepEqual(onnx.names, torchYolo.names);
      const args = { conf: CONF, imgsz: 320, verbose: false };
      const expected = await torchYolo.predict(IMAGES, args);
      const actual = await onnx.predict(IMAGES, args);
      assert.equal(actual.length, IMAGES.length);
      let worst = 0;
      actual.forEach((r, i) => {
        assert.equal(r.path, IMAGES[i]);
        assert.ok(r.length > 10, `many boxes at conf ${CONF}`);
        assert.deepEqual(r.names, onnx.names);
        worst = Math.max(worst, assertSameBoxes(r, expected[i]!, 1e-3));
      });
      console.log(
        `# predict onnx vs libtorch: ${actual.map((r) => r.length).join('/')} boxes, max coordinate diff ${worst.toExponential(2)} px`,
      );

      // stream() runs the same path one batch at a time; the second run leaves no tensors behind.
      const baseline = torch.liveTensors();
      const streamed: Results[] = [];
      // Images of one shape: a batch of two is letterboxed as each alone.
      for await (const r of onnx.stream([IMAGES[1], IMAGES[1]], { ...args, batch: 2 })) streamed.push(r);
      assert.equal(torch.liveTensors(), baseline, 'ONNX inference frees its inputs and outputs');
      for (const r of streamed) assertSameBoxes(r, actual[1]!, 1e-3);
    } finally {
      await onnx.dispose();
    }
  });

  test('a fixed-shape export predicts at its own size and batch, a short last batch padded', async () => {
    const onnx = new YOLO(staticOnnx);
    try {
      const [results, logs] = await quietly(() => onnx.predict([IMAGES[2], IMAGES[0], IMAGES[1]], { conf: CONF, imgsz: 640, batch: 1 }));
      assert.match(logs, /imgsz=\[640, 640\] differs from the fixed input of this export: using imgsz=\[320, 320\]/);
      assert.match(logs, /320x320 /, 'letterboxed to the full fixed size');
      const alone = await onnx.predict([IMAGES[1]], { conf: CONF, verbose: false });
      assertSameBoxes(alone[0]!, results[2]!, 1e-3);
      const first = await onnx.predict([IMAGES[2], IMAGES[1]], { conf: CONF, verbose: false });
      assertSameBoxes(first[0]!, results[0]!, 1e-3);
    } finally {
      await onnx.dispose();
    }
  });

  test('val through onnxruntime gives the libtorch metrics and the same predictions per batch', async () => {
    const counting = (model: YOLO): number[] => {
      const counts: number[] = [];
      model.addCallback('on_val_batch_end', (v: DetectionValidator) => {
        counts.push((v.preds ?? []).reduce((n, p) => n + p.shape[0]!, 0));
      });
      return counts;
    };
    const args = { data: COCO8, imgsz: 320, batch: 2, conf: VAL_CONF, plots: false, verbose: false, project: dir };
    const torchCounts = counting(torchYolo);
    const [expected] = await quietly(() => torchYolo.val(args));
    torchYolo.clearCallback('on_val_batch_end');
    const onnx = new YOLO(dynamicOnnx);
    try {
      const onnxCounts = counting(onnx);
      const baseline = torch.liveTensors();
      const [actual] = await quietly(() => onnx.val(args));
      assert.equal(torch.liveTensors(), baseline, 'validating through onnxruntime leaves no tensors behind');
      assert.deepEqual(onnxCounts, torchCounts);
      assert.ok(torchCounts.every((n) => n > 0));
      assert.deepEqual(Object.keys(actual), Object.keys(expected));
      for (const [key, value] of Object.entries(expected)) {
        assert.ok(Math.abs(actual[key]! - value) < 1e-6, `${key}: onnx ${actual[key]} vs libtorch ${value}`);
      }
      console.log(`# val onnx vs libtorch: predictions per batch ${onnxCounts.join('/')}, ${JSON.stringify(actual)}`);
    } finally {
      await onnx.dispose();
    }
  });

  test('a fixed-shape export validates at its batch and square size; its detections are libtorch NMS on the same input', async () => {
    const net = torchYolo.model as unknown as DetectionModel;
    net.eval();
    const onnx = new YOLO(staticOnnx);
    const shapes: string[] = [];
    let compared = 0;
    onnx.addCallback('on_val_batch_end', (v: DetectionValidator) => {
      const img = (v.batch as { img: Tensor }).img;
      shapes.push(img.shape.join(','));
      const expected = torch.noGrad(() =>
        torch.tidy(() => {
          const pred = (net.call(img) as DetectionPrediction)[0];
          return nonMaxSuppression(pred, { confThres: VAL_CONF, iouThres: 0.7, multiLabel: true, maxDet: 300 }).map((d) => d.toArray());
        }),
      );
      (v.preds ?? []).forEach((p, i) => {
        const got = p.toArray();
        const want = expected[i]!;
        assert.equal(got.length, want.length, `image ${i}: detections`);
        got.forEach((x, k) => assert.ok(Math.abs(x - want[k]!) < 1e-3, `image ${i} value ${k}: ${x} vs ${want[k]}`));
        compared += got.length / 6;
      });
    });
    try {
      const [metrics, logs] = await quietly(() =>
        onnx.val({ data: COCO8, imgsz: 640, batch: 16, conf: VAL_CONF, plots: false, project: dir }),
      );
      assert.match(logs, /Setting batch=2 input of shape \(2, 3, 320, 320\)/);
      assert.deepEqual(shapes, ['2,3,320,320', '2,3,320,320']);
      assert.ok(compared > 0);
      assert.ok(Number.isFinite(metrics['metrics/mAP50-95(B)']));
    } finally {
      await onnx.dispose();
    }
  });

  test('train, fuse, info, export and .model on an exported model throw a TypeError naming predict and val', async () => {
    const onnx = new YOLO(dynamicOnnx);
    const message =
      /model='.*dynamic\.onnx' should be .* to run train\(\), but is an exported ONNX model.*only support 'predict' and 'val'/;
    await assert.rejects(onnx.train({ data: COCO8 }), (e: Error) => e instanceof TypeError && message.test(e.message));
    assert.throws(
      () => onnx.fuse(),
      (e: Error) => e instanceof TypeError && /run fuse\(\)/.test(e.message),
    );
    assert.throws(
      () => onnx.info(),
      (e: Error) => e instanceof TypeError && /run info\(\)/.test(e.message),
    );
    await assert.rejects(onnx.export(), (e: Error) => e instanceof TypeError && /run export\(\)/.test(e.message));
    assert.throws(() => onnx.model, TypeError);
    assert.throws(() => new YOLO(join(dir, 'missing.onnx')), /ONNX model not found: .*missing\.onnx/);
  });

  test('`yolo export model=<ckpt> format=onnx imgsz=320` writes the file and exits 0', () => {
    const cliDir = mkdtempSync(join(dir, 'cli-'));
    const weights = join(cliDir, 'best.safetensors');
    writeFixtureCheckpoint(weights);
    const child = spawnSync(process.execPath, [YOLO_BIN, 'export', `model=${weights}`, 'format=onnx', 'imgsz=320'], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    const file = join(cliDir, 'best.onnx');
    assert.ok(existsSync(file));
    assert.ok(child.stdout.includes(file), 'the output names where the file was saved');
  });
});
