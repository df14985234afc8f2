// ClassificationModel against the real Ultralytics 8.2.103 (fixtures/ultralytics-classify, README §1, §3, §4, §8): the
// yolov8n-cls weights load strictly (safetensors and the pickled .pt); eval, fused and train outputs and BatchNorm
// statistics; the cross-entropy loss and its gradients; the layer tables and model.info() counts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { loadClassificationModel } from '../../src/models/yolo/classify/load.js';
import { ClassificationModel } from '../../src/nn/classification-model.js';
import { captureLog } from '../helpers/capture-log.js';
import { asUltralyticsRow } from '../helpers/ultralytics-table.js';
import { CLASSIFY_FIXTURES, fixtureGate, get, loadFixture, maxAbsDiff, readFixtureJson } from './classify-fixtures.js';

const gate = fixtureGate(['model.safetensors', 'model.pt', 'forward.safetensors', 'transforms.safetensors', 'loss.safetensors']);

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

/** The fixture model in float32 from model.safetensors. */
function fixtureModel(): ClassificationModel {
  const weights = loadFixture('model.safetensors');
  const model = new ClassificationModel('yolov8n-cls.yaml', { nc: 4, verbose: false });
  model.loadStateDict(weights.tensors, { strict: true });
  torch.dispose([...weights.tensors.values()]);
  return model;
}

describe('ClassificationModel parity with Ultralytics 8.2.103 (yolov8n-cls fixture weights)', gate, () => {
  test('BatchNorm keeps PyTorch defaults; eval, fused and train outputs; running statistics (momentum 0.1)', () => {
    const model = fixtureModel();
    const forward = loadFixture('forward.safetensors').tensors;
    const img = get(loadFixture('transforms.safetensors').tensors, 'val_img');
    const bn = model.model.at(0) as unknown as { bn: torch.nn.BatchNorm2d };
    assert.equal(bn.bn.eps, 1e-5);
    assert.equal(bn.bn.momentum, 0.1);
    assert.deepEqual(model.stride, [1]);
    model.eval();
    torch.noGrad(() =>
      torch.tidy(() => {
        within(model.call(img), get(forward, 'eval_probs'), 1e-5, 'eval probs');
        model.train();
        within(model.call(img), get(forward, 'train_logits'), 1e-4, 'train logits');
        for (const layer of ['model.0.bn', 'model.9.conv.bn']) {
          const state = model.stateDict();
          for (const stat of ['running_mean', 'running_var'])
            within(
              state.get(`${layer}.${stat}`) as Tensor,
              get(forward, `bn_after_train_forward.${layer}.${stat}`),
              1e-5,
              `${layer}.${stat}`,
            );
        }
      }),
    );
    const fused = fixtureModel();
    fused.eval();
    captureLog(() => fused.fuse());
    assert.ok(fused.isFused());
    torch.noGrad(() => torch.tidy(() => within(fused.call(img), get(forward, 'eval_fused_probs'), 1e-5, 'fused eval probs')));
  });

  test('the pickled model.pt (torchvision transforms, getattr) loads to the same weights, names and eval output', () => {
    const model = loadClassificationModel(`${CLASSIFY_FIXTURES}model.pt`);
    assert.deepEqual(model.names, { 0: 'circle', 1: 'cross', 2: 'square', 3: 'triangle' });
    assert.equal(model.training, false);
    const forward = loadFixture('forward.safetensors').tensors;
    const img = get(loadFixture('transforms.safetensors').tensors, 'val_img');
    // model.pt holds the EMA in float16: its outputs differ from the float32 copy by the float16 rounding only.
    torch.noGrad(() => torch.tidy(() => within(model.call(img), get(forward, 'eval_probs'), 1e-5, '.pt eval probs')));
  });

  test('cross-entropy loss, val-style loss and gradients', () => {
    const model = fixtureModel();
    const fixture = loadFixture('loss.safetensors').tensors;
    const json = readFixtureJson<{ loss: number; grad_norm: number; val_style_loss: number }>('loss.json');
    const transforms = loadFixture('transforms.safetensors').tensors;
    const img = get(transforms, 'val_img');
    const cls = get(transforms, 'val_cls');
    model.train();
    const [loss, items] = model.loss({ img, cls });
    relWithin(loss.item(), json.loss, 1e-5, 'loss');
    relWithin(items.item(), json.loss, 1e-5, 'loss_items');
    loss.backward();
    const grads = new Map([...model.namedParameters()].map(([name, p]) => [name, p.grad as Tensor]));
    const norm = Math.sqrt([...grads.values()].reduce((s, g) => s + torch.tidy(() => g.pow(2).sum().item()), 0));
    relWithin(norm, json.grad_norm, 1e-3, 'grad norm');
    for (const key of [...fixture.keys()].filter((k) => k.startsWith('grad.'))) {
      const expected = get(fixture, key);
      const actual = grads.get(key.slice(5)) as Tensor;
      const rel = torch.tidy(() => actual.sub(expected).norm().item() / expected.norm().item());
      assert.ok(rel <= 1e-3, `${key}: relative ${rel}`);
    }
    // A fresh copy: the training forward above moved the BatchNorm running statistics.
    const evalModel = fixtureModel().eval();
    const valStyle = torch.noGrad(() => torch.tidy(() => evalModel.loss({ img, cls }, evalModel.call(img))[0].item()));
    relWithin(valStyle, json.val_style_loss, 1e-5, 'val-style loss (CE of the softmax output)');
  });

  test('layer tables and model.info() counts: YOLOv8 (8.2.103) and YOLO11 (8.3.28), n and s, nc 1000/80 and 4', () => {
    type Counts = { unfused: Record<string, number>; fused: Record<string, number> };
    const info = readFixtureJson<Record<string, Counts> & { 'yolo11 (Ultralytics 8.3.28)': Record<string, Counts> }>('model_info.json');
    const names = [
      'yolov8n-cls',
      'yolov8n-cls_nc4',
      'yolov8s-cls',
      'yolov8s-cls_nc4',
      'yolo11n-cls',
      'yolo11n-cls_nc4',
      'yolo11s-cls',
      'yolo11s-cls_nc4',
    ];
    for (const name of names) {
      const [file, nc] = name.endsWith('_nc4') ? [`${name.slice(0, -4)}.yaml`, 4] : [`${name}.yaml`, undefined];
      const expected = readFileSync(`${CLASSIFY_FIXTURES}layers_${name}.txt`, 'utf8').trimEnd().split('\n');
      let model: ClassificationModel | null = null;
      const lines = captureLog(() => {
        model = new ClassificationModel(file, { nc, verbose: true });
        (model as ClassificationModel).fuse();
      });
      const printed = lines
        .join('\n')
        .split('\n')
        .map((l) => asUltralyticsRow(l).trimEnd())
        .filter((l) => l !== '');
      assert.deepEqual(
        printed,
        expected.map((l) => l.trimEnd()).filter((l) => l !== ''),
        name,
      );
      const m = model as unknown as ClassificationModel;
      const entry = (name.startsWith('yolo11') ? info['yolo11 (Ultralytics 8.3.28)'][name] : info[name]) as Counts;
      for (const size of [64, 224, 640]) {
        const fused = m.info({ verbose: false, imgsz: size });
        assert.equal(fused.parameters, entry.fused.parameters);
        assert.equal(fused.layers, entry.fused.layers);
        assert.ok(Math.abs(fused.gflops - (entry.fused[`gflops_${size}`] as number)) < 1e-9, `${name} fused GFLOPs at ${size}`);
      }
    }
  });
});
