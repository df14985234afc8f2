import { pyRound } from '../random.js';
import { resizeLinear } from '../resize.js';
import { padImage } from './pixels.js';
import type { Sample, Transform } from './transform.js';

export interface LetterBoxOptions {
  /** Pad only up to a multiple of `stride` (false). */
  auto?: boolean;
  /** Stretch to the target without padding (false). */
  scaleFill?: boolean;
  /** Allow enlarging (true; validation uses false). */
  scaleup?: boolean;
  /** Split the padding on both sides (true). */
  center?: boolean;
  stride?: number;
}

/**
 * Resizes keeping the aspect ratio (cv2.INTER_LINEAR, bit-exact) and pads with grey 114 to `newShape` [h, w] (or to
 * the sample's `rectShape`), moving the boxes alike: Ultralytics' LetterBox, Python rounding included.
 *
 * @example
 * const out = new LetterBox([640, 640], { scaleup: false }).apply(sample);
 */
export class LetterBox implements Transform {
  private readonly auto: boolean;
  private readonly scaleFill: boolean;
  private readonly scaleup: boolean;
  private readonly center: boolean;
  private readonly stride: number;

  constructor(
    private readonly newShape: [number, number] = [640, 640],
    options: LetterBoxOptions = {},
  ) {
    this.auto = options.auto ?? false;
    this.scaleFill = options.scaleFill ?? false;
    this.scaleup = options.scaleup ?? true;
    this.center = options.center ?? true;
    this.stride = options.stride ?? 32;
  }

  apply(sample: Sample): Sample {
    const { img } = sample;
    const [th, tw] = sample.rectShape ?? this.newShape;
    sample.rectShape = undefined;
    let r = Math.min(th / img.height, tw / img.width);
    if (!this.scaleup) r = Math.min(r, 1);
    let ratio: [number, number] = [r, r];
    let unpadW = pyRound(img.width * r);
    let unpadH = pyRound(img.height * r);
    let dw = tw - unpadW;
    let dh = th - unpadH;
    if (this.auto) {
      dw %= this.stride;
      dh %= this.stride;
    } else if (this.scaleFill) {
      dw = 0;
      dh = 0;
      unpadW = tw;
      unpadH = th;
      ratio = [tw / img.width, th / img.height];
    }
    if (this.center) {
      dw /= 2;
      dh /= 2;
    }
    const resized = unpadW === img.width && unpadH === img.height ? img : resizeLinear(img, unpadH, unpadW);
    const top = this.center ? pyRound(dh - 0.1) : 0;
    const bottom = pyRound(dh + 0.1);
    const left = this.center ? pyRound(dw - 0.1) : 0;
    const right = pyRound(dw + 0.1);
    const inst = sample.instances;
    inst.convertBbox('xyxy');
    inst.denormalize(img.width, img.height);
    inst.scale(ratio[0], ratio[1]);
    inst.addPadding(dw, dh);
    sample.img = top || bottom || left || right ? padImage(resized, top, bottom, left, right) : resized;
    if (sample.ratio) sample.pad = [left, top];
    sample.resizedShape = [th, tw];
    return sample;
  }
}
