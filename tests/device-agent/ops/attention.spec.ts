// Finite-difference gradient check of the attention op on the cpu-wasm backend (tiny shapes).
import { beforeAll, describe, it } from 'vitest';
import { initCpuWasmBackend } from '../../../device-agent/backends/cpu-wasm/index.js';
import { Rng } from '../../../device-agent/core/rng.js';
import * as F from '../../../device-agent/nn/functional.js';
import { gradcheck, randomTensor } from './gradcheck.js';

beforeAll(() => initCpuWasmBackend());

describe('attention', () => {
  it('causal multi-head attention from fused qkv', () => {
    const rng = new Rng(5);
    const B = 2, T = 4, C = 8, H = 2;
    const qkv = randomTensor([B, T, 3 * C], rng);
    gradcheck(() => F.attention(qkv, B, T, H), [qkv]);
  });
});
