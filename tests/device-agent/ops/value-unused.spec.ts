// matmul / loraLinear with valueUnused (an activation-checkpoint replay of a block's last linear):
// the output's values are not computed, yet every gradient equals the normal op's bit for bit.
import { beforeAll, describe, expect, it } from 'vitest';
import { initCpuWasmBackend } from '../../../device-agent/backends/cpu-wasm/index.js';
import { Rng } from '../../../device-agent/core/rng.js';
import { tape } from '../../../device-agent/core/autograd.js';
import type { Tensor } from '../../../device-agent/core/tensor.js';
import * as F from '../../../device-agent/nn/functional.js';
import { randomTensor } from './gradcheck.js';

beforeAll(() => initCpuWasmBackend());

function grads(run: () => Tensor, inputs: Tensor[], seed: Float32Array): { y: Float32Array; g: Float32Array[] } {
  for (const t of inputs) t.grad = null;
  const y = run();
  tape.backward(y, seed);
  return { y: y.data.slice(), g: inputs.map((t) => t.grad!.slice()) };
}

describe('valueUnused', () => {
  const rng = new Rng(9);
  const x = randomTensor([6, 7], rng), w = randomTensor([7, 5], rng), b = randomTensor([5], rng);
  const A = randomTensor([3, 7], rng), B = randomTensor([5, 3], rng);
  const seed = randomTensor([6, 5], rng).data;

  it('matmul: no values, the same gradients', () => {
    const normal = grads(() => F.matmul(x, w, { bias: b }), [x, w, b], seed);
    const unused = grads(() => F.matmul(x, w, { bias: b, valueUnused: true }), [x, w, b], seed);
    expect(normal.y.some((v) => v !== 0)).toBe(true);
    expect(unused.y.every((v) => v === 0)).toBe(true);
    expect(unused.g).toEqual(normal.g);
  });

  it('loraLinear: no values, the same gradients (dB needs the small h, which is still computed)', () => {
    const normal = grads(() => F.loraLinear(x, w, b, A, B, 2, null), [x, w, b, A, B], seed);
    const unused = grads(() => F.loraLinear(x, w, b, A, B, 2, null, true), [x, w, b, A, B], seed);
    expect(unused.y.every((v) => v === 0)).toBe(true);
    expect(unused.g).toEqual(normal.g);
  });
});
