// nn.functional: convolutions, normalisation, pooling, activations, losses, resampling.
import { aten, reductionCode, type Tensor } from './tensor.js';

type Pair = number | [number, number];
type Reduction = 'none' | 'mean' | 'sum';

function pair(v: Pair): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

export function conv2d(
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  options: { stride?: Pair; padding?: Pair; dilation?: Pair; groups?: number } = {},
): Tensor {
  const { stride = 1, padding = 0, dilation = 1, groups = 1 } = options;
  return aten('conv2d', [input, weight, bias, pair(stride), pair(padding), pair(dilation), groups]);
}

export function convTranspose2d(
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  options: { stride?: Pair; padding?: Pair; outputPadding?: Pair; groups?: number; dilation?: Pair } = {},
): Tensor {
  const { stride = 1, padding = 0, outputPadding = 0, groups = 1, dilation = 1 } = options;
  return aten('conv_transpose2d.input', [input, weight, bias, pair(stride), pair(padding), pair(outputPadding), groups, pair(dilation)]);
}

export function linear(input: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  return aten('linear', [input, weight, bias]);
}

/** Batch normalisation; in training mode updates `runningMean`/`runningVar` in place with `momentum`. */
export function batchNorm(
  input: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null,
  bias: Tensor | null,
  training: boolean,
  momentum = 0.1,
  eps = 1e-5,
): Tensor {
  return aten('batch_norm', [input, weight, bias, runningMean, runningVar, training, momentum, eps, true]);
}

/**
 * `silu(batchNorm(...))` as one operator (yolots::batch_norm_silu) that keeps only its input for backward and
 * recomputes the normalised values there: identical outputs, gradients equal up to float rounding, and a third
 * less activation memory in conv → BN → SiLU stacks. First-order only (no double backward).
 */
export function batchNormSilu(
  input: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null,
  bias: Tensor | null,
  training: boolean,
  momentum = 0.1,
  eps = 1e-5,
): Tensor {
  return aten('yolots::batch_norm_silu', [input, weight, bias, runningMean, runningVar, training, momentum, eps]);
}

export function maxPool2d(
  input: Tensor,
  kernelSize: Pair,
  options: { stride?: Pair; padding?: Pair; dilation?: Pair; ceilMode?: boolean } = {},
): Tensor {
  const { stride = kernelSize, padding = 0, dilation = 1, ceilMode = false } = options;
  return aten('max_pool2d', [input, pair(kernelSize), pair(stride), pair(padding), pair(dilation), ceilMode]);
}

export function avgPool2d(
  input: Tensor,
  kernelSize: Pair,
  options: { stride?: Pair; padding?: Pair; ceilMode?: boolean; countIncludePad?: boolean } = {},
): Tensor {
  const { stride = kernelSize, padding = 0, ceilMode = false, countIncludePad = true } = options;
  return aten('avg_pool2d', [input, pair(kernelSize), pair(stride), pair(padding), ceilMode, countIncludePad]);
}

export function adaptiveAvgPool2d(input: Tensor, outputSize: Pair): Tensor {
  return aten('adaptive_avg_pool2d', [input, pair(outputSize)]);
}

/** Resizes by `size` or `scaleFactor` with 'nearest' or 'bilinear' interpolation. */
export function interpolate(
  input: Tensor,
  options: { size?: Pair; scaleFactor?: number | [number, number]; mode?: 'nearest' | 'bilinear'; alignCorners?: boolean },
): Tensor {
  const { size, scaleFactor, mode = 'nearest', alignCorners = false } = options;
  if ((size === undefined) === (scaleFactor === undefined)) throw new TypeError('interpolate: give exactly one of size and scaleFactor');
  const outputSize = size === undefined ? null : pair(size);
  const scales = scaleFactor === undefined ? null : pair(scaleFactor);
  if (mode === 'nearest') return aten('upsample_nearest2d.vec', [input, outputSize, scales]);
  return aten('upsample_bilinear2d.vec', [input, outputSize, alignCorners, scales]);
}

export function relu(input: Tensor): Tensor {
  return aten('relu', [input]);
}

export function silu(input: Tensor): Tensor {
  return aten('silu', [input]);
}

export function silu_(input: Tensor): Tensor {
  return aten('silu_', [input]);
}

export function leakyRelu(input: Tensor, negativeSlope = 0.01): Tensor {
  return aten('leaky_relu', [input, negativeSlope]);
}

export function hardswish(input: Tensor): Tensor {
  return aten('hardswish', [input]);
}

export function gelu(input: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  return aten('gelu', [input], { approximate });
}

export function sigmoid(input: Tensor): Tensor {
  return input.sigmoid();
}

export function softmax(input: Tensor, dim: number): Tensor {
  return input.softmax(dim);
}

export function logSoftmax(input: Tensor, dim: number): Tensor {
  return input.logSoftmax(dim);
}

export function dropout(input: Tensor, p = 0.5, training = true): Tensor {
  return aten('dropout', [input, p, training]);
}

/** Pads the last dimensions: `pad` is [left, right, top, bottom, …] as in PyTorch. */
export function pad(input: Tensor, padding: number[], mode: 'constant' | 'reflect' | 'replicate' = 'constant', value = 0): Tensor {
  if (mode === 'constant') return aten('constant_pad_nd', [input, padding, value]);
  if (padding.length !== 4) throw new TypeError(`pad: mode '${mode}' supports 4 padding values (2-D), got ${padding.length}`);
  return aten(mode === 'reflect' ? 'reflection_pad2d' : 'replication_pad2d', [input, padding]);
}

export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  options: { weight?: Tensor; posWeight?: Tensor; reduction?: Reduction } = {},
): Tensor {
  const { weight = null, posWeight = null, reduction = 'mean' } = options;
  return aten('binary_cross_entropy_with_logits', [input, target, weight, posWeight, reductionCode(reduction)]);
}

/** Cross entropy over class logits (dim 1) with integer class targets or class probabilities. */
export function crossEntropy(
  input: Tensor,
  target: Tensor,
  options: { weight?: Tensor; reduction?: Reduction; ignoreIndex?: number; labelSmoothing?: number } = {},
): Tensor {
  const { weight = null, reduction = 'mean', ignoreIndex = -100, labelSmoothing = 0 } = options;
  return aten('cross_entropy_loss', [input, target, weight, reductionCode(reduction), ignoreIndex, labelSmoothing]);
}

export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return aten('mse_loss', [input, target, reductionCode(reduction)]);
}

export function l1Loss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return aten('l1_loss', [input, target, reductionCode(reduction)]);
}

export function smoothL1Loss(input: Tensor, target: Tensor, reduction: Reduction = 'mean', beta = 1.0): Tensor {
  return aten('smooth_l1_loss', [input, target, reductionCode(reduction), beta]);
}

/** Sampling grids for `gridSample` from affine matrices `theta` (N, 2, 3). */
export function affineGrid(theta: Tensor, size: number[], alignCorners = false): Tensor {
  return aten('affine_grid_generator', [theta, size, alignCorners]);
}

const INTERPOLATION = { bilinear: 0, nearest: 1, bicubic: 2 } as const;
const PADDING = { zeros: 0, border: 1, reflection: 2 } as const;

export function gridSample(
  input: Tensor,
  grid: Tensor,
  options: { mode?: keyof typeof INTERPOLATION; paddingMode?: keyof typeof PADDING; alignCorners?: boolean } = {},
): Tensor {
  const { mode = 'bilinear', paddingMode = 'zeros', alignCorners = false } = options;
  return aten('grid_sampler', [input, grid, INTERPOLATION[mode], PADDING[paddingMode], alignCorners]);
}
