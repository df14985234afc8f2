// The models (Ultralytics' nn/tasks.py): BaseModel runs the parsed layers, fuses, reports and computes the
// loss through an overridable criterion; DetectionModel builds a detector from a model YAML.

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import type { Args } from '../cfg/args.js';
import { defaultCfg } from '../cfg/config.js';
import type { Batch } from '../data/batch.js';
import { pyAt } from '../utils/indexing.js';
import { DetectionLoss } from '../utils/loss.js';
import { BranchDetectionLoss, E2ELoss } from '../utils/loss-e2e.js';
import { loadMatchingWeights } from '../utils/transfer.js';
import { type ModelFamily, modelFamily } from './family.js';
import { type ModelInfo, modelInfo, uniqueModules } from './info.js';
import { isInplaceActivation } from './modules/activation.js';
import { Conv, ConvTranspose } from './modules/conv.js';
import { Detect, type DetectionOutput } from './modules/head.js';
import { type ModelLayer, type ModelYaml, parseModel } from './parse-model.js';
import { yamlModelLoad } from './yaml-model.js';

const { nn } = torch;

/**
 * A loss: model outputs and a batch → [loss × batch size (with gradient), detached loss items]. `P` is what the
 * model's `lossInputs` hands it (a detector's training outputs: `Tensor[]`), `B` the batch type.
 *
 * @example
 * class ZeroLoss implements Criterion<Tensor[]> {
 *   compute(preds: Tensor[], batch: Batch): [Tensor, Tensor] {
 *     return [preds[0]!.sum().mul(0).mul(batch.img.size(0)), torch.zeros([3])];
 *   }
 * }
 */
export interface Criterion<P = unknown, B extends Batch = Batch> {
  compute(preds: P, batch: B): [Tensor, Tensor];
}

/**
 * What every YAML-built model shares: the layer list under `model`, the forward routing between layers,
 * fusing, the summary and the loss. Subclasses build the layers (`buildLayers`) and supply `initCriterion`.
 */
export abstract class BaseModel<Out = unknown> extends nn.Module<[Tensor], Out> {
  /** The model YAML as a dict (with `scale`, `yaml_file`, `ch` filled in). */
  yaml!: ModelYaml;
  /** The layers, `model.<i>` in the state dict. */
  model!: torch.nn.ModuleList<ModelLayer>;
  /** Indices of the layers whose outputs later layers read. */
  save: number[] = [];
  /** Strides of the output levels (e.g. [8, 16, 32]). */
  stride: number[] = [32];
  /** Training hyperparameters, set by the trainer; the criterion reads its gains (box, cls, dfl) from them. */
  args?: Args;
  /** The loss, created by `initCriterion()` on first use. */
  criterion: Criterion | null = null;

  /** Parses `yaml` into this model's layers (registered as `model`). */
  protected buildLayers(yaml: ModelYaml, ch: number, verbose: boolean): void {
    const { layers, save } = parseModel(structuredClone(yaml), ch, verbose);
    this.model = this.registerModule('model', new nn.ModuleList(layers));
    this.save = save;
  }

  forward(x: Tensor): Out {
    return this.predict(x) as Out;
  }

  /**
   * Runs the layers on `x`. With `embed` (layer indices), returns instead the global-average-pooled outputs of
   * those layers, one (features,) tensor per image, once the last of them has run.
   */
  predict(x: Tensor, options: { embed?: number[] } = {}): Out | Tensor[] {
    const { embed } = options;
    const outputs: unknown[] = [];
    const embeddings: Tensor[] = [];
    const lastEmbed = embed?.length ? Math.max(...embed) : -1;
    let current: unknown = x;
    for (const m of this.model) {
      const previous = current;
      const previousSaved = this.save.includes(m.i - 1);
      if (m.f !== -1) current = typeof m.f === 'number' ? pyAt(outputs, m.f) : m.f.map((j) => (j === -1 ? current : pyAt(outputs, j)));
      current = m.call(current);
      // An output no later layer reads is freed as soon as it has been consumed, as Python's refcounting frees
      // it, rather than when the whole forward's scope ends: peak memory stays that of PyTorch.
      if (previous instanceof torch.Tensor && previous !== x && previous !== current && !previousSaved) previous.dispose();
      outputs.push(this.save.includes(m.i) ? current : null);
      if (embed?.includes(m.i)) {
        embeddings.push(
          torch.F.adaptiveAvgPool2d(current as Tensor, 1)
            .squeeze(-1)
            .squeeze(-1),
        );
        if (m.i === lastEmbed) return torch.cat(embeddings, 1).unbind(0);
      }
    }
    return current as Out;
  }

  /**
   * Whether the model follows Ultralytics 8.4's conventions (YOLO26): leaf-module layer counts in info(), frozen
   * layers after fuse(). False here; DetectionModel says true for an 8.4-form head.
   */
  protected get follows84(): boolean {
    return false;
  }

  /** True when fewer than `thresh` BatchNorm layers remain (Ultralytics' is_fused). */
  isFused(thresh = 10): boolean {
    return uniqueModules(this).filter((m) => m instanceof nn.BatchNorm2d).length < thresh;
  }

