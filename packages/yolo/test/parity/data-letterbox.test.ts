import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { LetterBox } from '../../src/data/augment/letterbox.js';
import { decodeImage } from '../../src/data/images.js';
import { Instances } from '../../src/data/instances.js';
import { pixelDiff } from '../helpers/pixel-diff.js';
import { requireShared, sharedPath } from '../helpers/shared.js';
import { valDataset } from '../helpers/val-dataset.js';

const fixture = sharedPath('fixtures/ultralytics/letterbox640.safetensors');
const batchFixture = sharedPath('fixtures/ultralytics/batch.safetensors');
const valDir = sharedPath('datasets/coco8/images/val');
const gate = requireShared([fixture, batchFixture, valDir], 'letterbox parity');

/** Minimal safetensors reader for the uint8 tensors: 8-byte LE header length, JSON header, raw data. */
function readSafetensors(file: string): { tensors: Record<string, { shape: number[]; data: Uint8Array }>; meta: Record<string, string> } {
  const buf = readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.toString('utf8', 8, 8 + n)) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  > & { __metadata__?: Record<string, string> };
  const tensors: Record<string, { shape: number[]; data: Uint8Array }> = {};
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const entry = t as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (entry.dtype !== 'U8') continue;
    tensors[name] = { shape: entry.shape, data: buf.subarray(8 + n + entry.data_offsets[0], 8 + n + entry.data_offsets[1]) };
  }
  return { tensors, meta: header.__metadata__ ?? {} };
}

describe('LetterBox matches Ultralytics (letterbox640.safetensors)', gate, () => {
  const { tensors, meta } = gate.skip ? { tensors: {}, meta: {} } : readSafetensors(fixture);
  const info = gate.skip ? {} : (JSON.parse(meta.info ?? '{}') as Record<string, { file: string; orig_hw: [number, number] }>);

  for (const key of ['lb0', 'lb1']) {
    test(`${key}: LetterBox((640, 640)) on the decoded image`, async () => {
      const want = tensors[key];
      const entry = info[key];
      assert.ok(want && entry);
      const img = await decodeImage(`${valDir}/${entry.file}`);
      assert.deepEqual([img.height, img.width], entry.orig_hw);
      const out = new LetterBox([640, 640]).apply({
        img,
        cls: new Float32Array(0),
        instances: new Instances(new Float32Array(0), 'xywh', true),
        imFile: entry.file,
        oriShape: entry.orig_hw,
        resizedShape: entry.orig_hw,
      });
      assert.deepEqual([out.img.height, out.img.width, 3], want.shape);
      // Bit-exact: same JPEG decoding (libjpeg-turbo), no resize at this size.
      const [mean, max] = pixelDiff(out.img.data, want.data);
      assert.equal(max, 0, `mean abs diff ${mean.toFixed(3)}, max ${max} grey levels`);
    });
  }

  test('the validation dataset item (CHW) carries the same pixels', async () => {
    const ds = await valDataset(valDir, 640);
    const index = ds.imFiles.findIndex((f) => f.endsWith(info.lb1?.file ?? '?'));
    const item = await ds.getItem(index, 0);
    const want = tensors.lb1 as { data: Uint8Array };
    const hwc = new Uint8Array(item.img.length);
    const plane = item.height * item.width;
    for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) hwc[p * 3 + c] = item.img[c * plane + p]!;
    assert.deepEqual(pixelDiff(hwc, want.data), [0, 0]);
    assert.deepEqual(item.ratioPad, [
      [1, 1],
      [0, 81],
    ]);
  });

  test('validation at imgsz=320 (load_image shrinks 640 → 320) gives batch.safetensors img_uint8 exactly', async () => {
    const batch = readSafetensors(batchFixture);
    const want = batch.tensors.img_uint8;
    const files = JSON.parse(batch.meta.im_file ?? '[]') as string[];
    assert.ok(want && files.length === 2);
    const ds = await valDataset(valDir, 320);
    const plane = 3 * 320 * 320;
    for (const [b, file] of files.entries()) {
      const item = await ds.getItem(
        ds.imFiles.findIndex((f) => f.endsWith(file)),
        0,
      );
      assert.deepEqual([item.height, item.width], [320, 320]);
      const [mean, max] = pixelDiff(item.img, want.data.subarray(b * plane, (b + 1) * plane));
      assert.equal(max, 0, `${file}: mean ${mean.toFixed(3)}, max ${max} grey levels`);
    }
  });
});
