// results.csv exactly as Ultralytics writes it, in the style of the release a model family comes from: 8.2 (YOLOv8)
// right-aligns every field to 23 characters with values as C's %.5g; 8.3 and later (YOLO11, YOLO26) add a `time`
// column after `epoch` and write fields unpadded as %.6g. Rows are appended.
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** C's `%.<precision>g`: shortest of fixed and exponent notation, trailing zeros stripped. */
export function formatG(value: number, precision = 5): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const exponent = Math.floor(Math.log10(Math.abs(Number(value.toPrecision(precision)))));
  if (exponent < -4 || exponent >= precision) {
    const [mantissa, exp] = value.toExponential(precision - 1).split('e') as [string, string];
    const m = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa;
    const e = Number(exp);
    return `${m}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  const fixed = value.toFixed(Math.max(0, precision - 1 - exponent));
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

/** Which Ultralytics release's results.csv layout to write (see the top of this file). */
export type ResultsCsvStyle = '8.2' | '8.3';

/** The layout by model family: families from Ultralytics 8.3 on; every other family (YOLOv8, v5, v3) 8.2's. */
const FAMILY_STYLES = new Map<string, ResultsCsvStyle>([
  ['yolo11', '8.3'],
  ['yolo26', '8.3'],
]);

/**
 * The results.csv layout of a model family.
 * @example resultsCsvStyle('yolo11') // '8.3'
 */
export function resultsCsvStyle(family: string | undefined): ResultsCsvStyle {
  return (family && FAMILY_STYLES.get(family)) || '8.2';
}

/**
 * Appends one row (header first when the file is new). `row` maps column name → value; `epoch` leads, then (8.3
 * style) `time`, the seconds since training started.
 */
export function appendResultsRow(
  file: string,
  epoch: number,
  row: Record<string, number>,
  options: { style?: ResultsCsvStyle; time?: number } = {},
): void {
  const { style = '8.2', time = 0 } = options;
  const keys = Object.keys(row);
  const values = keys.map((k) => row[k]!);
  const lines: string[] = [];
  if (style === '8.3') {
    if (!existsSync(file)) lines.push(['epoch', 'time', ...keys].join(','));
    lines.push([epoch, time, ...values].map((v) => formatG(v, 6)).join(','));
  } else {
    if (!existsSync(file)) lines.push(['epoch', ...keys].map((k) => k.padStart(23)).join(','));
    lines.push([epoch, ...values].map((v) => formatG(v).padStart(23)).join(','));
  }
  appendFileSync(file, `${lines.join('\n')}\n`);
}

/** results.csv as columns (name → values), as Ultralytics' read_results_csv. */
export function readResultsCsv(file: string): Record<string, number[]> {
  if (!existsSync(file)) return {};
  const [header, ...rows] = readFileSync(file, 'utf8').trim().split('\n');
  if (header === undefined) return {};
  const keys = header.split(',').map((k) => k.trim());
  const columns: Record<string, number[]> = Object.fromEntries(keys.map((k) => [k, []]));
  for (const row of rows) {
    row.split(',').forEach((v, i) => columns[keys[i]!]?.push(Number(v.trim())));
  }
  return columns;
}

/**
 * Drops the rows of epochs after `epoch` (the 1-based first column), rewriting the file atomically (temp file and
 * rename); returns how many were dropped. A run killed between appending a row and saving that epoch's checkpoint
 * resumes from the earlier checkpoint: without this, the re-trained epoch would appear twice.
 */
export function dropResultsRowsAfter(file: string, epoch: number): number {
  if (!existsSync(file)) return 0;
  const [header, ...rows] = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');
  if (header === undefined) return 0;
  const kept = rows.filter((row) => Number(row.split(',')[0]) <= epoch);
  if (kept.length === rows.length) return 0;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${[header, ...kept].join('\n')}\n`);
  renameSync(tmp, file);
  return rows.length - kept.length;
}
