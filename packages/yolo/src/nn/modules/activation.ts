// Activation layers as modules (torch.nn's SiLU, ReLU, …), so that they appear in the module tree and in
// layer counts exactly where Ultralytics has them, and so that a model YAML's `activation:` can name one.

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';

const { F, nn } = torch;

/**
 * An element-wise activation. `inplace` (set by Ultralytics' initialize_weights) overwrites the input
 * instead of allocating: only safe on a tensor nothing else reads, which is how Conv uses it.
 */
abstract class Activation extends nn.Module {
  inplace: boolean;

  constructor(inplace = false) {
    super();
    this.inplace = inplace;
  }
}

/** x·sigmoid(x): Ultralytics' default activation of every Conv. */
export class SiLU extends Activation {
  forward(x: Tensor): Tensor {
    return this.inplace ? F.silu_(x) : F.silu(x);
  }
}

export class ReLU extends Activation {
  forward(x: Tensor): Tensor {
    return this.inplace ? torch.callOp('relu_', [x]) : F.relu(x);
  }
}

export class ReLU6 extends Activation {
  forward(x: Tensor): Tensor {
    return this.inplace ? torch.callOp('hardtanh_', [x, 0, 6]) : torch.callOp('hardtanh', [x, 0, 6]);
  }
}

export class LeakyReLU extends Activation {
  constructor(
    readonly negativeSlope = 0.01,
    inplace = false,
  ) {
    super(inplace);
  }

  forward(x: Tensor): Tensor {
    return this.inplace ? torch.callOp('leaky_relu_', [x, this.negativeSlope]) : F.leakyRelu(x, this.negativeSlope);
  }
}

export class Hardswish extends Activation {
  forward(x: Tensor): Tensor {
    return this.inplace ? torch.callOp('hardswish_', [x]) : F.hardswish(x);
  }
}

export class GELU extends nn.Module {
  forward(x: Tensor): Tensor {
    return F.gelu(x);
  }
}

export class Sigmoid extends nn.Module {
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}

export class Tanh extends nn.Module {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

/** The activations initialize_weights switches to in-place (Ultralytics' list). */
export function isInplaceActivation(m: unknown): m is Activation {
  return m instanceof SiLU || m instanceof ReLU || m instanceof ReLU6 || m instanceof LeakyReLU || m instanceof Hardswish;
}

const ACTIVATIONS: Record<string, (args: number[], inplace: boolean) => torch.nn.Module> = {
  SiLU: (_, inplace) => new SiLU(inplace),
  ReLU: (_, inplace) => new ReLU(inplace),
  ReLU6: (_, inplace) => new ReLU6(inplace),
  LeakyReLU: (args, inplace) => new LeakyReLU(args[0] ?? 0.01, inplace),
  Hardswish: (_, inplace) => new Hardswish(inplace),
  GELU: () => new GELU(),
  Sigmoid: () => new Sigmoid(),
  Tanh: () => new Tanh(),
  Identity: () => new nn.Identity(),
};

/**
 * Builds the module a model YAML's `activation:` names, written as Python: `nn.ReLU()`, `nn.LeakyReLU(0.1)`,
 * `torch.nn.SiLU(inplace=True)`.
 *
 * @example
 * parseActivation('nn.LeakyReLU(0.1)'); // LeakyReLU with negativeSlope 0.1
 */
export function parseActivation(expression: string): torch.nn.Module {
  const match = /^\s*(?:torch\.)?nn\.(\w+)\s*\((.*)\)\s*$/.exec(expression);
  const build = match ? ACTIVATIONS[match[1]!] : undefined;
  if (!match || !build) {
    throw new Error(
      `model YAML 'activation: ${expression}' is not supported: write one of ${Object.keys(ACTIVATIONS)
        .map((name) => `nn.${name}()`)
        .join(', ')}`,
    );
  }
  const positional: number[] = [];
  let inplace = false;
  for (const part of match[2]!
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [key, value] = part.includes('=') ? part.split('=').map((s) => s.trim()) : [undefined, part];
    if (key === 'inplace') inplace = value === 'True';
    else if (key === 'negative_slope' || key === undefined) positional.push(Number(value));
    if (positional.some(Number.isNaN)) throw new Error(`model YAML 'activation: ${expression}': '${part}' is not a number`);
  }
  return build(positional, inplace);
}
