// A network with exactly the layers, shapes and state-dict names of Ultralytics' yolov8n (nc=80) in training
// mode, built from @yolots/torch alone: the workload of the torch leak test, the Python cross-check and the
// benchmark. `yolov8n-shaped.py` is its PyTorch twin (same names, so state dicts transfer one to one).
import * as torch from '@yolots/torch';

const { nn, F } = torch;
type Tensor = torch.Tensor;

/** Ultralytics' Conv: conv (no bias, 'same' padding) → BatchNorm2d(eps 1e-3, momentum 0.03) → SiLU. */
class Conv extends nn.Module {
  private readonly conv: torch.nn.Conv2d;
  private readonly bn: torch.nn.BatchNorm2d;

  constructor(c1: number, c2: number, k = 1, s = 1) {
    super();
    this.conv = this.registerModule('conv', new nn.Conv2d(c1, c2, k, { stride: s, padding: Math.floor(k / 2), bias: false }));
    this.bn = this.registerModule('bn', new nn.BatchNorm2d(c2, { eps: 1e-3, momentum: 0.03 }));
  }

  forward(x: Tensor): Tensor {
    return F.silu(this.bn.call(this.conv.call(x)));
  }
}

/** Two 3x3 Convs, with a residual when `shortcut` (C2f's inner block, expansion 1.0). */
class Bottleneck extends nn.Module {
  private readonly cv1: Conv;
  private readonly cv2: Conv;

  constructor(
    c: number,
    private readonly shortcut: boolean,
  ) {
    super();
    this.cv1 = this.registerModule('cv1', new Conv(c, c, 3));
    this.cv2 = this.registerModule('cv2', new Conv(c, c, 3));
  }

  forward(x: Tensor): Tensor {
    const y = this.cv2.call(this.cv1.call(x));
    return this.shortcut ? x.add(y) : y;
  }
}

/** CSP bottleneck with two convolutions: split, n Bottlenecks on the last half, concatenate every output. */
class C2f extends nn.Module {
  private readonly cv1: Conv;
  private readonly cv2: Conv;
  private readonly m: torch.nn.ModuleList<Bottleneck>;

  constructor(c1: number, c2: number, n: number, shortcut: boolean) {
    super();
    const c = c2 / 2;
    this.cv1 = this.registerModule('cv1', new Conv(c1, 2 * c, 1));
    this.cv2 = this.registerModule('cv2', new Conv((2 + n) * c, c2, 1));
    this.m = this.registerModule('m', new nn.ModuleList(Array.from({ length: n }, () => new Bottleneck(c, shortcut))));
  }

  forward(x: Tensor): Tensor {
    const y = this.cv1.call(x).chunk(2, 1);
    for (const block of this.m) y.push(block.call(y[y.length - 1]!));
    return this.cv2.call(torch.cat(y, 1));
  }
}

/** Spatial pyramid pooling, fast: one 5x5 max pool applied three times in sequence. */
class SPPF extends nn.Module {
  private readonly cv1: Conv;
  private readonly cv2: Conv;
  private readonly m: torch.nn.MaxPool2d;

  constructor(c1: number, c2: number, k = 5) {
    super();
    const hidden = c1 / 2;
    this.cv1 = this.registerModule('cv1', new Conv(c1, hidden, 1));
    this.cv2 = this.registerModule('cv2', new Conv(hidden * 4, c2, 1));
    this.m = this.registerModule('m', new nn.MaxPool2d(k, 1, Math.floor(k / 2)));
  }

  forward(x: Tensor): Tensor {
    const y = [this.cv1.call(x)];
    for (let i = 0; i < 3; i++) y.push(this.m.call(y[i]!));
    return this.cv2.call(torch.cat(y, 1));
  }
}

class Concat extends nn.Module<[Tensor[]], Tensor> {
  forward(xs: Tensor[]): Tensor {
    return torch.cat(xs, 1);
  }
}

/** Detect's training-mode output: per level, cat(box branch (64 ch), class branch (nc ch)). No DFL decoding. */
class DetectRaw extends nn.Module<[Tensor[]], Tensor[]> {
  private readonly cv2: torch.nn.ModuleList<torch.nn.Sequential>;
  private readonly cv3: torch.nn.ModuleList<torch.nn.Sequential>;

