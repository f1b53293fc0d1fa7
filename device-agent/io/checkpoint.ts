// Training checkpoints for resume: the trainable parameters, AdamW's moments and step counter, and
// the step reached, in one safetensors file (names "param/<name>", "adam_m/<name>", "adam_v/<name>";
// metadata holds step, adam_t and the run's config so a resume with other settings is refused).
// Written and read tensor by tensor (writeCheckpoint / loadCheckpointFrom), so a sharded full
// fine-tuning run never needs its parameters and moments in memory at once; saveCheckpoint /
// loadCheckpoint are the in-memory forms. Not an inference export: LoRA adapters go out as PEFT
// files, full models as HF safetensors.
import type { Param, ParameterTable } from '../core/parameter-table.js';
import type { AdamW } from '../optim/adamw.js';
import type { ByteSource } from './byte-source.js';
import { encodeTensorData, parseSafetensors, readSafetensorsHeader, readSafetensorsTensor, safetensorsLayout, toFloat32Into, type SafetensorsSpec, type SafetensorsTensor } from './safetensors.js';

export interface CheckpointInfo {
  step: number;
  /** A fingerprint of the settings that must match on resume (model, mode, LoRA, batch shape). */
  fingerprint: string;
}

type Part = 'param' | 'adam_m' | 'adam_v';
const PARTS: Part[] = ['param', 'adam_m', 'adam_v'];

function layout(params: ParameterTable, optimizer: AdamW, info: CheckpointInfo) {
  const items = params.trainable().flatMap((p) => PARTS.map((part) => ({ p, part })));
  const specs: SafetensorsSpec[] = items.map(({ p, part }) => ({ name: `${part}/${p.name}`, dtype: 'F32', shape: [...p.tensor.shape] }));
  return { items, ...safetensorsLayout(specs, { step: String(info.step), adam_t: String(optimizer.t), fingerprint: info.fingerprint }) };
}

/**
 * Write a checkpoint piece by piece: `write` gets the header, then each tensor (a sharded parameter
 * or moment chunk is fetched one at a time) and must use or copy the bytes before it returns.
 */
export function writeCheckpoint(params: ParameterTable, optimizer: AdamW, info: CheckpointInfo, write: (bytes: Uint8Array) => void): number {
  const { items, header, order, size } = layout(params, optimizer, info);
  write(header);
  for (const i of order) {
    const { p, part } = items[i];
    if (part === 'param') write(encodeTensorData(p.tensor.data, 'F32'));
    else optimizer.forEachMoment(p, false, (m, v) => write(encodeTensorData(part === 'adam_m' ? m : v, 'F32')));
  }
  return size;
}

export function saveCheckpoint(params: ParameterTable, optimizer: AdamW, info: CheckpointInfo): Uint8Array {
  const out = new Uint8Array(layout(params, optimizer, info).size);
  let at = 0;
  writeCheckpoint(params, optimizer, info, (bytes) => {
    out.set(bytes, at);
    at += bytes.length;
  });
  return out;
}

/** Check the metadata and that every tensor the model needs is there with the right size, before anything changes. */
function validate(params: ParameterTable, meta: Record<string, string>, has: (name: string) => number | undefined, source: string, fingerprint: string): { step: number; adamT: number } {
  if (meta.fingerprint !== fingerprint) {
    throw new Error(`${source}: checkpoint was written by a run with different settings (${meta.fingerprint ?? 'unknown'}); resume with the same model, mode, LoRA and batch flags, or start a new run`);
  }
  for (const p of params.trainable()) {
    for (const part of PARTS) {
      const n = has(`${part}/${p.name}`);
      if (n === undefined) throw new Error(`${source}: checkpoint is missing "${part}/${p.name}"; it is incomplete, use an earlier checkpoint`);
      if (n !== p.tensor.size) throw new Error(`${source}: "${part}/${p.name}" has ${n} values, the model needs ${p.tensor.size}`);
    }
  }
  const step = Number(meta.step);
  const adamT = Number(meta.adam_t);
  if (!Number.isInteger(step) || step < 0 || !Number.isInteger(adamT)) throw new Error(`${source}: checkpoint metadata has no valid step; the file is corrupt`);
  return { step, adamT };
}

function assign(p: Param, part: Part, t: SafetensorsTensor, optimizer: AdamW): void {
  if (part === 'param') toFloat32Into(t, p.tensor.mutableData());
  else optimizer.forEachMoment(p, true, (m, v, offset) => toFloat32Into(t, part === 'adam_m' ? m : v, offset));
}

const count = (shape: number[]) => shape.reduce((n, d) => n * d, 1);

/** Restore parameters and optimizer state in place from the whole file's bytes; returns the step to continue from. */
export function loadCheckpoint(params: ParameterTable, optimizer: AdamW, bytes: Uint8Array, source: string, fingerprint: string): number {
  const file = parseSafetensors(bytes, source);
  const shapeOf = (name: string) => file.tensors.get(name)?.shape;
  const { step, adamT } = validate(params, file.metadata, (n) => (shapeOf(n) ? count(shapeOf(n)!) : undefined), source, fingerprint);
  for (const p of params.trainable()) for (const part of PARTS) assign(p, part, file.tensors.get(`${part}/${p.name}`)!, optimizer);
  optimizer.t = adamT;
  return step;
}

/** Restore from a random-access source, one tensor at a time (the file is never in memory whole). */
export async function loadCheckpointFrom(params: ParameterTable, optimizer: AdamW, src: ByteSource, source: string, fingerprint: string): Promise<number> {
  const header = await readSafetensorsHeader(src, source);
  const entries = new Map(header.entries.map((e) => [e.name, e]));
  const { step, adamT } = validate(params, header.metadata, (n) => (entries.has(n) ? count(entries.get(n)!.shape) : undefined), source, fingerprint);
  for (const p of params.trainable()) {
    for (const part of PARTS) assign(p, part, await readSafetensorsTensor(src, entries.get(`${part}/${p.name}`)!), optimizer);
  }
  optimizer.t = adamT;
  return step;
}
