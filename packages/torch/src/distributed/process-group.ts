// A group of processes running collectives together (c10d's ProcessGroupGloo, or ProcessGroupNCCL in CUDA
// builds): the communication layer of distributed data-parallel training.

import { track } from '../scope.js';
import { Tensor } from '../tensor.js';
import { type DistributedEnv, envRank } from './env.js';
import { distributedNative, type GroupHandle } from './native.js';
import { TCPStore } from './store.js';

export type Backend = 'gloo' | 'nccl';
export type ReduceOp = 'sum' | 'avg';

/** PyTorch's default collective timeout (30 min): long enough for a slow first epoch on one rank. */
export const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;
/** DDP's default bucket size: gradients travel in flat buffers of about this many bytes. */
export const DEFAULT_BUCKET_BYTES = 25 * 1024 * 1024;

export interface InitProcessGroupOptions {
  /** 'gloo' (CPU tensors) or 'nccl' (CUDA tensors; only in an addon built against a CUDA libtorch). Default 'gloo'. */
  backend?: Backend;
  /** Default: RANK. */
  rank?: number;
  /** Default: WORLD_SIZE. */
  worldSize?: number;
  /** Default: MASTER_ADDR, else 127.0.0.1. */
  masterAddr?: string;
  /** Default: MASTER_PORT, else 29500. */
  masterPort?: number;
  /** Bound on the rendezvous and on every collective, in ms: a dead or stuck peer becomes an Error after it. */
  timeoutMs?: number;
  /** A store all ranks already share, instead of a new TCPStore at masterAddr:masterPort. */
  store?: TCPStore;
  /** Network interface Gloo binds to (default: GLOO_SOCKET_IFNAME, else loopback for a loopback master, else this host's address). */
  glooInterface?: string;
}

export interface AllReduceOptions {
  /** 'sum' (default) or 'avg' (sum divided by worldSize; floating dtypes only). */
  op?: ReduceOp;
  /** Size of the flat buffers consecutive tensors are packed into, one collective each. Default 25 MiB. */
  bucketBytes?: number;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/**
 * One rank's handle on a process group. Collectives block until every rank took part; a peer that died or
 * stopped responding makes them throw within the group's timeout, after which the group is unusable.
 *
 * @example
 * const pg = await distributed.initProcessGroup({ backend: 'gloo', timeoutMs: 60_000 }); // RANK, WORLD_SIZE… from env
 * pg.broadcast(model.parameters(), 0);                      // every rank starts from rank 0's weights
 * // … after backward():
 * pg.allReduce(grads, { op: 'avg' });                      // in place, in 25 MiB buckets
 * pg.destroy();
 */
export class ProcessGroup {
  private handle: GroupHandle | null;

  /** @internal Use `initProcessGroup`. */
  constructor(
    handle: GroupHandle,
    readonly backend: Backend,
    readonly rank: number,
    readonly worldSize: number,
    readonly timeoutMs: number,
    /** The store the group met on; also usable for small messages between ranks (`set` / `get`). */
    readonly store: TCPStore,
    private readonly ownsStore: boolean,
  ) {
    this.handle = handle;
  }

  private get native(): GroupHandle {
    if (this.handle === null) throw new Error(`process group (rank ${this.rank} of ${this.worldSize}) was destroyed`);
    return this.handle;
  }

  /** Sums (or averages) each tensor over all ranks, in place; every rank must pass tensors of the same shapes and dtypes, in the same order. */
  allReduce(tensors: Tensor | Tensor[], options: AllReduceOptions = {}): void {
    const list = Array.isArray(tensors) ? tensors : [tensors];
    const op = options.op ?? 'sum';
    if (op !== 'sum' && op !== 'avg') throw new Error(`allReduce: op must be 'sum' or 'avg', got '${String(op)}'`);
    distributedNative.allReduce(
      this.native,
      list.map((t) => t.handle),
      op === 'avg',
      bucketBytesOf(options.bucketBytes),
    );
  }

