// The `device` argument, in one place: parsed as Ultralytics' select_device parses it, checked against what this
// build's libtorch can do, and turned into the libtorch device of this process (a distributed rank gets its own GPU).
// The trainer, validator, predictor and exporter all call `selectDevice`, so they accept and refuse the same values
// with the same messages.
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import type { Args } from '../cfg/args.js';

/** A parsed `device` argument. */
export interface DeviceRequest {
  /** 'auto' when none was given (CUDA device 0 when there is one, else the CPU), else 'cpu' or 'cuda'. */
  type: 'auto' | 'cpu' | 'cuda';
  /** The CUDA device indices asked for, in order (empty unless `type` is 'cuda'). */
  indices: number[];
  /** Processes a training with this device runs: one per CUDA index, one per 'cpu' entry ('cpu,cpu': two gloo ranks). */
  ranks: number;
  /** The argument as Ultralytics normalises it: lower case, without 'cuda:', brackets, quotes and spaces ('0,1'). */
  text: string;
}

/** What the loaded libtorch offers (injectable so the rules can be tested on a machine without GPUs). */
export interface CudaStatus {
  /** The libtorch has its CUDA backend (`torch.cuda.isBuilt()`). */
  built: boolean;
  /** Visible CUDA devices (`torch.cuda.deviceCount()`). */
  count: number;
}

/** Where the docs explain devices and CUDA builds. */
const DEVICES_DOC = 'docs/devices.md';

/** The loaded libtorch's CUDA support. */
export function cudaStatus(): CudaStatus {
  return { built: torch.cuda.isBuilt(), count: torch.cuda.deviceCount() };
}

/**
 * Parses `device` as Ultralytics' select_device does: `cpu`, `0`, `0,1`, `[0, 1]`, `cuda:0`, `cuda` (device 0), and
 * null/'' (auto). yolots adds `cpu,cpu` (one CPU rank per entry, over gloo). `mps` and anything else are refused with
 * an Error saying what is accepted. Pure: nothing is asked of libtorch.
 *
 * @example
 * parseDevice('cuda:1'); // { type: 'cuda', indices: [1], ranks: 1, text: '1' }
 * parseDevice([0, 1]);   // { type: 'cuda', indices: [0, 1], ranks: 2, text: '0,1' }
 */
export function parseDevice(device: Args['device'] | undefined): DeviceRequest {
  const given = Array.isArray(device) ? device.join(',') : String(device ?? '');
  let text = given.toLowerCase();
  for (const remove of ['cuda:', 'none', 'null', '(', ')', '[', ']', "'", '"', ' ']) text = text.replaceAll(remove, '');
  if (text === '') return { type: 'auto', indices: [], ranks: 1, text };
  if (text === 'mps' || text === 'mps:0') {
    throw new Error(
      `device=${given} (Apple Metal, MPS) is not supported: @yolots/torch has no MPS backend. Use 'device=cpu', or a CUDA device (see ${DEVICES_DOC}).`,
    );
  }
  const entries = text.split(',').filter((e) => e !== '');
  if (entries.every((e) => e === 'cpu')) return { type: 'cpu', indices: [], ranks: entries.length, text };
  const indices = entries.map((e) => (e === 'cuda' ? 0 : /^\d+$/.test(e) ? Number(e) : Number.NaN));
  if (indices.some(Number.isNaN)) {
    throw new Error(
      `Invalid device='${given}' requested. Use 'device=cpu', a CUDA device index such as 'device=0' or 'device=cuda:0', ` +
        `several for multi-GPU training ('device=0,1'), or 'device=cpu,cpu' for CPU ranks.`,
    );
  }
  if (new Set(indices).size !== indices.length) throw new Error(`Invalid device='${given}' requested: a CUDA device is named twice.`);
  return { type: 'cuda', indices, ranks: indices.length, text: indices.join(',') };
}

/**
 * The libtorch device this process runs on: 'cpu' or 'cuda:N'. `localRank` (LOCAL_RANK of a distributed run) picks
 * the rank's own entry of a multi-device request. A CUDA request fails at once when this build's libtorch has no CUDA
 * (the message says how to build against one) or when fewer devices are visible than asked (Ultralytics' message).
 * With `batch`, a multi-device request also checks that the batch splits evenly over the devices, as Ultralytics does.
 *
 * @example
 * selectDevice('cpu');                  // 'cpu'
 * selectDevice(null);                   // 'cuda:0' on a CUDA build with a GPU, else 'cpu'
 * selectDevice('0,1', { localRank: 1 }); // 'cuda:1'
 */
