// YOLO26 against the real Ultralytics 8.4.104 (fixtures/ultralytics-yolo26, README §1, §2, §3, §6, §7): layer tables
// and model.info() of yolo26n/s unfused and fused; the trained weights load strictly; the end-to-end head's
// one-to-many / one-to-one outputs (eval and train), the top-k inference output (also fused), BatchNorm statistics;
// the top-k on synthetic input; the loss and gradients through the model at epochs 0 and 60.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import type { Batch } from '../../src/data/batch.js';
import { loadDetectionModel } from '../../src/models/yolo/detect/load.js';
import type { DetectionPrediction84 } from '../../src/nn/modules/head.js';
import { topkDetections } from '../../src/nn/modules/head-e2e.js';
import { DetectionModel } from '../../src/nn/tasks.js';
import type { E2ELoss, EndToEndOutput } from '../../src/utils/loss-e2e.js';
import { captureLog } from '../helpers/capture-log.js';
import { asUltralyticsRow } from '../helpers/ultralytics-table.js';
import { fixtureSet } from './fixture-set.js';
import { get, maxAbsDiff } from './segment-fixtures.js';

const fixtures = fixtureSet('ultralytics-yolo26');
const gate = fixtures.gate([
  'model.safetensors',
  'forward.safetensors',
  'batch.safetensors',
  'loss.safetensors',
  'loss.json',
  'model_info.json',
  'topk.safetensors',
  'layers_yolo26n.txt',
  'layers_yolo26s.txt',
]);

function within(actual: Tensor, expected: Tensor, atol: number, what: string): void {
  const diff = maxAbsDiff(actual, expected, what);
  assert.ok(diff <= atol, `${what}: max |diff| ${diff.toExponential(3)} > ${atol}`);
  console.log(`# ${what}: max |diff| ${diff.toExponential(2)} (tolerance ${atol})`);
}

function relWithin(actual: number, expected: number, rtol: number, what: string): void {
  const rel = Math.abs(actual - expected) / Math.abs(expected);
  assert.ok(rel <= rtol, `${what}: ${actual} vs ${expected}, relative ${rel.toExponential(3)} > ${rtol}`);
  console.log(`# ${what}: relative diff ${rel.toExponential(2)} (tolerance ${rtol})`);
}

/** Scores within 1e-9 + 1e-4·|score| (README §2). */
function scoresWithin(scores: Tensor, want: Tensor, what: string): void {
  const excess = torch.tidy(() => scores.sub(want).abs().sub(want.abs().mul(1e-4).add(1e-9)).max().item());
  assert.ok(excess <= 0, `${what}: |diff| exceeds 1e-9 + 1e-4·|score| by ${excess}`);
}

/** Decoded (B, 84, A): boxes ≤ 1e-3 px, scores relative. */
function checkDecoded(pred: Tensor, expected: Tensor, what: string): void {
  within(pred.narrow(1, 0, 4), expected.narrow(1, 0, 4), 1e-3, `${what} boxes`);
  scoresWithin(pred.narrow(1, 4, 80), expected.narrow(1, 4, 80), `${what} scores`);
}

/** Top-k rows: same classes row by row, boxes ≤ 1e-3 px, scores relative. */
function checkTopk(rows: Tensor, expected: Tensor, what: string): void {
  assert.deepEqual(rows.shape, expected.shape, `${what}: shape`);
  assert.ok(
    torch.tidy(() => rows.select(-1, 5).eq(expected.select(-1, 5)).all().item()),
    `${what}: classes differ`,
  );
  within(rows.narrow(-1, 0, 4), expected.narrow(-1, 0, 4), 1e-3, `${what} boxes`);
  scoresWithin(rows.select(-1, 4), expected.select(-1, 4), `${what} scores`);
}

function fixtureModel(): DetectionModel {
  const weights = fixtures.load('model.safetensors');
  const model = new DetectionModel('yolo26n.yaml', { verbose: false });
  model.loadStateDict(weights.tensors, { strict: true });
  assert.deepEqual(model.stride, JSON.parse(weights.metadata.stride as string));
  torch.dispose([...weights.tensors.values()]);
  return model;
}

