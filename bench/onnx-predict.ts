// Predict latency per image at 640, batch 1, yolov8n: the model's forward (fused, eval, no grad) on libtorch (as
// TorchBackend runs it: convolutions with weights packed once for oneDNN, SiLU and shortcut adds fused in where the
// addon calls oneDNN directly; also packed but unfused, and as before packing, reordered on every call)
// vs the same model exported to ONNX (static 640, opset 17) run by onnxruntime-node, at 1 thread (what
// Ultralytics uses on a 2-core machine; its 8.2.103 `yolo predict` reports 87.6 ms inference there) and at all
// cores, and the libtorch forward under bf16 autocast (what half=True runs on CPU). Inference only (no letterbox, no NMS), as Ultralytics' "inference" figure. The input is a real
// coco8 image letterboxed to 640 when the datasets are present, else random pixels (latency does not depend on them).
// Run: node --conditions=source --import tsx bench/onnx-predict.ts [--repeats 20] [--threads 1,2]

import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { LetterBox } from '../packages/yolo/src/data/augment/letterbox.js';
import { decodeImage } from '../packages/yolo/src/data/images.js';
import { Instances } from '../packages/yolo/src/data/instances.js';
import { bf16Inference } from '../packages/yolo/src/engine/amp.js';
import { exportOnnx } from '../packages/yolo/src/engine/exporter.js';
import { type InferenceBackend, loadOnnxBackend, TorchBackend } from '../packages/yolo/src/nn/autobackend.js';
import type { DetectionPrediction } from '../packages/yolo/src/nn/modules/head.js';
import { DetectionModel } from '../packages/yolo/src/nn/tasks.js';

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1]! : fallback;
}
const repeats = Number(flag('repeats', '20'));
const threadCounts = flag('threads', `1,${torch.getNumThreads()}`).split(',').map(Number);
const ULTRALYTICS_MS = 87.6;
const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));

async function input(): Promise<{ img: Tensor; what: string }> {
  const dir = join(SHARED, 'datasets/coco8/images/val');
  if (existsSync(dir)) {
    const file = join(dir, readdirSync(dir).sort()[0]!);
    const image = await decodeImage(file);
    const sample = {
      img: image,
      cls: new Float32Array(0),
      instances: new Instances(new Float32Array(0), 'xyxy', false),
      imFile: file,
      oriShape: [image.height, image.width] as [number, number],
      resizedShape: [image.height, image.width] as [number, number],
    };
    const boxed = new LetterBox([640, 640], { auto: false }).apply(sample).img;
    const img = torch.tidy(() =>
      torch.fromTypedArray(boxed.data, [1, boxed.height, boxed.width, 3]).permute(0, 3, 1, 2).contiguous().float().div(255),
    );
    return { img, what: `${file} letterboxed to 640x640` };
  }
  return { img: torch.rand([1, 3, 640, 640]), what: 'random pixels (coco8 absent)' };
}

async function model(): Promise<{ model: DetectionModel; what: string }> {
  const weights = join(SHARED, 'fixtures/ultralytics/model.safetensors');
  const m = new DetectionModel('yolov8n.yaml', { verbose: false });
  if (!existsSync(weights)) return { model: m, what: 'yolov8n, random init' };
  const { tensors } = torch.io.loadSafetensors(weights);
  m.loadStateDict(tensors, { strict: true });
  for (const t of tensors.values()) t.dispose();
  return { model: m, what: 'yolov8n, Ultralytics fixture weights' };
}

interface Timing {
  median: number;
  mean: number;
}

function summary(ms: number[]): Timing {
  const sorted = [...ms].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, mean: ms.reduce((a, b) => a + b, 0) / ms.length };
}

/**
 * Median and mean ms per backend over `repeats` rounds after 3 warm-up rounds.
 * Times each backend in its own block of rounds. Interleaving them was unfair to libtorch: onnxruntime's intra-op
 * threads keep spinning after a run and took the cores from the libtorch run that followed (94 vs 56 ms measured).
 */
async function timeBlocks(backends: Array<Pick<InferenceBackend, 'infer'>>, img: Tensor): Promise<Timing[]> {
  const ms: number[][] = backends.map(() => []);
  for (const [k, backend] of backends.entries()) {
    for (let round = 0; round < repeats + 3; round++) {
      const start = performance.now();
      const out = await backend.infer(img);
      const elapsed = performance.now() - start;
      out.dispose();
      if (round >= 3) ms[k]?.push(elapsed);
    }
  }
  return ms.map(summary);
}

