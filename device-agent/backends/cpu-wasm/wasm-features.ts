// Feature detection for the cpu-wasm backend: relaxed SIMD, what multi-threading needs, and how
// many cores there are, in Node and in browsers. Not a loader (wasm-kernels.ts decides what to load
// from these answers). Every check is a probe of the running engine, never a version table.

// A 64-byte module whose only function is f32x4.relaxed_madd(v128.const 0, v128.const 0,
// v128.const 0): it validates exactly where relaxed SIMD is on (Chromium and Electron, phone
// Chrome, Node 22+, Node 20 with --experimental-wasm-relaxed-simd).
const v128Zero = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x3d, 0x01, 0x3b, 0x00, // code section: one 59-byte body, no locals
  ...v128Zero, ...v128Zero, ...v128Zero,
  0xfd, 0x85, 0x02, // f32x4.relaxed_madd (0xfd 0x105)
  0x0b, // end
]);

export function relaxedSimdSupported(): boolean {
  try { return WebAssembly.validate(RELAXED_PROBE); } catch { return false; }
}

/** null when threads can be used here, else why not (in words). */
export function canUseThreads(): string | null {
  if (typeof SharedArrayBuffer !== 'function') {
    return 'SharedArrayBuffer unavailable (a browser page needs cross-origin isolation: COOP same-origin + COEP require-corp)';
  }
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) return 'the page is not cross-origin isolated (COOP/COEP headers)';
  try {
    // A browser page's main thread may not block; Node's main thread and Workers may.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
  } catch {
    return 'this thread may not block in Atomics.wait (a page main thread): run the trainer in a Worker';
  }
  const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
  if (!isNode && typeof Worker !== 'function') return 'no Worker constructor here';
  return null;
}

/** The cores available to this process (Node) or page (navigator.hardwareConcurrency). */
export async function defaultThreads(): Promise<number> {
  if (typeof process !== 'undefined' && typeof process.versions?.node === 'string') {
    const os = await import('node:os');
    return os.availableParallelism?.() ?? os.cpus().length;
  }
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
}
