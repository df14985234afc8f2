// The detection head (Ultralytics' nn/modules/head.py Detect): per level a box branch (cv2) predicting
// 4×reg_max DFL bins and a class branch (cv3) predicting nc logits.

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { dist2bbox, makeAnchors } from '../../utils/tal.js';
import { DFL } from './block.js';
import { Conv, DWConv } from './conv.js';

const { nn } = torch;

/**
 * Eval-mode output, Ultralytics' `(y, x)` tuple: `pred` (B, 4 + nc, anchors) holds boxes as xywh in input pixels,
 * then sigmoid class scores; `raw` the per-level maps (B, 4·regMax + nc, H, W) the loss reads.
 */
export type DetectionPrediction = [pred: Tensor, raw: Tensor[]];

/**
 * What Detect (and a DetectionModel) returns: the raw maps in training mode, `[pred, raw]` in eval mode, and
 * `pred` alone when `export` is set.
 */
export type DetectionOutput = Tensor[] | DetectionPrediction | Tensor;

/** How parseModel builds a head beyond its YAML args (options the layer table does not print). */
export interface HeadOptions {
  /**
   * YOLOv8's class branch (two 3×3 Convs) when true (the default); YOLO11's when false: per level
   * [DWConv 3×3 → Conv 1×1] twice, then the 1×1 Conv2d. Ultralytics' parse_model sets `Detect.legacy = False` once
   * a module such as C3k2 appears in the YAML; parseModel passes the same decision here.
   */
  legacy?: boolean;
}

/**
 * YOLOv8 detection head for `nc` classes over feature maps with channels `ch` (YOLO11's with `legacy: false`).
 *
 * @example
 * const head = new Detect(80, [64, 128, 256]);
 * const yolo11Head = new Detect(80, [64, 128, 256], { legacy: false });
 */
export class Detect<Out = DetectionOutput> extends nn.Module<[Tensor[]], Out> {
  readonly nc: number;
  readonly nl: number;
  readonly regMax = 16;
  /** Outputs per anchor: 4·regMax box bins + nc class logits. */
  readonly no: number;
  /** Stride of each level, set by the model's dry run (e.g. [8, 16, 32]). */
  stride: number[];
  /** Rebuild anchors on every call rather than when the input shape changes. */
  dynamic = false;
  /** Return only the decoded tensor in eval mode. */
  export = false;
  cv2: torch.nn.ModuleList<torch.nn.Sequential>;
  cv3: torch.nn.ModuleList<torch.nn.Sequential>;
  dfl: DFL;
  /** YOLOv8's class branch (true) or YOLO11's depth-wise one (false); see HeadOptions. */
  readonly legacy: boolean;
  private anchorShape: string | null = null;

  constructor(nc = 80, ch: number[] = [], options: HeadOptions = {}) {
    super();
    if (ch.length === 0) throw new RangeError('Detect needs the channels of at least one input feature map');
    this.nc = nc;
    this.nl = ch.length;
    this.no = nc + this.regMax * 4;
    this.stride = new Array(this.nl).fill(0);
    const c0 = ch[0]!;
    const c2 = Math.max(16, Math.floor(c0 / 4), this.regMax * 4);
    const c3 = Math.max(c0, Math.min(nc, 100));
    this.cv2 = this.registerModule(
      'cv2',
      new nn.ModuleList(ch.map((x) => new nn.Sequential(new Conv(x, c2, 3), new Conv(c2, c2, 3), new nn.Conv2d(c2, 4 * this.regMax, 1)))),
    );
    this.legacy = options.legacy ?? true;
    const classBranch = (x: number) =>
      this.legacy
        ? new nn.Sequential(new Conv(x, c3, 3), new Conv(c3, c3, 3), new nn.Conv2d(c3, nc, 1))
        : new nn.Sequential(
            new nn.Sequential(new DWConv(x, x, 3), new Conv(x, c3, 1)),
            new nn.Sequential(new DWConv(c3, c3, 3), new Conv(c3, c3, 1)),
            new nn.Conv2d(c3, nc, 1),
          );
    this.cv3 = this.registerModule('cv3', new nn.ModuleList(ch.map(classBranch)));
    this.dfl = this.registerModule('dfl', new DFL(this.regMax));
    // Cached anchor grid, rebuilt when the input shape changes; non-persistent so it stays out of state dicts.
    this.registerBuffer('anchors', null, false);
    this.registerBuffer('strides', null, false);
  }

