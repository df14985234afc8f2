import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import sharp from 'sharp';
import type { Config, TopLevelSpec } from 'vega-lite';
import { FONT_FAMILY } from './font.js';
import { saveAs } from './image.js';

/** One view inside a concatenated chart (a subplot). */
export type SubChartSpec = Extract<TopLevelSpec, { concat: unknown[] }>['concat'][number];

/** A figure's size like matplotlib's `figsize` (inches) and `dpi`: the output is `in × dpi` pixels. */
export interface FigureSize {
  widthIn: number;
  heightIn: number;
  dpi: number;
}

/** Points per inch: charts are laid out in points so font sizes read like matplotlib's. */
export const POINTS_PER_INCH = 72;

/** matplotlib blue and orange (`C0`, `C1`), the first two colours of its default cycle. */
export const MPL_BLUE = '#1f77b4';
export const MPL_ORANGE = '#ff7f0e';

/** matplotlib's default colour cycle (tab10), which per-class curves follow. */
export const TAB10 = [MPL_BLUE, MPL_ORANGE, '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** A matplotlib-like look with Ultralytics' `plt_settings` (font size 11): framed axes, no grid, plain titles. */
export const MATPLOTLIB_LOOK: Config = {
  font: FONT_FAMILY,
  background: 'white',
  view: { stroke: 'black', strokeWidth: 0.8 },
  axis: {
    grid: false,
    domain: false,
    labelFontSize: 11,
    titleFontSize: 11,
    titleFontWeight: 'normal',
    labelColor: 'black',
    titleColor: 'black',
    tickColor: 'black',
    labelFlush: false,
  },
  title: { fontSize: 13, fontWeight: 'normal', color: 'black' },
  legend: { labelFontSize: 11, titleFontSize: 11, labelLimit: 400, symbolStrokeWidth: 2 },
};

/** Renders a Vega-Lite spec to SVG (headless, no canvas) at 1 SVG unit per point. */
export async function chartSvg(spec: TopLevelSpec): Promise<string> {
  // Loaded on first use: vega's canvas module has a top-level await, which would stop `require('yolots')` from
  // CommonJS (require() refuses an ES module graph with top-level await) and slow every import of the library.
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const { spec: vegaSpec } = compile(spec, { config: MATPLOTLIB_LOOK });
  const view = new vega.View(vega.parse(vegaSpec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Renders a Vega-Lite spec and writes it to `file` (.png or .jpg) at exactly `widthIn·dpi × heightIn·dpi` pixels:
 * the chart is rasterised by librsvg at the figure's dpi and centred on white where its laid-out size falls short.
 *
 * @example
 * await renderChart(spec, { widthIn: 9, heightIn: 6, dpi: 250 }, 'runs/detect/train/PR_curve.png'); // 2250×1500
 */
export async function renderChart(spec: TopLevelSpec, figure: FigureSize, file: string): Promise<void> {
  const svg = await chartSvg(spec);
  const width = Math.round(figure.widthIn * figure.dpi);
  const height = Math.round(figure.heightIn * figure.dpi);
  const { svgWidth, svgHeight } = svgSize(svg);
  // Charts are laid out in points; shrink the density if the laid-out chart came out larger than the figure.
  const fit = Math.min(1, (figure.widthIn * POINTS_PER_INCH) / svgWidth, (figure.heightIn * POINTS_PER_INCH) / svgHeight);
  const rasterised = await sharp(Buffer.from(svg), { density: figure.dpi * fit })
    .flatten({ background: '#ffffff' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  let raster = sharp(rasterised.data, { raw: rasterised.info });
  let { width: rasterWidth, height: rasterHeight } = rasterised.info;
  if (rasterWidth > width || rasterHeight > height) {
    const fitted = await raster.resize(width, height, { fit: 'inside' }).raw().toBuffer({ resolveWithObject: true });
    raster = sharp(fitted.data, { raw: fitted.info });
    ({ width: rasterWidth, height: rasterHeight } = fitted.info);
  }
  const padX = width - rasterWidth;
  const padY = height - rasterHeight;
  raster = raster.extend({
    left: Math.floor(padX / 2),
    right: Math.ceil(padX / 2),
    top: Math.floor(padY / 2),
    bottom: Math.ceil(padY / 2),
    background: '#ffffff',
  });
  await mkdir(dirname(file), { recursive: true });
  await saveAs(raster, file);
}

function svgSize(svg: string): { svgWidth: number; svgHeight: number } {
  const root = /<svg[^>]*>/.exec(svg)?.[0] ?? '';
  const svgWidth = Number(/\swidth="([\d.]+)"/.exec(root)?.[1]);
  const svgHeight = Number(/\sheight="([\d.]+)"/.exec(root)?.[1]);
  if (!(svgWidth > 0 && svgHeight > 0)) throw new Error('renderChart: Vega produced an SVG without a size');
  return { svgWidth, svgHeight };
}
