// AdamW: known-answer first steps against torch.optim.AdamW's formula (worked by hand), decay only
// on matrices, and parameters without a gradient left untouched.
import { beforeAll, describe, expect, it } from 'vitest';
import { initCpuWasmBackend } from '../../../device-agent/backends/cpu-wasm/index.js';
import { ParameterTable } from '../../../device-agent/core/parameter-table.js';
import { AdamW } from '../../../device-agent/optim/adamw.js';

beforeAll(() => initCpuWasmBackend());

describe('AdamW', () => {
  it('first step moves each weight by lr * sign(g) (bias-corrected), decays matrices only', () => {
    const t = new ParameterTable();
    const w = t.add('w', [2], 'matrix').tensor;
    const b = t.add('b', [1], 'bias').tensor;
    const unused = t.add('u', [1], 'matrix').tensor;
    t.setTrainable(() => true);
    w.data.set([1, -2]);
    b.data.set([0.5]);
    unused.data.set([3]);
    w.grad = Float32Array.from([0.1, -4]);
    b.grad = Float32Array.from([2]);
    const opt = new AdamW(t, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 });
    opt.step(0.01);
    // p*(1 - lr*wd) - lr * g/|g| (m_hat = g, sqrt(v_hat) = |g|; eps negligible)
    expect(w.data[0]).toBeCloseTo(1 * (1 - 0.001) - 0.01, 6);
    expect(w.data[1]).toBeCloseTo(-2 * (1 - 0.001) + 0.01, 6);
    expect(b.data[0]).toBeCloseTo(0.5 - 0.01, 6);
    expect(unused.data[0]).toBe(3);
    // second step with the same gradient: m_hat = g, v_hat = g^2 again
    opt.step(0.01);
    expect(b.data[0]).toBeCloseTo(0.5 - 0.02, 6);
    expect(opt.t).toBe(2);
  });
});
