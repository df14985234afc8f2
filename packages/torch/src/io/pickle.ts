/**
 * A pickle virtual machine (protocols 0 to 5) that never runs code. Classes and functions named by the pickle stay
 * inert `PickleGlobal`s; calling one (REDUCE, NEWOBJ, INST, OBJ) builds a `PickleObject` recording the class and
 * arguments, unless a reducer given by the caller (or one of the few safe built-in ones) knows what to build.
 *
 * Python values come back as: None → null, bool → boolean, int → number (bigint beyond 2^53), float → number,
 * str → string, bytes/bytearray → Uint8Array, list → array, tuple → frozen array, dict/OrderedDict → Map,
 * set/frozenset → Set, slice → PickleSlice.
 */

/** A class or function the pickle names (GLOBAL, STACK_GLOBAL, INST); never resolved to code. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}

  /** Dotted path, e.g. `torch.nn.modules.conv.Conv2d`. */
  get path(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An instance of a class the VM does not build: what Python would pass to its constructor and `__setstate__`. */
export class PickleObject {
  /** The state given by BUILD (for most classes the instance `__dict__`, as a Map); undefined if none. */
  state: unknown = undefined;
  /** Items added by SETITEM(S), for instances of dict subclasses. */
  dictItems: Map<unknown, unknown> | undefined;
  /** Items added by APPEND(S), for instances of list subclasses. */
  listItems: unknown[] | undefined;

  constructor(
    /** Dotted class path, e.g. `ultralytics.nn.tasks.DetectionModel`. */
    readonly className: string,
    readonly args: readonly unknown[],
    readonly kwargs?: ReadonlyMap<unknown, unknown>,
  ) {}
}

/** Python's `slice(start, stop, step)`. */
export class PickleSlice {
  constructor(
    readonly start: unknown,
    readonly stop: unknown,
    readonly step: unknown,
  ) {}
}

/** Builds the value of `callable(*args)` for one class or function; `offset` locates the call for error messages. */
export type PickleReducer = (args: readonly unknown[], offset: number) => unknown;

export interface UnpickleOptions {
  /** Reducers by dotted path (`module.name`), tried before the built-in ones. */
  reducers?: ReadonlyMap<string, PickleReducer>;
  /** Resolves persistent ids (PERSID, BINPERSID); without it they are an error. */
  persistentLoad?: (pid: unknown, offset: number) => unknown;
  /** Names the data in error messages (e.g. the file path). */
  source?: string;
}

/** Python 2 module names that protocol ≤ 2 pickles use for Python 3 built-ins. */
const PY2_MODULES: ReadonlyMap<string, string> = new Map([
  ['__builtin__', 'builtins'],
  ['copy_reg', 'copyreg'],
  ['exceptions', 'builtins'],
]);

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: true });

function encodeString(text: string, encoding: string, offset: number): Uint8Array {
  const enc = encoding.toLowerCase().replace('_', '-');
  if (enc === 'latin1' || enc === 'latin-1' || enc === 'iso-8859-1') {
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > 0xff) throw new Error(`_codecs.encode at offset ${offset}: character U+${c.toString(16)} is not latin-1`);
      out[i] = c;
    }
    return out;
  }
  if (enc === 'utf-8' || enc === 'utf8') return new TextEncoder().encode(text);
  throw new Error(`_codecs.encode at offset ${offset}: unsupported encoding "${encoding}"`);
}

function toBytes(args: readonly unknown[], offset: number, what: string): Uint8Array {
  const [value, encoding] = args;
  if (value === undefined) return new Uint8Array(0);
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (typeof value === 'string') return encodeString(value, typeof encoding === 'string' ? encoding : 'utf-8', offset);
  if (Array.isArray(value) && value.every((b) => typeof b === 'number' && b >= 0 && b <= 255)) return Uint8Array.from(value);
  throw new Error(`${what} at offset ${offset}: cannot build bytes from ${describePickled(value)}`);
}

function toSet(args: readonly unknown[], offset: number): Set<unknown> {
  const [items] = args;
  if (items === undefined) return new Set();
  if (Array.isArray(items)) return new Set(items);
  if (items instanceof Set) return new Set(items);
  throw new Error(`set at offset ${offset}: cannot build a set from ${describePickled(items)}`);
}

