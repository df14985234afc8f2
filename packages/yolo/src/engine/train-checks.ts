// Checks the training loop makes on its inputs and state, each a small pure function.
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';

/** Training needs one square size, a multiple of the max stride (rounded up), as Ultralytics' check_imgsz. */
export function checkTrainImgsz(imgsz: number | number[], stride: number): number {
  const size = Array.isArray(imgsz) ? Math.max(...imgsz) : imgsz;
  const fixed = Math.max(Math.ceil(size / stride) * stride, stride);
  if (fixed !== size) console.warn(`WARNING ⚠️ imgsz=${size} must be multiple of max stride ${stride}, updating to ${fixed}`);
  return fixed;
}

/** Whether every floating-point tensor holds only finite values (a checkpoint is not overwritten with NaN weights). */
export function allFinite(tensors: Iterable<Tensor>): boolean {
  return torch.tidy(() => {
    for (const t of tensors) if (t.isFloatingPoint() && !t.isfinite().all().item()) return false;
    return true;
  });
}
