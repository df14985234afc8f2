// Optimizer base: parameter groups with their own hyperparameters, per-parameter state, state dicts.
// Updates run without gradient tracking and inside a scope, so temporaries never outlive a step.
import { noGrad } from '../autograd.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';

/** A group of parameters sharing hyperparameters (`lr`, `momentum`, `weight_decay`, … as in PyTorch). */
export interface ParamGroup {
  params: Tensor[];
  lr: number;
  [hyperparameter: string]: unknown;
}

export type ParamGroupInput = { params: Tensor[] } & Record<string, unknown>;

/** Per-parameter optimizer state: tensors (momentum buffers, moments) and numbers (step counts). */
export type ParamState = Map<string, Tensor | number>;

/** Serialisable optimizer state, PyTorch-shaped: state keyed by parameter index across groups. */
export interface OptimizerStateDict {
  state: Map<number, ParamState>;
  paramGroups: Array<Record<string, unknown> & { params: number[] }>;
}

export abstract class Optimizer<Defaults extends { lr: number }> {
  readonly paramGroups: ParamGroup[] = [];
  readonly state = new Map<Tensor, ParamState>();

  constructor(
    params: Tensor[] | ParamGroupInput[],
    readonly defaults: Defaults,
  ) {
    const groups =
      params.length > 0 && !(params as ParamGroupInput[])[0]?.params ? [{ params: params as Tensor[] }] : (params as ParamGroupInput[]);
    for (const group of groups) this.addParamGroup(group);
  }

  /** Adds a group; hyperparameters it does not set come from the defaults. */
  addParamGroup(group: ParamGroupInput): void {
    const merged = { ...this.defaults, ...group } as unknown as ParamGroup;
    for (const key of Object.keys(merged)) {
      if (merged[key] === undefined) throw new TypeError(`parameter group is missing '${key}'`);
    }
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    for (const p of merged.params) {
      if (seen.has(p)) throw new Error('a parameter appears in more than one parameter group');
    }
    this.paramGroups.push(merged);
  }

  /** Applies one update to every parameter that has a gradient, a whole group at a time. */
  step(): void {
    noGrad(() =>
      tidy(() => {
        for (const group of this.paramGroups) {
          const params: Tensor[] = [];
          const grads: Tensor[] = [];
          const states: ParamState[] = [];
          for (const p of group.params) {
            const grad = p.grad;
            if (grad === null) continue;
            let state = this.state.get(p);
            if (state === undefined) {
              state = new Map();
              this.state.set(p, state);
            }
            params.push(p);
            grads.push(grad);
            states.push(state);
          }
          if (params.length > 0) this.updateGroup(params, grads, states, group);
        }
      }),
    );
  }

  /** Sets gradients to null (PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const group of this.paramGroups) for (const p of group.params) p.grad = null;
  }

  /** Frees the optimizer state (momentum buffers, moments); the optimizer starts from scratch afterwards. */
  dispose(): void {
    for (const s of this.state.values()) for (const v of s.values()) if (typeof v !== 'number') v.dispose();
    this.state.clear();
  }

  /**
   * Updates the parameters of one group that have gradients, in place; `states[i]` belongs to `params[i]`. One
   * `_foreach_*` call per formula step over the whole list (PyTorch's foreach implementations) rather than one op
   * per tensor. State tensors it creates must be `keep()`-ed; temporaries die with the step's scope.
   */
  protected abstract updateGroup(params: Tensor[], grads: Tensor[], states: ParamState[], group: ParamGroup): void;

  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((group) => {
      const { params, ...hyper } = group;
      const ids = params.map((p) => {
        if (!index.has(p)) index.set(p, index.size);
        return index.get(p) as number;
      });
      return { ...hyper, params: ids };
    });
    const state = new Map<number, ParamState>();
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i !== undefined) state.set(i, s);
    }
    return { state, paramGroups };
  }

  /** Restores hyperparameters and state (tensors are copied) from `stateDict()` output of a same-shaped optimizer. */
  loadStateDict(sd: OptimizerStateDict): void {
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new Error(`optimizer state has ${sd.paramGroups.length} parameter groups, this optimizer has ${this.paramGroups.length}`);
    }
    const params: Tensor[] = [];
    sd.paramGroups.forEach((saved, g) => {
      const group = this.paramGroups[g]!;
      if (saved.params.length !== group.params.length) {
        throw new Error(`optimizer group ${g}: state has ${saved.params.length} parameters, optimizer has ${group.params.length}`);
      }
      const { params: ids, ...hyper } = saved;
      Object.assign(group, hyper);
      ids.forEach((id, k) => {
        params[id] = group.params[k]!;
      });
    });
    this.dispose();
    for (const [id, saved] of sd.state) {
      const p = params[id];
      if (p === undefined) throw new Error(`optimizer state refers to parameter ${id}, which no group holds`);
      const copy: ParamState = new Map();
      // State lives with its parameter, as PyTorch's load_state_dict casts it: a CPU checkpoint resumes on a GPU.
      for (const [k, v] of saved)
        copy.set(k, typeof v === 'number' ? v : noGrad(() => (v.device === p.device ? v.clone() : v.to(p.device)).keep()));
      this.state.set(p, copy);
    }
  }
}

/** The state tensor under `key`, created by `init()` (and kept) on first use. */
export function stateTensor(state: ParamState, key: string, init: () => Tensor): Tensor {
  let t = state.get(key);
  if (t === undefined) {
    t = init().keep();
    state.set(key, t);
  }
  return t as Tensor;
}
