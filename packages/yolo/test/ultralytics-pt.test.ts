import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '@yolots/torch';
import { extractUltralyticsCheckpoint, float16ToFloat32, toFloat32 } from '../src/utils/ultralytics-pt.js';

const floats = (data: Uint8Array): number[] => [...new Float32Array(new Uint8Array(data).buffer)];

/** A pickled nn.Module as loadPt returns it. */
function module(className: string, attributes: Record<string, unknown>): torch.io.PickleObject {
  const m = new torch.io.PickleObject(className, []);
  m.state = new Map<string, unknown>([
    ['_parameters', new Map()],
    ['_buffers', new Map()],
    ['_non_persistent_buffers_set', new Set()],
    ['_modules', new Map()],
    ...Object.entries(attributes),
  ]);
  return m;
}

const tensor = (values: number[]): torch.io.PtTensor =>
  new torch.io.PtTensor('float32', [values.length], new Uint8Array(Float32Array.from(values).buffer), false);

describe('extractUltralyticsCheckpoint on hand-built module trees', () => {
  test('walks _parameters, persistent _buffers and _modules like state_dict()', () => {
    const bn = module('torch.nn.modules.batchnorm.BatchNorm2d', {
      _parameters: new Map([
        ['weight', tensor([1])],
        ['bias', null],
      ]),
      _buffers: new Map([
        ['running_mean', tensor([2])],
        ['scratch', tensor([3])],
      ]),
      _non_persistent_buffers_set: new Set(['scratch']),
    });
    const inner = module('ultralytics.nn.modules.conv.Conv', {
      _modules: new Map<string, unknown>([
        ['bn', bn],
        ['act', null],
      ]),
    });
    const root = module('ultralytics.nn.tasks.DetectionModel', {
      _parameters: new Map([['w', tensor([0])]]),
      _modules: new Map([['model', module('torch.nn.modules.container.Sequential', { _modules: new Map([['0', inner]]) })]]),
      yaml: new Map<string, unknown>([
        ['nc', 2],
        ['backbone', [[-1, 1, 'Conv', [16, 3, 2]]]],
      ]),
      names: new Map([
        [0, 'a'],
        [1, 'b'],
      ]),
      stride: new torch.io.PtTensor('float16', [1], Uint8Array.of(0x00, 0x48), false),
    });
    const ckpt = extractUltralyticsCheckpoint(
      new Map<string, unknown>([
        ['model', root],
        ['ema', null],
        ['epoch', 4],
      ]),
    );
    assert.deepEqual([...ckpt.stateDict.keys()], ['w', 'model.0.bn.weight', 'model.0.bn.running_mean']);
    assert.deepEqual(floats(ckpt.stateDict.get('model.0.bn.running_mean')!.data), [2]);
    assert.deepEqual(ckpt.yaml, { nc: 2, backbone: [[-1, 1, 'Conv', [16, 3, 2]]] });
    assert.deepEqual(ckpt.names, { 0: 'a', 1: 'b' });
    assert.equal(ckpt.nc, 2);
    assert.deepEqual(ckpt.stride, [8]);
    assert.equal(ckpt.epoch, 4);
    assert.equal(ckpt.trainArgs, null);
  });

  test('not a checkpoint: clear errors', () => {
    assert.throws(() => extractUltralyticsCheckpoint([1, 2], 'x.pt'), /x\.pt: not an Ultralytics checkpoint \(the file holds a list/);
    assert.throws(
      () => extractUltralyticsCheckpoint(new Map([['state_dict', 1]]), 'y.pt'),
      /y\.pt: not an Ultralytics checkpoint \(no 'model' key\)/,
    );
    assert.throws(
      () => extractUltralyticsCheckpoint(new Map([['model', new torch.io.PickleObject('foo.Bar', [])]]), 'z.pt'),
      /z\.pt: 'model' \(foo\.Bar\) is not a torch\.nn\.Module/,
    );
    const badParam = module('m.M', { _parameters: new Map([['w', new torch.io.PickleObject('torch._utils._rebuild_qtensor', [])]]) });
    assert.throws(
      () => extractUltralyticsCheckpoint(new Map([['model', badParam]]), 'q.pt'),
      /q\.pt: w is a torch\._utils\._rebuild_qtensor object, not a tensor/,
    );
  });
});

describe('half and other floats to float32', () => {
  test('float16ToFloat32 is exact for all 65536 bit patterns', () => {
    const bits = new Uint16Array(65536).map((_, i) => i);
    const got = float16ToFloat32(bits);
    for (let h = 0; h < 65536; h++) {
      const sign = h & 0x8000 ? -1 : 1;
      const exponent = (h >> 10) & 0x1f;
      const mantissa = h & 0x3ff;
      const want =
        exponent === 0x1f
          ? mantissa === 0
            ? sign * Number.POSITIVE_INFINITY
            : Number.NaN
          : exponent === 0
            ? sign * mantissa * 2 ** -24
            : sign * 2 ** (exponent - 15) * (1 + mantissa / 1024);
      if (Number.isNaN(want)) assert.ok(Number.isNaN(got[h]), `0x${h.toString(16)}`);
      else assert.ok(Object.is(got[h], want), `0x${h.toString(16)}: ${got[h]} != ${want}`);
    }
  });

  test('toFloat32 converts bfloat16 and float64, keeps float32, refuses integers; unaligned input is fine', () => {
    const bf16 = toFloat32({ dtype: 'bfloat16', shape: [2], data: new Uint8Array([0, 0x80, 0x3f, 0xc0, 0xc0]).subarray(1) });
    assert.deepEqual(floats(bf16.data), [1, -6]);
    const f64 = toFloat32({ dtype: 'float64', shape: [1], data: new Uint8Array(Float64Array.of(0.1).buffer) });
    assert.deepEqual(floats(f64.data), [Math.fround(0.1)]);
    const same = { dtype: 'float32' as const, shape: [1], data: new Uint8Array(4) };
    assert.equal(toFloat32(same), same);
    assert.throws(() => toFloat32({ dtype: 'int64', shape: [1], data: new Uint8Array(8) }), /int64 is not a floating dtype/);
  });
});
