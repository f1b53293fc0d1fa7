// Float64 reference versions of the cpu-wasm kernels that now run in WASM (the typed-array loops the
// backend used before): the oracle wasm-ops.spec.ts compares the SIMD + threaded kernels against.
import type { OpKernels } from '../../../device-agent/core/ops.js';

export const refLayerNorm: OpKernels['layer-norm'] = {
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

const S = Math.sqrt(2 / Math.PI);

export const refGelu: OpKernels['gelu'] = {
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

export const refAdamw: OpKernels['adamw'] = (p, g, m, v, n, lr, beta1, beta2, eps, weightDecay, bc1, bc2) => {
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

// Attention the llm.c way: saves the (B,H,T,T) probabilities.
export const refAttention = {
  forward(out: Float32Array, att: Float32Array, qkv: Float32Array, B: number, T: number, C: number, H: number) {
    const hs = C / H;
    const scale = 1 / Math.sqrt(hs);
    const C3 = 3 * C;
    const row = new Float64Array(T);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        for (let t = 0; t < T; t++) {
          const q = b * T * C3 + t * C3 + h * hs;
          let max = -Infinity;
          for (let t2 = 0; t2 <= t; t2++) {
            const k = b * T * C3 + t2 * C3 + C + h * hs;
            let dot = 0;
            for (let i = 0; i < hs; i++) dot += qkv[q + i] * qkv[k + i];
            dot *= scale;
            row[t2] = dot;
            if (dot > max) max = dot;
          }
          let sum = 0;
          for (let t2 = 0; t2 <= t; t2++) {
            const e = Math.exp(row[t2] - max);
            row[t2] = e;
            sum += e;
          }
          const a = ((b * H + h) * T + t) * T;
          for (let t2 = 0; t2 < T; t2++) att[a + t2] = t2 <= t ? row[t2] / sum : 0;
          const o = b * T * C + t * C + h * hs;
          for (let i = 0; i < hs; i++) out[o + i] = 0;
          for (let t2 = 0; t2 <= t; t2++) {
            const v = b * T * C3 + t2 * C3 + 2 * C + h * hs;
            const p = att[a + t2];
            for (let i = 0; i < hs; i++) out[o + i] += p * qkv[v + i];
          }
        }
      }
    }
  },
  backward(dqkv: Float32Array, dout: Float32Array, qkv: Float32Array, att: Float32Array, B: number, T: number, C: number, H: number) {
    const hs = C / H;
    const scale = 1 / Math.sqrt(hs);
    const C3 = 3 * C;
    const datt = new Float64Array(T);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        for (let t = 0; t < T; t++) {
          const a = ((b * H + h) * T + t) * T;
          const o = b * T * C + t * C + h * hs;
          // through the weighted sum of values: datt and dv
          let dot = 0;
          for (let t2 = 0; t2 <= t; t2++) {
            const v = b * T * C3 + t2 * C3 + 2 * C + h * hs;
            let d = 0;
            for (let i = 0; i < hs; i++) {
              d += qkv[v + i] * dout[o + i];
              dqkv[v + i] += att[a + t2] * dout[o + i];
            }
            datt[t2] = d;
            dot += d * att[a + t2];
          }
          // through softmax, then the scaled dot products: dq and dk
          const q = b * T * C3 + t * C3 + h * hs;
          for (let t2 = 0; t2 <= t; t2++) {
            const dpre = att[a + t2] * (datt[t2] - dot) * scale;
            const k = b * T * C3 + t2 * C3 + C + h * hs;
            for (let i = 0; i < hs; i++) {
              dqkv[q + i] += dpre * qkv[k + i];
              dqkv[k + i] += dpre * qkv[q + i];
            }
          }
        }
      }
    }
  },
};
