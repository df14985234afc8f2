// @yolots/torch — libtorch for TypeScript: tensors, autograd, nn, optim, io. Names mirror PyTorch's (camelCased).
export { Tensor, type TensorOrScalar, type IndexSpec } from './tensor.js';
export type { DType, MemoryFormat, TypedArray } from './dtype.js';
export { elementSize, isFloatingPoint } from './dtype.js';
export {
  zeros,
  ones,
  full,
  empty,
  zerosLike,
  onesLike,
  fullLike,
  emptyLike,
  arange,
  linspace,
  eye,
  rand,
  randn,
  randint,
  randperm,
  scalarTensor,
  tensor,
  fromTypedArray,
  fromBytes,
  toBytes,
  type TensorOptions,
  type NestedArray,
} from './creation.js';
export { cat, stack, where, nonzeroTuple, meshgrid, minimum, maximum, matmul, einsum, isclose, allclose, callOp } from './ops.js';
export { tidy, keep, dispose, scopeDepth } from './scope.js';
export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from './autograd.js';
export {
  setNumThreads,
  getNumThreads,
  manualSeed,
  cudaAvailable,
  cudaDeviceCount,
  liveTensors,
  memoryStats,
  resetPeakMemory,
  releaseMemory,
  buildInfo,
} from './runtime.js';
export { schema } from './aten.js';
export * as F from './functional.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as io from './io/index.js';
export * as distributed from './distributed/index.js';
