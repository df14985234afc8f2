// Distributed layer: 2 Gloo ranks on loopback, each a child node process (distributed-worker.ts), plus the
// failures a launcher meets (port in use, unreachable master, a peer killed mid-run) and torchrun's env vars.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '@yolots/torch';

const { distributed } = torch;
const workerScript = fileURLToPath(new URL('./distributed-worker.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

function listen(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function freePort(): Promise<number> {
  const server = await listen();
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Rank {
  child: ChildProcess;
  /** Resolves with the first stdout line starting with `prefix` (the rest of it). */
  line(prefix: string): Promise<string>;
  exited: Promise<number | null>;
}

function spawnRank(scenario: string, rank: number, port: number, env: Record<string, string> = {}): Rank {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', workerScript], {
    cwd: repoRoot,
    env: {
      ...process.env,
      SCENARIO: scenario,
      RANK: String(rank),
      WORLD_SIZE: '2',
      MASTER_ADDR: '127.0.0.1',
      MASTER_PORT: String(port),
      OMP_NUM_THREADS: '1',
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: { prefix: string; resolve: (rest: string) => void }[] = [];
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const w of [...waiters]) {
      const found = stdout.split('\n').find((l) => l.startsWith(w.prefix));
      if (found !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(found.slice(w.prefix.length));
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  void exited.then(() => clearTimeout(killer));
  return {
    child,
    exited,
    line: (prefix) =>
      new Promise((resolve, reject) => {
        waiters.push({ prefix, resolve });
        void exited.then((code) =>
          reject(new Error(`rank ${rank} exited (${code}) before printing '${prefix}'\nstdout:\n${stdout}\nstderr:\n${stderr}`)),
        );
      }),
  };
}

describe('distributed: 2 Gloo ranks on loopback', () => {
  test('allReduce (sum, avg, multi-bucket), broadcast, allGather, barrier and the store agree on both ranks', async () => {
    const port = await freePort();
    const ranks = [spawnRank('collectives', 0, port), spawnRank('collectives', 1, port)];
    const results = await Promise.all(ranks.map(async (r) => JSON.parse(await r.line('RESULT '))));
    assert.deepEqual(await Promise.all(ranks.map((r) => r.exited)), [0, 0]);
    for (const [rank, out] of results.entries()) {
      assert.equal(out.rank, rank);
      assert.deepEqual(out.a, [3, 3, 3, 3, 3, 3], 'float32 sum of 1 and 2');
      assert.deepEqual(out.a2, [30, 30, 30], 'float32 sum of 10 and 20, packed with a');
      assert.deepEqual(out.b, [0, 3, 6, 9], 'int64 sum of arange(4)*1 and arange(4)*2');
      assert.deepEqual(out.c, [11], 'float64 sum of 0.5 and 10.5');
      assert.deepEqual(
        out.many,
        Array.from({ length: 10 }, (_, i) => [1.5 * (i + 1), 1.5 * (i + 1)]),
        'average over 6 buckets',
      );
      assert.deepEqual(out.strided, [
        [0, 3, 6],
        [1.5, 4.5, 7.5],
      ]);
      assert.deepEqual(out.w, [7, 7, 7, 7, 7]);
      assert.deepEqual(out.weight, [3, 3, 3, 3], 'parameters that require grad take the root rank values');
      assert.equal(out.weightRequiresGrad, true);
      assert.deepEqual(out.gathered, [
        [0, 1],
        [1, 2],
      ]);
      assert.equal(out.greeting, 'hello from rank 0');
      assert.equal(out.leaked, 0, 'collectives leave no tensor handles behind');
    }
  });

  // A crash before the collective, a crash while rank 0 is blocked in it, and a peer that hangs (stopped):
  // each must surface on rank 0 as an Error within the timeout (plus a margin), never as a hang.
  const failures = [
    {
      name: 'a peer SIGKILLed before the collective',
      signal: 'SIGKILL',
      killAfterMs: -1,
      expect: /Connection closed by peer|Connection reset/,
    },
    {
      name: 'a peer SIGKILLed during the collective',
      signal: 'SIGKILL',
      killAfterMs: 500,
      expect: /Connection closed by peer|Connection reset/,
    },
    { name: 'a stopped (hung) peer', signal: 'SIGSTOP', killAfterMs: 500, expect: /timed out/i },
  ] as const;
  for (const { name, signal, killAfterMs, expect } of failures) {
    test(`${name}: the next collective throws within the timeout and the group refuses further use`, async () => {
      const port = await freePort();
      const timeoutMs = 3000;
      const ranks = [0, 1].map((rank) => spawnRank('peerDeath', rank, port, { TIMEOUT_MS: String(timeoutMs) }));
      const [survivor, victim] = ranks as [Rank, Rank];
      await Promise.all(ranks.map((r) => r.line('READY')));
      try {
        if (killAfterMs < 0) {
          victim.child.kill(signal);
          await victim.exited;
        }
        survivor.child.stdin!.write('go\n');
        if (killAfterMs >= 0) setTimeout(() => victim.child.kill(signal), killAfterMs);
        const out = JSON.parse(await survivor.line('RESULT '));
        assert.equal(await survivor.exited, 0);
        console.log(`${name}: rank 0 threw after ${out.elapsedMs} ms: ${out.first}`);
        assert.match(out.first, /^allReduce of 1 tensors in 1 buckets failed on rank 0 of 2 \(gloo, timeout 3000 ms\): /);
        assert.match(out.first, expect);
        assert.ok(out.elapsedMs < timeoutMs + 3000, `failed after ${out.elapsedMs} ms`);
        assert.match(out.second, /unusable after an earlier failure \(allReduce/);
      } finally {
        victim.child.kill('SIGKILL');
      }
    });
  }
});

describe('distributed: rendezvous failures', () => {
  test('a master port already in use is a clear error naming the port', async () => {
    const server = await listen();
    const { port } = server.address() as { port: number };
    try {
      await assert.rejects(
        distributed.initProcessGroup({ rank: 0, worldSize: 2, masterAddr: '127.0.0.1', masterPort: port, timeoutMs: 2000 }),
        new RegExp(`TCPStore master could not listen on port ${port} \\(is it already in use`),
      );
    } finally {
      server.close();
    }
  });

  test('an unreachable master is a clear error naming host:port, after the timeout', async () => {
    const port = await freePort();
    const started = Date.now();
    await assert.rejects(
      distributed.TCPStore.connect({ host: '127.0.0.1', port, isMaster: false, timeoutMs: 1500 }),
      new RegExp(`could not reach the master at 127\\.0\\.0\\.1:${port} within 1500 ms`),
    );
    assert.ok(Date.now() - started < 6000, 'gave up within a few seconds');
  });

  test('a rank that never joins fails the rendezvous after the timeout, naming it', async () => {
    const started = Date.now();
    await assert.rejects(
      distributed.initProcessGroup({ rank: 0, worldSize: 2, masterAddr: '127.0.0.1', masterPort: await freePort(), timeoutMs: 1500 }),
      /gloo process group rendezvous \(rank 0 of 2, timeout 1500 ms\) failed \(did all ranks start/,
    );
    assert.ok(Date.now() - started < 6000, 'gave up within a few seconds');
  });

  test('a single-rank group works in-process and refuses use after destroy', async () => {
    const pg = await distributed.initProcessGroup({
      rank: 0,
      worldSize: 1,
      masterAddr: '127.0.0.1',
      masterPort: await freePort(),
      timeoutMs: 5000,
    });
    const baseline = torch.liveTensors();
    const x = torch.tensor([1, 2, 3]);
    pg.allReduce(x, { op: 'avg' });
    assert.deepEqual(x.toArray(), [1, 2, 3]);
    const counts = torch.arange(3);
    assert.throws(() => pg.allReduce(counts, { op: 'avg' }), /averaging needs a floating dtype/);
    pg.allReduce(counts);
    assert.deepEqual(counts.toArray(), [0, 1, 2], 'a failed precondition leaves the group usable');
    counts.dispose();
    const [only, ...rest] = pg.allGather(x);
    assert.deepEqual(only!.toArray(), [1, 2, 3]);
    assert.equal(rest.length, 0);
    only!.dispose();
    x.dispose();
    assert.equal(torch.liveTensors(), baseline);
    pg.store.set('k', 'v');
    assert.equal(pg.store.get('k'), 'v');
    assert.equal(pg.store.add('n', 5), 5);
    pg.destroy();
    assert.throws(() => pg.barrier(), /was destroyed/);
  });

  test("under torchrun's agent store every rank is a client, keyed by the restart attempt", async () => {
    const port = await freePort();
    const agent = await distributed.TCPStore.connect({ host: '127.0.0.1', port, isMaster: true, timeoutMs: 5000 });
    const saved = { use: process.env.TORCHELASTIC_USE_AGENT_STORE, restart: process.env.TORCHELASTIC_RESTART_COUNT };
    process.env.TORCHELASTIC_USE_AGENT_STORE = 'True';
    process.env.TORCHELASTIC_RESTART_COUNT = '2';
    try {
      const pg = await distributed.initProcessGroup({ rank: 0, worldSize: 1, masterAddr: '127.0.0.1', masterPort: port, timeoutMs: 5000 });
      pg.store.set('hello', 'world');
      assert.equal(agent.get('/worker/attempt_2/hello'), 'world');
      pg.destroy();
    } finally {
      for (const [name, value] of [
        ['TORCHELASTIC_USE_AGENT_STORE', saved.use],
        ['TORCHELASTIC_RESTART_COUNT', saved.restart],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      agent.close();
    }
  });

  test('nccl is refused with a pointer to the docs in a CPU build', {
    skip: distributed.availableBackends().includes('nccl') && 'this build has NCCL',
  }, async () => {
    await assert.rejects(
      distributed.initProcessGroup({ backend: 'nccl', rank: 0, worldSize: 1 }),
      /backend 'nccl' is not available.*CUDA libtorch/,
    );
  });
});

describe('distributed.envRank', () => {
  test("reads torchrun's variables with PyTorch's defaults", () => {
    assert.deepEqual(distributed.envRank({}), {
      rank: 0,
      localRank: 0,
      worldSize: 1,
      localWorldSize: 1,
      nodeRank: 0,
      masterAddr: '127.0.0.1',
      masterPort: 29500,
      launched: false,
      agentStore: false,
      restartCount: 0,
    });
    const env = {
      RANK: '5',
      LOCAL_RANK: '1',
      WORLD_SIZE: '8',
      LOCAL_WORLD_SIZE: '4',
      GROUP_RANK: '1',
      MASTER_ADDR: '10.0.0.2',
      MASTER_PORT: '1234',
      TORCHELASTIC_USE_AGENT_STORE: 'True',
      TORCHELASTIC_RESTART_COUNT: '3',
    };
    assert.deepEqual(distributed.envRank(env), {
      rank: 5,
      localRank: 1,
      worldSize: 8,
      localWorldSize: 4,
      nodeRank: 1,
      masterAddr: '10.0.0.2',
      masterPort: 1234,
      launched: true,
      agentStore: true,
      restartCount: 3,
    });
  });

  test('bad values name the variable', () => {
    assert.throws(() => distributed.envRank({ WORLD_SIZE: 'two' }), /WORLD_SIZE="two" is not an integer/);
    assert.throws(() => distributed.envRank({ RANK: '2', WORLD_SIZE: '2' }), /RANK=2 must be < WORLD_SIZE=2/);
  });
});
