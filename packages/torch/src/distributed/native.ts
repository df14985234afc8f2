// The distributed part of the addon (native/distributed.cc) and the exact shape of what it exports.
import { type Handle, native } from '../native.js';

/** An opaque handle on a c10d store. */
export type StoreHandle = object & { readonly __store: unique symbol };
/** An opaque handle on a c10d process group. */
export type GroupHandle = object & { readonly __group: unique symbol };

export interface DistributedAddon {
  createTcpStore(host: string, port: number, isMaster: boolean, timeoutMs: number): Promise<StoreHandle>;
  storeSet(store: StoreHandle, key: string, value: string): void;
  storeGet(store: StoreHandle, key: string): string;
  storeAdd(store: StoreHandle, key: string, delta: number): number;
  prefixStore(store: StoreHandle, prefix: string): StoreHandle;
  storeClose(store: StoreHandle): void;
  backends(): string[];
  newProcessGroup(
    store: StoreHandle,
    backend: string,
    rank: number,
    worldSize: number,
    timeoutMs: number,
    glooInterface: string,
    glooHostname: string,
  ): Promise<GroupHandle>;
  destroyProcessGroup(group: GroupHandle): void;
  allReduce(group: GroupHandle, tensors: Handle[], average: boolean, bucketBytes: number): void;
  broadcast(group: GroupHandle, tensors: Handle[], root: number, bucketBytes: number): void;
  barrier(group: GroupHandle): void;
  allGather(group: GroupHandle, tensor: Handle): Handle[];
}

export const distributedNative = (native as unknown as { distributed: DistributedAddon }).distributed;
