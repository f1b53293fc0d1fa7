// The Node flags every process that runs the trainer's kernels is started with: the local agent
// (main/transports/local-transport.ts), the trainer CLI (`npm run train`, via run-node.mjs), the
// alignment run and the benchmark children. One place, so that they all measure and train with
// the same kernels. Plain JavaScript: run-node.mjs needs it before any loader exists.

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
