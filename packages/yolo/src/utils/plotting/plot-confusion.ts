import { join } from 'node:path';
import { renderChart } from './render-chart.js';

/** Options of {@link plotConfusionMatrix}. */
export interface ConfusionPlotOptions {
  /** Divide each column (true class) by its total, as confusion_matrix_normalized.png does; default true. */
  normalize?: boolean;
  /** The last row/column is 'background' (detection, the default); false for classification's nc × nc matrix. */
  background?: boolean;
}

/** seaborn's 'Blues' colormap end points, light to dark. */
const BLUES = ['#f7fbff', '#08306b'];

/**
 * Writes `confusion_matrix.png` or `confusion_matrix_normalized.png` (3000×2250) like Ultralytics'
 * `ConfusionMatrix.plot`: a 'Blues' heatmap of the (nc+1)×(nc+1) matrix, rows = predicted class, columns = true
 * class, the last row/column being 'background'; values under 0.005 are left blank, cells are annotated when
 * nc < 30, and axes carry the class names when 0 < names.length < 99 and there is one name per class.
 * Returns the path written.
 *
 * @param matrix rows of the matrix, `matrix[pred][true]`
 * @example
 * await plotConfusionMatrix(cm.matrix, ['person', 'car'], 'runs/detect/val', { normalize: true });
 */
export async function plotConfusionMatrix(
  matrix: readonly ArrayLike<number>[],
  names: readonly string[],
  dir: string,
  options: ConfusionPlotOptions = {},
): Promise<string> {
  const normalize = options.normalize ?? true;
  const size = matrix.length;
  if (size < 1 || matrix.some((row) => row.length !== size)) {
    throw new Error(
      `plotConfusionMatrix: expected a square (nc+1)×(nc+1) matrix, got ${size} rows of lengths ${matrix.map((r) => r.length).join(',')}`,
    );
  }
  const background = options.background ?? true;
  const nc = background ? size - 1 : size;
  const columnSums = Array.from({ length: size }, (_, j) => matrix.reduce((sum, row) => sum + row[j]!, 0));
  const ticks =
    names.length > 0 && names.length < 99 && names.length === nc
      ? [...names, ...(background ? ['background'] : [])]
      : Array.from({ length: size }, (_, i) => String(i));
  const cells: { pred: string; true: string; v: number; label: string; i: number; j: number }[] = [];
  let vmax = 0;
  matrix.forEach((row, i) => {
    for (let j = 0; j < size; j++) {
      const v = normalize ? row[j]! / (columnSums[j]! + 1e-9) : row[j]!;
      if (!(v >= 0.005)) continue; // seaborn leaves NaN cells blank; Ultralytics sets values < 0.005 to NaN
      vmax = Math.max(vmax, v);
      cells.push({ pred: ticks[i]!, true: ticks[j]!, v, label: normalize ? v.toFixed(2) : v.toFixed(0), i, j });
    }
  });
  const title = normalize ? 'Confusion Matrix Normalized' : 'Confusion Matrix';
  const cell = 540 / size;
  // Ultralytics: sn.set(font_scale=1.0 if nc < 50 else 0.8); also kept under the cell size so ticks don't overlap.
  const tickFont = Math.min(nc < 50 ? 11 : 8.8, cell * 0.9);
  const axisScale = { domain: ticks };
  const file = join(dir, `${title.toLowerCase().replaceAll(' ', '_')}.png`);
  await renderChart(
    {
      title,
      width: cell * size,
      height: cell * size,
      padding: 16,
      data: { values: cells },
      encoding: {
        x: {
          field: 'true',
          type: 'ordinal',
          title: 'True',
          scale: axisScale,
          axis: { labelAngle: -90, labelFontSize: tickFont, ticks: true, labelLimit: 200 },
        },
        y: {
          field: 'pred',
          type: 'ordinal',
          title: 'Predicted',
          scale: axisScale,
          axis: { labelFontSize: tickFont, labelLimit: 200 },
        },
      },
      layer: [
        {
          mark: { type: 'rect' },
          encoding: {
            color: {
              field: 'v',
              type: 'quantitative',
              scale: { domain: [0, Math.max(vmax, 1e-9)], range: BLUES },
              legend: { title: null, gradientLength: cell * size, orient: 'right' },
            },
          },
        },
        ...(nc < 30
          ? [
              {
                mark: { type: 'text' as const, fontSize: 8 },
                encoding: {
                  text: { field: 'label', type: 'nominal' as const },
                  // seaborn switches to white text on dark cells
                  color: { condition: { test: `datum.v > ${vmax * 0.5}`, value: 'white' }, value: 'black' },
                },
              },
            ]
          : []),
      ],
      config: { view: { stroke: null } },
    },
    { widthIn: 12, heightIn: 9, dpi: 250 },
    file,
  );
  return file;
}
