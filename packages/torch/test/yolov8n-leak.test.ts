// A YOLOv8n-sized network (bench/yolov8n-shaped.ts: the exact layer shapes of Ultralytics' yolov8n) trains for
// 20 steps: the live-tensor count must stay constant from the first step on, native memory must be flat
// after the first steps, and everything must be freed when the model and optimizer state are disposed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@yolots/torch';
import { surrogateLoss, YoloV8nShaped } from '../../../bench/yolov8n-shaped.js';

const ITERATIONS = 20;

test('YOLOv8n-shaped network: 20 fwd+bwd+SGD steps without leaking tensors or native memory', () => {
  // One thread: this test measures memory, and on a busy 2-core machine OpenMP's spinning threads turn
  // 40 ms steps into 1 s ones.
  const threads = torch.getNumThreads();
  torch.setNumThreads(1);
  const baselineLive = torch.liveTensors();
  const baselineBytes = torch.memoryStats().nativeBytes;
  torch.manualSeed(0);
  const model = new YoloV8nShaped();
  const parameterCount = model.parameters().reduce((n, p) => n + p.numel(), 0);
  assert.equal(parameterCount, 3_157_200 - 16, "yolov8n's 3,157,200 parameters less the frozen DFL conv's 16");
  assert.equal(model.stateDict().size, 354);

  const optimizer = new torch.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.937, nesterov: true, weight_decay: 5e-4 });
  const input = torch.rand([2, 3, 64, 64]).keep();
  const live: number[] = [];
  const bytes: number[] = [];
  const losses: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const loss = torch.tidy(() => {
      optimizer.zeroGrad();
      const maps = model.call(input);
      if (i === 0) {
        assert.deepEqual(
          maps.map((m) => m.shape),
          [
            [2, 144, 8, 8],
            [2, 144, 4, 4],
            [2, 144, 2, 2],
          ],
        );
      }
      const l = surrogateLoss(maps);
      l.backward();
      optimizer.step();
      return l.item();
    });
    losses.push(loss);
    live.push(torch.liveTensors());
    bytes.push(torch.memoryStats().nativeBytes);
  }

  // From the first step on, only the momentum buffers were added (one per parameter).
  assert.equal(live[0], baselineLive + 355 + model.parameters().length, `live tensors per step: ${live}`);
  assert.ok(
    live.every((n) => n === live[0]),
    `live tensors per step: ${live}`,
  );
  // Gradients persist between steps (zeroGrad frees them before the next backward): byte-exact from step 2 on,
  // so even one leaked scalar per step would show.
  assert.ok(
    bytes.slice(2).every((b) => b === bytes[2]),
    `native bytes per step: ${bytes.map((b) => (b / 2 ** 20).toFixed(2))} MiB`,
  );
  assert.ok((losses.at(-1) as number) < 0.9 * losses[0]!, `the loss should fall: ${losses.map((l) => l.toFixed(4))}`);

  optimizer.zeroGrad();
  for (const state of optimizer.state.values()) for (const v of state.values()) if (typeof v !== 'number') v.dispose();
  model.dispose();
  input.dispose();
  assert.equal(torch.liveTensors(), baselineLive);
  assert.equal(torch.memoryStats().nativeBytes, baselineBytes);
  torch.setNumThreads(threads);
});