describe('YOLO26 parity with Ultralytics 8.4.104 (yolo26n fixture weights)', gate, () => {
  test('layer tables and model.info() of yolo26n and yolo26s, unfused and fused', () => {
    type Counts = { parameters: number; gradients: number; gflops_640: number; gflops_320: number; leaf_modules: number };
    const info = fixtures.json<Record<string, { unfused: Counts; fused: Counts }>>('model_info.json');
    for (const scale of ['n', 's']) {
      const expected = info[scale];
      assert.ok(expected);
      const table = fixtures.text(`layers_yolo26${scale}.txt`).trimEnd().split('\n');
      let model: DetectionModel | null = null;
      const printed = captureLog(() => {
        model = new DetectionModel(`yolo26${scale}.yaml`, { verbose: true });
      });
      const built = model as unknown as DetectionModel;
      try {
        const unfused = built.info({ verbose: false });
        const at320 = built.info({ verbose: false, imgsz: 320 });
        built.eval();
        printed.push(...captureLog(() => built.fuse()));
        const fused = built.info({ verbose: false });
        const fused320 = built.info({ verbose: false, imgsz: 320 });
        const lines = printed.flatMap((l) => l.split('\n')).filter((l, i) => i > 0 || l !== '');
        assert.deepEqual(
          lines.map((l) => asUltralyticsRow(l).trimEnd()),
          table.map((l) => l.trimEnd()),
          `yolo26${scale}: printed table and summaries`,
        );
        for (const [ours, ours320, want] of [
          [unfused, at320, expected.unfused],
          [fused, fused320, expected.fused],
        ] as const) {
          assert.equal(ours.layers, want.leaf_modules);
          assert.equal(ours.parameters, want.parameters);
          assert.equal(ours.gradients, want.gradients);
          assert.ok(Math.abs(ours.gflops - want.gflops_640) < 1e-9, `GFLOPs at 640: ${ours.gflops} vs ${want.gflops_640}`);
          assert.ok(Math.abs(ours320.gflops - want.gflops_320) < 1e-9, `GFLOPs at 320: ${ours320.gflops} vs ${want.gflops_320}`);
        }
      } finally {
        built.dispose();
      }
    }
  });

  test("m/l/x (C3k forced, attention kept in layer 22) match the yaml's summaries", () => {
    const summaries: Record<string, [number, number, number]> = {
      m: [280, 21896248, 75.4],
      l: [392, 26299704, 93.8],
      x: [392, 58993368, 209.5],
    };
    for (const [scale, [layers, parameters, gflops]] of Object.entries(summaries)) {
      const model = new DetectionModel(`yolo26${scale}.yaml`, { verbose: false });
      try {
        const info = model.info({ verbose: false });
        assert.deepEqual([info.layers, info.parameters, Number(info.gflops.toFixed(1))], [layers, parameters, gflops], `yolo26${scale}`);
      } finally {
        model.dispose();
      }
    }
  });

  test('eval: one-to-one and one-to-many outputs, top-k [B, 300, 6]; end2end=false decodes xywh; fused top-k', () => {
    const forward = fixtures.load('forward.safetensors').tensors;
    const img = get(fixtures.load('batch.safetensors').tensors, 'img');
    const model = fixtureModel();
    try {
      model.eval();
      torch.noGrad(() =>
        torch.tidy(() => {
          const [topk, train] = model.call(img) as DetectionPrediction84;
          const { one2many, one2one } = train as EndToEndOutput;
          within(one2one.boxes, get(forward, 'eval.one2one.boxes'), 1e-3, 'eval one2one raw boxes');
          within(one2many.boxes, get(forward, 'eval.one2many.boxes'), 1e-3, 'eval one2many raw boxes');
          checkTopk(topk, get(forward, 'eval.topk'), 'eval top-k');
          const head = model.head;
          head.end2end = false;
          const [decoded] = model.call(img) as DetectionPrediction84;
          checkDecoded(decoded, get(forward, 'eval.one2many.decoded'), 'end2end=false decoded (xywh)');
          head.end2end = true;
        }),
      );
      captureLog(() => model.fuse());
      assert.equal(model.head.getModule('cv2'), undefined, 'fuse drops the one-to-many branch');
      torch.noGrad(() =>
        torch.tidy(() => {
          const [topk] = model.call(img) as DetectionPrediction84;
          checkTopk(topk, get(forward, 'eval_fused.topk'), 'fused top-k');
        }),
      );
      assert.throws(() => {
        model.head.end2end = false;
      }, /fused end-to-end head/);
    } finally {
      model.dispose();
    }
  });

  test('train: both branches (one-to-one on detached features) and BatchNorm running statistics', () => {
    const forward = fixtures.load('forward.safetensors').tensors;
    const img = get(fixtures.load('batch.safetensors').tensors, 'img');
    const model = fixtureModel();
    try {
      model.train();
      torch.noGrad(() =>
        torch.tidy(() => {
          const out = model.call(img) as EndToEndOutput;
          for (const branch of ['one2many', 'one2one'] as const) {
            within(out[branch].boxes, get(forward, `train.${branch}.boxes`), 1e-3, `train ${branch} boxes`);
            within(out[branch].scores, get(forward, `train.${branch}.scores`), 1e-3, `train ${branch} scores`);
          }
        }),
      );
      const state = model.stateDict();
      for (const layer of ['model.0.bn', 'model.10.m.0.attn.qkv.bn', 'model.22.m.0.1.attn.qkv.bn', 'model.23.one2one_cv3.0.0.0.bn']) {
        for (const stat of ['running_mean', 'running_var']) {
          within(get(state, `${layer}.${stat}`), get(forward, `bn_after_train_forward.${layer}.${stat}`), 1e-5, `${layer}.${stat}`);
        }
      }
    } finally {
      model.dispose();
    }
  });

  test('top-k on synthetic scores: max_det 20, agnostic, 100 (> anchors) identical', () => {
    const { tensors } = fixtures.load('topk.safetensors');
    const preds = get(tensors, 'preds');
    for (const [key, maxDet, agnostic] of [
      ['k20', 20, false],
      ['k20_agnostic', 20, true],
      ['k100', 100, false],
    ] as const) {
      torch.tidy(() => {
        const ours = topkDetections(preds, 5, maxDet, agnostic);
        const want = get(tensors, `${key}.out`);
        assert.deepEqual(ours.shape, want.shape, key);
        assert.ok(ours.eq(want).all().item(), `${key}: differs`);
      });
    }
  });

  test('loss and gradients through the model at epoch 0 and epoch 60', () => {
    const batchFile = fixtures.load('batch.safetensors').tensors;
    const expected = fixtures.load('loss.safetensors').tensors;
    const batch = {
      img: get(batchFile, 'img'),
      batchIdx: get(batchFile, 'batch_idx'),
      cls: get(batchFile, 'cls'),
      bboxes: get(batchFile, 'bboxes'),
    } as unknown as Batch;
    const model = fixtureModel();
    try {
      model.train();
      for (const p of model.parameters()) p.requiresGrad_(true);
      const criterion = model.initCriterion() as E2ELoss;
      model.criterion = criterion;
      for (const [prefix, updates] of [
        ['', 0],
        ['epoch60.', 60],
      ] as const) {
        criterion.setUpdates(updates);
        model.zeroGrad();
        // Train-mode forwards update BatchNorm statistics; the fixture ran each case on a fresh copy.
        const bnState = new Map([...model.stateDict()].filter(([k]) => k.includes('running_')).map(([k, v]) => [k, v.clone().keep()]));
        torch.tidy(() => {
          const [loss] = model.loss(batch);
          relWithin(loss.item(), get(expected, `${prefix}loss`).item(), 1e-4, `${prefix}loss`);
          loss.backward();
        });
        model.loadStateDict(bnState, { strict: false });
        torch.dispose([...bnState.values()]);
        const named = new Map(model.namedParameters());
        const gradNorm = Math.sqrt(
          [...named.values()].reduce((s, p) => s + (p.grad ? torch.tidy(() => p.grad?.pow(2).sum().item() ?? 0) : 0), 0),
        );
        relWithin(gradNorm, get(expected, `${prefix}grad_norm`).item(), 1e-3, `${prefix}grad_norm`);
        let worstGrad = 0;
        for (const key of expected.keys()) {
          if (!key.startsWith(`${prefix}grad.`)) continue;
          const name = key.slice(`${prefix}grad.`.length);
          const grad = named.get(name)?.grad;
          assert.ok(grad, `${name} has no gradient`);
          const want = get(expected, key);
          const err = torch.tidy(() => {
            const ref = want.norm().item();
            const d = grad.sub(want).norm().item();
            return ref > 1e-6 ? d / ref : d;
          });
          assert.ok(err <= 1e-3, `${prefix}${name}: gradient error ${err}`);
          worstGrad = Math.max(worstGrad, err);
        }
        console.log(`# ${prefix || 'epoch 0 '}named gradients: worst relative L2 error ${worstGrad.toExponential(2)} (tolerance 1e-3)`);
      }
    } finally {
      model.dispose();
    }
  });

  test("Ultralytics 8.4's best.pt (new classes, extra metadata) loads without executing anything and predicts as the fixture", () => {
    const forward = fixtures.load('forward.safetensors').tensors;
    const img = get(fixtures.load('batch.safetensors').tensors, 'img');
    const model = loadDetectionModel(`${fixtures.dir}model.pt`);
    try {
      assert.equal(model.family, 'yolo26');
      assert.equal(model.head.end2end, true);
      assert.equal(model.args?.epochs, 100);
      torch.noGrad(() =>
        torch.tidy(() => {
          const [topk] = model.call(img) as DetectionPrediction84;
          checkTopk(topk, get(forward, 'eval.topk'), '.pt eval top-k');
        }),
      );
    } finally {
      model.dispose();
    }
  });
});