  /** Folds every Conv/DWConv/ConvTranspose BatchNorm into its convolution for faster inference; prints the summary. */
  fuse(verbose = true): this {
    if (!this.isFused()) {
      for (const m of uniqueModules(this)) {
        if (!(m instanceof Conv || m instanceof ConvTranspose)) continue;
        m.fuse();
        // Ultralytics 8.4's fuse_conv_and_bn makes the folded layers frozen (requires_grad False).
        if (this.follows84) for (const p of m.parameters()) p.requiresGrad_(false);
      }
      // An end-to-end head (YOLO26) drops its one-to-many branch, as Ultralytics 8.4's Detect.fuse does.
      for (const m of uniqueModules(this)) if (m instanceof Detect) m.fuseHead();
      if (verbose) this.info();
    }
    return this;
  }

  /**
   * Layers, parameters, gradients and GFLOPs at `imgsz`, printed as Ultralytics prints them unless `verbose` is false.
   * @example model.info(); // YOLOv8n summary: 225 layers, 3,157,200 parameters, 3,157,184 gradients, 8.9 GFLOPs
   */
  info(options: { detailed?: boolean; verbose?: boolean; imgsz?: number | [number, number] } = {}): ModelInfo {
    return modelInfo(this, { leafLayers: this.follows84, ...options });
  }

  /** Copies the weights whose names and shapes match (e.g. a COCO checkpoint into a model with another nc). */
  load(weights: Map<string, Tensor> | torch.nn.Module<any, any>, verbose = true): number {
    return loadMatchingWeights(this, weights instanceof Map ? weights : weights.stateDict(), verbose);
  }

  /**
   * The loss of `preds` (a forward of `batch.img` when not given) against the batch's labels:
   * [loss × batch size, detached loss items].
   */
  loss(batch: Batch, preds?: Out): [Tensor, Tensor] {
    this.criterion ??= this.initCriterion();
    return this.criterion.compute(this.lossInputs(preds ?? this.call(batch.img)), batch);
  }

  /** What the criterion reads from a forward's output; the output itself unless a task says otherwise. */
  protected lossInputs(preds: Out): unknown {
    return preds;
  }

  /** The loss function of this task. */
  abstract initCriterion(): Criterion;
}

/** Ultralytics' initialize_weights: BatchNorm eps 1e-3 and momentum 0.03, activations in place (convs keep PyTorch's init). */
export function initializeWeights(model: torch.nn.Module<any, any>): void {
  for (const m of uniqueModules(model)) {
    if (m.constructor === nn.BatchNorm2d) {
      const bn = m as torch.nn.BatchNorm2d;
      bn.eps = 1e-3;
      bn.momentum = 0.03;
    } else if (isInplaceActivation(m)) {
      m.inplace = true;
    }
  }
}

/** Options of a DetectionModel. */
export interface DetectionModelOptions {
  /** Input channels (3), unless the YAML sets `ch`. */
  ch?: number;
  /** Class count overriding the YAML's `nc`. */
  nc?: number;
  /** Print the layer table and summary (true). */
  verbose?: boolean;
  /** The hyperparameters the loss reads (box, cls, dfl gains), e.g. a checkpoint's training arguments. */
  args?: Args;
}

/**
 * A YOLO detector built from a model YAML (a path, a built-in name such as 'yolov8n.yaml', or the dict).
 * `forward` gives the raw maps (B, 4·16 + nc, H, W) per level in training mode, and in eval mode Ultralytics'
 * `(y, x)` as the tuple `[pred, raw]`, `pred` (B, 4 + nc, anchors): xywh boxes in input pixels, then sigmoid
 * class scores.
 *
 * @example
 * const model = new DetectionModel('yolov8n.yaml', { nc: 80, verbose: false });
 * model.eval();
 * const [pred] = model.call(images) as DetectionPrediction; // (B, 84, 8400) at 640
 *
 * `Out` is what `forward` returns; it is `unknown` by default because the head decides it (a Detect head gives
 * `DetectionOutput`, a Segment head `SegmentOutput`), so any model built on DetectionModel (SegmentationModel is
 * `DetectionModel<SegmentOutput>`) can stand where a DetectionModel is expected.
 */
export class DetectionModel<Out = unknown> extends BaseModel<Out> {
  /** Class count (the trainer sets it from the dataset). */
  nc: number;
  /** Class names by index; '0', '1', … until a dataset or checkpoint provides them. */
  names: Record<number, string>;
  /** The model family ('yolov8', 'yolo11', …) from the YAML (see modelFamily); a checkpoint's record replaces it. */
  family: ModelFamily;

