import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { MPL_BLUE, MPL_ORANGE, renderChart, type SubChartSpec } from './render-chart.js';
import { gaussianFilter1d } from './smoothing.js';

/** The detection columns of results.csv in Ultralytics' subplot order (two rows of five). */
export const RESULTS_PLOT_COLUMNS = [
  'train/box_loss',
  'train/cls_loss',
  'train/dfl_loss',
  'metrics/precision(B)',
  'metrics/recall(B)',
  'val/box_loss',
  'val/cls_loss',
  'val/dfl_loss',
  'metrics/mAP50(B)',
  'metrics/mAP50-95(B)',
] as const;

/**
 * The segmentation columns in Ultralytics' subplot order (two rows of eight, `plot_results(segment=True)`): four
 * train losses, box P/R, mask P/R; four val losses, box mAPs, mask mAPs.
 */
export const SEGMENT_RESULTS_PLOT_COLUMNS = [
  'train/box_loss',
  'train/seg_loss',
  'train/cls_loss',
  'train/dfl_loss',
  'metrics/precision(B)',
  'metrics/recall(B)',
  'metrics/precision(M)',
  'metrics/recall(M)',
  'val/box_loss',
  'val/seg_loss',
  'val/cls_loss',
  'val/dfl_loss',
  'metrics/mAP50(B)',
  'metrics/mAP50-95(B)',
  'metrics/mAP50(M)',
  'metrics/mAP50-95(M)',
] as const;

/** The classification columns in Ultralytics' order (`plot_results(classify=True)`: 2×2, columns [1, 4, 2, 3]). */
export const CLASSIFY_RESULTS_PLOT_COLUMNS = ['train/loss', 'val/loss', 'metrics/accuracy_top1', 'metrics/accuracy_top5'] as const;

/** Which results.csv columns results.png shows, in two rows, and the figure width (Ultralytics' figsize). */
export interface ResultsLayout {
  columns: readonly string[];
  /** Figure width in inches (height 6): 12 for detection's 2×5, 18 for segmentation's 2×8. */
  widthIn: number;
}

/** A parsed results.csv: trimmed header names and one numeric row per line. */
export interface ResultsTable {
  columns: string[];
  rows: number[][];
}

/** Parses results.csv (fields padded with spaces, `%.5g` numbers, 'nan'/'inf' allowed), naming file:line on error. */
export function parseResultsCsv(text: string, file = 'results.csv'): ResultsTable {
  const lines = text.split(/\r?\n/);
  const columns = (lines[0] ?? '').split(',').map((c) => c.trim());
  if (columns.length < 2 || columns.some((c) => c === '')) throw new Error(`${file}:1: not a results.csv header`);
  const rows: number[][] = [];
  lines.slice(1).forEach((line, i) => {
    if (line.trim() === '') return;
    const fields = line.split(',');
    if (fields.length !== columns.length) {
      throw new Error(`${file}:${i + 2}: expected ${columns.length} fields, got ${fields.length}`);
    }
    rows.push(
      fields.map((field, j) => {
        const value = parseCsvNumber(field.trim());
        if (value === undefined) throw new Error(`${file}:${i + 2}: '${field.trim()}' in ${columns[j]} is not a number`);
        return value;
      }),
    );
  });
  return { columns, rows };
}

function parseCsvNumber(field: string): number | undefined {
  const lower = field.toLowerCase();
  if (lower === 'nan') return Number.NaN;
  if (lower === 'inf' || lower === '+inf') return Number.POSITIVE_INFINITY;
  if (lower === '-inf') return Number.NEGATIVE_INFINITY;
  const value = Number(field);
  return field === '' || Number.isNaN(value) ? undefined : value;
}

/**
 * Plots results.csv as `results.png` (2400×1200): the ten loss/metric columns against epoch in a 2×5 grid, each with
 * the data (line and dots, labelled with the CSV's stem) and a dotted Gaussian-smoothed (σ = 3) line, like
 * Ultralytics' `plot_results`. Returns the path written.
 *
 * @example
 * await plotResults('runs/detect/train/results.csv'); // → 'runs/detect/train/results.png'
 */
export async function plotResults(
  csvFile: string,
  outDir = dirname(csvFile),
  layout: ResultsLayout = { columns: RESULTS_PLOT_COLUMNS, widthIn: 12 },
): Promise<string> {
  const { columns, rows } = parseResultsCsv(await readFile(csvFile, 'utf8'), csvFile);
  const stem = basename(csvFile, extname(csvFile));
  const epochs = rows.map((row) => row[0]!);
  const subplots = layout.columns.map((name, k): SubChartSpec => {
    // A reg_max-1 model (YOLO26) logs its distance term as l1_loss where others log dfl_loss: same subplot.
    let j = columns.indexOf(name);
    if (j < 0 && name.endsWith('/dfl_loss')) j = columns.indexOf(name.replace(/dfl_loss$/, 'l1_loss'));
    if (j < 0) throw new Error(`${csvFile}: column '${name}' is missing (found: ${columns.join(', ')})`);
    const y = rows.map((row) => row[j]!);
    const smooth = gaussianFilter1d(y, 3);
    const values = [
      ...y.map((v, i) => ({ x: epochs[i], y: finiteOrNull(v), i, series: stem })),
      ...y.map((_, i) => ({ x: epochs[i], y: finiteOrNull(smooth[i]!), i, series: 'smooth' })),
    ];
    const showLegend = k === 1;
    return {
      title: { text: columns[j] as string, fontSize: 12 },
      width: 124,
      height: 162,
      data: { values },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: null, scale: { zero: false, nice: false, padding: 6 } },
        y: { field: 'y', type: 'quantitative', title: null, scale: { zero: false, padding: 6 } },
        order: { field: 'i' },
        color: {
          field: 'series',
          type: 'nominal',
          scale: { domain: [stem, 'smooth'], range: [MPL_BLUE, MPL_ORANGE] },
          legend: showLegend
            ? { title: null, orient: 'top-right', symbolType: 'stroke', fillColor: 'white', strokeColor: '#cccccc', padding: 4 }
            : null,
        },
        strokeDash: {
          field: 'series',
          type: 'nominal',
          scale: {
            domain: [stem, 'smooth'],
            range: [
              [1, 0],
              [2, 3.3],
            ],
          },
          legend: showLegend ? { title: null, orient: 'top-right' } : null,
        },
      },
      layer: [
        { mark: { type: 'line', strokeWidth: 2 } },
        { transform: [{ filter: `datum.series === '${stem.replaceAll("'", "\\'")}'` }], mark: { type: 'circle', size: 18, opacity: 1 } },
      ],
    };
  });
  const file = join(outDir, 'results.png');
  await renderChart(
    {
      columns: layout.columns.length / 2,
      concat: subplots,
      spacing: { row: 12, column: 14 },
      resolve: { scale: { x: 'independent', y: 'independent', color: 'independent', strokeDash: 'independent' } },
      padding: 8,
    },
    { widthIn: layout.widthIn, heightIn: 6, dpi: 200 },
    file,
  );
  return file;
}

/** Vega drops null points from lines; NaN/inf results (diverged runs) would otherwise break the scales. */
function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
