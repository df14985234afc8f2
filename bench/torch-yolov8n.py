# Python side of bench/torch-yolov8n.ts: times the YOLOv8n-shaped network (yolov8n-shaped.py, the twin of the
# TypeScript one) in PyTorch for one size and memory layout, and prints one JSON line of results.
# Usage: /usr/bin/python3 bench/torch-yolov8n.py SIZE contiguous|channels_last WARMUP ITERS THREADS BATCH [fp32|bf16]
# bf16: the forward (and the surrogate loss) inside torch.autocast('cpu', dtype=torch.bfloat16), backward outside.
import importlib.util
import json
import os
import resource
import sys
import contextlib
import time

import torch

size, layout, warmup, iters, threads, batch = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7])
size = int(size)
precision = sys.argv[7] if len(sys.argv) > 7 else 'fp32'
region = (lambda: torch.autocast('cpu', dtype=torch.bfloat16)) if precision == 'bf16' else contextlib.nullcontext
torch.set_num_threads(threads)
rss_at_start_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

spec = importlib.util.spec_from_file_location('yolov8n_shaped', os.path.join(os.path.dirname(__file__), 'yolov8n-shaped.py'))
twin = importlib.util.module_from_spec(spec)
spec.loader.exec_module(twin)

torch.manual_seed(0)
model = twin.YoloV8nShaped().train()
x = torch.rand(batch, 3, size, size)
if layout == 'channels_last':
    model = model.to(memory_format=torch.channels_last)
    x = x.contiguous(memory_format=torch.channels_last)


def train_step():
    model.zero_grad(set_to_none=True)
    with region():
        loss = twin.surrogate_loss(model(x))
    loss.backward()


def train_forward():
    with region():
        model(x)


def inference():
    with torch.no_grad(), region():
        model(x)


def timed(fn, n):
    seconds = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return seconds


for _ in range(warmup):
    train_step()
fwd_bwd = timed(train_step, iters)
fwd = timed(train_forward, iters)
model.eval()
inference()
infer = timed(inference, iters)

print(json.dumps({
    'fwd': fwd,
    'infer': infer,
    'fwdBwd': fwd_bwd,
    'peakRssMiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    'startRssMiB': rss_at_start_kib / 1024,
    'threads': torch.get_num_threads(),
    'version': torch.__version__,
}))
