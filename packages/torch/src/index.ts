// @yolots/torch — libtorch for TypeScript: tensors, autograd, nn, optim, io. Names mirror PyTorch's (camelCased).

export { autocast } from './amp/autocast.js';
export * as amp from './amp/index.js';
export { schema } from './aten.js';
export { enableGrad, isGradEnabled, noGrad, setGradEnabled } from './autograd.js';
export {
  arange,
  empty,
  emptyLike,
  eye,
  fromBytes,
  fromTypedArray,
  full,
  fullLike,
  linspace,
  type NestedArray,
  ones,
  onesLike,
  rand,
  randint,
  randn,
  randperm,
  scalarTensor,
  type TensorOptions,
  tensor,
  toBytes,
  zeros,
  zerosLike,
} from './creation.js';
export * as cuda from './cuda.js';
export * as distributed from './distributed/index.js';
export type { DType, MemoryFormat, TypedArray } from './dtype.js';
export { elementSize, isFloatingPoint } from './dtype.js';
export {
  foreachAdd,
  foreachAdd_,
  foreachAddcdiv_,
  foreachAddcmul_,
  foreachDiv_,
  foreachLerp_,
  foreachMul_,
  foreachNorm,
  foreachSqrt,
  foreachSub,
  foreachZero_,
} from './foreach.js';
export * as F from './functional.js';
export * as io from './io/index.js';
export * as nn from './nn/index.js';
export { allclose, callOp, cat, einsum, isclose, matmul, maximum, meshgrid, minimum, nonzeroTuple, stack, where } from './ops.js';
export * as optim from './optim/index.js';
export {
  buildInfo,
  cudaAvailable,
  cudaDeviceCount,
  getNumThreads,
  liveTensors,
  type MallocArena,
  type MallocStats,
  mallocStats,
  manualSeed,
  memoryStats,
  releaseMemory,
  resetPeakMemory,
  setNumThreads,
} from './runtime.js';
export { dispose, keep, type Synchronous, scopeDepth, tidy } from './scope.js';
export { type IndexSpec, Tensor, type TensorOrScalar } from './tensor.js';
