// Tensor: a shape plus a flat float32 buffer, and an optional gradient buffer of the same size.
// It is not a view/stride library: every tensor is contiguous and row-major, which is all the
// kernels need. Integer inputs (token ids) travel as Int32Array beside tensors, not as tensors.
// Follows llm.c's flat-buffer style; autograd bookkeeping lives in autograd.ts, not here.
import { track } from './memory-tracker.js';
import type { RowSource } from './ops.js';

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`invalid tensor shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

/** A store that holds a tensor's values while they are evicted (see memory/parameter-sharder.ts). */
export interface Residency {
  fetch(t: Tensor): Float32Array;
  touch(t: Tensor): void;
  /** The values were changed in memory (mutableData()): write them back before dropping them. */
  markDirty?(t: Tensor): void;
  /**
   * A residency that keeps gradients too (a sharded trainable parameter): the gradient, or null if
   * there is none yet; `write` creates a zero one when there is none and marks it changed.
   */
  grad?(t: Tensor, write: boolean): Float32Array | null;
  /** Set the gradient to zero without reading or writing its values. */
  zeroGrad?(t: Tensor): void;
}

/** A lazy tensor's buffer is allocated (zeroed) on first access, so a sharded model never exists whole. */
const zeroOnFirstUse: Residency = {
  fetch: (t) => track(new Float32Array(t.size)),
  touch: () => {},
};

export class Tensor {
  readonly shape: Shape;
  readonly size: number;
  private buffer: Float32Array | null;
  /** Where the values live while evicted (a parameter sharder); null for ordinary tensors. */
  residency: Residency | null = null;
  private gradBuffer: Float32Array | null = null;
  requiresGrad: boolean;
  /**
   * Row access for a (V, C) tensor whose rows may live outside `data` (a parameter sharded in row
   * chunks); when unset, rows are views of `data`. Used by the chunked LM head and the embedding.
   */
  rowSource: RowSource | null = null;

  constructor(shape: Shape, data?: Float32Array, requiresGrad = false, lazy = false) {
    this.shape = [...shape];
    this.size = sizeOf(shape);
    if (data && data.length !== this.size) {
      throw new Error(`tensor data has ${data.length} elements but shape [${shape.join(', ')}] needs ${this.size}`);
    }
    this.buffer = data ?? (lazy ? null : track(new Float32Array(this.size)));
    if (lazy && !data) this.residency = zeroOnFirstUse;
    this.requiresGrad = requiresGrad;
  }

  /** The values; an evicted (sharded) tensor is fetched back from its store on access. */
  get data(): Float32Array {
    if (this.buffer === null) {
      if (!this.residency) throw new Error('tensor data was released and has no store to fetch it from');
      this.buffer = this.residency.fetch(this);
    } else this.residency?.touch(this);
    return this.buffer;
  }

  set data(d: Float32Array) {
    if (d.length !== this.size) throw new Error(`tensor data has ${d.length} elements but shape [${this.shape.join(', ')}] needs ${this.size}`);
    this.buffer = d;
  }

  /**
   * The values, for writing (an optimizer step, a checkpoint load): a sharded tensor is marked
   * changed, so its sharder writes it back before dropping it. Reading through `data` marks nothing.
   */
  mutableData(): Float32Array {
    const d = this.data;
    this.residency?.markDirty?.(this);
    return d;
  }

  /** The gradient, or null when none was ever made; a sharded parameter's comes from its sharder. */
  get grad(): Float32Array | null {
    if (this.gradBuffer === null && this.residency?.grad) return this.residency.grad(this, false);
    return this.gradBuffer;
  }

  set grad(g: Float32Array | null) {
    if (this.residency?.grad) throw new Error('the gradient of a sharded parameter is kept by its sharder; use ensureGrad() / zeroGrad()');
    if (g && g.length !== this.size) throw new Error(`gradient has ${g.length} elements but shape [${this.shape.join(', ')}] needs ${this.size}`);
    this.gradBuffer = g;
  }

  /** Whether the values are in memory now. */
  get resident(): boolean {
    return this.buffer !== null;
  }

  /** Drop the in-memory values (the residency must be able to fetch them back). */
  release(): void {
    if (!this.residency) throw new Error('release(): this tensor has no store; its values would be lost');
    this.buffer = null;
  }

  static zeros(shape: Shape, requiresGrad = false, lazy = false): Tensor {
    return new Tensor(shape, undefined, requiresGrad, lazy);
  }

  /** The gradient buffer for accumulating into, allocated (zeroed) on first use. */
  ensureGrad(): Float32Array {
    if (this.residency?.grad) return this.residency.grad(this, true)!;
    if (!this.gradBuffer) this.gradBuffer = track(new Float32Array(this.size));
    return this.gradBuffer;
  }

  /** Zero the gradient (kept allocated; a sharded one is dropped and reads as zeros). */
  zeroGrad(): void {
    if (this.residency?.zeroGrad) this.residency.zeroGrad(this);
    else this.gradBuffer?.fill(0);
  }

  /** Last dimension and the product of the others: the (rows, cols) view kernels work on. */
  rowsCols(): [number, number] {
    const cols = this.shape[this.shape.length - 1] ?? 1;
    return [cols === 0 ? 0 : this.size / cols, cols];
  }

  /** Mean of all elements, in float64 (a convenience for logging, not a differentiable op). */
  item(): number {
    if (this.size !== 1) throw new Error(`item() needs a one-element tensor, got shape [${this.shape.join(', ')}]`);
    return this.data[0];
  }
}

/** Rows [v0, v1) of a 2-D tensor: from its row source when it has one, else a view of its data. */
export function rowsOf(t: Tensor): RowSource {
  if (t.rowSource) return t.rowSource;
  const C = t.shape[1];
  return (v0, v1) => t.data.subarray(v0 * C, v1 * C);
}
