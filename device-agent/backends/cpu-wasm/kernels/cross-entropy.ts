// Softmax cross-entropy over rows of logits with integer targets, forward and backward (cpu-wasm
// backend, plain loops; the chunked LM-head version that never holds (B,T,V) is the CPU-speed
// issue's). A target < 0 marks an ignored position: zero loss, zero gradient.
import type { OpKernels } from '../../../core/ops.js';

export const crossEntropy: OpKernels['cross-entropy'] = {
  forward(losses, probs, logits, targets, N, V) {
    for (let n = 0; n < N; n++) {
      const o = n * V;
      let max = -Infinity;
      for (let i = 0; i < V; i++) if (logits[o + i] > max) max = logits[o + i];
      let sum = 0;
      for (let i = 0; i < V; i++) sum += Math.exp(logits[o + i] - max);
      const inv = 1 / sum;
      for (let i = 0; i < V; i++) probs[o + i] = Math.exp(logits[o + i] - max) * inv;
      const t = targets[n];
      if (t >= V) throw new Error(`cross-entropy: target id ${t} at row ${n} is outside the vocabulary (size ${V})`);
      losses[n] = t < 0 ? 0 : -(logits[o + t] - max - Math.log(sum));
    }
  },
  backward(dlogits, probs, targets, N, V, dscale) {
    for (let n = 0; n < N; n++) {
      const t = targets[n];
      if (t < 0) continue;
      const o = n * V;
      for (let i = 0; i < V; i++) dlogits[o + i] += dscale * (probs[o + i] - (i === t ? 1 : 0));
    }
  },
};
