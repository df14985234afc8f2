// torch.nn layers as a model YAML names them (`nn.Upsample`, `nn.ConvTranspose2d`, …): positional
// constructors in PyTorch's argument order over @yolots/torch's option-object layers.

import * as torch from '@yolots/torch';

const { nn } = torch;

type Pair = number | [number, number];

/** torch.nn.Upsample(size, scale_factor, mode) with PyTorch's positional order, as YAML args give it. */
export class Upsample extends nn.Upsample {
  constructor(size: Pair | null = null, scaleFactor: number | null = null, mode: 'nearest' | 'bilinear' = 'nearest') {
    super({ ...(size === null ? {} : { size }), ...(scaleFactor === null ? {} : { scaleFactor }), mode });
  }
}

/** torch.nn.ConvTranspose2d(in, out, kernel, stride, padding, output_padding, groups, bias, dilation), positional. */
export class ConvTranspose2d extends nn.ConvTranspose2d {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: Pair,
    stride: Pair = 1,
    padding: Pair = 0,
    outputPadding: Pair = 0,
    groups = 1,
    bias = true,
    dilation: Pair = 1,
  ) {
    super(inChannels, outChannels, kernelSize, { stride, padding, outputPadding, groups, bias, dilation });
  }
}