function toMap(args: readonly unknown[], offset: number): Map<unknown, unknown> {
  const [items] = args;
  if (items === undefined) return new Map();
  if (items instanceof Map) return new Map(items);
  if (Array.isArray(items) && items.every((p) => Array.isArray(p) && p.length === 2)) return new Map(items as [unknown, unknown][]);
  throw new Error(`dict at offset ${offset}: cannot build a dict from ${describePickled(items)}`);
}

/** The built-ins torch checkpoints use, all of them pure data constructors. */
const BUILTIN_REDUCERS: ReadonlyMap<string, PickleReducer> = new Map<string, PickleReducer>([
  ['collections.OrderedDict', toMap],
  ['builtins.dict', toMap],
  ['builtins.set', toSet],
  ['builtins.frozenset', toSet],
  ['builtins.slice', (args) => new PickleSlice(args[0] ?? null, args[1] ?? null, args[2] ?? null)],
  ['builtins.bytes', (args, offset) => toBytes(args, offset, 'bytes')],
  ['builtins.bytearray', (args, offset) => toBytes(args, offset, 'bytearray')],
  ['_codecs.encode', (args, offset) => toBytes(args, offset, '_codecs.encode')],
  // Protocols 0 and 1 pickle plain objects as `_reconstructor(cls, base, state)`: an instance of `cls`, state to follow.
  [
    'copyreg._reconstructor',
    ([cls, base, state], offset) => {
      if (!(cls instanceof PickleGlobal))
        throw new Error(`copyreg._reconstructor at offset ${offset}: ${describePickled(cls)} is not a class`);
      const isPlainObject = base instanceof PickleGlobal && base.path === 'builtins.object';
      return new PickleObject(cls.path, isPlainObject || state === null ? [] : [state]);
    },
  ],
]);

