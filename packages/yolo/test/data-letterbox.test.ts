import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { dataArgs } from '../src/data/args.js';
import { LetterBox } from '../src/data/augment/letterbox.js';
import { YOLODataset } from '../src/data/dataset.js';
import { decodeImage } from '../src/data/images.js';
import { Instances } from '../src/data/instances.js';

const shared = fileURLToPath(new URL('../../../../shared/', import.meta.url));
const fixture = `${shared}fixtures/ultralytics/letterbox640.safetensors`;
const valDir = `${shared}datasets/coco8/images/val`;
const missing = !existsSync(fixture) || !existsSync(valDir);
if (missing) console.log(`skipping letterbox parity: ${fixture} or ${valDir} not found`);

/** Minimal safetensors reader: 8-byte LE header length, JSON header, raw little-endian data. */
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
    assert.equal(entry.dtype, 'U8');
    tensors[name] = { shape: entry.shape, data: buf.subarray(8 + n + entry.data_offsets[0], 8 + n + entry.data_offsets[1]) };
  }
  return { tensors, meta: header.__metadata__ ?? {} };
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] as number) - (b[i] as number));
  return sum / a.length;
}

describe('LetterBox matches Ultralytics (letterbox640.safetensors)', { skip: missing }, () => {
  const { tensors, meta } = missing ? { tensors: {}, meta: {} } : readSafetensors(fixture);
  const info = missing ? {} : (JSON.parse(meta.info ?? '{}') as Record<string, { file: string; orig_hw: [number, number] }>);

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
      const diff = meanAbsDiff(out.img.data, want.data);
      assert.ok(diff <= 2, `mean abs diff ${diff.toFixed(3)} grey levels`);
    });
  }

  test('the validation dataset item (CHW) carries the same pixels', async () => {
    const ds = await YOLODataset.create({
      imgPath: valDir,
      hyp: dataArgs({ imgsz: 640 }),
      nc: 80,
      batchSize: 4,
      augment: false,
      log: { info: () => undefined, warn: () => undefined },
    });
    const index = ds.imFiles.findIndex((f) => f.endsWith(info.lb1?.file ?? '?'));
    const item = await ds.getItem(index, 0);
    const want = tensors.lb1 as { data: Uint8Array };
    const hwc = new Uint8Array(item.img.length);
    const plane = item.height * item.width;
    for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) hwc[p * 3 + c] = item.img[c * plane + p] as number;
    assert.ok(meanAbsDiff(hwc, want.data) <= 2);
    assert.deepEqual(item.ratioPad, [
      [1, 1],
      [0, 81],
    ]);
  });
});
