// The fused LoRA linear op: finite-difference gradients for x, W, b, A and B, with and without a
// dropout mask, and equality with the unfused composition of matmuls.
import { beforeAll, describe, expect, it } from 'vitest';
import { initCpuWasmBackend } from '../../../device-agent/backends/cpu-wasm/index.js';
import { Rng } from '../../../device-agent/core/rng.js';
import { tape } from '../../../device-agent/core/autograd.js';
import * as F from '../../../device-agent/nn/functional.js';
import { gradcheck, randomTensor } from './gradcheck.js';

beforeAll(() => initCpuWasmBackend());

describe('lora-linear', () => {
  for (const withMask of [false, true]) {
    it(`gradients of x, W, b, A, B${withMask ? ' through a dropout mask' : ''}`, () => {
      const rng = new Rng(withMask ? 2 : 1);
      const x = randomTensor([3, 5], rng);
      const w = randomTensor([5, 4], rng);
      const b = randomTensor([4], rng);
      const A = randomTensor([2, 5], rng);
      const B = randomTensor([4, 2], rng);
      const mask = withMask ? new Float32Array([2, 0, 2, 2, 0, 2, 2, 2, 0, 2, 0, 2, 2, 2, 0]) : null;
      gradcheck(() => F.loraLinear(x, w, b, A, B, 1.5, mask), [x, w, b, A, B]);
    });
  }

  it('equals x @ W + b + scale * (x @ A^T) @ B^T computed op by op', () => {
    const rng = new Rng(3);
    const x = randomTensor([6, 7], rng);
    const w = randomTensor([7, 5], rng);
    const b = randomTensor([5], rng);
    const A = randomTensor([3, 7], rng);
    const B = randomTensor([5, 3], rng);
    const fused = tape.noGrad(() => F.loraLinear(x, w, b, A, B, 2, null)).data;
    const plain = tape.noGrad(() => F.add(F.matmul(x, w, { bias: b }), F.scale(F.matmul(F.matmul(x, A, { transW: true }), B, { transW: true }), 2))).data;
    for (let i = 0; i < fused.length; i++) expect(Math.abs(fused[i] - plain[i])).toBeLessThan(1e-5);
  });
});