  forward(x: Tensor[]): Out {
    // A head with more outputs (Segment) overrides forward and builds on detect().
    return this.detect(x) as Out;
  }

  /** Detect's own forward: the raw maps in training mode, `[pred, raw]` in eval mode, `pred` when exporting. */
  protected detect(x: Tensor[]): DetectionOutput {
    const raw = x.map((xi, i) => torch.cat([branchOutput(this.cv2.at(i), xi), branchOutput(this.cv3.at(i), xi)], 1));
    if (this.training) return raw;
    const pred = this.inference(raw);
    return this.export ? pred : [pred, raw];
  }

  /** Decodes the raw maps into (B, 4 + nc, anchors): DFL distances → xywh boxes in pixels, sigmoid scores. */
  protected inference(raw: Tensor[]): Tensor {
    const shape = raw[0]!.shape;
    const batch = shape[0]!;
    const xCat = torch.cat(
      raw.map((xi) => xi.view(batch, this.no, -1)),
      2,
    );
    const key = raw.map((xi) => xi.shape.join('x')).join(',');
    if (this.dynamic || this.anchorShape !== key) this.updateAnchors(raw, key);
    const [box, cls] = xCat.split([this.regMax * 4, this.nc], 1) as [Tensor, Tensor];
    const anchors = this.getBuffer('anchors') as Tensor;
    const strides = this.getBuffer('strides') as Tensor;
    const dbox = dist2bbox(this.dfl.call(box), anchors.unsqueeze(0), true, 1).mul(strides);
    return torch.cat([dbox, cls.sigmoid()], 1);
  }

  private updateAnchors(raw: Tensor[], key: string): void {
    torch.tidy(() => {
      const [points, strides] = makeAnchors(raw, this.stride, 0.5);
      this.setBuffer('anchors', points.transpose(0, 1).contiguous());
      this.setBuffer('strides', strides.transpose(0, 1).contiguous());
    });
    this.anchorShape = key;
  }

  /**
   * Ultralytics' bias_init (once, after the strides are known): box bias 1.0; class bias log(5 / nc / (640 / s)²),
   * a prior of ~5 objects per 640² image spread over the level's cells.
   */
  biasInit(): void {
    torch.noGrad(() => {
      for (let i = 0; i < this.nl; i++) {
        const s = this.stride[i]!;
        const boxConv = this.cv2.at(i).at(2) as torch.nn.Conv2d;
        const clsConv = this.cv3.at(i).at(2) as torch.nn.Conv2d;
        (boxConv.bias as Tensor).fill_(1.0);
        (clsConv.bias as Tensor).fill_(Math.log(5 / this.nc / (640 / s) ** 2));
      }
    });
  }
}

/**
 * One head branch (convs ending in the logits conv). Under CPU bf16 autocast (amp training, half inference) the last
 * conv runs in float32: bf16 keeps 8 bits of mantissa, too coarse for DFL and class logits that the loss, the
 * box decoding and NMS read. Elsewhere (float32, CUDA float16 as Ultralytics) it is the plain call.
 */
export function branchOutput(branch: torch.nn.Sequential, x: Tensor): Tensor {
  if (x.device !== 'cpu' || !torch.amp.autocastState('cpu').enabled) return branch.call(x);
  return torch.tidy(() => {
    const n = branch.length;
    let h = x;
    for (let k = 0; k < n - 1; k++) h = branch.at(k).call(h);
    const logits = branch.at(n - 1);
    return torch.autocast('cpu', () => logits.call(h.float()), { enabled: false });
  });
}
