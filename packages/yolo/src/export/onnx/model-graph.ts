// A YAML-built detector as an ONNX ModelProto: a dry run fixes the shapes, then the layers are walked in the
// order and with the routing of BaseModel.predict, each module writing its nodes through its emitter.

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import type { ModelLayer } from '../../nn/parse-model.js';
import { pyAt } from '../../utils/indexing.js';
import { VERSION } from '../../version.js';
import './block-yolo11.js';
import './classify.js';
import './detect.js';
import './segment.js';
import { DataType, type Dim, type ModelProto, type StringStringEntryProto, tensorValueInfo } from '../../utils/onnx/schema.js';
import { type EmitContext, emitterFor, type Value } from './emitters.js';
import { OnnxGraph } from './graph.js';

/** The opsets the exporter writes (the operators it uses are defined for each). */
export const MIN_OPSET = 12;
export const MAX_OPSET = 21;

/** What buildOnnxModel needs of a model: BaseModel's layer list and savelist. */
export interface ExportableModel extends torch.nn.Module<any, any> {
  model: torch.nn.ModuleList<ModelLayer>;
  save: number[];
  /** The model YAML; `ch` is the input channel count (3 when absent). */
  yaml?: { ch?: number };
}

export interface OnnxModelOptions {
  /** Input [h, w] (multiples of the model's largest stride). */
  imgsz: [number, number];
  /** Batch size of the static input (the dry run's batch with `dynamic`). */
  batch: number;
  /** Symbolic batch, height, width (input) and batch, anchors (output). */
  dynamic: boolean;
  opset: number;
  metadata: StringStringEntryProto[];
}

