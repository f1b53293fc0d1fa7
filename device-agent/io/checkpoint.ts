// Training checkpoints for resume: the trainable parameters, AdamW's moments and step counter, and
// the step reached, in one safetensors file (names "param/<name>", "adam_m/<name>", "adam_v/<name>";
// metadata holds step, adam_t and the run's config so a resume with other settings is refused).
// Not an inference export: LoRA adapters go out as PEFT files, full models as HF safetensors.
import type { ParameterTable } from '../core/parameter-table.js';
import type { AdamW } from '../optim/adamw.js';
import { parseSafetensors, serializeSafetensors, toFloat32, type SafetensorsInput } from './safetensors.js';

export interface CheckpointInfo {
  step: number;
  /** A fingerprint of the settings that must match on resume (model, mode, LoRA, batch shape). */
  fingerprint: string;
}

export function saveCheckpoint(params: ParameterTable, optimizer: AdamW, info: CheckpointInfo): Uint8Array {
  const tensors: SafetensorsInput[] = [];
  for (const p of params.trainable()) {
    const shape = [...p.tensor.shape];
    tensors.push({ name: `param/${p.name}`, dtype: 'F32', shape, data: p.tensor.data });
    tensors.push({ name: `adam_m/${p.name}`, dtype: 'F32', shape, data: optimizer.m.get(p.name)! });
    tensors.push({ name: `adam_v/${p.name}`, dtype: 'F32', shape, data: optimizer.v.get(p.name)! });
  }
  return serializeSafetensors(tensors, { step: String(info.step), adam_t: String(optimizer.t), fingerprint: info.fingerprint });
}

/** Restore parameters and optimizer state in place; returns the step to continue from. */
export function loadCheckpoint(params: ParameterTable, optimizer: AdamW, bytes: Uint8Array, source: string, fingerprint: string): number {
  const file = parseSafetensors(bytes, source);
  const meta = file.metadata;
  if (meta.fingerprint !== fingerprint) {
    throw new Error(`${source}: checkpoint was written by a run with different settings (${meta.fingerprint ?? 'unknown'}); resume with the same model, mode, LoRA and batch flags, or start a new run`);
  }
  for (const p of params.trainable()) {
    for (const [prefix, dst] of [['param', p.tensor.data], ['adam_m', optimizer.m.get(p.name)!], ['adam_v', optimizer.v.get(p.name)!]] as const) {
      const t = file.tensors.get(`${prefix}/${p.name}`);
      if (!t) throw new Error(`${source}: checkpoint is missing "${prefix}/${p.name}"; it is incomplete, use an earlier checkpoint`);
      const data = toFloat32(t);
      if (data.length !== dst.length) throw new Error(`${source}: "${prefix}/${p.name}" has ${data.length} values, the model needs ${dst.length}`);
      dst.set(data);
    }
  }
  optimizer.t = Number(meta.adam_t);
  const step = Number(meta.step);
  if (!Number.isInteger(step) || step < 0 || !Number.isInteger(optimizer.t)) throw new Error(`${source}: checkpoint metadata has no valid step; the file is corrupt`);
  return step;
}
