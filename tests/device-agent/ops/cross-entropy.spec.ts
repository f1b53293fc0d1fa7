// Finite-difference gradient check of the cross-entropy op on the cpu-wasm backend (tiny shapes).
import { beforeAll, describe, it } from 'vitest';
import { initCpuWasmBackend } from '../../../device-agent/backends/cpu-wasm/index.js';
import { Rng } from '../../../device-agent/core/rng.js';
import * as F from '../../../device-agent/nn/functional.js';
import { gradcheck, randomTensor } from './gradcheck.js';

beforeAll(() => initCpuWasmBackend());

describe('cross-entropy', () => {
  it('mean softmax cross-entropy, with an ignored target', () => {
    const rng = new Rng(6);
    const logits = randomTensor([5, 7], rng, 2);
    const targets = new Int32Array([0, 3, -1, 6, 2]);
    gradcheck(() => F.crossEntropy(logits, targets), [logits]);
  });
});
