// Finite-difference gradient check of the matmul op on the cpu-wasm backend (tiny shapes).
import { beforeAll, describe, it } from 'vitest';
import { initCpuWasmBackend } from '../../../device-agent/backends/cpu-wasm/index.js';
import { Rng } from '../../../device-agent/core/rng.js';
import * as F from '../../../device-agent/nn/functional.js';
import { gradcheck, randomTensor } from './gradcheck.js';

beforeAll(() => initCpuWasmBackend());

describe('matmul', () => {
  it('x @ W + b (Conv1D layout)', () => {
    const rng = new Rng(1);
    const x = randomTensor([2, 3, 5], rng);
    const w = randomTensor([5, 4], rng);
    const b = randomTensor([4], rng);
    gradcheck(() => F.matmul(x, w, { bias: b }), [x, w, b]);
  });
  it('x @ W^T (stored transposed, as the tied LM head and LoRA factors)', () => {
    const rng = new Rng(2);
    const x = randomTensor([7, 6], rng);
    const w = randomTensor([3, 6], rng);
    gradcheck(() => F.matmul(x, w, { transW: true }), [x, w]);
  });
});
