// YOLO11 beyond the network (fixtures/ultralytics-yolo11, README §1, §4): the 8.3.28 `.pt` loads through the pickle
// reader and predicts as the fixture; yolots checkpoints record the family and reload from their own metadata;
// optimizer=auto follows 8.3's rule with its log lines; results.csv has 8.3's columns and layout.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as torch from '@yolots/torch';
import { defaultCfg } from '../../src/cfg/config.js';
import { buildOptimizer } from '../../src/engine/build-optimizer.js';
import { checkActivations, loadDetectionModel, readWeightsFile } from '../../src/models/yolo/detect/load.js';
import { YOLO } from '../../src/models/yolo/model.js';
import { modelFamily } from '../../src/nn/family.js';
import type { DetectionPrediction } from '../../src/nn/modules/head.js';
import { DetectionModel } from '../../src/nn/tasks.js';
import { CHECKPOINT_FORMAT, modelMeta, readCheckpointMeta, saveCheckpoint } from '../../src/utils/checkpoint.js';
import { appendResultsRow, readResultsCsv, resultsCsvStyle } from '../../src/utils/results-csv.js';
import { captureLog } from '../helpers/capture-log.js';
import { requireShared, sharedPath } from '../helpers/shared.js';
import { checkDecoded, fixtureSet, get } from './fixture-set.js';