/** The IR version of the ONNX release that introduced `opset` (what torch.onnx writes for it). */
function irVersionFor(opset: number): number {
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

/**
 * What the dry run tells: output channels, anchors (null for a classifier's (B, nc) output), the head's map sizes,
 * and a segmentation head's proto shape.
 */
interface DryRun {
  channels: number;
  anchors: number | null;
  featureSizes: [number, number][];
  /** [nm, h, w] of the prototypes (segmentation models), else null. */
  protos: [number, number, number] | null;
  /** An end-to-end head's rows per image (its output is (B, rows, 6)), else null. */
  endToEndRows: number | null;
}

/** Runs the model once (eval mode, no grad) on zeros. */
function dryRun(model: ExportableModel, options: OnnxModelOptions): DryRun {
  const wasTraining = model.training;
  model.eval();
  try {
    return torch.noGrad(() =>
      torch.tidy(() => {
        const out = model.call(torch.zeros([options.batch, model.yaml?.ch ?? 3, ...options.imgsz]));
        // A classifier (Classify head): (B, nc) probabilities.
        if (out instanceof torch.Tensor && out.dim() === 2)
          return { channels: out.shape[1] as number, anchors: null, featureSizes: [], protos: null, endToEndRows: null };
        if (!Array.isArray(out) || out.length !== 2 || out[1] === null || typeof out[1] !== 'object') {
          throw new Error(
            `ONNX export: ${model.constructor.name} must end in a Detect head returning [pred, raw maps] or a Classify head returning (B, nc) in eval mode`,
          );
        }
        const [pred, second] = out as [Tensor, unknown];
        if (!Array.isArray(second)) {
          // An 8.4-form head (YOLO26): [pred, { feats, … } or { one2many, one2one }]; pred is (B, k, 6) end-to-end.
          const train = second as { feats?: Tensor[]; one2one?: { feats: Tensor[] } };
          const feats = train.one2one?.feats ?? train.feats ?? [];
          const featureSizes = feats.map((f) => f.shape.slice(2) as [number, number]);
          const anchors = featureSizes.reduce((n, [h, w]) => n + h * w, 0);
          const endToEnd = train.one2one !== undefined && pred.shape[2] === 6;
          return endToEnd
            ? { channels: 6, anchors, featureSizes, protos: null, endToEndRows: pred.shape[1] as number }
            : { channels: pred.shape[1] as number, anchors, featureSizes, protos: null, endToEndRows: null };
        }
        // Detect: [pred, raw maps]; Segment: [pred, [raw maps, coefficients, protos]].
        const segment = Array.isArray(second[0]);
        const raw = (segment ? second[0] : second) as Tensor[];
        const featureSizes = raw.map((r) => r.shape.slice(2) as [number, number]);
        const protos = segment ? ((second[2] as Tensor).shape.slice(1) as [number, number, number]) : null;
        return { channels: pred.shape[1]!, anchors: pred.shape[2]!, featureSizes, protos, endToEndRows: null };
      }),
    );
  } finally {
    model.train(wasTraining);
  }
}

/**
 * The model's (B, 4 + nc, anchors) inference graph as an ONNX model: input `images` (B, 3, h, w) float32 in
 * [0, 1], output `output0`; weights fused and stored as float32 initializers.
 *
 * @example
 * const proto = buildOnnxModel(model, { imgsz: [640, 640], batch: 1, dynamic: false, opset: 17, metadata: [] });
 * writeFileSync('yolov8n.onnx', encodeModel(proto));
 */
export function buildOnnxModel(model: ExportableModel, options: OnnxModelOptions): ModelProto {
  const { opset, dynamic, batch, imgsz } = options;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new RangeError(`ONNX export: opset=${opset} is not supported; choose an integer from ${MIN_OPSET} to ${MAX_OPSET}`);
  }
  const shapes = dryRun(model, options);
  const graph = new OnnxGraph(opset);
  const ctx: EmitContext = {
    graph,
    featureSizes: dynamic ? null : shapes.featureSizes,
    anchors: shapes.anchors ?? undefined,
    emit: (module, input, name) => graph.scoped(name, () => emitterFor(module, graph.scopePath)(ctx, module, input)),
  };
  const saved = new Set(model.save);
  const output = torch.noGrad(() =>
    torch.tidy(() => {
      const outputs: (Value | null)[] = [];
      let current: Value = 'images';
      for (const layer of model.model) {
        if (layer.f !== -1) {
          const from = layer.f;
          current =
            typeof from === 'number' ? (pyAt(outputs, from) as Value) : from.map((j) => (j === -1 ? current : pyAt(outputs, j)) as string);
        }
        current = ctx.emit(layer, current, `model.${layer.i}`);
        outputs.push(saved.has(layer.i) ? current : null);
      }
      return current;
    }),
  );
  const names = typeof output === 'string' ? [output] : output;
  if (names.length !== (shapes.protos ? 2 : 1)) {
    throw new Error(
      `ONNX export: the head gave ${names.length} outputs, expected ${shapes.protos ? 'predictions and prototypes' : 'one tensor'}`,
    );
  }
  names.forEach((name, i) => {
    graph.rename(name, `output${i}`);
  });

  const ch = model.yaml?.ch ?? 3;
  const inputDims: Dim[] = dynamic ? ['batch', ch, 'height', 'width'] : [batch, ch, ...imgsz];
  const rows = shapes.endToEndRows;
  const outputDims: Dim[] =
    rows !== null
      ? [dynamic ? 'batch' : batch, rows, 6]
      : shapes.anchors === null
        ? [dynamic ? 'batch' : batch, shapes.channels]
        : dynamic
          ? ['batch', shapes.channels, 'anchors']
          : [batch, shapes.channels, shapes.anchors];
  const outputs = [tensorValueInfo('output0', DataType.FLOAT, outputDims)];
  if (shapes.protos) {
    const [nm, mh, mw] = shapes.protos;
    outputs.push(tensorValueInfo('output1', DataType.FLOAT, dynamic ? ['batch', nm, 'mask_height', 'mask_width'] : [batch, nm, mh, mw]));
  }
  return {
    ir_version: irVersionFor(opset),
    opset_import: [{ domain: '', version: opset }],
    producer_name: 'yolots',
    producer_version: VERSION,
    graph: {
      name: 'main_graph',
      node: graph.nodes,
      initializer: graph.initializers,
      input: [tensorValueInfo('images', DataType.FLOAT, inputDims)],
      output: outputs,
    },
    metadata_props: options.metadata,
  };
}