/** Opcode names by byte, for messages. */
const OPCODE_NAMES: Readonly<Record<number, string>> = {
  0x28: 'MARK',
  0x2e: 'STOP',
  0x30: 'POP',
  0x31: 'POP_MARK',
  0x32: 'DUP',
  0x46: 'FLOAT',
  0x49: 'INT',
  0x4a: 'BININT',
  0x4b: 'BININT1',
  0x4c: 'LONG',
  0x4d: 'BININT2',
  0x4e: 'NONE',
  0x50: 'PERSID',
  0x51: 'BINPERSID',
  0x52: 'REDUCE',
  0x53: 'STRING',
  0x54: 'BINSTRING',
  0x55: 'SHORT_BINSTRING',
  0x56: 'UNICODE',
  0x58: 'BINUNICODE',
  0x61: 'APPEND',
  0x62: 'BUILD',
  0x63: 'GLOBAL',
  0x64: 'DICT',
  0x7d: 'EMPTY_DICT',
  0x65: 'APPENDS',
  0x67: 'GET',
  0x68: 'BINGET',
  0x69: 'INST',
  0x6a: 'LONG_BINGET',
  0x6c: 'LIST',
  0x5d: 'EMPTY_LIST',
  0x6f: 'OBJ',
  0x70: 'PUT',
  0x71: 'BINPUT',
  0x72: 'LONG_BINPUT',
  0x73: 'SETITEM',
  0x74: 'TUPLE',
  0x29: 'EMPTY_TUPLE',
  0x75: 'SETITEMS',
  0x47: 'BINFLOAT',
  0x80: 'PROTO',
  0x81: 'NEWOBJ',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x85: 'TUPLE1',
  0x86: 'TUPLE2',
  0x87: 'TUPLE3',
  0x88: 'NEWTRUE',
  0x89: 'NEWFALSE',
  0x8a: 'LONG1',
  0x8b: 'LONG4',
  0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES',
  0x8c: 'SHORT_BINUNICODE',
  0x8d: 'BINUNICODE8',
  0x8e: 'BINBYTES8',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
  0x92: 'NEWOBJ_EX',
  0x93: 'STACK_GLOBAL',
  0x94: 'MEMOIZE',
  0x95: 'FRAME',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

/** A short description of a value's Python type, for error messages. */
export function describePickled(value: unknown): string {
  if (value === null) return 'None';
  if (value instanceof PickleObject) return `a ${value.className} object`;
  if (value instanceof PickleGlobal) return `the global ${value.path}`;
  if (value instanceof Map) return 'a dict';
  if (value instanceof Set) return 'a set';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return Object.isFrozen(value) ? 'a tuple' : 'a list';
  if (typeof value === 'object') return `a ${value.constructor?.name ?? 'object'}`;
  return `a ${typeof value}`;
}

/**
 * Unpickles `bytes` without executing anything (see the module comment for how values map).
 * @example
 * const ckpt = unpickle(zip.read('archive/data.pkl'), { persistentLoad: loadStorage, reducers: torchReducers });
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions = {}): unknown {
  return new Unpickler(bytes, options).run();
}

class Unpickler {
  private pos = 0;
  private opStart = 0;
  private stack: unknown[] = [];
  private readonly metastack: unknown[][] = [];
  private readonly memo = new Map<number, unknown>();
  private readonly view: DataView;
  private readonly source: string;

  private readonly bytes: Uint8Array;

  constructor(
    bytes: Uint8Array,
    private readonly options: UnpickleOptions,
  ) {
    // A plain view: Node's Buffer overrides slice() to return a view, and our copies must not alias the input.
    this.bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.source = options.source ?? 'pickle';
  }

  run(): unknown {
    while (this.pos < this.bytes.byteLength) {
      this.opStart = this.pos;
      const op = this.view.getUint8(this.pos++);
      if (op === 0x2e) return this.pop();
      this.step(op);
    }
    throw this.fail('data ends without a STOP opcode (truncated pickle?)');
  }

  private fail(message: string): Error {
    const op = this.bytes[this.opStart];
    if (op === undefined) return new Error(`${this.source}: empty pickle data`);
    return new Error(`${this.source}: pickle opcode ${OPCODE_NAMES[op] ?? `0x${op.toString(16)}`} at offset ${this.opStart}: ${message}`);
  }

  private step(op: number): void {
    switch (op) {
      case 0x80: // PROTO
        if (this.u8() > 5) throw this.fail(`protocol ${this.bytes[this.pos - 1]} is newer than 5`);
        return;
      case 0x95: // FRAME: a length hint for buffered readers; the data is already in memory.
        this.take(8);
        return;
      case 0x28: // MARK
        this.metastack.push(this.stack);
        this.stack = [];
        return;
      case 0x30: // POP
        this.pop();
        return;
      case 0x31: // POP_MARK
        this.popMark();
        return;
      case 0x32: // DUP
        this.push(this.top());
        return;

      case 0x4e:
        return void this.push(null); // NONE
      case 0x88:
        return void this.push(true); // NEWTRUE
      case 0x89:
        return void this.push(false); // NEWFALSE
      case 0x4a:
        return void this.push(this.i32()); // BININT
      case 0x4b:
        return void this.push(this.u8()); // BININT1
      case 0x4d:
        return void this.push(this.u16()); // BININT2
      case 0x8a:
        return void this.push(this.littleEndianInt(this.u8())); // LONG1
      case 0x8b:
        return void this.push(this.littleEndianInt(this.u32())); // LONG4
      case 0x49: {
        // INT; protocol 0 spells booleans as I01 and I00
        const text = this.line();
        return void this.push(text === '01' ? true : text === '00' ? false : this.textInt(text));
      }
      case 0x4c:
        return void this.push(this.textInt(this.line().replace(/L$/, ''))); // LONG
      case 0x46:
        return void this.push(this.textFloat(this.line())); // FLOAT
      case 0x47: {
        // BINFLOAT (big-endian)
        const value = this.view.getFloat64(this.advance(8), false);
        return void this.push(value);
      }

      case 0x58:
        return void this.push(this.utf8(this.u32())); // BINUNICODE
      case 0x8c:
        return void this.push(this.utf8(this.u8())); // SHORT_BINUNICODE
      case 0x8d:
        return void this.push(this.utf8(this.u64())); // BINUNICODE8
      case 0x56:
        return void this.push(decodeRawUnicodeEscape(this.line())); // UNICODE
      case 0x53:
        return void this.push(this.quotedString(this.line())); // STRING
      case 0x54:
        return void this.push(latin1.decode(this.take(this.i32()))); // BINSTRING
      case 0x55:
        return void this.push(latin1.decode(this.take(this.u8()))); // SHORT_BINSTRING
      case 0x42:
        return void this.push(this.take(this.u32()).slice()); // BINBYTES
      case 0x43:
        return void this.push(this.take(this.u8()).slice()); // SHORT_BINBYTES
      case 0x8e:
        return void this.push(this.take(this.u64()).slice()); // BINBYTES8
      case 0x96:
        return void this.push(this.take(this.u64()).slice()); // BYTEARRAY8
      case 0x98:
        return; // READONLY_BUFFER: read-only-ness has no meaning here.
      case 0x97:
        throw this.fail('out-of-band buffers (pickle protocol 5 buffer_callback) are not supported');
      case 0x82:
      case 0x83:
      case 0x84:
        throw this.fail('the copyreg extension registry is not supported');

      case 0x29:
        return void this.push(Object.freeze([])); // EMPTY_TUPLE
      case 0x74:
        return void this.push(Object.freeze(this.popMark())); // TUPLE
      case 0x85:
        return void this.push(Object.freeze(this.popN(1))); // TUPLE1
      case 0x86:
        return void this.push(Object.freeze(this.popN(2))); // TUPLE2
      case 0x87:
        return void this.push(Object.freeze(this.popN(3))); // TUPLE3
      case 0x5d:
        return void this.push([]); // EMPTY_LIST
      case 0x6c:
        return void this.push(this.popMark()); // LIST
      case 0x7d:
        return void this.push(new Map()); // EMPTY_DICT
      case 0x64:
        return void this.push(this.pairsToMap(this.popMark())); // DICT
      case 0x8f:
        return void this.push(new Set()); // EMPTY_SET
      case 0x91:
        return void this.push(new Set(this.popMark())); // FROZENSET
      case 0x61:
        return void this.append([this.pop()]); // APPEND
      case 0x65:
        return void this.append(this.popMark()); // APPENDS
      case 0x73: {
        // SETITEM
        const value = this.pop();
        const key = this.pop();
        return void this.setItems([key, value]);
      }
      case 0x75:
        return void this.setItems(this.popMark()); // SETITEMS
      case 0x90: {
        // ADDITEMS
        const items = this.popMark();
        const target = this.top();
        if (!(target instanceof Set)) throw this.fail(`cannot add items to ${describePickled(target)}`);
        for (const item of items) target.add(item);
        return;
      }

      case 0x67:
        return void this.get(this.textInt(this.line())); // GET
      case 0x68:
        return void this.get(this.u8()); // BINGET
      case 0x6a:
        return void this.get(this.u32()); // LONG_BINGET
      case 0x70:
        return void this.put(this.textInt(this.line())); // PUT
      case 0x71:
        return void this.put(this.u8()); // BINPUT
      case 0x72:
        return void this.put(this.u32()); // LONG_BINPUT
      case 0x94:
        return void this.put(this.memo.size); // MEMOIZE

      case 0x63: {
        // GLOBAL
        const module = this.line();
        return void this.push(this.global(module, this.line()));
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = this.pop();
        const module = this.pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw this.fail('module and name must be strings');
        return void this.push(this.global(module, name));
      }
      case 0x52: {
        // REDUCE
        const args = this.pop();
        const callable = this.pop();
        return void this.push(this.call(callable, args));
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args)
        const args = this.pop();
        const cls = this.pop();
        return void this.push(this.call(cls, args));
      }
      case 0x92: {
        // NEWOBJ_EX: cls.__new__(cls, *args, **kwargs)
        const kwargs = this.pop();
        const args = this.pop();
        const cls = this.pop();
        if (!(kwargs instanceof Map)) throw this.fail(`keyword arguments must be a dict, not ${describePickled(kwargs)}`);
        return void this.push(kwargs.size === 0 ? this.call(cls, args) : this.instantiate(cls, args, kwargs));
      }
      case 0x69: {
        // INST
        const module = this.line();
        const cls = this.global(module, this.line());
        return void this.push(this.call(cls, this.popMark()));
      }
      case 0x6f: {
        // OBJ
        const [cls, ...args] = this.popMark();
        return void this.push(this.call(cls, args));
      }
      case 0x62:
        return void this.build(this.pop()); // BUILD
      case 0x50:
        return void this.push(this.persistentLoad(this.line())); // PERSID
      case 0x51:
        return void this.push(this.persistentLoad(this.pop())); // BINPERSID
      default:
        throw new Error(`${this.source}: unknown pickle opcode 0x${op.toString(16).padStart(2, '0')} at offset ${this.opStart}`);
    }
  }

  // --- reading the byte stream -------------------------------------------------------------------------------------

  private advance(n: number): number {
    const at = this.pos;
    if (n > this.bytes.byteLength - at) throw this.fail(`needs ${n} more bytes but the data ends (truncated pickle?)`);
    this.pos += n;
    return at;
  }
  private take(n: number): Uint8Array {
    if (n < 0) throw this.fail(`negative length ${n}`);
    const at = this.advance(n);
    return this.bytes.subarray(at, at + n);
  }
  private u8(): number {
    return this.view.getUint8(this.advance(1));
  }
  private u16(): number {
    return this.view.getUint16(this.advance(2), true);
  }
  private u32(): number {
    return this.view.getUint32(this.advance(4), true);
  }
  private i32(): number {
    return this.view.getInt32(this.advance(4), true);
  }
  private u64(): number {
    const value = this.view.getBigUint64(this.advance(8), true);
    if (value > BigInt(this.bytes.byteLength)) throw this.fail(`length ${value} runs past the end of the data (truncated pickle?)`);
    return Number(value);
  }
  private line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) throw this.fail('missing end of line (truncated pickle?)');
    const text = latin1.decode(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return text;
  }
  private utf8(n: number): string {
    try {
      return utf8.decode(this.take(n));
    } catch (err) {
      if (err instanceof TypeError) throw this.fail('string is not valid UTF-8');
      throw err;
    }
  }

  /** Two's-complement little-endian integer of `n` bytes (LONG1/LONG4). */
  private littleEndianInt(n: number): number | bigint {
    const digits = this.take(n);
    let value = 0n;
    for (let i = n - 1; i >= 0; i--) value = (value << 8n) | BigInt(digits[i]!);
    if (n > 0 && digits[n - 1]! & 0x80) value -= 1n << BigInt(8 * n);
    return narrow(value);
  }
  private textInt(text: string): number | bigint {
    if (!/^[+-]?\d+$/.test(text)) throw this.fail(`"${text}" is not an integer`);
    return narrow(BigInt(text));
  }
  private textFloat(text: string): number {
    const value = Number(text.replace(/^(-?)inf$/, '$1Infinity').replace(/^nan$/, 'NaN'));
    if (Number.isNaN(value) && text !== 'nan') throw this.fail(`"${text}" is not a float`);
    return value;
  }
  /** Protocol 0 STRING: a Python repr in quotes. */
  private quotedString(text: string): string {
    const quote = text[0];
    if (text.length < 2 || (quote !== "'" && quote !== '"') || text[text.length - 1] !== quote)
      throw this.fail('STRING argument is not quoted');
    return decodeEscapes(text.slice(1, -1));
  }

  // --- the stack, memo and object operations ----------------------------------------------------------------------

  /** Pushes after its argument is evaluated: an argument that pops a MARK swaps `this.stack`. */
  private push(value: unknown): void {
    this.stack.push(value);
  }
  private pop(): unknown {
    if (this.stack.length === 0) throw this.fail('stack underflow (corrupt pickle)');
    return this.stack.pop();
  }
  private popN(n: number): unknown[] {
    if (this.stack.length < n) throw this.fail('stack underflow (corrupt pickle)');
    return this.stack.splice(this.stack.length - n, n);
  }
  private top(): unknown {
    if (this.stack.length === 0) throw this.fail('stack underflow (corrupt pickle)');
    return this.stack[this.stack.length - 1];
  }
  private popMark(): unknown[] {
    const items = this.stack;
    const previous = this.metastack.pop();
    if (previous === undefined) throw this.fail('no MARK to pop to (corrupt pickle)');
    this.stack = previous;
    return items;
  }
  private get(index: number | bigint): void {
    if (typeof index !== 'number' || !this.memo.has(index)) throw this.fail(`memo key ${index} was never stored`);
    this.push(this.memo.get(index));
  }
  private put(index: number | bigint): void {
    if (typeof index !== 'number') throw this.fail(`memo key ${index} is out of range`);
    this.memo.set(index, this.top());
  }

  private pairsToMap(items: unknown[]): Map<unknown, unknown> {
    if (items.length % 2 !== 0) throw this.fail('odd number of items for a dict');
    const map = new Map<unknown, unknown>();
    for (let i = 0; i < items.length; i += 2) map.set(items[i], items[i + 1]);
    return map;
  }

  private append(items: unknown[]): void {
    const target = this.top();
    if (Array.isArray(target) && !Object.isFrozen(target)) {
      for (const item of items) target.push(item);
    } else if (target instanceof PickleObject) {
      target.listItems ??= [];
      target.listItems.push(...items);
    } else {
      throw this.fail(`cannot append to ${describePickled(target)}`);
    }
  }

  private setItems(items: unknown[]): void {
    const target = this.top();
    const pairs = this.pairsToMap(items);
    if (target instanceof Map) {
      for (const [k, v] of pairs) target.set(k, v);
    } else if (target instanceof PickleObject) {
      target.dictItems ??= new Map();
      for (const [k, v] of pairs) target.dictItems.set(k, v);
    } else {
      throw this.fail(`cannot set items on ${describePickled(target)}`);
    }
  }

  private global(module: string, name: string): PickleGlobal {
    return new PickleGlobal(PY2_MODULES.get(module) ?? module, name);
  }

  private call(callable: unknown, args: unknown): unknown {
    if (!Array.isArray(args)) throw this.fail(`arguments must be a tuple, not ${describePickled(args)}`);
    if (!(callable instanceof PickleGlobal)) throw this.fail(`cannot call ${describePickled(callable)}`);
    const reducer = this.options.reducers?.get(callable.path) ?? BUILTIN_REDUCERS.get(callable.path);
    if (reducer === undefined) return new PickleObject(callable.path, args);
    try {
      return reducer(args, this.opStart);
    } catch (err) {
      throw new Error(`${this.source}: ${(err as Error).message}`, { cause: err });
    }
  }

  private instantiate(cls: unknown, args: unknown, kwargs: Map<unknown, unknown>): PickleObject {
    if (!Array.isArray(args)) throw this.fail(`arguments must be a tuple, not ${describePickled(args)}`);
    if (!(cls instanceof PickleGlobal)) throw this.fail(`cannot instantiate ${describePickled(cls)}`);
    return new PickleObject(cls.path, args, kwargs);
  }

  private build(state: unknown): void {
    const target = this.top();
    if (target instanceof PickleObject) {
      if (target.state instanceof Map && state instanceof Map) {
        for (const [k, v] of state) target.state.set(k, v);
      } else {
        target.state = state;
      }
      return;
    }
    // Python skips BUILD for empty state too; anything else would need code we do not run.
    if (state === null || (state instanceof Map && state.size === 0)) return;
    throw this.fail(`cannot set state on ${describePickled(target)}`);
  }

  private persistentLoad(pid: unknown): unknown {
    if (this.options.persistentLoad === undefined) throw this.fail('persistent ids need a persistentLoad handler');
    try {
      return this.options.persistentLoad(pid, this.opStart);
    } catch (err) {
      throw new Error(`${this.source}: persistent id at offset ${this.opStart}: ${(err as Error).message}`, { cause: err });
    }
  }
}

function narrow(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** Python's raw-unicode-escape codec: only \uXXXX and \UXXXXXXXX are escapes, every other byte is latin-1. */
function decodeRawUnicodeEscape(text: string): string {
  return text.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, u4: string | undefined, u8: string | undefined) =>
    String.fromCodePoint(Number.parseInt(u4 ?? u8 ?? '', 16)),
  );
}

/** The backslash escapes of a Python 2 `str` repr; like Python, an unknown escape keeps its backslash. */
function decodeEscapes(text: string): string {
  const simple: Readonly<Record<string, string>> = {
    '\\': '\\',
    "'": "'",
    '"': '"',
    n: '\n',
    r: '\r',
    t: '\t',
    a: '\x07',
    b: '\b',
    f: '\f',
    v: '\v',
  };
  return text.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/g, (_, code: string) => {
    if (code[0] === 'x') return String.fromCharCode(Number.parseInt(code.slice(1), 16));
    if (/^[0-7]+$/.test(code)) return String.fromCharCode(Number.parseInt(code, 8));
    return simple[code] ?? `\\${code}`;
  });
}
