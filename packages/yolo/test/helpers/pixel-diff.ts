// Test helper: how far two 8-bit images are apart.
import assert from 'node:assert/strict';

/** [mean |a - b|, max |a - b|] in grey levels over two equally long pixel buffers. */
export function pixelDiff(a: Uint8Array, b: Uint8Array): [number, number] {
  assert.equal(a.length, b.length, 'pixel buffers differ in length');
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    sum += d;
    max = Math.max(max, d);
  }
  return [sum / a.length, max];
}
