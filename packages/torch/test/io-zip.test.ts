import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { crc32, deflateRawSync } from 'node:zlib';
import { ZipArchive } from '../src/io/zip.js';

interface EntrySpec {
  name: string;
  data: Uint8Array;
  deflate?: boolean;
  /** Write sizes and offset as 0xFFFFFFFF with the real values in a ZIP64 extra field. */
  zip64?: boolean;
}

/** A minimal ZIP writer for tests, following APPNOTE 4.3 (local headers, central directory, optional ZIP64 records). */
function makeZip(specs: EntrySpec[], { zip64End = false, comment = '' } = {}): Uint8Array {
  const chunks: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const spec of specs) {
    const name = Buffer.from(spec.name);
    const body = spec.deflate ? deflateRawSync(spec.data) : Buffer.from(spec.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(spec.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc32(spec.data), 14);
    local.writeUInt32LE(body.byteLength, 18);
    local.writeUInt32LE(spec.data.byteLength, 22);
    local.writeUInt16LE(name.byteLength, 26);
    chunks.push(local, name, body);

    const extra = spec.zip64 ? Buffer.alloc(28) : Buffer.alloc(0);
    if (spec.zip64) {
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(spec.data.byteLength), 4);
      extra.writeBigUInt64LE(BigInt(body.byteLength), 12);
      extra.writeBigUInt64LE(BigInt(offset), 20);
    }
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(spec.deflate ? 8 : 0, 10);
    header.writeUInt32LE(crc32(spec.data), 16);
    header.writeUInt32LE(spec.zip64 ? 0xffffffff : body.byteLength, 20);
    header.writeUInt32LE(spec.zip64 ? 0xffffffff : spec.data.byteLength, 24);
    header.writeUInt16LE(name.byteLength, 28);
    header.writeUInt16LE(extra.byteLength, 30);
    header.writeUInt32LE(spec.zip64 ? 0xffffffff : offset, 42);
    central.push(header, name, extra);
    offset += local.byteLength + name.byteLength + body.byteLength;
  }
  const directory = Buffer.concat(central);
  const end: Buffer[] = [];
  if (zip64End) {
    const record = Buffer.alloc(56);
    record.writeUInt32LE(0x06064b50, 0);
    record.writeBigUInt64LE(44n, 4);
    record.writeBigUInt64LE(BigInt(specs.length), 24);
    record.writeBigUInt64LE(BigInt(specs.length), 32);
    record.writeBigUInt64LE(BigInt(directory.byteLength), 40);
    record.writeBigUInt64LE(BigInt(offset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(offset + directory.byteLength), 8);
    locator.writeUInt32LE(1, 16);
    end.push(record, locator);
  }
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(zip64End ? 0xffff : specs.length, 8);
  eocd.writeUInt16LE(zip64End ? 0xffff : specs.length, 10);
  eocd.writeUInt32LE(zip64End ? 0xffffffff : directory.byteLength, 12);
  eocd.writeUInt32LE(zip64End ? 0xffffffff : offset, 16);
  eocd.writeUInt16LE(Buffer.byteLength(comment), 20);
  return new Uint8Array(Buffer.concat([...chunks, directory, ...end, eocd, Buffer.from(comment)]));
}

const text = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));
const decode = (b: Uint8Array): string => Buffer.from(b).toString();

describe('ZipArchive', () => {
  test('stored entries are zero-copy views; deflated ones inflate', () => {
    const payload = text('hello '.repeat(200));
    const bytes = makeZip(
      [
        { name: 'a/stored', data: text('abc') },
        { name: 'a/deflated', data: payload, deflate: true },
      ],
      { comment: 'zip comment' },
    );
    const zip = new ZipArchive(bytes);
    assert.deepEqual([...zip.entries.keys()], ['a/stored', 'a/deflated']);
    const stored = zip.read('a/stored');
    assert.equal(decode(stored), 'abc');
    assert.equal(stored.buffer, bytes.buffer);
    assert.ok(zip.entries.get('a/deflated')!.compressedSize < payload.byteLength);
    assert.equal(decode(zip.read('a/deflated')), decode(payload));
  });

  test('ZIP64 end records and ZIP64 extra fields', () => {
    const bytes = makeZip(
      [
        { name: 'x', data: text('first'), zip64: true },
        { name: 'y', data: text('second'), zip64: true, deflate: true },
      ],
      { zip64End: true },
    );
    const zip = new ZipArchive(bytes);
    assert.equal(zip.entries.get('y')!.size, 6);
    assert.equal(decode(zip.read('x')), 'first');
    assert.equal(decode(zip.read('y')), 'second');
  });

  test('a truncated file, a corrupted entry and a missing entry fail clearly', () => {
    const bytes = makeZip([{ name: 'x', data: text('0123456789') }]);
    assert.throws(() => new ZipArchive(bytes.subarray(0, bytes.byteLength - 5), 'cut.zip'), /cut\.zip: not a zip file or truncated/);
    assert.throws(() => new ZipArchive(text('PK but not really a zip file at all'), 'bad.zip'), /bad\.zip: not a zip file or truncated/);
    const corrupt = bytes.slice();
    corrupt[30 + 1 + 3]! ^= 0xff; // a byte of the entry's data
    assert.throws(() => new ZipArchive(corrupt, 'c.zip').read('x'), /c\.zip: entry "x" fails its CRC-32 check/);
    assert.throws(() => new ZipArchive(bytes, 'm.zip').read('nope'), /m\.zip: no entry "nope"/);
    // Central directory intact but the local header moved away (offset points past the data).
    const shifted = makeZip([{ name: 'x', data: text('0123456789') }]);
    new DataView(shifted.buffer).setUint32(shifted.byteLength - 22 - 46 - 1 + 42, 5, true);
    assert.throws(() => new ZipArchive(shifted, 's.zip').read('x'), /s\.zip: entry "x" has no local header at byte 5/);
  });
});
