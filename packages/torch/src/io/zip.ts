/**
 * A read-only ZIP reader over bytes in memory, enough for torch.save archives: stored or deflated entries, ZIP64
 * end records and extra fields, data descriptors (sizes are taken from the central directory).
 */
import { crc32, inflateRawSync } from 'node:zlib';

/** One file of the archive, as its central directory describes it. */
export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflated. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const ZIP64_EXTRA_ID = 0x0001;
const METHOD_STORED = 0;
const METHOD_DEFLATED = 8;
/** 22-byte end record plus the longest possible comment. */
const MAX_EOCD_SEARCH = 22 + 0xffff;

/**
 * The entries of a ZIP archive and their contents.
 * @example
 * const zip = new ZipArchive(readFileSync('last.pt'), 'last.pt');
 * const pickle = zip.read('archive/data.pkl');
 */
export class ZipArchive {
  /** Entries by name, in central-directory order. */
  readonly entries: ReadonlyMap<string, ZipEntry>;

  private readonly bytes: Uint8Array;

  constructor(
    bytes: Uint8Array,
    private readonly source = 'zip archive',
  ) {
    // A plain view: Node's Buffer overrides slice() to return a view, and callers' copies must not alias the file.
    this.bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.entries = readCentralDirectory(this.bytes, source);
  }

  /** Whether the archive holds a file of that name. */
  has(name: string): boolean {
    return this.entries.has(name);
  }

  /**
   * The uncompressed contents of an entry. Stored entries are views into the archive bytes (no copy); the CRC-32 is
   * checked so that a damaged file fails here rather than yielding wrong weights.
   */
  read(name: string): Uint8Array {
    const entry = this.entries.get(name);
    if (entry === undefined) throw new Error(`${this.source}: no entry "${name}" in the zip archive`);
    const raw = this.bytes.subarray(...this.dataRange(entry));
    let data: Uint8Array;
    if (entry.method === METHOD_STORED) {
      data = raw;
    } else if (entry.method === METHOD_DEFLATED) {
      try {
        const inflated = inflateRawSync(raw);
        data = new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.byteLength);
      } catch (err) {
        throw new Error(`${this.source}: entry "${name}" does not inflate (${(err as Error).message})`);
      }
    } else {
      throw new Error(`${this.source}: entry "${name}" uses unsupported compression method ${entry.method}`);
    }
    if (data.byteLength !== entry.size) {
      throw new Error(`${this.source}: entry "${name}" holds ${data.byteLength} bytes, the directory says ${entry.size}`);
    }
    if (crc32(data) >>> 0 !== entry.crc32) throw new Error(`${this.source}: entry "${name}" fails its CRC-32 check (corrupt file)`);
    return data;
  }

  private dataRange(entry: ZipEntry): [number, number] {
    const at = entry.localHeaderOffset;
    const view = viewOf(this.bytes);
    if (at + 30 > this.bytes.byteLength || view.getUint32(at, true) !== LOCAL_SIGNATURE) {
      throw new Error(`${this.source}: entry "${entry.name}" has no local header at byte ${at} (corrupt or truncated file)`);
    }
    const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
    const end = start + entry.compressedSize;
    if (end > this.bytes.byteLength) {
      throw new Error(`${this.source}: entry "${entry.name}" runs past the end of the file (truncated file?)`);
    }
    return [start, end];
  }
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function readCentralDirectory(bytes: Uint8Array, source: string): Map<string, ZipEntry> {
  const view = viewOf(bytes);
  const eocd = findEndRecord(view);
  if (eocd < 0) throw new Error(`${source}: not a zip file or truncated (no end-of-central-directory record)`);
  let count = view.getUint16(eocd + 10, true);
  let directorySize = view.getUint32(eocd + 12, true);
  let directoryOffset = view.getUint32(eocd + 16, true);
  const locator = eocd - 20;
  if (locator >= 0 && view.getUint32(locator, true) === ZIP64_LOCATOR_SIGNATURE) {
    const record = readUint64(view, locator + 8, source, 'ZIP64 end record offset');
    if (record + 56 > bytes.byteLength || view.getUint32(record, true) !== ZIP64_EOCD_SIGNATURE) {
      throw new Error(`${source}: ZIP64 end record missing at byte ${record} (corrupt file)`);
    }
    count = readUint64(view, record + 32, source, 'entry count');
    directorySize = readUint64(view, record + 40, source, 'central directory size');
    directoryOffset = readUint64(view, record + 48, source, 'central directory offset');
  }
  if (directoryOffset + directorySize > bytes.byteLength) {
    throw new Error(`${source}: central directory runs past the end of the file (truncated file?)`);
  }
  const decoder = new TextDecoder();
  const entries = new Map<string, ZipEntry>();
  let at = directoryOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.byteLength || view.getUint32(at, true) !== CENTRAL_SIGNATURE) {
      throw new Error(`${source}: central directory entry ${i} is damaged (corrupt file)`);
    }
    const flags = view.getUint16(at + 8, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    if (flags & 1) throw new Error(`${source}: entry "${name}" is encrypted`);
    const entry: ZipEntry = {
      name,
      method: view.getUint16(at + 10, true),
      crc32: view.getUint32(at + 16, true),
      compressedSize: view.getUint32(at + 20, true),
      size: view.getUint32(at + 24, true),
      localHeaderOffset: view.getUint32(at + 42, true),
    };
    applyZip64Extra(entry, view, at + 46 + nameLength, extraLength, source);
    entries.set(name, entry);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function findEndRecord(view: DataView): number {
  const lowest = Math.max(0, view.byteLength - MAX_EOCD_SEARCH);
  for (let at = view.byteLength - 22; at >= lowest; at--) {
    if (view.getUint32(at, true) === EOCD_SIGNATURE) return at;
  }
  return -1;
}

/** Fields saturated at 0xFFFFFFFF in the directory entry are given in full, in this order, by the ZIP64 extra field. */
function applyZip64Extra(entry: ZipEntry, view: DataView, start: number, length: number, source: string): void {
  const saturated = 0xffffffff;
  for (let at = start; at + 4 <= start + length; ) {
    const id = view.getUint16(at, true);
    const size = view.getUint16(at + 2, true);
    if (id === ZIP64_EXTRA_ID) {
      let field = at + 4;
      const next = (what: string): number => {
        if (field + 8 > at + 4 + size) throw new Error(`${source}: entry "${entry.name}" has a short ZIP64 extra field (${what})`);
        const value = readUint64(view, field, source, what);
        field += 8;
        return value;
      };
      if (entry.size === saturated) entry.size = next('size');
      if (entry.compressedSize === saturated) entry.compressedSize = next('compressed size');
      if (entry.localHeaderOffset === saturated) entry.localHeaderOffset = next('local header offset');
      return;
    }
    at += 4 + size;
  }
}

function readUint64(view: DataView, at: number, source: string, what: string): number {
  const value = view.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${source}: ${what} ${value} is out of range (corrupt file)`);
  return Number(value);
}
