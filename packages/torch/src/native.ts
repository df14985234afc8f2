// The compiled addon and the exact shape of what it exports. Nothing outside @yolots/torch touches this.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** An opaque handle on one at::Tensor (a napi External). */
export type Handle = object & { readonly __handle: unique symbol };

/** Values the generic operator call accepts and returns. */
export type NativeArg = Handle | number | boolean | string | null | undefined | bigint | NativeArg[];
export type NativeResult = Handle | number | boolean | string | null | NativeResult[];

export interface NativeAddon {
  findOp(name: string, overload: string): number;
  opSchema(id: number): string;
  callOp(id: number, args: NativeArg[], kwargs: Record<string, NativeArg> | undefined, keepResult: boolean): NativeResult;
  dispose(h: Handle): boolean;
  /** Tells V8 the tensor's native size: from now on the GC decides when it dies. Idempotent. */
  handToGc(h: Handle): void;
  isDisposed(h: Handle): boolean;
  liveTensors(): number;
  memoryStats(): {
    nativeBytes: number;
    peakNativeBytes: number;
    gcOwnedBytes: number;
    allocator: 'pool' | 'heap' | 'system';
    poolBytes: number;
    poolFreeBytes: number;
  };
  resetPeakMemory(): void;
  releaseMemory(): boolean;
  mallocInfo(): string | null;
  fromBuffer(data: ArrayBufferView, scalarType: number, shape: number[]): Handle;
  toBuffer(h: Handle): ArrayBuffer;
  copyFromBuffer(h: Handle, data: ArrayBufferView): void;
  shape(h: Handle): number[];
  strides(h: Handle): number[];
  scalarType(h: Handle): number;
  device(h: Handle): string;
  numel(h: Handle): number;
  item(h: Handle): number | boolean;
  isContiguous(h: Handle, memoryFormat: number): boolean;
  storageKey(h: Handle): number;
  requiresGrad(h: Handle): boolean;
  setRequiresGrad(h: Handle, value: boolean): void;
  isLeaf(h: Handle): boolean;
  grad(h: Handle): Handle | null;
  setGrad(h: Handle, g: Handle | null): void;
  setData(h: Handle, source: Handle): void;
  backward(tensors: Handle[], grads: (Handle | null)[], retainGraph: boolean | undefined, createGraph: boolean): void;
  isGradEnabled(): boolean;
  setGradEnabled(enabled: boolean): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  manualSeed(seed: number): void;
  cudaDeviceCount(): number;
  cudaIsBuilt(): boolean;
  cudaSynchronize(index: number): void;
  cudaMemGetInfo(index: number): [number, number];
  /** Undefined from an addon built against a CPU-only libtorch. */
  cudaMemoryReserved(index: number): number | undefined;
  buildInfo(): { version: string; config: string; parallelInfo: string; mkldnn: boolean; openmp: boolean };
  /** [enabled, scalar type code] of autocast for 'cpu' or 'cuda' on this thread. */
  autocastState(device: 'cpu' | 'cuda'): [boolean, number];
  setAutocast(device: 'cpu' | 'cuda', enabled: boolean, scalarType: number): void;
  autocastEnterNesting(): number;
  /** Leaves one nesting level; the outermost exit clears the cache of cast weights. Returns the new depth. */
  autocastExitNesting(): number;
  /** Returns the previous setting. */
  setAutocastCacheEnabled(enabled: boolean): boolean;
  /** Reorders a conv2d's weights once for oneDNN (native/prepacked_conv.cc). */
  convPrepack(
    weight: Handle,
    bias: Handle | null,
    stride: number[],
    padding: number[],
    dilation: number[],
    groups: number,
    inputSize: number[],
  ): PackedConvHandle;
  /** The output; null where packing does not apply (run conv2d); false where there is no current packing (pack). */
  convPackedRun(input: Handle, packed: PackedConvHandle | null, weight: Handle, bias: Handle | null): Handle | null | false;
  convPackedDispose(packed: PackedConvHandle): void;
  /** oneDNN called directly (native/dnnl_conv.cc); absent from an addon built without oneDNN's headers. */
  dnnlConvCreate?(
    weight: Handle,
    bias: Handle | null,
    stride: number[],
    padding: number[],
    dilation: number[],
    groups: number,
  ): DnnlConvHandle;
  /** silu?(conv2d) (+ residual); null where it does not apply (compute it unfused); false where the handle is missing or stale. */
  dnnlConvRun?(
    input: Handle,
    conv: DnnlConvHandle | null,
    weight: Handle,
    bias: Handle | null,
    silu: boolean,
    residual: Handle | null,
  ): Handle | null | false;
  dnnlConvDispose?(conv: DnnlConvHandle): void;
}

