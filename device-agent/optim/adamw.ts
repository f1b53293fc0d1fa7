// AdamW over the trainable rows of a parameter table, as torch.optim.AdamW: decoupled weight decay
// (only on matrices, embeddings and LoRA factors), bias-corrected moments, one step counter.
// Moments are kept per parameter name so they can be checkpointed and restored for resume. A
// sharded trainable parameter (full fine-tuning under a memory budget) keeps its moments in its
// sharder instead, and the update walks them chunk by chunk (the kernel is elementwise, so the
// result is bit-identical); its gradient is consumed (reads as zero afterwards).
import { decays, type Param, type ParameterTable } from '../core/parameter-table.js';
import type { Tensor } from '../core/tensor.js';
import { kernel } from '../core/registry.js';
import { track } from '../core/memory-tracker.js';

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const defaultAdamW: AdamWConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

/** Where a sharded parameter's moments live (memory/parameter-sharder.ts). */
export interface MomentStore {
  /** fn over t's moments in pieces covering elements [offset, offset + m.length); with `write`, changes are kept. */
  moments(t: Tensor, write: boolean, fn: (m: Float32Array, v: Float32Array, offset: number) => void): void;
  /** fn over the whole parameter w and gradient g with one moment piece at a time; changes to w, m, v are kept. */
  updateWithMoments(t: Tensor, fn: (w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, offset: number) => void): void;
  /** Start reading `next` while `now` is in use (gradients too, when `backward`). */
  prefetch?(next: Tensor[], now: Tensor[], backward: boolean): void;
}

/** The sharder holding t's moments, if t is a sharded trainable parameter. */
function momentStoreOf(t: Tensor): MomentStore | null {
  const r = t.residency as Partial<MomentStore> | null;
  return r && typeof r.updateWithMoments === 'function' && typeof r.moments === 'function' ? (r as MomentStore) : null;
}

export class AdamW {
  /** Number of updates taken so far. */
  t = 0;
  /** Moments of the parameters held in memory (sharded parameters keep theirs in the sharder). */
  readonly m = new Map<string, Float32Array>();
  readonly v = new Map<string, Float32Array>();

  constructor(private readonly params: ParameterTable, readonly config: AdamWConfig = defaultAdamW) {
    for (const p of params.trainable()) {
      if (momentStoreOf(p.tensor)) continue;
      this.m.set(p.name, track(new Float32Array(p.tensor.size)));
      this.v.set(p.name, track(new Float32Array(p.tensor.size)));
    }
  }

  /** fn over p's moments, in pieces for a sharded parameter (checkpoints); `write` keeps changes. */
  forEachMoment(p: Param, write: boolean, fn: (m: Float32Array, v: Float32Array, offset: number) => void): void {
    const store = momentStoreOf(p.tensor);
    if (store) return store.moments(p.tensor, write, fn);
    const m = this.m.get(p.name);
    if (!m) throw new Error(`AdamW has no moments for "${p.name}": it was not trainable when the optimizer was made`);
    fn(m, this.v.get(p.name)!, 0);
  }

  /**
   * One update of every trainable parameter with the gradients currently accumulated, each first
   * multiplied by `gradScale` (global-norm clipping: the same float32 product clipGradNorm makes).
   */
  step(lr: number, gradScale = 1): void {
    this.t++;
    const { beta1, beta2, eps, weightDecay } = this.config;
    const bc1 = 1 - beta1 ** this.t;
    const bc2 = 1 - beta2 ** this.t;
    const update = kernel('adamw');
    const trainable = this.params.trainable();
    trainable.forEach((p, i) => {
      const wd = decays(p) ? weightDecay : 0;
      const store = momentStoreOf(p.tensor);
      if (!store) {
        const g = p.tensor.grad;
        if (!g) return; // never reached by the loss: torch skips params whose grad is None
        if (gradScale !== 1) for (let j = 0; j < g.length; j++) g[j] *= gradScale;
        update(p.tensor.mutableData(), g, this.m.get(p.name)!, this.v.get(p.name)!, p.tensor.size, lr, beta1, beta2, eps, wd, bc1, bc2);
        return;
      }
      const next = trainable[i + 1];
      if (next) store.prefetch?.([next.tensor], [p.tensor], true);
      store.updateWithMoments(p.tensor, (w, g, m, v, offset) => {
        const n = m.length;
        if (gradScale !== 1) for (let j = offset; j < offset + n; j++) g[j] *= gradScale;
        update(w.subarray(offset, offset + n), g.subarray(offset, offset + n), m, v, n, lr, beta1, beta2, eps, wd, bc1, bc2);
      });
      p.tensor.zeroGrad(); // consumed: dropped without writing it back
    });
  }
}
