import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  parseSafetensors,
  type RawTensor,
  readSafetensorsFile,
  serializeSafetensors,
  writeSafetensorsFile,
} from '../src/io/safetensors-format.js';
import { requireShared, sharedPath } from './helpers/shared.js';

const FIXTURES = sharedPath('fixtures/ultralytics/');
const gate = requireShared([FIXTURES], 'safetensors fixture tests');

const f32 = (...values: number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);
const ascii = (text: string): number[] => [...Buffer.from(text, 'latin1')];
const u64le = (n: number): number[] => [n, 0, 0, 0, 0, 0, 0, 0];

/** A file built by hand: header length, header text as given, then data. */
function handMade(header: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = Buffer.from(header, 'utf8');
  return Uint8Array.from([...u64le(json.byteLength), ...json, ...data]);
}

describe('safetensors fixtures', gate, () => {
  test('every fixture parses, with the shapes and metadata the README gives', () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.safetensors'));
    assert.ok(files.length >= 7, `found only ${files.length} fixtures`);
    const parsed = new Map(files.map((f) => [f, readSafetensorsFile(join(FIXTURES, f))]));
    for (const [file, { tensors }] of parsed) assert.ok(tensors.size > 0, `${file} has no tensors`);
    const forward = parsed.get('forward.safetensors')!.tensors;
    assert.deepEqual(forward.get('eval')?.shape, [2, 84, 2100]);
    assert.deepEqual(forward.get('train_p4')?.shape, [2, 144, 20, 20]);

    const model = parsed.get('model.safetensors')!;
    assert.deepEqual(Object.keys(model.metadata).sort(), ['names', 'nc', 'stride', 'yaml']);
    assert.equal(JSON.parse(model.metadata.nc!), 80);
    assert.deepEqual(JSON.parse(model.metadata.stride!), [8, 16, 32]);
    assert.deepEqual(model.tensors.get('model.0.conv.weight')?.shape, [16, 3, 3, 3]);
    assert.equal(model.tensors.get('model.0.bn.num_batches_tracked')?.dtype, 'int64');
    assert.deepEqual(model.tensors.get('model.0.bn.num_batches_tracked')?.shape, []);

    const batch = parsed.get('batch.safetensors')!;
    assert.equal(batch.tensors.get('img_uint8')?.dtype, 'uint8');
    assert.deepEqual(batch.tensors.get('img_uint8')?.shape, [2, 3, 320, 320]);
    assert.ok('im_file' in batch.metadata);

    const loss = parsed.get('loss.safetensors')!.tensors.get('loss')!;
    assert.deepEqual(loss.shape, []);
    assert.ok(Math.abs(new Float32Array(loss.data.slice().buffer)[0]! - 24.064390182495117) < 1e-6);
  });

  test('tensor data are views into the file buffer (zero-copy)', () => {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'nms_input.safetensors')));
    const pred = parseSafetensors(bytes).tensors.get('pred')!;
    assert.equal(pred.data.buffer, bytes.buffer);
    assert.equal(pred.data.byteLength, 2 * 9 * 600 * 4);
  });

  test('round trip: parse → serialize → parse keeps names, dtypes, shapes, bytes and metadata; serialize is stable', () => {
    const original = readSafetensorsFile(join(FIXTURES, 'batch.safetensors'));
    const bytes = serializeSafetensors(original.tensors, original.metadata);
    const again = parseSafetensors(bytes);
    assert.deepEqual(again.metadata, original.metadata);
    assert.deepEqual([...again.tensors.keys()].sort(), [...original.tensors.keys()].sort());
    for (const [name, t] of original.tensors) {
      const u = again.tensors.get(name)!;
      assert.equal(u.dtype, t.dtype);
      assert.deepEqual(u.shape, t.shape);
      assert.ok(Buffer.from(u.data).equals(Buffer.from(t.data)), name);
    }
    assert.ok(Buffer.from(serializeSafetensors(again.tensors, again.metadata)).equals(Buffer.from(bytes)));
  });
});

