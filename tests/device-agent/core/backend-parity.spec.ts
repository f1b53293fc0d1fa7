// Backend parity: which op has a kernel on which backend. Every gap must be listed here with a
// reason, so adding a backend or an op without its kernels fails this test.
import { beforeAll, describe, expect, it } from 'vitest';
import { initCpuWasmBackend } from '../../../device-agent/backends/cpu-wasm/index.js';
import { hasKernel, type BackendName } from '../../../device-agent/core/registry.js';
import { opNames, type OpName } from '../../../device-agent/core/ops.js';

const gaps: Record<BackendName, Partial<Record<OpName | '*', string>>> = {
  'cpu-wasm': {},
  webgpu: { '*': 'the WebGPU backend is not built yet (its own issue); the trainer runs on cpu-wasm everywhere meanwhile' },
};

beforeAll(() => initCpuWasmBackend());

describe('backend parity', () => {
  for (const backend of Object.keys(gaps) as BackendName[]) {
    it(`${backend}: every op has a kernel or a listed reason`, () => {
      const missing = opNames.filter((op) => !hasKernel(backend, op));
      const explained = gaps[backend]['*'] ? opNames : (Object.keys(gaps[backend]) as OpName[]);
      expect(missing.sort()).toEqual(explained.filter((op) => !hasKernel(backend, op)).sort());
      for (const op of Object.keys(gaps[backend]) as OpName[]) if (op !== ('*' as never)) expect(hasKernel(backend, op), `${backend}/${op} is listed as missing but exists`).toBe(false);
    });
  }
});
