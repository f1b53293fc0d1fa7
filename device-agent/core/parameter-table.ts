// The parameter table: one flat, ordered list of every parameter of a model (base weights and LoRA
// adapters alike). Init, safetensors load/save, LoRA selection, AdamW moments, gradient zeroing,
// clipping and (later) sharding all iterate over it; nothing else keeps its own parameter list.
// Follows llm.c's ParameterTensors. Names are Hugging Face names without the "transformer." prefix.
import { Tensor, type Shape } from './tensor.js';

/** What a parameter is; decides weight decay (matrices yes, biases and norms no) and LoRA roles. */
export type ParamKind = 'matrix' | 'embedding' | 'bias' | 'norm' | 'lora_A' | 'lora_B';

export interface Param {
  name: string;
  tensor: Tensor;
  kind: ParamKind;
}

/** Something that stores parameters as they are produced, piece by piece (a parameter sharder). */
export interface ParamSink {
  /** `fill(out, offset)` writes the values at elements offset..offset+out.length, in order. */
  adoptFrom(p: Param, fill: (out: Float32Array, offset: number) => void): void;
}

export class ParameterTable {
  readonly entries: Param[] = [];
  private readonly byName = new Map<string, Param>();

  /** Buffers of a lazy table are allocated on first use (a sharded model is initialised one tensor at a time). */
  constructor(readonly lazy = false) {}

  add(name: string, shape: Shape, kind: ParamKind): Param {
    if (this.byName.has(name)) throw new Error(`parameter "${name}" is defined twice`);
    const lazy = this.lazy && kind !== 'lora_A' && kind !== 'lora_B';
    const p: Param = { name, tensor: Tensor.zeros(shape, false, lazy), kind };
    this.entries.push(p);
    this.byName.set(name, p);
    return p;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  get(name: string): Param {
    const p = this.byName.get(name);
    if (!p) throw new Error(`no parameter named "${name}"`);
    return p;
  }

  tensor(name: string): Tensor {
    return this.get(name).tensor;
  }

  /** Mark which parameters train (requiresGrad); all others are frozen. */
  setTrainable(pred: (p: Param) => boolean): void {
    for (const p of this.entries) p.tensor.requiresGrad = pred(p);
  }

  trainable(): Param[] {
    return this.entries.filter((p) => p.tensor.requiresGrad);
  }

  numel(filter: (p: Param) => boolean = () => true): number {
    return this.entries.filter(filter).reduce((n, p) => n + p.tensor.size, 0);
  }

  /** Set every gradient to zero (gradients stay allocated for reuse; sharded ones are dropped). */
  zeroGrad(): void {
    for (const p of this.entries) p.tensor.zeroGrad();
  }
}

/** Weight decay applies to matrices, embeddings and LoRA factors (ndim >= 2), never to biases or norms. */
export function decays(p: Param): boolean {
  return p.kind !== 'bias' && p.kind !== 'norm';
}
