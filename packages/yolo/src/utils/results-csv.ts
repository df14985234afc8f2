// results.csv exactly as Ultralytics writes it: fields right-aligned to 23 characters, values as C's %.5g, appended.
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

/** Appends one row (header first when the file is new). `row` maps column name → value; `epoch` leads. */
export function appendResultsRow(file: string, epoch: number, row: Record<string, number>): void {
  const keys = Object.keys(row);
  const lines: string[] = [];
  if (!existsSync(file)) lines.push(['epoch', ...keys].map((k) => k.padStart(23)).join(','));
  lines.push([epoch, ...keys.map((k) => row[k]!)].map((v) => formatG(v).padStart(23)).join(','));
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
