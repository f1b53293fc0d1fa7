// Reads and writes the safetensors format in memory (Uint8Array in, Uint8Array out), in Node and in
// browsers alike. Not a file or network loader, and not a tensor library: callers fetch or read the
// bytes and get typed arrays back. Follows the reference implementation, huggingface/safetensors
// `safetensors/src/tensor.rs`: 8-byte little-endian header size, a JSON header padded with spaces to
// a multiple of 8, tensors packed back to back. Parsing is as strict as the reference (no gaps, no
// overlaps, no trailing bytes, 100 MB header limit); writing orders tensors as the reference does
// (larger dtype first, then by name), so our bytes match `safetensors.torch.save_file` for the same
// tensors and at most one metadata key (we sort metadata keys; Rust's HashMap order is random).

import { bfloat16BitsToFloat32, float16BitsToFloat32, float32ToFloat16Bits } from './float16.js';

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

/** Parses a whole safetensors file. `source` names it in error messages (a file name or URL). */
export function parseSafetensors(bytes: Uint8Array, source: string): SafetensorsFile {
  assertLittleEndianHost();
  const fail = (what: string): never => {
    throw new Error(`${source}: ${what}`);
  };
  if (bytes.length < 8) {
    fail(`file is ${bytes.length} bytes, shorter than the 8-byte safetensors header size; the file is truncated or not a safetensors file — download it again`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  const headerLen = hi * 2 ** 32 + lo;
  if (headerLen > MAX_HEADER_BYTES) {
    fail(`header size field says ${headerLen} bytes, over the ${MAX_HEADER_BYTES}-byte limit; this is not a safetensors file or it is corrupt — check that you passed the .safetensors file itself`);
  }
  if (8 + headerLen > bytes.length) {
    fail(`header size field says ${headerLen} bytes but the file has only ${bytes.length - 8} after it; the file is truncated — download it again`);
  }
  let headerText: string;
  try {
    headerText = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
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
  const entries: Array<{ name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }> = [];
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
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
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

  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of entries) {
    tensors.set(e.name, { name: e.name, dtype: e.dtype, shape: e.shape, data: bytes.subarray(dataStart + e.begin, dataStart + e.end) });
  }
  return { tensors, metadata };
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

/**
 * Writes a safetensors file. Tensors are laid out like the reference writer: F32 before F16, then by
 * name (code-unit order). Metadata goes under "__metadata__", keys sorted.
 */
export function serializeSafetensors(tensors: SafetensorsInput[], metadata?: Record<string, string>): Uint8Array {
  assertLittleEndianHost();
  const seen = new Set<string>();
  for (const t of tensors) {
    const what = `serializeSafetensors: tensor "${t.name}"`;
    if (t.name === '' || t.name === '__metadata__') throw new Error(`${what}: name must be non-empty and not "__metadata__"; rename the tensor`);
    if (seen.has(t.name)) throw new Error(`${what} appears twice; each tensor name must be unique`);
    seen.add(t.name);
    if (t.dtype !== 'F32' && t.dtype !== 'F16') throw new Error(`${what} has dtype ${String(t.dtype)}; only F32 and F16 can be written`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`${what} has shape ${JSON.stringify(t.shape)}; dims must be non-negative integers`);
    const n = elementCount(t.shape);
    if (n !== t.data.length) throw new Error(`${what} has shape ${JSON.stringify(t.shape)} (${n} values) but ${t.data.length} values of data; fix the shape or the data`);
  }
  for (const [k, v] of Object.entries(metadata ?? {})) {
    if (typeof v !== 'string') throw new Error(`serializeSafetensors: metadata "${k}" is ${typeof v}; safetensors metadata values must be strings — JSON.stringify it first`);
  }

  const ordered = [...tensors].sort((a, b) => {
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
  for (const t of ordered) {
    const nbytes = t.data.length * DTYPE_SIZES[t.dtype];
    parts.push(`${JSON.stringify(t.name)}:${JSON.stringify({ dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + nbytes] })}`);
    offset += nbytes;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLen = Math.ceil(json.length / 8) * 8; // pad with spaces so tensor data starts 8-aligned
  const out = new Uint8Array(8 + headerLen + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLen % 2 ** 32, true);
  view.setUint32(4, Math.floor(headerLen / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let at = 8 + headerLen;
  for (const t of ordered) {
    const data = t.dtype === 'F32' ? t.data : float32ToFloat16Bits(t.data);
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    at += data.byteLength;
  }
  return out;
}
