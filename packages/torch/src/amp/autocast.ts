// torch.autocast: libtorch's automatic mixed precision (the dispatcher's AutocastCPU / AutocastCUDA keys) over a
// callback. Inside, the ops autocast lists run in the lower precision (convolutions, matmuls, linear: bfloat16 on
// CPU, float16 on CUDA by default) and the precision-sensitive ones in float32, exactly as PyTorch 1.13 decides.
import { type DType, dtypeCode, dtypeFromCode } from '../dtype.js';
import { native } from '../native.js';

export type AutocastDevice = 'cpu' | 'cuda';

export interface AutocastOptions {
  /** Default true; false runs `fn` with autocast off for this device type (a float32 island in an autocast region). */
  enabled?: boolean;
  /** Default bfloat16 on CPU (the only one libtorch 1.13's CPU autocast supports), float16 on CUDA. */
  dtype?: DType;
  /** Cache the low-precision copies of leaf weights for the region (default true, as PyTorch). */
  cacheEnabled?: boolean;
}

function checkDtype(device: AutocastDevice, dtype: DType): void {
  const allowed: DType[] = device === 'cpu' ? ['bfloat16'] : ['float16', 'bfloat16'];
  if (!allowed.includes(dtype)) {
    throw new TypeError(`autocast('${device}'): dtype must be ${allowed.join(' or ')}, got '${dtype}'`);
  }
}

/**
 * Runs `fn` (synchronous) with autocast set as given for `device`, restoring the previous state afterwards, as
 * PyTorch's `with torch.autocast(device_type, dtype=...)`. The state belongs to the thread, so an async callback
 * would leak it into whatever runs while it awaits: a Promise result is refused (after `fn` ran, state restored).
 * Call `backward()` outside the region, as PyTorch recommends.
 * @example const y = torch.autocast('cpu', () => conv.call(x)); // y.dtype === 'bfloat16'
 */
export function autocast<T>(device: AutocastDevice, fn: () => T, options: AutocastOptions = {}): T {
  const enabled = options.enabled ?? true;
  const dtype = options.dtype ?? (device === 'cpu' ? 'bfloat16' : 'float16');
  if (enabled) checkDtype(device, dtype);
  const [wasEnabled, previousCode] = native.autocastState(device);
  const previousCache = native.setAutocastCacheEnabled(options.cacheEnabled ?? true);
  native.setAutocast(device, enabled, dtypeCode(dtype));
  native.autocastEnterNesting();
  let result: T;
  try {
    result = fn();
  } finally {
    native.autocastExitNesting();
    native.setAutocast(device, wasEnabled, previousCode);
    native.setAutocastCacheEnabled(previousCache);
  }
  if (result instanceof Promise) {
    throw new TypeError('autocast: the callback returned a Promise; autocast covers synchronous code only (await outside it)');
  }
  return result;
}

/** Whether autocast is on for `device` on this thread now, and its dtype (`torch.is_autocast_enabled`). */
export function autocastState(device: AutocastDevice): { enabled: boolean; dtype: DType } {
  const [enabled, code] = native.autocastState(device);
  return { enabled, dtype: dtypeFromCode(code) };
}
