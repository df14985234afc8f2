// Model YAMLs and parseModel: scale resolution from file names, Ultralytics' scaling rules and layer table,
// the built-in YOLOv8/YOLOv5u/YOLOv3u files, the open module registry and its errors.
import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { Conv } from '../src/nn/modules/conv.js';
import type { Detect, DetectionPrediction } from '../src/nn/modules/head.js';
import { type ModelYaml, makeDivisible, parseModel } from '../src/nn/parse-model.js';
import { NOT_A_LITERAL, pythonLiteral, pythonRepr, pythonRound } from '../src/nn/python-format.js';
import { registeredModuleNames, registerModule, resolveModule } from '../src/nn/registry.js';
import { DetectionModel } from '../src/nn/tasks.js';
import { guessModelScale, yamlModelLoad } from '../src/nn/yaml-model.js';
import { captureLog } from './helpers/capture-log.js';
import { asUltralyticsRow } from './helpers/ultralytics-table.js';

const { nn } = torch;

/** A small detector YAML around `backbone` rows (a P3/P4/P5 pyramid must come out of layers 2, 3 and 4). */
function tinyDetector(backbone: ModelYaml['backbone'], extra: Partial<ModelYaml> = {}): ModelYaml {
  return {
    nc: 3,
    depth_multiple: 1.0,
    width_multiple: 1.0,
    backbone,
    head: [[[2, 3, 4], 1, 'Detect', ['nc']]],
    yaml_file: 'tiny.yaml',
    ...extra,
  };
}

describe('Python semantics parseModel relies on', () => {
  test('round() ties to even, make_divisible rounds up, literal_eval of YAML strings', () => {
    assert.deepEqual([0.99, 1.98, 2.5, 3.5, 4.02, 1.5].map(pythonRound), [1, 2, 2, 4, 4, 2]);
    assert.equal(makeDivisible(64 * 0.25, 8), 16);
    assert.equal(makeDivisible(1024 * 0.75, 8), 768);
    assert.equal(makeDivisible(20, 8), 24);
    assert.equal(pythonLiteral('None'), null);
    assert.equal(pythonLiteral('True'), true);
    assert.equal(pythonLiteral('1e-3'), 0.001);
    assert.deepEqual(pythonLiteral('(5, 9, 13)'), [5, 9, 13]);
    assert.equal(pythonLiteral("'nearest'"), 'nearest');
    assert.equal(pythonLiteral('nearest'), NOT_A_LITERAL);
    assert.equal(pythonRepr([null, 2, 'nearest', true, [64, 128]]), "[None, 2, 'nearest', True, [64, 128]]");
  });
});

describe('model YAML resolution (yaml_model_load)', () => {
  test('the scale letter comes from the file name; the unified file is read', () => {
    assert.equal(guessModelScale('yolov8n.yaml'), 'n');
    assert.equal(guessModelScale('path/to/yolov5su.yaml'), 's');
    assert.equal(guessModelScale('yolov3u.yaml'), '');
    const x = yamlModelLoad('yolov8x.yaml');
    assert.equal(x.scale, 'x');
    assert.equal(x.yaml_file, 'yolov8x.yaml');
    assert.deepEqual(x.scales?.x, [1.0, 1.25, 512]);
    assert.deepEqual(x.backbone[2], [-1, 3, 'C2f', [128, true]]);
    assert.deepEqual(x.head[0], [-1, 1, 'nn.Upsample', ['None', 2, 'nearest']]);
    const v5 = yamlModelLoad('yolov5nu.yaml');
    assert.equal(v5.scale, 'n');
    assert.equal(v5.backbone[2]?.[2], 'C3');
    const v3 = yamlModelLoad('yolov3u.yaml');
    assert.equal(v3.scale, '');
    assert.equal(v3.width_multiple, 1.0);
  });

  test('a missing model names the file and lists the built-in ones', () => {
    assert.throws(
      () => yamlModelLoad('yolov99z.yaml'),
      (e: Error) => /yolov99z\.yaml' not found/.test(e.message) && /yolov8n\.yaml/.test(e.message) && /yolov5\.yaml/.test(e.message),
    );
  });

  test('no scale in the name takes the first scale, with a warning', () => {
    const warnings: string[] = [];
    const spy = mock.method(console, 'warn', (m: string) => warnings.push(m));
    try {
      const d = yamlModelLoad('yolov8.yaml');
      const { layers } = parseModel(d, 3, false);
      assert.equal((layers[0] as unknown as Conv).conv.outChannels, 16, 'scale n: 64 × 0.25');
      torch.dispose(layers.flatMap((l) => [...l.parameters(), ...l.buffers()]));
    } finally {
      spy.mock.restore();
    }
    assert.deepEqual(warnings, ["WARNING ⚠️ no model scale passed. Assuming scale='n'."]);
  });
});

