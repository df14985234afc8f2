// The metadata Ultralytics writes into an exported model's metadata_props, with values as Python's str()
// writes them (stride '32', imgsz '[640, 640]', names "{0: 'person', …}"), so that Ultralytics' AutoBackend
// (which int()s stride/batch and literal-evals imgsz/names) reads a yolots export, and yolots reads either.
import type { StringStringEntryProto } from './schema.js';

/** What an exported detector carries besides its graph. */
export interface ExportMetadata {
  description: string;
  author: string;
  /** ISO 8601 time of the export. */
  date: string;
  /** Version of the engine that exported it. */
  version: string;
  license: string;
  docs: string;
  /** The largest stride of the model (32 for YOLOv8). */
  stride: number;
  task: string;
  batch: number;
  /** Input size [h, w] the model was exported at. */
  imgsz: [number, number];
  names: Record<number, string>;
  /** The head's class ('Detect'): Ultralytics 8.4 writes it, so yolots writes it for 8.4's families (YOLO26). */
  head?: string;
  /** The export arguments of the format (8.4: batch, half, dynamic, simplify, opset, nms), written as a Python dict. */
  args?: Record<string, string | number | boolean | null>;
  /** Input channels (8.4). */
  channels?: number;
  /** Whether the output is an end-to-end top-k (YOLO26: (B, k, 6), no NMS); absent for models without that option. */
  end2end?: boolean;
}

/** Python's repr of a str: single quotes unless the text holds a ' and no ". */
function pythonString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r');
  return quote + (quote === "'" ? escaped.replace(/'/g, "\\'") : escaped) + quote;
}

/** Python's repr of a scalar: True/False/None, numbers, quoted strings. */
function pythonScalar(value: string | number | boolean | null): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return typeof value === 'string' ? pythonString(value) : String(value);
}

/**
 * The metadata as ONNX key/value props, in Ultralytics' order (8.4's keys head, args, channels only when set).
 * @example metadataProps(meta).find((p) => p.key === 'names')?.value // "{0: 'person', 1: 'bicycle'}"
 */
export function metadataProps(meta: ExportMetadata): StringStringEntryProto[] {
  const names = `{${Object.entries(meta.names)
    .map(([id, name]) => `${Number(id)}: ${pythonString(name)}`)
    .join(', ')}}`;
  const values: Partial<Record<keyof ExportMetadata, string>> = {
    description: meta.description,
    author: meta.author,
    date: meta.date,
    version: meta.version,
    license: meta.license,
    docs: meta.docs,
    stride: String(meta.stride),
    task: meta.task,
    ...(meta.head === undefined ? {} : { head: meta.head }),
    batch: String(meta.batch),
    imgsz: `[${meta.imgsz.join(', ')}]`,
    names,
    ...(meta.args === undefined
      ? {}
      : {
          args: `{${Object.entries(meta.args)
            .map(([key, value]) => `${pythonString(key)}: ${pythonScalar(value)}`)
            .join(', ')}}`,
        }),
    ...(meta.channels === undefined ? {} : { channels: String(meta.channels) }),
    // Python's str(bool), as Ultralytics 8.4 writes it.
    ...(meta.end2end === undefined ? {} : { end2end: meta.end2end ? 'True' : 'False' }),
  };
  return Object.entries(values).map(([key, value]) => ({ key, value: value as string }));
}

const PY_STRING = /'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/y;
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r' };

/** Reads the "{0: 'person', 1: \"o'clock\"}" form of names (Python dict of int → str). */
export function parseNames(text: string): Record<number, string> {
  const names: Record<number, string> = {};
  const entry = /\s*(\d+)\s*:\s*/y;
  const body = text.trim();
  if (!body.startsWith('{') || !body.endsWith('}')) throw new Error(`ONNX metadata 'names' is not a Python dict: ${text.slice(0, 80)}`);
  let at = 1;
  while (at < body.length - 1) {
    entry.lastIndex = at;
    const key = entry.exec(body);
    PY_STRING.lastIndex = entry.lastIndex;
    const value = key ? PY_STRING.exec(body) : null;
    if (!key || !value) throw new Error(`ONNX metadata 'names' is malformed near '${body.slice(at, at + 30)}'`);
    const raw = (value[1] ?? value[2]) as string;
    names[Number(key[1])] = raw.replace(/\\(.)/g, (_, c: string) => ESCAPES[c] ?? c);
    at = PY_STRING.lastIndex;
    while (at < body.length - 1 && /[\s,]/.test(body[at]!)) at++;
  }
  return names;
}

/**
 * Reads the Ultralytics metadata of an exported model's props; absent keys stay absent (a model exported
 * by other tools may have none).
 * @example const { names, stride, imgsz } = parseMetadata(model.metadata_props);
 */
export function parseMetadata(props: StringStringEntryProto[]): Partial<ExportMetadata> {
  const map = new Map(props.map((p) => [p.key, p.value]));
  const meta: Partial<ExportMetadata> = {};
  for (const key of ['description', 'author', 'date', 'version', 'license', 'docs', 'task'] as const) {
    const value = map.get(key);
    if (value !== undefined) meta[key] = value;
  }
  for (const key of ['stride', 'batch'] as const) {
    const value = map.get(key);
    if (value === undefined) continue;
    const n = Number(value);
    if (!Number.isInteger(n)) throw new Error(`ONNX metadata '${key}' must be an integer, got '${value}'`);
    meta[key] = n;
  }
  const imgsz = map.get('imgsz');
  if (imgsz !== undefined) {
    const sizes = /^\[\s*(\d+)\s*,\s*(\d+)\s*\]$/.exec(imgsz.trim());
    if (!sizes) throw new Error(`ONNX metadata 'imgsz' must be '[h, w]', got '${imgsz}'`);
    meta.imgsz = [Number(sizes[1]), Number(sizes[2])];
  }
  const names = map.get('names');
  if (names !== undefined) meta.names = parseNames(names);
  const end2end = map.get('end2end');
  if (end2end !== undefined) meta.end2end = end2end === 'True';
  return meta;
}
