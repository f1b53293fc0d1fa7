// Fused, vocabulary-chunked LM head + softmax cross-entropy (cpu-wasm backend). Forward keeps an
// online log-sum-exp per row over the chunks (max + rescaled sum), so only one (N, chunk) block of
// logits exists at a time; backward recomputes each block, turns it into dlogits in place and
// feeds two matmuls. Follows llm.c's fused classifier, chunked over V as Liger-Kernel's
// fused-linear-cross-entropy does. Targets < 0 are ignored rows.
import type { OpKernels } from '../../../core/ops.js';
import { track } from '../../../core/memory-tracker.js';

type Matmul = OpKernels['matmul'];

export function lmHeadCrossEntropy(matmul: Matmul): OpKernels['lm-head-cross-entropy'] {
  return {
    forward(losses, lse, x, w, targets, N, C, V, chunk) {
      const block = track(new Float32Array(N * Math.min(chunk, V)));
      const max = new Float64Array(N).fill(-Infinity);
      const sum = new Float64Array(N);
      const tlogit = new Float64Array(N);
      for (let v0 = 0; v0 < V; v0 += chunk) {
        const n = Math.min(chunk, V - v0);
        const logits = block.subarray(0, N * n);
        matmul(x, w(v0, v0 + n), logits, N, n, C, false, true, false); // logits: (N, n)
        for (let r = 0; r < N; r++) {
          const o = r * n;
          let m = max[r];
          for (let i = 0; i < n; i++) if (logits[o + i] > m) m = logits[o + i];
          let s = sum[r] * Math.exp(max[r] - m); // rescale the running sum to the new max
          for (let i = 0; i < n; i++) s += Math.exp(logits[o + i] - m);
          max[r] = m;
          sum[r] = s;
          const t = targets[r] - v0;
          if (t >= 0 && t < n) tlogit[r] = logits[o + t];
        }
      }
      for (let r = 0; r < N; r++) {
        if (targets[r] >= V) throw new Error(`cross-entropy: target id ${targets[r]} at row ${r} is outside the vocabulary (size ${V})`);
        lse[r] = max[r] + Math.log(sum[r]);
        losses[r] = targets[r] < 0 ? 0 : lse[r] - tlogit[r];
      }
    },
    backward(dx, dw, x, w, targets, lse, N, C, V, chunk, dscale) {
      const block = track(new Float32Array(N * Math.min(chunk, V)));
      for (let v0 = 0; v0 < V; v0 += chunk) {
        const n = Math.min(chunk, V - v0);
        const rows = w(v0, v0 + n);
        const d = block.subarray(0, N * n);
        matmul(x, rows, d, N, n, C, false, true, false); // recompute logits: (N, n)
        for (let r = 0; r < N; r++) {
          const o = r * n;
          if (targets[r] < 0) {
            d.fill(0, o, o + n);
            continue;
          }
          for (let i = 0; i < n; i++) d[o + i] = dscale * Math.exp(d[o + i] - lse[r]); // softmax * dscale
          const t = targets[r] - v0;
          if (t >= 0 && t < n) d[o + t] -= dscale;
        }
        if (dx) matmul(d, rows, dx, N, C, n, false, false, true); // dx(N,C) += d(N,n) @ W(n,C)
        if (dw) {
          const g = new Float32Array(n * C);
          matmul(d, x, g, n, C, N, true, false, false); // dW(n,C) = d^T(n,N) @ x(N,C)
          dw(v0, v0 + n, g);
        }
      }
    },
  };
}