describe('parseModel (Ultralytics rules)', () => {
  test('yolov8n: the layer table Ultralytics prints, savelist, channels, repeats and layer attributes', () => {
    let built: ReturnType<typeof parseModel> | undefined;
    const lines = captureLog(() => {
      built = parseModel(yamlModelLoad('yolov8n.yaml'), 3, true);
    });
    const { layers, save } = built as ReturnType<typeof parseModel>;
    try {
      assert.equal(
        lines[0],
        `\n${''.padStart(3)}${'from'.padStart(20)}${'n'.padStart(3)}${'params'.padStart(10)}  ${'module'.padEnd(45)}${'arguments'.padEnd(30)}`,
      );
      assert.equal(
        lines[1],
        '  0                  -1  1       464  yolots.nn.modules.conv.Conv                  [3, 16, 3, 2]                 ',
      );
      assert.equal(
        lines[5],
        '  4                  -1  2     49664  yolots.nn.modules.block.C2f                  [64, 64, 2, True]             ',
      );
      assert.equal(
        lines[11],
        " 10                  -1  1         0  yolots.nn.modules.layers.Upsample            [None, 2, 'nearest']          ",
      );
      assert.equal(
        lines[12],
        ' 11             [-1, 6]  1         0  yolots.nn.modules.conv.Concat                [1]                           ',
      );
      assert.equal(
        lines[23],
        ' 22        [15, 18, 21]  1    897664  yolots.nn.modules.head.Detect                [80, [64, 128, 256]]          ',
      );
      // The parity tests' mapping to Ultralytics' spelling (test/helpers/ultralytics-table.ts) keeps the columns.
      assert.equal(
        asUltralyticsRow(lines[11]!),
        " 10                  -1  1         0  torch.nn.modules.upsampling.Upsample         [None, 2, 'nearest']          ",
      );
      assert.equal(
        asUltralyticsRow(lines[23]!),
        ' 22        [15, 18, 21]  1    897664  ultralytics.nn.modules.head.Detect           [80, [64, 128, 256]]          ',
      );
      assert.deepEqual(save, [4, 6, 9, 12, 15, 18, 21]);
      const head = layers[22] as unknown as Detect & { f: number[]; i: number; np: number };
      assert.deepEqual([head.i, head.f, head.np], [22, [15, 18, 21], 897664]);
      assert.equal(layers.length, 23);
    } finally {
      torch.dispose(layers.flatMap((l) => [...l.parameters(), ...l.buffers()]));
    }
  });

  test('legacy depth_multiple/width_multiple scale repeats (round half even) and channels; repeats of plain modules are wrapped in a Sequential', () => {
    const d = tinyDetector(
      [
        [-1, 1, 'Conv', [64, 3, 2]],
        [-1, 3, 'Bottleneck', [64]],
        [-1, 1, 'Conv', [128, 3, 2]],
        [-1, 1, 'Conv', [256, 3, 2]],
        [-1, 6, 'C3', [256]],
      ],
      { depth_multiple: 0.5, width_multiple: 0.5 },
    );
    const { layers } = parseModel(d, 3, false);
    try {
      assert.ok(layers[1] instanceof nn.Sequential, '3 × 0.5 = 1.5 rounds to 2 copies');
      assert.equal((layers[1] as torch.nn.Sequential).length, 2);
      assert.equal((layers[0] as unknown as Conv).conv.outChannels, 32);
      const c3 = layers[4] as unknown as { m: torch.nn.Sequential; cv3: Conv };
      assert.equal(c3.m.length, 3, 'C3 gets round(6 × 0.5) = 3 repeats inside');
      assert.equal(c3.cv3.conv.outChannels, 128);
    } finally {
      torch.dispose(layers.flatMap((l) => [...l.parameters(), ...l.buffers()]));
    }
  });

  test("a YAML's activation replaces Conv's default for that model only, shared by all its Convs", () => {
    const model = new DetectionModel(
      tinyDetector(
        [
          [-1, 1, 'Conv', [8, 3, 2]],
          [-1, 1, 'Conv', [16, 3, 2]],
          [-1, 1, 'Conv', [16, 3, 2]],
          [-1, 1, 'Conv', [16, 3, 2]],
          [-1, 1, 'Conv', [16, 3, 2]],
        ],
        { activation: 'nn.LeakyReLU(0.1)' },
      ),
      { verbose: false },
    );
    try {
      const convs = model.modules().filter((m): m is Conv => m instanceof Conv);
      assert.equal(new Set(convs.map((c) => c.act)).size, 1);
      assert.equal(convs[0]?.act.constructor.name, 'LeakyReLU');
      assert.equal(Conv.defaultAct.constructor.name, 'SiLU', 'the class default is untouched');
    } finally {
      model.dispose();
    }
  });

  test('malformed rows and bad activations are errors naming the file and row', () => {
    const bad = tinyDetector([
      [-1, 1, 'Conv', [8, 3, 2]],
      [-1, 'x' as unknown as number, 'Conv', [16]],
    ]);
    assert.throws(() => parseModel(bad, 3, false), /tiny\.yaml backbone\[1\] \(layer 1\): expected \[from, repeats, module, args\]/);
    const badFrom = tinyDetector([
      [-1, 1, 'Conv', [8, 3, 2]],
      [7, 1, 'Conv', [16]],
    ]);
    assert.throws(() => parseModel(badFrom, 3, false), /backbone\[1\] \(layer 1\): 'from' 7 points at no earlier layer/);
    assert.throws(
      () => parseModel(tinyDetector([], { activation: 'nn.Swishy()' }), 3, false),
      /activation: nn\.Swishy\(\)' is not supported/,
    );
  });
});

