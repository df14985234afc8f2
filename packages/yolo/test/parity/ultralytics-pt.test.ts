import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import * as torch from '@yolots/torch';
import { extractUltralyticsCheckpoint, loadUltralyticsCheckpoint } from '../../src/utils/ultralytics-pt.js';
import { requireShared, sharedPath } from '../helpers/shared.js';

const FIXTURES = sharedPath('fixtures/ultralytics/');
const gate = requireShared([join(FIXTURES, 'model.pt'), join(FIXTURES, 'model.safetensors')], 'Ultralytics checkpoint parity');

const _floats = (data: Uint8Array): number[] => [...new Float32Array(new Uint8Array(data).buffer)];

describe('Ultralytics model.pt against model.safetensors', gate, () => {
  test('same tensors (names, order, dtypes, shapes, values after fp16 → fp32) and metadata', () => {
    const ckpt = loadUltralyticsCheckpoint(join(FIXTURES, 'model.pt'));
    const reference = torch.io.readSafetensorsFile(join(FIXTURES, 'model.safetensors'));

    assert.deepEqual([...ckpt.stateDict.keys()], [...reference.tensors.keys()], 'state_dict names in PyTorch order');
    for (const [name, want] of reference.tensors) {
      const got = ckpt.stateDict.get(name)!;
      assert.equal(got.dtype, want.dtype, name);
      assert.deepEqual(got.shape, want.shape, name);
      assert.ok(Buffer.from(got.data).equals(Buffer.from(want.data)), `${name}: values differ`);
    }
    assert.deepEqual(ckpt.stateDict.get('model.0.conv.weight')?.shape, [16, 3, 3, 3]);
    assert.equal(ckpt.stateDict.get('model.22.dfl.conv.weight')?.dtype, 'float32');

    assert.deepEqual(ckpt.yaml, JSON.parse(reference.metadata.yaml!));
    assert.deepEqual(ckpt.names, JSON.parse(reference.metadata.names!));
    assert.equal(ckpt.names[0], 'person');
    assert.equal(ckpt.nc, JSON.parse(reference.metadata.nc!));
    assert.deepEqual(ckpt.stride, JSON.parse(reference.metadata.stride!));

    assert.equal(ckpt.epoch, -1);
    assert.equal(ckpt.version, '8.2.103');
    assert.match(ckpt.date ?? '', /^\d{4}-\d\d-\d\dT/);
    assert.equal(ckpt.trainArgs?.imgsz, 320);
    assert.equal(ckpt.trainArgs?.data, 'coco8.yaml');
    assert.equal(ckpt.yaml.yaml_file, 'yolov8n.yaml');
  });

  test('ema is preferred when present, model otherwise', () => {
    const raw = torch.io.loadPt(join(FIXTURES, 'model.pt')) as Map<string, unknown>;
    const model = raw.get('model');
    assert.equal(raw.get('ema'), null, 'the fixture is a stripped best.pt');
    const asEma = new Map(raw);
    asEma.set('ema', model);
    asEma.set('model', null);
    assert.equal(extractUltralyticsCheckpoint(asEma).stateDict.size, 355);
  });

  test('truncated checkpoints fail with the file named', () => {
    const work = mkdtempSync(join(tmpdir(), 'ultra-pt-'));
    try {
      const bytes = readFileSync(join(FIXTURES, 'model.pt'));
      for (const keep of [100, bytes.byteLength - 30]) {
        const path = join(work, `cut${keep}.pt`);
        writeFileSync(path, bytes.subarray(0, keep));
        assert.throws(() => loadUltralyticsCheckpoint(path), new RegExp(`cut${keep}\\.pt: not a zip file or truncated`));
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
