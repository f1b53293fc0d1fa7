// The memory resident shard units live in: one buffer of the budget's size, allocated once, carved
// into slots (best fit, freed slots merge with free neighbours). A unit loaded again reuses memory
// the process already has, instead of a fresh allocation (with the agent's 1 MB malloc threshold
// each one was a new mapping whose pages all faulted in, and a buffer for the GC to find later).
// Shared (a SharedArrayBuffer) when a read-ahead worker writes into it. Knows nothing about units.

/** A slot: bytes [offset, offset + bytes) of the arena. */
export interface Slot {
  readonly offset: number;
  readonly bytes: number;
}

/**
 * Slot offsets and sizes are multiples of this: float32 views need 4, and no more, so that units
 * fill the arena exactly as they fill the budget's books (kernels copy operands into WASM memory,
 * which aligns them itself).
 */
const ALIGN = 4;
const roundUp = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

export class ShardArena {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  /** Free ranges, sorted by offset, never adjacent (merged on free). */
  private free: { offset: number; bytes: number }[];
  private usedBytes = 0;

  /** `poison`: fill freed slots with NaN, so that a view kept past its unit's eviction reads NaN (tests). */
  constructor(readonly bytes: number, shared: boolean, private readonly poison = false) {
    const size = roundUp(Math.max(bytes, ALIGN));
    this.buffer = shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size);
    this.free = [{ offset: 0, bytes: size }];
  }

  get used(): number {
    return this.usedBytes;
  }

  /** A slot of at least `bytes`, or null when no free range is that large (the caller evicts and retries). */
  alloc(bytes: number): Slot | null {
    const need = roundUp(Math.max(bytes, 1));
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const f = this.free[i];
      if (f.bytes >= need && (best < 0 || f.bytes < this.free[best].bytes)) best = i;
    }
    if (best < 0) return null;
    const f = this.free[best];
    const slot = { offset: f.offset, bytes: need };
    if (f.bytes === need) this.free.splice(best, 1);
    else this.free[best] = { offset: f.offset + need, bytes: f.bytes - need };
    this.usedBytes += need;
    return slot;
  }

  release(slot: Slot): void {
    if (this.poison) new Float32Array(this.buffer, slot.offset, slot.bytes / 4).fill(NaN);
    let i = 0;
    while (i < this.free.length && this.free[i].offset < slot.offset) i++;
    const prev = this.free[i - 1];
    const next = this.free[i];
    if ((prev && prev.offset + prev.bytes > slot.offset) || (next && slot.offset + slot.bytes > next.offset)) {
      throw new Error(`shard arena: slot [${slot.offset}, ${slot.offset + slot.bytes}) released twice`);
    }
    let range = { offset: slot.offset, bytes: slot.bytes };
    if (next && range.offset + range.bytes === next.offset) {
      range = { offset: range.offset, bytes: range.bytes + next.bytes };
      this.free.splice(i, 1);
    }
    if (prev && prev.offset + prev.bytes === range.offset) {
      this.free[i - 1] = { offset: prev.offset, bytes: prev.bytes + range.bytes };
    } else this.free.splice(i, 0, range);
    this.usedBytes -= slot.bytes;
  }

  /** The slot's first `count` float32 values. */
  floats(slot: Slot, count: number): Float32Array {
    return new Float32Array(this.buffer, slot.offset, count);
  }

  /** The last `length` bytes of the slot's first `count` floats (where fp16 bytes are read before decoding in place). */
  tail(slot: Slot, count: number, length: number): Uint8Array {
    return new Uint8Array(this.buffer, slot.offset + count * 4 - length, length);
  }
}
