// Inference convolutions with weights reordered once for oneDNN (libtorch's mkldnn_prepacked operators, through
// native/prepacked_conv.cc). Eager conv2d reorders every weight on every call; a fused yolov8n at 640 spends ~12%
// of its forward there on CPU. Packing is opt-in, around a forward: `withPackedConvolutions(() => model.call(x))`.

import { native, type PackedConvHandle } from '../native.js';
import { track } from '../scope.js';
import { Tensor } from '../tensor.js';

let depth = 0;
/** Set once a libtorch without the mkldnn_prepacked operators said so: conv2d runs as usual from then on. */
let unavailable = false;

/**
 * Runs `fn` with Conv2d layers using weights reordered once for oneDNN (kept with each layer and repacked when
 * the weight changes). Where packing does not apply — a non-CPU or non-float32 input, gradients to record, CPU
 * autocast on — a layer runs conv2d as usual. The outputs equal conv2d's to float rounding.
 * @example const pred = noGrad(() => withPackedConvolutions(() => model.call(x)));
 */
export function withPackedConvolutions<T>(fn: () => T): T {
  depth++;
  try {
    return fn();
  } finally {
    depth--;
  }
}

export function packedConvolutionsActive(): boolean {
  return depth > 0 && !unavailable;
}

export interface PackableConv {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
}

/** One layer's packed weights, made again when they go stale. */
export class PackedConvCache {
  private packed: PackedConvHandle | null = null;

  /** conv2d of `x` through the packed weights, or null where packing does not apply (the caller runs conv2d). */
  run(layer: PackableConv, x: Tensor): Tensor | null {
    const weight = layer.weight.handle;
    const bias = layer.bias?.handle ?? null;
    for (let attempt = 0; attempt < 2; attempt++) {
      const out = native.convPackedRun(x.handle, this.packed, weight, bias);
      if (out === null) return null;
      if (out !== false) return track(new Tensor(out));
      this.dispose();
      this.packed = this.pack(layer, x);
      if (this.packed === null) return null;
    }
    throw new Error('packed convolution: the weights went stale right after packing');
  }

  private pack(layer: PackableConv, x: Tensor): PackedConvHandle | null {
    try {
      const { weight, bias, stride, padding, dilation, groups } = layer;
      return native.convPrepack(weight.handle, bias?.handle ?? null, stride, padding, dilation, groups, x.shape);
    } catch (error) {
      if (!/has no operator/.test(String(error))) throw error;
      unavailable = true;
      return null;
    }
  }

  dispose(): void {
    if (this.packed !== null) native.convPackedDispose(this.packed);
    this.packed = null;
  }
}
