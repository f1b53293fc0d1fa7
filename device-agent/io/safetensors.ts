// Reads and writes the safetensors format in memory (Uint8Array in, Uint8Array out), in Node and in
// browsers alike, or header first and then tensor by tensor from a random-access ByteSource (so a
// big file never sits in memory whole). Not a file or network loader, and not a tensor library:
// callers bring the bytes (or a source) and get typed arrays back. Follows the reference implementation, huggingface/safetensors
// `safetensors/src/tensor.rs`: 8-byte little-endian header size, a JSON header padded with spaces to
// a multiple of 8, tensors packed back to back. Parsing is as strict as the reference (no gaps, no
// overlaps, no trailing bytes, 100 MB header limit); writing orders tensors as the reference does
// (larger dtype first, then by name), so our bytes match `safetensors.torch.save_file` for the same
// tensors and at most one metadata key (we sort metadata keys; Rust's HashMap order is random).

import { bfloat16BitsToFloat32, float16BitsToFloat32, float16BitsToFloat32Bits, float32ToFloat16Bits } from './float16.js';
import type { ByteSource } from './byte-source.js';

/** Every dtype the reference format names, with its element size in bytes. */
const DTYPE_SIZES = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  F64: 8, I64: 8, U64: 8,
} as const;

export type SafetensorsDtype = keyof typeof DTYPE_SIZES;

export interface SafetensorsTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** View into the parsed file's bytes (not a copy); may be unaligned for its dtype. */
  data: Uint8Array;
}

export interface SafetensorsFile {
  /** In file (data offset) order. */
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

export interface SafetensorsInput {
  name: string;
  dtype: 'F32' | 'F16';
  shape: number[];
  /** Row-major, product(shape) values; F16 tensors are rounded to nearest even on write. */
  data: Float32Array;
}

/** Same limit as the reference reader: real headers are at most a few MB. */
const MAX_HEADER_BYTES = 100_000_000;

function assertLittleEndianHost(): void {
  // Typed arrays use the host byte order and safetensors is little-endian; every browser and Node
  // platform we target is little-endian, so this only guards against a surprise.
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new Error('safetensors: this host is big-endian; FleetTune reads and writes tensors only on little-endian hosts');
  }
}

function elementCount(shape: number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A tensor's place in a safetensors file, validated against the file's size. */
export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute byte offsets in the file: [begin, end). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** In file (data offset) order. */
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
}

type Fail = (what: string) => never;

/** The header length from the first 8 bytes, checked against the file size. */
function headerLength(first8: Uint8Array, fileSize: number, fail: Fail): number {
  if (fileSize < 8) {
    fail(`file is ${fileSize} bytes, shorter than the 8-byte safetensors header size; the file is truncated or not a safetensors file — download it again`);
  }
  const view = new DataView(first8.buffer, first8.byteOffset, 8);
  const headerLen = view.getUint32(4, true) * 2 ** 32 + view.getUint32(0, true);
  if (headerLen > MAX_HEADER_BYTES) {
    fail(`header size field says ${headerLen} bytes, over the ${MAX_HEADER_BYTES}-byte limit; this is not a safetensors file or it is corrupt — check that you passed the .safetensors file itself`);
  }
  if (8 + headerLen > fileSize) {
    fail(`header size field says ${headerLen} bytes but the file has only ${fileSize - 8} after it; the file is truncated — download it again`);
  }
  return headerLen;
}

