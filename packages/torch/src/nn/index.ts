// nn: Module and the standard layers.

export { dnnlConvAvailable, type Epilogue } from './dnnl-conv.js';
export * as init from './init.js';
export {
  AdaptiveAvgPool2d,
  BatchNorm2d,
  type BatchNorm2dOptions,
  Conv2d,
  type Conv2dOptions,
  ConvTranspose2d,
  type ConvTranspose2dOptions,
  Dropout,
  Identity,
  Linear,
  MaxPool2d,
  ModuleList,
  Sequential,
  Upsample,
} from './layers.js';
export { type LoadStateDictResult, Module, type StateDict } from './module.js';
export { withPackedConvolutions } from './packed-conv.js';
