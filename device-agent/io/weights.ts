// Load a parameter table from safetensors bytes and save it back, through a model's HF name map.
// Strict: every parameter must be in the file with the exact shape; a missing tensor or a shape
// mismatch is an error naming the file and the tensor. Not a downloader: callers bring the bytes.
import type { ParameterTable, Param } from '../core/parameter-table.js';
import { parseSafetensors, serializeSafetensors, toFloat32 } from './safetensors.js';

export interface LoadReport {
  loaded: number;
  /** Tensors in the file that no parameter uses (besides those the name map drops on purpose). */
  unused: string[];
}

export function loadWeights(
  params: ParameterTable,
  bytes: Uint8Array,
  source: string,
  nameFromHf: (hf: string) => string | null,
  select: (p: Param) => boolean = (p) => p.kind !== 'lora_A' && p.kind !== 'lora_B',
  afterEach?: (p: Param) => void,
): LoadReport {
  const file = parseSafetensors(bytes, source);
  const byName = new Map<string, string>();
  const unused: string[] = [];
  for (const hf of file.tensors.keys()) {
    const name = nameFromHf(hf);
    if (name === null) continue;
    if (params.has(name)) byName.set(name, hf);
    else unused.push(hf);
  }
  let loaded = 0;
  for (const p of params.entries) {
    if (!select(p)) continue;
    const hf = byName.get(p.name);
    if (!hf) {
      throw new Error(`${source}: tensor "${p.name}" (or "transformer.${p.name}") is missing; the file does not hold this model's weights, or its config.json does not match it`);
    }
    const t = file.tensors.get(hf)!;
    if (t.shape.length !== p.tensor.shape.length || t.shape.some((d, i) => d !== p.tensor.shape[i])) {
      throw new Error(`${source}: tensor "${hf}" has shape [${t.shape.join(', ')}] but the model config needs [${p.tensor.shape.join(', ')}]; check config.json against the weights`);
    }
    p.tensor.data.set(toFloat32(t));
    afterEach?.(p); // e.g. a sharder stores the tensor and drops it before the next one is made
    loaded++;
  }
  return { loaded, unused };
}

export function saveWeights(
  params: ParameterTable,
  nameToHf: (name: string) => string,
  select: (p: Param) => boolean = (p) => p.kind !== 'lora_A' && p.kind !== 'lora_B',
  dtype: 'F32' | 'F16' = 'F32',
): Uint8Array {
  const tensors = params.entries.filter(select).map((p) => ({ name: nameToHf(p.name), dtype, shape: [...p.tensor.shape], data: p.tensor.data }));
  return serializeSafetensors(tensors, { format: 'pt' });
}
