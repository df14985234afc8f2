import type { DataArgs } from '../args.js';
import { CopyPaste } from './copy-paste.js';
import { RandomFlip } from './flip.js';
import { RandomHSV } from './hsv.js';
import { LetterBox } from './letterbox.js';
import { MixUp } from './mixup.js';
import { Mosaic } from './mosaic.js';
import { RandomPerspective } from './perspective.js';
import { Compose, type ImageSource } from './transform.js';

type AugmentArgs = Pick<
  DataArgs,
  | 'mosaic'
  | 'copy_paste'
  | 'mixup'
  | 'degrees'
  | 'translate'
  | 'scale'
  | 'shear'
  | 'perspective'
  | 'hsv_h'
  | 'hsv_s'
  | 'hsv_v'
  | 'flipud'
  | 'fliplr'
>;

/**
 * Ultralytics' training pipeline (v8_transforms): Mosaic → CopyPaste (polygon labels only) → RandomPerspective
 * (LetterBox first when no mosaic) →
 * MixUp (through the same pre-pipeline) → RandomHSV → vertical flip → horizontal flip.
 *
 * @example
 * const pipeline = v8Transforms(dataset, 640, { ...DATA_DEFAULTS });
 */
export function v8Transforms(dataset: ImageSource, imgsz: number, hyp: AugmentArgs, stretch = false): Compose {
  const pre = new Compose([
    new Mosaic(dataset, imgsz, hyp.mosaic),
    new CopyPaste(hyp.copy_paste),
    new RandomPerspective({
      degrees: hyp.degrees,
      translate: hyp.translate,
      scale: hyp.scale,
      shear: hyp.shear,
      perspective: hyp.perspective,
      preTransform: stretch ? null : new LetterBox([imgsz, imgsz]),
    }),
  ]);
  return new Compose([
    pre,
    new MixUp(dataset, pre, hyp.mixup),
    new RandomHSV(hyp.hsv_h, hyp.hsv_s, hyp.hsv_v),
    new RandomFlip('vertical', hyp.flipud),
    new RandomFlip('horizontal', hyp.fliplr),
  ]);
}
