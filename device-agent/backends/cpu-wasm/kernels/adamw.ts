// AdamW update in place, the same arithmetic as torch.optim.AdamW (single-tensor path):
// p *= 1 - lr*wd; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2; p -= (lr/bc1) * m / (sqrt(v)/sqrt(bc2) + eps).
// cpu-wasm backend, plain loop for now.
import type { OpKernels } from '../../../core/ops.js';

export const adamw: OpKernels['adamw'] = (p, g, m, v, n, lr, beta1, beta2, eps, weightDecay, bc1, bc2) => {
  const decay = 1 - lr * weightDecay;
  const stepSize = lr / bc1;
  const sqrtBc2 = Math.sqrt(bc2);
  for (let i = 0; i < n; i++) {
    const gi = g[i];
    const mi = (m[i] = beta1 * m[i] + (1 - beta1) * gi);
    const vi = (v[i] = beta2 * v[i] + (1 - beta2) * gi * gi);
    p[i] = p[i] * decay - (stepSize * mi) / (Math.sqrt(vi) / sqrtBc2 + eps);
  }
};
