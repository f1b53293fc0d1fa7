// GELU, tanh approximation (Hugging Face "gelu_new", used by GPT-2), forward and backward.
// cpu-wasm backend, plain loops for now. Backward accumulates into dx.
import type { OpKernels } from '../../../core/ops.js';

const S = Math.sqrt(2 / Math.PI);

export const gelu: OpKernels['gelu'] = {
  forward(out, x, n) {
    for (let i = 0; i < n; i++) {
      const v = x[i];
      out[i] = 0.5 * v * (1 + Math.tanh(S * (v + 0.044715 * v * v * v)));
    }
  },
  backward(dx, x, dout, n) {
    for (let i = 0; i < n; i++) {
      const v = x[i];
      const t = Math.tanh(S * (v + 0.044715 * v * v * v));
      const dudx = S * (1 + 3 * 0.044715 * v * v);
      dx[i] += dout[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * dudx);
    }
  },
};
