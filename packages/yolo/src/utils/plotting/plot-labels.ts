import { join } from 'node:path';
import { classColor, rgbToHex } from './colors.js';
import { type ClassNames, nameList } from './names.js';
import { MPL_BLUE, renderChart, type SubChartSpec } from './render-chart.js';

/** Boxes beyond this many are not drawn in the outline panel (Ultralytics draws the first 500). */
const MAX_OUTLINES = 500;
const HIST_BINS = 50;
/** seaborn `histplot(..., pmax=0.9)`: the colour saturates at the count holding the densest 10 % of boxes. */
const HIST_PMAX = 0.9;
const PANEL = 236;

interface HistBin {
  x: number;
  x2: number;
  y: number;
  y2: number;
  count: number;
}

/** A 50×50 histogram of (a, b) over their data ranges, like numpy's `histogram2d` with `bins=50`. */
function histogram2d(a: Float64Array, b: Float64Array): HistBin[] {
  const range = (v: Float64Array): [number, number] => {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const x of v) {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    return lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi];
  };
  const [aLo, aHi] = range(a);
  const [bLo, bHi] = range(b);
  const counts = new Float64Array(HIST_BINS * HIST_BINS);
  const binOf = (v: number, lo: number, hi: number) => Math.min(HIST_BINS - 1, Math.floor(((v - lo) / (hi - lo)) * HIST_BINS));
  for (let i = 0; i < a.length; i++) {
    const k = binOf(a[i]!, aLo, aHi) * HIST_BINS + binOf(b[i]!, bLo, bHi);
    counts[k] = counts[k]! + 1;
  }
  const aStep = (aHi - aLo) / HIST_BINS;
  const bStep = (bHi - bLo) / HIST_BINS;
  const bins: HistBin[] = [];
  counts.forEach((count, k) => {
    if (count === 0) return; // seaborn leaves empty bins transparent
    const i = Math.floor(k / HIST_BINS);
    const j = k % HIST_BINS;
    bins.push({ x: aLo + i * aStep, x2: aLo + (i + 1) * aStep, y: bLo + j * bStep, y2: bLo + (j + 1) * bStep, count });
  });
  return bins;
}

/** seaborn's `_quantile_to_level`: the count above which the densest `1 - pmax` share of all boxes lies. */
function pmaxLevel(bins: HistBin[]): number {
  const sorted = bins.map((b) => b.count).sort((p, q) => q - p);
  const total = sorted.reduce((s, c) => s + c, 0);
  let cumulative = 0;
  for (const count of sorted) {
    cumulative += count;
    if (cumulative / total >= 1 - HIST_PMAX) return count;
  }
  return sorted[sorted.length - 1] ?? 1;
}

function histogramPanel(a: Float64Array, b: Float64Array, xTitle: string, yTitle: string): SubChartSpec {
  const bins = histogram2d(a, b);
  return {
    width: PANEL,
    height: PANEL,
    data: { values: bins },
    mark: { type: 'rect' },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: xTitle, scale: { zero: false, nice: false } },
      x2: { field: 'x2' },
      y: { field: 'y', type: 'quantitative', title: yTitle, scale: { zero: false, nice: false } },
      y2: { field: 'y2' },
      color: {
        field: 'count',
        type: 'quantitative',
        scale: { domain: [0, pmaxLevel(bins)], range: ['#e8f0f7', MPL_BLUE], clamp: true },
        legend: null,
      },
    },
  };
}

