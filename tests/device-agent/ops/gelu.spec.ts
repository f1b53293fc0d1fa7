// Finite-difference gradient check of the gelu op on the cpu-wasm backend (tiny shapes).
import { beforeAll, describe, it } from 'vitest';
import { initCpuWasmBackend } from '../../../device-agent/backends/cpu-wasm/index.js';
import { Rng } from '../../../device-agent/core/rng.js';
import * as F from '../../../device-agent/nn/functional.js';
import { gradcheck, randomTensor } from './gradcheck.js';

beforeAll(() => initCpuWasmBackend());

describe('gelu', () => {
  it('tanh approximation', () => {
    const rng = new Rng(4);
    const x = randomTensor([3, 11], rng, 2);
    gradcheck(() => F.gelu(x), [x]);
  });
});
