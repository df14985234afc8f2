// torch.nn layers as a model YAML names them (`nn.Upsample`, `nn.ConvTranspose2d`, …): positional
// constructors in PyTorch's argument order, and ConvTranspose2d, which @yolots/torch does not ship.

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';

const { F, nn } = torch;

type Pair = number | [number, number];

/** torch.nn.Upsample(size, scale_factor, mode) with PyTorch's positional order, as YAML args give it. */
export class Upsample extends nn.Upsample {
  constructor(size: Pair | null = null, scaleFactor: number | null = null, mode: 'nearest' | 'bilinear' = 'nearest') {
    super({ ...(size === null ? {} : { size }), ...(scaleFactor === null ? {} : { scaleFactor }), mode });
  }
}

/** 2-D transposed convolution with PyTorch's default initialisation; weight shape (in, out / groups, kh, kw). */
export class ConvTranspose2d extends nn.Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly outputPadding: [number, number];
  readonly groups: number;
  readonly dilation: [number, number];

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
    super();
    const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair(kernelSize);
    this.stride = pair(stride);
    this.padding = pair(padding);
    this.outputPadding = pair(outputPadding);
    this.groups = groups;
    this.dilation = pair(dilation);
    const weight = this.registerParameter('weight', torch.empty([inChannels, outChannels / groups, ...this.kernelSize]));
    nn.init.kaimingUniform_(weight, Math.sqrt(5));
    const b = this.registerParameter('bias', bias ? torch.empty([outChannels]) : null);
    // PyTorch's _ConvNd computes the bias bound from fan_in of the weight as stored, (out / groups)·kh·kw.
    if (b) {
      const bound = 1 / Math.sqrt(nn.init.calculateFans(weight).fanIn);
      nn.init.uniform_(b, -bound, bound);
    }
  }

  get weight(): Tensor {
    return this.getParameter('weight') as Tensor;
  }

  get bias(): Tensor | null {
    return this.getParameter('bias');
  }

  forward(x: Tensor): Tensor {
    return F.convTranspose2d(x, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      outputPadding: this.outputPadding,
      groups: this.groups,
      dilation: this.dilation,
    });
  }
}
