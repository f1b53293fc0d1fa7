// The Node flags and environment every process that runs the trainer's kernels is started with:
// the local agent (main/transports/local-transport.ts), the trainer CLI (`npm run train`, via
// run-node.mjs), the alignment run and the benchmark children. One place, so that they all train
// and measure alike. Plain JavaScript: run-node.mjs needs it before any loader exists.

/**
 * Node 20 (V8 11.3) validates relaxed SIMD (the FMA matmul, ~1.5x the plain SIMD one) only behind
 * --experimental-wasm-relaxed-simd; from Node 22 (V8 12.4) it is on, and later V8s drop the flag,
 * so it is passed only where it is needed. `nodeVersion`: the version of the node binary that
 * will run (process.versions.node of the binary that spawns itself, which is the usual case).
 */
export function agentNodeFlags(nodeVersion = process.versions.node) {
  const major = Number(String(nodeVersion).replace(/^v/, '').split('.')[0]);
  if (!Number.isInteger(major)) throw new Error(`agentNodeFlags: not a Node version: ${JSON.stringify(nodeVersion)}`);
  return major < 22 ? ['--experimental-wasm-relaxed-simd'] : [];
}

/** Arguments that make `node` run `script`: TypeScript through the tsx loader (in-process, so the pid is the script's), JavaScript as is. */
export function scriptArgs(script) {
  return /\.[cm]?tsx?$/.test(script) ? ['--import', 'tsx', script] : [script];
}

/** Default for MALLOC_MMAP_THRESHOLD_ (bytes): see agentNodeEnv. */
export const AGENT_MMAP_THRESHOLD = 2 ** 20;

/** V8's young generation (MB per semi-space) where memory is bounded: see agentNodeEnv. */
export const AGENT_SEMI_SPACE_MB = 1;

/**
 * The environment for such a process: `env` plus, where the process bounds its memory
 * (`boundedMemory`: a sharded job), two settings:
 * - MALLOC_MMAP_THRESHOLD_ (glibc malloc). The trainer's big buffers are ArrayBuffers that Node
 *   allocates with malloc; glibc raises its mmap threshold to the largest block freed so far (up to
 *   32 MB), after which freed activations (1-6 MB each) stay in its heap as fragments instead of
 *   going back to the OS. A fixed 1 MB threshold gives every block above it its own mapping,
 *   unmapped when freed, which keeps the sharded peak down (benchmarks/README.md). Every such buffer
 *   then starts as fresh pages (page faults): unsharded, where it only moves the peak ~1% (922 vs
 *   934 MB), it made steps ~8-11% slower (paired runs), so unbounded processes keep glibc's default.
 *   FLEETTUNE_MMAP_THRESHOLD=<bytes> sets a value for every process, =glibc keeps glibc's default
 *   everywhere; a MALLOC_MMAP_THRESHOLD_ already in `env` is kept. Other C libraries ignore it.
 * - NODE_OPTIONS --max-semi-space-size=1: V8's young generation otherwise grows to 16 MB per
 *   semi-space; capped, the sharded peak at a 128 MB budget is ~3-4 MB lower, at no measurable
 *   cost (the trainer's JS objects are small; its data lives in ArrayBuffers). A
 *   --max-semi-space-size already in NODE_OPTIONS is kept.
 */
export function agentNodeEnv(env, { boundedMemory }) {
  if (typeof boundedMemory !== 'boolean') throw new Error('agentNodeEnv: say whether the process bounds its memory ({ boundedMemory: true | false })');
  const out = { ...env };
  if (boundedMemory && !/--max-semi-space-size\b/.test(env.NODE_OPTIONS ?? '')) {
    out.NODE_OPTIONS = [env.NODE_OPTIONS, `--max-semi-space-size=${AGENT_SEMI_SPACE_MB}`].filter(Boolean).join(' ');
  }
  if (env.MALLOC_MMAP_THRESHOLD_ !== undefined) return out;
  const knob = env.FLEETTUNE_MMAP_THRESHOLD;
  if (knob !== undefined && knob !== 'glibc' && !/^\d+$/.test(knob)) throw new Error(`FLEETTUNE_MMAP_THRESHOLD must be a byte count or "glibc", got ${JSON.stringify(knob)}`);
  if (knob === 'glibc' || (knob === undefined && !boundedMemory)) return out;
  return { ...out, MALLOC_MMAP_THRESHOLD_: knob ?? String(AGENT_MMAP_THRESHOLD) };
}
