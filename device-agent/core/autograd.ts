// Reverse-mode autograd on a tape. Every differentiable op appends one entry (its backward closure)
// when any input needs a gradient; the tape is already in topological order, so backward() walks it
// in reverse. Fused ops (layer norm, attention, cross-entropy) record once and call their own
// backward kernel: autograd never expands them into primitives (as llm.c / tinygrad do).
// Not a graph optimiser and not thread-safe: one tape per agent process.
import { Tensor } from './tensor.js';
import { releaseMemory } from './memory-tracker.js';

interface TapeEntry {
  op: string;
  backward: () => void;
}

class Tape {
  private entries: TapeEntry[] = [];
  private disabled = 0;

  get recording(): boolean {
    return this.disabled === 0;
  }

  /** Record an op's backward if any input requires grad; returns whether the output needs grad. */
  record(op: string, inputs: readonly (Tensor | null | undefined)[], backward: () => void): boolean {
    if (this.disabled > 0) return false;
    if (!inputs.some((t) => t?.requiresGrad)) return false;
    this.entries.push({ op, backward });
    return true;
  }

  /**
   * Seed d(loss)/d(loss) = 1 (or, for a non-scalar output, the given vector: a vector-Jacobian
   * product) and run every recorded backward in reverse order, then clear the tape.
   */
  backward(loss: Tensor, seed?: Float32Array): void {
    if (!seed && loss.size !== 1) throw new Error(`backward() needs a scalar loss, got shape [${loss.shape.join(', ')}]`);
    if (!loss.requiresGrad) throw new Error('backward(): the loss does not depend on any trainable parameter');
    if (seed) loss.ensureGrad().set(seed);
    else loss.ensureGrad()[0] = 1;
    this.run();
  }

  /** Run and clear the recorded entries, newest first (the output gradients are seeded). */
  private run(): void {
    const entries = this.entries;
    this.entries = [];
    for (let i = entries.length - 1; i >= 0; i--) {
      entries[i].backward();
      entries.pop(); // its saved activations and output gradient are garbage now
      if (i % 16 === 0) releaseMemory();
    }
  }

  /** Drop recorded entries (and the activations their closures hold) without running them. */
  clear(): void {
    this.entries = [];
  }

  get length(): number {
    return this.entries.length;
  }

  /**
   * Activation checkpointing: run fn(inputs) without keeping its intermediate activations, and
   * record one entry whose backward re-runs fn on the saved inputs with a nested tape, then
   * back-propagates through that. Memory: only the inputs and the output stay alive; compute: one
   * extra forward of fn. `state` saves and restores random state (dropout masks) for the replay.
   */
  checkpoint(inputs: Tensor[], fn: (xs: Tensor[]) => Tensor, state?: { save(): unknown; restore(s: unknown): void }): Tensor {
    if (this.disabled > 0) return fn(inputs);
    const saved = state?.save();
    const out = this.noGrad(() => fn(inputs));
    releaseMemory(); // the block's intermediate activations are garbage now
    const res = new Tensor(out.shape, out.data, true);
    this.entries.push({
      op: 'checkpoint',
      backward: () => {
        if (!res.grad) return;
        const current = state?.save(); // replay the forward's random stream, then continue where it was
        if (state) state.restore(saved);
        const xs = inputs.map((x) => new Tensor(x.shape, x.data, x.requiresGrad));
        const outer = this.entries;
        this.entries = [];
        try {
          const again = fn(xs);
          if (again.requiresGrad) {
            // res's gradient is complete and read by nothing else now: it seeds the replay as is
            again.grad = res.grad;
            this.run();
          }
        } finally {
          this.entries = outer;
          if (state) state.restore(current);
        }
        inputs.forEach((x, i) => {
          const g = xs[i].grad;
          if (!x.requiresGrad || !g) return;
          if (x.grad === null && !x.residency?.grad) x.grad = g; // the first gradient: taken, not copied
          else accumulateGrad(x, g);
        });
        releaseMemory();
      },
    });
    return res;
  }

  /** Run fn without recording (evaluation, weight updates). */
  noGrad<T>(fn: () => T): T {
    this.disabled++;
    try {
      return fn();
    } finally {
      this.disabled--;
    }
  }
}

export const tape = new Tape();

export { setMemoryReleaseHook } from './memory-tracker.js';

/** Add src into the gradient of t (allocating it), if t needs a gradient. */
export function accumulateGrad(t: Tensor, src: Float32Array): void {
  if (!t.requiresGrad) return;
  const g = t.ensureGrad();
  for (let i = 0; i < g.length; i++) g[i] += src[i];
}
