// Python's text forms, for output that must read exactly as Ultralytics prints it: str() of lists and
// literals, round() (half to even) and ast.literal_eval of YAML arguments.

/**
 * str(value) as Python prints it: None, True/False, 'quoted' strings, [a, b] lists.
 * @example pythonRepr([null, 2, 'nearest']) // "[None, 2, 'nearest']"
 */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`)
      .join(', ')}}`;
  }
  if (typeof value === 'function') return `<class '${(value as { name: string }).name}'>`;
  return String(value);
}

/**
 * Python 3's round(x): to the nearest integer, ties to even.
 * @example pythonRound(2.5) // 2
 */
export function pythonRound(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Returned by pythonLiteral for text that is not a Python literal (Ultralytics then keeps the string). */
export const NOT_A_LITERAL: unique symbol = Symbol('not a Python literal');

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * ast.literal_eval for what model YAMLs hold: None, True/False, numbers, quoted strings, lists and tuples of them.
 * @example pythonLiteral('None') // null
 */
export function pythonLiteral(text: string): unknown {
  if (text === 'None') return null;
  if (text === 'True') return true;
  if (text === 'False') return false;
  if (NUMBER.test(text)) return Number(text);
  const quoted = /^'([^']*)'$|^"([^"]*)"$/.exec(text);
  if (quoted) return quoted[1] ?? quoted[2];
  if (/^[[(].*[\])]$/s.test(text)) {
    const json = text
      .replace(/\(/g, '[')
      .replace(/\)/g, ']')
      .replace(/\bNone\b/g, 'null')
      .replace(/\bTrue\b/g, 'true')
      .replace(/\bFalse\b/g, 'false')
      .replace(/'/g, '"')
      .replace(/,\s*\]/g, ']');
    try {
      return JSON.parse(json);
    } catch {
      return NOT_A_LITERAL;
    }
  }
  return NOT_A_LITERAL;
}

/**
 * Python's '%g' with `precision` significant digits (printf semantics: exponent form below 1e-4 or at 1e±precision).
 * @example formatG(0.000123456, 3) // '0.000123'
 */
export function formatG(value: number, precision = 6): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const p = Math.max(precision, 1);
  const exponent = Number(value.toExponential(p - 1).split('e')[1]);
  if (exponent < -4 || exponent >= p) {
    const [mantissa, exp] = value.toExponential(p - 1).split('e') as [string, string];
    const sign = exp.startsWith('-') ? '-' : '+';
    const digits = exp.replace(/^[+-]/, '').padStart(2, '0');
    return `${stripZeros(mantissa)}e${sign}${digits}`;
  }
  return stripZeros(value.toFixed(Math.max(p - 1 - exponent, 0)));
}

function stripZeros(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}
