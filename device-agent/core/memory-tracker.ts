// Tracked tensor memory: bytes of the float buffers the trainer allocated (parameters, gradients,
// optimizer moments, activations) that have not been garbage-collected yet, and the peak of that.
// It is the agent's own book-keeping, reported beside the OS-measured peak RSS, never instead of it:
// GC timing makes "live" approximate, and the JS heap, WASM memory and runtime are not in it.
const registry = new FinalizationRegistry<number>((bytes) => {
  live -= bytes;
});
let live = 0;
let peak = 0;

/** Count a buffer until it is garbage-collected. */
export function track<T extends { byteLength: number }>(buf: T): T {
  live += buf.byteLength;
  if (live > peak) peak = live;
  registry.register(buf, buf.byteLength);
  if (boundedUsers > 0) noteGarbage(buf.byteLength);
  return buf;
}

export function memoryStats(): { trackedBytes: number; peakTrackedBytes: number } {
  return { trackedBytes: live, peakTrackedBytes: peak };
}

/** Start a new peak window (e.g. per job). */
export function resetPeak(): void {
  peak = live;
}

let releaseHook: () => void = () => {};
/** Memory is bounded (a parameter sharder is open): allocations count toward the next collection. */
let boundedUsers = 0;
let garbageBytes = 0;
/**
 * Collect once this many bytes may have become garbage since the last collection: buffers dropped
 * (evicted shards) plus buffers allocated (each new activation or gradient stands for an older one
 * that died). Measured on GPT-2-small LoRA at a 128 MB shard budget (benchmarks/README.md): 32 MB
 * of dropped buffers alone left the peak at ~300 MB, counting allocations at 16 MB ~270, at 8 MB ~267.
 */
const GARBAGE_LIMIT = 16 * 2 ** 20;

/**
 * Where memory is bounded (sharding), the runtime installs a full GC here (Node: --expose-gc), so the
 * OS-measured peak follows what is alive rather than the collector's schedule. Default: nothing.
 */
export function setMemoryReleaseHook(fn: () => void): void {
  releaseHook = fn;
}

/**
 * Memory is bounded from now on (on: a parameter sharder opened) or no longer (off: it closed):
 * while bounded, allocations count as possible garbage too, so collections come about every
 * GARBAGE_LIMIT bytes allocated. Unbounded runs collect only at the release points, as before.
 */
export function boundMemory(on: boolean): void {
  boundedUsers = Math.max(0, boundedUsers + (on ? 1 : -1));
}

/** A point where a lot of buffers just became garbage (a checkpointed block finished). */
export function releaseMemory(): void {
  garbageBytes = 0;
  releaseHook();
}

/** Buffers of `bytes` were just dropped; collect when enough has piled up. */
export function noteGarbage(bytes: number): void {
  garbageBytes += bytes;
  if (garbageBytes >= GARBAGE_LIMIT) releaseMemory();
}
