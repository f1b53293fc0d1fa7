// Entry point of the cpu-wasm module (build-wasm.mjs compiles this file): re-exports what the host
// calls. Not a kernel itself; one module per build variant (SIMD or relaxed SIMD, private or shared
// memory), all from these same sources. Every kernel other than the direct matmul is reached
// through a job record (kernel-job.ts).
export { arenaBase, scratchBytes, matmul } from './matmul';
export { kernelJob, kernelRun } from './kernel-job';

/** What this build was compiled with: bit 0 relaxed SIMD (FMA), bit 1 threads (shared memory). */
export function buildFeatures(): i32 {
  return (ASC_FEATURE_RELAXED_SIMD ? 1 : 0) | (ASC_FEATURE_THREADS ? 2 : 0);
}