describe('module registry', () => {
  test('an unknown module is an Error listing the known names and how to register one', () => {
    const d = tinyDetector([
      [-1, 1, 'Conv', [8, 3, 2]],
      [-1, 1, 'NotABlock', [16]],
    ]);
    assert.throws(
      () => new DetectionModel(d, { verbose: false }),
      (e: Error) =>
        e.message.includes("tiny.yaml backbone[1] (layer 1): unknown module 'NotABlock'") &&
        e.message.includes('Known modules: Attention, Bottleneck, C1, C2, C2PSA, C2f, C3, C3k, C3k2, C3x, Classify, Concat, Conv') &&
        e.message.includes("registerModule('NotABlock'"),
    );
  });

  test("the layer table's module column names the file and class of each built-in module", async () => {
    // yolots.nn.modules.<file>.<Class>: the class exported by src/nn/modules/<file>.ts; torch.nn.<Class>: @yolots/torch's.
    const checked: string[] = [];
    for (const name of registeredModuleNames()) {
      const { type, create } = resolveModule(name, 'test');
      const own = /^yolots\.nn\.modules\.([\w-]+)\.(\w+)$/.exec(type);
      const fromTorch = /^torch\.nn\.(\w+)$/.exec(type);
      if (!own && !fromTorch) {
        assert.equal(type, name, `'${name}' is registered by a test here: its own name, not a module path`);
        continue;
      }
      const exported = own
        ? ((await import(`../src/nn/modules/${own[1]}.js`)) as Record<string, unknown>)[own[2]!]
        : (nn as unknown as Record<string, unknown>)[fromTorch![1]!];
      assert.equal(exported, create, `${name}: '${type}' is not where its class is`);
      checked.push(name);
    }
    assert.ok(checked.includes('C3k2') && checked.includes('nn.MaxPool2d') && checked.length >= 25, checked.join(', '));
  });

  test('a registered custom module is built from a YAML, sized by its channel rule, and trains', () => {
    /** A residual 3×3 Conv pair that changes width: c1 → c2. */
    class WideResidual extends nn.Module {
      a: Conv;
      b: Conv;
      skip: Conv;
      constructor(c1: number, c2: number) {
        super();
        this.a = this.registerModule('a', new Conv(c1, c2, 3));
        this.b = this.registerModule('b', new Conv(c2, c2, 3));
        this.skip = this.registerModule('skip', new Conv(c1, c2, 1, 1, null, 1, 1, false));
      }
      forward(x: Tensor): Tensor {
        return this.b.call(this.a.call(x)).add(this.skip.call(x));
      }
    }
    /** Halves the resolution and doubles the channels of its input: its own channel rule. */
    class SpaceToDepthHalf extends nn.Module {
      constructor(readonly c1: number) {
        super();
      }
      forward(x: Tensor): Tensor {
        const [b, c, h, w] = x.shape as [number, number, number, number];
        return x
          .view(b, c, h / 2, 2, w / 2, 2)
          .permute(0, 1, 3, 5, 2, 4)
          .reshape(b, c * 4, h / 2, w / 2)
          .narrow(1, 0, c * 2);
      }
    }
    registerModule('WideResidual', WideResidual, { channels: 'conv' });
    registerModule('SpaceToDepthHalf', SpaceToDepthHalf, {
      channels: ({ inputs }) => ({ args: [inputs[0]], c2: 2 * inputs[0]! }),
    });
    assert.ok(registeredModuleNames().includes('WideResidual'));

    const d = tinyDetector(
      [
        [-1, 1, 'Conv', [16, 3, 2]],
        [-1, 1, 'WideResidual', [32]],
        [-1, 1, 'SpaceToDepthHalf', []],
        [-1, 1, 'SpaceToDepthHalf', []],
        [-1, 1, 'SpaceToDepthHalf', []],
      ],
      { width_multiple: 0.5 },
    );
    const model = new DetectionModel(d, { verbose: false });
    try {
      assert.equal((model.model.at(1) as unknown as WideResidual).a.conv.outChannels, 16, "'conv' rule: 32 × width 0.5");
      assert.deepEqual(model.stride, [4, 8, 16]);
      assert.ok(model.stateDict().has('model.1.skip.conv.weight'));
      assert.deepEqual((model.head.cv2.at(0).at(0) as Conv).conv.inChannels, 32, "custom rule: 16 → 32 channels into Detect's P3");
      const x = torch.rand([2, 3, 64, 64]);
      torch.tidy(() => {
        const maps = model.call(x) as Tensor[];
        assert.deepEqual(
          maps.map((m) => m.shape),
          [
            [2, 67, 16, 16],
            [2, 67, 8, 8],
            [2, 67, 4, 4],
          ],
        );
        maps.reduce((sum, m) => sum.add(m.mean()), torch.zeros([])).backward();
        assert.ok((model.model.at(1) as unknown as WideResidual).a.conv.weight.grad, 'gradients reach the custom module');
      });
      x.dispose();
    } finally {
      model.dispose();
    }
  });
});

