// YOLO11's building blocks (Ultralytics 8.3 nn/modules/block.py): C3k2 (a C2f whose blocks are Bottlenecks or C3k),
// C3k, and the position-sensitive attention C2PSA / PSABlock / Attention. Child names are Ultralytics' state-dict
// names, so 8.3 weights load as they are.

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { Bottleneck, C2f, C3 } from './block.js';
import { Conv } from './conv.js';

const { nn } = torch;

/**
 * A C3 whose Bottlenecks use k×k kernels and no expansion (C3k2's inner block when `c3k`).
 * @example new C3k(32, 32, 2, true) // two 3×3/3×3 Bottlenecks on 16 channels
 */
export class C3k extends C3 {
  constructor(c1: number, c2: number, n = 1, shortcut = true, g = 1, e = 0.5, k = 3) {
    super(c1, c2, n, shortcut, g, e);
    const c_ = Math.trunc(c2 * e);
    const blocks = Array.from({ length: n }, () => new Bottleneck(c_, c_, shortcut, g, [k, k], 1.0));
    // As in Ultralytics, C3's `m` is replaced in place (same name, same position in the module tree).
    const replaced = this.m;
    this.m = new nn.Sequential(...blocks);
    this.setModule('m', this.m);
    replaced.dispose();
  }
}

/**
 * YOLO11's CSP block: a C2f whose n blocks are `Bottleneck(c, c, shortcut, g)` (3×3/3×3, hidden c/2), or
 * `C3k(c, c, 2, shortcut, g)` when `c3k` (parseModel forces c3k for the m/l/x scales, as parse_model does), or —
 * YOLO26's `attn` (Ultralytics 8.4's sixth argument) — `Sequential(Bottleneck(c, c, shortcut, g), PSABlock(c, 0.5,
 * max(c // 64, 1)))`.
 *
 * @example new C3k2(32, 64, 1, false, 0.25) // yolo11n's layer 2
 * @example new C3k2(384, 256, 1, true, 0.5, true) // yolo26n's layer 22
 */
export class C3k2 extends C2f {
  constructor(c1: number, c2: number, n = 1, c3k = false, e = 0.5, attn = false, g = 1, shortcut = true) {
    super(c1, c2, n, shortcut, g, e);
    const block = (): torch.nn.Module<[Tensor], Tensor> => {
      if (attn)
        return new nn.Sequential(
          new Bottleneck(this.c, this.c, shortcut, g),
          new PSABlock(this.c, 0.5, Math.max(Math.floor(this.c / 64), 1)),
        );
      return c3k ? new C3k(this.c, this.c, 2, shortcut, g) : new Bottleneck(this.c, this.c, shortcut, g);
    };
    const blocks = Array.from({ length: n }, block);
    const replaced = this.m;
    this.m = new nn.ModuleList<torch.nn.Module<[Tensor], Tensor>>(blocks);
    this.setModule('m', this.m);
    replaced.dispose();
  }
}

/**
 * Multi-head self-attention over the pixels of a feature map: a 1×1 qkv Conv (no activation) split per head into
 * q, k (key_dim = head_dim · attn_ratio channels each) and v (head_dim), softmax(qᵀk · key_dim^-½), plus a 3×3
 * depth-wise positional encoding of v, then a 1×1 projection.
 *
 * @example new Attention(128, 2, 0.5).call(x) // x (B, 128, H, W) → (B, 128, H, W)
 */
export class Attention extends nn.Module {
  readonly numHeads: number;
  readonly headDim: number;
  readonly keyDim: number;
  readonly scale: number;
  qkv: Conv;
  proj: Conv;
  pe: Conv;

  constructor(dim: number, numHeads = 8, attnRatio = 0.5) {
    super();
    this.numHeads = numHeads;
    this.headDim = Math.floor(dim / numHeads);
    this.keyDim = Math.trunc(this.headDim * attnRatio);
    this.scale = this.keyDim ** -0.5;
    const h = dim + this.keyDim * numHeads * 2;
    this.qkv = this.registerModule('qkv', new Conv(dim, h, 1, 1, null, 1, 1, false));
    this.proj = this.registerModule('proj', new Conv(dim, dim, 1, 1, null, 1, 1, false));
    this.pe = this.registerModule('pe', new Conv(dim, dim, 3, 1, null, dim, 1, false));
  }

  forward(x: Tensor): Tensor {
    const [b, c, h, w] = x.shape as [number, number, number, number];
    const n = h * w;
    const [q, k, v] = this.qkv
      .call(x)
      .view(b, this.numHeads, this.keyDim * 2 + this.headDim, n)
      .split([this.keyDim, this.keyDim, this.headDim], 2) as [Tensor, Tensor, Tensor];
    const attn = q.transpose(-2, -1).matmul(k).mul(this.scale).softmax(-1);
    const y = v
      .matmul(attn.transpose(-2, -1))
      .view(b, c, h, w)
      .add(this.pe.call(v.reshape(b, c, h, w)));
    return this.proj.call(y);
  }
}

/**
 * Attention then a feed-forward network (1×1 Conv c→2c with SiLU, 1×1 Conv 2c→c without), each with a residual
 * connection when `shortcut`.
 */
export class PSABlock extends nn.Module {
  attn: Attention;
  ffn: torch.nn.Sequential;
  readonly add: boolean;

  constructor(c: number, attnRatio = 0.5, numHeads = 4, shortcut = true) {
    super();
    this.attn = this.registerModule('attn', new Attention(c, numHeads, attnRatio));
    this.ffn = this.registerModule('ffn', new nn.Sequential(new Conv(c, c * 2, 1), new Conv(c * 2, c, 1, 1, null, 1, 1, false)));
    this.add = shortcut;
  }

  forward(x: Tensor): Tensor {
    const a = this.add ? x.add(this.attn.call(x)) : this.attn.call(x);
    return this.add ? a.add(this.ffn.call(a)) : this.ffn.call(a);
  }
}

/**
 * C2f-style block with attention (YOLO11's layer 10): cv1 to 2c channels, n PSABlocks (c // 64 heads) on the second
 * half, cv2 on the concatenation. Input and output channels must be equal.
 *
 * @example new C2PSA(256, 256, 1) // yolo11n's layer 10
 */
export class C2PSA extends nn.Module {
  readonly c: number;
  cv1: Conv;
  cv2: Conv;
  m: torch.nn.Sequential;

  constructor(c1: number, c2: number, n = 1, e = 0.5) {
    super();
    if (c1 !== c2) throw new RangeError(`C2PSA needs equal input and output channels, got ${c1} and ${c2}`);
    this.c = Math.trunc(c1 * e);
    this.cv1 = this.registerModule('cv1', new Conv(c1, 2 * this.c, 1, 1));
    this.cv2 = this.registerModule('cv2', new Conv(2 * this.c, c1, 1));
    const heads = Math.floor(this.c / 64);
    if (heads < 1) throw new RangeError(`C2PSA: ${this.c} hidden channels give no attention head (${this.c} // 64 = 0)`);
    this.m = this.registerModule('m', new nn.Sequential(...Array.from({ length: n }, () => new PSABlock(this.c, 0.5, heads))));
  }

  forward(x: Tensor): Tensor {
    const [a, b] = this.cv1.call(x).split([this.c, this.c], 1) as [Tensor, Tensor];
    return this.cv2.call(torch.cat([a, this.m.call(b)], 1));
  }
}
