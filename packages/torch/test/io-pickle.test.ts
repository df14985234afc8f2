import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { PickleGlobal, PickleObject, PickleSlice, unpickle } from '../src/io/pickle.js';

const PYTHON = '/usr/bin/python3';

/** Pickles of one Python value for protocols 0–5, made by CPython's own pickler. */
const PY_VALUE = `
import pickle, sys, os, collections, json
class Point:
    def __init__(self): self.x, self.y = 1, 2
class Evil:
    def __reduce__(self): return (os.system, ('echo pwned',))
shared = [9]
value = {
    'int': 7, 'neg': -300, 'i32': 2**31 - 1, 'big': 2**70, 'negbig': -(2**63), 'float': 2.5, 'inf': float('inf'),
    'str': 'h\\u00e9llo\\n"q" \\U0001F600', 'bytes': b'\\x00\\xffab', 'ba': bytearray(b'xy'), 'none': None, 't': True, 'f': False,
    'tuple': (1, 'a'), 'empty_tuple': (), 'long_tuple': (1, 2, 3, 4, 5), 'list': [1, [2, 3]], 'set': {1, 2},
    'frozen': frozenset({'z'}), 'od': collections.OrderedDict([('b', 1), ('a', 2)]), 'slice': slice(1, 10, 2),
    3: 'intkey', 'shared': shared, 'shared2': shared, 'point': Point(), 'evil': Evil(),
}
print(json.dumps({p: pickle.dumps(value, protocol=p).hex() for p in range(6)}))
`;

function pythonPickles(): Record<string, string> | string {
  const run = spawnSync(PYTHON, ['-c', PY_VALUE], { encoding: 'utf8' });
  if (run.error || run.status !== 0) return `${PYTHON} unavailable (${run.error?.message ?? run.stderr.trim()})`;
  return JSON.parse(run.stdout) as Record<string, string>;
}

const pickles = pythonPickles();
if (typeof pickles === 'string') console.log(`skipping CPython cross-check: ${pickles}`);

describe('pickle VM on CPython pickles', { skip: typeof pickles === 'string' }, () => {
  for (const protocol of ['0', '1', '2', '3', '4', '5']) {
    test(`protocol ${protocol}`, () => {
      const bytes = Buffer.from((pickles as Record<string, string>)[protocol]!, 'hex');
      const v = unpickle(bytes) as Map<unknown, unknown>;
      assert.ok(v instanceof Map);
      assert.equal(v.get('int'), 7);
      assert.equal(v.get('neg'), -300);
      assert.equal(v.get('i32'), 2 ** 31 - 1);
      assert.equal(v.get('big'), 2n ** 70n);
      assert.equal(v.get('negbig'), -(2n ** 63n));
      assert.equal(v.get('float'), 2.5);
      assert.equal(v.get('inf'), Number.POSITIVE_INFINITY);
      assert.equal(v.get('str'), 'héllo\n"q" 😀');
      assert.deepEqual(v.get('bytes'), Uint8Array.from([0, 255, 97, 98]));
      assert.deepEqual(v.get('ba'), Uint8Array.from([120, 121]));
      assert.equal(v.get('none'), null);
      assert.equal(v.get('t'), true);
      assert.equal(v.get('f'), false);
      assert.deepEqual(v.get('tuple'), [1, 'a']);
      assert.ok(Object.isFrozen(v.get('tuple')), 'tuples are frozen');
      assert.deepEqual(v.get('empty_tuple'), []);
      assert.deepEqual(v.get('long_tuple'), [1, 2, 3, 4, 5]);
      assert.deepEqual(v.get('list'), [1, [2, 3]]);
      assert.ok(!Object.isFrozen(v.get('list')), 'lists are not frozen');
      assert.deepEqual(v.get('set'), new Set([1, 2]));
      assert.deepEqual(v.get('frozen'), new Set(['z']));
      assert.deepEqual(
        [...(v.get('od') as Map<string, number>)],
        [
          ['b', 1],
          ['a', 2],
        ],
      );
      assert.deepEqual(v.get('slice'), new PickleSlice(1, 10, 2));
      assert.equal(v.get(3), 'intkey');
      assert.equal(v.get('shared'), v.get('shared2'), 'memoised objects keep their identity');

      const point = v.get('point') as PickleObject;
      assert.ok(point instanceof PickleObject);
      assert.equal(point.className, '__main__.Point');
      assert.deepEqual(
        point.state,
        new Map([
          ['x', 1],
          ['y', 2],
        ]),
      );

      // The call is recorded, never made.
      const evil = v.get('evil') as PickleObject;
      assert.ok(evil instanceof PickleObject);
      assert.match(evil.className, /^(posix|nt)\.system$/);
      assert.deepEqual(evil.args, ['echo pwned']);
    });
  }
});

