// The instance segmentation head (Ultralytics' nn/modules/head.py Segment and block.py Proto): Detect's box and
// class branches, plus per level a coefficient branch (cv4) predicting `nm` mask coefficients per anchor, and a
// prototype network (proto) on the P3 map predicting `nm` mask prototypes at stride 4.

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { Conv } from './conv.js';
import { Detect, type HeadOptions } from './head.js';
import { ConvTranspose2d } from './layers.js';

const { nn } = torch;

/**
 * Mask prototypes: Conv 3×3 → ConvTranspose2d ×2 upsampling (with bias) → Conv 3×3 → Conv 1×1 to `c2` maps.
 * @example new Proto(64, 64, 32).call(p3) // (B, 32, 2H, 2W)
 */
export class Proto extends nn.Module {
  cv1: Conv;
  upsample: ConvTranspose2d;
  cv2: Conv;
  cv3: Conv;

  constructor(c1: number, c_ = 256, c2 = 32) {
    super();
    this.cv1 = this.registerModule('cv1', new Conv(c1, c_, 3));
    this.upsample = this.registerModule('upsample', new ConvTranspose2d(c_, c_, 2, 2, 0, 0, 1, true));
    this.cv2 = this.registerModule('cv2', new Conv(c_, c_, 3));
    this.cv3 = this.registerModule('cv3', new Conv(c_, c2));
  }

  forward(x: Tensor): Tensor {
    return this.cv3.call(this.cv2.call(this.upsample.call(this.cv1.call(x))));
  }
}

/** Training-mode output: the raw Detect maps per level, the coefficients (B, nm, anchors), the protos (B, nm, H/4, W/4). */
export type SegmentTrainOutput = [maps: Tensor[], coefficients: Tensor, protos: Tensor];

/**
 * Eval-mode output, Ultralytics' `(cat([y, mc], 1), (x, mc, p))`: `pred` (B, 4 + nc + nm, anchors) = Detect's
 * decoded boxes and scores followed by the raw coefficients; then what the loss reads.
 */
export type SegmentPrediction = [pred: Tensor, train: SegmentTrainOutput];

/** Export-mode output: `pred` as in eval mode and the protos. */
export type SegmentExportOutput = [pred: Tensor, protos: Tensor];

/** What Segment (and a SegmentationModel) returns in training, eval and export mode. */
export type SegmentOutput = SegmentTrainOutput | SegmentPrediction | SegmentExportOutput;

/**
 * YOLOv8 segmentation head for `nc` classes, `nm` mask coefficients and `npr` prototype channels over feature maps
 * with channels `ch` (P3 first).
 *
 * @example
 * const head = new Segment(80, 32, 64, [64, 128, 256]);
 */
export class Segment extends Detect<SegmentOutput> {
  /** Mask coefficients per anchor (= prototypes). */
  readonly nm: number;
  /** Hidden channels of the prototype network. */
  readonly npr: number;
  proto: Proto;
  cv4: torch.nn.ModuleList<torch.nn.Sequential>;

  constructor(nc = 80, nm = 32, npr = 256, ch: number[] = [], options: HeadOptions = {}) {
    super(nc, ch, options);
    this.nm = nm;
    this.npr = npr;
    this.proto = this.registerModule('proto', new Proto(ch[0]!, npr, nm));
    const c4 = Math.max(Math.floor(ch[0]! / 4), nm);
    this.cv4 = this.registerModule(
      'cv4',
      new nn.ModuleList(ch.map((x) => new nn.Sequential(new Conv(x, c4, 3), new Conv(c4, c4, 3), new nn.Conv2d(c4, nm, 1)))),
    );
  }

  override forward(x: Tensor[]): SegmentOutput {
    const p = this.proto.call(x[0]!);
    const bs = p.shape[0]!;
    const mc = torch.cat(
      x.map((xi, i) => this.cv4.at(i).call(xi).view(bs, this.nm, -1)),
      2,
    );
    const out = this.detect(x);
    if (this.training) return [out as Tensor[], mc, p];
    if (this.export) return [torch.cat([out as Tensor, mc], 1), p];
    const [pred, raw] = out as [Tensor, Tensor[]];
    return [torch.cat([pred, mc], 1), [raw, mc, p]];
  }
}
