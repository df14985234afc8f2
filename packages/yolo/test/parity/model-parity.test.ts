// DetectionModel against the real Ultralytics 8.2.103: its yolov8n weights load strictly under the same names,
// and the eval, fused-eval and train-mode outputs on its own validation batch match within 1e-4 relative.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import type { Batch } from '../../src/data/batch.js';
import type { DetectionPrediction } from '../../src/nn/modules/head.js';
import { DetectionModel } from '../../src/nn/tasks.js';
import { fixtureSet, get, relativeDiff } from './fixture-set.js';

const fixtures = fixtureSet('ultralytics');
const gate = fixtures.gate(['model.safetensors', 'forward.safetensors', 'batch.safetensors', 'loss.safetensors']);
const load = (name: string) => fixtures.load(name);

function assertClose(actual: Tensor, expected: Tensor, what: string): number {
  const rel = relativeDiff(actual, expected, what);
  assert.ok(rel <= 1e-4, `${what}: max abs diff is ${rel.toExponential(3)} of max |value| (> 1e-4)`);
  return rel;
}

describe('DetectionModel parity with Ultralytics 8.2.103 (yolov8n fixture weights)', gate, () => {
  test('weights load strictly; eval, train and fused outputs, loss() and gradients match; no tensors leak', () => {
    const baseline = torch.liveTensors();
    const weights = load('model.safetensors');
    const forward = load('forward.safetensors');
    const batchFile = load('batch.safetensors');
    const img = get(batchFile.tensors, 'img');
    const fixtureTensors = [...weights.tensors.values(), ...forward.tensors.values(), ...batchFile.tensors.values()];
    const model = new DetectionModel('yolov8n.yaml', { nc: 80, verbose: false });
    const afterLoad = torch.liveTensors();
    try {
      model.loadStateDict(weights.tensors, { strict: true });
      assert.deepEqual(model.stride, JSON.parse(weights.metadata.stride as string));
      const yamlOfCheckpoint = JSON.parse(weights.metadata.yaml as string);
      assert.deepEqual(
        model.yaml.backbone,
        yamlOfCheckpoint.backbone.map((row: unknown[]) => row),
      );

      model.eval();
      const evalDiff = torch.noGrad(() =>
        torch.tidy(() => {
          const [pred, raw] = model.call(img) as DetectionPrediction;
          assert.deepEqual(
            raw.map((r) => r.shape),
            [
              [2, 144, 40, 40],
              [2, 144, 20, 20],
              [2, 144, 10, 10],
            ],
          );
          return assertClose(pred, get(forward.tensors, 'eval'), 'eval');
        }),
      );

      // Train mode: BatchNorm normalises with batch statistics (and updates its running ones, so reload after).
      model.train();
      const trainDiffs = torch.noGrad(() =>
        torch.tidy(() => {
          const maps = model.call(img) as Tensor[];
          return ['train_p3', 'train_p4', 'train_p5'].map((key, i) => assertClose(maps[i]!, get(forward.tensors, key), key));
        }),
      );

      // loss(): lazily created criterion with the gains of `args`, on the train-mode maps of this batch.
      model.loadStateDict(weights.tensors);
      model.args = { ...(model.args ?? {}), box: 7.5, cls: 0.5, dfl: 1.5 } as NonNullable<DetectionModel['args']>;
      const batch: Batch = {
        img,
        batchIdx: get(batchFile.tensors, 'batch_idx'),
        cls: get(batchFile.tensors, 'cls'),
        bboxes: get(batchFile.tensors, 'bboxes'),
        imFile: [],
        oriShape: [],
        resizedShape: [],
        ratioPad: [],
      };
      const expectedLoss = load('loss.safetensors');
      fixtureTensors.push(...expectedLoss.tensors.values());
      torch.noGrad(() =>
        torch.tidy(() => {
          const [loss, items] = model.loss(batch);
          const want = get(expectedLoss.tensors, 'loss').item();
          assert.ok(Math.abs(loss.item() - want) / want <= 1e-4, `loss ${loss.item()} vs ${want}`);
          assertClose(items, get(expectedLoss.tensors, 'loss_items'), 'loss items');
        }),
      );
      assert.ok(model.criterion, 'criterion is kept after the first loss() call');

      // Backward through the whole model (in-place activations included) gives Ultralytics' gradients.
      model.loadStateDict(weights.tensors);
      model.zeroGrad();
      torch.tidy(() => model.loss(batch)[0].sum().backward());
      torch.tidy(() => {
        const params = model.stateDict();
        const grads = model.parameters().flatMap((p) => p.grad ?? []);
        const gradNorm = Math.sqrt(grads.reduce((sum, g) => sum + g.pow(2).sum().item(), 0));
        const wantNorm = get(expectedLoss.tensors, 'grad_norm').item();
        assert.ok(Math.abs(gradNorm - wantNorm) / wantNorm <= 1e-3, `gradient norm ${gradNorm} vs ${wantNorm}`);
        for (const name of ['model.0.conv.weight', 'model.22.cv3.2.2.weight', 'model.22.cv2.0.2.bias']) {
          const grad = (params.get(name) as Tensor).grad as Tensor;
          const rel = relativeDiff(grad, get(expectedLoss.tensors, `grad.${name}`), `grad of ${name}`);
          assert.ok(rel <= 1e-3, `grad of ${name}: max abs diff is ${rel.toExponential(3)} of max |value| (> 1e-3)`);
        }
      });
      model.zeroGrad();

      model.loadStateDict(weights.tensors);
      model.eval();
      model.fuse(false);
      assert.equal(model.isFused(), true);
      assert.ok(![...model.stateDict().keys()].some((k) => k.includes('.bn.')), 'fused model has no BatchNorm tensors');
      const fusedDiff = torch.noGrad(() =>
        torch.tidy(() => {
          const [pred] = model.call(img) as DetectionPrediction;
          return assertClose(pred, get(forward.tensors, 'eval_fused'), 'eval_fused');
        }),
      );
      console.log(
        `# max |diff| / max |value|: eval ${evalDiff.toExponential(2)}, fused ${fusedDiff.toExponential(2)}, ` +
          `train ${trainDiffs.map((d) => d.toExponential(2)).join(' / ')}`,
      );
      // Fusing replaced tensors: fewer live handles than right after building, none gained by the forwards.
      assert.ok(torch.liveTensors() <= afterLoad, `live tensors ${torch.liveTensors()} > ${afterLoad} after the forwards`);
    } finally {
      model.dispose();
      torch.dispose(fixtureTensors);
    }
    assert.equal(torch.liveTensors(), baseline, 'every tensor is freed with the model');
  });
});
