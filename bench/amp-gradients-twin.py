# The Python-torch side of bench/amp-gradients.ts: the same yolov8n fixture weights and batch in the PyTorch twin
# (yolov8n-shaped.py, libtorch 1.13 under Python), gradients of its surrogate loss in float32, under
# torch.autocast('cpu', dtype=torch.bfloat16), and in float32 with the weights rounded to bf16 first. It shows
# whether the size of bf16's gradient error is PyTorch's own or yolots'.
# Usage: /usr/bin/python3 bench/amp-gradients-twin.py
import importlib.util
import json
import os
import struct

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, '..', '..', 'shared', 'fixtures', 'ultralytics')
DTYPES = {'F32': np.float32, 'F16': np.float16, 'F64': np.float64, 'I64': np.int64, 'I32': np.int32, 'U8': np.uint8}


def load_safetensors(path):
    """A safetensors file's tensors (the format is a JSON header and raw little-endian data)."""
    with open(path, 'rb') as f:
        raw = f.read()
    size = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + size])
    base = 8 + size
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        start, end = info['data_offsets']
        data = np.frombuffer(raw[base + start:base + end], dtype=DTYPES[info['dtype']]).reshape(info['shape'])
        out[name] = torch.from_numpy(data.copy())
    return out


spec = importlib.util.spec_from_file_location('yolov8n_shaped', os.path.join(HERE, 'yolov8n-shaped.py'))
twin = importlib.util.module_from_spec(spec)
spec.loader.exec_module(twin)
torch.set_num_threads(2)
# The twin's head stops at the raw maps: it has no DFL layer (whose fixed weights need no gradient).
state = {k: v for k, v in load_safetensors(os.path.join(FIXTURES, 'model.safetensors')).items() if '.dfl.' not in k}
img = load_safetensors(os.path.join(FIXTURES, 'batch.safetensors'))['img'].float()


def gradients(bf16=False, round_weights=False):
    model = twin.YoloV8nShaped()
    model.load_state_dict(state, strict=True)
    model.train()
    if round_weights:
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.bfloat16().float())
    if bf16:
        with torch.autocast('cpu', dtype=torch.bfloat16):
            maps = model(img)
    else:
        maps = model(img)
    twin.surrogate_loss([m.float() for m in maps]).backward()
    return {k: p.grad.clone() for k, p in model.named_parameters()}


def relative_error(base, other):
    diff = sum((other[k] - g).pow(2).sum().item() for k, g in base.items())
    norm = sum(g.pow(2).sum().item() for g in base.values())
    return (diff / norm) ** 0.5


fp32 = gradients()
print('PyTorch twin, yolov8n fixture weights and batch at 640, surrogate loss; relative gradient error against float32:')
print(f'  bf16 autocast (torch.autocast)       {relative_error(fp32, gradients(bf16=True)):.2e}')
print(f'  float32, weights rounded to bf16     {relative_error(fp32, gradients(round_weights=True)):.2e}')
