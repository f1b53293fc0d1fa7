// The kernel registry: one map keyed by (backend, op). Backends register their kernels at load;
// models and nn code ask for kernels of the active backend and never import a backend directly.
// A missing kernel is an error that names the backend and op (the parity test lists the gaps).
import type { OpKernels, OpName } from './ops.js';

export type BackendName = 'cpu-wasm' | 'webgpu';

const kernels = new Map<string, unknown>();
let active: BackendName | null = null;

export function registerKernel<K extends OpName>(backend: BackendName, op: K, impl: OpKernels[K]): void {
  kernels.set(`${backend}/${op}`, impl);
}

export function hasKernel(backend: BackendName, op: OpName): boolean {
  return kernels.has(`${backend}/${op}`);
}

export function setActiveBackend(backend: BackendName): void {
  active = backend;
}

export function activeBackend(): BackendName {
  if (!active) throw new Error('no compute backend is initialised: call initCpuWasmBackend() (device-agent/backends/cpu-wasm) first');
  return active;
}

/** The active backend's kernel for op. */
export function kernel<K extends OpName>(op: K): OpKernels[K] {
  const backend = activeBackend();
  const k = kernels.get(`${backend}/${op}`);
  if (!k) throw new Error(`backend "${backend}" has no kernel for op "${op}"; see the backend parity test for which ops each backend implements`);
  return k as OpKernels[K];
}

/** The active backend's kernel for op, or null when no backend is active or it lacks the op (for code that has a plain fallback). */
export function kernelIfAny<K extends OpName>(op: K): OpKernels[K] | null {
  return active ? ((kernels.get(`${active}/${op}`) as OpKernels[K] | undefined) ?? null) : null;
}