  constructor(cfg: string | ModelYaml | Record<string, unknown> = 'yolov8n.yaml', options: DetectionModelOptions = {}) {
    super();
    const { nc, verbose = true } = options;
    this.args = options.args;
    const yaml = typeof cfg === 'string' ? yamlModelLoad(cfg) : (structuredClone(cfg) as ModelYaml);
    yaml.ch ??= options.ch ?? 3;
    const ch = yaml.ch;
    if (nc && nc !== yaml.nc) {
      if (verbose) console.log(`Overriding model.yaml nc=${yaml.nc} with nc=${nc}`);
      yaml.nc = nc;
    }
    this.yaml = yaml;
    this.buildLayers(yaml, ch, verbose);
    this.nc = yaml.nc;
    this.family = modelFamily(yaml);
    this.names = Object.fromEntries(Array.from({ length: yaml.nc }, (_, i) => [i, String(i)]));

    const head = this.model.at(this.model.length - 1);
    if (head instanceof Detect) {
      head.stride = this.dryRunStrides(ch);
      this.stride = [...head.stride];
      head.biasInit();
    }
    initializeWeights(this);
    if (verbose) {
      this.info();
      console.log('');
    }
  }

  /**
   * Strides from a forward pass of a 256×256 zero image in training mode (as Ultralytics builds them: BatchNorm
   * running statistics see this one batch): 256 / each output's height.
   */
  private dryRunStrides(ch: number): number[] {
    const s = 256;
    return torch.noGrad(() =>
      torch.tidy(() => {
        const out: unknown = this.call(torch.zeros([1, ch, s, s]));
        // A head with more outputs (Segment: [maps, coefficients, protos]) puts the maps first; an 8.4-form head
        // (YOLO26) returns its branches with the level inputs as `feats`.
        const maps = Array.isArray(out) && Array.isArray(out[0]) ? out[0] : (headFeats(out) ?? out);
        if (!Array.isArray(maps) || !maps.every((m) => m instanceof torch.Tensor)) {
          throw new Error(`${this.constructor.name}: the head must return its raw maps in training mode`);
        }
        return (maps as Tensor[]).map((m) => s / m.shape[m.shape.length - 2]!);
      }),
    );
  }

  protected override get follows84(): boolean {
    const head = this.model.at(this.model.length - 1);
    return head instanceof Detect && head.v84;
  }

  /**
   * Whether inference is end-to-end (YOLO26: one-to-one top-k, no NMS); undefined for heads without the option.
   * Setting false uses the one-to-many branch and NMS, as Ultralytics' `model.end2end = False`.
   */
  get end2end(): boolean | undefined {
    const head = this.model.at(this.model.length - 1);
    return head instanceof Detect && head.v84 ? head.end2end : undefined;
  }

  set end2end(value: boolean) {
    this.head.end2end = value;
  }

  /** The detection head (the last layer). */
  get head(): Detect<unknown> {
    const head = this.model.at(this.model.length - 1);
    if (!(head instanceof Detect))
      throw new Error(`${this.constructor.name}: the last layer is ${head.constructor.name}, not a Detect head`);
    return head;
  }

  /** The criterion reads the raw maps: training output as is, or the `raw` half of eval output `[pred, raw]`. */
  protected override lossInputs(output: Out): unknown {
    const preds = output as DetectionOutput;
    if (this.head.v84) {
      // 8.4-form heads: the training output itself, or the second element of eval output [pred, train output].
      const train = Array.isArray(preds) ? preds[1] : preds;
      if (train === undefined || train instanceof torch.Tensor || Array.isArray(train))
        throw new Error('DetectionModel.loss needs the head branches; the head is in export mode');
      return train;
    }
    if (!Array.isArray(preds)) throw new Error('DetectionModel.loss needs the raw head maps; the head is in export mode');
    const [, raw] = preds;
    return Array.isArray(raw) ? raw : (preds as Tensor[]);
  }

  /** The YOLOv8 detection loss with the gains of `args` (the defaults 7.5 / 0.5 / 1.5 when no trainer set them). */
  initCriterion(): Criterion {
    const hyp = this.args ?? defaultCfg();
    const head = this.head;
    if (head.v84) {
      // Ultralytics 8.4: E2ELoss for an end-to-end head, else v8DetectionLoss (with the L1 term when reg_max is 1).
      const info = { stride: this.stride, nc: this.nc, regMax: head.regMax };
      const gains = { box: hyp.box, cls: hyp.cls, dfl: hyp.dfl };
      // The schedule reads the epochs of the model's current args at each update, as Ultralytics' hyp.epochs.
      return head.end2end ? new E2ELoss(info, gains, () => (this.args ?? hyp).epochs) : new BranchDetectionLoss(info, gains);
    }
    return new DetectionLoss({ stride: this.stride, nc: this.nc, regMax: this.head.regMax }, { box: hyp.box, cls: hyp.cls, dfl: hyp.dfl });
  }
}

/** The level inputs of an 8.4-form head's training output (`{ feats }` or `{ one2many: { feats } }`), if it is one. */
function headFeats(out: unknown): Tensor[] | undefined {
  if (out === null || typeof out !== 'object' || Array.isArray(out)) return undefined;
  const o = out as { feats?: Tensor[]; one2many?: { feats?: Tensor[] } };
  return o.feats ?? o.one2many?.feats;
}
