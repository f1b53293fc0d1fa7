// LoRA (Hu et al. 2021) as Hugging Face PEFT defines it for GPT-2's Conv1D layers:
// y = x @ W + b + (alpha / r) * (dropout(x) @ A^T) @ B^T, with A (r, in) ~ kaiming-uniform
// U(+-1/sqrt(in)) and B (out, r) = 0. Adapters are rows of the shared parameter table
// ("<module>.lora_A", "<module>.lora_B"), so the optimizer, checkpoints and PEFT export see them.
// On the fused c_attn the one adapter covers q, k and v together (PEFT's layout); every part of it
// receives gradients, unlike the C++ original whose q/k/v copy broke the graph.
import { Tensor } from '../core/tensor.js';
import { Rng } from '../core/rng.js';
import { tape } from '../core/autograd.js';
import { kernel } from '../core/registry.js';
import type { ParameterTable } from '../core/parameter-table.js';
import * as F from './functional.js';

export const loraTargets = ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] as const;
export type LoraTarget = (typeof loraTargets)[number];

export interface LoraConfig {
  r: number;
  alpha: number;
  dropout: number;
  targets: LoraTarget[];
}

export const defaultLoraConfig: LoraConfig = { r: 8, alpha: 16, dropout: 0, targets: ['attn.c_attn', 'attn.c_proj'] };

export interface LoraState {
  config: LoraConfig;
  scale: number;
  /** Module paths (e.g. "h.0.attn.c_attn") that carry an adapter, in table order. */
  modules: string[];
  merged: boolean;
  /** Dropout is applied only while training. */
  training: boolean;
  dropoutRng: Rng;
}

/** Anything that holds a parameter table and, optionally, LoRA state (GPT-2, Gemma-3). */
export interface LoraHost {
  params: ParameterTable;
  lora: LoraState | null;
}

export function validateLoraConfig(cfg: LoraConfig): void {
  if (!Number.isInteger(cfg.r) || cfg.r <= 0) throw new Error(`LoRA rank must be a positive integer, got ${cfg.r} (--rank)`);
  if (!(cfg.alpha > 0)) throw new Error(`LoRA alpha must be positive, got ${cfg.alpha} (--alpha)`);
  if (!(cfg.dropout >= 0 && cfg.dropout < 1)) throw new Error(`LoRA dropout must be in [0, 1), got ${cfg.dropout} (--lora_dropout)`);
  if (cfg.targets.length === 0) throw new Error(`LoRA needs at least one target module; choose from ${loraTargets.join(', ')}`);
  for (const t of cfg.targets) {
    if (!loraTargets.includes(t)) throw new Error(`unknown LoRA target "${t}"; choose from ${loraTargets.join(', ')}`);
  }
}

/**
 * Add adapters for every target of every layer (layer-major, targets in config order) to the table,
 * initialise them from seed, freeze the base model and make only the adapters trainable.
 */
export function addLora(host: LoraHost, nLayer: number, config: LoraConfig, seed: number): LoraState {
  validateLoraConfig(config);
  const rng = new Rng(seed);
  const modules: string[] = [];
  for (let i = 0; i < nLayer; i++) {
    for (const target of config.targets) {
      const module = `h.${i}.${target}`;
      const [inF, outF] = host.params.tensor(`${module}.weight`).shape;
      const A = host.params.add(`${module}.lora_A`, [config.r, inF], 'lora_A');
      host.params.add(`${module}.lora_B`, [outF, config.r], 'lora_B');
      const bound = 1 / Math.sqrt(inF); // kaiming_uniform_(a=sqrt(5)), as PEFT
      rng.fillUniform(A.tensor.data, -bound, bound);
      modules.push(module);
    }
  }
  host.params.setTrainable((p) => p.kind === 'lora_A' || p.kind === 'lora_B');
  const state: LoraState = { config, scale: config.alpha / config.r, modules, merged: false, training: true, dropoutRng: new Rng(seed ^ 0x5bd1e995) };
  host.lora = state;
  return state;
}

/**
 * Whether linear(host, module, x) reads x's values only to compute its own output: a plain frozen
 * linear (no active adapter, weight not training), whose backward needs its weight, never x. An
 * activation-checkpoint replay that skips such a layer's output may then skip computing x too.
 */
export function linearNeedsInputOnlyForValue(host: LoraHost, module: string): boolean {
  const p = host.params;
  const adapted = host.lora && !host.lora.merged && p.has(`${module}.lora_A`);
  return !adapted && !p.tensor(`${module}.weight`).requiresGrad;
}

/**
 * A Conv1D linear layer at module path `module`, with its LoRA adapter when one is attached.
 * valueUnused / value: see F.matmul (a checkpoint replay that skips or is given the output).
 */
export function linear(host: LoraHost, module: string, x: Tensor, valueUnused = false, value?: Float32Array): Tensor {
  const p = host.params;
  const lora = host.lora;
  if (!lora || lora.merged || !p.has(`${module}.lora_A`)) return F.matmul(x, p.tensor(`${module}.weight`), { bias: p.tensor(`${module}.bias`), valueUnused, value }); // (rows, out)
  const mask = lora.training && lora.config.dropout > 0 ? dropoutMask(lora, x.size) : null;
  // fused: x @ W + b + scale * (drop(x) @ A^T) @ B^T, (rows, out)
  return F.loraLinear(x, p.tensor(`${module}.weight`), p.tensor(`${module}.bias`), p.tensor(`${module}.lora_A`), p.tensor(`${module}.lora_B`), lora.scale, mask, valueUnused, value);
}

function dropoutMask(lora: LoraState, n: number): Float32Array {
  const p = lora.config.dropout;
  const keep = 1 / (1 - p);
  const mask = new Float32Array(n);
  for (let i = 0; i < n; i++) mask[i] = lora.dropoutRng.uniform() < p ? 0 : keep;
  return mask;
}

/** W(in, out) += sign * scale * A^T(in, r) @ B^T(r, out) for every adapter. */
function foldAdapters(host: LoraHost, sign: 1 | -1): void {
  const lora = host.lora!;
  tape.noGrad(() => {
    for (const module of lora.modules) {
      const W = host.params.tensor(`${module}.weight`);
      const A = host.params.tensor(`${module}.lora_A`);
      const B = host.params.tensor(`${module}.lora_B`);
      const [inF, outF] = W.shape;
      const delta = new Float32Array(inF * outF);
      kernel('matmul')(A.data, B.data, delta, inF, outF, lora.config.r, true, true, false);
      kernel('scale').backward(W.mutableData(), delta, sign * lora.scale, delta.length); // a sharded W is written back (or refused if stored fp16)
    }
  });
}

/** Fold the adapters into the base weights (inference without the extra matmuls). */
export function mergeLora(host: LoraHost): void {
  if (!host.lora) throw new Error('mergeLora: the model has no LoRA adapters');
  if (host.lora.merged) return;
  foldAdapters(host, 1);
  host.lora.merged = true;
}

/** Undo mergeLora (exact up to float32 rounding). */
export function unmergeLora(host: LoraHost): void {
  if (!host.lora) throw new Error('unmergeLora: the model has no LoRA adapters');
  if (!host.lora.merged) return;
  foldAdapters(host, -1);
  host.lora.merged = false;
}