/** Parse and validate the JSON header (`headerBytes`, after the 8-byte size) of a file of `fileSize` bytes. */
function parseHeader(headerBytes: Uint8Array, fileSize: number, fail: Fail): SafetensorsHeader {
  let headerText: string;
  try {
    headerText = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    return fail('header is not valid UTF-8; the file is corrupt or not a safetensors file — download it again');
  }
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (err) {
    return fail(`header is not valid JSON (${(err as Error).message}); the file is corrupt or not a safetensors file — download it again`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    return fail('header JSON is not an object of tensor entries; the file is corrupt or not a safetensors file');
  }

  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('"__metadata__" must be an object of strings');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`"__metadata__" value for "${k}" is ${JSON.stringify(v)}, but the format allows only strings`);
        metadata[k] = v as string;
      }
      continue;
    }
    const t = `tensor "${name}"`;
    if (typeof raw !== 'object' || raw === null) fail(`${t}: header entry must be an object with dtype, shape and data_offsets`);
    const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
    if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_SIZES, dtype)) {
      fail(`${t} has unsupported dtype ${JSON.stringify(dtype)}; supported: ${Object.keys(DTYPE_SIZES).join(', ')} — convert the checkpoint to F32/F16/BF16 first`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`${t} has shape ${JSON.stringify(shape)}; it must be a list of non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`${t} has data_offsets ${JSON.stringify(offsets)}; it must be [begin, end], two non-negative integers`);
    }
    const [begin, end] = offsets as number[];
    if (end < begin) fail(`${t} has data_offsets [${begin}, ${end}] that end before they begin; the file is corrupt — download it again`);
    const needed = elementCount(shape as number[]) * DTYPE_SIZES[dtype as SafetensorsDtype];
    if (!Number.isSafeInteger(needed)) fail(`${t} has shape ${JSON.stringify(shape)} whose byte size overflows; the file is corrupt`);
    if (needed !== end - begin) {
      fail(`${t} needs ${needed} bytes (${dtype} ${JSON.stringify(shape)}) but its data_offsets span ${end - begin}; the file is truncated or corrupt — download it again`);
    }
    entries.push({ name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end });
  }

  // The reference requires tensors packed back to back from offset 0 up to the end of the file.
  const dataStart = 8 + headerBytes.length;
  const dataLen = fileSize - dataStart;
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const e of entries) {
    const t = `tensor "${e.name}"`;
    if (e.end > dataLen) {
      fail(`${t} has data_offsets [${e.begin}, ${e.end}] past the end of the data (${dataLen} bytes); the file is truncated — download it again`);
    }
    if (e.begin < expected) {
      fail(`${t} has data_offsets [${e.begin}, ${e.end}] overlapping the previous tensor, which ends at ${expected}; the file is corrupt — download it again`);
    }
    if (e.begin > expected) {
      fail(`${t} starts at ${e.begin}, leaving a gap after the previous tensor's end at ${expected}; safetensors requires packed data, so the file is corrupt — re-save it`);
    }
    expected = e.end;
  }
  if (expected !== dataLen) {
    fail(`the tensors cover ${expected} data bytes but the file has ${dataLen}; the file has trailing bytes or is corrupt — download it again`);
  }
  for (const e of entries) {
    e.begin += dataStart;
    e.end += dataStart;
  }
  return { entries, metadata };
}

const failFor = (source: string): Fail => (what) => {
  throw new Error(`${source}: ${what}`);
};

/** Parses a whole safetensors file. `source` names it in error messages (a file name or URL). */
export function parseSafetensors(bytes: Uint8Array, source: string): SafetensorsFile {
  assertLittleEndianHost();
  const fail = failFor(source);
  const headerLen = headerLength(bytes, bytes.length, fail);
  const { entries, metadata } = parseHeader(bytes.subarray(8, 8 + headerLen), bytes.length, fail);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of entries) tensors.set(e.name, { name: e.name, dtype: e.dtype, shape: e.shape, data: bytes.subarray(e.begin, e.end) });
  return { tensors, metadata };
}

/**
 * Reads and validates only the header of a safetensors file from a random-access source (the same
 * checks as parseSafetensors, against the source's size); tensors are read one by one afterwards.
 */
export async function readSafetensorsHeader(src: ByteSource, source: string): Promise<SafetensorsHeader> {
  assertLittleEndianHost();
  const fail = failFor(source);
  const first8 = src.size >= 8 ? await src.read(0, 8) : new Uint8Array(8);
  const headerLen = headerLength(first8, src.size, fail);
  return parseHeader(await src.read(8, headerLen), src.size, fail);
}