  /** Overwrites each tensor on every rank with `root`'s, in place (e.g. initial weights). */
  broadcast(tensors: Tensor | Tensor[], root = 0, options: { bucketBytes?: number } = {}): void {
    const list = Array.isArray(tensors) ? tensors : [tensors];
    distributedNative.broadcast(
      this.native,
      list.map((t) => t.handle),
      root,
      bucketBytesOf(options.bucketBytes),
    );
  }

  /** Returns once every rank reached the barrier. */
  barrier(): void {
    distributedNative.barrier(this.native);
  }

  /** Every rank's copy of `tensor` (same shape and dtype on all ranks), indexed by rank: new tensors in the current scope. */
  allGather(tensor: Tensor): Tensor[] {
    return distributedNative.allGather(this.native, tensor.handle).map((h) => track(new Tensor(h)));
  }

  /** Leaves the group (joining its threads) and closes the store it created. Idempotent. */
  destroy(): void {
    if (this.handle === null) return;
    distributedNative.destroyProcessGroup(this.handle);
    this.handle = null;
    if (this.ownsStore) this.store.close();
  }
}

function bucketBytesOf(bucketBytes: number | undefined): number {
  const bytes = bucketBytes ?? DEFAULT_BUCKET_BYTES;
  if (!Number.isFinite(bytes) || bytes < 1) throw new RangeError(`bucketBytes must be a positive number, got ${bytes}`);
  return Math.floor(bytes);
}

/**
 * The store the ranks meet on, as PyTorch's env:// rendezvous makes it: rank 0 serves a new TCPStore, unless
 * torchrun's agent already serves one (then all ranks are clients, under a prefix per restart attempt).
 */
async function rendezvousStore(env: DistributedEnv, rank: number, host: string, port: number, timeoutMs: number): Promise<TCPStore> {
  if (!env.agentStore) return TCPStore.connect({ host, port, isMaster: rank === 0, timeoutMs });
  const agent = await TCPStore.connect({ host, port, isMaster: false, timeoutMs });
  const attempt = agent.withPrefix(`/worker/attempt_${env.restartCount}`);
  agent.close();
  return attempt;
}

/** Backends this build of the addon has: always 'gloo', plus 'nccl' when built against a CUDA libtorch. */
export function availableBackends(): Backend[] {
  return distributedNative.backends() as Backend[];
}

/**
 * Joins this process to a group: rank 0 serves a TCPStore at masterAddr:masterPort, every rank meets there,
 * then the backend connects them all to each other. Unset options come from torchrun's env vars (`envRank()`).
 * Resolves once all `worldSize` ranks have joined; rejects with an Error naming the port, the address or the
 * rendezvous that failed.
 *
 * @example
 * const pg = await distributed.initProcessGroup({ backend: 'gloo', rank, worldSize: 2, masterAddr: '127.0.0.1', masterPort: 29500 });
 */
export async function initProcessGroup(options: InitProcessGroupOptions = {}): Promise<ProcessGroup> {
  const env = envRank();
  const backend = options.backend ?? 'gloo';
  const rank = options.rank ?? env.rank;
  const worldSize = options.worldSize ?? env.worldSize;
  const masterAddr = options.masterAddr ?? env.masterAddr;
  const masterPort = options.masterPort ?? env.masterPort;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!availableBackends().includes(backend)) {
    const hint = backend === 'nccl' ? ': NCCL needs the addon built against a CUDA libtorch (see docs/distributed.md)' : '';
    throw new Error(`initProcessGroup: backend '${backend}' is not available in this build${hint}`);
  }
  const ownsStore = options.store === undefined;
  const store = options.store ?? (await rendezvousStore(env, rank, masterAddr, masterPort, timeoutMs));
  const glooInterface = options.glooInterface ?? process.env.GLOO_SOCKET_IFNAME ?? '';
  const glooHostname = glooInterface === '' && isLoopback(masterAddr) ? '127.0.0.1' : '';
  try {
    const handle = await distributedNative.newProcessGroup(store.native, backend, rank, worldSize, timeoutMs, glooInterface, glooHostname);
    return new ProcessGroup(handle, backend, rank, worldSize, timeoutMs, store, ownsStore);
  } catch (error) {
    if (ownsStore) store.close();
    throw error;
  }
}
