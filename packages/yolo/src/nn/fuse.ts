// Folding BatchNorm into the preceding convolution for inference (Ultralytics' fuse_conv_and_bn): the
// convolution's weight is scaled per output channel by γ/√(σ²+ε) and gains the bias β − γμ/√(σ²+ε).

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { ConvTranspose2d } from './modules/layers.js';

const { nn } = torch;

/** The per-channel scale γ/√(σ²+ε) and shift β − γμ/√(σ²+ε) of a BatchNorm in eval mode. */
function bnScaleShift(bn: torch.nn.BatchNorm2d): { scale: Tensor; shift: Tensor } {
  const gamma = bn.weight as Tensor;
  const beta = bn.bias as Tensor;
  const mean = bn.runningMean as Tensor;
  const variance = bn.runningVar as Tensor;
  // Same operation order as Ultralytics, so fused weights match its fused weights bit for bit.
  const scale = gamma.div(variance.add(bn.eps).sqrt());
  const shift = beta.sub(gamma.mul(mean).div(variance.add(bn.eps).sqrt()));
  return { scale, shift };
}

/**
 * A new Conv2d (with bias) computing bn(conv(x)) in one convolution. Its parameters stay trainable, as in
 * Ultralytics 8.2.103 (model.info of a fused model counts them as gradients).
 *
 * @example
 * const fused = fuseConvAndBn(convBlock.conv, convBlock.bn);
 */
export function fuseConvAndBn(conv: torch.nn.Conv2d, bn: torch.nn.BatchNorm2d): torch.nn.Conv2d {
  const fused = new nn.Conv2d(conv.inChannels, conv.outChannels, conv.kernelSize, {
    stride: conv.stride,
    padding: conv.padding,
    dilation: conv.dilation,
    groups: conv.groups,
    bias: true,
  });
  torch.noGrad(() =>
    torch.tidy(() => {
      const { scale, shift } = bnScaleShift(bn);
      // diag(scale) @ W, row by row: the same products as Ultralytics' torch.mm with a diagonal matrix.
      fused.weight.copy_(conv.weight.mul(scale.view(-1, 1, 1, 1)));
      const bias = conv.bias === null ? shift : conv.bias.mul(scale).add(shift);
      (fused.bias as Tensor).copy_(bias);
    }),
  );
  return fused;
}

/**
 * A new ConvTranspose2d (with bias) computing bn(deconv(x)). The transposed weight is (in, out/groups, kh, kw),
 * so the BatchNorm scale applies along its dim 1 (Ultralytics' version reshapes it as (out, -1), which is
 * only right when in == out; this one is right for every shape).
 */
export function fuseDeconvAndBn(deconv: ConvTranspose2d, bn: torch.nn.BatchNorm2d): ConvTranspose2d {
  if (deconv.groups !== 1) throw new Error('fuseDeconvAndBn: grouped transposed convolutions are not supported');
  const fused = new ConvTranspose2d(
    deconv.inChannels,
    deconv.outChannels,
    deconv.kernelSize,
    deconv.stride,
    deconv.padding,
    deconv.outputPadding,
    deconv.groups,
    true,
    deconv.dilation,
  );
  torch.noGrad(() =>
    torch.tidy(() => {
      const { scale, shift } = bnScaleShift(bn);
      fused.weight.copy_(deconv.weight.mul(scale.view(1, -1, 1, 1)));
      const bias = deconv.bias === null ? shift : deconv.bias.mul(scale).add(shift);
      (fused.bias as Tensor).copy_(bias);
    }),
  );
  return fused;
}
