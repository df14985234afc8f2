// The detection head (Ultralytics' nn/modules/head.py Detect): per level a box branch (cv2) predicting
// 4×reg_max DFL bins and a class branch (cv3) predicting nc logits. Built with YOLO26's arguments (reg_max,
// end2end: Ultralytics 8.4) it is 8.4's head: outputs concatenated over the levels, reg_max 1 without DFL, and with
// end2end a one-to-one copy of both branches on detached features whose decoded output goes through top-k, not NMS.

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import type { BranchOutput, EndToEndOutput } from '../../utils/loss-e2e.js';
import { dist2bbox, makeAnchors } from '../../utils/tal.js';
import { SiLU } from './activation.js';
import { DFL } from './block.js';
import { Conv, DWConv } from './conv.js';
import { topkDetections } from './head-e2e.js';

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
export type DetectionOutput = Tensor[] | DetectionPrediction | Tensor | HeadTrainOutput84 | DetectionPrediction84;

/** Training output of an 8.4-form head: one branch, or both with end2end. */
export type HeadTrainOutput84 = BranchOutput | EndToEndOutput;

/**
 * Eval-mode output of an 8.4-form head: `pred` is (B, max_det, 6) rows x1, y1, x2, y2, score, class with end2end,
 * else (B, 4 + nc, anchors) xywh + sigmoid scores (for NMS); then the training output.
 */
