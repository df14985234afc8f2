import { type Rgb, rgbToHex } from './colors.js';
import { FONT_ASCENT_EM, FONT_FAMILY, lineHeight, measureTextWidth } from './font.js';
import { checkRgbImage, type RgbImage, saveAs, sharpFromRgb } from './image.js';
import { escapeXml } from './svg.js';

/** A box as pixel corners `[x1, y1, x2, y2]`, both ends inclusive like PIL's `rectangle`. */
export type XyxyBox = readonly [number, number, number, number];

/** Line width and font size; both default to Ultralytics' choices for the image size. */
export interface AnnotatorOptions {
  /** Box outline width in px; default `max(round((h + w + 3) / 2 * 0.003), 2)`. */
  lineWidth?: number;
  /** Label font size in px; default `max(round((w + h) / 2 * 0.035), 12)`. */
  fontSize?: number;
}

/** Options of {@link Annotator.rectangle}. */
export interface RectangleStyle {
  outline?: Rgb;
  fill?: Rgb;
  /** Outline width in px, drawn inside the box; default 1. */
  width?: number;
}

/** Options of {@link Annotator.text}. */
export interface TextStyle {
  /** Text colour, or the label background colour when `boxStyle` is set; default white. */
  color?: Rgb;
  /** Draw the text in white on a filled box of `color`, like a box label. */
  boxStyle?: boolean;
}

type DrawOp =
  | { kind: 'rect'; box: XyxyBox; outline?: Rgb; fill?: Rgb; width: number }
  | { kind: 'text'; x: number; y: number; text: string; color: Rgb; background?: Rgb; below: boolean };

const WHITE: Rgb = [255, 255, 255];
const GREY: Rgb = [128, 128, 128];

/**
 * Draws boxes and labels on an RGB image, like Ultralytics' `Annotator` (PIL mode): label boxes sit on top of the box
 * when they fit, inside it otherwise. Drawing calls are recorded; {@link result} renders them all at once as an SVG
 * overlay composited by sharp.
 *
 * @example
 * const annotated = await new Annotator(rgb, 640, 480)
 *   .boxLabel([10, 20, 200, 300], 'person 0.87', classColor(0))
 *   .result(); // { data, width: 640, height: 480 }
 */
export class Annotator {
  readonly lineWidth: number;
  readonly fontSize: number;
  private readonly image: RgbImage;
  private readonly ops: DrawOp[] = [];

  constructor(data: Uint8Array, width: number, height: number, options: AnnotatorOptions = {}) {
    this.image = { data, width, height };
    checkRgbImage(this.image, 'Annotator');
    this.lineWidth = options.lineWidth ?? Math.max(Math.round(((height + width + 3) / 2) * 0.003), 2);
    this.fontSize = options.fontSize ?? Math.max(Math.round(((width + height) / 2) * 0.035), 12);
    if (!(this.lineWidth >= 1) || !(this.fontSize >= 1)) {
      throw new Error(`Annotator: lineWidth ${this.lineWidth} and fontSize ${this.fontSize} must be ≥ 1`);
    }
  }

  /** Outlines `box` in `color` and, if `label` is not empty, writes it in `txtColor` on a `color` background. */
  boxLabel(box: XyxyBox, label = '', color: Rgb = GREY, txtColor: Rgb = WHITE): this {
    const [x1, y1] = [Math.trunc(box[0]), Math.trunc(box[1])];
    this.ops.push({ kind: 'rect', box: truncBox(box), outline: color, width: this.lineWidth });
    if (label) {
      const outside = y1 - lineHeight(this.fontSize) >= 0;
      this.ops.push({ kind: 'text', x: x1, y: y1, text: label, color: txtColor, background: color, below: !outside });
    }
    return this;
  }

  /** Draws a rectangle outline and/or fill. */
  rectangle(box: XyxyBox, style: RectangleStyle = {}): this {
    this.ops.push({ kind: 'rect', box: truncBox(box), outline: style.outline, fill: style.fill, width: style.width ?? 1 });
    return this;
  }

