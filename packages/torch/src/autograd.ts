// Grad mode: PyTorch's `torch.no_grad()` / `torch.enable_grad()` as functions around a callback.
import { native } from './native.js';

function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const previous = native.isGradEnabled();
  native.setGradEnabled(enabled);
  try {
    const result = fn();
    if (result instanceof Promise) {
      return result.finally(() => native.setGradEnabled(previous)) as T;
    }
    native.setGradEnabled(previous);
    return result;
  } catch (error) {
    native.setGradEnabled(previous);
    throw error;
  }
}

/**
 * Runs `fn` with gradient tracking off (inference, optimizer updates, EMA).
 * @example const pred = noGrad(() => model.call(x));
 */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs `fn` with gradient tracking on, even inside `noGrad`. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}

export function setGradEnabled(enabled: boolean): void {
  native.setGradEnabled(enabled);
}
