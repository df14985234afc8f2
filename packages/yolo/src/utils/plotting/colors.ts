/** An RGB colour, each channel 0–255. */
export type Rgb = readonly [number, number, number];

/** Ultralytics' default 20-colour palette (`ultralytics.utils.plotting.Colors`), in class-index order. */
export const PALETTE_HEX: readonly string[] = [
  'FF3838',
  'FF9D97',
  'FF701F',
  'FFB21D',
  'CFD231',
  '48F90A',
  '92CC17',
  '3DDB86',
  '1A9334',
  '00D4BB',
  '2C99A8',
  '00C2FF',
  '344593',
  '6473FF',
  '0018EC',
  '8438FF',
  '520085',
  'CB38FF',
  'FF95C8',
  'FF37C7',
];

const PALETTE: readonly Rgb[] = PALETTE_HEX.map(hexToRgb);

/** Parses `'#RRGGBB'` or `'RRGGBB'` into an RGB triple. */
export function hexToRgb(hex: string): Rgb {
  const digits = hex.startsWith('#') ? hex.slice(1) : hex;
  if (!/^[0-9a-fA-F]{6}$/.test(digits)) throw new Error(`hexToRgb: '${hex}' is not a #RRGGBB colour`);
  return [0, 2, 4].map((i) => Number.parseInt(digits.slice(i, i + 2), 16)) as unknown as Rgb;
}

/** Formats an RGB triple as `'#rrggbb'` for SVG / Vega. */
export function rgbToHex(color: Rgb): string {
  return `#${color.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;
}

/**
 * The palette colour of a class index, cycling every 20 classes like Ultralytics' `colors(i)`.
 *
 * @example
 * classColor(0); // [255, 56, 56]
 */
export function classColor(index: number): Rgb {
  const n = PALETTE.length;
  return PALETTE[((Math.trunc(index) % n) + n) % n]!;
}
