// The module registry parseModel resolves YAML module names against. Unlike Ultralytics (whose lookup is
// `globals()[name]`, a KeyError for anything it did not import), it is open: registerModule adds a class.
import * as torch from '@yolots/torch';
import { Bottleneck, C1, C2, C2f, C3, C3x, DFL, SPP, SPPF } from './modules/block.js';
import { Attention, C2PSA, C3k, C3k2, PSABlock } from './modules/block-yolo11.js';
import { Classify } from './modules/classify.js';
import { Concat, Conv, ConvTranspose, DWConv, Focus } from './modules/conv.js';
import { Detect } from './modules/head.js';
import { ConvTranspose2d, Upsample } from './modules/layers.js';
import { Segment } from './modules/segment.js';
import { pythonRepr } from './python-format.js';

const { nn } = torch;

/** What parseModel knows when it sizes one layer. */
export interface ChannelContext {
  /** The layer's YAML args, strings already evaluated (`nc` → class count, 'None' → null). */
  args: unknown[];
  /** The layer's `from` as written (-1, an index, or a list). */
  from: number | number[];
  /** Output channels of each input the layer reads (one entry per `from`). */
  inputs: number[];
  /** Class count of the model. */
  nc: number;
  /** Repeats after depth scaling. */
  repeats: number;
  /** Ultralytics' channel scaling: ceil(min(c, max_channels) · width / 8) · 8. */
  scaleChannels: (c: number) => number;
  /** The model's scale letter ('n', 's', 'm', 'l', 'x'), '' when the YAML has no `scales`. */
  scale: string;
  /** Where the layer is, for error messages (file, position, layer index). */
  where: string;
}

/** What a function ChannelRule returns; `repeats: 1` when the module repeats internally (as 'csp' modules do). */
export interface ChannelResult {
  args: unknown[];
  c2: number;
  repeats?: number;
}

/**
 * How parseModel turns a layer's YAML args into constructor args and output channels (Ultralytics' rules):
 * - 'conv': args[0] is the output channels c2, width-scaled unless it equals nc; args become [c1, c2, ...rest].
 * - 'csp': as 'conv', and the repeat count goes in as args[2] (the module repeats internally, not parseModel).
 * - 'concat': output channels are the sum of the inputs'.
 * - 'detect': the list of input channels is appended to the args; output channels are not used further.
 * - 'batchnorm': args become [c1].
 * - 'same': args unchanged, output channels = input channels (Upsample, Identity, pooling).
 * - a function: computes both itself.
 */
export type ChannelRule = 'conv' | 'csp' | 'concat' | 'detect' | 'batchnorm' | 'same' | ((context: ChannelContext) => ChannelResult);

/** A class a YAML can name: constructed with the resolved positional args. */
export type ModuleClass = new (...args: any[]) => torch.nn.Module<any, any>;

/** How a module takes part in the build beyond its channels. */
export interface ModuleTraits {
  /**
   * A detection-style head: its constructor takes, after the YAML args and input channels, a HeadOptions object
   * (`{ legacy }`), which the layer table does not print. True for the 'detect' rule.
   */
  head?: boolean;
  /**
   * Heads built after this module in the same YAML are non-legacy (YOLO11's class branch), as Ultralytics'
   * parse_model sets `legacy = False` on meeting C3k2.
   */
  modernHead?: boolean;
}

export interface ModuleEntry extends ModuleTraits {
  name: string;
  create: ModuleClass;
  channels: ChannelRule;
  /**
   * The module's type as the layer table prints it. Ultralytics prints the Python class path
   * (`ultralytics.nn.modules.conv.Conv`); yolots prints where its own class is: `yolots.nn.modules.<file>.<Class>` for
   * a class of packages/yolo/src/nn/modules/<file>.ts, `torch.nn.<Class>` for one of @yolots/torch's `nn`
   * (re-exported by yolots as `torch`), the registered name for a class added with registerModule.
   */
  type: string;
}

const registry = new Map<string, ModuleEntry>();

function add(name: string, create: ModuleClass, channels: ChannelRule, type: string, traits: ModuleTraits = {}): void {
  registry.set(name, { name, create, channels, type, ...traits, head: traits.head ?? channels === 'detect' });
}

/**
 * The 'conv' and 'csp' rules as a function, for rules that build on them: args[0] (output channels, width-scaled
 * unless it equals nc) becomes [c1, c2, ...rest]; with `repeatsInside`, the repeat count goes in as args[2].
 */
export function convChannels(context: ChannelContext, name: string, repeatsInside: boolean): ChannelResult {
  const { args, inputs, nc, repeats, scaleChannels, where } = context;
  const target = args[0];
  if (typeof target !== 'number')
    throw new Error(`${where}: ${name}'s first argument must be its output channels, got ${pythonRepr(target)}`);
  const c2 = target !== nc ? scaleChannels(target) : target;
  const out = [inputs[0]!, c2, ...args.slice(1)];
  if (!repeatsInside) return { args: out, c2 };
  out.splice(2, 0, repeats);
  return { args: out, c2, repeats: 1 };
}

