// LayerNorm forward and backward (cpu-wasm backend, plain typed-array loops for now; the SIMD and
// threaded version is the CPU-speed issue's). Statistics are accumulated in float64.
// Backward follows llm.c layernorm_backward: dx = rstd * (dnorm - mean(dnorm) - norm * mean(dnorm*norm)).
import type { OpKernels } from '../../../core/ops.js';

export const layerNorm: OpKernels['layer-norm'] = {
  forward(out, mean, rstd, x, w, b, rows, C, eps) {
    for (let r = 0; r < rows; r++) {
      const o = r * C;
      let m = 0;
      for (let i = 0; i < C; i++) m += x[o + i];
      m /= C;
      let v = 0;
      for (let i = 0; i < C; i++) {
        const d = x[o + i] - m;
        v += d * d;
      }
      v /= C;
      const s = 1 / Math.sqrt(v + eps);
      for (let i = 0; i < C; i++) out[o + i] = (x[o + i] - m) * s * w[i] + b[i];
      mean[r] = m;
      rstd[r] = s;
    }
  },
  backward(dx, dw, db, dout, x, w, mean, rstd, rows, C) {
    for (let r = 0; r < rows; r++) {
      const o = r * C;
      const m = mean[r];
      const s = rstd[r];
      let dnormMean = 0;
      let dnormNormMean = 0;
      for (let i = 0; i < C; i++) {
        const norm = (x[o + i] - m) * s;
        const dnorm = w[i] * dout[o + i];
        dnormMean += dnorm;
        dnormNormMean += dnorm * norm;
      }
      dnormMean /= C;
      dnormNormMean /= C;
      for (let i = 0; i < C; i++) {
        const norm = (x[o + i] - m) * s;
        const g = dout[o + i];
        if (db) db[i] += g;
        if (dw) dw[i] += norm * g;
        if (dx) dx[o + i] += (w[i] * g - dnormMean - norm * dnormNormMean) * s;
      }
    }
  },
};
