// The cpu-wasm backend: registers one kernel per op under "cpu-wasm". Matmul, attention, layer norm,
// GELU, the LM head's softmax and AdamW run in WebAssembly SIMD built from assembly/ by
// build-wasm.mjs, with FMA (relaxed SIMD) and worker threads where the engine allows (wasm-ops.ts);
// the cheap elementwise and gather ops are typed-array loops in kernels/.
// Call initCpuWasmBackend() once before building models; cpuWasmInfo() says what it loaded.
import { registerKernel, setActiveBackend } from '../../core/registry.js';
import { loadWasmKernels, type WasmKernelOptions, type WasmKernels, type WasmVariant } from './wasm-kernels.js';
import { adamwOp, attentionOp, float16Op, geluOp, layerNormOp } from './wasm-ops.js';
import { crossEntropy } from './kernels/cross-entropy.js';
import { lmHeadCrossEntropy } from './kernels/lm-head-cross-entropy.js';
import { embedding } from './kernels/embedding.js';
import { add, biasAdd, dropout, scale } from './kernels/elementwise.js';

let loaded: WasmKernels | null = null;

/**
 * Loads the kernels (once per process; later calls only re-activate the backend, their arguments
 * are ignored) and makes cpu-wasm the active backend. wasm: the plain build's kernels.wasm, its
 * variants found next to it (see wasm-kernels.ts). opts.threads: threads per matmul, the caller
 * included; default: the cores available.
 */
export async function initCpuWasmBackend(wasm?: Uint8Array | URL | string, opts?: WasmKernelOptions): Promise<void> {
  if (!loaded) {
    const wk = await loadWasmKernels(wasm, opts);
    const matmul = (a: Float32Array, b: Float32Array, c: Float32Array, M: number, N: number, K: number, transA: boolean, transB: boolean, accumulate: boolean) => wk.matmul(a, b, c, M, N, K, transA, transB, accumulate);
    registerKernel('cpu-wasm', 'matmul', matmul);
    registerKernel('cpu-wasm', 'lm-head-cross-entropy', lmHeadCrossEntropy(wk));
    registerKernel('cpu-wasm', 'layer-norm', layerNormOp(wk));
    registerKernel('cpu-wasm', 'gelu', geluOp(wk));
    registerKernel('cpu-wasm', 'attention', attentionOp(wk));
    registerKernel('cpu-wasm', 'cross-entropy', crossEntropy);
    registerKernel('cpu-wasm', 'embedding', embedding);
    registerKernel('cpu-wasm', 'adamw', adamwOp(wk));
    registerKernel('cpu-wasm', 'bias-add', biasAdd);
    registerKernel('cpu-wasm', 'add', add);
    registerKernel('cpu-wasm', 'scale', scale);
    registerKernel('cpu-wasm', 'dropout', dropout);
    registerKernel('cpu-wasm', 'float16-to-float32', float16Op(wk));
    loaded = wk;
  }
  setActiveBackend('cpu-wasm');
}

/**
 * What initCpuWasmBackend loaded, for the agent's hello (backend limits), and the size its WASM
 * memory has grown to (it never shrinks); null before it ran.
 */
export function cpuWasmInfo(): { variant: WasmVariant; threads: number; notes: string[]; memoryBytes: number } | null {
  return loaded ? { variant: loaded.variant, threads: loaded.threads, notes: [...loaded.notes], memoryBytes: loaded.memory.buffer.byteLength } : null;
}

/**
 * Runs the kernels on n threads from now on (capped at the cores the backend was loaded for; see
 * WasmKernels.setThreads); resolves with the count in use. Call after initCpuWasmBackend.
 */
export async function setCpuWasmThreads(n: number): Promise<number> {
  if (!loaded) throw new Error('setCpuWasmThreads: call initCpuWasmBackend() first');
  return loaded.setThreads(n);
}

/** The backend limits an agent reports in its hello: the variant and threads really in use, and any fallback. */
export function cpuWasmLimits(cores: number): Record<string, string | number | boolean> {
  const info = cpuWasmInfo();
  return { variant: info?.variant ?? 'simd', threads: info?.threads ?? 1, cores, ...(info?.notes.length ? { notes: info.notes.join('; ') } : {}) };
}
