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
