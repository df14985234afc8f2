// One rank of distributed.test.ts: joins a 2-rank Gloo group from torchrun-style env vars, runs the scenario
// named by SCENARIO and prints `RESULT <json>` for the test to check.
import { createInterface } from 'node:readline';
import * as torch from '@yolots/torch';

const { distributed, tidy } = torch;

function report(result: unknown): void {
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

async function collectives(): Promise<void> {
  const pg = await distributed.initProcessGroup({ backend: 'gloo', timeoutMs: 10_000 });
  const r = pg.rank;
  const baseline = torch.liveTensors();
  const values = tidy(() => {
    const a = torch.full([2, 3], r + 1);
    const a2 = torch.full([3], 10 * (r + 1));
    const b = torch.arange(4).mul(r + 1);
    const c = torch.tensor([r * 10 + 0.5], { dtype: 'float64' });
    // Buckets: [a, a2] packed into the float32 workspace, [b] and [c] reduced in place.
    pg.allReduce([a, a2, b, c]);

    const many = Array.from({ length: 10 }, (_, i) => torch.full([1000], (r + 1) * (i + 1)));
    const strided = torch
      .arange(6)
      .float()
      .reshape(3, 2)
      .mul(r + 1)
      .t();
    // 8000-byte buckets hold two 4000-byte tensors: five buckets plus one for the non-contiguous tensor.
    pg.allReduce([...many, strided], { op: 'avg', bucketBytes: 8000 });

    const w = torch.full([5], r === 1 ? 7 : -1);
    const weight = torch.full([2, 2], r === 1 ? 3 : 0, { requiresGrad: true });
    pg.broadcast([w, weight], 1);

    const gathered = pg.allGather(torch.tensor([r, r * r + 1], { dtype: 'int64' }));
    pg.barrier();
    return {
      a: a.toArray(),
      a2: a2.toArray(),
      b: b.toArray(),
      c: c.toArray(),
      many: many.map((t) => [t.min().item(), t.max().item()]),
      strided: strided.tolist(),
      w: w.toArray(),
      weight: weight.toArray(),
      weightRequiresGrad: weight.requiresGrad,
      gathered: gathered.map((t) => t.toArray()),
    };
  });
  if (r === 0) pg.store.set('greeting', 'hello from rank 0');
  const greeting = pg.store.get('greeting');
  report({ rank: r, ...values, greeting, leaked: torch.liveTensors() - baseline });
  pg.destroy();
}

// Rank 1 waits to be SIGKILLed; rank 0 waits for "go" on stdin, then runs collectives with a dead peer.
async function peerDeath(): Promise<void> {
  const pg = await distributed.initProcessGroup({ backend: 'gloo', timeoutMs: Number(process.env.TIMEOUT_MS) });
  pg.barrier();
  process.stdout.write('READY\n');
  if (pg.rank !== 0) {
    setInterval(() => undefined, 1000);
    return;
  }
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) if (line === 'go') break;
  lines.close();
  const grad = torch.ones([1000]);
  const started = Date.now();
  let first = '';
  try {
    pg.allReduce([grad]);
  } catch (error) {
    first = (error as Error).message;
  }
  const elapsedMs = Date.now() - started;
  let second = '';
  try {
    pg.barrier();
  } catch (error) {
    second = (error as Error).message;
  }
  grad.dispose();
  report({ first, second, elapsedMs });
  pg.destroy();
}

const scenarios: Record<string, () => Promise<void>> = { collectives, peerDeath };
const scenario = scenarios[process.env.SCENARIO ?? ''];
if (scenario === undefined) throw new Error(`distributed-worker: unknown SCENARIO=${process.env.SCENARIO}`);
await scenario();
