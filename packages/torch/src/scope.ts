// Memory ownership. Native tensors are big and V8 cannot see them, so waiting for the GC is slow and
// bloated (measured: 3x slower, 9 GB peak for YOLOv8n training). Instead every tensor created inside a
// scope is freed when the scope ends, except what the scope returns (which moves to the enclosing scope)
// and what was explicitly kept. Module calls run in their own scope, so model and loss code never frees
// by hand. Tensors made outside any scope belong to the caller: dispose them, or the GC will, eventually.
// Only those (and kept ones) are reported to V8 as external memory: reporting scope-owned tensors too made
// V8 collect every few tens of ms during a training forward for nothing (see native/handle.h).

/** What a scope needs to know of a tensor. */
export interface Owned {
  dispose(): void;
  readonly isDisposed: boolean;
  /** True once `keep()` took it out of automatic disposal. */
  kept: boolean;
  /** No scope will free it any more: from now on its lifetime is the user's or the GC's. */
  handToGc(): void;
}

const scopes: Owned[][] = [];

/** Registers a new tensor with the innermost scope, if any. */
export function track<T extends Owned>(tensor: T): T {
  const scope = scopes[scopes.length - 1];
  if (scope !== undefined) scope.push(tensor);
  else tensor.handToGc();
  return tensor;
}

/** Takes tensors out of automatic disposal: they live until `dispose()` (or the GC). Returns its argument. */
export function keep<T>(value: T): T {
  forEachOwned(value, (t) => {
    t.kept = true;
    t.handToGc();
  });
  return value;
}

/** `T`, unless it is a Promise (or any thenable): then nothing is assignable, so `tidy(async () => …)` fails to compile. */
export type Synchronous<T> = T & (T extends PromiseLike<unknown> ? never : unknown);

/** Number of scopes currently open (0 at top level). */
export function scopeDepth(): number {
  return scopes.length;
}

/**
 * Runs `fn` in a new scope: tensors it creates are disposed when it returns, except those in its
 * result (a tensor, or arrays / plain objects / Maps of them), which move to the enclosing scope.
 * `fn` must be synchronous: a scope cannot span an `await`, where unrelated code would run inside it.
 *
 * An async `fn` does not compile (`Synchronous`), and a Promise returned anyway is a TypeError.
 *
 * @example
 * const loss = tidy(() => model.call(x).pow(2).mean()); // every intermediate is already freed
 */
export function tidy<T>(fn: () => Synchronous<T>): T {
  const scope: Owned[] = [];
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    scopes.pop();
    for (const t of scope) if (!t.kept) t.dispose();
    throw error;
  }
  scopes.pop();
  if (result instanceof Promise) {
    for (const t of scope) if (!t.kept) t.dispose();
    throw new TypeError('tidy(fn): fn returned a Promise; scopes must be synchronous (await outside, compute inside)');
  }
  const returned = new Set<Owned>();
  forEachOwned(result, (t) => returned.add(t));
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (returned.has(t)) {
      if (t.kept) continue;
      if (parent !== undefined) parent.push(t);
      else t.handToGc();
    } else if (!t.kept) {
      t.dispose();
    }
  }
  return result;
}

/** Disposes every tensor found in `value` (a tensor, or arrays / plain objects / Maps of them). */
export function dispose(value: unknown): void {
  forEachOwned(value, (t) => t.dispose());
}

function isOwned(value: unknown): value is Owned {
  return typeof value === 'object' && value !== null && typeof (value as Owned).dispose === 'function' && 'kept' in value;
}

function forEachOwned(value: unknown, fn: (t: Owned) => void, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 8) return;
  if (isOwned(value)) {
    fn(value);
  } else if (Array.isArray(value)) {
    for (const item of value) forEachOwned(item, fn, depth + 1);
  } else if (value instanceof Map) {
    for (const item of value.values()) forEachOwned(item, fn, depth + 1);
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      for (const item of Object.values(value)) forEachOwned(item, fn, depth + 1);
    }
  }
}
