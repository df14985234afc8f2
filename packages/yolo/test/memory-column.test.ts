// The training table's memory column: GPU_mem from libtorch's CUDA allocator (torch.cuda.memory_reserved, as
// Ultralytics), CPU_mem from the process's resident memory on the CPU, both formatted as Ultralytics' `%.3g` + G.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '@yolots/torch';
import { formatGigabytes, type MemoryProbes, memoryColumn } from '../src/engine/memory-column.js';
import { DetectionTrainer } from '../src/models/yolo/detect/train.js';

/** Probes returning fixed readings, recording which CUDA device was asked. */
function fake(reserved: number | undefined, rss: number): MemoryProbes & { asked: number[] } {
  const asked: number[] = [];
  return {
    asked,
    cudaReserved: (index) => {
      asked.push(index);
      return reserved;
    },
    rss: () => rss,
  };
}

describe('memory column', () => {
  test("gigabytes as Ultralytics prints them (f'{x / 1e9:.3g}G'), '-' when unknown", () => {
    assert.equal(formatGigabytes(0), '0G');
    assert.equal(formatGigabytes(2_345_678_901), '2.35G');
    assert.equal(formatGigabytes(12_345_000_000), '12.3G');
    assert.equal(formatGigabytes(123_456_789), '0.123G');
    assert.equal(formatGigabytes(80_000_000_000), '80G');
    assert.equal(formatGigabytes(undefined), '-');
  });

  test('CUDA devices show GPU_mem: the reserved bytes of that device', () => {
    const probes = fake(3_210_000_000, 1);
    const column = memoryColumn('cuda:1', probes);
    assert.equal(column.header, 'GPU_mem');
    assert.equal(column.read(), '3.21G');
    assert.deepEqual(probes.asked, [1]);
    assert.equal(memoryColumn('cuda', probes).read(), '3.21G');
    assert.deepEqual(probes.asked, [1, 0], "'cuda' is device 0");
    assert.equal(memoryColumn('cuda:0', fake(undefined, 1)).read(), '-', 'an addon without the allocator statistics');
  });

  test("the CPU shows CPU_mem: the process's resident memory, read at each call", () => {
    let rss = 1_500_000_000;
    const column = memoryColumn('cpu', { cudaReserved: () => assert.fail('no CUDA on the CPU'), rss: () => rss });
    assert.equal(column.header, 'CPU_mem');
    assert.equal(column.read(), '1.5G');
    rss = 2_000_000_000;
    assert.equal(column.read(), '2G');
  });

  test('on this machine: the real RSS, and no CUDA reading from a CPU-only addon', () => {
    const shown = memoryColumn('cpu').read();
    assert.match(shown, /^\d+(\.\d+)?G$/);
    assert.ok(Number(shown.slice(0, -1)) > 0, shown);
    // (@yolots/torch's errors.test.ts reads the CUDA allocator on a CUDA device.)
    if (!torch.cuda.isBuilt()) assert.equal(memoryColumn('cuda:0').read(), '-', 'a CPU-only addon reads no CUDA memory');
  });

  test("the trainer's table header and rows carry the column of its device", () => {
    const trainer = new DetectionTrainer({ overrides: { model: 'yolov8n.yaml', epochs: 1, imgsz: 64, device: 'cpu' } });
    const header = trainer.progressString().trim().split(/\s+/);
    assert.deepEqual(header, ['Epoch', 'CPU_mem', 'box_loss', 'cls_loss', 'dfl_loss', 'Instances', 'Size']);
  });
});