describe('built-in detection YAMLs', () => {
  /** Builds `cfg`, checks strides and the train/eval output shapes of a 64×64 image, frees everything. */
  function buildAndRun(cfg: string | ModelYaml): void {
    const baseline = torch.liveTensors();
    const model = new DetectionModel(cfg, { verbose: false });
    try {
      assert.deepEqual(model.stride, [8, 16, 32]);
      const x = torch.rand([1, 3, 64, 64]);
      torch.noGrad(() =>
        torch.tidy(() => {
          const maps = model.call(x) as Tensor[];
          assert.deepEqual(
            maps.map((m) => m.shape),
            [
              [1, 144, 8, 8],
              [1, 144, 4, 4],
              [1, 144, 2, 2],
            ],
          );
          model.eval();
          const [pred] = model.call(x) as DetectionPrediction;
          assert.deepEqual(pred.shape, [1, 84, 84]);
        }),
      );
      x.dispose();
    } finally {
      model.dispose();
    }
    assert.equal(torch.liveTensors(), baseline);
  }

  test('yolov5nu.yaml (C3 + SPPF + Detect): 262 layers, 2,654,816 parameters as Ultralytics reports; forwards run', () => {
    const model = new DetectionModel('yolov5nu.yaml', { verbose: false });
    try {
      const info = model.info({ verbose: false });
      assert.deepEqual([info.layers, info.parameters, Number(info.gflops.toFixed(1))], [262, 2_654_816, 7.8]);
    } finally {
      model.dispose();
    }
    buildAndRun('yolov5nu.yaml');
  });

  test('yolov3u.yaml (Darknet-53 Bottleneck stacks + Detect): 103.7M parameters at full width; forwards run', () => {
    const { layers } = parseModel(yamlModelLoad('yolov3u.yaml'), 3, false);
    const params = layers.reduce((sum, l) => sum + l.np, 0);
    torch.dispose(layers.flatMap((l) => [...l.parameters(), ...l.buffers()]));
    assert.equal(params, 103_754_144);
    // The same layer graph at a quarter of the width, to keep the forward cheap.
    buildAndRun({ ...yamlModelLoad('yolov3u.yaml'), width_multiple: 0.25 });
  });
});