// The layer table's module column: the file under nn/modules/ that holds each class (see ModuleEntry.type).
const conv = 'yolots.nn.modules.conv';
const block = 'yolots.nn.modules.block';
const block11 = 'yolots.nn.modules.block-yolo11';
const layers = 'yolots.nn.modules.layers';
add('Conv', Conv, 'conv', `${conv}.Conv`);
add('DWConv', DWConv, 'conv', `${conv}.DWConv`);
add('ConvTranspose', ConvTranspose, 'conv', `${conv}.ConvTranspose`);
add('Focus', Focus, 'conv', `${conv}.Focus`);
add('Concat', Concat, 'concat', `${conv}.Concat`);
add('Bottleneck', Bottleneck, 'conv', `${block}.Bottleneck`);
add('SPP', SPP, 'conv', `${block}.SPP`);
add('SPPF', SPPF, 'conv', `${block}.SPPF`);
add('C1', C1, 'csp', `${block}.C1`);
add('C2', C2, 'csp', `${block}.C2`);
add('C2f', C2f, 'csp', `${block}.C2f`);
add('C3', C3, 'csp', `${block}.C3`);
add('C3x', C3x, 'csp', `${block}.C3x`);
add('DFL', DFL, 'same', `${block}.DFL`);
// C3k2: a 'csp' module for which parse_model forces c3k=True (args[3]) at the m/l/x scales, and after which the
// heads are built non-legacy.
add(
  'C3k2',
  C3k2,
  (context) => {
    const result = convChannels(context, 'C3k2', true);
    if (context.scale && 'mlx'.includes(context.scale) && result.args.length > 3) result.args[3] = true;
    return result;
  },
  `${block11}.C3k2`,
  { modernHead: true },
);
add('C2PSA', C2PSA, 'csp', `${block11}.C2PSA`);
// Not in parse_model's channel rules: Ultralytics passes their args through as written (output = input channels).
add('C3k', C3k, 'same', `${block11}.C3k`);
add('PSABlock', PSABlock, 'same', `${block11}.PSABlock`);
add('Attention', Attention, 'same', `${block11}.Attention`);
add('Detect', Detect, 'detect', 'yolots.nn.modules.head.Detect');
// Classify(c1, c2): sized as a Conv whose output channels are the class count (never width-scaled).
add('Classify', Classify, 'conv', 'yolots.nn.modules.classify.Classify');
// Segment(nc, nm, npr): the prototype channels npr are width-scaled like a layer's output channels.
add(
  'Segment',
  Segment,
  ({ args, inputs, scaleChannels }) => {
    const [nc, nm = 32, npr = 256] = args as [number, number?, number?];
    return { args: [nc, nm, scaleChannels(npr), inputs], c2: inputs[0]! };
  },
  'yolots.nn.modules.segment.Segment',
  { head: true },
);
add('nn.Upsample', Upsample, 'same', `${layers}.Upsample`);
add('nn.MaxPool2d', nn.MaxPool2d, 'same', 'torch.nn.MaxPool2d');
add('nn.Identity', nn.Identity, 'same', 'torch.nn.Identity');
add('nn.BatchNorm2d', nn.BatchNorm2d, 'batchnorm', 'torch.nn.BatchNorm2d');
add('nn.ConvTranspose2d', ConvTranspose2d, 'conv', `${layers}.ConvTranspose2d`);

/**
 * Makes a module class available to model YAMLs under `name`. `channels` says how parseModel sizes it (see
 * ChannelRule); registering an existing name replaces it.
 *
 * @example
 * class MyBlock extends nn.Module { constructor(c1: number, c2: number) { … } forward(x) { … } }
 * registerModule('MyBlock', MyBlock, { channels: 'conv' });
 * // model YAML: - [-1, 1, MyBlock, [128]]   → new MyBlock(c1, scaled 128)
 */
export function registerModule(name: string, create: ModuleClass, options: { channels: ChannelRule; type?: string } & ModuleTraits): void {
  if (!name || typeof create !== 'function') throw new TypeError('registerModule(name, Class, { channels }) needs a name and a class');
  const { channels, type, ...traits } = options;
  add(name, create, channels, type ?? name, traits);
}

/** The entry for a YAML module name; an Error listing the known names and how to register one otherwise. */
export function resolveModule(name: string, where: string): ModuleEntry {
  const entry = registry.get(name);
  if (entry) return entry;
  throw new Error(
    `${where}: unknown module '${name}'. Known modules: ${registeredModuleNames().join(', ')}. ` +
      `To use your own, register it before building the model: registerModule('${name}', ${name.replace(/^nn\./, '')}Class, { channels: 'conv' }) ` +
      `(channels: 'conv' | 'csp' | 'concat' | 'detect' | 'batchnorm' | 'same' | (ctx) => ({ args, c2 })).`,
  );
}

/** Every name a model YAML may use, sorted. */
export function registeredModuleNames(): string[] {
  return [...registry.keys()].sort();
}
