// Ultralytics' build_optimizer: parameter groups (biases, decayed weights, norm weights; MuSGD adds Muon matrices)
// and the `auto` rule, chosen by model family (the Ultralytics release the family came with):
//   yolov8 (8.2) and yolo11 (8.3): SGD(lr 0.01) for > 10000 iterations, else AdamW with the nc-fitted lr;
//   yolo26 (8.4.104): MuSGD(lr 0.01, muon 0.2, sgd 1.0) for > 10000 iterations, else AdamW with the nc-fitted lr,
//   with 8.4's group layout (weight, bn, bias(, muon)) and, for MuSGD, lr × 3 on the class heads.
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

/**
 * Ultralytics 8.4.104's rule (YOLO26): MuSGD (lr0 0.01, momentum 0.9) above 10000 iterations, else AdamW as 8.2/8.3.
 * @example ultralytics84AutoRule(10001, 80) // { name: 'MuSGD', lr: 0.01, momentum: 0.9 }
 */
export const ultralytics84AutoRule: AutoOptimizerRule = (iterations, nc) =>
  iterations > 10000 ? { name: 'MuSGD', lr: 0.01, momentum: 0.9 } : ultralytics8AutoRule(iterations, nc);

const autoRules = new Map<string, AutoOptimizerRule>([
  ['yolov8', ultralytics8AutoRule],
  ['yolo11', ultralytics8AutoRule],
  ['yolo26', ultralytics84AutoRule],
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

/** Ultralytics 8.4's MuSGD scales: the Muon half at lr·0.2, the SGD half at lr·1.0. */
const MUSGD_SCALES = { muon: 0.2, sgd: 1.0 };

/**
 * Parameters MuSGD trains at lr × 3 (Ultralytics 8.4.104's regex on the parameter name: the class heads of a head at
 * layer 23 — YOLO26's — and semantic-segmentation heads; a head at another index is not matched, as in 8.4.104).
 */
const MUSGD_BOOSTED = /(?=.*23)(?=.*cv3)|proto\.semseg|SemanticSegment/;

type Named = Array<[string, Tensor]>;

/** Each parameter once, in module order, sorted into Ultralytics' kinds. */
function sortParameters(model: nn.Module<any, any>, muon: boolean): { weight: Named; bn: Named; bias: Named; muon: Named } {
  const out = { weight: [] as Named, bn: [] as Named, bias: [] as Named, muon: [] as Named };
  for (const [moduleName, module] of model.namedModules()) {
    for (const [paramName, param] of module.namedParameters('', false)) {
      const fullName = moduleName ? `${moduleName}.${paramName}` : paramName;
      if (muon && (param.dim() === 2 || param.dim() === 4)) out.muon.push([fullName, param]);
      else if (fullName.includes('bias')) out.bias.push([fullName, param]);
      else if (module.constructor.name.includes('Norm')) out.bn.push([fullName, param]);
      else out.weight.push([fullName, param]);
    }
  }
  return out;
}

function autoMessage(lr0: number, momentum: number): string {
  return `optimizer: 'optimizer=auto' found, ignoring 'lr0=${lr0}' and 'momentum=${momentum}' and determining best 'optimizer', 'lr0' and 'momentum' automatically... `;
}

/**
 * @param decay weight decay for the weight group (already scaled by batch·accumulate/nbs)
 * @param iterations total optimizer iterations of the run, for `auto`
 * @param nc the dataset's class count (`auto` fits lr0 to it)
 * @param family the model family (modelFamily): its `auto` rule (autoOptimizerRule) and group layout
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
  let resolved = name;
  let lr = lr0;
  let momentum = momentum0;
  let warmupBiasLr: number | null = null;
  const logs: string[] = [];
  if (name === 'auto') {
    logs.push(autoMessage(lr, momentum));
    ({ name: resolved, lr, momentum } = autoOptimizerRule(family)(iterations, nc));
    warmupBiasLr = 0;
  }
  const useMuon = resolved === 'MuSGD';
  const kinds = sortParameters(model, useMuon);
  const params = (named: Named) => named.map(([, p]) => p);
  const weightCount = useMuon ? kinds.muon.length : kinds.weight.length;
  // 8.4 lists the groups weight, bn, bias(, muon); 8.2/8.3 bias, weight, bn. Warm-up finds the bias group by name.
  const base =
    family === 'yolo26' || useMuon
      ? [
          { named: kinds.weight, weight_decay: decay, param_group: 'weight' },
          { named: kinds.bn, weight_decay: 0, param_group: 'bn' },
          { named: kinds.bias, weight_decay: 0, param_group: 'bias' },
        ]
      : [
          { named: kinds.bias, weight_decay: 0, param_group: 'bias' },
          { named: kinds.weight, weight_decay: decay, param_group: 'weight' },
          { named: kinds.bn, weight_decay: 0, param_group: 'bn' },
        ];
  let optimizer: optim.Optimizer<{ lr: number }>;
  switch (resolved) {
    case 'Adam':
    case 'AdamW': {
      const groups = base.map(({ named, ...g }) => ({ params: params(named), ...g }));
      const Adam = resolved === 'Adam' ? optim.Adam : optim.AdamW;
      optimizer = new Adam(groups, { lr, betas: [momentum, 0.999], weight_decay: 0 });
      break;
    }
    case 'RMSProp':
      optimizer = new optim.RMSprop(
        base.map(({ named, ...g }) => ({ params: params(named), ...g })),
        { lr, momentum },
      );
      break;
    case 'SGD':
      optimizer = new optim.SGD(
        base.map(({ named, ...g }) => ({ params: params(named), ...g })),
        { lr, momentum, nesterov: true },
      );
      break;
    case 'MuSGD': {
      const all = [...base, { named: kinds.muon, weight_decay: decay, param_group: 'muon', use_muon: true }];
      // Each kind splits in two groups, the boosted parameters (lr × 3) first; empty groups stay, as in 8.4.
      const groups = all.flatMap(({ named, ...g }) => [
        { params: params(named.filter(([n]) => MUSGD_BOOSTED.test(n))), ...g, lr: lr * 3 },
        { params: params(named.filter(([n]) => !MUSGD_BOOSTED.test(n))), ...g },
      ]);
      optimizer = new optim.MuSGD(groups, { lr, momentum, nesterov: true }, MUSGD_SCALES);
      break;
    }
    default:
      throw new Error(
        `Optimizer '${name}' not found in list of available optimizers [Adam, AdamW, RMSProp, SGD, MuSGD, auto]. ` +
          '(Adamax, NAdam and RAdam are not implemented in yolots.)',
      );
  }
  logs.push(
    `optimizer: ${resolved}(lr=${lr}, momentum=${momentum}) with parameter groups ${kinds.bn.length} weight(decay=0.0), ${weightCount} weight(decay=${decay === 0 ? '0.0' : decay}), ${kinds.bias.length} bias(decay=0.0)`,
  );
  if (logs.length > 0) console.log(logs.join('\n'));
  return { optimizer, name: resolved, lr, momentum, warmupBiasLr };
}
