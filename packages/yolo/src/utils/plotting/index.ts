/**
 * Plots a run directory gets when `plots=true` (results.png, PR/F1/P/R curves, confusion matrices, labels.jpg,
 * batch mosaics) and the {@link Annotator} that draws boxes on images for `Results.plot()`.
 * Charts are Vega-Lite specs rendered headless to SVG and rasterised by sharp (librsvg) in DejaVu Sans.
 */
export { Annotator, type AnnotatorOptions, type RectangleStyle, type TextStyle, type XyxyBox } from './annotator.js';
export { classColor, hexToRgb, PALETTE_HEX, type Rgb, rgbToHex } from './colors.js';
export type { RgbImage } from './image.js';
export type { ClassNames } from './names.js';
export { type ConfusionPlotOptions, plotConfusionMatrix } from './plot-confusion.js';
export { plotMcCurve, plotPrCurve } from './plot-curves.js';
export { type PlotImagesInput, plotImages } from './plot-images.js';
export { plotLabels } from './plot-labels.js';
export {
  CLASSIFY_RESULTS_PLOT_COLUMNS,
  parseResultsCsv,
  plotResults,
  RESULTS_PLOT_COLUMNS,
  type ResultsLayout,
  type ResultsTable,
  SEGMENT_RESULTS_PLOT_COLUMNS,
} from './plot-results.js';
export { boxSmooth, gaussianFilter1d } from './smoothing.js';