  /** Writes `text` with its top-left corner at `xy`. */
  text(xy: readonly [number, number], text: string, style: TextStyle = {}): this {
    const color = style.color ?? WHITE;
    const [x, y] = [Math.trunc(xy[0]), Math.trunc(xy[1])];
    this.ops.push(
      style.boxStyle
        ? { kind: 'text', x, y, text, color: WHITE, background: color, below: true }
        : { kind: 'text', x, y, text, color, below: true },
    );
    return this;
  }

  /** Renders everything drawn so far onto a copy of the image. */
  async result(): Promise<RgbImage> {
    const { width, height } = this.image;
    if (this.ops.length === 0) return { data: Uint8Array.from(this.image.data), width, height };
    const svg = await this.overlaySvg();
    const { data, info } = await sharpFromRgb(this.image)
      .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`Annotator: expected 3 channels after compositing, got ${info.channels}`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height };
  }

  /** Renders and encodes the annotated image as PNG or JPEG. */
  async toBuffer(format: 'png' | 'jpeg' = 'png'): Promise<Buffer> {
    const pipeline = sharpFromRgb(await this.result());
    return format === 'png' ? pipeline.png().toBuffer() : pipeline.jpeg({ quality: 90 }).toBuffer();
  }

  /** Renders and writes the annotated image; the format follows the extension (.png, .jpg, .jpeg). */
  async save(file: string): Promise<void> {
    await saveAs(sharpFromRgb(await this.result()), file);
  }

  private async overlaySvg(): Promise<string> {
    const { width, height } = this.image;
    const parts = await Promise.all(this.ops.map((op) => (op.kind === 'rect' ? rectSvg(op) : this.textSvg(op))));
    return [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">`, ...parts, '</svg>'].join('');
  }

  private async textSvg(op: Extract<DrawOp, { kind: 'text' }>): Promise<string> {
    const h = lineHeight(this.fontSize);
    const top = op.below ? op.y : op.y - h;
    let svg = '';
    if (op.background) {
      const w = await measureTextWidth(op.text, this.fontSize);
      // PIL's label box spans (x1, top) to (x1 + w + 1, top + h + 1), ends inclusive.
      svg += rectSvg({ kind: 'rect', box: [op.x, top, op.x + w + 1, top + h + 1], fill: op.background, width: 0 });
    }
    const baseline = top + Math.round(this.fontSize * FONT_ASCENT_EM);
    svg +=
      `<text x="${op.x}" y="${baseline}" font-family="${FONT_FAMILY}" font-size="${this.fontSize}" ` +
      `fill="${rgbToHex(op.color)}" xml:space="preserve">${escapeXml(op.text)}</text>`;
    return svg;
  }
}

function truncBox(box: XyxyBox): XyxyBox {
  return [Math.trunc(box[0]), Math.trunc(box[1]), Math.trunc(box[2]), Math.trunc(box[3])];
}

/** SVG for a PIL-style rectangle: corners inclusive, the outline drawn inside the box, pixel-aligned (no blur). */
function rectSvg(op: Extract<DrawOp, { kind: 'rect' }>): string {
  const [x1, y1, x2, y2] = op.box;
  const w = x2 - x1 + 1;
  const h = y2 - y1 + 1;
  if (w <= 0 || h <= 0) return '';
  const crisp = 'shape-rendering="crispEdges"';
  let svg = '';
  if (op.fill) svg += `<rect x="${x1}" y="${y1}" width="${w}" height="${h}" fill="${rgbToHex(op.fill)}" ${crisp}/>`;
  if (op.outline && op.width > 0) {
    const lw = op.width;
    if (2 * lw >= w || 2 * lw >= h) {
      svg += `<rect x="${x1}" y="${y1}" width="${w}" height="${h}" fill="${rgbToHex(op.outline)}" ${crisp}/>`;
    } else {
      svg +=
        `<rect x="${x1 + lw / 2}" y="${y1 + lw / 2}" width="${w - lw}" height="${h - lw}" fill="none" ` +
        `stroke="${rgbToHex(op.outline)}" stroke-width="${lw}" ${crisp}/>`;
    }
  }
  return svg;
}