function classHistogramPanel(cls: ArrayLike<number>, nc: number, names: string[]): SubChartSpec {
  const showNames = names.length > 0 && names.length < 30;
  const bars = showNames ? Math.max(nc, names.length) : nc;
  const counts = new Array<number>(bars).fill(0);
  // Class ids were checked against nc when the labels were read.
  for (let i = 0; i < cls.length; i++) {
    const c = Math.trunc(cls[i]!);
    counts[c] = (counts[c] ?? 0) + 1;
  }
  const values = counts.map((count, c) => ({ c0: c - 0.4, c1: c + 0.4, count, color: rgbToHex(classColor(c)) }));
  return {
    width: PANEL,
    height: PANEL,
    data: { values },
    mark: { type: 'rect' },
    encoding: {
      x: {
        field: 'c0',
        type: 'quantitative',
        scale: { domain: [-0.6, bars - 0.4], nice: false, zero: false },
        title: showNames ? null : 'classes',
        axis: showNames
          ? {
              values: names.map((_, c) => c),
              labelExpr: `${JSON.stringify(names)}[datum.value]`,
              labelAngle: -90,
              labelFontSize: 10,
              labelAlign: 'right',
              labelBaseline: 'middle',
            }
          : { tickMinStep: 1, format: 'd' },
      },
      x2: { field: 'c1' },
      y: { field: 'count', type: 'quantitative', title: 'instances' },
      color: { field: 'color', type: 'nominal', scale: null, legend: null },
    },
  };
}

function outlinePanel(cls: ArrayLike<number>, boxes: ArrayLike<number>, n: number): SubChartSpec {
  // Every box centred at (0.5, 0.5) on a 1000×1000 canvas shows the spread of box shapes and sizes.
  const values = Array.from({ length: Math.min(n, MAX_OUTLINES) }, (_, i) => {
    const w = boxes[4 * i + 2]!;
    const h = boxes[4 * i + 3]!;
    return { x: 500 - 500 * w, x2: 500 + 500 * w, y: 500 - 500 * h, y2: 500 + 500 * h, color: rgbToHex(classColor(cls[i]!)) };
  });
  const axisOff = { domain: [0, 1000], nice: false, zero: false };
  return {
    width: PANEL,
    height: PANEL,
    data: { values },
    mark: { type: 'rect', fill: null, strokeWidth: 0.4, clip: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', scale: axisOff, axis: null },
      x2: { field: 'x2' },
      y: { field: 'y', type: 'quantitative', scale: { ...axisOff, reverse: true }, axis: null },
      y2: { field: 'y2' },
      stroke: { field: 'color', type: 'nominal', scale: null, legend: null },
    },
  };
}

/**
 * Writes `labels.jpg` (1600×1600) like Ultralytics' `plot_labels`: instances per class (bars in the class colours,
 * class names on the axis when there are 1–29 names), the outlines of the first 500 boxes all centred, and 2-D
 * histograms of box centres (x, y) and sizes (width, height). Returns the path written.
 *
 * @param cls class index per box
 * @param boxes n×4 normalised `xywh`, row-major
 * @example
 * await plotLabels(Float32Array.of(0, 2), Float32Array.of(0.5, 0.5, 0.2, 0.3, 0.1, 0.8, 0.05, 0.1), ['a', 'b', 'c'], dir);
 */
export async function plotLabels(cls: ArrayLike<number>, boxes: ArrayLike<number>, names: ClassNames, dir: string): Promise<string> {
  const n = cls.length;
  if (n === 0) throw new Error('plotLabels: the dataset has no labels to plot');
  if (boxes.length !== 4 * n) throw new Error(`plotLabels: ${n} classes need ${4 * n} box values, got ${boxes.length}`);
  let nc = 0;
  for (let i = 0; i < n; i++) {
    const c = cls[i]!;
    if (!(Number.isInteger(c) && c >= 0)) throw new Error(`plotLabels: label ${i} has class ${c}, not a class index`);
    nc = Math.max(nc, c + 1);
  }
  const column = (k: number) => Float64Array.from({ length: n }, (_, i) => boxes[4 * i + k]!);
  const file = join(dir, 'labels.jpg');
  await renderChart(
    {
      columns: 2,
      concat: [
        classHistogramPanel(cls, nc, nameList(names)),
        outlinePanel(cls, boxes, n),
        histogramPanel(column(0), column(1), 'x', 'y'),
        histogramPanel(column(2), column(3), 'width', 'height'),
      ],
      spacing: 24,
      padding: 12,
      resolve: { scale: { x: 'independent', y: 'independent', color: 'independent' } },
      config: { view: { stroke: null } },
    },
    { widthIn: 8, heightIn: 8, dpi: 200 },
    file,
  );
  return file;
}
