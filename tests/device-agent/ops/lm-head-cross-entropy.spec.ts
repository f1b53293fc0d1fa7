// The fused, vocabulary-chunked LM head + cross-entropy: finite-difference gradients, and equality
// with the unfused matmul + cross-entropy for chunk sizes that do and do not divide V.
import { beforeAll, describe, expect, it } from 'vitest';
import { initCpuWasmBackend } from '../../../device-agent/backends/cpu-wasm/index.js';
import { Rng } from '../../../device-agent/core/rng.js';
import { tape } from '../../../device-agent/core/autograd.js';
import * as F from '../../../device-agent/nn/functional.js';
import { gradcheck, randomTensor } from './gradcheck.js';

beforeAll(() => initCpuWasmBackend());

describe('lm-head-cross-entropy', () => {
  it('gradients of x and the tied weight, with an ignored target', () => {
    const rng = new Rng(12);
    const x = randomTensor([5, 6], rng);
    const w = randomTensor([11, 6], rng);
    const targets = new Int32Array([0, 10, -1, 4, 7]);
    gradcheck(() => F.lmHeadCrossEntropy(x, w, targets, 4), [x, w]);
  });

  for (const chunk of [1, 3, 7, 64]) {
    it(`equals matmul + cross-entropy (chunk ${chunk})`, () => {
      const rng = new Rng(chunk);
      const x = randomTensor([9, 8], rng, 2);
      const w = randomTensor([13, 8], rng, 2);
      const targets = Int32Array.from({ length: 9 }, () => rng.int(13));
      const fused = F.lmHeadCrossEntropy(x, w, targets, chunk);
      tape.backward(fused);
      const [gx, gw] = [x.grad!.slice(), w.grad!.slice()];
      x.grad = null;
      w.grad = null;
      const plain = F.crossEntropy(F.matmul(x, w, { transW: true }), targets);
      tape.backward(plain);
      expect(Math.abs(fused.item() - plain.item())).toBeLessThan(1e-5);
      for (let i = 0; i < gx.length; i++) expect(Math.abs(gx[i] - x.grad![i])).toBeLessThan(1e-5);
      for (let i = 0; i < gw.length; i++) expect(Math.abs(gw[i] - w.grad![i])).toBeLessThan(1e-5);
    });
  }
});
