// The building blocks and DetectionModel's own behaviour: module shapes and state-dict names, BatchNorm fusion
// (exact up to float error), DFL, Detect's anchors and bias initialisation, initialize_weights, weight transfer.
import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { SiLU } from '../src/nn/modules/activation.js';
import { Bottleneck, C1, C2, C2f, C3, C3x, DFL, SPP, SPPF } from '../src/nn/modules/block.js';
import { autopad, Concat, Conv, ConvTranspose, DWConv, Focus } from '../src/nn/modules/conv.js';
import type { DetectionPrediction } from '../src/nn/modules/head.js';
import { DetectionModel } from '../src/nn/tasks.js';

const { nn } = torch;

/** Gives every BatchNorm non-trivial running statistics and affine parameters, so that fusing has work to do. */
function randomiseBatchNorms(module: torch.nn.Module<any, any>): void {
  torch.noGrad(() => {
    for (const m of module.modules()) {
      if (!(m instanceof nn.BatchNorm2d)) continue;
      (m.runningMean as Tensor).uniform_(-0.5, 0.5);
      (m.runningVar as Tensor).uniform_(0.5, 2);
      (m.weight as Tensor).uniform_(0.5, 1.5);
      (m.bias as Tensor).uniform_(-0.5, 0.5);
    }
  });
}

function maxRelDiff(a: Tensor, b: Tensor): number {
  return torch.tidy(() => a.sub(b).abs().max().item() / b.abs().max().item());
}

