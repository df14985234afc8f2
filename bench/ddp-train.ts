// 2-rank CPU data-parallel training throughput vs one process on the same 2 cores (issue 8), yolov8n on coco128 at
// 320, global batch 16, 2 epochs; the second epoch is the figure. On 2 cores no gain is expected: the ranks share
// the cores the single process already used. Also prints the measured all-reduce time per optimizer step.
// Run: node --conditions=source --import tsx bench/ddp-train.ts   (it re-runs itself for each rank)
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DetectionTrainer } from '../packages/yolo/src/models/yolo/detect/train.js';

const DATA = fileURLToPath(new URL('../../shared/datasets/coco128.yaml', import.meta.url));

async function run(deviceArg: string): Promise<void> {
  const project = process.env.BENCH_PROJECT ?? mkdtempSync(join(tmpdir(), 'yolots-bench-ddp-'));
  process.env.BENCH_PROJECT = project;
  const trainer = new DetectionTrainer({
    overrides: {
      model: 'yolov8n.yaml',
      data: DATA,
      imgsz: 320,
      batch: 16,
      epochs: 2,
      workers: 1,
      plots: false,
      verbose: false,
      val: false,
      project,
      name: deviceArg.replace(',', '-'),
      device: deviceArg,
    },
  });
  let start = 0;
  let allReduceMs = 0;
  let steps = 0;
  // biome-ignore lint/complexity/useLiteralKeys: the bracket form is how TypeScript lets a benchmark wrap a protected method
  const original = trainer['allReduceGradients'].bind(trainer);
  // biome-ignore lint/complexity/useLiteralKeys: as above
  trainer['allReduceGradients'] = () => {
    const t = performance.now();
    original();
    allReduceMs += performance.now() - t;
    steps++;
  };
  trainer.addCallback('on_train_epoch_start', () => {
    start = performance.now();
    allReduceMs = 0;
    steps = 0;
  });
  trainer.addCallback('on_train_epoch_end', (t) => {
    if (!t.isMain || t.epoch !== 1) return;
    const seconds = (performance.now() - start) / 1000;
    const result = { world: t.worldSize, imgPerS: 128 / seconds, allReduceMs: steps ? allReduceMs / steps : 0 };
    writeFileSync(join(t.saveDir, 'bench.json'), JSON.stringify(result));
  });
  await trainer.train();
  if (process.env.RANK === undefined) {
    const result = JSON.parse(readFileSync(join(trainer.saveDir, 'bench.json'), 'utf8'));
    console.log(
      `${deviceArg.padEnd(8)} world ${result.world}: ${result.imgPerS.toFixed(2)} train img/s (epoch 2)` +
        (result.world > 1 ? `, all-reduce ${result.allReduceMs.toFixed(1)} ms per backward` : ''),
    );
  }
}

if (process.env.RANK !== undefined) {
  await run('cpu,cpu'); // a rank launched by the distributed run below
} else {
  await run('cpu');
  await run('cpu,cpu');
}
