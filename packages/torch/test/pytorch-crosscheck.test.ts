// Cross-check against Python PyTorch (Debian's python3-torch, the same libtorch): a set of ops, the full
// gradient of the YOLOv8n-shaped network (through its Python twin in bench/, loading our weights strictly),
// and SGD-Nesterov / AdamW trajectories with Ultralytics-style parameter groups. Data goes through a temp
// directory as raw little-endian bytes plus a JSON manifest. Skipped, with the reason, where torch is absent.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '@yolots/torch';
import { surrogateLoss, YoloV8nShaped } from '../../../bench/yolov8n-shaped.js';

const { F, optim } = torch;
type Tensor = torch.Tensor;

const PYTHON = '/usr/bin/python3';
const TWIN = fileURLToPath(new URL('../../../bench/yolov8n-shaped.py', import.meta.url));

function pythonTorchMissing(): string | false {
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} cannot run (${probe.error.message})`;
  if (probe.status !== 0) return `${PYTHON} has no torch module (install python3-torch): ${probe.stderr.trim().split('\n').at(-1)}`;
  return false;
}

const skip = pythonTorchMissing();
if (skip) console.log(`pytorch-crosscheck skipped: ${skip}`);

// The Python side: reads job.json + inputs, runs one task, writes outputs.json + outputs.
const SCRIPT = `
import importlib.util, json, os, sys
import torch
import torch.nn.functional as F

work, twin_path = sys.argv[1], sys.argv[2]
torch.set_num_threads(1)
DTYPES = {'float32': torch.float32, 'float64': torch.float64, 'int64': torch.int64, 'bool': torch.bool}
job = json.load(open(os.path.join(work, 'job.json')))

def load(entry):
    raw = bytearray(open(os.path.join(work, entry['file']), 'rb').read())
    return torch.frombuffer(raw, dtype=DTYPES[entry['dtype']]).reshape(entry['shape'])

inp = {e['name']: load(e) for e in job['inputs']}
out = {}

if job['task'] == 'ops':
    x, w = inp['x'], inp['w']
    out['conv'] = F.conv2d(x, w, inp['b'], stride=2, padding=1)
    out['batch_norm'] = F.batch_norm(x, None, None, inp['gamma'], inp['beta'], True, 0.03, 1e-3)
    out['silu'] = F.silu(x)
    out['grid_sample'] = F.grid_sample(x, inp['grid'], mode='bilinear', padding_mode='zeros', align_corners=False)
    out['bilinear'] = F.interpolate(x, size=(5, 7), mode='bilinear', align_corners=False)
    out['nearest'] = F.interpolate(x, scale_factor=2.0, mode='nearest')
    out['max_pool'] = F.max_pool2d(x, 5, 1, 2)
    out['bce'] = F.binary_cross_entropy_with_logits(inp['logits'], inp['targets'], pos_weight=inp['pos_weight'], reduction='none')
    out['softmax'] = x.softmax(1)
    out['cumsum'] = x.cumsum(3)
    out['std'] = x.std(dim=(0, 2, 3))
    out['einsum'] = torch.einsum('bchw,oc->bohw', x, inp['proj'])
    values, indices = x.flatten().topk(5)
    out['topk_values'], out['topk_indices'] = values, indices
elif job['task'] == 'convnet':
    spec = importlib.util.spec_from_file_location('yolov8n_shaped', twin_path)
    twin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(twin)
    model = twin.YoloV8nShaped()
    model.load_state_dict({k[3:]: v for k, v in inp.items() if k.startswith('sd.')}, strict=True)
    model.train()
    maps = model(inp['x'])
    loss = twin.surrogate_loss(maps)
    loss.backward()
    out['loss'] = loss
    for i, m in enumerate(maps):
        out['map%d' % i] = m
    for name, p in model.named_parameters():
        out['grad.' + name] = p.grad
    for name, b in model.named_buffers():
        out['buffer.' + name] = b
elif job['task'] == 'optim':
    for name, make in [
        ('sgd', lambda groups: torch.optim.SGD(groups, lr=0.05, momentum=0.937, nesterov=True)),
        ('adamw', lambda groups: torch.optim.AdamW(groups, lr=0.01, betas=(0.937, 0.999), weight_decay=0.0)),
    ]:
        weight = inp['w0'].clone().requires_grad_(True)
        bias = inp['b0'].clone().requires_grad_(True)
        opt = make([{'params': [weight], 'weight_decay': 5e-4 if name == 'sgd' else 0.05}, {'params': [bias], 'weight_decay': 0.0}])
        trajectory = []
        for step in range(6):
            if step == 3:
                for group in opt.param_groups:
                    group['lr'] *= 0.5
            opt.zero_grad()
            pred = inp['x'] @ weight.T + bias
            loss = ((pred - inp['y']) ** 2).mean() + 0.01 * (weight ** 4).sum()
            loss.backward()
            opt.step()
            trajectory.append(torch.cat([weight.detach().flatten(), bias.detach()]))
        out[name] = torch.stack(trajectory)

