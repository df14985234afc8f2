// Ultralytics' AutoBackend for the formats yolots runs: one interface over a libtorch DetectionModel and an
// exported ONNX model run by onnxruntime-node, so predict and val code does not care which it holds.
// Inference is async because onnxruntime-node's session.run is; the libtorch backend resolves at once.
import { readFileSync } from 'node:fs';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { type ExportMetadata, parseMetadata } from '../utils/onnx/metadata.js';
import { type Dim, decodeModel } from '../utils/onnx/schema.js';
import type { DetectionPrediction } from './modules/head.js';
import type { DetectionModel } from './tasks.js';

/**
 * A detector ready for inference. `infer` takes letterboxed images (B, 3, h, w) float in [0, 1] and resolves to
 * the decoded predictions (B, 4 + nc, anchors): xywh boxes in input pixels, then class scores (NMS not applied).
 * The returned tensor belongs to the caller (dispose it, or let an enclosing scope do so); being async, `infer`
 * cannot be called inside `torch.tidy`.
 */
export interface InferenceBackend {
  /** 'torch' or 'onnx'. */
  readonly format: 'torch' | 'onnx';
  readonly names: Record<number, string>;
  /** The largest stride (letterbox multiple), as Ultralytics' AutoBackend.stride. */
  readonly stride: number;
  /** The size [h, w] a fixed-shape model requires, or null when any multiple of `stride` works. */
  readonly imgsz: [number, number] | null;
  /** The batch size a fixed-shape model requires, or null when any batch works. */
  readonly batch: number | null;
  /** Whether inputs are float16 (never for the ONNX backend, which yolots exports as float32). */
  readonly fp16: boolean;
  readonly task: string;
  infer(img: Tensor): Promise<Tensor>;
  /**
   * Every output of the model, in graph order: one tensor for a detector or classifier, [pred, protos] for a
   * segmentation export (pred (B, 4 + nc + nm, anchors), protos (B, nm, h/4, w/4)). The tensors belong to the caller.
   */
  inferAll(img: Tensor): Promise<Tensor[]>;
  /** Frees native resources (the ONNX session); the libtorch model is the caller's and stays. */
  dispose(): Promise<void>;
}

/**
 * A DetectionModel behind the backend interface (eval mode, no gradients).
 * @example const backend = new TorchBackend(model.fuse(false).eval());
 */
export class TorchBackend implements InferenceBackend {
  readonly format = 'torch';
  readonly imgsz = null;
  readonly batch = null;
  readonly task = 'detect';

  constructor(readonly model: DetectionModel) {}

  get names(): Record<number, string> {
    return this.model.names;
  }

  get stride(): number {
    return Math.max(...this.model.stride.map((s) => Math.trunc(s)), 32);
  }

  get fp16(): boolean {
    return this.model.parameters()[0]?.dtype === 'float16';
  }

  /**
   * On CPU the input goes channels-last: libtorch's oneDNN convolutions then skip their layout reorders (yolov8n
   * at 640: 59 vs 72 ms on 2 threads); the outputs equal the NCHW ones to float rounding. The convolutions run
   * with their weights reordered once for oneDNN (`withPackedConvolutions`) instead of on every call, SiLU and the
   * Bottleneck adds fused in where the addon calls oneDNN directly (docs/performance.md).
   */
  async infer(img: Tensor): Promise<Tensor> {
    return torch.noGrad(() =>
      torch.tidy(() => {
        const input = img.device === 'cpu' && img.shape.length === 4 ? img.to({ memoryFormat: 'channels_last' }) : img;
        return torch.nn.withPackedConvolutions(() => (this.model.call(input) as DetectionPrediction)[0].contiguous());
      }),
    );
  }

  async inferAll(img: Tensor): Promise<Tensor[]> {
    return [await this.infer(img)];
  }

  async dispose(): Promise<void> {}
}

/**
 * What the backend uses of onnxruntime's InferenceSession, declared here so that the published types name no
 * onnxruntime-node type: a user without that optional peer still type-checks.
 */
export interface OnnxSession {
  run(feeds: Record<string, object>): Promise<Record<string, { type: string; data: unknown; dims: readonly number[]; dispose(): void }>>;
  release(): Promise<void>;
}

/**
 * An exported .onnx detector run by onnxruntime-node; names, stride, task and imgsz come from the metadata
 * props the exporter wrote (Ultralytics' own ONNX exports carry the same).
 */
export class OnnxBackend implements InferenceBackend {
  readonly format = 'onnx';
  readonly fp16 = false;
  readonly names: Record<number, string>;
  readonly stride: number;
  readonly task: string;
  readonly imgsz: [number, number] | null;
  readonly batch: number | null;
  /** Input channels (3 for RGB models). */
  readonly channels: number;
  /** The metadata props as read (description, version, date, …). */
  readonly metadata: Partial<ExportMetadata>;

