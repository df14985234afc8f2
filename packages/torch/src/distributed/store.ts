// A key-value store shared by all ranks (c10d's TCPStore): the rendezvous point of a process group and a
// channel for small coordination messages.
import { distributedNative, type StoreHandle } from './native.js';

export interface TCPStoreOptions {
  /** Address of the master (rank 0's machine). */
  host: string;
  port: number;
  /** True on exactly one process (rank 0): it listens on `port`; the others connect to it. */
  isMaster: boolean;
  /** How long connecting and `get` may wait, in ms. */
  timeoutMs: number;
}

/**
 * c10d's TCPStore. The master serves it on `port`; everyone (master included) is a client.
 *
 * @example
 * const store = await TCPStore.connect({ host: '127.0.0.1', port: 29500, isMaster: rank === 0, timeoutMs: 30_000 });
 * if (rank === 0) store.set('run_dir', '/runs/exp3');
 * const runDir = store.get('run_dir'); // waits until rank 0 set it
 */
export class TCPStore {
  private handle: StoreHandle | null;

  private constructor(
    handle: StoreHandle,
    readonly host: string,
    readonly port: number,
  ) {
    this.handle = handle;
  }

  /** Starts (master) or reaches (others) the store; rejects naming the port or host:port when that fails. */
  static async connect(options: TCPStoreOptions): Promise<TCPStore> {
    const { host, port, isMaster, timeoutMs } = options;
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new RangeError(`TCPStore port must be an integer in 0..65535, got ${port}`);
    return new TCPStore(await distributedNative.createTcpStore(host, port, isMaster, timeoutMs), host, port);
  }

  /** @internal The native handle; throws once closed. */
  get native(): StoreHandle {
    if (this.handle === null) throw new Error(`TCPStore ${this.host}:${this.port} was closed`);
    return this.handle;
  }

  /** A view of this store whose keys are stored as `prefix/key` (PyTorch's PrefixStore). */
  withPrefix(prefix: string): TCPStore {
    return new TCPStore(distributedNative.prefixStore(this.native, prefix), this.host, this.port);
  }

  set(key: string, value: string): void {
    distributedNative.storeSet(this.native, key, value);
  }

  /** The value of `key`, blocking until some rank sets it (or the store's timeout passes: an Error). */
  get(key: string): string {
    return distributedNative.storeGet(this.native, key);
  }

  /** Atomically adds `delta` to the integer at `key` (0 when absent) and returns the new value. */
  add(key: string, delta: number): number {
    return distributedNative.storeAdd(this.native, key, delta);
  }

  /**
   * Releases this handle. The connection (and, on the master, the server) ends once no process group made
   * on this store is alive either. Idempotent.
   */
  close(): void {
    if (this.handle !== null) {
      distributedNative.storeClose(this.handle);
      this.handle = null;
    }
  }
}
