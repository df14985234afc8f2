// parse_model: a model YAML dict → the layer list, following Ultralytics' rules for scaling repeats and
// channels, channel bookkeeping between layers and the savelist of outputs later layers read.
import * as torch from '@yolots/torch';
import { pyAt } from '../utils/indexing.js';
import { parseActivation } from './modules/activation.js';
import { Conv } from './modules/conv.js';
import type { HeadOptions } from './modules/head.js';
import { NOT_A_LITERAL, pythonLiteral, pythonRepr, pythonRound } from './python-format.js';
import { type ChannelContext, type ChannelResult, convChannels, resolveModule } from './registry.js';

const { nn } = torch;

/** One row of a model YAML's backbone/head: [from, repeats, module, args]. */
export type LayerSpec = [from: number | number[], repeats: number, module: string, args: unknown[]];

/** A model YAML as a dict (Ultralytics' keys). */
export interface ModelYaml {
  nc: number;
  /** Compound scaling constants per scale letter: [depth, width, max_channels]. */
  scales?: Record<string, [number, number, number]>;
  /** The scale letter chosen (from the file name by yamlModelLoad). */
  scale?: string;
  depth_multiple?: number;
  width_multiple?: number;
  /** A Python expression such as `nn.ReLU()` replacing Conv's default activation in this model. */
  activation?: string;
  ch?: number;
  backbone: LayerSpec[];
  head: LayerSpec[];
  /** The file the dict came from, as given (e.g. 'yolov8n.yaml'). */
  yaml_file?: string;
  [key: string]: unknown;
}

/** What Ultralytics attaches to every layer module: index, inputs, type name and parameter count. */
export interface LayerMeta {
  i: number;
  f: number | number[];
  type: string;
  np: number;
}

/** A layer of a parsed model: the module with its LayerMeta attached, as Ultralytics attaches them. */
export type ModelLayer = torch.nn.Module<any, any> & LayerMeta;

/**
 * Rounds `x` up to a multiple of `divisor`.
 * @example makeDivisible(16.5, 8) // 24
 */
export function makeDivisible(x: number, divisor: number): number {
  return Math.ceil(x / divisor) * divisor;
}

function checkLayer(row: unknown, where: string): LayerSpec {
  const valid =
    Array.isArray(row) &&
    row.length === 4 &&
    (Number.isInteger(row[0]) || (Array.isArray(row[0]) && row[0].length > 0 && row[0].every(Number.isInteger))) &&
    Number.isInteger(row[1]) &&
    (row[1] as number) >= 1 &&
    typeof row[2] === 'string' &&
    Array.isArray(row[3]);
  if (!valid)
    throw new Error(`${where}: expected [from, repeats, module, args] (e.g. [-1, 3, C2f, [128, True]]), got ${JSON.stringify(row)}`);
  return row as LayerSpec;
}

/** Depth, width and channel cap from `scales` (or the legacy multiples), with Ultralytics' warning when no scale was given. */
function scaling(d: ModelYaml, source: string): { depth: number; width: number; maxChannels: number; scale: string } {
  if (d.scales && Object.keys(d.scales).length > 0) {
    let scale = d.scale;
    if (!scale) {
      scale = Object.keys(d.scales)[0]!;
      console.warn(`WARNING ⚠️ no model scale passed. Assuming scale='${scale}'.`);
    }
    const constants = d.scales[scale];
    if (!Array.isArray(constants) || constants.length !== 3) {
      throw new Error(`${source}: scale '${scale}' is not one of its scales (${Object.keys(d.scales).join(', ')})`);
    }
    const [depth, width, maxChannels] = constants;
    return { depth, width, maxChannels, scale };
  }
  return { depth: d.depth_multiple ?? 1.0, width: d.width_multiple ?? 1.0, maxChannels: Number.POSITIVE_INFINITY, scale: '' };
}

/**
 * Builds the layers a model YAML describes, for `ch` input channels. Returns the layers (under `model.<i>` in the
 * model's state dict) and the sorted savelist. With `verbose`, prints Ultralytics' layer table.
 *
 * @example
 * const { layers, save } = parseModel(yamlModelLoad('yolov8n.yaml'), 3);
 */
