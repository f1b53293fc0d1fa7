// Global-norm clipping: returns the pre-clip norm and scales by max/(norm+1e-6), as torch does.
import { describe, expect, it } from 'vitest';
import { ParameterTable } from '../../../device-agent/core/parameter-table.js';
import { clipGradNorm } from '../../../device-agent/optim/clip-grad-norm.js';

function table(g1: number[], g2: number[]): ParameterTable {
  const t = new ParameterTable();
  t.add('a', [g1.length], 'matrix').tensor.grad = Float32Array.from(g1);
  t.add('b', [g2.length], 'bias').tensor.grad = Float32Array.from(g2);
  t.add('frozen', [1], 'matrix').tensor.grad = Float32Array.from([100]);
  t.setTrainable((p) => p.name !== 'frozen');
  return t;
}

describe('clipGradNorm', () => {
  it('clips over all trainable gradients together (frozen ones excluded)', () => {
    const t = table([3, 0], [4]);
    expect(clipGradNorm(t, 1)).toBeCloseTo(5, 6);
    const coef = 1 / (5 + 1e-6);
    expect(t.tensor('a').grad![0]).toBeCloseTo(3 * coef, 6);
    expect(t.tensor('b').grad![0]).toBeCloseTo(4 * coef, 6);
    expect(t.tensor('frozen').grad![0]).toBe(100);
  });
  it('leaves gradients alone under the limit or when disabled', () => {
    const t = table([0.3], [0.4]);
    expect(clipGradNorm(t, 1)).toBeCloseTo(0.5, 6);
    expect(t.tensor('a').grad![0]).toBeCloseTo(0.3, 7);
    const u = table([30], [40]);
    expect(clipGradNorm(u, 0)).toBeCloseTo(50, 4);
    expect(u.tensor('a').grad![0]).toBe(30);
  });
});