entries = []
for i, (name, t) in enumerate(out.items()):
    t = t.detach().contiguous()
    file = 'out%d.bin' % i
    with open(os.path.join(work, file), 'wb') as f:
        f.write(t.numpy().tobytes())
    entries.append({'name': name, 'dtype': str(t.dtype).replace('torch.', ''), 'shape': list(t.shape), 'file': file})
json.dump(entries, open(os.path.join(work, 'outputs.json'), 'w'))
`;

interface Entry {
  name: string;
  dtype: torch.DType;
  shape: number[];
  file: string;
}

/** Runs `task` in Python torch on `inputs`; returns its outputs by name (tensors in the current scope). */
function runPython(task: string, inputs: Map<string, Tensor>): Map<string, Tensor> {
  const work = mkdtempSync(join(tmpdir(), 'yolots-crosscheck-'));
  try {
    const entries: Entry[] = [...inputs].map(([name, t], i) => {
      const file = `in${i}.bin`;
      writeFileSync(join(work, file), torch.toBytes(t.contiguous()));
      return { name, dtype: t.dtype, shape: t.shape, file };
    });
    writeFileSync(join(work, 'job.json'), JSON.stringify({ task, inputs: entries }));
    const run = spawnSync(PYTHON, ['-c', SCRIPT, work, TWIN], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
    assert.equal(run.status, 0, `python task '${task}' failed:\n${run.stderr}`);
    const outputs = JSON.parse(readFileSync(join(work, 'outputs.json'), 'utf8')) as Entry[];
    return new Map(outputs.map((e) => [e.name, torch.fromBytes(new Uint8Array(readFileSync(join(work, e.file))), e.dtype, e.shape)]));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** max |a - b| ≤ rtol · max |b| + atol, with the worst element in the message. */
function assertMatches(name: string, actual: Tensor, expected: Tensor, rtol: number, atol = 0): void {
  assert.deepEqual(actual.shape, expected.shape, `${name}: shape`);
  assert.equal(actual.dtype, expected.dtype, `${name}: dtype`);
  torch.tidy(() => {
    const a = actual.double();
    const b = expected.double();
    const diff = a.sub(b).abs().max().item();
    const scale = b.abs().max().item();
    assert.ok(diff <= rtol * scale + atol, `${name}: max |diff| ${diff.toExponential(3)} vs max |pytorch| ${scale.toExponential(3)}`);
  });
}

describe('cross-check against Python PyTorch', { skip }, () => {
  test('ops: conv, batch norm, silu, grid sample, interpolation, pooling, BCE, softmax, reductions, einsum, topk', () =>
    torch.tidy(() => {
      torch.manualSeed(3);
      const inputs = new Map<string, Tensor>([
        ['x', torch.randn([2, 3, 8, 8])],
        ['w', torch.randn([4, 3, 3, 3])],
        ['b', torch.randn([4])],
        ['gamma', torch.rand([3])],
        ['beta', torch.randn([3])],
        ['grid', torch.rand([2, 4, 5, 2]).mul(2.4).sub(1.2)],
        ['logits', torch.randn([4, 6]).mul(3)],
        ['targets', torch.rand([4, 6])],
        ['pos_weight', torch.rand([6]).add(0.5)],
        ['proj', torch.randn([5, 3])],
      ]);
      const reference = runPython('ops', inputs);
      const get = (name: string): Tensor => inputs.get(name) as Tensor;
      const x = get('x');
      const [topValues, topIndices] = x.flatten().topk(5);
      const ours: [string, Tensor][] = [
        ['conv', F.conv2d(x, get('w'), get('b'), { stride: 2, padding: 1 })],
        ['batch_norm', F.batchNorm(x, null, null, get('gamma'), get('beta'), true, 0.03, 1e-3)],
        ['silu', F.silu(x)],
        ['grid_sample', F.gridSample(x, get('grid'), { mode: 'bilinear', paddingMode: 'zeros', alignCorners: false })],
        ['bilinear', F.interpolate(x, { size: [5, 7], mode: 'bilinear' })],
        ['nearest', F.interpolate(x, { scaleFactor: 2 })],
        ['max_pool', F.maxPool2d(x, 5, { stride: 1, padding: 2 })],
        ['bce', F.binaryCrossEntropyWithLogits(get('logits'), get('targets'), { posWeight: get('pos_weight'), reduction: 'none' })],
        ['softmax', x.softmax(1)],
        ['cumsum', x.cumsum(3)],
        ['std', x.std([0, 2, 3])],
        ['einsum', torch.einsum('bchw,oc->bohw', [x, get('proj')])],
        ['topk_values', topValues],
        ['topk_indices', topIndices],
      ];
      assert.deepEqual(
        ours.map(([name]) => name),
        [...reference.keys()],
      );
      for (const [name, value] of ours) assertMatches(name, value, reference.get(name) as Tensor, 1e-6, 1e-7);
    }));

  test('YOLOv8n-shaped network: loss, output maps, every parameter gradient and BN running stats', () => {
    torch.manualSeed(4);
    const model = new YoloV8nShaped();
    torch.tidy(() => {
      const x = torch.rand([2, 3, 64, 64]);
      const inputs = new Map<string, Tensor>([['x', x], ...[...model.stateDict()].map(([k, v]): [string, Tensor] => [`sd.${k}`, v])]);
      const reference = runPython('convnet', inputs);
      const maps = model.call(x);
      const loss = surrogateLoss(maps);
      loss.backward();
      assertMatches('loss', loss, reference.get('loss') as Tensor, 1e-5);
      maps.forEach((m, i) => {
        assertMatches(`map${i}`, m, reference.get(`map${i}`) as Tensor, 1e-4);
      });
      let checked = 0;
      for (const [name, p] of model.namedParameters()) {
        assertMatches(`grad of ${name}`, p.grad as Tensor, reference.get(`grad.${name}`) as Tensor, 5e-4, 1e-8);
        checked++;
      }
      assert.equal(checked, [...reference.keys()].filter((k) => k.startsWith('grad.')).length);
      for (const [name, b] of model.namedBuffers()) assertMatches(`buffer ${name}`, b, reference.get(`buffer.${name}`) as Tensor, 1e-4);
    });
    model.zeroGrad();
    model.dispose();
  });

  test('optimizer trajectories: SGD Nesterov and AdamW with param groups and an lr change mid-way (float64)', () =>
    torch.tidy(() => {
      torch.manualSeed(5);
      const inputs = new Map<string, Tensor>([
        ['w0', torch.randn([3, 4], { dtype: 'float64' })],
        ['b0', torch.randn([3], { dtype: 'float64' })],
        ['x', torch.randn([8, 4], { dtype: 'float64' })],
        ['y', torch.randn([8, 3], { dtype: 'float64' })],
      ]);
      const reference = runPython('optim', inputs);
      const get = (name: string): Tensor => inputs.get(name) as Tensor;
      const makers: [string, (groups: torch.optim.ParamGroupInput[]) => torch.optim.Optimizer<{ lr: number }>, number][] = [
        ['sgd', (groups) => new optim.SGD(groups, { lr: 0.05, momentum: 0.937, nesterov: true }), 5e-4],
        ['adamw', (groups) => new optim.AdamW(groups, { lr: 0.01, betas: [0.937, 0.999], weight_decay: 0 }), 0.05],
      ];
      for (const [name, make, decay] of makers) {
        const weight = get('w0').clone().requiresGrad_();
        const bias = get('b0').clone().requiresGrad_();
        const opt = make([
          { params: [weight], weight_decay: decay },
          { params: [bias], weight_decay: 0 },
        ]);
        const trajectory: Tensor[] = [];
        for (let step = 0; step < 6; step++) {
          if (step === 3) for (const group of opt.paramGroups) group.lr *= 0.5;
          opt.zeroGrad();
          torch.tidy(() => {
            const pred = get('x').matmul(weight.t()).add(bias);
            pred.sub(get('y')).pow(2).mean().add(weight.pow(4).sum().mul(0.01)).backward();
          });
          opt.step();
          trajectory.push(torch.cat([weight.detach().flatten(), bias.detach()]));
        }
        assertMatches(name, torch.stack(trajectory), reference.get(name) as Tensor, 1e-12, 1e-14);
        for (const s of opt.state.values()) for (const v of s.values()) if (typeof v !== 'number') v.dispose();
      }
    }));
});
