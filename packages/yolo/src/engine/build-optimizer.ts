// Ultralytics' build_optimizer: three parameter groups (biases, decayed weights, norm weights) and the
// `auto` rule, chosen by model family, that picks the optimizer, lr0 and momentum from the run's length.
import { type nn, optim, type Tensor } from '@yolots/torch';

/** What `optimizer=auto` resolves to. */
export interface AutoOptimizerChoice {
  name: string;
  lr: number;
  momentum: number;
}

/** An `optimizer=auto` rule: the run's total optimizer iterations and class count → the optimizer to use. */
export type AutoOptimizerRule = (iterations: number, nc: number) => AutoOptimizerChoice;

/**
 * Ultralytics 8.2's and 8.3's rule (YOLOv8, YOLO11, and any family without its own rule): SGD (lr0 0.01, momentum
 * 0.9) above 10000 iterations, else AdamW with lr0 = round(0.002 · 5 / (4 + nc), 6) and beta1 0.9.
 * @example ultralytics8AutoRule(100, 80) // { name: 'AdamW', lr: 0.000119, momentum: 0.9 }
 */
export const ultralytics8AutoRule: AutoOptimizerRule = (iterations, nc) => {
  const lrFit = Math.round(((0.002 * 5) / (4 + nc)) * 1e6) / 1e6;
  return iterations > 10000 ? { name: 'SGD', lr: 0.01, momentum: 0.9 } : { name: 'AdamW', lr: lrFit, momentum: 0.9 };
};

const autoRules = new Map<string, AutoOptimizerRule>([
  ['yolov8', ultralytics8AutoRule],
  ['yolo11', ultralytics8AutoRule],
]);

/**
 * Makes `rule` the `optimizer=auto` rule of models of `family` (see modelFamily), replacing any earlier one.
 * @example registerAutoOptimizerRule('my-family', (iterations) => ({ name: 'SGD', lr: 0.02, momentum: 0.9 }));
 */
export function registerAutoOptimizerRule(family: string, rule: AutoOptimizerRule): void {
  autoRules.set(family, rule);
}

/** The `optimizer=auto` rule of a family; Ultralytics 8.2/8.3's for a family without its own. */
export function autoOptimizerRule(family: string): AutoOptimizerRule {
  return autoRules.get(family) ?? ultralytics8AutoRule;
}

export interface BuiltOptimizer {
  optimizer: optim.Optimizer<{ lr: number }>;
  /** The resolved name, learning rate and momentum (auto may change all three). */
  name: string;
  lr: number;
  momentum: number;
  /** For `auto`: Ultralytics forces warmup_bias_lr to 0. */
  warmupBiasLr: number | null;
}

/**
 * @param decay weight decay for the weight group (already scaled by batch·accumulate/nbs)
 * @param iterations total optimizer iterations of the run, for `auto`
 * @param family the model family (modelFamily), whose rule `auto` follows
 */
export function buildOptimizer(
  model: nn.Module<any, any>,
  name = 'auto',
  lr0 = 0.001,
  momentum0 = 0.9,
  decay = 1e-5,
  iterations = 1e5,
  nc = 80,
  family = 'yolov8',
): BuiltOptimizer {
  const biases: Tensor[] = [];
  const decayed: Tensor[] = [];
  const normWeights: Tensor[] = [];
  for (const [moduleName, module] of model.namedModules()) {
    for (const [paramName, param] of module.namedParameters('', false)) {
      const fullName = moduleName ? `${moduleName}.${paramName}` : paramName;
      if (fullName.includes('bias')) biases.push(param);
      else if (module.constructor.name.includes('Norm')) normWeights.push(param);
      else decayed.push(param);
    }
  }
  let resolved = name;
  let lr = lr0;
  let momentum = momentum0;
  let warmupBiasLr: number | null = null;
  if (name === 'auto') {
    const given = { lr, momentum };
    ({ name: resolved, lr, momentum } = autoOptimizerRule(family)(iterations, nc));
    warmupBiasLr = 0;
    console.log(
      `optimizer: 'optimizer=auto' found, ignoring 'lr0=${given.lr}' and 'momentum=${given.momentum}' and determining best 'optimizer', 'lr0' and 'momentum' automatically... \n` +
        `optimizer: ${resolved}(lr=${lr}, momentum=${momentum}) with parameter groups ${normWeights.length} weight(decay=0.0), ${decayed.length} weight(decay=${decay}), ${biases.length} bias(decay=0.0)`,
    );
  }
  const groups = [{ params: biases }, { params: decayed, weight_decay: decay }, { params: normWeights, weight_decay: 0 }];
  let optimizer: optim.Optimizer<{ lr: number }>;
  switch (resolved) {
    case 'Adam':
      optimizer = new optim.Adam(groups, { lr, betas: [momentum, 0.999], weight_decay: 0 });
      break;
    case 'AdamW':
      optimizer = new optim.AdamW(groups, { lr, betas: [momentum, 0.999], weight_decay: 0 });
      break;
    case 'RMSProp':
      optimizer = new optim.RMSprop(groups, { lr, momentum });
      break;
    case 'SGD':
      optimizer = new optim.SGD(groups, { lr, momentum, nesterov: true });
      break;
    default:
      throw new Error(
        `Optimizer '${name}' not found in list of available optimizers [Adam, AdamW, RMSProp, SGD, auto]. ` +
          '(Adamax, NAdam and RAdam are not implemented in yolots.)',
      );
  }
  return { optimizer, name: resolved, lr, momentum, warmupBiasLr };
}