describe('safetensors layout matches the reference writer', () => {
  // Byte vectors from huggingface/safetensors' own tests (safetensors/src/tensor.rs: test_serialization, test_empty,
  // test_serialization_forced_alignement).
  test('one F32 tensor, header exactly 64 bytes', () => {
    const out = serializeSafetensors([['attn.0', { dtype: 'float32', shape: [1, 2, 3], data: f32(0, 1, 2, 3, 4, 5) }]]);
    assert.deepEqual(
      [...out],
      [
        64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34,
        44, 34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116, 115,
        34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
      ],
    );
  });

  test('header padded with spaces to a multiple of 8', () => {
    const out = serializeSafetensors([['attn0', { dtype: 'float32', shape: [1, 1, 2, 3], data: f32(0, 1, 2, 3, 4, 5) }]]);
    assert.deepEqual([...out.subarray(0, 8)], u64le(72));
    assert.equal(
      Buffer.from(out.subarray(8, 80)).toString(),
      `${'{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}'}       `,
    );
    assert.deepEqual([...out.subarray(80)], [...f32(0, 1, 2, 3, 4, 5)]);
  });

  test('empty file, without and with metadata', () => {
    assert.deepEqual([...serializeSafetensors([])], [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    assert.deepEqual(
      [...serializeSafetensors([], { framework: 'pt' })],
      [...u64le(40), ...ascii('{"__metadata__":{"framework":"pt"}}     ')],
    );
    assert.deepEqual(parseSafetensors(serializeSafetensors([], { framework: 'pt' })).metadata, { framework: 'pt' });
  });

  test('tensors are laid out by descending dtype rank (I64 before F64 before F32 … BOOL), then by name', () => {
    const t = (dtype: RawTensor['dtype'], bytes: number): RawTensor => ({ dtype, shape: [bytes], data: new Uint8Array(bytes) });
    const out = serializeSafetensors([
      ['b', t('bool', 1)],
      ['z', t('int64', 0)],
      ['a.10', t('float16', 0)],
      ['a.9', t('float16', 0)],
      ['a', t('float64', 0)],
      ['u', t('uint8', 1)],
      ['bf', t('bfloat16', 0)],
      ['c', t('float32', 0)],
      ['i8', t('int8', 1)],
      ['i32', t('int32', 0)],
      ['i16', t('int16', 0)],
      ['0', t('float32', 0)],
    ]);
    const header = JSON.parse(Buffer.from(out.subarray(8, 8 + Number(new DataView(out.buffer).getBigUint64(0, true)))).toString());
    // Key order of the JSON text is the data order; read it from the text since JS objects list "0" first.
    const text = Buffer.from(out).toString('latin1');
    const order = [...text.matchAll(/"([^"]+)":\{"dtype"/g)].map((m) => m[1]);
    assert.deepEqual(order, ['z', 'a', '0', 'c', 'i32', 'bf', 'a.10', 'a.9', 'i16', 'i8', 'u', 'b']);
    assert.deepEqual(header.b.data_offsets, [2, 3]);
    assert.deepEqual(header.u.data_offsets, [1, 2]);
    assert.deepEqual(header.i8.data_offsets, [0, 1]);
  });

  test('names sort by UTF-8 bytes like Rust, not by UTF-16 code units', () => {
    // U+FF5E is one UTF-16 unit above the surrogate U+D83D of U+1F600, but below it in UTF-8 byte order.
    const t: RawTensor = { dtype: 'uint8', shape: [1], data: new Uint8Array(1) };
    const text = Buffer.from(
      serializeSafetensors([
        ['😀', t],
        ['～', t],
      ]),
    ).toString('utf8');
    assert.ok(text.indexOf('～') < text.indexOf('😀'));
  });

  test('metadata {} is written as an empty __metadata__, undefined writes none', () => {
    assert.match(Buffer.from(serializeSafetensors([], {})).toString(), /^.{8}\{"__metadata__":\{\}\} *$/s);
    assert.doesNotMatch(Buffer.from(serializeSafetensors([])).toString(), /__metadata__/);
  });

  test('python safetensors cross-check', () => {
    const probe = spawnSync('/usr/bin/python3', ['-c', 'import safetensors'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      console.log(
        'skipping python cross-check: /usr/bin/python3 has no safetensors module (byte layout checked against the reference test vectors above)',
      );
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'st-py-'));
    try {
      const py = `
import sys, torch
from safetensors.torch import save_file
save_file({"w": torch.arange(6, dtype=torch.float32).reshape(2, 3), "n": torch.tensor(5), "h": torch.ones(3, dtype=torch.float16), "m": torch.tensor([True])}, sys.argv[1], metadata={"k": "v"})`;
      const run = spawnSync('/usr/bin/python3', ['-c', py, join(dir, 'py.safetensors')], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      const theirs = readFileSync(join(dir, 'py.safetensors'));
      const parsed = parseSafetensors(new Uint8Array(theirs));
      assert.ok(Buffer.from(serializeSafetensors(parsed.tensors, parsed.metadata)).equals(theirs));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('safetensors validation', () => {
  const ok = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[2],"data_offsets":[8,10]}}';

  test('a well-formed hand-made file parses', () => {
    const { tensors } = parseSafetensors(handMade(ok, new Uint8Array(10)));
    assert.deepEqual([...tensors.keys()].sort(), ['a', 'b']);
  });

  const cases: [string, Uint8Array, RegExp][] = [
    ['too short', new Uint8Array(5), /too short/],
    ['header length past the end', Uint8Array.from([...u64le(200), ...ascii('{}')]), /header length 200 runs past the end/],
    ['header over 100 MB', Uint8Array.from([0, 0, 0, 0, 1, 0, 0, 0, 0, 0]), /exceeds/],
    ['not JSON', handMade('{"a":', new Uint8Array(0)), /not valid JSON/],
    [
      'unknown dtype',
      handMade('{"q":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}', new Uint8Array(8)),
      /tensor "q" has unsupported dtype "C64"/,
    ],
    [
      'overlap',
      handMade(
        '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[2],"data_offsets":[6,8]}}',
        new Uint8Array(8),
      ),
      /tensor "b" .*overlaps/,
    ],
    [
      'gap',
      handMade(
        '{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}}',
        new Uint8Array(6),
      ),
      /tensor "b" .*gap/,
    ],
    [
      'shape × dtype ≠ byte range',
      handMade('{"a":{"dtype":"F16","shape":[3],"data_offsets":[0,8]}}', new Uint8Array(8)),
      /tensor "a" spans 8 bytes but shape \[3\] of F16 needs 6/,
    ],
    ['offsets out of range (file truncated)', handMade(ok, new Uint8Array(9)), /cover 10 data bytes but the file holds 9.*truncated/],
    ['trailing bytes', handMade(ok, new Uint8Array(11)), /cover 10 data bytes but the file holds 11/],
    ['end before start', handMade('{"a":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}'), /tensor "a" has invalid data_offsets/],
    ['negative shape', handMade('{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}'), /tensor "a" has an invalid shape/],
    ['metadata value not a string', handMade('{"__metadata__":{"epoch":3}}'), /__metadata__ value of "epoch" is not a string/],
  ];
  for (const [name, bytes, message] of cases) {
    test(`rejects: ${name}`, () => assert.throws(() => parseSafetensors(bytes, 'x.safetensors'), message));
  }

  test('serialize rejects data whose size does not match shape × dtype, and reserved or duplicate names', () => {
    assert.throws(
      () => serializeSafetensors([['w', { dtype: 'float32', shape: [3], data: new Uint8Array(8) }]]),
      /tensor "w" holds 8 bytes but shape \[3\] of float32 needs 12/,
    );
    assert.throws(() => serializeSafetensors([['__metadata__', { dtype: 'uint8', shape: [0], data: new Uint8Array(0) }]]), /reserved/);
    const t: RawTensor = { dtype: 'uint8', shape: [0], data: new Uint8Array(0) };
    assert.throws(
      () =>
        serializeSafetensors([
          ['a', t],
          ['a', t],
        ]),
      /given twice/,
    );
  });
});

describe('safetensors files', () => {
  test('write then read back; overwrite is atomic and leaves no temporary file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'st-io-'));
    try {
      const path = join(dir, 'w.safetensors');
      writeSafetensorsFile(path, [['x', { dtype: 'float32', shape: [2], data: f32(1, 2) }]], { epoch: '1' });
      writeSafetensorsFile(path, [['x', { dtype: 'float32', shape: [3], data: f32(4, 5, 6) }]], { epoch: '2' });
      const { tensors, metadata } = readSafetensorsFile(path);
      assert.deepEqual(metadata, { epoch: '2' });
      assert.deepEqual([...new Float32Array(tensors.get('x')!.data.slice().buffer)], [4, 5, 6]);
      assert.deepEqual(readdirSync(dir), ['w.safetensors']);
      assert.throws(() => writeSafetensorsFile(path, [['y', { dtype: 'int64', shape: [1], data: new Uint8Array(4) }]]), /needs 8/);
      assert.deepEqual(readSafetensorsFile(path).metadata, { epoch: '2' }, 'failed write must keep the old file');
      assert.deepEqual(readdirSync(dir), ['w.safetensors']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a truncated file fails before its data are read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'st-trunc-'));
    try {
      const path = join(dir, 't.safetensors');
      const bytes = serializeSafetensors([['x', { dtype: 'float32', shape: [100], data: new Uint8Array(400) }]]);
      writeFileSync(path, bytes.subarray(0, bytes.byteLength - 10));
      assert.throws(() => readSafetensorsFile(path), /t\.safetensors: tensors cover 400 data bytes but the file holds 390.*truncated/);
      writeFileSync(path, bytes.subarray(0, 20));
      assert.throws(() => readSafetensorsFile(path), /header length \d+ runs past the end/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a writer killed mid-write leaves a complete file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'st-kill-'));
    try {
      const path = join(dir, 'ckpt.safetensors');
      const script = join(dir, 'writer.ts');
      const moduleUrl = new URL('../src/io/safetensors-format.ts', import.meta.url).href;
      // 16 MB per write, so that most of the loop's time is spent writing and the kill lands mid-write.
      writeFileSync(
        script,
        `
import { writeSafetensorsFile } from ${JSON.stringify(moduleUrl)};
const data = new Uint8Array(16 << 20);
for (let i = 0; ; i++) {
  data.fill(i & 0xff);
  writeSafetensorsFile(${JSON.stringify(path)}, [['w', { dtype: 'uint8', shape: [data.byteLength], data }]], { i: String(i) });
  process.stdout.write('.');
}`,
      );
      const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let written = 0;
      await new Promise<void>((resolve, reject) => {
        child.on('error', reject);
        child.on('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
        child.stdout.on('data', (chunk: Buffer) => {
          written += chunk.byteLength;
          if (written >= 3) resolve();
        });
      });
      child.removeAllListeners('exit');
      await new Promise((r) => setTimeout(r, 37));
      child.kill('SIGKILL');
      await new Promise((r) => child.on('exit', r));
      console.log(
        `writer killed ${readdirSync(dir).some((f) => f.endsWith('.tmp')) ? 'mid-write (temporary file left)' : 'between writes'}`,
      );
      const { tensors, metadata } = readSafetensorsFile(path);
      const data = tensors.get('w')!.data;
      const fill = Number(metadata.i) & 0xff;
      assert.ok(
        data.every((b) => b === fill),
        'file content must belong to one complete write',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
