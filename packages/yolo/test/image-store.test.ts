import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ImageStore, type ImageStoreState, newBufferChannel } from '../src/data/image-store.js';

const IMAGES = fileURLToPath(new URL('../../../../shared/datasets/coco8/images/train/', import.meta.url));
const skip = existsSync(IMAGES) ? false : `${IMAGES} not found`;

/** Two images copied to a folder of their own, so that a test may delete one. */
function twoImages(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'yolots-image-store-'));
  return ['000000000009.jpg', '000000000025.jpg'].map((name) => {
    copyFileSync(join(IMAGES, name), join(dir, name));
    return join(dir, name);
  });
}

function state(imFiles: string[], bufferChannel: string | null): ImageStoreState {
  return { imFiles, shapes: imFiles.map(() => [480, 640]), imgsz: 64, cache: null, bufferLength: 8, bufferChannel, ram: null };
}

describe('ImageStore buffer', { skip }, () => {
  test('stores on one channel (the loader threads of a dataset) share what one of them decoded', async () => {
    const files = twoImages();
    const channel = newBufferChannel();
    const [a, b] = [new ImageStore(state(files, channel)), new ImageStore(state(files, channel))];
    await b.load(1); // a store listens from its first load on
    const decoded = await a.load(0);
    await sleep(20); // the broadcast arrives
    rmSync(files[0]!);
    const shared = await b.load(0);
    assert.deepEqual([shared.img.height, shared.img.width, shared.oriShape], [decoded.img.height, decoded.img.width, decoded.oriShape]);
    assert.deepEqual(shared.img.data, decoded.img.data);
    // Callers get their own copy: writing to it leaves the buffered pixels alone.
    shared.img.data.fill(0);
    assert.deepEqual((await a.load(0)).img.data, decoded.img.data);
  });

  test('without a channel each store decodes for itself', async () => {
    const files = twoImages();
    const [a, b] = [new ImageStore(state(files, null)), new ImageStore(state(files, null))];
    await b.load(1);
    await a.load(0);
    await sleep(20);
    rmSync(files[0]!);
    await assert.rejects(b.load(0), /missing|no such file|ENOENT/i);
    await a.load(0); // a's own buffer still holds it
  });
});
