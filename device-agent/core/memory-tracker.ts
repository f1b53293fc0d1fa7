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
let garbageBytes = 0;
/** Collect once this much known garbage has piled up (evicted shards, recomputed blocks). */
const GARBAGE_LIMIT = 32 * 2 ** 20;

/**
 * Where memory is bounded (sharding), the runtime installs a full GC here (Node: --expose-gc), so the
 * OS-measured peak follows what is alive rather than the collector's schedule. Default: nothing.
 */
export function setMemoryReleaseHook(fn: () => void): void {
  releaseHook = fn;
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
