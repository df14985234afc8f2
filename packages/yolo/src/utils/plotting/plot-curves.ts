import { renderChart, TAB10 } from './render-chart.js';
import { boxSmooth } from './smoothing.js';

/** Ultralytics draws (and names in the legend) one line per class only below this many classes. */
const MAX_CLASSES_WITH_LEGEND = 21;

/** Ultralytics' curve figures: 9×6 in at 250 dpi, i.e. 2250×1500 px. */
const CURVE_FIGURE = { widthIn: 9, heightIn: 6, dpi: 250 };

interface CurveData {
  /** Shared x values of every curve. */
  px: ArrayLike<number>;
  /** One y array per class, each as long as `px`. */
  perClass: readonly ArrayLike<number>[];
  /** Legend label per class, used when there are 1–20 classes. */
  labels: readonly string[];
  /** The bold blue line and its legend label. */
  mean: ArrayLike<number>;
  meanLabel: string;
  xTitle: string;
  yTitle: string;
  title: string;
}

function checkCurves(what: string, px: ArrayLike<number>, py: readonly ArrayLike<number>[], names: readonly string[]) {
  py.forEach((curve, i) => {
    if (curve.length !== px.length) {
      throw new Error(`${what}: curve ${i} has ${curve.length} points, px has ${px.length}`);
    }
  });
  if (names.length > 0 && names.length !== py.length) {
    throw new Error(`${what}: ${names.length} names for ${py.length} curves (pass one name per curve, or none)`);
  }
}

/** Point-wise mean over classes; all zeros when there is no class (nothing was labelled). */
function meanCurve(py: readonly ArrayLike<number>[], n: number): Float64Array {
  const mean = new Float64Array(n);
  for (const curve of py) for (let i = 0; i < n; i++) mean[i] = mean[i]! + curve[i]! / py.length;
  return mean;
}

async function plotCurves(data: CurveData, file: string): Promise<string> {
  const { px, perClass, labels, mean } = data;
  const named = labels.length > 0 && labels.length < MAX_CLASSES_WITH_LEGEND;
  const classRows = perClass.flatMap((curve, c) =>
    Array.from({ length: px.length }, (_, i) => ({ x: px[i], y: curve[i], c, s: named ? labels[c] : '' })),
  );
  const meanRows = Array.from({ length: px.length }, (_, i) => ({ x: px[i], y: mean[i], s: data.meanLabel }));
  const domain = named ? [...labels, data.meanLabel] : [data.meanLabel];
  const range = named ? [...labels.map((_, c) => TAB10[c % TAB10.length]!), 'blue'] : ['blue'];
  const color = {
    field: 's',
    type: 'nominal' as const,
    sort: null,
    scale: { domain, range },
    legend: { title: null, orient: 'right' as const, symbolType: 'stroke', labelFontSize: 9 },
  };
  const unit = { type: 'quantitative' as const, scale: { domain: [0, 1], nice: false } };
  await renderChart(
    {
      width: CURVE_FIGURE.widthIn * 72,
      height: CURVE_FIGURE.heightIn * 72,
      autosize: { type: 'fit', contains: 'padding' },
      padding: 12,
      title: data.title,
      encoding: {
        x: { field: 'x', ...unit, title: data.xTitle },
        y: { field: 'y', ...unit, title: data.yTitle },
      },
      layer: [
        {
          data: { values: classRows },
          mark: { type: 'line', strokeWidth: 1, clip: true, ...(named ? {} : { color: 'grey' }) },
          encoding: named ? { color, detail: { field: 'c' } } : { detail: { field: 'c' } },
        },
        {
          data: { values: meanRows },
          mark: { type: 'line', strokeWidth: 3, clip: true },
          encoding: { color },
        },
      ],
    },
    CURVE_FIGURE,
    file,
  );
  return file;
}

/**
 * Writes the precision-recall curve (PR_curve.png, 2250×1500) like Ultralytics' `plot_pr_curve`: one line per class
 * labelled with its AP@0.5 when there are 1–20 classes (grey lines otherwise), and the class-mean curve in bold blue
 * labelled `all classes x.xxx mAP@0.5`. Returns `file`.
 *
 * @param px recall grid (Ultralytics: 1000 points on [0, 1])
 * @param py per class, precision at each recall of `px`
 * @param ap50 per class AP@0.5
 * @param names per class display name (same order as `py`), or `[]`
 * @example
 * await plotPrCurve(px, [precisionOfPerson, precisionOfCar], [0.61, 0.42], ['person', 'car'], `${dir}/PR_curve.png`);
 */
export async function plotPrCurve(
  px: ArrayLike<number>,
  py: readonly ArrayLike<number>[],
  ap50: ArrayLike<number>,
  names: readonly string[],
  file: string,
): Promise<string> {
  checkCurves('plotPrCurve', px, py, names);
  if (ap50.length !== py.length) throw new Error(`plotPrCurve: ${ap50.length} AP values for ${py.length} curves`);
  const meanAp = py.length === 0 ? 0 : Array.from(ap50).reduce((a, b) => a + b, 0) / ap50.length;
  return plotCurves(
    {
      px,
      perClass: py,
      labels: names.map((name, i) => `${name} ${ap50[i]!.toFixed(3)}`),
      mean: meanCurve(py, px.length),
      meanLabel: `all classes ${meanAp.toFixed(3)} mAP@0.5`,
      xTitle: 'Recall',
      yTitle: 'Precision',
      title: 'Precision-Recall Curve',
    },
    file,
  );
}

/**
 * Writes a metric-confidence curve (F1_curve.png, P_curve.png, R_curve.png; 2250×1500) like Ultralytics'
 * `plot_mc_curve`: one line per class (named if 1–20 classes) and the box-smoothed class mean in bold blue, labelled
 * `all classes <max> at <confidence of max>`. Returns `file`.
 *
 * @param px confidence grid (Ultralytics: 1000 points on [0, 1])
 * @param py per class, the metric at each confidence of `px`
 * @example
 * await plotMcCurve(px, f1PerClass, ['person', 'car'], `${dir}/F1_curve.png`, 'F1');
 */
export async function plotMcCurve(
  px: ArrayLike<number>,
  py: readonly ArrayLike<number>[],
  names: readonly string[],
  file: string,
  ylabel = 'Metric',
  xlabel = 'Confidence',
): Promise<string> {
  checkCurves('plotMcCurve', px, py, names);
  const mean = boxSmooth(meanCurve(py, px.length), 0.05).subarray(0, px.length);
  let best = 0;
  for (let i = 1; i < mean.length; i++) if (mean[i]! > mean[best]!) best = i;
  const bestValue = mean.length > 0 ? mean[best]! : 0;
  const bestX = px.length > 0 ? px[best]! : 0;
  return plotCurves(
    {
      px,
      perClass: py,
      labels: names,
      mean,
      meanLabel: `all classes ${bestValue.toFixed(2)} at ${bestX.toFixed(3)}`,
      xTitle: xlabel,
      yTitle: ylabel,
      title: `${ylabel}-Confidence Curve`,
    },
    file,
  );
}