describe('pickle VM on hand-made opcodes', () => {
  const bytes = (...parts: (number | string)[]): Uint8Array =>
    Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : [p])));

  test('GLOBAL + NEWOBJ + BUILD on an unknown class gives an inert object with its state', () => {
    // \x80\x02 c"ultralytics.nn.tasks\nDetectionModel\n" ) \x81 } X"k" K7 s b .
    const data = bytes(0x80, 2, 'cultralytics.nn.tasks\nDetectionModel\n', ')', 0x81, '}', 'X', 1, 0, 0, 0, 'k', 'K', 7, 's', 'b', '.');
    const obj = unpickle(data) as PickleObject;
    assert.equal(obj.className, 'ultralytics.nn.tasks.DetectionModel');
    assert.deepEqual(obj.args, []);
    assert.deepEqual(obj.state, new Map([['k', 7]]));
  });

  test('Python 2 module names are mapped, and a global itself stays inert', () => {
    const g = unpickle(bytes(0x80, 2, 'c__builtin__\neval\n', '.')) as PickleGlobal;
    assert.ok(g instanceof PickleGlobal);
    assert.equal(g.path, 'builtins.eval');
  });

  test('caller reducers build values; persistent ids go to persistentLoad', () => {
    const data = bytes(0x80, 2, 'cmy\nthing\n', 'K', 5, 0x85, 'R', 'X', 3, 0, 0, 0, 'pid', 'Q', 0x86, '.');
    const out = unpickle(data, {
      reducers: new Map([['my.thing', (args: readonly unknown[]) => ({ built: args[0] })]]),
      persistentLoad: (pid) => `loaded:${String(pid)}`,
    });
    assert.deepEqual(out, [{ built: 5 }, 'loaded:pid']);
  });

  test('STACK_GLOBAL, MEMOIZE, FRAME, SHORT_BINUNICODE, EMPTY_SET/ADDITEMS (protocol 4)', () => {
    const data = bytes(
      0x80,
      4,
      0x95,
      20,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0x8c,
      1,
      'm',
      0x94,
      0x8c,
      1,
      'n',
      0x94,
      0x93,
      0x94,
      0x8f,
      '(',
      'K',
      1,
      'K',
      2,
      0x90,
      0x86,
      '.',
    );
    const [g, s] = unpickle(data) as [PickleGlobal, Set<number>];
    assert.equal(g.path, 'm.n');
    assert.deepEqual(s, new Set([1, 2]));
  });

  test('unsupported and unknown opcodes are named with their offset', () => {
    assert.throws(
      () => unpickle(bytes(0x80, 2, 0x82, 1, '.'), { source: 'f.pkl' }),
      /f\.pkl: pickle opcode EXT1 at offset 2: the copyreg extension registry is not supported/,
    );
    assert.throws(() => unpickle(bytes(0x80, 5, 0x97, '.')), /NEXT_BUFFER at offset 2: out-of-band buffers/);
    assert.throws(() => unpickle(bytes(0x80, 2, 0xff)), /unknown pickle opcode 0xff at offset 2/);
    assert.throws(() => unpickle(bytes(0x80, 9)), /protocol 9 is newer than 5/);
  });

  test('truncated and malformed data fail clearly', () => {
    assert.throws(() => unpickle(bytes(0x80, 2, 'X', 10, 0, 0, 0, 'ab')), /BINUNICODE at offset 2: needs 10 more bytes but the data ends/);
    assert.throws(() => unpickle(bytes(0x80, 2, 'N')), /data ends without a STOP opcode/);
    assert.throws(() => unpickle(bytes(0x80, 2, '0', '.')), /POP at offset 2: stack underflow/);
    assert.throws(() => unpickle(bytes(0x80, 2, 'h', 4, '.')), /BINGET at offset 2: memo key 4 was never stored/);
    assert.throws(() => unpickle(bytes(0x80, 2, 'K', 1, 'K', 2, 'R', '.')), /REDUCE at offset 6: arguments must be a tuple/);
    assert.throws(() => unpickle(bytes(0x80, 2, 'Q', '.')), /BINPERSID at offset 2: stack underflow/);
    assert.throws(() => unpickle(bytes(0x80, 2, 'N', 'Q', '.')), /persistent ids need a persistentLoad handler/);
    assert.throws(() => unpickle(new Uint8Array(0)), /empty pickle data/);
  });
});