export function parseModel(d: ModelYaml, ch: number, verbose = true): { layers: ModelLayer[]; save: number[] } {
  const source = d.yaml_file ?? 'model YAML';
  const nc = d.nc;
  if (!Number.isInteger(nc) || nc < 1) throw new Error(`${source}: 'nc' must be a positive integer, got ${pythonRepr(nc)}`);
  if (!Array.isArray(d.backbone) || !Array.isArray(d.head)) throw new Error(`${source}: 'backbone' and 'head' must be lists of layers`);
  const { depth, width, maxChannels, scale } = scaling(d, source);
  const scaleChannels = (c: number) => makeDivisible(Math.min(c, maxChannels) * width, 8);

  const defaultAct = d.activation ? parseActivation(d.activation) : null;
  if (defaultAct && verbose) console.log(`activation: ${d.activation}`);
  if (verbose)
    console.log(
      `\n${''.padStart(3)}${'from'.padStart(20)}${'n'.padStart(3)}${'params'.padStart(10)}  ${'module'.padEnd(45)}${'arguments'.padEnd(30)}`,
    );
  let channels = [ch];
  const layers: ModelLayer[] = [];
  const save: number[] = [];
  let c2 = ch;
  // Ultralytics' `legacy`: heads keep YOLOv8's class branch unless a module such as C3k2 came before them.
  let legacy = true;
  const rows = [...d.backbone.map((r, k) => [r, `backbone[${k}]`] as const), ...d.head.map((r, k) => [r, `head[${k}]`] as const)];
  rows.forEach(([row, position], i) => {
    const where = `${source} ${position} (layer ${i})`;
    const [f, repeats, name, yamlArgs] = checkLayer(row, where);
    const entry = resolveModule(name, where);
    let args = yamlArgs.map((a) => {
      if (typeof a !== 'string') return a;
      if (a === 'nc') return nc;
      const literal = pythonLiteral(a);
      return literal === NOT_A_LITERAL ? a : literal;
    });
    const nScaled = repeats > 1 ? Math.max(pythonRound(repeats * depth), 1) : repeats;
    let n = nScaled;
    const froms = typeof f === 'number' ? [f] : f;
    if (i === 0 && froms.some((x) => x !== -1)) throw new Error(`${where}: the first layer can only read the input (from -1)`);
    const inputs = froms.map((x) =>
      pyAt(channels, x, () => `${where}: 'from' ${x} points at no earlier layer (there are ${channels.length})`),
    );
    const c1 = inputs[0]!;
    const rule = entry.channels;
    if (entry.head && name !== 'Detect' && (d.reg_max !== undefined || d.end2end !== undefined)) {
      throw new Error(
        `${where}: the YAML sets YOLO26's head options (reg_max, end2end), which yolots supports for Detect heads only, not ${name} ` +
          "(YOLO26's segment/pose/obb heads are not supported yet)",
      );
    }
    const withRepeats = (result: ChannelResult) => {
      n = result.repeats ?? n;
      return result;
    };
    const context: ChannelContext = { args, from: f, inputs, nc, repeats: n, scaleChannels, scale, where };
    if (rule === 'conv' || rule === 'csp') {
      ({ args, c2 } = withRepeats(convChannels(context, name, rule === 'csp')));
    } else if (rule === 'batchnorm') {
      args = [c1];
    } else if (rule === 'concat') {
      c2 = inputs.reduce((a, b) => a + b, 0);
    } else if (rule === 'detect') {
      // Ultralytics 8.4 passes the YAML's reg_max and end2end to the head (YOLO26); YAMLs without them keep 8.2's args.
      if (d.reg_max !== undefined || d.end2end !== undefined) args.push(d.reg_max ?? 16, d.end2end ?? false);
      args.push(inputs);
    } else if (rule === 'same') {
      c2 = c1;
    } else {
      ({ args, c2 } = withRepeats(rule(context)));
    }
    if (entry.modernHead) legacy = false;

    const constructorArgs = entry.head ? [...args, { legacy } satisfies HeadOptions] : args;
    const make = () => new entry.create(...constructorArgs);
    const module = n > 1 ? new nn.Sequential(...Array.from({ length: n }, make)) : make();
    const np = module.parameters().reduce((sum, p) => sum + p.numel(), 0);
    const layer = Object.assign(module, { i, f, type: entry.type, np });
    if (verbose) {
      console.log(
        `${String(i).padStart(3)}${pythonRepr(f).padStart(20)}${String(nScaled).padStart(3)}${np.toFixed(0).padStart(10)}  ${entry.type.padEnd(45)}${pythonRepr(args).padEnd(30)}`,
      );
    }
    for (const x of froms) if (x !== -1) save.push(((x % i) + i) % i);
    layers.push(layer);
    if (i === 0) channels = [];
    channels.push(c2);
  });
  if (defaultAct) useDefaultActivation(layers, defaultAct);
  return { layers, save: save.sort((a, b) => a - b) };
}

/**
 * Gives every Conv built with the default activation (`act=true`) the YAML's `activation:` instead: one module shared
 * by all of them, as Ultralytics' `Conv.default_act = eval(act)` does — but for this model only, with no class-wide
 * state swapped while building (Ultralytics never swaps it back, so later models inherit it).
 */
function useDefaultActivation(layers: ModelLayer[], act: torch.nn.Module): void {
  for (const layer of layers) {
    layer.apply((m) => {
      if (m instanceof Conv && m.act === Conv.defaultAct) m.replaceActivation(act);
    });
  }
}
