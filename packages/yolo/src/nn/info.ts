// model.info(): Ultralytics' one-line summary (layers, parameters, gradients, GFLOPs) and the detailed
// per-parameter table. GFLOPs are counted as thop counts them, from the shapes a real forward pass sees.
import { basename } from 'node:path';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { ConvTranspose2d } from './modules/layers.js';
import { formatG, pythonRepr } from './python-format.js';

const { nn } = torch;

/** What model.info() reports. */
export interface ModelInfo {
  /**
   * Distinct modules in the tree, the model itself included (PyTorch's len(list(model.modules()))); with `leafLayers`
   * (Ultralytics 8.4, YOLO26) only those without children.
   */
  layers: number;
  parameters: number;
  /** Parameters that require grad (the DFL conv is frozen). */
  gradients: number;
  /** Forward GFLOPs at the requested image size, 0 when they cannot be measured. */
  gflops: number;
}

/** The parts of a model info needs. */
export interface InfoSubject extends torch.nn.Module<any, any> {
  stride: number[];
  yaml: { yaml_file?: string };
  isFused(): boolean;
}

/** Every module once, in PyTorch's order (a module shared by several parents, like Conv's SiLU, counts once). */
export function uniqueModules(model: torch.nn.Module<any, any>): torch.nn.Module<any, any>[] {
  return [...new Set(model.modules())];
}

/** thop's operation count for one leaf call: multiply-accumulates for convolutions, its element counts otherwise. */
function leafOps(module: torch.nn.Module<any, any>, input: Tensor, output: Tensor): number {
  const outputNumel = output.numel();
  if (module instanceof nn.Conv2d || module instanceof ConvTranspose2d) {
    const [kh, kw] = module.kernelSize;
    return outputNumel * Math.floor(input.shape[1]! / module.groups) * kh * kw;
  }
  if (module instanceof nn.BatchNorm2d) return 2 * input.numel() * (module.weight ? 2 : 1);
  // thop's count_linear and count_adap_avgpool (a classifier's head): Ultralytics' GFLOPs include them.
  if (module instanceof nn.Linear) return outputNumel * (input.shape[input.shape.length - 1] as number);
  if (module instanceof nn.AdaptiveAvgPool2d) {
    const kernel = ((input.shape[2] as number) / (output.shape[2] as number)) * ((input.shape[3] as number) / (output.shape[3] as number));
    return (kernel + 1) * outputNumel;
  }
  if (module instanceof nn.Upsample) {
    const mode = module.options.mode ?? 'nearest';
    return outputNumel * (mode === 'bilinear' ? 11 : 1);
  }
  return 0;
}

/** Runs one eval-mode forward of `model` on an uninitialised (1, c, h, w) image, summing thop's counts of every leaf. */
function countForwardOps(model: torch.nn.Module<any, any>, channels: number, h: number, w: number): number {
  const modules = uniqueModules(model);
  const modes = modules.map((m) => m.training);
  const counted = modules.filter(
    (m) =>
      m instanceof nn.Conv2d ||
      m instanceof ConvTranspose2d ||
      m instanceof nn.BatchNorm2d ||
      m instanceof nn.Upsample ||
      m instanceof nn.Linear ||
      m instanceof nn.AdaptiveAvgPool2d,
  );
  let total = 0;
  for (const m of counted) {
    const original = Object.getPrototypeOf(m).forward as (x: Tensor) => Tensor;
    // An own `forward` shadows the class's for this one measurement (what thop's forward hooks do).
    Object.defineProperty(m, 'forward', {
      configurable: true,
      writable: true,
      value: (x: Tensor) => {
        const y = original.call(m, x);
        total += leafOps(m, x, y);
        return y;
      },
    });
  }
  try {
    model.eval();
    torch.noGrad(() => torch.tidy(() => void model.call(torch.empty([1, channels, h, w]))));
  } finally {
    for (const m of counted) delete (m as { forward?: unknown }).forward;
    modules.forEach((m, k) => {
      m.training = modes[k]!;
    });
  }
  return total;
}

