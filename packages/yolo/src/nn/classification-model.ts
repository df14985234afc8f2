// ClassificationModel (Ultralytics' nn/tasks.py ClassificationModel): a backbone ending in a Classify head, with the
// cross-entropy loss. Unlike the detection models it keeps PyTorch's BatchNorm defaults (eps 1e-5, momentum 0.1):
// Ultralytics never calls initialize_weights on it.
import type { Tensor } from '@yolots/torch';
import type { Args } from '../cfg/args.js';
import { ClassificationLoss, type ClassLabels } from '../utils/loss-classify.js';
import { type ModelFamily, modelFamily } from './family.js';
import { Classify } from './modules/classify.js';
import type { ModelYaml } from './parse-model.js';
import { BaseModel, type Criterion, type DetectionModelOptions } from './tasks.js';
import { yamlModelLoad } from './yaml-model.js';

/**
 * An image classifier built from a model YAML ('yolov8n-cls.yaml', a path, or the dict). `forward` gives the
 * (B, nc) logits in training mode and their softmax in eval mode.
 *
 * @example
 * const model = new ClassificationModel('yolov8n-cls.yaml', { nc: 10, verbose: false });
 * model.eval();
 * const probs = model.call(images); // (B, 10), rows sum to 1
 */
export class ClassificationModel extends BaseModel<Tensor> {
  /** The task this model serves (Ultralytics' guess_model_task answer for it). */
  readonly task = 'classify';
  nc: number;
  names: Record<number, string>;
  /** The model family ('yolov8', 'yolo11', …) from the YAML (see modelFamily); a checkpoint's record replaces it. */
  family: ModelFamily;

  constructor(cfg: string | ModelYaml | Record<string, unknown> = 'yolov8n-cls.yaml', options: DetectionModelOptions = {}) {
    super();
    const { nc, verbose = true } = options;
    this.args = options.args as Args | undefined;
    const yaml = typeof cfg === 'string' ? yamlModelLoad(cfg) : (structuredClone(cfg) as ModelYaml);
    yaml.ch ??= options.ch ?? 3;
    if (nc && nc !== yaml.nc) {
      if (verbose) console.log(`Overriding model.yaml nc=${yaml.nc} with nc=${nc}`);
      yaml.nc = nc;
    }
    this.yaml = yaml;
    this.buildLayers(yaml, yaml.ch, verbose);
    if (!(this.model.at(this.model.length - 1) instanceof Classify)) {
      const file = typeof cfg === 'string' ? cfg : (yaml.yaml_file ?? 'the model YAML');
      throw new Error(`ClassificationModel: ${file} does not end in a Classify head (use a -cls model YAML such as yolov8n-cls.yaml)`);
    }
    this.nc = yaml.nc;
    this.family = modelFamily(yaml);
    this.stride = [1];
    this.names = Object.fromEntries(Array.from({ length: yaml.nc }, (_, i) => [i, String(i)]));
    if (verbose) this.info();
  }

  /** The classification head (the last layer). */
  get head(): Classify {
    return this.model.at(this.model.length - 1) as unknown as Classify;
  }

  /** Cross-entropy of `preds` (a forward of `batch.img` when not given) against `batch.cls`: [loss, detached loss]. */
  override loss(batch: ClassLabels & { img: Tensor }, preds?: Tensor): [Tensor, Tensor] {
    this.criterion ??= this.initCriterion();
    return this.criterion.compute(preds ?? this.call(batch.img), batch as never);
  }

  initCriterion(): Criterion {
    return new ClassificationLoss() as Criterion;
  }
}
