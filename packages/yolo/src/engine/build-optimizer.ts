// Ultralytics' build_optimizer: three parameter groups (biases, decayed weights, norm weights) and the
// `auto` rule that picks SGD for long runs and AdamW with a fitted lr for short ones.
import { type nn, optim, type Tensor } from '@yolots/torch';

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
 */
export function buildOptimizer(
  model: nn.Module<any, any>,
  name = 'auto',
  lr0 = 0.001,
  momentum0 = 0.9,
  decay = 1e-5,
  iterations = 1e5,
  nc = 80,
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
    const lrFit = Math.round(((0.002 * 5) / (4 + nc)) * 1e6) / 1e6;
    [resolved, lr, momentum] = iterations > 10000 ? ['SGD', 0.01, 0.9] : ['AdamW', lrFit, 0.9];
    warmupBiasLr = 0;
    console.log(
      `optimizer: 'optimizer=auto' found, ignoring 'lr0' and 'momentum' and determining best 'optimizer', 'lr0' and 'momentum' automatically... \n` +
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