describe('modules', () => {
  test('output shapes and state-dict names follow Ultralytics', () => {
    const x = torch.rand([2, 16, 16, 16]);
    const dwconv = new DWConv(16, 32, 3);
    const c3x = new C3x(16, 32, 1);
    const cases: [torch.nn.Module<any, any>, number[], string[]][] = [
      [
        new Conv(16, 32, 3, 2),
        [2, 32, 8, 8],
        ['conv.weight', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked'],
      ],
      [dwconv, [2, 32, 16, 16], ['conv.weight']],
      [new ConvTranspose(16, 8), [2, 8, 32, 32], ['conv_transpose.weight', 'bn.weight']],
      [new Focus(16, 24, 3), [2, 24, 8, 8], ['conv.conv.weight']],
      [new Bottleneck(16, 16), [2, 16, 16, 16], ['cv1.conv.weight', 'cv2.conv.weight']],
      [new C1(16, 24, 2), [2, 24, 16, 16], ['cv1.conv.weight', 'm.0.conv.weight', 'm.1.conv.weight']],
      [new C2(16, 32, 1), [2, 32, 16, 16], ['cv1.conv.weight', 'cv2.conv.weight', 'm.0.cv1.conv.weight']],
      [new C2f(16, 32, 2, true), [2, 32, 16, 16], ['cv1.conv.weight', 'cv2.conv.weight', 'm.0.cv1.conv.weight', 'm.1.cv2.bn.bias']],
      [new C3(16, 32, 1), [2, 32, 16, 16], ['cv1.conv.weight', 'cv2.conv.weight', 'cv3.conv.weight', 'm.0.cv1.conv.weight']],
      [c3x, [2, 32, 16, 16], ['m.0.cv1.conv.weight']],
      [new SPP(16, 32), [2, 32, 16, 16], ['cv1.conv.weight', 'cv2.conv.weight']],
      [new SPPF(16, 32), [2, 32, 16, 16], ['cv1.conv.weight', 'cv2.conv.weight']],
    ];
    try {
      for (const [module, shape, names] of cases) {
        const y = torch.tidy(() => module.call(x) as Tensor);
        assert.deepEqual(y.shape, shape, module.constructor.name);
        y.dispose();
        const keys = [...module.stateDict().keys()];
        for (const name of names) assert.ok(keys.includes(name), `${module.constructor.name} has ${name} (has ${keys.join(', ')})`);
      }
      assert.equal(dwconv.conv.groups, 16, 'DWConv groups = gcd(c1, c2)');
      assert.deepEqual((c3x.m.at(0) as Bottleneck).cv1.conv.kernelSize, [1, 3], 'C3x cross kernels');
      assert.deepEqual(autopad([1, 3]), [0, 1]);
      assert.equal(autopad(3, null, 2), 2);
      const cat = torch.tidy(() => new Concat(1).call([x, x]));
      assert.deepEqual(cat.shape, [2, 32, 16, 16]);
      cat.dispose();
    } finally {
      x.dispose();
      for (const [module] of cases) module.dispose();
    }
  });

  test('Conv and ConvTranspose fuse their BatchNorm exactly (eval outputs agree to float error)', () => {
    const x = torch.rand([2, 8, 12, 12]);
    for (const module of [new Conv(8, 16, 3, 2), new DWConv(8, 16, 3), new ConvTranspose(8, 4, 2, 2)]) {
      randomiseBatchNorms(module);
      module.eval();
      const before = torch.noGrad(() => module.call(x));
      module.fuse();
      assert.ok(!module.modules().some((m) => m instanceof nn.BatchNorm2d), 'bn is gone from the tree');
      assert.ok(![...module.stateDict().keys()].some((k) => k.startsWith('bn.')), 'and from the state dict');
      const after = torch.noGrad(() => module.call(x));
      assert.ok(maxRelDiff(after, before) < 1e-5, `${module.constructor.name}: fused differs by ${maxRelDiff(after, before)}`);
      torch.dispose([before, after]);
      module.dispose();
    }
    x.dispose();
  });

  test('fused Conv, DWConv and C2f with shortcuts give the same values inside withPackedConvolutions', () => {
    const x = torch.rand([1, 16, 20, 20]).to({ memoryFormat: 'channels_last' });
    const fusedAdds = mock.method(nn.Conv2d.prototype, 'forwardFused');
    for (const module of [new Conv(16, 16, 3, 2), new DWConv(16, 16, 3), new C2f(16, 16, 2, true)]) {
      randomiseBatchNorms(module);
      module.eval();
      for (const m of module.modules()) if (m instanceof Conv) m.fuse();
      const plain = torch.noGrad(() => module.call(x));
      const packed = torch.noGrad(() => nn.withPackedConvolutions(() => module.call(x)));
      assert.ok(maxRelDiff(packed, plain) < 1e-5, `${module.constructor.name}: differs by ${maxRelDiff(packed, plain)}`);
      torch.dispose([plain, packed]);
      module.dispose();
    }
    // With oneDNN in the addon, each C2f Bottleneck's add ran inside its second convolution.
    const withResidual = fusedAdds.mock.calls.filter((c) => c.arguments[1].residual !== null && c.result !== null);
    assert.equal(withResidual.length, nn.dnnlConvAvailable() ? 2 : 0);
    fusedAdds.mock.restore();
    x.dispose();
  });

  test('DFL turns bin logits into the expected bin index with a frozen conv', () => {
    const dfl = new DFL(16);
    assert.equal(dfl.conv.weight.requiresGrad, false);
    // One-hot-ish logits at bin 3 for side 0, uniform for the others: expectations 3 and 7.5.
    const logits = torch.zeros([1, 64, 2]);
    logits.iSet([0, 3, ':'], 50);
    const y = torch.tidy(() => dfl.call(logits));
    assert.deepEqual(y.shape, [1, 4, 2]);
    const values = y.toArray();
    assert.ok(Math.abs(values[0]! - 3) < 1e-4);
    assert.ok(Math.abs(values[2]! - 7.5) < 1e-4);
    torch.dispose([logits, y]);
    dfl.dispose();
  });
});

describe('DetectionModel', () => {
  test('construction as Ultralytics: strides, bias_init, initialize_weights, the training-mode dry run, names, nc override', () => {
    const lines: string[] = [];
    const spy = mock.method(console, 'log', (m: string) => lines.push(m));
    let model: DetectionModel;
    try {
      model = new DetectionModel('yolov8n.yaml', { nc: 3 });
    } finally {
      spy.mock.restore();
    }
    try {
      assert.equal(lines[0], 'Overriding model.yaml nc=80 with nc=3');
      assert.match(lines.at(-2) as string, /^YOLOv8n summary: 225 layers, [\d,]+ parameters, [\d,]+ gradients, \d+\.\d GFLOPs$/);
      assert.deepEqual(model.stride, [8, 16, 32]);
      assert.deepEqual(model.head.stride, [8, 16, 32]);
      assert.equal(model.nc, 3);
      assert.deepEqual(model.names, { 0: '0', 1: '1', 2: '2' });
      const head = model.head;
      for (const [i, s] of [8, 16, 32].entries()) {
        const boxBias = (head.cv2.at(i).at(2) as torch.nn.Conv2d).bias as Tensor;
        const clsBias = (head.cv3.at(i).at(2) as torch.nn.Conv2d).bias as Tensor;
        assert.ok(boxBias.toArray().every((v) => v === 1));
        const want = Math.log(5 / 3 / (640 / s) ** 2);
        assert.ok(
          clsBias.toArray().every((v) => Math.abs(v - want) < 1e-5),
          `class bias at stride ${s}`,
        );
      }
      const bns = model.modules().filter((m): m is torch.nn.BatchNorm2d => m instanceof nn.BatchNorm2d);
      assert.ok(bns.every((bn) => bn.eps === 1e-3 && bn.momentum === 0.03));
      // The stride pass ran in training mode with PyTorch's default momentum 0.1 on zeros: running_var 1 → 0.9.
      const first = bns[0]!;
      assert.ok((first.runningVar as Tensor).toArray().every((v) => Math.abs(v - 0.9) < 1e-6));
      assert.equal(first.getBuffer('num_batches_tracked')?.item(), 1);
      assert.equal(Conv.defaultAct instanceof SiLU && Conv.defaultAct.inplace, true, 'activations in place');
      assert.equal(model.yaml.scale, 'n');
      assert.equal(model.yaml.ch, 3);
    } finally {
      model.dispose();
    }
  });

  test('eval output: xywh + scores over all anchors; anchors follow the input size and do not leak; export and embed', () => {
    const model = new DetectionModel('yolov8n.yaml', { verbose: false });
    try {
      model.eval();
      const warmUp = torch.rand([1, 3, 64, 64]);
      torch.noGrad(() => torch.tidy(() => void model.call(warmUp)));
      warmUp.dispose();
      const baseline = torch.liveTensors();
      for (const size of [64, 96, 64]) {
        const x = torch.rand([1, 3, size, size]);
        torch.noGrad(() =>
          torch.tidy(() => {
            const [pred, raw] = model.call(x) as DetectionPrediction;
            const anchors = [8, 16, 32].reduce((n, s) => n + (size / s) ** 2, 0);
            assert.deepEqual(pred.shape, [1, 84, anchors]);
            assert.equal(raw.length, 3);
            const scores = pred.narrow(1, 4, 80);
            assert.ok(scores.min().item() >= 0 && scores.max().item() <= 1, 'sigmoid scores');
            // The widths/heights are positive: DFL expectations of both sides, times the stride.
            assert.ok(pred.narrow(1, 2, 2).min().item() > 0);
          }),
        );
        x.dispose();
      }
      assert.equal(torch.liveTensors(), baseline, 'cached anchors are replaced, not accumulated');

      const x = torch.rand([2, 3, 64, 64]);
      torch.noGrad(() =>
        torch.tidy(() => {
          model.head.export = true;
          assert.deepEqual((model.call(x) as Tensor).shape, [2, 84, 84]);
          model.head.export = false;
          const embedded = model.predict(x, { embed: [9, 21] }) as Tensor[];
          assert.deepEqual(
            embedded.map((e) => e.shape),
            [[512], [512]],
          );
        }),
      );
      x.dispose();
    } finally {
      model.dispose();
    }
  });

  // Ultralytics logs the same count fine-tuning yolov8n.pt on a small dataset: the class branch is 64 wide, not 80.
  test('load() transfers the weights whose names and shapes match (a COCO model into 3 classes)', () => {
    const coco = new DetectionModel('yolov8n.yaml', { verbose: false });
    const small = new DetectionModel('yolov8n.yaml', { nc: 3, verbose: false });
    const lines: string[] = [];
    const spy = mock.method(console, 'log', (m: string) => lines.push(m));
    try {
      assert.equal(small.load(coco), 319);
      assert.deepEqual(lines, ['Transferred 319/355 items from pretrained weights']);
      const a = coco.stateDict().get('model.0.conv.weight') as Tensor;
      const b = small.stateDict().get('model.0.conv.weight') as Tensor;
      assert.ok(torch.allclose(a, b, 0, 0));
    } finally {
      spy.mock.restore();
      coco.dispose();
      small.dispose();
    }
  });
});
