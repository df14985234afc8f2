// A user's training script, run by the distributed tests: `ddp-train.ts <mode> <project> <data.yaml>`.
// mode: 'single' (one process, global batch 4), 'ddp' (device=cpu,cpu: 2 ranks of 2), 'kill' (rank 1 dies at epoch 2).
// Its trainer subclass and callbacks exist in every rank because each rank re-runs this very script.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import type { Batch } from '../../src/data/batch.js';
import { DetectionTrainer } from '../../src/models/yolo/detect/train.js';
import type { DetectionModel } from '../../src/nn/tasks.js';

const [mode = 'single', project = '', data = ''] = process.argv.slice(2);

/** No BatchNorm (fused) and a loss that is a sum over images: the distributed run must then match one process exactly. */
class ExactTrainer extends DetectionTrainer {
  override getModel(cfg: string | Record<string, unknown> | null, weights: Map<string, Tensor> | null): DetectionModel {
    // Ranks are seeded seed+1+RANK as in Ultralytics (rank 0's weights are broadcast); a fixed seed here makes the
    // single process start from the same weights as the distributed run.
    torch.manualSeed(1234);
    return super.getModel(cfg, weights, false).fuse(false);
  }

  override criterion(preds: unknown, batch: Batch): [Tensor, Tensor] {
    const perMap = (preds as Tensor[]).map((p) => p.pow(2).mean([1, 2, 3]).sum());
    const items = torch.stack(perMap).div(batch.img.size(0)).detach();
    return [torch.stack(perMap).sum(), items];
  }
}

const trainer = new ExactTrainer({
  overrides: {
    model: 'yolov8n.yaml',
    data,
    epochs: 2,
    imgsz: 64,
    batch: 4,
    nbs: 4,
    workers: 0,
    plots: false,
    verbose: false,
    seed: 0,
    project,
    name: mode,
    device: mode === 'single' ? 'cpu' : 'cpu,cpu',
  },
});
const counts: Record<string, number> = {};
for (const event of ['on_train_epoch_end', 'on_fit_epoch_end', 'optimizer_step', 'on_model_save', 'on_train_end'] as const) {
  trainer.addCallback(event, () => {
    counts[event] = (counts[event] ?? 0) + 1;
  });
}
if (mode === 'kill') {
  trainer.addCallback('on_train_epoch_start', (t) => {
    if (t.rank === 1 && t.epoch === 1) process.kill(process.pid, 'SIGKILL');
  });
}
trainer.addCallback('teardown', (t) => {
  writeFileSync(join(t.saveDir, `counts-rank${Math.max(t.rank, 0)}.json`), JSON.stringify(counts));
});
await trainer.train();
