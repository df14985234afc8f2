// Distributed communication over libtorch's c10d: stores, process groups, collectives, launcher env vars.

export { type DistributedEnv, envRank } from './env.js';
export {
  type AllReduceOptions,
  availableBackends,
  type Backend,
  DEFAULT_BUCKET_BYTES,
  DEFAULT_TIMEOUT_MS,
  type InitProcessGroupOptions,
  initProcessGroup,
  ProcessGroup,
  type ReduceOp,
} from './process-group.js';
export { TCPStore, type TCPStoreOptions } from './store.js';
