import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { PickleObject } from '../src/io/pickle.js';
import { loadPt, loadPtBytes, PtTensor } from '../src/io/torch-pt.js';
import { requireShared, sharedPath } from './helpers/shared.js';

const PYTHON = '/usr/bin/python3';
const MODEL_PT = sharedPath('fixtures/ultralytics/model.pt');

/**
 * Saves the same object with torch.save at pickle protocols 2, 4 and 5, plus a copy re-zipped with deflate, and writes
 * each tensor's expected contiguous bytes (hex) to expected.json.
 */
const MAKE_FILES = `
import sys, json, collections, zipfile, torch
d = sys.argv[1]
base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
tensors = {
    'transposed': base.t(),
    'narrowed': base[1:3],
    'strided': base[1:, ::2],
    'expanded': torch.tensor([1., 2., 3.]).expand(2, 3),
    'int64': torch.tensor([-1, 2**40, 3]),
    'int32': torch.tensor([-5, 7], dtype=torch.int32),
    'int16': torch.tensor([-5, 7], dtype=torch.int16),
    'int8': torch.tensor([-5, 7], dtype=torch.int8),
    'uint8': torch.arange(5, dtype=torch.uint8),
    'bool': torch.tensor([True, False, True]),
    'half': torch.tensor([1.5, -2.0, 65504.0, 6e-8], dtype=torch.float16),
    'bf16': torch.tensor([1.5, -2.0], dtype=torch.bfloat16),
    'float64': torch.tensor([0.1, -1e300], dtype=torch.float64),
    'scalar': torch.tensor(3.25),
    'empty': torch.zeros(0, 3),
    'row': base[2],
}
obj = dict(tensors)
obj['param'] = torch.nn.Parameter(torch.ones(2))
obj['frozen_param'] = torch.nn.Parameter(torch.zeros(1), requires_grad=False)
obj['nested'] = {'list': [base[0], (1, 'x')], 'od': collections.OrderedDict(k=torch.tensor([7]))}
obj['size'] = torch.Size([2, 3])
for p in (2, 4, 5):
    torch.save(obj, f'{d}/p{p}.pt', pickle_protocol=p)
with zipfile.ZipFile(f'{d}/p2.pt') as src, zipfile.ZipFile(f'{d}/deflated.pt', 'w', zipfile.ZIP_DEFLATED) as dst:
    for info in src.infolist():
        dst.writestr(info.filename, src.read(info.filename))
def raw(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16: t = t.view(torch.int16)
    return t.numpy().tobytes().hex()
expected = {k: {'dtype': str(t.dtype).replace('torch.', ''), 'shape': list(t.shape), 'hex': raw(t)} for k, t in tensors.items()}
json.dump(expected, open(f'{d}/expected.json', 'w'))
`;

interface Expected {
  dtype: string;
  shape: number[];
  hex: string;
}

function makeFiles(dir: string): string | undefined {
  const run = spawnSync(PYTHON, ['-c', MAKE_FILES, dir], { encoding: 'utf8' });
  if (run.error) return `${PYTHON} unavailable (${run.error.message})`;
  if (run.status !== 0) return `torch.save failed: ${run.stderr.trim().split('\n').pop()}`;
  return undefined;
}

const dir = mkdtempSync(join(tmpdir(), 'pt-io-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const skipReason = makeFiles(dir);
if (skipReason) console.log(`skipping torch.save cross-checks: ${skipReason}`);

describe('loadPt on files made by torch.save', { skip: skipReason }, () => {
  for (const file of ['p2.pt', 'p4.pt', 'p5.pt', 'deflated.pt']) {
    test(file, () => {
      const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, Expected>;
      const obj = loadPt(join(dir, file)) as Map<string, unknown>;
      assert.ok(obj instanceof Map);
      for (const [name, want] of Object.entries(expected)) {
        const t = obj.get(name);
        assert.ok(t instanceof PtTensor, `${name} is a tensor`);
        assert.equal(t.dtype, want.dtype, `${name} dtype`);
        assert.deepEqual(t.shape, want.shape, `${name} shape`);
        assert.equal(Buffer.from(t.data).toString('hex'), want.hex, `${name} bytes`);
        assert.equal(t.isParameter, false);
      }
      const param = obj.get('param') as PtTensor;
      assert.ok(param.isParameter && param.requiresGrad);
      assert.deepEqual([...new Float32Array(param.data.slice().buffer)], [1, 1]);
      const frozen = obj.get('frozen_param') as PtTensor;
      assert.ok(frozen.isParameter && !frozen.requiresGrad);

      const nested = obj.get('nested') as Map<string, unknown>;
      const [row0, tuple] = nested.get('list') as [PtTensor, readonly unknown[]];
      assert.deepEqual([...new Float32Array(row0.data.slice().buffer)], [0, 1, 2, 3, 4, 5]);
      assert.deepEqual(tuple, [1, 'x']);
      const od = nested.get('od') as Map<string, PtTensor>;
      assert.deepEqual([...od.keys()], ['k']);
      assert.equal(od.get('k')?.dtype, 'int64');
      assert.deepEqual(obj.get('size'), [2, 3]);
    });
  }

  test('a tensor covering its whole storage is a view; sub-ranges and strided views are copies', () => {
    const bytes = readFileSync(join(dir, 'p2.pt'));
    const obj = loadPtBytes(bytes) as Map<string, PtTensor>;
    assert.equal(obj.get('int64')!.data.buffer, bytes.buffer, 'whole storage: zero-copy');
    for (const name of ['narrowed', 'transposed', 'row']) {
      const t = obj.get(name)!;
      assert.notEqual(t.data.buffer, bytes.buffer, `${name} must own its bytes`);
      assert.equal(t.data.byteLength, t.shape.reduce((a, b) => a * b, 1) * 4);
    }
  });
});

describe('loadPt errors', () => {
  test('not a zip, a legacy pickle file, or a zip without data.pkl', () => {
    assert.throws(
      () => loadPtBytes(new Uint8Array(Buffer.from('hello world')), 'a.pt'),
      /a\.pt: not a PyTorch \.pt file \(not a zip archive\)/,
    );
    assert.throws(() => loadPtBytes(Uint8Array.from([0x80, 0x02, 0x8a, 0x0a]), 'old.pt'), /old\.pt: legacy torch\.save format/);
    assert.throws(() => loadPtBytes(new Uint8Array(Buffer.from('PK\x03\x04 cut short')), 'cut.pt'), /cut\.pt: not a zip file or truncated/);
  });

  test('real checkpoint: truncated copy and a copy whose data.pkl is renamed', {
    ...requireShared([MODEL_PT], 'the real checkpoint cases'),
  }, () => {
    const bytes = readFileSync(MODEL_PT);
    const work = mkdtempSync(join(tmpdir(), 'pt-err-'));
    try {
      const truncated = join(work, 'truncated.pt');
      writeFileSync(truncated, bytes.subarray(0, bytes.byteLength >> 1));
      assert.throws(() => loadPt(truncated), /truncated\.pt: not a zip file or truncated/);

      const renamed = Buffer.from(bytes);
      for (let at = renamed.indexOf('/data.pkl'); at >= 0; at = renamed.indexOf('/data.pkl', at + 1)) renamed.write('/data.pkX', at);
      const renamedPath = join(work, 'renamed.pt');
      writeFileSync(renamedPath, renamed);
      assert.throws(() => loadPt(renamedPath), /renamed\.pt: no <archive>\/data\.pkl in the zip/);

      const obj = loadPt(MODEL_PT) as Map<string, unknown>;
      assert.ok(obj.get('model') instanceof PickleObject);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