  constructor(nc: number, ch: number[]) {
    super();
    const c2 = Math.max(16, ch[0]! / 4, 64);
    const c3 = Math.max(ch[0]!, Math.min(nc, 100));
    const branch = (c: number, width: number, out: number): torch.nn.Sequential =>
      new nn.Sequential(new Conv(c, width, 3), new Conv(width, width, 3), new nn.Conv2d(width, out, 1));
    this.cv2 = this.registerModule('cv2', new nn.ModuleList(ch.map((c) => branch(c, c2, 64))));
    this.cv3 = this.registerModule('cv3', new nn.ModuleList(ch.map((c) => branch(c, c3, nc))));
  }

  forward(xs: Tensor[]): Tensor[] {
    return xs.map((x, i) => torch.cat([this.cv2.at(i).call(x), this.cv3.at(i).call(x)], 1));
  }
}

/**
 * yolov8n's 23 layers (`model.0` … `model.22`) with the FPN/PAN wiring of yolov8.yaml; returns the three raw
 * head maps of 64 + nc channels at strides 8, 16 and 32.
 *
 * @example
 * const model = new YoloV8nShaped();
 * const maps = model.call(torch.rand([2, 3, 64, 64])); // shapes [2,144,8,8], [2,144,4,4], [2,144,2,2]
 */
export class YoloV8nShaped extends nn.Module<[Tensor], Tensor[]> {
  private readonly layers: torch.nn.ModuleList;

  constructor(nc = 80) {
    super();
    const upsample = (): torch.nn.Upsample => new nn.Upsample({ scaleFactor: 2, mode: 'nearest' });
    this.layers = this.registerModule(
      'model',
      new nn.ModuleList([
        new Conv(3, 16, 3, 2), // 0  P1/2
        new Conv(16, 32, 3, 2), // 1  P2/4
        new C2f(32, 32, 1, true), // 2
        new Conv(32, 64, 3, 2), // 3  P3/8
        new C2f(64, 64, 2, true), // 4
        new Conv(64, 128, 3, 2), // 5  P4/16
        new C2f(128, 128, 2, true), // 6
        new Conv(128, 256, 3, 2), // 7  P5/32
        new C2f(256, 256, 1, true), // 8
        new SPPF(256, 256, 5), // 9
        upsample(), // 10
        new Concat(), // 11 [-1, 6]
        new C2f(384, 128, 1, false), // 12
        upsample(), // 13
        new Concat(), // 14 [-1, 4]
        new C2f(192, 64, 1, false), // 15 P3 out
        new Conv(64, 64, 3, 2), // 16
        new Concat(), // 17 [-1, 12]
        new C2f(192, 128, 1, false), // 18 P4 out
        new Conv(128, 128, 3, 2), // 19
        new Concat(), // 20 [-1, 9]
        new C2f(384, 256, 1, false), // 21 P5 out
        new DetectRaw(nc, [64, 128, 256]), // 22
      ]),
    );
  }

  forward(x: Tensor): Tensor[] {
    const run = (i: number, input: Tensor | Tensor[]): Tensor => this.layers.at(i).call(input) as Tensor;
    const saved: Tensor[] = []; // outputs of layers 0..9; the head reads 4, 6 and 9
    let y: Tensor = x;
    for (let i = 0; i <= 9; i++) {
      y = run(i, y);
      saved.push(y);
    }
    const [b4, b6, b9] = [saved[4], saved[6], saved[9]] as [Tensor, Tensor, Tensor];
    const h12 = run(12, run(11, [run(10, b9), b6]));
    const p3 = run(15, run(14, [run(13, h12), b4]));
    const p4 = run(18, run(17, [run(16, p3), h12]));
    const p5 = run(21, run(20, [run(19, p4), b9]));
    return this.layers.at(22).call([p3, p4, p5]) as Tensor[];
  }
}

/** The benchmark's surrogate training loss: the sum over maps of mean(map²). */
export function surrogateLoss(maps: Tensor[]): Tensor {
  return torch.tidy(() => maps.map((m) => m.pow(2).mean()).reduce((a, b) => a.add(b)));
}

/** Converts the 4-D parameters and buffers in place to channels_last (PyTorch's `model.to(memory_format=…)`). */
export function toChannelsLast(model: torch.nn.Module<any, any>): void {
  torch.noGrad(() => {
    for (const t of [...model.parameters(), ...model.buffers()]) {
      if (t.ndim !== 4) continue;
      const converted = t.contiguous('channels_last');
      t.setData_(converted);
      converted.dispose();
    }
  });
}