/**
 * Forward GFLOPs at `imgsz` as Ultralytics' get_flops reports them: thop's count (×2) at a stride-sized input,
 * scaled by (imgsz / stride)²; a full-size pass when that fails; 0 when both fail.
 *
 * @example getFlops(model, 640) // 8.858 for YOLOv8n
 */
export function getFlops(model: InfoSubject, imgsz: number | [number, number] = 640): number {
  const [h, w] = typeof imgsz === 'number' ? [imgsz, imgsz] : imgsz;
  const first = model.parameters()[0];
  if (!first) return 0;
  const channels = first.shape[1]!;
  const stride = Math.max(Math.trunc(Math.max(...model.stride, 0)), 32);
  try {
    return ((countForwardOps(model, channels, stride, stride) / 1e9) * 2 * h * w) / stride / stride;
  } catch {
    try {
      return (countForwardOps(model, channels, h, w) / 1e9) * 2;
    } catch {
      return 0;
    }
  }
}

/**
 * Counts (and with `verbose` prints) Ultralytics' summary line, e.g.
 * `YOLOv8n summary: 225 layers, 3,157,200 parameters, 3,157,184 gradients, 8.9 GFLOPs`;
 * `detailed` first prints one row per parameter (name, requires grad, size, shape, mean, std, dtype).
 */
export function modelInfo(
  model: InfoSubject,
  options: { detailed?: boolean; verbose?: boolean; imgsz?: number | [number, number]; leafLayers?: boolean } = {},
): ModelInfo {
  const { detailed = false, verbose = true, imgsz = 640, leafLayers = false } = options;
  const params = model.parameters();
  const parameters = params.reduce((sum, p) => sum + p.numel(), 0);
  const gradients = params.reduce((sum, p) => sum + (p.requiresGrad ? p.numel() : 0), 0);
  // Ultralytics 8.4 counts leaf modules (those without children); 8.2/8.3 counted every module.
  const modules = uniqueModules(model);
  const layers = leafLayers ? modules.filter((m) => m.children().length === 0).length : modules.length;
  if (verbose && detailed) printParameterTable(model);
  const gflops = getFlops(model, imgsz);
  if (verbose) {
    const fused = model.isFused() ? ' (fused)' : '';
    const flops = gflops ? `, ${gflops.toFixed(1)} GFLOPs` : '';
    const yamlFile = model.yaml.yaml_file ?? '';
    const name =
      basename(yamlFile)
        .replace(/\.[^.]*$/, '')
        .replaceAll('yolo', 'YOLO') || 'Model';
    const n = (v: number) => v.toLocaleString('en-US');
    console.log(`${name} summary${fused}: ${n(layers)} layers, ${n(parameters)} parameters, ${n(gradients)} gradients${flops}`);
  }
  return { layers, parameters, gradients, gflops };
}

function printParameterTable(model: torch.nn.Module<any, any>): void {
  console.log(
    `${'layer'.padStart(5)} ${'name'.padStart(40)} ${'gradient'.padStart(9)} ${'parameters'.padStart(12)} ${'shape'.padStart(20)} ${'mu'.padStart(10)} ${'sigma'.padStart(10)}`,
  );
  let i = 0;
  for (const [name, p] of model.namedParameters()) {
    const [mu, sigma] = torch.noGrad(() => torch.tidy(() => [p.mean().item(), p.numel() > 1 ? p.std().item() : Number.NaN]));
    const cells = [
      formatG(i++).padStart(5),
      name.padStart(40),
      (p.requiresGrad ? 'True' : 'False').padStart(9),
      formatG(p.numel()).padStart(12),
      pythonRepr(p.shape).padStart(20),
      formatG(mu as number, 3).padStart(10),
      formatG(sigma as number, 3).padStart(10),
      `torch.${p.dtype}`.padStart(10),
    ];
    console.log(cells.join(' '));
  }
}
