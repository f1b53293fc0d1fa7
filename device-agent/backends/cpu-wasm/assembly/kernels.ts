// Entry point of the cpu-wasm module (build-wasm.mjs compiles this file): re-exports every kernel
// the host calls. Not a kernel itself; one module per build variant (SIMD or relaxed SIMD,
// private or shared memory), all from these same sources.
export { arenaBase, scratchBytes, matmul } from './matmul';
export { matmulJob } from './matmul-job';

/** What this build was compiled with: bit 0 relaxed SIMD (FMA), bit 1 threads (shared memory). */
export function buildFeatures(): i32 {
  return (ASC_FEATURE_RELAXED_SIMD ? 1 : 0) | (ASC_FEATURE_THREADS ? 2 : 0);
}
