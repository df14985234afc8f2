// The `batch` argument: 0 and other invalid values are refused naming the key (0 used to hang in the rect batch
// shapes), -1 and fractions ask AutoBatch in training only, and AutoBatch's fit (Ultralytics' utils/autobatch.py) on a
// fake memory probe, plus the libtorch step probe on the CPU with a fake memory reading.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '@yolots/torch';
import { getCfg } from '../src/cfg/config.js';
import { setRectangle } from '../src/data/dataset.js';
import { autoBatch, autoBatchFraction, type MemoryProbe } from '../src/utils/autobatch.js';
import { checkTrainBatchSize, trainingStepProbe, withModelRestored } from '../src/utils/autobatch-probe.js';

const GIB = 2 ** 30;

/** A device whose step at batch b takes `base + perImage·b` GiB, running out of memory from `oomAt` images. */
function fakeProbe(totalGiB: number, freeGiB: number, base: number, perImage: number, oomAt = Number.POSITIVE_INFINITY) {
  const measured: number[] = [];
  const probe: MemoryProbe = {
    name: 'CUDA:0',
    total: totalGiB * GIB,
    free: freeGiB * GIB,
    measure: (b) => {
      measured.push(b);
      return b >= oomAt ? null : (base + perImage * b) * GIB;
    },
  };
  return { probe, measured };
}

function run(probe: MemoryProbe | string, fraction = 0.6): { batch: number; lines: string[] } {
  const lines: string[] = [];
  const batch = autoBatch(probe, { imgsz: 640, fraction, log: (line) => lines.push(line) });
  return { batch, lines };
}

describe('batch values', () => {
  test('0, other negatives and fractional sizes above 1 are refused, naming the key and what is valid', () => {
    for (const batch of [0, -2, -0.5, 2.5, 1.5]) {
      assert.throws(
        () => getCfg(undefined, { batch }),
        (e: Error) =>
          e instanceof RangeError && e.message.startsWith(`'batch=${batch}' is an invalid value.`) && /'batch=-1'/.test(e.message),
        `batch=${batch}`,
      );
    }
  });

  test('-1 and fractions ask AutoBatch in training only; positive integers pass everywhere', () => {
    for (const batch of [-1, 0.5, 0.9]) {
      assert.equal(getCfg(undefined, { batch }).batch, batch);
      for (const mode of ['val', 'predict', 'export']) {
        assert.throws(() => getCfg(undefined, { batch, mode }), new RegExp(`'batch=${batch}' asks AutoBatch.*give '${mode}' a batch size`));
      }
    }
    assert.equal(getCfg(undefined, { batch: 1, mode: 'val' }).batch, 1);
    assert.equal(getCfg(undefined, { batch: 64 }).batch, 64);
  });

  test('rect batch shapes refuse a zero batch instead of looping forever', () => {
    const labels = [{ imFile: 'a.jpg', shape: [10, 20] as [number, number], cls: new Float32Array(), bboxes: new Float32Array() }];
    assert.throws(() => setRectangle(labels, 0, 64, 32, 0.5), /positive integer 'batch', got 0/);
    assert.deepEqual(setRectangle(labels, 4, 64, 32, 0.5).batchOf, [0]);
  });

  test("the fraction AutoBatch fills: the batch itself when in (0, 1), else Ultralytics' 60%", () => {
    assert.equal(autoBatchFraction(-1), 0.6);
    assert.equal(autoBatchFraction(0.75), 0.75);
  });
});