/** One tensor's bytes, read from the source at the offsets the header gave. */
export async function readSafetensorsTensor(src: ByteSource, entry: SafetensorsEntry): Promise<SafetensorsTensor> {
  return { name: entry.name, dtype: entry.dtype, shape: entry.shape, data: await src.read(entry.begin, entry.end - entry.begin) };
}

/**
 * Converts elements [start, start + out.length) of a tensor into float32 `out`, without copying the
 * rest (F32, F16, BF16 and F64; unaligned data is handled). Loads tensors piece by piece.
 */
export function toFloat32Into(tensor: SafetensorsTensor, out: Float32Array, start = 0): void {
  assertLittleEndianHost();
  const size = (DTYPE_SIZES as Record<string, number>)[tensor.dtype];
  const total = tensor.data.byteLength / size;
  if (start < 0 || start + out.length > total) throw new Error(`tensor "${tensor.name}": elements [${start}, ${start + out.length}) are outside its ${total}`);
  const bytes = tensor.data.subarray(start * size, (start + out.length) * size);
  const aligned = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  const n = out.length;
  switch (tensor.dtype) {
    case 'F32':
      return out.set(new Float32Array(aligned.buffer, aligned.byteOffset, n));
    case 'F16': {
      const h = new Uint16Array(aligned.buffer, aligned.byteOffset, n);
      const bits = new Uint32Array(out.buffer, out.byteOffset, n);
      for (let i = 0; i < n; i++) bits[i] = float16BitsToFloat32Bits(h[i]);
      return;
    }
    case 'BF16': {
      const h = new Uint16Array(aligned.buffer, aligned.byteOffset, n);
      const bits = new Uint32Array(out.buffer, out.byteOffset, n);
      for (let i = 0; i < n; i++) bits[i] = h[i] << 16;
      return;
    }
    case 'F64':
      return out.set(new Float64Array(aligned.buffer, aligned.byteOffset, n));
    default:
      throw new Error(`tensor "${tensor.name}" has dtype ${tensor.dtype}; only F32, F16, BF16 and F64 convert to float32 — convert the checkpoint`);
  }
}

/** A copy of the tensor as float32. Converts F32, F16, BF16 and F64; handles unaligned data. */
export function toFloat32(tensor: SafetensorsTensor): Float32Array {
  assertLittleEndianHost();
  const size = (DTYPE_SIZES as Record<string, number>)[tensor.dtype];
  const n = tensor.data.byteLength / size;
  // An unaligned view cannot back a typed array, so copy the bytes into a fresh (aligned) buffer.
  const aligned = tensor.data.byteOffset % size === 0 ? tensor.data : tensor.data.slice();
  const buf = aligned.buffer;
  const off = aligned.byteOffset;
  switch (tensor.dtype) {
    case 'F32':
      return new Float32Array(buf.slice(off, off + aligned.byteLength));
    case 'F16':
      return float16BitsToFloat32(new Uint16Array(buf, off, n));
    case 'BF16':
      return bfloat16BitsToFloat32(new Uint16Array(buf, off, n));
    case 'F64':
      return Float32Array.from(new Float64Array(buf, off, n));
    default:
      throw new Error(`tensor "${tensor.name}" has dtype ${tensor.dtype}; toFloat32 converts only F32, F16, BF16 and F64 — read its bytes directly or convert the checkpoint`);
  }
}

/** A tensor to be written piece by piece: its values come later, in the layout's order. */
export interface SafetensorsSpec {
  name: string;
  dtype: 'F32' | 'F16';
  shape: number[];
}

export interface SafetensorsLayout {
  /** The 8-byte size and the space-padded JSON header: the first bytes of the file. */
  header: Uint8Array;
  /** Indices into the given tensors in the order their data follows the header. */
  order: number[];
  /** Total file size. */
  size: number;
}