  constructor(
    readonly path: string,
    private readonly session: OnnxSession,
    private readonly inputName: string,
    /** The graph's output names in order (output0, then output1 for a segmentation export). */
    private readonly outputNames: string[],
    inputDims: Dim[],
    metadata: Partial<ExportMetadata>,
  ) {
    this.metadata = metadata;
    this.names = metadata.names ?? {};
    this.stride = metadata.stride ?? 32;
    this.task = metadata.task ?? 'detect';
    const [b, ch, h, w] = inputDims;
    this.channels = typeof ch === 'number' ? ch : 3;
    this.batch = typeof b === 'number' ? b : null;
    this.imgsz = typeof h === 'number' && typeof w === 'number' ? [h, w] : null;
    if (metadata.names === undefined) console.warn(`WARNING ⚠️ ${path} has no 'names' metadata; classes are numbered only`);
  }

  /** The first output: (B, 4 + nc [+ nm], anchors) for a detector or segmenter, (B, nc) for a classifier. */
  async infer(img: Tensor): Promise<Tensor> {
    const outputs = await this.inferAll(img);
    torch.dispose(outputs.slice(1));
    return outputs[0]!;
  }

  async inferAll(img: Tensor): Promise<Tensor[]> {
    const [b, c, h, w] = img.shape as [number, number, number, number];
    if (img.shape.length !== 4 || c !== this.channels)
      throw new Error(`${this.path}: input must be (B, ${this.channels}, h, w), got (${img.shape.join(', ')})`);
    const wantsBatch = this.batch !== null && b !== this.batch;
    const wantsSize = this.imgsz !== null && (h !== this.imgsz[0] || w !== this.imgsz[1]);
    if (wantsBatch || wantsSize) {
      throw new Error(
        `${this.path} was exported with a fixed input (${this.batch ?? 'B'}, ${this.channels}, ${this.imgsz?.join(', ') ?? 'h, w'}), got (${img.shape.join(', ')}): ` +
          'predict with that batch and imgsz, or export again with dynamic=True',
      );
    }
    // Loaded on first use, so that libtorch-only programs never load onnxruntime's native library.
    const { Tensor: OrtTensor } = await importOnnxRuntime();
    const data = torch.tidy(() => img.to({ dtype: 'float32', device: 'cpu' }).contiguous().toTypedArray()) as Float32Array;
    const results = await this.session.run({ [this.inputName]: new OrtTensor('float32', data, [b, c, h, w]) });
    const outputs: Tensor[] = [];
    try {
      for (const name of this.outputNames) {
        const out = results[name];
        if (out?.type !== 'float32') throw new Error(`${this.path}: output '${name}' is missing or not float32`);
        outputs.push(torch.fromTypedArray(out.data as Float32Array, [...out.dims]));
      }
      return outputs;
    } catch (error) {
      torch.dispose(outputs);
      throw error;
    } finally {
      for (const out of Object.values(results)) out.dispose();
    }
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/**
 * onnxruntime-node, an optional peer dependency (about 300 MB, with an install script that downloads a CUDA add-on):
 * only .onnx models need it, so a missing install is reported when one is opened, with the command that fixes it.
 */
async function importOnnxRuntime(): Promise<typeof import('onnxruntime-node')> {
  try {
    return await import('onnxruntime-node');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw cause;
    throw new Error(
      'Running an .onnx model needs onnxruntime-node, an optional peer dependency of yolots that is not installed: ' +
        'run `npm install onnxruntime-node` (set ONNXRUNTIME_NODE_INSTALL=skip to skip its CUDA download), ' +
        'or predict with the .safetensors/.pt weights instead',
      { cause },
    );
  }
}

/** Options of the onnxruntime session. */
export interface OnnxBackendOptions {
  /** Threads inside one operator (onnxruntime's default: the physical cores). */
  intraOpNumThreads?: number;
}

/**
 * Opens an exported .onnx model (detect, segment or classify) with onnxruntime-node (CPU).
 *
 * @example
 * const backend = await loadOnnxBackend('runs/detect/train/weights/best.onnx');
 * const pred = await backend.infer(images); // (B, 84, anchors)
 * await backend.dispose();
 */
export async function loadOnnxBackend(path: string, options: OnnxBackendOptions = {}): Promise<OnnxBackend> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    throw new Error(`ONNX model '${path}' cannot be read: ${(cause as Error).message}`, { cause });
  }
  const proto = decodeModel(bytes);
  const input = proto.graph?.input?.[0];
  const outputs = (proto.graph?.output ?? []).map((o) => o.name);
  if (!input || outputs.length === 0) throw new Error(`ONNX model '${path}' has no graph inputs/outputs`);
  const dims = (input.type?.tensor_type?.shape?.dim ?? []) as { dim_value?: number; dim_param?: string }[];
  const inputDims: Dim[] = dims.map((d) => d.dim_value ?? d.dim_param ?? '?');
  if (inputDims.length !== 4)
    throw new Error(`ONNX model '${path}': input '${input.name}' must be 4-D (B, 3, h, w), got [${inputDims.join(', ')}]`);
  const metadata = parseMetadata(proto.metadata_props ?? []);
  const ort = await importOnnxRuntime();
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    ...(options.intraOpNumThreads ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
  });
  return new OnnxBackend(path, session, input.name, outputs, inputDims, metadata);
}
