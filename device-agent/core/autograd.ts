// Reverse-mode autograd on a tape. Every differentiable op appends one entry (its backward closure)
// when any input needs a gradient; the tape is already in topological order, so backward() walks it
// in reverse. Fused ops (layer norm, attention, cross-entropy) record once and call their own
// backward kernel: autograd never expands them into primitives (as llm.c / tinygrad do).
// Not a graph optimiser and not thread-safe: one tape per agent process.
import { Tensor } from './tensor.js';

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
    for (let i = this.entries.length - 1; i >= 0; i--) this.entries[i].backward();
    this.entries = [];
  }

  /** Drop recorded entries (and the activations their closures hold) without running them. */
  clear(): void {
    this.entries = [];
  }

  get length(): number {
    return this.entries.length;
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

/** Add src into the gradient of t (allocating it), if t needs a gradient. */
export function accumulateGrad(t: Tensor, src: Float32Array): void {
  if (!t.requiresGrad) return;
  const g = t.ensureGrad();
  for (let i = 0; i < g.length; i++) g[i] += src[i];
}
