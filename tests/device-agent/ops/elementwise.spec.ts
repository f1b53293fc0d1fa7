// Finite-difference gradient check of the elementwise op on the cpu-wasm backend (tiny shapes).
import { beforeAll, describe, it } from 'vitest';
import { initCpuWasmBackend } from '../../../device-agent/backends/cpu-wasm/index.js';
import { Rng } from '../../../device-agent/core/rng.js';
import * as F from '../../../device-agent/nn/functional.js';
import { gradcheck, randomTensor } from './gradcheck.js';

beforeAll(() => initCpuWasmBackend());

describe('elementwise', () => {
  it('add', () => {
    const rng = new Rng(8);
    const a = randomTensor([3, 4], rng);
    const b = randomTensor([3, 4], rng);
    gradcheck(() => F.add(a, b), [a, b]);
  });
  it('scale', () => {
    const x = randomTensor([5], new Rng(9));
    gradcheck(() => F.scale(x, -2.5), [x]);
  });
  it('dropout with a fixed mask', () => {
    const x = randomTensor([6], new Rng(10));
    const mask = new Float32Array([2, 0, 2, 2, 0, 2]);
    gradcheck(() => F.dropout(x, mask), [x]);
  });
});
