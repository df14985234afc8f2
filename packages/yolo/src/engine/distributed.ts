// Distributed data-parallel plumbing for the trainer: the launcher that starts the ranks a run asks for (device.ts
// counts them) by re-running the user's own entry script with torchrun's environment variables — so custom trainer
// classes and callbacks defined in that script exist in every rank (Ultralytics loses them in its generated DDP file).
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';

type ProcessGroup = torch.distributed.ProcessGroup;

/** The run directory the launcher hands its ranks, so they write into the directory it created. */
export const SAVE_DIR_ENV = 'YOLOTS_SAVE_DIR';

/** A free TCP port on loopback for the rendezvous store. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

/**
 * Starts `worldSize` ranks of this same program (same Node flags, script and arguments) with RANK, LOCAL_RANK,
 * WORLD_SIZE, MASTER_ADDR and MASTER_PORT set, and waits for all of them. When a rank fails, the others are
 * stopped and the error names the rank that failed first and how.
 */
export async function launchRanks(worldSize: number, saveDir: string): Promise<void> {
  const script = process.argv[1];
  if (script === undefined) throw new Error('distributed training needs an entry script to re-run in each rank');
  // The handlers go in before the first rank exists: without them Node's default action for SIGTERM ends the
  // launcher at once, so a signal that came while it was still inside a spawn (forking a process with libtorch
  // loaded takes a while on a loaded machine) left the ranks already started training as orphans.
  const children: ChildProcess[] = [];
  const signals = passSignalsTo(children);
  let failures: Failure[];
  try {
    const masterPort = process.env.MASTER_PORT ?? String(await freePort());
    // A signal that came before any rank started leaves none to start.
    if (signals.received() === null) {
      for (let rank = 0; rank < worldSize; rank++) {
        children.push(spawnRank(script, rank, worldSize, masterPort, saveDir));
      }
    }
    failures = await waitForRanks(children);
  } finally {
    signals.release();
  }
  const signal = signals.received();
  if (signal) {
    // Stopped by a signal: end as it would have ended this process, once the ranks it reached are gone.
    process.kill(process.pid, signal);
    throw new Error(`distributed training stopped by ${signal}`);
  }
  // A killed rank makes its peers fail too ("connection closed"), sometimes before its own exit is seen: report
  // a rank killed by a signal first, else the first that failed.
  const culprit = failures.find((f) => f.signal !== null && f.signal !== 'SIGTERM') ?? failures[0];
  if (culprit) {
    const how = culprit.signal ? `was killed by ${culprit.signal}` : `exited with code ${culprit.code}`;
    throw new Error(`distributed training failed: rank ${culprit.rank} ${how}; the other ranks were stopped`);
  }
}

type Failure = { rank: number; code: number | null; signal: NodeJS.Signals | null };

/** Rank `rank` of this same program (same Node flags, script and arguments) with torchrun's environment. */
function spawnRank(script: string, rank: number, worldSize: number, masterPort: string, saveDir: string): ChildProcess {
  return spawn(process.execPath, [...process.execArgv, script, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: {
      ...process.env,
      RANK: String(rank),
      LOCAL_RANK: String(rank),
      WORLD_SIZE: String(worldSize),
      LOCAL_WORLD_SIZE: String(worldSize),
      MASTER_ADDR: process.env.MASTER_ADDR ?? '127.0.0.1',
      MASTER_PORT: masterPort,
      [SAVE_DIR_ENV]: saveDir,
    },
  });
}

/** Waits for every rank to exit; the first that fails makes the others stop. Returns the failures in the order seen. */
async function waitForRanks(children: readonly ChildProcess[]): Promise<Failure[]> {
  const failures: Failure[] = [];
  await Promise.all(
    children.map(
      (child, rank) =>
        new Promise<void>((resolve) => {
          child.on('exit', (code, signal) => {
            if (code !== 0 || signal !== null) {
              failures.push({ rank, code, signal });
              for (const other of children)
                if (other !== child && other.exitCode === null && other.signalCode === null) other.kill('SIGTERM');
            }
            resolve();
          });
        }),
    ),
  );
  return failures;
}

/**
 * While the launcher runs its ranks, SIGTERM and SIGHUP sent to it (by a supervisor, `docker stop`, a closed
 * terminal) are passed on to the ranks in `children` (a list the launcher fills as it spawns them; a rank spawned
 * after the signal's handler ran gets it too: the spawns are synchronous, so the handler runs after the last one),
 * and the launcher's own exit (Ctrl-C's notice exits 130) stops any rank still running: no rank is left training
 * on its own. `received` says which signal came; `release` removes the handlers.
 */
function passSignalsTo(children: readonly ChildProcess[]): { received: () => NodeJS.Signals | null; release: () => void } {
  let received: NodeJS.Signals | null = null;
  const running = (): ChildProcess[] => children.filter((c) => c.exitCode === null && c.signalCode === null);
  const forward = (signal: NodeJS.Signals): void => {
    received = signal;
    for (const child of running()) child.kill(signal);
  };
  const stopAll = (): void => {
    for (const child of running()) child.kill('SIGTERM');
  };
  process.on('SIGTERM', forward);
  process.on('SIGHUP', forward);
  process.on('exit', stopAll);
  return {
    received: () => received,
    release: () => {
      process.off('SIGTERM', forward);
      process.off('SIGHUP', forward);
      process.off('exit', stopAll);
    },
  };
}

// ---- the collectives of a training step (tensors on the rank's device: NCCL needs CUDA tensors) ---------------

/** Whether `value` is finite on every rank: all ranks must take the same branch, or the next all-reduce would hang. */
export function finiteOnAllRanks(pg: ProcessGroup, value: number, device: string): boolean {
  return torch.tidy(() => {
    const bad = torch.tensor([Number.isFinite(value) ? 0 : 1], { device });
    pg.allReduce(bad, { op: 'sum' });
    return bad.item() === 0;
  });
}

/** Averages the parameters' gradients over the ranks, in buckets (DistributedDataParallel's arithmetic). */
export function averageGradients(pg: ProcessGroup, parameters: readonly Tensor[]): void {
  const grads = parameters.map((p) => p.grad).filter((g): g is Tensor => g !== null);
  torch.noGrad(() => pg.allReduce(grads, { op: 'avg' }));
}

/** Rank 0's stop decision and epoch count, as every rank receives them. */
export function broadcastStop(pg: ProcessGroup, stop: boolean, epochs: number, device: string): { stop: boolean; epochs: number } {
  const [flag, count] = torch.tidy(() => {
    const t = torch.tensor([stop ? 1 : 0, epochs], { dtype: 'float64', device });
    pg.broadcast(t, 0);
    return t.toArray();
  });
  return { stop: flag === 1, epochs: count ?? epochs };
}
