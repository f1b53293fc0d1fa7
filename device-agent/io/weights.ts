// Load a parameter table from safetensors (bytes in memory, or a ByteSource read tensor by tensor)
// and save it back, through a model's HF name map. Strict: every parameter must be in the file with
// the exact shape; a missing tensor or a shape mismatch is an error naming the file and the tensor,
// raised from the header before any tensor is read. Not a downloader: callers bring the bytes.
import type { ParameterTable, Param, ParamSink } from '../core/parameter-table.js';
import type { ByteSource } from './byte-source.js';
import { rowsOf } from '../core/tensor.js';
import { encodeTensorData, parseSafetensors, readSafetensorsHeader, readSafetensorsTensor, safetensorsLayout, toFloat32, toFloat32Into, type SafetensorsEntry } from './safetensors.js';

export interface LoadReport {
  loaded: number;
  /** Tensors in the file that no parameter uses (besides those the name map drops on purpose). */
  unused: string[];
}

const notLora = (p: Param) => p.kind !== 'lora_A' && p.kind !== 'lora_B';

/** Pair each selected parameter with its file tensor, checking names and shapes. */
function match<T extends { name: string; shape: number[] }>(params: ParameterTable, tensors: Iterable<T>, source: string, nameFromHf: (hf: string) => string | null, select: (p: Param) => boolean): { pairs: [Param, T][]; unused: string[] } {
  const byName = new Map<string, T>();
  const unused: string[] = [];
  for (const t of tensors) {
    const name = nameFromHf(t.name);
    if (name === null) continue;
    if (params.has(name)) byName.set(name, t);
    else unused.push(t.name);
  }
  const pairs: [Param, T][] = [];
  for (const p of params.entries) {
    if (!select(p)) continue;
    const t = byName.get(p.name);
    if (!t) {
      throw new Error(`${source}: tensor "${p.name}" (or "transformer.${p.name}") is missing; the file does not hold this model's weights, or its config.json does not match it`);
    }
    if (t.shape.length !== p.tensor.shape.length || t.shape.some((d, i) => d !== p.tensor.shape[i])) {
      throw new Error(`${source}: tensor "${t.name}" has shape [${t.shape.join(', ')}] but the model config needs [${p.tensor.shape.join(', ')}]; check config.json against the weights`);
    }
    pairs.push([p, t]);
  }
  return { pairs, unused };
}

export function loadWeights(
  params: ParameterTable,
  bytes: Uint8Array,
  source: string,
  nameFromHf: (hf: string) => string | null,
  select: (p: Param) => boolean = notLora,
  afterEach?: (p: Param) => void,
): LoadReport {
  const file = parseSafetensors(bytes, source);
  const { pairs, unused } = match(params, file.tensors.values(), source, nameFromHf, select);
  for (const [p, t] of pairs) {
    p.tensor.mutableData().set(toFloat32(t));
    afterEach?.(p); // e.g. a sharder stores the tensor and drops it before the next one is made
  }
  return { loaded: pairs.length, unused };
}

/**
 * Load from a random-access source, one tensor at a time: the header is read and checked first,
 * then each tensor's bytes at its offsets. With a sink (a sharder) each tensor is converted into the
 * sink piece by piece, so at most one tensor's file bytes and one piece are in memory besides the
 * sink's own budget; the whole file never is.
 */
export async function loadWeightsFrom(
  params: ParameterTable,
  src: ByteSource,
  source: string,
  nameFromHf: (hf: string) => string | null,
  opts: { select?: (p: Param) => boolean; sink?: ParamSink } = {},
): Promise<LoadReport> {
  const header = await readSafetensorsHeader(src, source);
  const { pairs, unused } = match<SafetensorsEntry>(params, header.entries, source, nameFromHf, opts.select ?? notLora);
  for (const [p, entry] of pairs) {
    const t = await readSafetensorsTensor(src, entry);
    if (opts.sink) opts.sink.adoptFrom(p, (out, offset) => toFloat32Into(t, out, offset));
    else toFloat32Into(t, p.tensor.mutableData());
  }
  return { loaded: pairs.length, unused };
}

/** Rows read at a time from a row-chunked (sharded) parameter: the LM head's vocabulary chunk. */
const ROWS_PER_PIECE = 4096;

function layoutOf(params: ParameterTable, nameToHf: (name: string) => string, select: (p: Param) => boolean, dtype: 'F32' | 'F16') {
  const chosen = params.entries.filter(select);
  return { chosen, layout: safetensorsLayout(chosen.map((p) => ({ name: nameToHf(p.name), dtype, shape: [...p.tensor.shape] })), { format: 'pt' }) };
}

/**
 * Write a table as a Hugging Face safetensors file piece by piece: the header, then each tensor's
 * bytes (a sharded parameter is fetched one at a time, a row-chunked one in row pieces), so the
 * parameters never need to be in memory together. `write` must use or copy the bytes before it
 * returns. Returns the file size.
 */
export function writeWeights(
  params: ParameterTable,
  nameToHf: (name: string) => string,
  write: (bytes: Uint8Array) => void,
  select: (p: Param) => boolean = notLora,
  dtype: 'F32' | 'F16' = 'F32',
): number {
  const { chosen, layout } = layoutOf(params, nameToHf, select, dtype);
  write(layout.header);
  for (const i of layout.order) {
    const t = chosen[i].tensor;
    if (!t.rowSource) {
      write(encodeTensorData(t.data, dtype));
      continue;
    }
    const rows = rowsOf(t);
    for (let v0 = 0; v0 < t.shape[0]; v0 += ROWS_PER_PIECE) write(encodeTensorData(rows(v0, Math.min(t.shape[0], v0 + ROWS_PER_PIECE)), dtype));
  }
  return layout.size;
}

/** The whole file in memory (writeWeights for files too big for that). */
export function saveWeights(
  params: ParameterTable,
  nameToHf: (name: string) => string,
  select: (p: Param) => boolean = notLora,
  dtype: 'F32' | 'F16' = 'F32',
): Uint8Array {
  const out = new Uint8Array(layoutOf(params, nameToHf, select, dtype).layout.size);
  let at = 0;
  writeWeights(params, nameToHf, (bytes) => {
    out.set(bytes, at);
    at += bytes.length;
  }, select, dtype);
  return out;
}
