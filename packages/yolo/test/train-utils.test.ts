// The training loop's small pieces against the numbers of the spec: lr schedules, warmup ramp, EMA decay,
// early stopping, results.csv number formatting, optimizer parameter groups.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import * as torch from '@yolots/torch';
import { buildOptimizer } from '../src/engine/build-optimizer.js';
import { DetectionModel } from '../src/nn/tasks.js';
import { EarlyStopping } from '../src/utils/early-stopping.js';
import { ModelEMA } from '../src/utils/ema.js';
import { interp, lrLambda } from '../src/utils/lr.js';
import { appendResultsRow, formatG, readResultsCsv } from '../src/utils/results-csv.js';

describe('lr schedules', () => {
  test('linear goes from 1 to lrf, cosine follows one_cycle', () => {
    const linear = lrLambda(10, 0.01, false);
    assert.equal(linear(0), 1);
    assert.ok(Math.abs(linear(5) - 0.505) < 1e-12);
    assert.ok(Math.abs(linear(10) - 0.01) < 1e-12);
    const cosine = lrLambda(10, 0.01, true);
    assert.equal(cosine(0), 1);
    assert.ok(Math.abs(cosine(5) - 0.505) < 1e-12);
    assert.ok(Math.abs(cosine(10) - 0.01) < 1e-12);
    assert.ok(cosine(2) > linear(2), 'cosine stays higher early');
  });

  test('warmup interpolation is numpy interp on [0, nw], clamped', () => {
    assert.equal(interp(0, 100, 0.1, 0.01), 0.1);
    assert.ok(Math.abs(interp(50, 100, 0.1, 0.01) - 0.055) < 1e-12);
    assert.equal(interp(150, 100, 0.1, 0.01), 0.01);
  });
});

describe('ModelEMA', () => {
  test('decay ramps as 0.9999·(1 − e^(−u/2000)) and v = d·v + (1 − d)·w', () => {
    const model = new DetectionModel('yolov8n.yaml', { verbose: false });
    const ema = new ModelEMA(model);
    ema.updates = 999;
    const name = 'model.0.conv.weight';
    torch.noGrad(() => model.getModule('model')?.getModule('0')?.getModule('conv')?.getParameter('weight')?.fill_(1));
    const before = torch.tidy(() => (ema.state.get(name) as torch.Tensor).clone().keep());
    ema.update(model);
    const d = 0.9999 * (1 - Math.exp(-1000 / 2000));
    assert.ok(Math.abs(ema.currentDecay() - d) < 1e-12);
    assert.ok(Math.abs(d - 0.39) < 0.01, 'about 0.39 after 1000 updates');
    const expected = torch.tidy(() =>
      before
        .mul(d)
        .add(1 - d)
        .toArray(),
    );
    const actual = (ema.state.get(name) as torch.Tensor).toArray();
    expected.forEach((v, i) => assert.ok(Math.abs(v - actual[i]!) < 1e-6));
    before.dispose();
    ema.dispose();
    model.dispose();
  });
});

describe('EarlyStopping', () => {
  test('ties count as improvement; stops after `patience` epochs without one', () => {
    const stopper = new EarlyStopping(3);
    assert.equal(stopper.step(1, 0.5), false);
    assert.equal(stopper.step(2, 0.5), false);
    assert.equal(stopper.bestEpoch, 2, 'a tie moves the best epoch');
    assert.equal(stopper.step(3, 0.4), false);
    assert.equal(stopper.step(4, 0.4), false);
    assert.equal(stopper.possibleStop, true);
    assert.equal(stopper.step(5, 0.4), true);
    assert.equal(new EarlyStopping(0).step(1000, 0), false, 'patience 0 never stops');
    assert.equal(new EarlyStopping(3).step(1, null), false);
  });
});

describe('results.csv', () => {
  test('values are %.5g, fields right-aligned to 23 characters, rows appended', () => {
    assert.equal(formatG(0.000119), '0.000119');
    assert.equal(formatG(1.19e-6), '1.19e-06');
    assert.equal(formatG(3.44771234), '3.4477');
    assert.equal(formatG(123456.7), '1.2346e+05');
    assert.equal(formatG(0), '0');
    assert.equal(formatG(2), '2');
    const file = join(mkdtempSync(join(tmpdir(), 'yolots-csv-')), 'results.csv');
    appendResultsRow(file, 1, { 'train/box_loss': 3.44771234, 'lr/pg0': 0 });
    appendResultsRow(file, 2, { 'train/box_loss': 3.12, 'lr/pg0': 1.19e-6 });
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    assert.equal(lines[0], `${'epoch'.padStart(23)},${'train/box_loss'.padStart(23)},${'lr/pg0'.padStart(23)}`);
    assert.equal(lines[1], `${'1'.padStart(23)},${'3.4477'.padStart(23)},${'0'.padStart(23)}`);
    assert.deepEqual(readResultsCsv(file)['lr/pg0'], [0, 1.19e-6]);
  });
});

