// Building blocks (Ultralytics' nn/modules/block.py): Bottleneck, the CSP family C1/C2/C2f/C3/C3x,
// spatial pyramid pooling SPP/SPPF, and the DFL integral. Child names are Ultralytics' state-dict names.

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { Conv, type Pair } from './conv.js';

const { nn } = torch;

/**
 * Two Convs (hidden width c2·e) with a residual connection when `shortcut` and c1 == c2.
 * @example new Bottleneck(64, 64, true, 1, [3, 3], 1.0)
 */
export class Bottleneck extends nn.Module {
  cv1: Conv;
  cv2: Conv;
  readonly add: boolean;

  constructor(c1: number, c2: number, shortcut = true, g = 1, k: [Pair, Pair] = [3, 3], e = 0.5) {
    super();
    const c_ = Math.trunc(c2 * e);
    this.cv1 = this.registerModule('cv1', new Conv(c1, c_, k[0], 1));
    this.cv2 = this.registerModule('cv2', new Conv(c_, c2, k[1], 1, null, g));
    this.add = shortcut && c1 === c2;
  }

  forward(x: Tensor): Tensor {
    const h = this.cv1.call(x);
    return this.add ? this.cv2.forwardAdd(h, x) : this.cv2.call(h);
  }
}

/** n Bottlenecks of c channels without expansion, as the CSP blocks stack them (kernels: 3x3, 3x3 by default). */
function bottlenecks(
  n: number,
  c: number,
  shortcut: boolean,
  g: number,
  k: [Pair, Pair] = [
    [3, 3],
    [3, 3],
  ],
): Bottleneck[] {
  return Array.from({ length: n }, () => new Bottleneck(c, c, shortcut, g, k, 1.0));
}

/** CSP Bottleneck with 1 convolution: cv1, then n 3×3 Convs with a residual around them. */
export class C1 extends nn.Module {
  cv1: Conv;
  m: torch.nn.Sequential;

  constructor(c1: number, c2: number, n = 1) {
    super();
    this.cv1 = this.registerModule('cv1', new Conv(c1, c2, 1, 1));
    this.m = this.registerModule('m', new nn.Sequential(...Array.from({ length: n }, () => new Conv(c2, c2, 3))));
  }

  forward(x: Tensor): Tensor {
    const y = this.cv1.call(x);
    return this.m.call(y).add(y);
  }
}

/** CSP Bottleneck with 2 convolutions: one half of cv1's output goes through the Bottlenecks, the other skips them. */
export class C2 extends nn.Module {
  readonly c: number;
  cv1: Conv;
  cv2: Conv;
  m: torch.nn.Sequential;

  constructor(c1: number, c2: number, n = 1, shortcut = true, g = 1, e = 0.5) {
    super();
    this.c = Math.trunc(c2 * e);
    this.cv1 = this.registerModule('cv1', new Conv(c1, 2 * this.c, 1, 1));
    this.cv2 = this.registerModule('cv2', new Conv(2 * this.c, c2, 1));
    const blocks = bottlenecks(n, this.c, shortcut, g);
    this.m = this.registerModule('m', new nn.Sequential(...blocks));
  }

  forward(x: Tensor): Tensor {
    const [a, b] = this.cv1.call(x).chunk(2, 1) as [Tensor, Tensor];
    return this.cv2.call(torch.cat([this.m.call(a), b], 1));
  }
}

/**
 * Faster CSP Bottleneck with 2 convolutions (YOLOv8's block): cv1's output is split in two halves, n Bottlenecks
 * run in sequence on the last one, and every intermediate output is concatenated into cv2.
 *
 * @example new C2f(32, 32, 1, true) // the n-scale backbone's layer 2
 */
export class C2f extends nn.Module {
  readonly c: number;
  cv1: Conv;
  cv2: Conv;
  /** The blocks: Bottlenecks here; a subclass may use others of the same channels (C3k2's C3k). */
  m: torch.nn.ModuleList<torch.nn.Module<[Tensor], Tensor>>;

  constructor(c1: number, c2: number, n = 1, shortcut = false, g = 1, e = 0.5) {
    super();
    this.c = Math.trunc(c2 * e);
    this.cv1 = this.registerModule('cv1', new Conv(c1, 2 * this.c, 1, 1));
    this.cv2 = this.registerModule('cv2', new Conv((2 + n) * this.c, c2, 1));
    const blocks = bottlenecks(n, this.c, shortcut, g);
    this.m = this.registerModule('m', new nn.ModuleList(blocks));
  }

  forward(x: Tensor): Tensor {
    const y = this.cv1.call(x).chunk(2, 1);
    for (const block of this.m) y.push(block.call(y[y.length - 1]!));
    return this.cv2.call(torch.cat(y, 1));
  }
}

/** CSP Bottleneck with 3 convolutions (YOLOv5's block). */
export class C3 extends nn.Module {
  cv1: Conv;
  cv2: Conv;
  cv3: Conv;
  m: torch.nn.Sequential;

  constructor(c1: number, c2: number, n = 1, shortcut = true, g = 1, e = 0.5) {
    super();
    const c_ = Math.trunc(c2 * e);
    this.cv1 = this.registerModule('cv1', new Conv(c1, c_, 1, 1));
    this.cv2 = this.registerModule('cv2', new Conv(c1, c_, 1, 1));
    this.cv3 = this.registerModule('cv3', new Conv(2 * c_, c2, 1));
    const blocks = bottlenecks(n, c_, shortcut, g, [
      [1, 1],
      [3, 3],
    ]);
    this.m = this.registerModule('m', new nn.Sequential(...blocks));
  }

