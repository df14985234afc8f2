// nn: Module and the standard layers.
export { Module, type StateDict, type LoadStateDictResult } from './module.js';
export { Conv2d, ConvTranspose2d, BatchNorm2d, Linear, MaxPool2d, Upsample, Identity, Sequential, ModuleList, type Conv2dOptions, type ConvTranspose2dOptions, type BatchNorm2dOptions } from './layers.js';
export * as init from './init.js';
