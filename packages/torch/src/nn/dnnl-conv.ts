// Inference convolutions on oneDNN called directly (native/dnnl_conv.cc), SiLU and a residual add fused in as
// post-ops: one pass over the output where the packed path (packed-conv.ts) makes up to three (conv2d_run, silu_,
// add). Present only in an addon built with oneDNN's headers; elsewhere callers compute the same thing unfused.

import { type DnnlConvHandle, native } from '../native.js';
import { track } from '../scope.js';
import { Tensor } from '../tensor.js';
import type { PackableConv } from './packed-conv.js';

const { dnnlConvCreate, dnnlConvRun, dnnlConvDispose } = native;

/** What is applied to the convolution's output inside the same primitive. */
export interface Epilogue {
  /** x·sigmoid(x) on the convolution (plus bias). */
  silu: boolean;
  /** Added after the activation (a Bottleneck's shortcut); of the output's size, else nothing is fused. */
  residual: Tensor | null;
}

/** Whether this addon calls oneDNN directly (built with oneDNN's headers, against the libdnnl libtorch loads). */
export function dnnlConvAvailable(): boolean {
  return dnnlConvRun !== undefined;
}

/** One layer's oneDNN primitives and reordered weights, made again when the weights go stale. */
export class DnnlConvCache {
  private handle: DnnlConvHandle | null = null;

  /** The fused result, or null where it does not apply (the caller computes it unfused). */
  run(layer: PackableConv, x: Tensor, epilogue: Epilogue): Tensor | null {
    if (dnnlConvRun === undefined || dnnlConvCreate === undefined) return null;
    const weight = layer.weight.handle;
    const bias = layer.bias?.handle ?? null;
    const residual = epilogue.residual?.handle ?? null;
    for (let attempt = 0; attempt < 2; attempt++) {
      const out = dnnlConvRun(x.handle, this.handle, weight, bias, epilogue.silu, residual);
      if (out === null) return null;
      if (out !== false) return track(new Tensor(out));
      this.dispose();
      const { stride, padding, dilation, groups } = layer;
      this.handle = dnnlConvCreate(weight, bias, stride, padding, dilation, groups);
    }
    throw new Error('oneDNN convolution: the weights went stale right after packing');
  }

  dispose(): void {
    if (this.handle !== null) dnnlConvDispose?.(this.handle);
    this.handle = null;
  }
}
