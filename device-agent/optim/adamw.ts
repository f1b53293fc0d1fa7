// AdamW over the trainable rows of a parameter table, as torch.optim.AdamW: decoupled weight decay
// (only on matrices, embeddings and LoRA factors), bias-corrected moments, one step counter.
// Moments are kept per parameter name so they can be checkpointed and restored for resume.
import { decays, type ParameterTable } from '../core/parameter-table.js';
import { kernel } from '../core/registry.js';
import { track } from '../core/memory-tracker.js';

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const defaultAdamW: AdamWConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

export class AdamW {
  /** Number of updates taken so far. */
  t = 0;
  readonly m = new Map<string, Float32Array>();
  readonly v = new Map<string, Float32Array>();

  constructor(private readonly params: ParameterTable, readonly config: AdamWConfig = defaultAdamW) {
    for (const p of params.trainable()) {
      this.m.set(p.name, track(new Float32Array(p.tensor.size)));
      this.v.set(p.name, track(new Float32Array(p.tensor.size)));
    }
  }

  /** One update of every trainable parameter with the gradients currently accumulated. */
  step(lr: number): void {
    this.t++;
    const { beta1, beta2, eps, weightDecay } = this.config;
    const bc1 = 1 - beta1 ** this.t;
    const bc2 = 1 - beta2 ** this.t;
    const update = kernel('adamw');
    for (const p of this.params.trainable()) {
      const g = p.tensor.grad;
      if (!g) continue; // never reached by the loss: torch skips params whose grad is None
      update(p.tensor.data, g, this.m.get(p.name)!, this.v.get(p.name)!, p.tensor.size, lr, beta1, beta2, eps, decays(p) ? weightDecay : 0, bc1, bc2);
    }
  }
}
