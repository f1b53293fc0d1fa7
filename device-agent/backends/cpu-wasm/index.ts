// The cpu-wasm backend: registers one kernel per op under "cpu-wasm". Matmul (the bulk of the
// FLOPs) runs in WebAssembly SIMD built from assembly/ by build-wasm.mjs; the other kernels are
// typed-array loops in kernels/ for now (moving them into WASM with threads is the CPU-speed issue).
// Call initCpuWasmBackend() once before building models.
import { registerKernel, setActiveBackend } from '../../core/registry.js';
import { loadWasmKernels, type WasmKernels } from './wasm-kernels.js';
import { layerNorm } from './kernels/layer-norm.js';
import { gelu } from './kernels/gelu.js';
import { attention } from './kernels/attention.js';
import { crossEntropy } from './kernels/cross-entropy.js';
import { lmHeadCrossEntropy } from './kernels/lm-head-cross-entropy.js';
import { embedding } from './kernels/embedding.js';
import { adamw } from './kernels/adamw.js';
import { add, biasAdd, dropout, scale } from './kernels/elementwise.js';

let loaded: WasmKernels | null = null;

export async function initCpuWasmBackend(wasm?: Uint8Array | URL | string): Promise<void> {
  if (!loaded) {
    const wk = await loadWasmKernels(wasm);
    const matmul = (a: Float32Array, b: Float32Array, c: Float32Array, M: number, N: number, K: number, transA: boolean, transB: boolean, accumulate: boolean) => wk.matmul(a, b, c, M, N, K, transA, transB, accumulate);
    registerKernel('cpu-wasm', 'matmul', matmul);
    registerKernel('cpu-wasm', 'lm-head-cross-entropy', lmHeadCrossEntropy(matmul));
    registerKernel('cpu-wasm', 'layer-norm', layerNorm);
    registerKernel('cpu-wasm', 'gelu', gelu);
    registerKernel('cpu-wasm', 'attention', attention);
    registerKernel('cpu-wasm', 'cross-entropy', crossEntropy);
    registerKernel('cpu-wasm', 'embedding', embedding);
    registerKernel('cpu-wasm', 'adamw', adamw);
    registerKernel('cpu-wasm', 'bias-add', biasAdd);
    registerKernel('cpu-wasm', 'add', add);
    registerKernel('cpu-wasm', 'scale', scale);
    registerKernel('cpu-wasm', 'dropout', dropout);
    loaded = wk;
  }
  setActiveBackend('cpu-wasm');
}
