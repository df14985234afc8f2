// The Exporter (Ultralytics' engine/exporter.py; how the ONNX file is written: docs/export.md) for the one format yolots
// writes: ONNX. There is no torch.onnx in libtorch, so the graph is written by walking the model's modules
// (export/onnx); the result matches Ultralytics' export: input `images`, output `output0` (B, 4 + nc, anchors),
// fused weights, optional dynamic axes, and the metadata props Ultralytics' AutoBackend reads.
import { statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { Args } from '../cfg/args.js';
import { getCfg } from '../cfg/config.js';
import { buildOnnxModel, type ExportableModel, MAX_OPSET, MIN_OPSET } from '../export/onnx/model-graph.js';
import { Detect } from '../nn/modules/head.js';
import { checkImgsz } from '../utils/imgsz.js';
import { type ExportMetadata, metadataProps } from '../utils/onnx/metadata.js';
import { encodeModel } from '../utils/onnx/schema.js';
import { VERSION } from '../version.js';
import { type Callback, Callbacks, type ExporterEvent } from './callbacks.js';
import { selectDevice } from './device.js';

/** The opset written when none is asked for (Ultralytics: the highest torch.onnx supports, minus one). */
export const DEFAULT_OPSET = 17;

/** Export formats yolots writes (Ultralytics' `format` argument). */
export const EXPORT_FORMATS = ['onnx'] as const;

/** Ultralytics' other formats, named in the error for one of them. */
const ULTRALYTICS_ONLY_FORMATS = [
  'torchscript',
  'openvino',
  'engine',
  'coreml',
  'saved_model',
  'pb',
  'tflite',
  'edgetpu',
  'tfjs',
  'paddle',
  'ncnn',
];

/** What the exporter needs of a model: the layers to walk, plus the class names and strides to record. */
export interface ExportSource extends ExportableModel {
  names: Record<number, string>;
  stride: readonly number[];
  yaml?: { yaml_file?: string; ch?: number };
  args?: Partial<Pick<Args, 'data' | 'imgsz'>>;
  /** The task the model serves ('detect' when absent): recorded in the metadata, named in the usage lines. */
  task?: string;
  /** An end-to-end model (YOLO26): recorded in the metadata; its export outputs the top-k rows (B, k, 6). */
  end2end?: boolean;
}

export interface ExporterOptions {
  /** Ultralytics arguments (format, imgsz, batch, dynamic, opset, simplify, half, device, data, …), typed as `Args` types them. */
  overrides?: Partial<Args>;
  /** Callback registry (on_export_start / on_export_end receive the Exporter). */
  callbacks?: Callbacks;
}

function formatMB(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

/**
 * Exports a model to ONNX as Ultralytics' `Exporter(overrides)(model)` does, firing on_export_start and
 * on_export_end; resolves to the written file.
 *
 * @example
 * const exporter = new Exporter({ overrides: { format: 'onnx', imgsz: 320, dynamic: true, batch: 1 } });
 * const file = await exporter.call(model, { weights: 'runs/detect/train/weights/best.pt' }); // …/best.onnx
 */
export class Exporter {
  readonly args: Args;
  readonly callbacks: Callbacks;
  /** The written file, once `call` has run. */
  file: string | null = null;
  /** Input size [h, w] of the export, once `call` has checked it. */
  imgsz: [number, number] = [640, 640];
  /** The metadata written into the model's props. */
  metadata: ExportMetadata | null = null;

  constructor(options: ExporterOptions = {}) {
    this.args = getCfg(undefined, { ...(options.overrides ?? {}), mode: 'export' });
    this.callbacks = options.callbacks ?? new Callbacks();
  }

  addCallback(event: ExporterEvent, fn: (exporter: this) => void | Promise<void>): void {
    this.callbacks.add(event, fn as Callback<unknown>);
  }

  /**
   * Writes the ONNX file: to `target.file` when given, else next to `target.weights` ('best.pt' → 'best.onnx'),
   * else as the model YAML's stem in the working directory ('yolov8n.yaml' → 'yolov8n.onnx').
   */
  async call(model: ExportSource, target: { weights?: string; file?: string } = {}): Promise<string> {
    await this.callbacks.run('on_export_start', this);
    const started = performance.now();
    const args = this.args;
    const format = String(args.format).toLowerCase();
    if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
      const known = ULTRALYTICS_ONLY_FORMATS.includes(format) ? ` ('${format}' is an Ultralytics format yolots does not write)` : '';
      throw new Error(`Invalid export format='${args.format}'${known}. Valid formats are ${EXPORT_FORMATS.join(', ')}`);
    }
    const device = selectDevice(args.device ?? 'cpu');
    if (args.half) {
      throw new Error(
        device === 'cpu'
          ? 'half=True is only compatible with GPU export (device=0), and yolots exports float32 ONNX only: export with half=False'
          : 'half=True: yolots exports float32 ONNX only (no FP16 export); export with half=False',
      );
    }
    for (const key of ['int8', 'nms', 'optimize', 'keras'] as const) {
      if (args[key]) console.warn(`WARNING ⚠️ ${key}=True does not apply to ONNX export and is ignored`);
    }
    const opset = args.opset ?? DEFAULT_OPSET;
    if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
      throw new RangeError(
        `opset=${opset} is not supported by the yolots ONNX exporter; choose an integer from ${MIN_OPSET} to ${MAX_OPSET}`,
      );
    }
    const batch = args.batch;
    if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch=${batch} must be a positive integer for export`);
    const stride = Math.max(...model.stride.map((s) => Math.trunc(s)), 32);
    this.imgsz = checkImgsz(args.imgsz, stride);

    const file = resolve(target.file ?? this.defaultFile(model, target.weights));
    const source = target.weights ?? model.yaml?.yaml_file ?? model.constructor.name;
    const data = args.data ?? model.args?.data ?? null;
    const pretty = basename(String(model.yaml?.yaml_file ?? source))
      .replace(/\.[^.]*$/, '')
      .replace('yolo', 'YOLO');
    this.metadata = {
      description: `yolots ${pretty} model${data ? ` trained on ${data}` : ''}`,
      author: 'yolots (the Ultralytics YOLO engine in TypeScript)',
      date: new Date().toISOString(),
      version: VERSION,
      license: 'AGPL-3.0 License (https://ultralytics.com/license)',
      docs: 'https://docs.ultralytics.com',
      stride,
      task: model.task ?? 'detect',
      batch,
      imgsz: this.imgsz,
      names: { ...model.names },
      ...(model.end2end === undefined ? {} : this.metadata84(model, batch)),
    };

    const shape = [batch, 3, ...this.imgsz].join(', ');
    console.log(
      `\nyolots: starting from '${source}' with input shape (${shape}) BCHW${args.dynamic ? ' (dynamic batch, height, width)' : ''}`,
    );
    if (args.simplify)
      console.log(
        'ONNX: simplify=True is not applied: yolots has no onnxslim; the graph is written fused, with no shape arithmetic left for a static export',
      );
    console.log(`ONNX: starting export with protobufjs opset ${opset}...`);
    const onnxStart = performance.now();
    // As Ultralytics' exporter: an end-to-end head keeps max_det rows (capped at the anchors by the export itself),
    // one class per anchor with agnostic_nms.
    const heads = model.modules().filter((m): m is Detect<unknown> => m instanceof Detect);
    const saved = heads.map((h) => [h.maxDet, h.agnosticNms] as const);
    for (const h of heads) [h.maxDet, h.agnosticNms] = [args.max_det, Boolean(args.agnostic_nms)];
    let proto: ReturnType<typeof buildOnnxModel>;
    try {
      proto = buildOnnxModel(model, { imgsz: this.imgsz, batch, dynamic: args.dynamic, opset, metadata: metadataProps(this.metadata) });
    } finally {
      heads.forEach((h, i) => {
        [h.maxDet, h.agnosticNms] = saved[i] as readonly [number, boolean];
      });
    }
    writeFileSync(file, encodeModel(proto));
    const seconds = (ms: number) => (ms / 1000).toFixed(1);
    console.log(
      `ONNX: export success ✅ ${seconds(performance.now() - onnxStart)}s, saved as '${file}' (${formatMB(statSync(file).size)})`,
    );
    const size = this.imgsz[0] === this.imgsz[1] ? String(this.imgsz[0]) : `[${this.imgsz.join(',')}]`;
    console.log(
      `\nExport complete (${seconds(performance.now() - started)}s)\nResults saved to ${dirname(file)}` +
        `\nPredict:         yolo predict task=${this.metadata.task} model=${file} imgsz=${size}` +
        `\nValidate:        yolo val task=${this.metadata.task} model=${file} imgsz=${size}${data ? ` data=${data}` : ''}` +
        '\nVisualize:       https://netron.app',
    );
    this.file = file;
    await this.callbacks.run('on_export_end', this);
    return file;
  }

  /**
   * The keys Ultralytics 8.4 (the release of the families whose head has the end2end option, YOLO26) adds to the
   * metadata: the head's class, the ONNX export arguments (in its default.yaml order), the input channels, end2end.
   */
  private metadata84(model: ExportSource, batch: number): Pick<ExportMetadata, 'head' | 'args' | 'channels' | 'end2end'> {
    const { half, dynamic, simplify, opset, nms } = this.args;
    return {
      head: model.model.at(model.model.length - 1).constructor.name,
      args: { batch, half, dynamic, simplify, opset: opset ?? null, nms },
      channels: model.yaml?.ch ?? 3,
      end2end: Boolean(model.end2end),
    };
  }

  private defaultFile(model: ExportSource, weights: string | undefined): string {
    if (weights) return join(dirname(weights), `${basename(weights, extname(weights))}.onnx`);
    const yamlFile = model.yaml?.yaml_file;
    if (!yamlFile)
      throw new Error('export: give the output file or the weights path (the model has no yaml_file to name the export after)');
    return `${basename(yamlFile, extname(yamlFile))}.onnx`;
  }
}

/** Options of `exportOnnx` (Ultralytics' export arguments, with `model.export`'s defaults). */
export interface OnnxExportOptions {
  /** Input size, an int or [h, w] (default: the model's training imgsz, else 640). */
  imgsz?: number | [number, number];
  /** Static batch size (1). */
  batch?: number;
  /** Symbolic batch, height and width (false). */
  dynamic?: boolean;
  /** ONNX opset, 12 … 21 (17). */
  opset?: number | null;
  /** Accepted for Ultralytics compatibility; yolots does not simplify (a message says so). */
  simplify?: boolean;
  /** Refused: yolots exports float32 only. */
  half?: boolean;
  device?: string | number | null;
  /** Dataset YAML named in the model description. */
  data?: string | null;
  /** Output path; default next to `weights`, else '<yaml stem>.onnx'. */
  file?: string;
  /** The weights file the model came from ('best.pt' → 'best.onnx' beside it). */
  weights?: string;
  callbacks?: Callbacks;
}

/**
 * Exports a detector to ONNX with `model.export()`'s defaults (batch 1, imgsz from the model's args);
 * resolves to the written path. Run it with onnxruntime (see docs/export.md) or `loadOnnxBackend`.
 *
 * @example
 * const file = await exportOnnx(model, { imgsz: 320, dynamic: true, weights: 'best.pt' }); // 'best.onnx'
 */
export async function exportOnnx(model: ExportSource, options: OnnxExportOptions = {}): Promise<string> {
  const { file, weights, callbacks, ...rest } = options;
  const overrides: Record<string, unknown> = {
    imgsz: model.args?.imgsz ?? 640,
    batch: 1,
    simplify: false,
    ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
    format: 'onnx',
  };
  return new Exporter({ overrides, callbacks }).call(model, { file, weights });
}
