// AutoBatch on a libtorch device (Ultralytics' check_train_batch_size): the memory a training step of the model takes,
// measured on CUDA devices through torch.cuda.memGetInfo. The CPU is not measured: its memory is the machine's,
// shared with everything else, and Ultralytics uses its default batch there.
import type { nn, Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { autoBatch, autoBatchFraction, type MemoryProbe } from './autobatch.js';

/** Reads a CUDA device's [free, total] bytes: torch.cuda.memGetInfo, or a fake in tests. */
export type MemGetInfo = (index: number) => [number, number];

export interface TrainBatchSizeOptions {
  /** The training image size. */
  imgsz: number;
  /** The `batch` argument: -1 (60% of the memory) or a fraction in (0, 1). */
  batch: number;
  /** Input channels of the model (3). */
  channels?: number;
  memGetInfo?: MemGetInfo;
  log?: (line: string) => void;
}

/**
 * The batch AutoBatch picks for training `model` on `device` (16 on the CPU). The profiled steps run in training
 * mode on blank images; the model's buffers (BatchNorm statistics), gradients and mode are restored afterwards.
 *
 * @example
 * const batch = checkTrainBatchSize(model, 'cuda:0', { imgsz: 640, batch: -1 }); // e.g. 94 on a 24 GB GPU
 */
export function checkTrainBatchSize(model: nn.Module<any, any>, device: string, options: TrainBatchSizeOptions): number {
  const { imgsz, channels = 3, memGetInfo = torch.cuda.memGetInfo, log } = options;
  const settings = { imgsz, fraction: autoBatchFraction(options.batch), log };
  if (!device.startsWith('cuda')) return autoBatch('intended for CUDA devices', settings);
  const index = Number(device.split(':')[1] ?? 0);
  let free: number;
  let total: number;
  try {
    [free, total] = memGetInfo(index);
  } catch (error) {
    return autoBatch(`cannot read the memory of ${device} (${(error as Error).message})`, settings);
  }
  const probe = trainingStepProbe(model, device, {
    name: `CUDA:${index}`,
    total,
    free,
    imgsz,
    channels,
    freeAfterStep: () => {
      torch.cuda.synchronize(index);
      return memGetInfo(index)[0];
    },
  });
  return withModelRestored(model, () => autoBatch(probe, settings));
}

/** What a training-step probe needs besides the model: the device's memory, and how to read it after a step. */
export interface StepProbeOptions {
  name: string;
  total: number;
  free: number;
  imgsz: number;
  channels: number;
  /** Free bytes of the device once a step's work has finished. */
  freeAfterStep: () => number;
}

/**
 * A MemoryProbe that runs one forward and backward pass of `model` on `device` per measurement (blank images,
 * the sum of the outputs as the loss, as Ultralytics' profile): the memory used is the drop in free memory, which
 * libtorch's caching allocator keeps reserved for the training. An out-of-memory error measures null.
 */
export function trainingStepProbe(model: nn.Module<any, any>, device: string, options: StepProbeOptions): MemoryProbe {
  const { imgsz, channels, free } = options;
  const measure = (batch: number): number | null => {
    try {
      torch.tidy(() => sumOutputs(model.call(torch.zeros([batch, channels, imgsz, imgsz], { device }))).backward());
      return free - options.freeAfterStep();
    } catch (error) {
      if (/out of memory/i.test((error as Error).message)) return null;
      throw error;
    } finally {
      model.zeroGrad();
    }
  };
  return { name: options.name, total: options.total, free, measure };
}

/** Runs `fn` with `model` in training mode, then restores its buffers (BatchNorm statistics), mode and empty gradients. */
export function withModelRestored<R>(model: nn.Module<any, any>, fn: () => R): R {
  const saved = torch.noGrad(() => model.buffers().map((b) => b.clone()));
  const wasTraining = model.training;
  model.train();
  try {
    return fn();
  } finally {
    model.zeroGrad();
    torch.noGrad(() => model.buffers().forEach((b, i) => b.copy_(saved[i]!)));
    torch.dispose(saved);
    model.train(wasTraining);
  }
}

/** The sum of every tensor a forward pass returned (a tensor, or nested lists of them), as Ultralytics' profile. */
function sumOutputs(out: unknown): Tensor {
  if (out instanceof torch.Tensor) return out.sum();
  if (!Array.isArray(out) || out.length === 0) throw new Error('AutoBatch: the model returned no tensors to back-propagate');
  return out.map(sumOutputs).reduce((a, b) => a.add(b));
}