export type DetectionPrediction84 = [pred: Tensor, train: HeadTrainOutput84];

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
  /** DFL bins per box side (16); 1 = the box branch predicts the distances directly (YOLO26). */
  readonly regMax: number;
  /**
   * Built with YOLO26's arguments (Ultralytics 8.4 form): branch outputs concatenated over the levels
   * (`{ boxes, scores, feats }`), box bias 2.0, and the end-to-end option.
   */
  readonly v84: boolean;
  /** Detections kept by the end-to-end top-k (the exporter sets it from `max_det`, as Ultralytics'). */
  maxDet = 300;
  /** End-to-end top-k: one class per anchor (the exporter sets it from `agnostic_nms`, as Ultralytics'). */
  agnosticNms = false;
  one2oneCv2: torch.nn.ModuleList<torch.nn.Sequential> | null = null;
  one2oneCv3: torch.nn.ModuleList<torch.nn.Sequential> | null = null;
  private end2endWanted = false;
  /** Outputs per anchor: 4·regMax box bins + nc class logits. */
  readonly no: number;
  /** Stride of each level, set by the model's dry run (e.g. [8, 16, 32]). */
  stride: number[];
  /** Rebuild anchors on every call rather than when the input shape changes. */
  dynamic = false;
  /** Return only the decoded tensor in eval mode. */
  export = false;
  /**
   * The (one-to-many) box and class branches. Fusing an end-to-end head removes them from the module tree and frees
   * them (Ultralytics deletes them); inference then reads only the one-to-one branch.
   */
  cv2: torch.nn.ModuleList<torch.nn.Sequential>;
  cv3: torch.nn.ModuleList<torch.nn.Sequential>;
  dfl: DFL | torch.nn.Identity;
  /** YOLOv8's class branch (true) or YOLO11's depth-wise one (false); see HeadOptions. */
  readonly legacy: boolean;
  private anchorShape: string | null = null;

  /**
   * `new Detect(nc, ch, options)` (YOLOv8/YOLO11), or with YOLO26's arguments `new Detect(nc, regMax, end2end, ch,
   * options)` (what parseModel passes when the YAML sets `reg_max` / `end2end`).
   */
  constructor(nc = 80, ...rest: [number[]?, HeadOptions?] | [number, boolean, number[], HeadOptions?]) {
    super();
    const v84 = typeof rest[0] === 'number';
    const [ch = [], options = {}] = (v84 ? rest.slice(2) : rest) as [number[]?, HeadOptions?];
    if (!Array.isArray(ch) || ch.length === 0) throw new RangeError('Detect needs the channels of at least one input feature map');
    this.v84 = v84;
    this.regMax = v84 ? (rest[0] as number) : 16;
    if (!Number.isInteger(this.regMax) || this.regMax < 1)
      throw new RangeError(`Detect: reg_max must be a positive integer, got ${this.regMax}`);
    this.nc = nc;
    this.nl = ch.length;
    this.no = nc + this.regMax * 4;
    this.stride = new Array(this.nl).fill(0);
    const c0 = ch[0]!;
    const c2 = Math.max(16, Math.floor(c0 / 4), this.regMax * 4);
    const c3 = Math.max(c0, Math.min(nc, 100));
    const boxBranch = (x: number) => new nn.Sequential(new Conv(x, c2, 3), new Conv(c2, c2, 3), new nn.Conv2d(c2, 4 * this.regMax, 1));
    this.cv2 = this.registerModule('cv2', new nn.ModuleList(ch.map(boxBranch)));
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
    this.dfl = this.registerModule('dfl', this.regMax > 1 ? new DFL(this.regMax) : new nn.Identity());
    if (v84 && rest[1] === true) {
      // Ultralytics deep-copies both branches: the one-to-one head starts from the same weights.
      this.one2oneCv2 = this.registerModule(
        'one2one_cv2',
        copyBranches(this.cv2, () => ch.map((x) => boxBranch(x))),
      );
      this.one2oneCv3 = this.registerModule(
        'one2one_cv3',
        copyBranches(this.cv3, () => ch.map(classBranch)),
      );
      this.end2endWanted = true;
    }
    // Cached anchor grid, rebuilt when the input shape changes; non-persistent so it stays out of state dicts.
    this.registerBuffer('anchors', null, false);
    this.registerBuffer('strides', null, false);
  }

  /** Whether inference uses the one-to-one branch and top-k (YOLO26); settable, false falls back to one-to-many + NMS. */
  get end2end(): boolean {
    return this.end2endWanted && this.one2oneCv2 !== null;
  }

  set end2end(value: boolean) {
    if (value && this.one2oneCv2 === null) throw new Error('Detect: this head has no one-to-one branch (its YAML sets no end2end)');
    if (!value && this.fusedE2E)
      throw new Error('Detect: a fused end-to-end head has no one-to-many branch left; end2end cannot be turned off');
    this.end2endWanted = value;
  }

  /** True once fuse() dropped the one-to-many branch. */
  private fusedE2E = false;

  forward(x: Tensor[]): Out {
    // A head with more outputs (Segment) overrides forward and builds on detect().
    return (this.v84 ? this.detect84(x) : this.detect(x)) as Out;
  }

  /**
   * Ultralytics 8.4's forward: `{ boxes, scores, feats }` per branch (the one-to-one branch on detached features);
   * in eval mode `[pred, train output]` where pred is the one-to-one top-k (B, maxDet, 6) with end2end, else the
   * one-to-many decoded (B, 4 + nc, A); `pred` alone when exporting.
   */
  protected detect84(x: Tensor[]): HeadTrainOutput84 | DetectionPrediction84 | Tensor {
    const end2end = this.end2end;
    let preds: HeadTrainOutput84;
    if (end2end) {
      const one2one = this.branch(
        x.map((xi) => xi.detach()),
        this.one2oneCv2 as torch.nn.ModuleList<torch.nn.Sequential>,
        this.one2oneCv3 as torch.nn.ModuleList<torch.nn.Sequential>,
      );
      // A fused head has only the one-to-one branch; its training output keeps the shape with an empty one-to-many.
      const one2many = this.fusedE2E
        ? { boxes: one2one.boxes.narrow(2, 0, 0), scores: one2one.scores.narrow(2, 0, 0), feats: x }
        : this.branch(x, this.cv2, this.cv3);
      preds = { one2many, one2one };
    } else {
      preds = this.branch(x, this.cv2, this.cv3);
    }
    if (this.training) return preds;
    const decoded = this.decode84('one2one' in preds ? preds.one2one : preds, end2end);
    const pred = end2end ? topkDetections(decoded.permute(0, 2, 1), this.nc, this.maxDet, this.agnosticNms, this.export) : decoded;
    return this.export ? pred : [pred, preds];
  }

  /** One branch over all levels: boxes (B, 4·regMax, A) and class logits (B, nc, A), concatenated P3 first. */
  private branch(
    x: Tensor[],
    boxHead: torch.nn.ModuleList<torch.nn.Sequential>,
    clsHead: torch.nn.ModuleList<torch.nn.Sequential>,
  ): BranchOutput {
    const batch = (x[0] as Tensor).shape[0] as number;
    const boxes = torch.cat(
      x.map((xi, i) => branchOutput(boxHead.at(i), xi).view(batch, 4 * this.regMax, -1)),
      -1,
    );
    const scores = torch.cat(
      x.map((xi, i) => branchOutput(clsHead.at(i), xi).view(batch, this.nc, -1)),
      -1,
    );
    return { boxes, scores, feats: x };
  }

  /** 8.4's `_inference`: boxes in input pixels (xyxy for end-to-end, xywh for NMS), then sigmoid scores. */
  private decode84(out: BranchOutput, end2end: boolean): Tensor {
    const key = out.feats.map((xi) => xi.shape.join('x')).join(',');
    if (this.dynamic || this.anchorShape !== key) this.updateAnchors(out.feats, key);
    const anchors = this.getBuffer('anchors') as Tensor;
    const strides = this.getBuffer('strides') as Tensor;
    const dbox = dist2bbox(this.dfl.call(out.boxes), anchors.unsqueeze(0), !end2end, 1).mul(strides);
    return torch.cat([dbox, out.scores.sigmoid()], 1);
  }

  /** Ultralytics 8.4's Detect.fuse: an end-to-end head drops its one-to-many branch (inference never reads it). */
  fuseHead(): void {
    if (!this.end2end || this.fusedE2E) return;
    this.deleteModule('cv2');
    this.deleteModule('cv3');
    this.cv2.dispose();
    this.cv3.dispose();
    this.fusedE2E = true;
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
   * Ultralytics' bias_init (once, after the strides are known): box bias 1.0 (2.0 for an 8.4-form head, both branches); class bias log(5 / nc / (640 / s)²),
   * a prior of ~5 objects per 640² image spread over the level's cells.
   */
  biasInit(): void {
    torch.noGrad(() => {
      for (let i = 0; i < this.nl; i++) {
        const s = this.stride[i]!;
        const heads =
          this.one2oneCv2 && this.one2oneCv3
            ? [[this.cv2, this.cv3] as const, [this.one2oneCv2, this.one2oneCv3] as const]
            : [[this.cv2, this.cv3] as const];
        for (const [boxHead, clsHead] of heads) {
          const boxConv = boxHead.at(i).at(2) as torch.nn.Conv2d;
          const clsConv = clsHead.at(i).at(2) as torch.nn.Conv2d;
          (boxConv.bias as Tensor).fill_(this.v84 ? 2.0 : 1.0);
          (clsConv.bias as Tensor).fill_(Math.log(5 / this.nc / (640 / s) ** 2));
        }
      }
    });
  }
}

/** Fresh branches from `make()` holding copies of `source`'s weights (Python's copy.deepcopy of a built branch). */
function copyBranches(
  source: torch.nn.ModuleList<torch.nn.Sequential>,
  make: () => torch.nn.Sequential[],
): torch.nn.ModuleList<torch.nn.Sequential> {
  const copy = new nn.ModuleList(make());
  copy.loadStateDict(source.stateDict());
  // deepcopy also copies the activation the source's Convs share (Conv.default_act): one new SiLU per copied branch
  // list, which Ultralytics' module and layer counts include.
  const act = new SiLU();
  copy.apply((m) => {
    if (m instanceof Conv && m.act === Conv.defaultAct) m.replaceActivation(act);
  });
  return copy;
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
