// All-reduce cost of one data-parallel step: yolov8n's gradients (its exact parameter shapes, from
// yolov8n-shaped.ts) averaged across 2 local Gloo ranks, packed into DDP-style buckets vs one collective
// per tensor. Prints ms per all-reduce and the bus bandwidth; asserts the averages are right.
//
//   node --conditions=source --import tsx bench/allreduce.ts [--iters 30] [--port 29533]
//
// Run without RANK it launches both ranks itself (each with OMP_NUM_THREADS=1) and prints rank 0's table.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as torch from '@yolots/torch';
import { YoloV8nShaped } from './yolov8n-shaped.js';

const { values } = parseArgs({ options: { iters: { type: 'string', default: '30' }, port: { type: 'string', default: '29533' } } });
const iters = Number(values.iters);
const worldSize = 2;

function launch(): void {
  const script = fileURLToPath(import.meta.url);
  for (let rank = 0; rank < worldSize; rank++) {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script, '--iters', String(iters)], {
      env: {
        ...process.env,
        RANK: String(rank),
        WORLD_SIZE: String(worldSize),
        MASTER_ADDR: '127.0.0.1',
        MASTER_PORT: values.port,
        OMP_NUM_THREADS: '1',
      },
      stdio: ['ignore', rank === 0 ? 'inherit' : 'ignore', 'inherit'],
    });
    child.on('exit', (code) => {
      if (code !== 0) process.exitCode = code ?? 1;
    });
  }
}

async function runRank(): Promise<void> {
  const pg = await torch.distributed.initProcessGroup({ backend: 'gloo', timeoutMs: 120_000 });
  const model = new YoloV8nShaped();
  // Gradients live as long as the run, as a trainer's .grad tensors do.
  const grads = model.parameters().map((p) => torch.full(p.shape, pg.rank + 1).keep());
  const numel = grads.reduce((n, g) => n + g.numel(), 0);
  const bytes = numel * 4;

  // The floor: the same bytes already in one flat buffer, summed (no packing, unpacking or division).
  const flat = torch.full([numel], pg.rank + 1).keep();
  const variants: { name: string; reduce: () => void; checked?: false }[] = [
    { name: 'one flat tensor, sum (floor)', reduce: () => pg.allReduce(flat), checked: false },
    { name: 'buckets of 25 MiB (DDP default)', reduce: () => pg.allReduce(grads, { op: 'avg' }) },
    { name: 'buckets of 4 MiB', reduce: () => pg.allReduce(grads, { op: 'avg', bucketBytes: 4 << 20 }) },
    { name: 'buckets of 1 MiB', reduce: () => pg.allReduce(grads, { op: 'avg', bucketBytes: 1 << 20 }) },
    { name: 'per tensor, all queued then awaited', reduce: () => pg.allReduce(grads, { op: 'avg', bucketBytes: 1 }) },
    {
      name: 'per tensor, one call each',
      reduce: () => {
        for (const g of grads) pg.allReduce(g, { op: 'avg' });
      },
    },
  ];
  const rows: string[] = [];
  for (const { name, reduce, checked } of variants) {
    for (const g of grads) g.fill_(pg.rank + 1);
    reduce(); // warm-up: Gloo builds its algorithm cache on first use
    pg.barrier();
    const started = process.hrtime.bigint();
    for (let i = 0; i < iters; i++) reduce();
    const ms = Number(process.hrtime.bigint() - started) / 1e6 / iters;
    // Averaging equal tensors keeps them equal: (1 + 2) / 2 on every iteration after the first.
    const wrong = checked !== false && grads.find((g) => g.min().item() !== 1.5 || g.max().item() !== 1.5);
    if (wrong) throw new Error(`${name}: averaged gradients are not 1.5`);
    // Ring all-reduce moves 2(n-1)/n of the buffer through each link.
    const busGBs = (((2 * (worldSize - 1)) / worldSize) * bytes) / (ms / 1000) / 1e9;
    rows.push(`${name.padEnd(38)} ${ms.toFixed(2).padStart(8)} ms   ${busGBs.toFixed(2).padStart(6)} GB/s`);
  }
  if (pg.rank === 0) {
    console.log(
      `all-reduce (avg) of yolov8n gradients: ${grads.length} tensors, ${numel} float32 (${(bytes / 2 ** 20).toFixed(1)} MiB), ${worldSize} ranks on loopback, ${iters} iterations`,
    );
    for (const row of rows) console.log(row);
  }
  pg.destroy();
  torch.dispose([...grads, flat]);
}

if (process.env.RANK === undefined) launch();
else await runRank();
