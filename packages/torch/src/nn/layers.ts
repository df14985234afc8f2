// The standard layers: Conv2d, BatchNorm2d, Linear, pooling, upsampling, containers.

import { noGrad } from '../autograd.js';
import { empty, ones, scalarTensor, zeros } from '../creation.js';
import {
  adaptiveAvgPool2d,
  batchNorm,
  batchNormSilu,
  conv2d,
  convTranspose2d,
  dropout,
  interpolate,
  linear,
  maxPool2d,
} from '../functional.js';
import type { Tensor } from '../tensor.js';
import { DnnlConvCache, dnnlConvAvailable, type Epilogue } from './dnnl-conv.js';
import { calculateFans, kaimingUniform_, uniform_ } from './init.js';
import { Module } from './module.js';
import { PackedConvCache, packedConvolutionsActive } from './packed-conv.js';

type Pair = number | [number, number];

function pair(v: Pair): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
}

/**
 * What Conv2d and ConvTranspose2d share (PyTorch's _ConvNd): geometry, a kaiming-uniform weight and a bias uniform in
 * ±1/√fan_in, where fan_in is computed from the weight as stored.
 */
abstract class ConvNd extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;

  protected constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    /** (out, in / groups) for a convolution, (in, out / groups) for a transposed one. */
    weightChannels: [number, number],
    options: Conv2dOptions,
  ) {
    super();
    const { stride = 1, padding = 0, dilation = 1, groups = 1, bias = true } = options;
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new RangeError(`${new.target.name}: channels (${inChannels} in, ${outChannels} out) must be divisible by groups (${groups})`);
    }
    this.kernelSize = pair(kernelSize);
    this.stride = pair(stride);
    this.padding = pair(padding);
    this.dilation = pair(dilation);
    this.groups = groups;
    const weight = this.registerParameter('weight', empty([...weightChannels, ...this.kernelSize]));
    kaimingUniform_(weight, Math.sqrt(5));
    const b = this.registerParameter('bias', bias ? empty([outChannels]) : null);
    if (b) {
      const bound = 1 / Math.sqrt(calculateFans(weight).fanIn);
      uniform_(b, -bound, bound);
    }
  }

  get weight(): Tensor {
    return this.getParameter('weight') as Tensor;
  }

  get bias(): Tensor | null {
    return this.getParameter('bias');
  }
}

/** 2-D convolution with PyTorch's default initialisation (kaiming-uniform weight, uniform bias). */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: Conv2dOptions = {}) {
    super(inChannels, outChannels, kernelSize, [outChannels, inChannels / (options.groups ?? 1)], options);
  }

  /** This layer's weights reordered for oneDNN, made inside `withPackedConvolutions`. */
  private packed: PackedConvCache | null = null;

  forward(x: Tensor): Tensor {
    if (packedConvolutionsActive()) {
      this.packed ??= new PackedConvCache();
      const y = this.packed.run(this, x);
      if (y !== null) return y;
    }
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }

  /** This layer's oneDNN primitives with SiLU (and an add) fused in, made inside `withPackedConvolutions`. */
  private fused: DnnlConvCache | null = null;

  /**
   * silu(conv2d(x)) (+ `epilogue.residual`) as one oneDNN primitive, inside `withPackedConvolutions` in an addon
   * built with oneDNN's headers; null where that does not apply (no such addon, a gradient to record, CPU autocast,
   * not float32): the caller computes it unfused. Values equal the unfused ones to float rounding.
   */
  forwardFused(x: Tensor, epilogue: Epilogue): Tensor | null {
    if (!dnnlConvAvailable() || !packedConvolutionsActive()) return null;
    this.fused ??= new DnnlConvCache();
    return this.fused.run(this, x, epilogue);
  }

  override dispose(): void {
    this.packed?.dispose();
    this.packed = null;
    this.fused?.dispose();
    this.fused = null;
    super.dispose();
  }
}

export interface ConvTranspose2dOptions extends Conv2dOptions {
  outputPadding?: Pair;
}

/** 2-D transposed convolution with PyTorch's default initialisation; weight shape (in, out / groups, kh, kw). */
export class ConvTranspose2d extends ConvNd {
  readonly outputPadding: [number, number];

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: ConvTranspose2dOptions = {}) {
    super(inChannels, outChannels, kernelSize, [inChannels, outChannels / (options.groups ?? 1)], options);
    this.outputPadding = pair(options.outputPadding ?? 0);
  }

  forward(x: Tensor): Tensor {
    return convTranspose2d(x, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      outputPadding: this.outputPadding,
      groups: this.groups,
      dilation: this.dilation,
    });
  }
}

export interface BatchNorm2dOptions {
  eps?: number;
  momentum?: number;
  affine?: boolean;
  trackRunningStats?: boolean;
}

/** Batch normalisation over (N, H, W) with running statistics, as PyTorch's BatchNorm2d. */
export class BatchNorm2d extends Module {
  readonly numFeatures: number;
  eps: number;
  momentum: number;