describe('buildOptimizer', () => {
  test("three groups (biases, decayed weights, norm weights) and Ultralytics' auto rule", (t) => {
    t.mock.method(console, 'log', () => {});
    const model = new DetectionModel('yolov8n.yaml', { verbose: false });
    const short = buildOptimizer(model, 'auto', 0.01, 0.937, 0.0005, 1000, 80);
    assert.equal(short.name, 'AdamW');
    assert.equal(short.lr, 0.000119);
    assert.equal(short.warmupBiasLr, 0);
    const groups = short.optimizer.paramGroups;
    assert.deepEqual(
      groups.map((g) => g.params.length),
      [63, 64, 57],
    );
    assert.deepEqual(
      groups.map((g) => g.weight_decay),
      [0, 0.0005, 0],
    );
    assert.equal(buildOptimizer(model, 'auto', 0.01, 0.937, 0.0005, 20000, 80).name, 'SGD');
    assert.throws(() => buildOptimizer(model, 'LBFGS'), /Optimizer 'LBFGS' not found/);
    model.dispose();
  });
});

describe('buildOptimizer, YOLO26 family (Ultralytics 8.4.104 rule)', () => {
  test('auto: AdamW with the dataset-nc lr up to 10000 iterations, MuSGD(lr 0.01) above; groups weight, bn, bias(, muon)', (t) => {
    const logs: string[] = [];
    t.mock.method(console, 'log', (line: string) => logs.push(line));
    const model = new DetectionModel('yolov8n.yaml', { verbose: false });
    const short = buildOptimizer(model, 'auto', 0.01, 0.937, 0.0005, 10000, 80, 'yolo26');
    assert.equal(short.name, 'AdamW');
    assert.equal(short.lr, 0.000119);
    assert.deepEqual(
      short.optimizer.paramGroups.map((g) => [g.param_group, g.params.length, g.weight_decay]),
      [
        ['weight', 64, 0.0005],
        ['bn', 57, 0],
        ['bias', 63, 0],
      ],
    );
    assert.equal(buildOptimizer(model, 'auto', 0.01, 0.937, 0.0005, 10000, 5, 'yolo26').lr, 0.001111);
    const long = buildOptimizer(model, 'auto', 0.01, 0.937, 0.0005, 10001, 80, 'yolo26');
    assert.equal(long.name, 'MuSGD');
    assert.ok(long.optimizer instanceof torch.optim.MuSGD);
    assert.equal(long.warmupBiasLr, 0);
    const groups = long.optimizer.paramGroups;
    assert.deepEqual(
      groups.map((g) => [g.param_group, g.lr, g.use_muon ?? false, g.nesterov]),
      [
        ['weight', 0.03, false, true],
        ['weight', 0.01, false, true],
        ['bn', 0.03, false, true],
        ['bn', 0.01, false, true],
        ['bias', 0.03, false, true],
        ['bias', 0.01, false, true],
        ['muon', 0.03, true, true],
        ['muon', 0.01, true, true],
      ],
    );
    // Every conv weight is a Muon matrix; no plain weights remain.
    assert.equal(groups[0]?.params.length, 0);
    assert.equal(groups[1]?.params.length, 0);
    assert.equal((groups[6]?.params.length ?? 0) + (groups[7]?.params.length ?? 0), 64);
    assert.ok(logs.some((l) => l.includes("ignoring 'lr0=0.01' and 'momentum=0.937'")));
    assert.ok(
      logs.some((l) =>
        l.includes('MuSGD(lr=0.01, momentum=0.9) with parameter groups 57 weight(decay=0.0), 64 weight(decay=0.0005), 63 bias(decay=0.0)'),
      ),
    );
    // The YOLOv8 family keeps 8.2's rule.
    assert.equal(buildOptimizer(model, 'auto', 0.01, 0.937, 0.0005, 10001, 80).name, 'SGD');
    model.dispose();
  });
});
