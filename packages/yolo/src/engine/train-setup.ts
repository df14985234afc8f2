// Small rules of the trainer's setup and saving, each a function of its inputs: the training image size, which
// layers are frozen, whether weights are finite, whether the training loader has its epoch hooks.
import type { nn, Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { checkImgsz } from '../utils/imgsz.js';

/** Training needs one square size, a multiple of the max stride (rounded up), as Ultralytics' trainer checks it. */
export function checkTrainImgsz(imgsz: number | number[], stride: number): number {
  return checkImgsz(imgsz, stride, { maxDim: 1, floor: stride })[0];
}

/** Whether every floating-point tensor holds only finite values (a checkpoint is not overwritten with NaN weights). */
export function allFinite(tensors: Iterable<Tensor>): boolean {
  return torch.tidy(() => {
    for (const t of tensors) if (t.isFloatingPoint() && !t.isfinite().all().item()) return false;
    return true;
  });
}

/**
 * Freezes the parameters of layers `freeze` (a count of first layers, or indices) and always the DFL's fixed
 * weights; unfreezes, with Ultralytics' warning, any other floating-point parameter found frozen.
 */
export function freezeLayers(model: nn.Module<any, any>, freeze: number | number[] | null): void {
  const indices = freeze === null ? [] : typeof freeze === 'number' ? Array.from({ length: freeze }, (_, i) => i) : freeze;
  const frozen = [...indices.map((x) => `model.${x}.`), '.dfl'];
  for (const [name, p] of model.namedParameters()) {
    if (frozen.some((f) => name.includes(f))) {
      if (!name.includes('.dfl')) console.log(`Freezing layer '${name}'`);
      p.requiresGrad = false;
    } else if (!p.requiresGrad && p.isFloatingPoint()) {
      console.warn(
        `WARNING ⚠️ setting 'requires_grad=True' for frozen layer '${name}'. See ultralytics.engine.trainer for customization of frozen layers.`,
      );
      p.requiresGrad = true;
    }
  }
}

/** The methods the training loop calls on its loader besides iterating it (TrainLoader), and when. */
const TRAIN_LOADER_HOOKS = {
  setEpoch: 'before each epoch (its shuffle and augmentation seed)',
  closeMosaic: 'at the close_mosaic epoch (the no-mosaic pipeline)',
  close: 'when training ends (its worker threads)',
} as const;

/**
 * Refuses a training loader without `length` or one of TrainLoader's hooks, naming what is missing and what it is for:
 * TypeScript refuses such a loader at compile time, and this says it to JavaScript callers (and casts) at setup,
 * where a dropped `setEpoch` would otherwise give every epoch the same order, silently.
 *
 * @example checkTrainLoader({ length: 4, [Symbol.asyncIterator]: gen }, 'MyTrainer.getDataloader') // Error: … setEpoch(), closeMosaic(), close()
 */
export function checkTrainLoader(loader: unknown, where: string): void {
  const value = loader as Record<string | symbol, unknown> | null;
  if (value === null || typeof value !== 'object' || typeof value[Symbol.asyncIterator] !== 'function')
    throw new TypeError(`${where} returned ${value === null ? 'null' : typeof value}, not an async-iterable loader`);
  if (typeof value.length !== 'number' || !Number.isInteger(value.length) || value.length < 0)
    throw new TypeError(`${where} returned a loader whose length is ${String(value.length)}, not its number of batches per epoch`);
  const missing = Object.keys(TRAIN_LOADER_HOOKS).filter(
    (name) => typeof value[name] !== 'function',
  ) as (keyof typeof TRAIN_LOADER_HOOKS)[];
  if (missing.length === 0) return;
  throw new TypeError(
    `${where} returned a training loader without ${missing.map((m) => `${m}()`).join(', ')}. The trainer calls ` +
      `${missing.map((m) => `${m}() ${TRAIN_LOADER_HOOKS[m]}`).join('; ')}. A loader that wraps another must forward ` +
      'them; one with nothing to do there says so with an empty method (TrainLoader, docs/customizing-trainer.md).',
  );
}