const fixtures = fixtureSet('ultralytics-yolo11');
const gate = fixtures.gate(['model.pt', 'model.safetensors', 'forward.safetensors', 'batch.safetensors', 'optimizer.json']);
const dir = mkdtempSync(join(tmpdir(), 'yolots-yolo11-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The eval output of `model` on the fixture batch, boxes within 2e-3 px and scores within 1e-4 relative + 1e-9. */
function checkEvalOutput(model: DetectionModel, what: string): void {
  const forward = fixtures.load('forward.safetensors');
  const batch = fixtures.load('batch.safetensors');
  try {
    torch.noGrad(() =>
      torch.tidy(() => {
        const [pred] = model.call(get(batch.tensors, 'img')) as DetectionPrediction;
        checkDecoded(pred, get(forward.tensors, 'eval'), 2e-3, what);
      }),
    );
  } finally {
    torch.dispose([...forward.tensors.values(), ...batch.tensors.values()]);
  }
}

describe('YOLO11 weights, optimizer=auto and results.csv (Ultralytics 8.3.28)', gate, () => {
  test('the 8.3.28 best.pt loads with the pickle reader: names, family, training arguments, eval output', () => {
    const model = loadDetectionModel(`${fixtures.dir}model.pt`);
    try {
      assert.equal(model.family, 'yolo11');
      assert.equal(model.nc, 80);
      assert.equal(model.names[0], 'person');
      assert.equal(model.args?.optimizer, 'AdamW');
      assert.equal(model.args?.lr0, 0.002);
      assert.ok(!model.training, 'loaded in eval mode');
      checkEvalOutput(model, '.pt eval');
    } finally {
      model.dispose();
    }
  });

  test("a checkpoint whose activations differ from the rebuilt model's (8.4's SPPF) is refused, naming the module", () => {
    const { activations, weights } = readWeightsFile(`${fixtures.dir}model.pt`);
    torch.dispose([...weights.values()]);
    assert.ok(activations);
    assert.equal(activations.get('model.9.cv1.act'), 'torch.nn.modules.activation.SiLU');
    assert.equal(activations.get('model.10.m.0.attn.qkv.act'), 'torch.nn.modules.linear.Identity');
    const model = new DetectionModel('yolo11n.yaml', { verbose: false });
    try {
      checkActivations(model, activations, 'yolo11n.pt');
      // Ultralytics 8.4 builds yolo11.yaml's SPPF with an activation-less cv1.
      activations.set('model.9.cv1.act', 'torch.nn.modules.linear.Identity');
      assert.throws(
        () => checkActivations(model, activations, 'yolo11n.pt (Ultralytics 8.4.0)'),
        /yolo11n\.pt \(Ultralytics 8\.4\.0\): model\.9\.cv1\.act is Identity in the checkpoint but SiLU in the model yolots builds/,
      );
    } finally {
      model.dispose();
    }
  });

  test('a yolots checkpoint records the family and reloads from its metadata alone', () => {
    const weights = fixtures.load('model.safetensors');
    // A dict without yaml_file: only the recorded family says what it is.
    const yaml = JSON.parse(weights.metadata.yaml as string) as Record<string, unknown>;
    delete yaml.yaml_file;
    const model = new DetectionModel(yaml, { verbose: false });
    const file = join(dir, 'yolo11.safetensors');
    try {
      model.loadStateDict(weights.tensors, { strict: true });
      assert.equal(model.family, 'yolo11', 'a YAML using C3k2 is a YOLO11');
      model.family = 'yolo11';
      saveCheckpoint(file, {
        meta: {
          format: CHECKPOINT_FORMAT,
          version: '0.0.0-test',
          date: '2026-01-01T00:00:00.000Z',
          epoch: -1,
          best_fitness: null,
          ema_updates: 0,
          train_args: defaultCfg() as unknown as Record<string, unknown>,
          train_metrics: {},
          model: modelMeta(model, 'detect'),
        },
        model: model.stateDict(),
        ema: null,
        optimizer: null,
      });
      assert.equal(readCheckpointMeta(file).model.family, 'yolo11');
    } finally {
      model.dispose();
      torch.dispose([...weights.tensors.values()]);
    }
    const reloaded = loadDetectionModel(file);
    try {
      assert.equal(reloaded.family, 'yolo11');
      checkEvalOutput(reloaded, 'reloaded checkpoint eval');
    } finally {
      reloaded.dispose();
    }
  });

  const coco8 = sharedPath('datasets/coco8.yaml');
  test('fine-tuning from the 8.3 .pt: the run writes 8.3 results.csv columns and checkpoints that record the family', {
    ...requireShared([coco8], 'fine-tuning YOLO11 on coco8'),
  }, async () => {
    const pt = join(dir, 'yolo11n.pt');
    copyFileSync(`${fixtures.dir}model.pt`, pt);
    const model = new YOLO(pt);
    try {
      const args = { data: coco8, epochs: 1, imgsz: 64, batch: 4, plots: false, verbose: false, workers: 0 };
      await model.train({ ...args, project: dir, name: 'finetune' });
      const runDir = join(dir, 'finetune');
      const header = readFileSync(join(runDir, 'results.csv'), 'utf8').split('\n')[0];
      assert.match(String(header), /^epoch,time,train\/box_loss,train\/cls_loss,train\/dfl_loss,metrics\/precision\(B\),/);
      const best = join(runDir, 'weights', 'best.safetensors');
      assert.equal(readCheckpointMeta(best).model.family, 'yolo11');
      const reloaded = loadDetectionModel(best);
      assert.equal(reloaded.family, 'yolo11');
      reloaded.dispose();
    } finally {
      await model.dispose();
    }
  });

  test("optimizer=auto: 8.3's rule, groups and log lines for 10000 and 10001 iterations", () => {
    type Case = {
      model_nc: number;
      iterations: number;
      optimizer: string;
      lr: number;
      momentum_or_beta1: number;
      warmup_bias_lr_after: number;
      log: string[];
      groups: { n_params: number; weight_decay: number; lr: number }[];
    };
    const cases = fixtures.json<{ optimizer_auto: Case[] }>('optimizer.json').optimizer_auto;
    const model = new DetectionModel('yolo11n.yaml', { verbose: false });
    try {
      assert.equal(model.family, 'yolo11');
      for (const c of cases) {
        let built: ReturnType<typeof buildOptimizer> | null = null;
        const log = captureLog(() => {
          built = buildOptimizer(model, 'auto', 0.01, 0.937, 0.0005, c.iterations, c.model_nc, model.family);
        });
        const b = built as unknown as ReturnType<typeof buildOptimizer>;
        assert.equal(b.name, c.optimizer);
        assert.equal(b.lr, c.lr);
        assert.equal(b.momentum, c.momentum_or_beta1);
        assert.equal(b.warmupBiasLr, c.warmup_bias_lr_after);
        assert.deepEqual(log.join('\n').split('\n'), c.log);
        assert.deepEqual(
          b.optimizer.paramGroups.map((g) => [g.params.length, g.weight_decay ?? 0, g.lr]),
          c.groups.map((g) => [g.n_params, g.weight_decay, g.lr]),
        );
      }
    } finally {
      model.dispose();
    }
  });

  test("results.csv: the columns of 8.3.28's train_results, unpadded %.6g with a time column", () => {
    const pt = torch.io.loadPt(`${fixtures.dir}model.pt`) as Map<string, unknown>;
    const columns = [...(pt.get('train_results') as Map<string, unknown>).keys()] as string[];
    assert.equal(resultsCsvStyle('yolo11'), '8.3');
    assert.equal(resultsCsvStyle('yolov8'), '8.2');
    assert.equal(modelFamily({ yaml_file: 'yolo11s-seg.yaml' }), 'yolo11');
    const file = join(dir, 'results.csv');
    const row = Object.fromEntries(columns.slice(2).map((k, i) => [k, 1 / (i + 3)]));
    appendResultsRow(file, 1, row, { style: '8.3', time: 0.8403681 });
    appendResultsRow(file, 2, row, { style: '8.3', time: 1.78065 });
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    assert.equal(lines[0], columns.join(','));
    assert.equal(lines[1]?.slice(0, 32), '1,0.840368,0.333333,0.25,0.2,0.1');
    assert.deepEqual(Object.keys(readResultsCsv(file)), columns);
    assert.deepEqual(readResultsCsv(file).time, [0.840368, 1.78065]);
  });
});
