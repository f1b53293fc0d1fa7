// Causal multi-head self-attention from a fused qkv tensor, forward and backward (cpu-wasm backend,
// plain loops; the fused never-materialise-T*T version is the CPU-speed issue's). Saves the softmax
// probabilities att (B,H,T,T) for backward. Follows llm.c attention_forward/backward.
import type { OpKernels } from '../../../core/ops.js';

export const attention: OpKernels['attention'] = {
  forward(out, att, qkv, B, T, C, H) {
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
  backward(dqkv, dout, qkv, att, B, T, C, H) {
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
