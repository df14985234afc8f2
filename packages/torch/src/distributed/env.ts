// The launcher's view of this process: torchrun's environment variables, with PyTorch's defaults.

/** Where this process sits in a distributed run. */
export interface DistributedEnv {
  /** Global rank (RANK), 0-based. */
  rank: number;
  /** Rank on this machine (LOCAL_RANK): the CUDA device index to use. */
  localRank: number;
  /** Total number of processes (WORLD_SIZE). */
  worldSize: number;
  /** Processes on this machine (LOCAL_WORLD_SIZE; defaults to WORLD_SIZE). */
  localWorldSize: number;
  /** This machine's index among the nodes (NODE_RANK, or GROUP_RANK as torchrun names it). */
  nodeRank: number;
  /** Address of rank 0's machine (MASTER_ADDR). */
  masterAddr: string;
  /** Port of the TCPStore on rank 0's machine (MASTER_PORT). */
  masterPort: number;
  /** True when WORLD_SIZE was set (a launcher started this process), false for a plain single process. */
  launched: boolean;
  /**
   * True when torchrun's agent already serves the TCPStore at MASTER_ADDR:MASTER_PORT
   * (TORCHELASTIC_USE_AGENT_STORE=True): every rank connects to it as a client.
   */
  agentStore: boolean;
  /** How many times torchrun restarted the workers (TORCHELASTIC_RESTART_COUNT); keys of each attempt are kept apart. */
  restartCount: number;
}

function integerVar(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`environment variable ${name}=${JSON.stringify(raw)} is not an integer >= ${min}`);
  return value;
}

/**
 * Reads RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, NODE_RANK (or GROUP_RANK), MASTER_ADDR, MASTER_PORT,
 * TORCHELASTIC_USE_AGENT_STORE and TORCHELASTIC_RESTART_COUNT as torchrun sets them; absent ones default to a
 * single local process (port 29500).
 *
 * @example
 * const { rank, worldSize, masterAddr, masterPort } = distributed.envRank();
 */
export function envRank(env: NodeJS.ProcessEnv = process.env): DistributedEnv {
  const worldSize = integerVar(env, 'WORLD_SIZE', 1, 1);
  const rank = integerVar(env, 'RANK', 0, 0);
  if (rank >= worldSize) throw new Error(`environment variable RANK=${rank} must be < WORLD_SIZE=${worldSize}`);
  const masterPort = integerVar(env, 'MASTER_PORT', 29500, 1);
  if (masterPort > 65535) throw new Error(`environment variable MASTER_PORT=${masterPort} is not a TCP port`);
  return {
    rank,
    localRank: integerVar(env, 'LOCAL_RANK', rank, 0),
    worldSize,
    localWorldSize: integerVar(env, 'LOCAL_WORLD_SIZE', worldSize, 1),
    nodeRank: integerVar(env, 'NODE_RANK', integerVar(env, 'GROUP_RANK', 0, 0), 0),
    masterAddr: env.MASTER_ADDR || '127.0.0.1',
    masterPort,
    launched: env.WORLD_SIZE !== undefined && env.WORLD_SIZE !== '',
    agentStore: env.TORCHELASTIC_USE_AGENT_STORE === 'True',
    restartCount: integerVar(env, 'TORCHELASTIC_RESTART_COUNT', 0, 0),
  };
}