/**
 * The header and data order of a safetensors file holding these tensors, for writing it piece by
 * piece (serializeSafetensors writes it at once). Tensors are laid out like the reference writer:
 * F32 before F16, then by name (code-unit order). Metadata goes under "__metadata__", keys sorted.
 */
export function safetensorsLayout(tensors: SafetensorsSpec[], metadata?: Record<string, string>): SafetensorsLayout {
  assertLittleEndianHost();
  const seen = new Set<string>();
  for (const t of tensors) {
    const what = `serializeSafetensors: tensor "${t.name}"`;
    if (t.name === '' || t.name === '__metadata__') throw new Error(`${what}: name must be non-empty and not "__metadata__"; rename the tensor`);
    if (seen.has(t.name)) throw new Error(`${what} appears twice; each tensor name must be unique`);
    seen.add(t.name);
    if (t.dtype !== 'F32' && t.dtype !== 'F16') throw new Error(`${what} has dtype ${String(t.dtype)}; only F32 and F16 can be written`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`${what} has shape ${JSON.stringify(t.shape)}; dims must be non-negative integers`);
    const data = (t as Partial<SafetensorsInput>).data; // serializeSafetensors passes the values too
    const n = elementCount(t.shape);
    if (data && n !== data.length) throw new Error(`${what} has shape ${JSON.stringify(t.shape)} (${n} values) but ${data.length} values of data; fix the shape or the data`);
  }
  for (const [k, v] of Object.entries(metadata ?? {})) {
    if (typeof v !== 'string') throw new Error(`serializeSafetensors: metadata "${k}" is ${typeof v}; safetensors metadata values must be strings — JSON.stringify it first`);
  }

  const order = tensors.map((_, i) => i).sort((i, j) => {
    const a = tensors[i];
    const b = tensors[j];
    const bySize = DTYPE_SIZES[b.dtype] - DTYPE_SIZES[a.dtype];
    return bySize !== 0 ? bySize : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  // Built by hand rather than from an object: JS objects put integer-like keys ("0", "12") first,
  // and the header should list tensors in data order as the reference writer does.
  const parts: string[] = [];
  if (metadata !== undefined) {
    const entries = Object.keys(metadata).sort().map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`);
    parts.push(`"__metadata__":{${entries.join(',')}}`);
  }
  let offset = 0;
  for (const i of order) {
    const t = tensors[i];
    const nbytes = elementCount(t.shape) * DTYPE_SIZES[t.dtype];
    parts.push(`${JSON.stringify(t.name)}:${JSON.stringify({ dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + nbytes] })}`);
    offset += nbytes;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLen = Math.ceil(json.length / 8) * 8; // pad with spaces so tensor data starts 8-aligned
  const header = new Uint8Array(8 + headerLen);
  const view = new DataView(header.buffer);
  view.setUint32(0, headerLen % 2 ** 32, true);
  view.setUint32(4, Math.floor(headerLen / 2 ** 32), true);
  header.set(json, 8);
  header.fill(0x20, 8 + json.length, 8 + headerLen);
  return { header, order, size: header.length + offset };
}

/** The bytes of float32 values as a tensor of `dtype` (F16: rounded to nearest even). */
export function encodeTensorData(values: Float32Array, dtype: 'F32' | 'F16'): Uint8Array {
  const data = dtype === 'F32' ? values : float32ToFloat16Bits(values);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Writes a safetensors file at once (see safetensorsLayout for the layout). */
export function serializeSafetensors(tensors: SafetensorsInput[], metadata?: Record<string, string>): Uint8Array {
  const { header, order, size } = safetensorsLayout(tensors, metadata);
  const out = new Uint8Array(size);
  out.set(header, 0);
  let at = header.length;
  for (const i of order) {
    const bytes = encodeTensorData(tensors[i].data, tensors[i].dtype);
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}