/** An opaque handle on a convolution's weights reordered for oneDNN. */
export type PackedConvHandle = object & { readonly __packedConv: unique symbol };

/** An opaque handle on a convolution's weights reordered for oneDNN and its primitives, per input size. */
export type DnnlConvHandle = object & { readonly __dnnlConv: unique symbol };

/** The optional prebuilt package (addon + libtorch's CPU libraries, RUNPATH $ORIGIN); only published for this platform. */
const prebuiltPackage = '@yolots/torch-linux-x64';
const prebuiltPlatform = process.platform === 'linux' && process.arch === 'x64';

/**
 * The addon to load: a source build when one exists, else the prebuilt package. A source build exists only when one
 * was asked for (scripts/install.mjs does not compile when the prebuilt is installed, unless LIBTORCH or
 * LIBTORCH_USE_PYTORCH picks another libtorch, a CUDA one say), and in this repository a fresh build of native/ must
 * win over an installed prebuilt.
 */
function locateAddon(): string {
  const packageRoot = fileURLToPath(new URL('..', import.meta.url));
  for (const build of ['Release', 'Debug']) {
    const path = `${packageRoot}/build/${build}/yolots_torch.node`;
    if (existsSync(path)) return path;
  }
  const version = (JSON.parse(readFileSync(`${packageRoot}/package.json`, 'utf8')) as { version: string }).version;
  const prebuilt = prebuiltPlatform ? locatePrebuilt(version) : null;
  if (prebuilt) return prebuilt;
  // Commands that work wherever the package is installed: npm blocks dependency install scripts by default, and
  // without libtorch's headers the install script stops before compiling (scripts/install.mjs says what to install).
  throw new Error(
    [
      `@yolots/torch: no native addon (no ${prebuiltPackage}, nothing built in ${packageRoot}build/Release). Either:`,
      ...(prebuiltPlatform
        ? [
            `- install the prebuilt addon (Linux x64, glibc 2.35+; no compiler or libtorch needed):`,
            `    npm install ${prebuiltPackage}@${version}`,
            '- or build it from source in your project:',
          ]
        : ['- build it from source in your project:']),
      '    npm install-scripts approve @yolots/torch   # where npm blocks dependency install scripts (npm 11)',
      '    npm rebuild @yolots/torch                   # compiles against libtorch: sudo apt install libtorch-dev',
      '                                                # (Debian/Ubuntu), or LIBTORCH=<dir>, or LIBTORCH_USE_PYTORCH=1',
      'In a yolots checkout, `bash scripts/setup.sh --no-train` does all of it.',
    ].join('\n'),
  );
}

/** The prebuilt addon's path when its package is installed, null when not; refuses one of another version. */
function locatePrebuilt(version: string): string | null {
  const require = createRequire(import.meta.url);
  let manifest: string;
  try {
    manifest = require.resolve(`${prebuiltPackage}/package.json`);
  } catch {
    return null;
  }
  const found = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  // The addon's exports are this package's NativeAddon: another version may lack or change functions.
  if (found !== version) {
    throw new Error(
      `@yolots/torch ${version} needs ${prebuiltPackage}@${version}, found ${found} (${manifest}): npm install ${prebuiltPackage}@${version}`,
    );
  }
  try {
    return require.resolve(`${prebuiltPackage}/yolots_torch.node`);
  } catch {
    throw new Error(`${prebuiltPackage} is installed (${manifest}) but has no lib/yolots_torch.node: reinstall it`);
  }
}

// libgomp threads spin while they wait for work by default. Whenever other threads need the cores (data-loader
// workers, a second process, a busy CI machine) the spinning starves them: measured here, YOLOv8n fwd+bwd ran
// 10x slower under load with spinning than with passive waiting. Must be set before libtorch (and libgomp) load.
process.env.OMP_WAIT_POLICY ??= 'PASSIVE';

export const native: NativeAddon = createRequire(import.meta.url)(locateAddon());
