// Finite-difference gradient check of the layer-norm op on the cpu-wasm backend (tiny shapes).
import { beforeAll, describe, it } from 'vitest';
import { initCpuWasmBackend } from '../../../device-agent/backends/cpu-wasm/index.js';
import { Rng } from '../../../device-agent/core/rng.js';
import * as F from '../../../device-agent/nn/functional.js';
import { gradcheck, randomTensor } from './gradcheck.js';

beforeAll(() => initCpuWasmBackend());

describe('layer-norm', () => {
  it('normalises rows, with affine weight and bias', () => {
    const rng = new Rng(3);
    const x = randomTensor([4, 8], rng, 2);
    const w = randomTensor([8], rng);
    const b = randomTensor([8], rng);
    gradcheck(() => F.layerNorm(x, w, b, 1e-5), [x, w, b]);
  });
});
