// Classification data against the real Ultralytics 8.2.103 / torchvision 0.14 / Pillow 9.4
// (fixtures/ultralytics-classify, README §0, §2): ImageFolder order and names, the val transforms (Pillow's bilinear
// resize of the short side, centre crop) to the exact uint8, and the deterministic train pieces (resized crop, flip,
// ToTensor, erase).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { checkClsDataset, imageFolderSamples } from '../../src/data/classify/folders.js';
import { centerCrop, eraseChw, hflip, resizedCrop, resizeShortSide, toChw } from '../../src/data/classify/transforms.js';
import { decodeImage } from '../../src/data/images.js';
import { CLASSIFY_FIXTURES, fixtureGate, get, loadFixture } from './classify-fixtures.js';

const gate = fixtureGate(['transforms.safetensors', 'dataset/val/circle/val_circle_00.png']);

/** Asserts two uint8 buffers are identical, reporting the first difference. */
function sameBytes(actual: Uint8Array, expected: Tensor, what: string): void {
  const e = expected.toTypedArray() as Uint8Array;
  assert.equal(actual.length, e.length, `${what}: size`);
  const k = actual.findIndex((v, i) => v !== e[i]);
  assert.equal(k, -1, `${what}: first difference at ${k}: ${actual[k]} vs ${e[k]}`);
}

describe('classification data parity with Ultralytics 8.2.103 (Pillow bilinear, torchvision transforms)', gate, () => {
  test('check_cls_dataset and ImageFolder: sorted class folders, sorted files, class = folder index', () => {
    const data = checkClsDataset(`${CLASSIFY_FIXTURES}dataset`);
    assert.deepEqual(data.names, ['circle', 'cross', 'square', 'triangle']);
    assert.equal(data.nc, 4);
    assert.equal(data.test, null);
    const samples = imageFolderSamples(data.val as string, data.names);
    assert.equal(samples.length, 16);
    assert.match(samples[0]?.[0] ?? '', /val\/circle\/val_circle_00\.png$/);
    assert.deepEqual(
      samples.map(([, c]) => c),
      [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3],
    );
  });

  test('val transforms: resized (short side, int long side) and centre-cropped pixels identical; ToTensor equal', async () => {
    const { tensors, metadata } = loadFixture('transforms.safetensors');
    const val = JSON.parse(metadata.val as string) as { file: string; resized_wh: [number, number]; crop_top_left: [number, number] }[];
    const valImg = get(tensors, 'val_img');
    for (const [k, v] of val.entries()) {
      const img = await decodeImage(CLASSIFY_FIXTURES + v.file);
      const resized = resizeShortSide(img, 64);
      assert.deepEqual([resized.width, resized.height], v.resized_wh);
      sameBytes(resized.data, get(tensors, `val_resized.${k}`), `val_resized.${k}`);
      const cropped = centerCrop(resized, 64);
      sameBytes(cropped.data, get(tensors, `val_cropped.${k}`), `val_cropped.${k}`);
      const asTensor = torch.tidy(() => torch.fromTypedArray(toChw(cropped), [3, 64, 64]).float().div(255));
      assert.equal(
        torch.tidy(() => asTensor.sub(valImg.select(0, k)).abs().max().item()),
        0,
        `val_img[${k}]`,
      );
    }
  });

  test('train pieces: resized crop (whole image and RandomResizedCrop window), hflip, ToTensor, erase', async () => {
    const { tensors, metadata } = loadFixture('transforms.safetensors');
    const train = JSON.parse(metadata.train as string) as { rrc_params_top_left_h_w: number[]; erase_params_i_j_h_w: number[] };
    const img = await decodeImage(`${CLASSIFY_FIXTURES}dataset/val/circle/val_circle_00.png`);
    sameBytes(resizedCrop(img, 0, 0, img.height, img.width, 64).data, get(tensors, 'train.resized_crop_full'), 'resized_crop_full');
    const [top, left, h, w] = train.rrc_params_top_left_h_w as [number, number, number, number];
    const rrc = resizedCrop(img, top, left, h, w, 64);
    sameBytes(rrc.data, get(tensors, 'train.resized_crop_rrc'), 'resized_crop_rrc');
    const flipped = hflip(rrc);
    sameBytes(flipped.data, get(tensors, 'train.hflip'), 'hflip');
    const chw = toChw(flipped);
    const toTensor = get(tensors, 'train.to_tensor');
    assert.equal(
      torch.tidy(() => torch.fromTypedArray(chw, [3, 64, 64]).float().div(255).sub(toTensor).abs().max().item()),
      0,
    );
    eraseChw(chw, 64, 64, train.erase_params_i_j_h_w);
    const erased = get(tensors, 'train.erased');
    assert.equal(
      torch.tidy(() => torch.fromTypedArray(chw, [3, 64, 64]).float().div(255).sub(erased).abs().max().item()),
      0,
    );
  });
});
