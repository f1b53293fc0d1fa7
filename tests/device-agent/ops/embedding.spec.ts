// Finite-difference gradient check of the embedding op on the cpu-wasm backend (tiny shapes).
import { beforeAll, describe, it } from 'vitest';
import { initCpuWasmBackend } from '../../../device-agent/backends/cpu-wasm/index.js';
import { Rng } from '../../../device-agent/core/rng.js';
import * as F from '../../../device-agent/nn/functional.js';
import { gradcheck, randomTensor } from './gradcheck.js';

beforeAll(() => initCpuWasmBackend());

describe('embedding', () => {
  it('token + position lookup, repeated ids accumulate', () => {
    const rng = new Rng(7);
    const wte = randomTensor([6, 4], rng);
    const wpe = randomTensor([5, 4], rng);
    const ids = new Int32Array([1, 1, 5, 0, 2, 1]);
    gradcheck(() => F.embedding(ids, wte, wpe, 2, 3), [wte, wpe]);
  });
});
