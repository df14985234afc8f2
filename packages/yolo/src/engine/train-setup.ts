// Small rules of the trainer's setup and saving, each a function of its inputs: the training image size, which
// layers are frozen, whether weights are finite.
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