export function selectDevice(
  device: Args['device'] | undefined,
  options: { localRank?: number; batch?: number; cuda?: CudaStatus } = {},
): string {
  const request = parseDevice(device);
  const cuda = options.cuda ?? cudaStatus();
  const localRank = Math.max(options.localRank ?? 0, 0);
  if (options.batch !== undefined) checkBatchSplit(options.batch, request);
  if (request.type === 'cpu') return 'cpu';
  if (request.type === 'auto') return cuda.count > 0 ? `cuda:${Math.min(localRank, cuda.count - 1)}` : 'cpu';
  if (!cuda.built) throw new Error(noCudaBuildMessage(request.text));
  const missing = request.indices.filter((i) => i >= cuda.count);
  if (missing.length) throw new Error(invalidCudaMessage(request.text, cuda));
  const index = request.indices[localRank];
  if (index === undefined) {
    throw new Error(`LOCAL_RANK=${localRank} has no device in device=${request.text} (${request.indices.length} device(s) for the ranks)`);
  }
  return `cuda:${index}`;
}

/** Several ranks share the batch: it must be a positive multiple of their count (Ultralytics' rule for multi-GPU). */
function checkBatchSplit(batch: number, request: DeviceRequest): void {
  const n = request.ranks;
  if (n <= 1) return;
  if (batch < 1) {
    throw new Error(
      `AutoBatch with batch<1 is not supported for multi-device training (device=${request.text}); give a batch size, i.e. batch=16.`,
    );
  }
  if (batch % n !== 0) {
    const low = Math.floor(batch / n) * n;
    throw new Error(
      `'batch=${batch}' must be a multiple of the device count ${n}. Try 'batch=${low || n}' or 'batch=${low + n}', the nearest batch sizes evenly divisible by ${n}.`,
    );
  }
}

/** The refusal of a CUDA device by a build whose libtorch has no CUDA: what to do instead. */
function noCudaBuildMessage(text: string): string {
  return [
    `Invalid CUDA 'device=${text}' requested: this yolots build has no CUDA. Its native addon (@yolots/torch) was built`,
    'against a CPU-only libtorch. To use a GPU, rebuild the addon against a CUDA libtorch, either an unpacked one from',
    'pytorch.org or the one inside a CUDA PyTorch install (pip install torch):',
    '  cd packages/torch && LIBTORCH=/path/to/libtorch npx node-gyp rebuild',
    '  cd packages/torch && LIBTORCH_USE_PYTORCH=1 npx node-gyp rebuild',
    `See ${DEVICES_DOC}. Use 'device=cpu' to run on the CPU.`,
  ].join('\n');
}

/** Ultralytics' message for CUDA devices that are not there, with the JS names of its diagnostics. */
function invalidCudaMessage(text: string, cuda: CudaStatus): string {
  return (
    `Invalid CUDA 'device=${text}' requested. Use 'device=cpu' or pass valid CUDA device(s) if available, ` +
    `i.e. 'device=0' or 'device=0,1,2,3' for Multi-GPU.\n\n` +
    `torch.cuda.isAvailable(): ${cuda.count > 0}\ntorch.cuda.deviceCount(): ${cuda.count}\n` +
    `process.env.CUDA_VISIBLE_DEVICES: ${process.env.CUDA_VISIBLE_DEVICES ?? 'None'}`
  );
}

/**
 * A batch's images (uint8, N×3×H×W) as the model takes them: on `device`, float in [0, 1], and on the CPU in
 * channels-last layout, the layout the trainer, validator and predictor give the weights there (CPU convolutions
 * then skip a reorder per call: 8-19% faster forward+backward for YOLOv8n). The values are those of NCHW.
 *
 * @example
 * const img = batchImagesToInput(batch.img, 'cpu'); // float32, channels-last, values / 255
 */
export function batchImagesToInput(img: Tensor, device: string): Tensor {
  // Reordered while the pixels are still 1-byte uint8 (a quarter of the traffic of reordering floats); the cast and
  // the division keep the layout. In a scope of its own, dividing in place: only the result outlives the call (the
  // intermediate copies would otherwise stay alive through the training step's backward, ~100 MB at batch 16, 640).
  return torch.tidy(() => {
    const moved = img.to(device);
    const laid = moved.device === 'cpu' ? moved.contiguous('channels_last') : moved;
    // float() of a float tensor is the tensor itself, which must not be divided in place
    return laid.dtype === 'float32' ? laid.div(255) : laid.float().div_(255);
  });
}