const { img, what: inputWhat } = await input();
const { model: net, what: modelWhat } = await model();
net.fuse(false).eval();
const dir = mkdtempSync(join(tmpdir(), 'yolots-bench-onnx-'));
const file = await exportOnnx(net, { imgsz: 640, opset: 17, file: join(dir, 'yolov8n.onnx') });
net.toMemoryFormat('channels_last'); // as the predictor runs it on CPU (after the export, which reads the weights)
console.log(`\n${modelWhat}; input: ${inputWhat}; ${repeats} timed rounds after 3 warm-up rounds, each backend in its own block`);
console.log(
  `load average at start: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${availableParallelism()} cores\n`,
);
/** What `half=True` runs on CPU: the same fused model under bf16 autocast, outputs back in float32. */
const bf16Backend: Pick<InferenceBackend, 'infer'> = {
  infer: async (x: Tensor) =>
    torch.noGrad(() =>
      torch.tidy(() => {
        const input = x.to({ memoryFormat: 'channels_last' });
        return bf16Inference(true, () => (net.call(input) as DetectionPrediction)[0]).contiguous();
      }),
    ),
};
/** The libtorch forward before packed convolutions: conv2d reorders every weight for oneDNN on every call. */
const eagerBackend: Pick<InferenceBackend, 'infer'> = {
  infer: async (x: Tensor) =>
    torch.noGrad(() => torch.tidy(() => (net.call(x.to({ memoryFormat: 'channels_last' })) as DetectionPrediction)[0].contiguous())),
};
/**
 * The packed path without oneDNN's fused SiLU and shortcut add (native/dnnl_conv.cc): Conv2d.forwardFused steps
 * aside for the round, so each Conv runs conv2d_run then silu_, each Bottleneck an add. Same as TorchBackend in an
 * addon built without oneDNN's headers.
 */
function unfusedBackend(backend: TorchBackend): Pick<InferenceBackend, 'infer'> {
  const proto = torch.nn.Conv2d.prototype;
  return {
    infer: async (x: Tensor) => {
      const fused = proto.forwardFused;
      proto.forwardFused = () => null;
      try {
        return await backend.infer(x);
      } finally {
        proto.forwardFused = fused;
      }
    },
  };
}
const bf16Cpu = torch.amp.cpuBf16Support();
console.log(
  `CPU bf16: AVX512-BF16 ${bf16Cpu.avx512Bf16}, AMX-BF16 ${bf16Cpu.amxBf16}; oneDNN fused SiLU/add: ${torch.nn.dnnlConvAvailable()}`,
);
console.log(
  '| threads | libtorch float32 ms (median / mean) | libtorch float32, packed, SiLU and add unfused ms | libtorch float32, weights reordered per call (before packing) ms | libtorch bf16 autocast (half=True) ms | onnxruntime float32 ms (median / mean) | libtorch float32 / onnxruntime | Ultralytics 8.2.103 (1 thread) |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const threads of threadCounts) {
  torch.setNumThreads(threads);
  const onnx = await loadOnnxBackend(file, { intraOpNumThreads: threads });
  const torchBackend = new TorchBackend(net);
  const backends = [torchBackend, unfusedBackend(torchBackend), eagerBackend, bf16Backend, onnx];
  const [lt, unfused, eager, bf, ort] = (await timeBlocks(backends, img)) as [Timing, Timing, Timing, Timing, Timing];
  await onnx.dispose();
  const ratio = (lt.median / ort.median).toFixed(2);
  console.log(
    `| ${threads} | ${lt.median.toFixed(1)} / ${lt.mean.toFixed(1)} | ${unfused.median.toFixed(1)} / ${unfused.mean.toFixed(1)} | ${eager.median.toFixed(1)} / ${eager.mean.toFixed(1)} | ${bf.median.toFixed(1)} / ${bf.mean.toFixed(1)} | ${ort.median.toFixed(1)} / ${ort.mean.toFixed(1)} | ${ratio}x | ${ULTRALYTICS_MS} ms |`,
  );
}
img.dispose();
rmSync(dir, { recursive: true, force: true });
