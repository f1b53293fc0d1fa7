// Central finite-difference gradient check for differentiable ops: compares the tape's
// vector-Jacobian product with (f(x+h) - f(x-h)) / 2h projected on a fixed random vector.
// float32 forward passes limit the precision, so the tolerance is relative to the gradient's scale.
import { expect } from 'vitest';
import { Tensor } from '../../../device-agent/core/tensor.js';
import { tape } from '../../../device-agent/core/autograd.js';
import { Rng } from '../../../device-agent/core/rng.js';
import { tolerances } from '../tolerances.js';

export function randomTensor(shape: number[], rng: Rng, scale = 1, requiresGrad = true): Tensor {
  const t = new Tensor(shape, undefined, requiresGrad);
  for (let i = 0; i < t.size; i++) t.data[i] = scale * rng.normal();
  return t;
}

/** Check d(sum(f(inputs) * R))/d(input) for every input that requires grad. */
export function gradcheck(f: () => Tensor, inputs: Tensor[], seed = 1, h = tolerances.gradcheckStep): void {
  const rng = new Rng(seed);
  tape.clear();
  for (const t of inputs) t.grad = null;
  const out = f();
  const R = new Float32Array(out.size);
  for (let i = 0; i < R.length; i++) R[i] = rng.normal();
  tape.backward(out, R);
  const project = (): number => {
    const o = tape.noGrad(f);
    let s = 0;
    for (let i = 0; i < o.size; i++) s += o.data[i] * R[i];
    return s;
  };
  for (const [k, t] of inputs.entries()) {
    if (!t.requiresGrad) continue;
    const analytic = t.grad ?? new Float32Array(t.size);
    const numeric = new Float64Array(t.size);
    for (let i = 0; i < t.size; i++) {
      const x0 = t.data[i];
      t.data[i] = x0 + h;
      const fp = project();
      t.data[i] = x0 - h;
      const fm = project();
      t.data[i] = x0;
      numeric[i] = (fp - fm) / (2 * h);
    }
    let maxAbs = 0;
    let scale = 0;
    for (let i = 0; i < t.size; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(analytic[i] - numeric[i]));
      scale = Math.max(scale, Math.abs(numeric[i]));
    }
    expect(scale, `input ${k}: the numeric gradient is all zero, the check would prove nothing`).toBeGreaterThan(0);
    expect(maxAbs / scale, `input ${k} [${t.shape.join(', ')}]: max |analytic - numeric| = ${maxAbs}, scale ${scale}`).toBeLessThan(tolerances.gradcheckRel);
  }
}