describe('autoBatch', () => {
  test("the CPU (or an unmeasurable device) gets the default 16, with Ultralytics' lines", () => {
    const { batch, lines } = run('intended for CUDA devices');
    assert.equal(batch, 16);
    assert.deepEqual(lines, [
      'AutoBatch: Computing optimal batch size for imgsz=640 at 60.0% CUDA memory utilization.',
      'AutoBatch:  ⚠️ intended for CUDA devices, using default batch-size 16',
    ]);
  });

  test('a linear memory curve: the largest batch whose step fills the fraction of the free memory', () => {
    // 24 GiB card, 22 GiB free, a step takes 1 + 0.25·b GiB: 60% of 22 GiB = 13.2 GiB → b = floor(12.2 / 0.25) = 48.
    const { probe, measured } = fakeProbe(24, 22, 1, 0.25);
    const { batch, lines } = run(probe);
    assert.equal(batch, 48);
    assert.deepEqual(measured, [1, 2, 4, 8, 16, 32, 64], 'a card of 16 GiB or more is profiled up to 64 images');
    assert.equal(lines[1], 'AutoBatch: CUDA:0 24.00G total, 2.00G used, 22.00G free');
    // 2 GiB used before + 13 GiB for the step = 15 GiB of 24.
    assert.equal(lines[2], 'AutoBatch: Using batch-size 48 for CUDA:0 15.00G/24.00G (63%) ✅');
    assert.equal(run(fakeProbe(24, 22, 1, 0.25).probe, 0.9).batch, 75, 'batch=0.9 fills 90%: floor((19.8 - 1) / 0.25)');
    const small = fakeProbe(8, 8, 0.5, 0.1);
    assert.equal(run(small.probe).batch, 43, 'floor((4.8 - 0.5) / 0.1)');
    assert.deepEqual(small.measured, [1, 2, 4, 8, 16], 'a card under 16 GiB is profiled up to 16 images');
  });

  test('a step that runs out of memory stops the profile, and the batch stays below it', () => {
    const { probe, measured } = fakeProbe(24, 22, 1, 0.25, 8);
    const { batch, lines } = run(probe);
    assert.deepEqual(measured, [1, 2, 4, 8], 'nothing larger is tried after the first failure');
    assert.equal(batch, 4, 'the fit says 48, but 8 images failed: the last size that worked');
    assert.match(lines[2]!, /^AutoBatch: Using batch-size 4 for CUDA:0/);
    assert.equal(run(fakeProbe(24, 22, 1, 0.25, 2).probe).batch, 1, 'one point cannot be fitted: the size that worked');
  });

  test('nonsense measurements and probe errors fall back to 16 with a warning, never a negative or zero batch', () => {
    const flat = fakeProbe(24, 22, 1, 0);
    const anomaly = run(flat.probe);
    assert.equal(anomaly.batch, 16);
    assert.match(anomaly.lines[2]!, /WARNING ⚠️ cannot fit a line to 7 measured step\(s\), using batch-size 16/);
    const huge = run(fakeProbe(24, 22, 1, 0.001).probe);
    assert.equal(huge.batch, 16, 'above 1024 is outside the safe range');
    assert.match(huge.lines[2]!, /CUDA anomaly detected \(batch=1219\d outside 1-1024\), using default batch-size 16/);
    const full = run(fakeProbe(24, 0.5, 1, 0.25).probe);
    assert.equal(full.batch, 16, 'no room for even one image: the fit is negative');
    const broken: MemoryProbe = {
      name: 'CUDA:0',
      total: GIB,
      free: GIB,
      measure: () => {
        throw new Error('driver went away');
      },
    };
    const failed = run(broken);
    assert.equal(failed.batch, 16);
    assert.match(failed.lines[2]!, /WARNING ⚠️ error detected: driver went away, using default batch-size 16/);
  });
});

describe('the libtorch step probe', () => {
  /** Conv + BatchNorm that runs "out of memory" from 8 images, as libtorch's CUDA allocator reports it. */
  class Net extends torch.nn.Module<[torch.Tensor], torch.Tensor[]> {
    conv = this.registerModule('conv', new torch.nn.Conv2d(3, 4, 3));
    bn = this.registerModule('bn', new torch.nn.BatchNorm2d(4));
    seen: number[] = [];
    forward(x: torch.Tensor): torch.Tensor[] {
      const b = x.shape[0]!;
      this.seen.push(b);
      if (b >= 8) throw new Error('CUDA out of memory. Tried to allocate 2.00 GiB');
      return [this.bn.call(this.conv.call(x))];
    }
  }

  test('steps at growing batches, an out-of-memory step measures null, and the model is left as it was', () => {
    const net = new Net();
    net.eval();
    const before = torch.tidy(() => net.buffers().map((b) => b.toArray()));
    // The fake device loses 64 MiB per image of the largest step so far (the caching allocator keeps the peak).
    let peak = 0;
    const probe = trainingStepProbe(net, 'cpu', {
      name: 'CUDA:0',
      total: 8 * GIB,
      free: 8 * GIB,
      imgsz: 16,
      channels: 3,
      freeAfterStep: () => {
        peak = Math.max(peak, net.seen[net.seen.length - 1]!);
        return 8 * GIB - 64 * 2 ** 20 * peak;
      },
    });
    const lines: string[] = [];
    const batch = withModelRestored(net, () => {
      assert.equal(net.training, true, 'the steps run in training mode');
      return autoBatch(probe, { imgsz: 16, fraction: 0.6, log: (l) => lines.push(l) });
    });
    assert.deepEqual(net.seen, [1, 2, 4, 8]);
    assert.equal(batch, 4, 'below the size that ran out of memory');
    assert.equal(net.training, false, 'the mode is restored');
    assert.ok(
      net.parameters().every((p) => p.grad === null),
      'no gradients are left',
    );
    const after = torch.tidy(() => net.buffers().map((b) => b.toArray()));
    assert.deepEqual(after, before, 'BatchNorm statistics are restored');
  });

  test('on the CPU nothing is measured and nothing runs: 16', () => {
    const net = new Net();
    const lines: string[] = [];
    assert.equal(checkTrainBatchSize(net, 'cpu', { imgsz: 64, batch: -1, log: (l) => lines.push(l) }), 16);
    assert.deepEqual(net.seen, []);
    assert.match(lines[1]!, /intended for CUDA devices, using default batch-size 16/);
  });

  test('a CUDA device whose memory cannot be read says why and uses 16', () => {
    const lines: string[] = [];
    const memGetInfo = (): [number, number] => {
      throw new Error('cuda.memGetInfo: this libtorch loaded no CUDA runtime library (libcudart) to ask');
    };
    assert.equal(checkTrainBatchSize(new Net(), 'cuda:0', { imgsz: 64, batch: 0.5, memGetInfo, log: (l) => lines.push(l) }), 16);
    assert.match(lines[0]!, /at 50\.0% CUDA memory utilization/);
    assert.match(lines[1]!, /cannot read the memory of cuda:0 \(cuda\.memGetInfo: .*libcudart.*\), using default batch-size 16/);
  });
});