  constructor(numFeatures: number, options: BatchNorm2dOptions = {}) {
    super();
    const { eps = 1e-5, momentum = 0.1, affine = true, trackRunningStats = true } = options;
    this.numFeatures = numFeatures;
    this.eps = eps;
    this.momentum = momentum;
    this.registerParameter('weight', affine ? ones([numFeatures]) : null);
    this.registerParameter('bias', affine ? zeros([numFeatures]) : null);
    this.registerBuffer('running_mean', trackRunningStats ? zeros([numFeatures]) : null);
    this.registerBuffer('running_var', trackRunningStats ? ones([numFeatures]) : null);
    this.registerBuffer('num_batches_tracked', trackRunningStats ? scalarTensor(0, { dtype: 'int64' }) : null);
  }

  get weight(): Tensor | null {
    return this.getParameter('weight');
  }

  get bias(): Tensor | null {
    return this.getParameter('bias');
  }

  get runningMean(): Tensor | null {
    return this.getBuffer('running_mean');
  }

  get runningVar(): Tensor | null {
    return this.getBuffer('running_var');
  }

  forward(x: Tensor): Tensor {
    const useBatchStats = this.beginBatch(x);
    return batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, useBatchStats, this.momentum, this.eps);
  }

  /**
   * `silu(this.forward(x))` through `F.batchNormSilu`: the same values, but in training only `x` is kept for
   * backward, a third less activation memory for conv → BN → SiLU blocks.
   */
  forwardSilu(x: Tensor): Tensor {
    const useBatchStats = this.beginBatch(x);
    return batchNormSilu(x, this.runningMean, this.runningVar, this.weight, this.bias, useBatchStats, this.momentum, this.eps);
  }

  /** Checks a training batch and counts it; true when batch statistics are used. */
  private beginBatch(x: Tensor): boolean {
    if (this.training) {
      const shape = x.shape;
      const perChannel = shape.reduce((a, b, i) => (i === 1 ? a : a * b), 1);
      // libtorch would compute a NaN variance and write it into running_var; PyTorch's Python layer refuses.
      if (perChannel <= 1) throw new Error(`Expected more than 1 value per channel when training, got input size [${shape.join(', ')}]`);
    }
    const tracked = this.getBuffer('num_batches_tracked');
    if (this.training && tracked) noGrad(() => tracked.add_(1));
    return this.training || this.runningMean === null;
  }
}

/** Fully connected layer with PyTorch's default initialisation. */
export class Linear extends Module {
  constructor(inFeatures: number, outFeatures: number, bias = true) {
    super();
    const weight = this.registerParameter('weight', empty([outFeatures, inFeatures]));
    kaimingUniform_(weight, Math.sqrt(5));
    const b = this.registerParameter('bias', bias ? empty([outFeatures]) : null);
    if (b) uniform_(b, -1 / Math.sqrt(inFeatures), 1 / Math.sqrt(inFeatures));
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.getParameter('weight') as Tensor, this.getParameter('bias'));
  }
}

export class MaxPool2d extends Module {
  constructor(
    readonly kernelSize: Pair,
    readonly stride: Pair = kernelSize,
    readonly padding: Pair = 0,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding });
  }
}

/** Average pooling to a fixed output size (PyTorch's AdaptiveAvgPool2d). */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: Pair) {
    super();
  }

  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
}

/** Zeroes elements with probability `p` in training mode and scales the rest by 1/(1-p); the identity in eval mode. */
export class Dropout extends Module {
  constructor(public p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Dropout: p must be in [0, 1], got ${p}`);
  }

  forward(x: Tensor): Tensor {
    return this.training && this.p > 0 ? dropout(x, this.p, true) : x;
  }
}

export class Upsample extends Module {
  constructor(readonly options: { size?: Pair; scaleFactor?: number; mode?: 'nearest' | 'bilinear' }) {
    super();
  }

  forward(x: Tensor): Tensor {
    return interpolate(x, this.options);
  }
}

export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Runs its children in order, each on the previous one's output; children are named '0', '1', …. */
export class Sequential extends Module {
  constructor(...modules: Module<[Tensor], Tensor>[]) {
    super();
    modules.forEach((m, i) => this.registerModule(String(i), m));
  }

  get length(): number {
    return this.children().length;
  }

  at(index: number): Module<[Tensor], Tensor> {
    return this.children()[index]!;
  }

  forward(x: Tensor): Tensor {
    let out = x;
    for (const m of this.children() as Module<[Tensor], Tensor>[]) out = m.call(out);
    return out;
  }
}

/** A list of child modules named '0', '1', …; not callable itself. */
export class ModuleList<M extends Module<any, any> = Module<any, any>> extends Module<[], never> {
  constructor(modules: M[] = []) {
    super();
    for (const m of modules) this.append(m);
  }

  append(module: M): this {
    this.registerModule(String(this.children().length), module);
    return this;
  }

  get length(): number {
    return this.children().length;
  }

  at(index: number): M {
    return this.children()[index] as M;
  }

  [Symbol.iterator](): Iterator<M> {
    return (this.children() as M[])[Symbol.iterator]();
  }

  forward(): never {
    throw new Error('ModuleList is a container and cannot be called; call its items');
  }
}