  forward(x: Tensor): Tensor {
    return this.cv3.call(torch.cat([this.m.call(this.cv1.call(x)), this.cv2.call(x)], 1));
  }
}

/** C3 whose Bottlenecks use cross kernels (1×3 then 3×1); as in Ultralytics, C3's `m` is replaced in place. */
export class C3x extends C3 {
  constructor(c1: number, c2: number, n = 1, shortcut = true, g = 1, e = 0.5) {
    super(c1, c2, n, shortcut, g, e);
    const c_ = Math.trunc(c2 * e);
    const blocks = bottlenecks(n, c_, shortcut, g, [
      [1, 3],
      [3, 1],
    ]);
    const replaced = this.m;
    this.m = new nn.Sequential(...blocks);
    this.setModule('m', this.m);
    replaced.dispose();
  }
}

/** Spatial pyramid pooling: parallel max-pools of kernels `k` (stride 1, same size) concatenated. */
export class SPP extends nn.Module {
  cv1: Conv;
  cv2: Conv;
  m: torch.nn.ModuleList<torch.nn.MaxPool2d>;

  constructor(c1: number, c2: number, k: number[] = [5, 9, 13]) {
    super();
    const c_ = Math.floor(c1 / 2);
    this.cv1 = this.registerModule('cv1', new Conv(c1, c_, 1, 1));
    this.cv2 = this.registerModule('cv2', new Conv(c_ * (k.length + 1), c2, 1, 1));
    this.m = this.registerModule('m', new nn.ModuleList(k.map((size) => new nn.MaxPool2d(size, 1, Math.floor(size / 2)))));
  }

  forward(x: Tensor): Tensor {
    const y = this.cv1.call(x);
    return this.cv2.call(torch.cat([y, ...[...this.m].map((pool) => pool.forward(y))], 1));
  }
}

/** Spatial pyramid pooling - fast: one k×k max-pool applied three times in sequence (= SPP with k, 2k-1, 3k-2). */
export class SPPF extends nn.Module {
  cv1: Conv;
  cv2: Conv;
  m: torch.nn.MaxPool2d;
  /** Chained poolings (3 for YOLOv8/11's SPPF). */
  readonly n: number;
  /** Whether the input is added to the output (YOLO26's residual; needs c1 == c2). */
  readonly add: boolean;

  /**
   * `n` and `shortcut` are YOLO26's arguments (Ultralytics 8.4's SPPF: `[1024, 5, 3, True]` in yolo26.yaml). Given
   * them, the block is 8.4's: cv1 without activation, `n` poolings, the residual when `shortcut` and c1 == c2. Without
   * them it is YOLOv8/YOLO11's (8.2/8.3: cv1 with SiLU, 3 poolings, no residual).
   * @example new SPPF(256, 256, 5)          // yolov8n / yolo11n layer 9
   * @example new SPPF(256, 256, 5, 3, true) // yolo26n layer 9
   */
  constructor(c1: number, c2: number, k = 5, n?: number, shortcut = false) {
    super();
    const c_ = Math.floor(c1 / 2);
    const v84 = n !== undefined;
    this.n = n ?? 3;
    if (!Number.isInteger(this.n) || this.n < 1) throw new RangeError(`SPPF: n (poolings) must be a positive integer, got ${n}`);
    this.cv1 = this.registerModule('cv1', new Conv(c1, c_, 1, 1, null, 1, 1, !v84));
    this.cv2 = this.registerModule('cv2', new Conv(c_ * (this.n + 1), c2, 1, 1));
    this.m = this.registerModule('m', new nn.MaxPool2d(k, 1, Math.floor(k / 2)));
    this.add = v84 && Boolean(shortcut) && c1 === c2;
  }

  forward(x: Tensor): Tensor {
    const y = [this.cv1.call(x)];
    for (let i = 0; i < this.n; i++) y.push(this.m.forward(y[y.length - 1]!));
    const out = this.cv2.call(torch.cat(y, 1));
    return this.add ? out.add(x) : out;
  }
}

/**
 * Distribution Focal Loss integral: each box side is predicted as a distribution over `c1` bins; its value is
 * the expectation Σ softmax(p)ᵢ·i, computed by a frozen 1×1 conv whose weights are 0…c1-1.
 */
export class DFL extends nn.Module {
  conv: torch.nn.Conv2d;

  constructor(readonly c1 = 16) {
    super();
    this.conv = this.registerModule('conv', new nn.Conv2d(c1, 1, 1, { bias: false }));
    this.conv.weight.requiresGrad_(false);
    torch.noGrad(() => torch.tidy(() => this.conv.weight.copy_(torch.arange(0, c1, 1, { dtype: 'float32' }).view(1, c1, 1, 1))));
  }

  /** (b, 4·c1, a) bin logits → (b, 4, a) distances. */
  forward(x: Tensor): Tensor {
    const [b, , a] = x.shape as [number, number, number];
    return this.conv.forward(x.view(b, 4, this.c1, a).transpose(2, 1).softmax(1)).view(b, 4, a);
  }
}
